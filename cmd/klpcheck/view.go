package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/klpcheck/klpcheck/internal/atomicfile"
	"github.com/klpcheck/klpcheck/render"
)

const viewUsage = `usage: klpcheck view [-o OUTPUT] FILE.dot

View renders a Graphviz DOT file, such as the trace.dot that "klpcheck
explore" writes, to SVG or PNG. Graphviz runs inside klpcheck, compiled to
WebAssembly, so neither the dot program nor a Graphviz library needs to be
installed. Layout uses the dot engine, and only the first graph in the file
is drawn.

The extension of OUTPUT (.svg or .png) selects the format. Without -o the
picture is written as SVG beside the input: FILE.svg for FILE.dot or
FILE.gv, FILE.dot.svg for any other name. OUTPUT is replaced through a
temporary file and a rename, so it is never half-written.

Exit status: 0 rendered; 1 rendering or writing failed; 2 usage error, an
input file that cannot be read or is not valid DOT, or an invalid OUTPUT;
130 interrupted by SIGINT or SIGTERM before the output was written.
`

func runView(args []string, stdout, stderr io.Writer) (int, error) {
	var output string
	fs := newFlagSet("view", viewUsage)
	fs.StringVar(&output, "o", "", "output `file`, ending in .svg or .png; default: the input's name with .svg")
	positional, err := fs.parseInterspersed(args, stdout)
	if err != nil {
		return exitUsage, err
	}
	switch len(positional) {
	case 0:
		return exitUsage, usagef("missing the DOT file to render: usage: klpcheck view [-o OUTPUT] FILE.dot")
	case 1:
	default:
		return exitUsage, usagef("unexpected argument %q: give one DOT file", positional[1])
	}
	input := positional[0]
	if output == "" {
		output = defaultViewOutput(input)
	}
	format, err := checkViewOutput(input, output)
	if err != nil {
		return exitUsage, err
	}
	dot, err := os.ReadFile(input)
	if err != nil {
		return exitUsage, usagef("cannot read %q: %v", input, unwrapPathError(err))
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	picture, err := render.Render(ctx, dot, format)
	if err != nil {
		if ctx.Err() != nil {
			return exitInterrupted, errors.New("interrupted; no output written")
		}
		// package render documents this prefix for input that is not DOT.
		if msg, ok := strings.CutPrefix(err.Error(), "render: could not parse DOT"); ok {
			return exitUsage, usagef("%q is not valid DOT%s", input, msg)
		}
		return exitViolation, err
	}
	if ctx.Err() != nil {
		return exitInterrupted, errors.New("interrupted; no output written")
	}
	err = atomicfile.Write(output, func(w *os.File) error {
		_, err := w.Write(picture)
		return err
	})
	if err != nil {
		return exitViolation, err
	}
	fmt.Fprintln(stdout, output)
	return exitOK, nil
}

// defaultViewOutput returns the SVG path beside input: the .dot or .gv
// extension replaced by .svg, or .svg appended to any other name.
func defaultViewOutput(input string) string {
	ext := filepath.Ext(input)
	switch strings.ToLower(ext) {
	case ".dot", ".gv":
		return strings.TrimSuffix(input, ext) + ".svg"
	}
	return input + ".svg"
}

// checkViewOutput returns the format that output's extension selects, and
// rejects an output that is the input, is a directory, or lies in a
// directory that is missing or takes no new file.
func checkViewOutput(input, output string) (render.Format, error) {
	ext := filepath.Ext(output)
	format, err := render.ParseFormat(strings.TrimPrefix(ext, "."))
	if err != nil || ext == "" {
		return "", usagef("invalid -o %q: the name must end in .svg or .png", output)
	}
	if filepath.Clean(input) == filepath.Clean(output) {
		return "", usagef("invalid -o %q: it is the input file", output)
	}
	dir := filepath.Dir(output)
	info, err := os.Stat(dir)
	if err != nil {
		return "", usagef("invalid -o %q: directory %q: %v", output, dir, unwrapPathError(err))
	}
	if !info.IsDir() {
		return "", usagef("invalid -o %q: %q is not a directory", output, dir)
	}
	if info, err := os.Stat(output); err == nil && info.IsDir() {
		return "", usagef("invalid -o %q: it is a directory; name a file in it", output)
	}
	// The picture is written through a temporary file in dir, so a
	// directory that takes no new file, such as a read-only one or a
	// pseudo-file system, makes OUTPUT invalid before rendering starts.
	probe, err := os.CreateTemp(dir, "."+filepath.Base(output)+".probe-*")
	if err != nil {
		return "", usagef("invalid -o %q: cannot create a file in directory %q: %v", output, dir, unwrapPathError(err))
	}
	probe.Close()
	os.Remove(probe.Name())
	return format, nil
}

// unwrapPathError drops the operation and path from a *fs.PathError,
// because the messages that use it name the path already.
func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
