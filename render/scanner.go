package render

import (
	"image"
	"image/color"
	"image/draw"
	"math"

	"github.com/srwiley/rasterx"
	"golang.org/x/image/math/fixed"
	"golang.org/x/image/vector"
)

// boundedScanner is a rasterx.Scanner that, like rasterx.ScannerGV, fills
// paths with golang.org/x/image/vector, but composites only the pixels
// inside each path's bounding box. ScannerGV composites the whole image
// for every path, so its cost grows with the path count times the image
// area, and a long trace has hundreds of text paths.
//
// NOTE: like ScannerGV it always fills with the nonzero winding rule and
// ignores SetWinding(false). Graphviz's SVG output does not set fill-rule.
type boundedScanner struct {
	dest       draw.Image
	bounds     image.Rectangle
	clip       image.Rectangle
	source     image.Image
	rasterizer vector.Rasterizer
	points     []scanPoint
	extent     fixed.Rectangle26_6
}

// scanPoint is one vertex of the path being scanned. start marks the first
// vertex of a subpath.
type scanPoint struct {
	point fixed.Point26_6
	start bool
}

func newBoundedScanner(dest draw.Image) *boundedScanner {
	s := &boundedScanner{dest: dest, bounds: dest.Bounds(), source: image.NewUniform(color.Black)}
	s.Clear()
	return s
}

func (s *boundedScanner) Start(a fixed.Point26_6) {
	s.add(a, true)
}

func (s *boundedScanner) Line(b fixed.Point26_6) {
	s.add(b, false)
}

func (s *boundedScanner) add(p fixed.Point26_6, start bool) {
	s.points = append(s.points, scanPoint{point: p, start: start})
	s.extent.Min.X = min(s.extent.Min.X, p.X)
	s.extent.Min.Y = min(s.extent.Min.Y, p.Y)
	s.extent.Max.X = max(s.extent.Max.X, p.X)
	s.extent.Max.Y = max(s.extent.Max.Y, p.Y)
}

// Draw composites the accumulated path onto dest with the current color.
func (s *boundedScanner) Draw() {
	if len(s.points) == 0 {
		return
	}
	area := image.Rect(
		s.extent.Min.X.Floor(), s.extent.Min.Y.Floor(),
		s.extent.Max.X.Ceil()+1, s.extent.Max.Y.Ceil()+1,
	).Intersect(s.bounds)
	if !s.clip.Empty() {
		area = area.Intersect(s.clip)
	}
	if area.Empty() {
		return
	}

	// The rasterizer covers only area, so vertices are shifted by its
	// corner. Draw then reads source at the same absolute coordinates as
	// dest, which gradient color functions rely on.
	s.rasterizer.Reset(area.Dx(), area.Dy())
	offsetX, offsetY := float32(area.Min.X), float32(area.Min.Y)
	for _, vertex := range s.points {
		x := float32(vertex.point.X)/64 - offsetX
		y := float32(vertex.point.Y)/64 - offsetY
		if vertex.start {
			s.rasterizer.MoveTo(x, y)
		} else {
			s.rasterizer.LineTo(x, y)
		}
	}
	s.rasterizer.Draw(s.dest, area, s.source, area.Min)
}

func (s *boundedScanner) GetPathExtent() fixed.Rectangle26_6 {
	return s.extent
}

// SetBounds limits drawing to the rectangle (0, 0)-(w, h) of dest.
func (s *boundedScanner) SetBounds(w, h int) {
	s.bounds = image.Rect(0, 0, w, h).Intersect(s.dest.Bounds())
}

// SetColor accepts a color.Color or a rasterx.ColorFunc, which rasterx
// uses for gradients. Other values leave the color unchanged, as in
// ScannerGV.
func (s *boundedScanner) SetColor(clr any) {
	switch c := clr.(type) {
	case color.Color:
		s.source = image.NewUniform(c)
	case rasterx.ColorFunc:
		s.source = colorFuncImage(c)
	}
}

func (s *boundedScanner) SetWinding(useNonZeroWinding bool) {}

func (s *boundedScanner) Clear() {
	s.points = s.points[:0]
	s.extent = fixed.Rectangle26_6{
		Min: fixed.Point26_6{X: math.MaxInt32, Y: math.MaxInt32},
		Max: fixed.Point26_6{X: math.MinInt32, Y: math.MinInt32},
	}
}

// SetClip restricts drawing to rect. An empty rect removes the limit.
func (s *boundedScanner) SetClip(rect image.Rectangle) {
	s.clip = rect
}

// colorFuncImage is an unbounded image whose pixels come from a
// rasterx.ColorFunc.
type colorFuncImage rasterx.ColorFunc

func (f colorFuncImage) ColorModel() color.Model { return color.RGBAModel }

func (f colorFuncImage) Bounds() image.Rectangle {
	return image.Rect(math.MinInt32/2, math.MinInt32/2, math.MaxInt32/2, math.MaxInt32/2)
}

func (f colorFuncImage) At(x, y int) color.Color { return f(x, y) }
