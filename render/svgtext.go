package render

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/gobolditalic"
	"golang.org/x/image/font/gofont/goitalic"
	"golang.org/x/image/font/gofont/gomono"
	"golang.org/x/image/font/gofont/gomonobold"
	"golang.org/x/image/font/gofont/gomonobolditalic"
	"golang.org/x/image/font/gofont/gomonoitalic"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
)

// fontKey is the style of one of the embedded Go fonts.
type fontKey struct {
	monospace, bold, italic bool
}

// goFontFiles maps each fontKey to TrueType data from golang.org/x/image.
// The Go fonts have no serif face, so serif families use Go Regular.
var goFontFiles = map[fontKey][]byte{
	{monospace: false, bold: false, italic: false}: goregular.TTF,
	{monospace: false, bold: true, italic: false}:  gobold.TTF,
	{monospace: false, bold: false, italic: true}:  goitalic.TTF,
	{monospace: false, bold: true, italic: true}:   gobolditalic.TTF,
	{monospace: true, bold: false, italic: false}:  gomono.TTF,
	{monospace: true, bold: true, italic: false}:   gomonobold.TTF,
	{monospace: true, bold: false, italic: true}:   gomonoitalic.TTF,
	{monospace: true, bold: true, italic: true}:    gomonobolditalic.TTF,
}

// goFonts parses the embedded fonts once. sfnt.Font methods are safe for
// concurrent use as long as each call passes its own sfnt.Buffer.
var goFonts = sync.OnceValues(func() (map[fontKey]*sfnt.Font, error) {
	fonts := make(map[fontKey]*sfnt.Font, len(goFontFiles))
	for key, data := range goFontFiles {
		parsed, err := sfnt.Parse(data)
		if err != nil {
			return nil, fmt.Errorf("parse embedded Go font %+v: %w", key, err)
		}
		fonts[key] = parsed
	}
	return fonts, nil
})

// textStyle is the subset of SVG text attributes that Graphviz writes and
// that changes the outline of a <text> element.
type textStyle struct {
	x, y       float64
	anchor     string // "start", "middle" or "end"
	fontFamily string
	fontSize   float64
	fontWeight string
	fontStyle  string
}

// isTextOnlyAttribute reports whether an attribute of <text> only affects
// glyph placement and so is dropped from the <path> that replaces it.
//
// NOTE: text-decoration and baseline-shift, which Graphviz writes for the
// <U>, <O>, <S>, <SUB> and <SUP> tags of HTML-like labels, are ignored, so
// such text has no line and sits on the baseline.
func isTextOnlyAttribute(name string) bool {
	switch name {
	case "x", "y", "dx", "dy", "text-anchor", "text-decoration", "baseline-shift":
		return true
	}
	return strings.HasPrefix(name, "font-")
}

// parseTextStyle reads the placement and font attributes of a <text>
// element. Missing values get the SVG defaults: position 0, anchor start,
// font size 16 user units (the CSS "medium" size).
func parseTextStyle(attrs map[string]string) (textStyle, error) {
	style := textStyle{
		anchor:     "start",
		fontFamily: attrs["font-family"],
		fontSize:   16,
		fontWeight: attrs["font-weight"],
		fontStyle:  attrs["font-style"],
	}
	numbers := []struct {
		name string
		dst  *float64
	}{
		{"x", &style.x},
		{"y", &style.y},
		{"font-size", &style.fontSize},
	}
	for _, number := range numbers {
		value, ok := attrs[number.name]
		if !ok {
			continue
		}
		parsed, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(value), "px"), 64)
		if err != nil {
			return textStyle{}, fmt.Errorf("invalid <text> attribute %s=%q: %w", number.name, value, err)
		}
		*number.dst = parsed
	}
	if anchor, ok := attrs["text-anchor"]; ok {
		style.anchor = anchor
	}
	return style, nil
}

// fontKeyFor picks the Go font for CSS font-family, font-weight and
// font-style values such as Graphviz writes: "monospace",
// "Courier,monospace" or "Times,serif" with weight "bold" and style
// "italic".
func fontKeyFor(style textStyle) fontKey {
	var key fontKey
	for _, family := range strings.Split(strings.ToLower(style.fontFamily), ",") {
		family = strings.Trim(strings.TrimSpace(family), `"'`)
		if strings.Contains(family, "mono") || strings.Contains(family, "courier") {
			key.monospace = true
			break
		}
	}
	switch weight := strings.ToLower(strings.TrimSpace(style.fontWeight)); weight {
	case "bold", "bolder":
		key.bold = true
	default:
		if number, err := strconv.Atoi(weight); err == nil && number >= 600 {
			key.bold = true
		}
	}
	switch strings.ToLower(strings.TrimSpace(style.fontStyle)) {
	case "italic", "oblique":
		key.italic = true
	}
	return key
}

// collapseSVGSpace applies SVG's default xml:space handling to text
// content: newlines are removed, tabs become spaces, leading and trailing
// spaces are dropped and runs of spaces become one. Graphviz writes a
// repeated space as U+00A0, which is kept.
func collapseSVGSpace(content string) string {
	content = strings.ReplaceAll(content, "\n", "")
	content = strings.ReplaceAll(content, "\r", "")
	content = strings.ReplaceAll(content, "\t", " ")
	return strings.Join(strings.FieldsFunc(content, func(r rune) bool { return r == ' ' }), " ")
}

// textOutline converts the content of one SVG <text> element to SVG path
// data that draws the same glyphs in an embedded Go font, in the user
// coordinates of the <text> element. It returns "" for text without glyphs.
func textOutline(style textStyle, content string) (string, error) {
	content = collapseSVGSpace(content)
	if content == "" || style.fontSize <= 0 {
		return "", nil
	}
	fonts, err := goFonts()
	if err != nil {
		return "", err
	}
	face := fonts[fontKeyFor(style)]

	// ppem is the font size in 1/64 user units, so glyph coordinates come
	// back in user units times 64.
	ppem := fixed.Int26_6(style.fontSize*64 + 0.5)
	var buf sfnt.Buffer
	type placedGlyph struct {
		index sfnt.GlyphIndex
		x     fixed.Int26_6
	}
	var glyphs []placedGlyph
	var advance fixed.Int26_6
	previous := sfnt.GlyphIndex(0)
	for i, r := range content {
		index, err := face.GlyphIndex(&buf, r)
		if err != nil {
			return "", fmt.Errorf("look up glyph for %q: %w", r, err)
		}
		if i > 0 {
			kern, err := face.Kern(&buf, previous, index, ppem, font.HintingNone)
			if err == nil {
				advance += kern
			} else if !errors.Is(err, sfnt.ErrNotFound) {
				return "", fmt.Errorf("kern %q: %w", r, err)
			}
		}
		glyphs = append(glyphs, placedGlyph{index: index, x: advance})
		width, err := face.GlyphAdvance(&buf, index, ppem, font.HintingNone)
		if err != nil {
			return "", fmt.Errorf("advance of glyph for %q: %w", r, err)
		}
		advance += width
		previous = index
	}

	originX := style.x
	switch style.anchor {
	case "middle":
		originX -= float64(advance) / 64 / 2
	case "end":
		originX -= float64(advance) / 64
	}

	var path pathWriter
	for _, glyph := range glyphs {
		segments, err := face.LoadGlyph(&buf, glyph.index, ppem, nil)
		if err != nil {
			return "", fmt.Errorf("load glyph %d: %w", glyph.index, err)
		}
		x := originX + float64(glyph.x)/64
		for _, segment := range segments {
			path.segment(segment, x, style.y)
		}
	}
	path.closeContour()
	return path.String(), nil
}

// pathWriter builds SVG path data from sfnt glyph segments. Each MoveTo
// starts a new contour, so the previous one is closed first.
type pathWriter struct {
	data     []byte
	inFigure bool
}

func (w *pathWriter) segment(segment sfnt.Segment, x, y float64) {
	var command byte
	var points int
	switch segment.Op {
	case sfnt.SegmentOpMoveTo:
		w.closeContour()
		w.inFigure = true
		command, points = 'M', 1
	case sfnt.SegmentOpLineTo:
		command, points = 'L', 1
	case sfnt.SegmentOpQuadTo:
		command, points = 'Q', 2
	case sfnt.SegmentOpCubeTo:
		command, points = 'C', 3
	default:
		return
	}
	w.data = append(w.data, command)
	for i := range points {
		point := segment.Args[i]
		w.data = append(w.data, ' ')
		w.data = strconv.AppendFloat(w.data, x+float64(point.X)/64, 'f', 3, 64)
		w.data = append(w.data, ' ')
		w.data = strconv.AppendFloat(w.data, y+float64(point.Y)/64, 'f', 3, 64)
	}
}

func (w *pathWriter) closeContour() {
	if w.inFigure {
		w.data = append(w.data, 'Z')
		w.inFigure = false
	}
}

func (w *pathWriter) String() string {
	return string(w.data)
}
