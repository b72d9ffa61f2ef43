package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/klpcheck/klpcheck/counterexamples"
	"github.com/klpcheck/klpcheck/explore"
	"github.com/klpcheck/klpcheck/internal/atomicfile"
	"github.com/klpcheck/klpcheck/model"
	"github.com/klpcheck/klpcheck/render"
	"github.com/klpcheck/klpcheck/tracefile"
)

// outDir is the --out directory of explore.
type outDir struct {
	path    string
	created bool // the run created it, so it removes it again if it stays empty
}

// prepareOutDir creates dir if it is missing and checks that files can be
// created in it, so that a long run does not find out at the end that it
// cannot write its counterexample.
func prepareOutDir(dir string) (*outDir, error) {
	info, err := os.Stat(dir)
	switch {
	case err == nil && !info.IsDir():
		return nil, usagef("invalid --out %q: it exists and is not a directory", dir)
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return nil, usagef("invalid --out %q: %v", dir, unwrapPathError(err))
	}
	d := &outDir{path: dir, created: err != nil}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, usagef("invalid --out %q: cannot create the directory: %v", dir, err)
	}
	probe, err := os.CreateTemp(dir, ".klpcheck-probe-*")
	if err != nil {
		d.removeIfEmpty()
		return nil, usagef("invalid --out %q: cannot create files in it: %v", dir, err)
	}
	probe.Close()
	os.Remove(probe.Name())
	return d, nil
}

// removeIfEmpty removes the directory if this run created it and wrote
// nothing to it.
func (d *outDir) removeIfEmpty() {
	if d.created {
		os.Remove(d.path) // fails, as intended, when the directory is not empty
	}
}

// artefacts are the paths of the files written for one counterexample. SVG
// is empty when rendering failed.
type artefacts struct {
	Text, JSON, DOT, SVG string
}

// writeArtefacts writes trace.txt, trace.json, trace.dot and trace.svg for
// violation v to dir. Each file is written to a temporary file in dir and
// renamed, so an interrupted run leaves each file complete or absent. A
// failure to render the SVG is reported on stderr and leaves the other
// files, because "klpcheck view" can render trace.dot later.
//
// NOTE: the files are renamed one at a time, so a crash between two renames
// can leave a mix of this run's files and older ones in dir.
func writeArtefacts(ctx context.Context, dir string, c model.Config, v *explore.Violation, stderr io.Writer) (artefacts, error) {
	x := counterexamples.New(c, v)
	a := artefacts{
		Text: filepath.Join(dir, "trace.txt"),
		JSON: filepath.Join(dir, "trace.json"),
		DOT:  filepath.Join(dir, "trace.dot"),
	}
	if err := atomicfile.Write(a.Text, func(w *os.File) error { return x.WriteText(w) }); err != nil {
		return a, err
	}
	tf := tracefile.New(c, v, versionString())
	if err := atomicfile.Write(a.JSON, func(w *os.File) error { return tracefile.Write(w, tf) }); err != nil {
		return a, err
	}
	var dot bytes.Buffer
	if err := x.WriteDOT(&dot); err != nil {
		return a, err
	}
	if err := atomicfile.Write(a.DOT, func(w *os.File) error { _, err := w.Write(dot.Bytes()); return err }); err != nil {
		return a, err
	}

	// The counterexample is complete, so an interrupt that arrives now does
	// not stop the last file. Rendering a trace takes milliseconds.
	svg, err := render.Render(context.WithoutCancel(ctx), dot.Bytes(), render.SVG)
	if err != nil {
		fmt.Fprintf(stderr, "klpcheck: warning: could not render trace.svg: %s; render it later with: klpcheck view %s\n", oneLine(err.Error()), a.DOT)
		return a, nil
	}
	svgPath := filepath.Join(dir, "trace.svg")
	if err := atomicfile.Write(svgPath, func(w *os.File) error { _, err := w.Write(svg); return err }); err != nil {
		return a, err
	}
	a.SVG = svgPath
	return a, nil
}
