package render

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"image"
	"image/png"
	"io"
	"math"
	"strings"

	"github.com/srwiley/oksvg"
	"github.com/srwiley/rasterx"
)

// PNG output is rasterized in Go from Graphviz's SVG output instead of
// coming from go-graphviz's own PNG renderer. go-graphviz v0.2.10 reads the
// int "filled" argument of Graphviz's polygon, ellipse and bezier callbacks
// with int(stack[i]) instead of api.DecodeI32. On linux/amd64, wazero
// v1.10.1's compiled code leaves the upper 32 bits of that 64-bit stack
// slot nonzero, so every shape arrives as filled. Node outlines and edge
// curves are then filled with the fill color instead of stroked, and only
// text and arrowheads show. go-graphviz's renderer also never strokes the
// outline of a filled shape.

// pngDPI is the resolution of Graphviz's PNG output for graphs that set no
// dpi attribute. SVG coordinates are points, 72 per inch.
const pngDPI = 96

// maxPNGPixels bounds the image buffer to 256 MiB of RGBA. Larger pictures
// are scaled down to fit, keeping their aspect ratio.
const maxPNGPixels = 1 << 26

// rasterizeSVG draws an SVG document written by Graphviz and returns it as
// PNG at graphDPI dots per inch, or at pngDPI if graphDPI is 0. Shapes are
// drawn by oksvg and rasterx. Text, which oksvg skips, is first converted
// to glyph outlines in the embedded Go fonts. <image> elements are skipped.
func rasterizeSVG(svg []byte, graphDPI float64) (out []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("render: rasterize PNG: SVG rasterizer panicked: %v", r)
		}
	}()

	prepared, err := prepareSVG(svg)
	if err != nil {
		return nil, fmt.Errorf("render: rasterize PNG: %w", err)
	}
	icon, err := oksvg.ReadIconStream(bytes.NewReader(prepared), oksvg.IgnoreErrorMode)
	if err != nil {
		return nil, fmt.Errorf("render: rasterize PNG: read SVG: %w", err)
	}

	widthPoints, heightPoints := icon.ViewBox.W, icon.ViewBox.H
	dpi := float64(pngDPI)
	if graphDPI > 0 {
		dpi = graphDPI
		// For a graph with a dpi attribute, Graphviz 12.1.2 scales the
		// drawing by dpi/72 but leaves the viewBox in points, which would
		// cut the picture off. The viewBox is scaled to match.
		icon.ViewBox.W *= dpi / 72
		icon.ViewBox.H *= dpi / 72
	}
	width, height, err := pngSize(widthPoints, heightPoints, dpi)
	if err != nil {
		return nil, fmt.Errorf("render: rasterize PNG: %w", err)
	}
	icon.SetTarget(0, 0, float64(width), float64(height))
	// The image starts transparent, so a graph with bgcolor=transparent
	// stays transparent. Graphviz otherwise draws a white background.
	img := image.NewRGBA(image.Rect(0, 0, width, height))
	icon.Draw(rasterx.NewDasher(width, height, newBoundedScanner(img)), 1)

	// BestSpeed is faster than the default level. For the two-step M3
	// counterexample it also wrote the smaller file, 87 KB against 93 KB.
	var buf bytes.Buffer
	encoder := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := encoder.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("render: encode PNG: %w", err)
	}
	return buf.Bytes(), nil
}

// pngSize converts a picture size in points to a pixel size at dpi, scaled
// down to at most maxPNGPixels.
func pngSize(widthPoints, heightPoints, dpi float64) (width, height int, err error) {
	if !(widthPoints > 0 && heightPoints > 0) || math.IsInf(widthPoints*heightPoints, 0) {
		return 0, 0, fmt.Errorf("SVG has invalid viewBox size %gx%g", widthPoints, heightPoints)
	}
	if !(dpi > 0) || math.IsInf(dpi, 0) {
		return 0, 0, fmt.Errorf("invalid resolution %g dpi", dpi)
	}
	scale := dpi / 72
	width = max(1, int(math.Round(widthPoints*scale)))
	height = max(1, int(math.Round(heightPoints*scale)))
	if pixels := widthPoints * heightPoints * scale * scale; pixels > maxPNGPixels {
		// Rounding down keeps the product within the limit.
		scale *= math.Sqrt(maxPNGPixels / pixels)
		width = max(1, int(widthPoints*scale))
		height = max(1, int(heightPoints*scale))
	}
	return width, height, nil
}

// prepareSVG rewrites Graphviz's SVG so that oksvg draws what a browser
// draws. It works around these gaps in oksvg v0.0.0-20221011165216:
//
//   - oksvg does not render text, so each <text> element becomes a <path>
//     with the glyph outlines.
//   - oksvg rejects the color "transparent", so it becomes "none".
//   - oksvg defaults to stroke width 2 and bevel joins, so the root element
//     gets SVG's defaults, width 1 and miter joins.
//   - oksvg skips a <polyline> of two points, such as the field separators
//     of record nodes, so each <polyline> becomes the equivalent <path>.
//   - oksvg reads a gradient <stop> color only from attributes, so the
//     stop's style declarations become attributes.
//
// Comments are dropped. Everything else is copied.
//
// NOTE: oksvg places userSpaceOnUse gradients, which Graphviz writes for
// gradient fills such as fillcolor="yellow:blue", in pixel coordinates
// without the group transform and output scale, so the color ramp is
// shifted and compressed. Solid fills are not affected.
func prepareSVG(svg []byte) ([]byte, error) {
	decoder := xml.NewDecoder(bytes.NewReader(svg))
	var out bytes.Buffer
	sawRoot := false
	for {
		token, err := decoder.RawToken()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("parse Graphviz SVG: %w", err)
		}
		switch tok := token.(type) {
		case xml.StartElement:
			if tok.Name.Space == "" && tok.Name.Local == "text" {
				if err := writeTextAsPath(&out, decoder, tok); err != nil {
					return nil, err
				}
				continue
			}
			switch {
			case !sawRoot && tok.Name.Local == "svg":
				sawRoot = true
				tok.Attr = append([]xml.Attr{
					{Name: xml.Name{Local: "stroke-width"}, Value: "1"},
					{Name: xml.Name{Local: "stroke-linejoin"}, Value: "miter"},
				}, tok.Attr...)
			case tok.Name.Space == "" && tok.Name.Local == "polyline":
				tok = polylineAsPath(tok)
			case tok.Name.Space == "" && tok.Name.Local == "stop":
				tok.Attr = expandStyle(tok.Attr)
			}
			writeStartElement(&out, tok)
		case xml.EndElement:
			if tok.Name.Space == "" && tok.Name.Local == "polyline" {
				tok.Name.Local = "path"
			}
			out.WriteString("</" + qualifiedName(tok.Name) + ">")
		case xml.CharData:
			if err := xml.EscapeText(&out, tok); err != nil {
				return nil, err
			}
		case xml.ProcInst:
			out.WriteString("<?" + tok.Target + " " + string(tok.Inst) + "?>")
		case xml.Directive:
			out.WriteString("<!" + string(tok) + ">")
		}
	}
	if !sawRoot {
		return nil, errors.New("parse Graphviz SVG: no <svg> element")
	}
	return out.Bytes(), nil
}

// writeTextAsPath consumes the rest of the <text> element start and writes
// a <path> that fills its glyph outlines. The path keeps the element's
// other attributes, such as fill, fill-opacity and transform.
func writeTextAsPath(out *bytes.Buffer, decoder *xml.Decoder, start xml.StartElement) error {
	var content strings.Builder
	for depth := 1; depth > 0; {
		token, err := decoder.RawToken()
		if err != nil {
			return fmt.Errorf("parse Graphviz SVG <text>: %w", err)
		}
		switch tok := token.(type) {
		case xml.StartElement:
			depth++
		case xml.EndElement:
			depth--
		case xml.CharData:
			content.Write(tok)
		}
	}

	attrs := make(map[string]string, len(start.Attr))
	for _, attr := range start.Attr {
		if attr.Name.Space == "" {
			attrs[attr.Name.Local] = attr.Value
		}
	}
	style, err := parseTextStyle(attrs)
	if err != nil {
		return err
	}
	outline, err := textOutline(style, content.String())
	if err != nil {
		return fmt.Errorf("outline text %q: %w", content.String(), err)
	}
	if outline == "" {
		return nil
	}

	path := xml.StartElement{Name: xml.Name{Local: "path"}}
	for _, attr := range start.Attr {
		if attr.Name.Space == "" && isTextOnlyAttribute(attr.Name.Local) {
			continue
		}
		path.Attr = append(path.Attr, attr)
	}
	// Glyph contours rely on the nonzero rule, whatever a parent sets.
	path.Attr = append(path.Attr,
		xml.Attr{Name: xml.Name{Local: "fill-rule"}, Value: "nonzero"},
		xml.Attr{Name: xml.Name{Local: "d"}, Value: outline},
	)
	writeStartElement(out, path)
	out.WriteString("</path>")
	return nil
}

// polylineAsPath converts a <polyline> start tag to a <path> that draws the
// same open line: "M" to the first point, then "L" to each later one.
func polylineAsPath(tok xml.StartElement) xml.StartElement {
	path := xml.StartElement{Name: xml.Name{Local: "path"}}
	for _, attr := range tok.Attr {
		if attr.Name.Space != "" || attr.Name.Local != "points" {
			path.Attr = append(path.Attr, attr)
			continue
		}
		coordinates := strings.FieldsFunc(attr.Value, func(r rune) bool {
			return r == ',' || r == ' ' || r == '\t' || r == '\n' || r == '\r'
		})
		var d strings.Builder
		for i := 0; i+1 < len(coordinates); i += 2 {
			command := "L"
			if i == 0 {
				command = "M"
			}
			d.WriteString(command + coordinates[i] + "," + coordinates[i+1] + " ")
		}
		path.Attr = append(path.Attr, xml.Attr{Name: xml.Name{Local: "d"}, Value: strings.TrimSpace(d.String())})
	}
	return path
}

// expandStyle turns the declarations of a style attribute, such as
// "stop-color:yellow;stop-opacity:1.;", into attributes. As in CSS, a
// declaration overrides an attribute of the same name.
func expandStyle(attrs []xml.Attr) []xml.Attr {
	declared := map[string]string{}
	var order []string
	for _, attr := range attrs {
		if attr.Name.Space != "" || attr.Name.Local != "style" {
			continue
		}
		for _, declaration := range strings.Split(attr.Value, ";") {
			name, value, ok := strings.Cut(declaration, ":")
			name, value = strings.TrimSpace(name), strings.TrimSpace(value)
			if !ok || name == "" {
				continue
			}
			if _, seen := declared[name]; !seen {
				order = append(order, name)
			}
			declared[name] = value
		}
	}

	expanded := make([]xml.Attr, 0, len(attrs)+len(order))
	for _, attr := range attrs {
		if _, overridden := declared[attr.Name.Local]; attr.Name.Space == "" && (overridden || attr.Name.Local == "style") {
			continue
		}
		expanded = append(expanded, attr)
	}
	for _, name := range order {
		expanded = append(expanded, xml.Attr{Name: xml.Name{Local: name}, Value: declared[name]})
	}
	return expanded
}

// writeStartElement writes tok as a start tag, replacing the color
// "transparent" with "none".
func writeStartElement(out *bytes.Buffer, tok xml.StartElement) {
	out.WriteString("<" + qualifiedName(tok.Name))
	for _, attr := range tok.Attr {
		value := attr.Value
		if attr.Name.Space == "" && isPaintAttribute(attr.Name.Local) && strings.EqualFold(strings.TrimSpace(value), "transparent") {
			value = "none"
		}
		out.WriteString(" " + qualifiedName(attr.Name) + `="`)
		// EscapeText cannot fail when writing to a bytes.Buffer.
		_ = xml.EscapeText(out, []byte(value))
		out.WriteString(`"`)
	}
	out.WriteString(">")
}

// isPaintAttribute reports whether an attribute holds a fill or stroke
// paint. Graphviz writes a transparent gradient stop as black with
// stop-opacity 0, so stop colors need no rewrite.
func isPaintAttribute(name string) bool {
	return name == "fill" || name == "stroke"
}

// qualifiedName returns a name from RawToken as written in the input:
// RawToken keeps the namespace prefix, not the namespace URL, in Space.
func qualifiedName(name xml.Name) string {
	if name.Space == "" {
		return name.Local
	}
	return name.Space + ":" + name.Local
}
