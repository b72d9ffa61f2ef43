package render

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"image"
	"image/png"
	"math"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// boxEdgeDOT has two boxed nodes joined by one straight vertical edge.
const boxEdgeDOT = `digraph boxes {
	node [shape=box, fontname="monospace", fontsize=10];
	a [label="state 0\lklp_patches=[]\l"];
	b [label="state 1\l"];
	a -> b;
}`

// svgLayout holds the parts of Graphviz's SVG output that locate shapes:
// the viewBox width, the translation of the graph group, the outline
// points of each node and the path data of each edge, keyed by the
// group's <title>.
type svgLayout struct {
	viewBoxWidth float64
	translateX   float64
	translateY   float64
	pointsByName map[string][][2]float64
	pathsByName  map[string]string
	// polylinesByName holds the numbers of each node's polylines, which
	// Graphviz uses for the field separators of record nodes.
	polylinesByName map[string][][]float64
}

type svgDocument struct {
	ViewBox string `xml:"viewBox,attr"`
	Graph   struct {
		Transform string `xml:"transform,attr"`
		Groups    []struct {
			Class    string `xml:"class,attr"`
			Title    string `xml:"title"`
			Polygons []struct {
				Points string `xml:"points,attr"`
			} `xml:"polygon"`
			Paths []struct {
				D string `xml:"d,attr"`
			} `xml:"path"`
			Polylines []struct {
				Points string `xml:"points,attr"`
			} `xml:"polyline"`
		} `xml:"g"`
	} `xml:"g"`
}

// parseNumbers returns the numbers in s, which may be separated by spaces,
// commas and the path commands M and C.
func parseNumbers(t *testing.T, s string) []float64 {
	t.Helper()
	fields := strings.FieldsFunc(s, func(r rune) bool {
		return r == ' ' || r == ',' || r == 'M' || r == 'C'
	})
	numbers := make([]float64, 0, len(fields))
	for _, field := range fields {
		number, err := strconv.ParseFloat(field, 64)
		if err != nil {
			t.Fatalf("cannot parse number %q in %q: %v", field, s, err)
		}
		numbers = append(numbers, number)
	}
	return numbers
}

// parseLayout reads the node boxes and edge paths from Graphviz's SVG.
func parseLayout(t *testing.T, svg []byte) svgLayout {
	t.Helper()
	var doc svgDocument
	if err := xml.Unmarshal(svg, &doc); err != nil {
		t.Fatalf("parse SVG: %v", err)
	}

	viewBox := parseNumbers(t, doc.ViewBox)
	if len(viewBox) != 4 {
		t.Fatalf("viewBox %q does not have 4 numbers", doc.ViewBox)
	}

	var scaleX, scaleY, rotation float64
	layout := svgLayout{
		viewBoxWidth:    viewBox[2],
		pointsByName:    map[string][][2]float64{},
		pathsByName:     map[string]string{},
		polylinesByName: map[string][][]float64{},
	}
	_, err := fmt.Sscanf(doc.Graph.Transform, "scale(%g %g) rotate(%g) translate(%g %g)",
		&scaleX, &scaleY, &rotation, &layout.translateX, &layout.translateY)
	if err != nil {
		t.Fatalf("parse graph transform %q: %v", doc.Graph.Transform, err)
	}
	if scaleX != 1 || scaleY != 1 || rotation != 0 {
		t.Fatalf("graph transform %q has a scale or rotation, but the test expects none", doc.Graph.Transform)
	}

	for _, group := range doc.Graph.Groups {
		if len(group.Polygons) > 0 && group.Class == "node" {
			numbers := parseNumbers(t, group.Polygons[0].Points)
			var points [][2]float64
			for i := 0; i+1 < len(numbers); i += 2 {
				points = append(points, [2]float64{numbers[i], numbers[i+1]})
			}
			layout.pointsByName[group.Title] = append(layout.pointsByName[group.Title], points...)
		}
		for _, polyline := range group.Polylines {
			layout.polylinesByName[group.Title] = append(layout.polylinesByName[group.Title], parseNumbers(t, polyline.Points))
		}
		if len(group.Paths) > 0 && group.Class == "edge" {
			layout.pathsByName[group.Title] = group.Paths[0].D
		}
	}
	return layout
}

// pixelOf maps a point in graph coordinates to PNG pixel coordinates.
func (l svgLayout) pixelOf(img image.Image, x, y float64) (float64, float64) {
	scale := float64(img.Bounds().Dx()) / l.viewBoxWidth
	return (x + l.translateX) * scale, (y + l.translateY) * scale
}

// box returns the bounding box of a node's outline in graph coordinates.
func (l svgLayout) box(t *testing.T, name string) (minX, minY, maxX, maxY float64) {
	t.Helper()
	points := l.pointsByName[name]
	if len(points) == 0 {
		t.Fatalf("SVG has no outline for node %q", name)
	}
	minX, minY = math.Inf(1), math.Inf(1)
	maxX, maxY = math.Inf(-1), math.Inf(-1)
	for _, p := range points {
		minX, maxX = min(minX, p[0]), max(maxX, p[0])
		minY, maxY = min(minY, p[1]), max(maxY, p[1])
	}
	return minX, minY, maxX, maxY
}

// luminance returns the brightness of img at (x, y) composited over white:
// 0 is black and 1 is white.
func luminance(img image.Image, x, y int) float64 {
	r, g, b, a := img.At(x, y).RGBA()
	white := float64(0xffff - a)
	return (0.299*(float64(r)+white) + 0.587*(float64(g)+white) + 0.114*(float64(b)+white)) / 0xffff
}

// darkestNear returns the lowest luminance within radius pixels of (x, y).
func darkestNear(img image.Image, x, y float64, radius int) float64 {
	darkest := 1.0
	centerX, centerY := int(math.Floor(x)), int(math.Floor(y))
	for dy := -radius; dy <= radius; dy++ {
		for dx := -radius; dx <= radius; dx++ {
			darkest = min(darkest, luminance(img, centerX+dx, centerY+dy))
		}
	}
	return darkest
}

// renderBoth renders dot to SVG and PNG and decodes the PNG.
func renderBoth(t *testing.T, dot string) (svgLayout, image.Image) {
	t.Helper()
	svg, err := Render(context.Background(), []byte(dot), SVG)
	if err != nil {
		t.Fatalf("Render(SVG): %v", err)
	}
	pngData, err := Render(context.Background(), []byte(dot), PNG)
	if err != nil {
		t.Fatalf("Render(PNG): %v", err)
	}
	img, err := png.Decode(bytes.NewReader(pngData))
	if err != nil {
		t.Fatalf("decode PNG output: %v", err)
	}
	return parseLayout(t, svg), img
}

// darkThreshold separates drawn 1-point black lines from the white
// background at 96 dpi, where a line covers 1.33 pixels.
const darkThreshold = 0.5

func TestRenderPNGDrawsNodeBoxes(t *testing.T) {
	layout, img := renderBoth(t, boxEdgeDOT)

	for _, name := range []string{"a", "b"} {
		minX, minY, maxX, maxY := layout.box(t, name)
		midX, midY := (minX+maxX)/2, (minY+maxY)/2
		borderPoints := []struct {
			side string
			x, y float64
		}{
			{"top", midX, minY},
			{"bottom", midX, maxY},
			{"left", minX, midY},
			{"right", maxX, midY},
		}
		for _, point := range borderPoints {
			px, py := layout.pixelOf(img, point.x, point.y)
			if got := darkestNear(img, px, py, 1); got > darkThreshold {
				t.Errorf("node %s: %s border near pixel (%.0f, %.0f) has luminance %.2f, want at most %.2f",
					name, point.side, px, py, got, darkThreshold)
			}
		}
	}
}

func TestRenderPNGDrawsEdgeLine(t *testing.T) {
	layout, img := renderBoth(t, boxEdgeDOT)

	d, ok := layout.pathsByName["a->b"]
	if !ok {
		t.Fatalf("SVG has no path for edge a->b. Edge paths: %v", layout.pathsByName)
	}
	numbers := parseNumbers(t, d)
	startX, startY := numbers[0], numbers[1]
	endX, endY := numbers[len(numbers)-2], numbers[len(numbers)-1]
	if startX != endX {
		t.Fatalf("edge path %q is not vertical, but the test samples a straight line", d)
	}

	// Sample the middle 60% of the edge, clear of the arrowhead.
	for _, fraction := range []float64{0.2, 0.4, 0.6, 0.8} {
		y := startY + (endY-startY)*fraction
		px, py := layout.pixelOf(img, startX, y)
		if got := darkestNear(img, px, py, 1); got > darkThreshold {
			t.Errorf("edge at %.0f%% near pixel (%.0f, %.0f) has luminance %.2f, want at most %.2f",
				fraction*100, px, py, got, darkThreshold)
		}
		// Beside the line the background must stay light, or an image
		// that is dark everywhere would pass.
		if got := luminance(img, int(px)+8, int(py)); got < 0.9 {
			t.Errorf("background 8 pixels right of the edge at (%.0f, %.0f) has luminance %.2f, want at least 0.9",
				px, py, got)
		}
	}
}

// TestRenderPNGLineWidth checks that a line without stroke-width is drawn
// 1 point wide, SVG's default, and not oksvg's default of 2 points.
func TestRenderPNGLineWidth(t *testing.T) {
	layout, img := renderBoth(t, boxEdgeDOT)
	// Sample a quarter of the way along the top border, away from the
	// arrowhead that touches its middle.
	minX, minY, maxX, _ := layout.box(t, "b")
	px, py := layout.pixelOf(img, minX+(maxX-minX)/4, minY)

	// The ink across the top border is the sum of darkness over a vertical
	// run of pixels, which approximates the line width in pixels.
	ink := 0.0
	for dy := -5; dy <= 5; dy++ {
		ink += 1 - luminance(img, int(px), int(py)+dy)
	}
	scale := float64(img.Bounds().Dx()) / layout.viewBoxWidth
	if want := scale; math.Abs(ink-want) > 0.5 {
		t.Errorf("top border of node b has %.2f pixels of ink, want %.2f (1 point)", ink, want)
	}
}

func TestRenderPNGDrawsLabelText(t *testing.T) {
	layout, img := renderBoth(t, boxEdgeDOT)
	minX, minY, maxX, maxY := layout.box(t, "a")
	left, top := layout.pixelOf(img, minX, minY)
	right, bottom := layout.pixelOf(img, maxX, maxY)

	// Count dark pixels inside the box, 3 pixels clear of its border, where
	// only the label is drawn.
	dark := 0
	for y := int(top) + 3; y < int(bottom)-3; y++ {
		for x := int(left) + 3; x < int(right)-3; x++ {
			if luminance(img, x, y) < darkThreshold {
				dark++
			}
		}
	}
	// "state 0" and "klp_patches=[]" are 21 glyphs, and each has several
	// dark pixels at 10 points.
	if dark < 60 {
		t.Errorf("node a's label area has %d dark pixels, want at least 60", dark)
	}
}

// TestRenderPNGHonorsDPI checks the size of a graph with a dpi attribute and
// that its lower node is drawn, not cut off.
func TestRenderPNGHonorsDPI(t *testing.T) {
	const dot = `digraph { dpi=144; node [shape=box]; a -> b }`
	svg, err := Render(context.Background(), []byte(dot), SVG)
	if err != nil {
		t.Fatalf("Render(SVG): %v", err)
	}
	var doc svgDocument
	if err := xml.Unmarshal(svg, &doc); err != nil {
		t.Fatalf("parse SVG: %v", err)
	}
	viewBox := parseNumbers(t, doc.ViewBox)
	pngData, err := Render(context.Background(), []byte(dot), PNG)
	if err != nil {
		t.Fatalf("Render(PNG): %v", err)
	}
	img, err := png.Decode(bytes.NewReader(pngData))
	if err != nil {
		t.Fatalf("decode PNG output: %v", err)
	}

	wantWidth := int(math.Round(viewBox[2] * 144 / 72))
	wantHeight := int(math.Round(viewBox[3] * 144 / 72))
	if got := img.Bounds().Size(); got.X != wantWidth || got.Y != wantHeight {
		t.Errorf("PNG is %dx%d, want %dx%d (viewBox %gx%g points at 144 dpi)",
			got.X, got.Y, wantWidth, wantHeight, viewBox[2], viewBox[3])
	}

	// Node b's box fills most of the width of the bottom quarter, so a
	// row there crosses its left and right borders.
	dark := 0
	bounds := img.Bounds()
	for y := bounds.Max.Y * 3 / 4; y < bounds.Max.Y; y++ {
		for x := bounds.Min.X; x < bounds.Max.X; x++ {
			if luminance(img, x, y) < darkThreshold {
				dark++
			}
		}
	}
	if dark == 0 {
		t.Error("bottom quarter of the PNG has no dark pixels, so node b is missing")
	}
}

// TestRenderPNGDrawsRecordSeparators checks the two-point polylines that
// separate the fields of a record node, which oksvg skips unless they are
// rewritten as paths.
func TestRenderPNGDrawsRecordSeparators(t *testing.T) {
	layout, img := renderBoth(t, `digraph { r [shape=record, label="left|middle|right"]; }`)

	separators := layout.polylinesByName["r"]
	if len(separators) != 2 {
		t.Fatalf("SVG has %d polylines for record node r, want 2: %v", len(separators), separators)
	}
	for i, numbers := range separators {
		if len(numbers) != 4 {
			t.Fatalf("separator %d has numbers %v, want one line of two points", i, numbers)
		}
		midX, midY := (numbers[0]+numbers[2])/2, (numbers[1]+numbers[3])/2
		px, py := layout.pixelOf(img, midX, midY)
		if got := darkestNear(img, px, py, 1); got > darkThreshold {
			t.Errorf("separator %d near pixel (%.0f, %.0f) has luminance %.2f, want at most %.2f",
				i, px, py, got, darkThreshold)
		}
	}
}

// TestRenderPNGGradientStops checks that gradient stop colors given in a
// style attribute are used: a fill from red to red must come out red, not
// the black that oksvg uses for a gradient without stops.
func TestRenderPNGGradientStops(t *testing.T) {
	layout, img := renderBoth(t, `digraph { g [shape=box, style=filled, fillcolor="red:red", label=""]; }`)
	minX, minY, maxX, maxY := layout.box(t, "g")
	px, py := layout.pixelOf(img, (minX+maxX)/2, (minY+maxY)/2)

	r, g, b, _ := img.At(int(px), int(py)).RGBA()
	if r>>8 < 200 || g>>8 > 60 || b>>8 > 60 {
		t.Errorf("center of gradient-filled node is RGB(%d, %d, %d), want red", r>>8, g>>8, b>>8)
	}
}

func TestRenderPNGTransparentColors(t *testing.T) {
	dot := `digraph {
		bgcolor=transparent;
		a [style=filled, fillcolor=yellow, color=transparent, fontcolor=transparent];
		a -> b [label=x, fontcolor=transparent];
	}`
	pngData, err := Render(context.Background(), []byte(dot), PNG)
	if err != nil {
		t.Fatalf("Render(PNG) of a graph with transparent colors: %v", err)
	}
	img, err := png.Decode(bytes.NewReader(pngData))
	if err != nil {
		t.Fatalf("decode PNG output: %v", err)
	}
	if _, _, _, alpha := img.At(0, 0).RGBA(); alpha != 0 {
		t.Errorf("corner pixel alpha = %d, want 0 for bgcolor=transparent", alpha)
	}
}

func TestExpandStyle(t *testing.T) {
	attrs := []xml.Attr{
		{Name: xml.Name{Local: "offset"}, Value: "0"},
		{Name: xml.Name{Local: "stop-color"}, Value: "green"},
		{Name: xml.Name{Local: "style"}, Value: "stop-color:yellow; stop-opacity:1.;;bad"},
	}
	got := expandStyle(attrs)
	want := map[string]string{"offset": "0", "stop-color": "yellow", "stop-opacity": "1."}
	if len(got) != len(want) {
		t.Errorf("expandStyle returned %d attributes %v, want %d", len(got), got, len(want))
	}
	for _, attr := range got {
		if value, ok := want[attr.Name.Local]; !ok || value != attr.Value {
			t.Errorf("attribute %s=%q, want %q", attr.Name.Local, attr.Value, want[attr.Name.Local])
		}
	}
}

func TestPolylineAsPath(t *testing.T) {
	tok := xml.StartElement{Name: xml.Name{Local: "polyline"}, Attr: []xml.Attr{
		{Name: xml.Name{Local: "stroke"}, Value: "black"},
		{Name: xml.Name{Local: "points"}, Value: "576.25,-42.51 576.25,-78.31\n1,2"},
	}}
	got := polylineAsPath(tok)
	if got.Name.Local != "path" {
		t.Errorf("element name = %q, want path", got.Name.Local)
	}
	want := []xml.Attr{
		{Name: xml.Name{Local: "stroke"}, Value: "black"},
		{Name: xml.Name{Local: "d"}, Value: "M576.25,-42.51 L576.25,-78.31 L1,2"},
	}
	if len(got.Attr) != len(want) {
		t.Fatalf("attributes = %v, want %v", got.Attr, want)
	}
	for i := range want {
		if got.Attr[i] != want[i] {
			t.Errorf("attribute %d = %v, want %v", i, got.Attr[i], want[i])
		}
	}
}

func TestPrepareSVGReplacesText(t *testing.T) {
	svg := `<?xml version="1.0" encoding="UTF-8"?>
<svg viewBox="0 0 100 50" xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">
<g transform="translate(4 46)"><a xlink:href="x"><text text-anchor="middle" x="40" y="-20" font-family="monospace" font-size="10.00" fill="red">a &amp; b</text></a>
<polygon fill="transparent" stroke="black" points="0,0 1,1 2,0"/></g>
</svg>`
	prepared, err := prepareSVG([]byte(svg))
	if err != nil {
		t.Fatalf("prepareSVG: %v", err)
	}
	got := string(prepared)
	for _, forbidden := range []string{"<text", "font-family", "transparent"} {
		if strings.Contains(got, forbidden) {
			t.Errorf("prepared SVG contains %q:\n%s", forbidden, got)
		}
	}
	for _, required := range []string{`<path fill="red" fill-rule="nonzero" d="M`, `xlink:href="x"`, `fill="none" stroke="black"`, `stroke-width="1"`} {
		if !strings.Contains(got, required) {
			t.Errorf("prepared SVG does not contain %q:\n%s", required, got)
		}
	}
	if err := xml.Unmarshal(prepared, new(struct{})); err != nil {
		t.Errorf("prepared SVG is not well-formed XML: %v\n%s", err, got)
	}
}

// outlineBounds returns the horizontal extent of SVG path data written by
// textOutline, whose commands are followed by x y pairs.
func outlineBounds(t *testing.T, d string) (minX, maxX float64) {
	t.Helper()
	minX, maxX = math.Inf(1), math.Inf(-1)
	fields := strings.Fields(strings.NewReplacer("M", " ", "L", " ", "Q", " ", "C", " ", "Z", " ").Replace(d))
	if len(fields)%2 != 0 {
		t.Fatalf("path data %q has an odd count of coordinates", d)
	}
	for i := 0; i < len(fields); i += 2 {
		x, err := strconv.ParseFloat(fields[i], 64)
		if err != nil {
			t.Fatalf("parse x %q: %v", fields[i], err)
		}
		minX, maxX = min(minX, x), max(maxX, x)
	}
	return minX, maxX
}

func TestTextOutlineAnchors(t *testing.T) {
	// Go Mono advances every glyph by 0.6 em, so "HHHH" at 10 units is 24
	// units wide, and each H sits about 0.5 units inside its advance.
	const x, width = 100.0, 24.0
	cases := []struct {
		anchor     string
		wantMinX   float64
		wantMaxX   float64
		toleranceX float64
	}{
		{"start", x, x + width, 1.5},
		{"middle", x - width/2, x + width/2, 1.5},
		{"end", x - width, x, 1.5},
	}
	for _, tc := range cases {
		style := textStyle{x: x, y: 50, anchor: tc.anchor, fontFamily: "monospace", fontSize: 10}
		d, err := textOutline(style, "HHHH")
		if err != nil {
			t.Fatalf("textOutline(anchor %s): %v", tc.anchor, err)
		}
		minX, maxX := outlineBounds(t, d)
		if math.Abs(minX-tc.wantMinX) > tc.toleranceX {
			t.Errorf("anchor %s: outline starts at x=%.2f, want %.2f", tc.anchor, minX, tc.wantMinX)
		}
		if math.Abs(maxX-tc.wantMaxX) > tc.toleranceX {
			t.Errorf("anchor %s: outline ends at x=%.2f, want %.2f", tc.anchor, maxX, tc.wantMaxX)
		}
	}
}

func TestTextOutlineCollapsesSpace(t *testing.T) {
	style := textStyle{anchor: "start", fontFamily: "monospace", fontSize: 10}
	spaced, err := textOutline(style, "  a \n\t b  ")
	if err != nil {
		t.Fatal(err)
	}
	plain, err := textOutline(style, "a b")
	if err != nil {
		t.Fatal(err)
	}
	if spaced != plain {
		t.Errorf("outline of %q differs from outline of %q", "  a \n\t b  ", "a b")
	}
	blank, err := textOutline(style, " \n ")
	if err != nil {
		t.Fatal(err)
	}
	if blank != "" {
		t.Errorf("outline of blank text = %q, want empty", blank)
	}
}

func TestFontKeyFor(t *testing.T) {
	cases := []struct {
		family, weight, style string
		want                  fontKey
	}{
		{"monospace", "", "", fontKey{monospace: true}},
		{"Courier,monospace", "bold", "", fontKey{monospace: true, bold: true}},
		{"Times,serif", "", "italic", fontKey{italic: true}},
		{"Helvetica,sans-Serif", "700", "oblique", fontKey{bold: true, italic: true}},
		{"'DejaVu Sans Mono'", "400", "normal", fontKey{monospace: true}},
	}
	for _, tc := range cases {
		got := fontKeyFor(textStyle{fontFamily: tc.family, fontWeight: tc.weight, fontStyle: tc.style})
		if got != tc.want {
			t.Errorf("fontKeyFor(%q, %q, %q) = %+v, want %+v", tc.family, tc.weight, tc.style, got, tc.want)
		}
	}
}

func TestPNGSize(t *testing.T) {
	width, height, err := pngSize(516.15, 493.6, 96)
	if err != nil {
		t.Fatal(err)
	}
	if width != 688 || height != 658 {
		t.Errorf("pngSize(516.15, 493.6, 96) = %dx%d, want 688x658", width, height)
	}

	width, height, err = pngSize(64.84, 116, 144)
	if err != nil {
		t.Fatal(err)
	}
	if width != 130 || height != 232 {
		t.Errorf("pngSize(64.84, 116, 144) = %dx%d, want 130x232", width, height)
	}

	width, height, err = pngSize(100000, 50000, 96)
	if err != nil {
		t.Fatal(err)
	}
	if width*height > maxPNGPixels {
		t.Errorf("pngSize(100000, 50000, 96) = %dx%d, more than %d pixels", width, height, maxPNGPixels)
	}
	if ratio := float64(width) / float64(height); math.Abs(ratio-2) > 0.01 {
		t.Errorf("pngSize(100000, 50000, 96) = %dx%d, aspect ratio %.3f, want 2", width, height, ratio)
	}

	invalid := [][3]float64{
		{0, 10, 96},
		{10, -1, 96},
		{math.NaN(), 10, 96},
		{math.Inf(1), 10, 96},
		{10, 10, 0},
		{10, 10, math.NaN()},
	}
	for _, size := range invalid {
		if _, _, err := pngSize(size[0], size[1], size[2]); err == nil {
			t.Errorf("pngSize(%g, %g, %g) returned no error", size[0], size[1], size[2])
		}
	}
}

// TestRenderPNGConcurrent runs rasterization, which happens outside the
// Graphviz lock, from several goroutines. Run it with -race.
func TestRenderPNGConcurrent(t *testing.T) {
	const workers = 4
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for i := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			dot := fmt.Sprintf(`digraph { node [shape=box, fontname="monospace"]; n%d -> end }`, i)
			pngData, err := Render(context.Background(), []byte(dot), PNG)
			if err != nil {
				errs <- fmt.Errorf("worker %d: %w", i, err)
				return
			}
			if _, err := png.Decode(bytes.NewReader(pngData)); err != nil {
				errs <- fmt.Errorf("worker %d: decode PNG: %w", i, err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// counterexampleDOT is a two-step counterexample in the form klpcheck
// writes, with multi-line monospace labels on nodes and edges.
const counterexampleDOT = `digraph counterexample {
	label="klpcheck: S11 no free inside the patch's own sysfs handler\lkernel 958ef1e, patches 1, tasks 1, functions 1, mutant M3, 2 steps\l";
	labelloc=t;
	fontname="monospace";
	node [shape=box, fontname="monospace", fontsize=10];
	edge [fontname="monospace", fontsize=10];
	s0 [label="state 0\lklp_patches=[]\lT0: undefined\l"];
	s1 [label="state 1\lklp_patches=[P0]\lP0: loaded ref=1 enabled sysfs\lT0: undefined\lfunc_stack(f0)=[P0]\l"];
	s2 [label="state 2\lklp_patches=[]\lP0: loaded ref=0 freed\lT0: undefined\l"];
	s0 -> s1 [label="1. insmod(P0)\lklp_enable_patch()\lListLen: 0 → 1\lPatches[0].Loaded: false → true\lPatches[0].Ref: 0 → 1\lPatches[0].Enabled: false → true\lPatches[0].Sysfs: false → true\lFuncStacks[0].Len: 0 → 1\l"];
	s1 -> s2 [color="red", label="2. echo 0 > P0/enabled\lenabled_store()\lListLen: 1 → 0\lPatches[0].Ref: 1 → 0\lPatches[0].Enabled: true → false\lPatches[0].Sysfs: true → false\lPatches[0].Freed: false → true\lFuncStacks[0].Len: 1 → 0\lS11 violated: echo 0 > P0/enabled ran klp_free_patch_finish(P0) inside P0's own sysfs handler: self-deadlock\l", penwidth="2"];
}`

// BenchmarkRenderPNG measures PNG rendering: the Graphviz SVG render plus
// rasterization and PNG encoding.
func BenchmarkRenderPNG(b *testing.B) {
	inputs := []struct {
		name string
		dot  []byte
	}{
		{"chain-10", chainDOT(10)},
		{"counterexample-2-steps", []byte(counterexampleDOT)},
	}
	ctx := context.Background()
	for _, input := range inputs {
		b.Run(input.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := Render(ctx, input.dot, PNG); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
