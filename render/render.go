package render

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/goccy/go-graphviz"

	"github.com/klpcheck/klpcheck/internal/wasmcache"
)

// init runs after go-graphviz's init, which this package imports, so the
// temporary TMPDIR that wasmcache set for it can be put back here.
func init() { wasmcache.Restore() }

// Format is an output image format that Render can produce.
type Format string

// Supported output formats. The string values are Graphviz's -T names.
const (
	SVG Format = "svg"
	PNG Format = "png"
)

// validFormats lists the accepted format names in the order used in error
// messages.
const validFormats = "svg, png"

// ParseFormat converts a format name such as "svg" or "PNG" to a Format.
// Case is ignored. Any other name is an error.
func ParseFormat(name string) (Format, error) {
	switch strings.ToLower(name) {
	case string(SVG):
		return SVG, nil
	case string(PNG):
		return PNG, nil
	}
	return "", fmt.Errorf("render: unknown format %q: valid formats are %s", name, validFormats)
}

var (
	// engineMu serializes every call into Graphviz. go-graphviz v0.2.10 runs
	// one shared WebAssembly instance per process and does no locking of
	// its own, so concurrent calls race on its memory.
	engineMu sync.Mutex

	// engine creates the Graphviz context on first use and caches it, or
	// the error, for the life of the process.
	engine = sync.OnceValues(newEngine)
)

func newEngine() (gv *graphviz.Graphviz, err error) {
	err = guard("set up Graphviz", func() error {
		// Setup is shared by every later caller, so it runs on a context
		// that no single caller can cancel.
		var setupErr error
		gv, setupErr = graphviz.New(context.Background())
		return setupErr
	})
	if err != nil {
		return nil, fmt.Errorf("render: %w", err)
	}
	return gv, nil
}

// Render lays out the DOT source with Graphviz's dot engine and returns the
// picture in the requested format. Graphviz runs in-process as WebAssembly,
// so no dot binary, C library or cgo is needed. PNG output is Graphviz's SVG
// output rasterized in Go at the graph's dpi attribute, 96 by default, with
// text in the embedded Go fonts.
//
// Graphviz calls are serialized, so Render is safe for concurrent use, but
// only PNG rasterization runs in parallel. ctx is checked before the work
// starts, again after the lock is acquired and, for PNG, before
// rasterizing. A Graphviz call that has started runs to completion because
// go-graphviz v0.2.10 offers no way to interrupt the WebAssembly call.
//
// Invalid DOT returns an error that starts with "render: could not parse
// DOT" and contains Graphviz's message. A panic inside go-graphviz is
// recovered and returned as an error.
func Render(ctx context.Context, dot []byte, format Format) ([]byte, error) {
	if _, err := ParseFormat(string(format)); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	if format != PNG {
		out, err := renderGraphviz(ctx, dot, format)
		return out.data, err
	}

	svg, err := renderGraphviz(ctx, dot, SVG)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return rasterizeSVG(svg.data, svg.dpi)
}

// graphvizOutput is the result of one Graphviz render.
type graphvizOutput struct {
	data []byte
	// dpi is the graph's dpi attribute, or 0 if the graph sets none.
	dpi float64
}

// renderGraphviz renders dot with Graphviz in one of Graphviz's own output
// formats.
func renderGraphviz(ctx context.Context, dot []byte, format Format) (graphvizOutput, error) {
	gv, err := engine()
	if err != nil {
		return graphvizOutput{}, err
	}

	engineMu.Lock()
	defer engineMu.Unlock()
	if err := ctx.Err(); err != nil {
		return graphvizOutput{}, err
	}

	var out graphvizOutput
	err = guard("render "+string(format), func() error {
		var renderErr error
		out, renderErr = renderLocked(ctx, gv, dot, format)
		return renderErr
	})
	if err != nil {
		return graphvizOutput{}, err
	}
	return out, nil
}

// renderLocked parses and renders one graph. The caller must hold engineMu.
func renderLocked(ctx context.Context, gv *graphviz.Graphviz, dot []byte, format Format) (out graphvizOutput, err error) {
	// Graphviz keeps its last error message until the next error, and
	// go-graphviz v0.2.10 reports that message whenever a parse yields no
	// graph. Input without a graph would therefore show an older call's
	// message, so the common empty case is rejected here.
	if len(bytes.TrimSpace(dot)) == 0 {
		return graphvizOutput{}, errors.New("render: could not parse DOT: input is empty")
	}
	graph, err := graphviz.ParseBytes(dot)
	if err != nil {
		// NOTE: for input that contains only comments, this message can come
		// from an earlier failed call in the same process.
		message := strings.TrimSpace(err.Error())
		return graphvizOutput{}, fmt.Errorf("render: could not parse DOT: %s", message)
	}
	if graph == nil {
		return graphvizOutput{}, errors.New("render: could not parse DOT: input contains no graph")
	}
	defer func() {
		if closeErr := graph.Close(); closeErr != nil && err == nil {
			err = fmt.Errorf("render: failed to free parsed graph: %w", closeErr)
		}
	}()

	var buf bytes.Buffer
	if err := gv.Render(ctx, graph, graphviz.Format(format), &buf); err != nil {
		return graphvizOutput{}, fmt.Errorf("render: Graphviz %s output failed: %w", format, err)
	}
	if buf.Len() == 0 {
		return graphvizOutput{}, fmt.Errorf("render: Graphviz produced empty %s output", format)
	}
	return graphvizOutput{data: buf.Bytes(), dpi: graphDPI(graph)}, nil
}

// graphDPI returns the graph's dpi attribute, or its synonym resolution,
// and 0 when neither holds a positive number.
func graphDPI(graph *graphviz.Graph) float64 {
	for _, name := range []string{"dpi", "resolution"} {
		value, err := strconv.ParseFloat(strings.TrimSpace(graph.GetStr(name)), 64)
		if err == nil && value > 0 && !math.IsInf(value, 0) {
			return value
		}
	}
	return 0
}

// guard runs fn and converts a panic into an error that names op.
//
// NOTE: after a recovered panic the shared WebAssembly instance may hold
// inconsistent state, so later renders in the same process can fail too.
func guard(op string, fn func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%s: go-graphviz panicked: %v", op, r)
		}
	}()
	return fn()
}

// RenderFile reads the DOT file at dotPath, renders it in the format given
// by outPath's extension (.svg or .png, any case), and replaces outPath
// with the result.
//
// The output is written to a temporary file in outPath's directory, synced,
// closed and then renamed over outPath, so readers see either the old file
// or the complete new one. The temporary file is removed on any failure.
// The directory itself is not synced, so a crash right after RenderFile
// returns can still lose the rename.
func RenderFile(ctx context.Context, dotPath, outPath string) error {
	format, err := formatFromPath(outPath)
	if err != nil {
		return err
	}

	dot, err := os.ReadFile(dotPath)
	if err != nil {
		return fmt.Errorf("render: read DOT file: %w", err)
	}

	out, err := Render(ctx, dot, format)
	if err != nil {
		return fmt.Errorf("%w (input %s)", err, dotPath)
	}
	return writeFileAtomic(outPath, out)
}

// formatFromPath returns the Format named by path's extension.
func formatFromPath(path string) (Format, error) {
	ext := filepath.Ext(path)
	if ext == "" {
		return "", fmt.Errorf("render: output file %q has no extension: use .svg or .png", path)
	}
	format, err := ParseFormat(strings.TrimPrefix(ext, "."))
	if err != nil {
		return "", fmt.Errorf("render: output file %q has unsupported extension %q: use .svg or .png", path, ext)
	}
	return format, nil
}

// outputFileMode is the permission of files written by RenderFile.
// os.CreateTemp creates files with mode 0600, and File.Chmod does not apply
// the umask.
const outputFileMode = 0o644

// writeFileAtomic replaces path with data through a temporary file in the
// same directory, so the final rename stays on one file system.
func writeFileAtomic(path string, data []byte) (err error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("render: create temporary output file: %w", err)
	}
	tmpName := tmp.Name()
	closed := false
	defer func() {
		if err == nil {
			return
		}
		if !closed {
			_ = tmp.Close()
		}
		_ = os.Remove(tmpName)
	}()

	if _, err := tmp.Write(data); err != nil {
		return fmt.Errorf("render: write %s: %w", tmpName, err)
	}
	if err := tmp.Chmod(outputFileMode); err != nil {
		return fmt.Errorf("render: chmod %s: %w", tmpName, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("render: sync %s: %w", tmpName, err)
	}
	closed = true
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("render: close %s: %w", tmpName, err)
	}
	if err := os.Rename(tmpName, path); err != nil {
		return fmt.Errorf("render: replace output file: %w", err)
	}
	return nil
}
