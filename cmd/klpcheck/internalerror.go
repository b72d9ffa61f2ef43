package main

import (
	"fmt"
	"io"
	"path/filepath"
	"runtime"
	"strings"
)

// recoverInternalError, deferred at the top of a command, turns a panic into
// one line on stderr and exit status 1, so that users see a request to
// report the bug instead of a Go stack trace. The line names the innermost
// klpcheck function that was running.
func recoverInternalError(code *int, stderr io.Writer) {
	r := recover()
	if r == nil {
		return
	}
	where := ""
	if fn := panicLocation(); fn != "" {
		where = " in " + fn
	}
	fmt.Fprintf(stderr, "klpcheck: internal error: %s%s; please report it with the command line and the version (%s)\n",
		oneLine(fmt.Sprint(r)), where, versionString())
	*code = exitViolation
}

// panicLocation returns "package.Function (file.go:line)" for the innermost
// frame of this module on the stack of the panicking goroutine, or "" if
// there is none. It must be called from the deferred function that recovered.
func panicLocation() string {
	pcs := make([]uintptr, 64)
	n := runtime.Callers(3, pcs)
	frames := runtime.CallersFrames(pcs[:n])
	const module = "github.com/klpcheck/klpcheck/"
	for {
		f, more := frames.Next()
		ours := strings.HasPrefix(f.Function, module) || strings.HasPrefix(f.Function, "main.")
		if ours && !strings.HasSuffix(f.Function, "recoverInternalError") {
			return fmt.Sprintf("%s (%s:%d)", strings.TrimPrefix(f.Function, module), filepath.Base(f.File), f.Line)
		}
		if !more {
			return ""
		}
	}
}
