// Package render converts Graphviz DOT source, such as klpcheck's
// counterexample traces, to SVG or PNG without a system Graphviz install.
//
// Rendering uses github.com/goccy/go-graphviz v0.2.10, which embeds
// Graphviz 12.1.2 compiled to WebAssembly and runs it in-process with the
// pure-Go wazero runtime. The package therefore builds with CGO_ENABLED=0
// and needs neither the dot program nor libgvc at run time. Layout always
// uses the dot engine. When the input contains several graphs, only the first
// is rendered.
//
// # PNG output
//
// PNG is not taken from go-graphviz, whose PNG renderer drops node outlines
// and edge lines (see png.go). Instead Graphviz writes SVG, and the package
// rasterizes it in Go with github.com/srwiley/oksvg and
// github.com/srwiley/rasterx at 96 dpi, or at the graph's dpi attribute.
// oksvg does not draw text, so each text element is first converted to
// glyph outlines in the Go fonts from golang.org/x/image. Families whose
// names contain "mono" or "Courier" get Go Mono. All others, serif
// families included, get Go Regular, Bold or Italic.
//
// Graphviz sizes labels with its own estimate of text width. For the
// fontname "monospace" that estimate equals the one for Times-Roman, so
// monospace text, 0.6 em per character, comes out wider than the box
// Graphviz made for it, in the PNG as in the SVG drawn by librsvg 2.54.
// fontname="Courier" is estimated at 0.6 em and fits, and Graphviz writes it
// to SVG as font-family="Courier,monospace".
//
// # Startup and per-call cost
//
// go-graphviz compiles its WebAssembly module in a package init function,
// so every binary that links this package pays that cost at process start,
// whether or not it renders anything. go-graphviz caches the compiled code
// in $TMPDIR/go-graphviz (about 6 MB) and creates that directory if it is
// missing. Measured with GODEBUG=inittrace=1 on a 2-core Intel Xeon VM:
//
//   - init with an empty cache directory: 0.52 to 0.59 s, 38 MB allocated
//   - init with a filled cache directory: 21 ms, 4 MB allocated
//
// The Graphviz context is created lazily on the first Render call and then
// reused. On the same VM, the first Render of a 10-node chain took 3.1 ms
// including that setup, and later calls took 0.85 to 1.0 ms each
// (go test -run '^$' -bench RenderSVG -benchmem -count=3 ./render/).
//
// PNG costs more, because rasterization and PNG encoding follow the SVG
// render. On the same VM, a 10-node chain took 7.5 to 7.7 ms and the
// two-step counterexample in png_test.go took 28 to 30 ms, 12 MB allocated
// (go test -run '^$' -bench RenderPNG -benchmem -count=3 ./render/).
//
// # Limits
//
// Graphviz calls are serialized because go-graphviz shares one WebAssembly
// instance across the process. PNG rasterization runs after the lock is
// released. A started render cannot be canceled.
//
// A PNG larger than 2^26 pixels (256 MiB as RGBA) is scaled down to that
// size. PNG output skips embedded images, and gradient fills are drawn
// with the color ramp in the wrong place.
//
// NOTE: go-graphviz v0.2.10 never frees the buffer that Graphviz returns
// from gvRenderData, so each call keeps roughly its output size in memory
// for the life of the process. Measured: about 7 KB per call for a 10-node
// SVG and about 70 KB per call for a 100-node SVG. A process that renders
// thousands of large graphs should render in a child process instead.
package render
