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
// # Limits
//
// Calls are serialized because go-graphviz shares one WebAssembly instance
// across the process. A started render cannot be canceled.
//
// NOTE: go-graphviz v0.2.10 never frees the buffer that Graphviz returns
// from gvRenderData, so each call keeps roughly its output size in memory
// for the life of the process. Measured: about 7 KB per call for a 10-node
// SVG and about 70 KB per call for a 100-node SVG. A process that renders
// thousands of large graphs should render in a child process instead.
package render
