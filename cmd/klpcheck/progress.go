package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"golang.org/x/term"

	"github.com/klpcheck/klpcheck/explore"
)

// progressPrinter writes explore's progress reports to stderr. On a
// terminal it rewrites one status line in place and clears it at the end.
// Elsewhere, such as a pipe or a CI log, it writes one plain line per
// report.
type progressPrinter struct {
	mu           sync.Mutex
	w            io.Writer
	tty          bool
	width        int // terminal columns, or 0 when unknown
	prev         explore.Progress
	lineOnScreen bool   // a status line is on the terminal
	phase        string // prefix of each line, such as "possibility pass: ", or ""
}

// newProgressPrinter returns a printer for w, in terminal mode when w is a
// terminal.
func newProgressPrinter(w io.Writer) *progressPrinter {
	p := &progressPrinter{w: w}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		p.tty = true
		if width, _, err := term.GetSize(int(f.Fd())); err == nil {
			p.width = width
		}
	}
	return p
}

// report prints one progress report. It is safe for concurrent use.
func (p *progressPrinter) report(pr explore.Progress) {
	p.mu.Lock()
	defer p.mu.Unlock()
	line := p.phase + formatProgress(pr, p.prev)
	p.prev = pr
	if !p.tty {
		fmt.Fprintf(p.w, "klpcheck: progress: %s\n", line)
		return
	}
	// A line longer than the terminal wraps, and \r then returns only to
	// the start of the last row, so the status line is cut to fit.
	if p.width > 1 && len(line) >= p.width {
		line = line[:p.width-1]
	}
	fmt.Fprintf(p.w, "\r%s\x1b[K", line)
	p.lineOnScreen = true
}

// startPhase marks the reports that follow as those of another search, such
// as the possibility pass, whose counts and elapsed time start again from 0.
// Each line then starts with name.
func (p *progressPrinter) startPhase(name string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.phase = name + ": "
	p.prev = explore.Progress{}
}

// finish clears the terminal status line, if one is shown. Call it before
// printing anything else.
func (p *progressPrinter) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.lineOnScreen {
		fmt.Fprint(p.w, "\r\x1b[K")
		p.lineOnScreen = false
	}
}

// formatProgress formats pr as one line. The rate is measured since the
// previous report prev, or since the start for the first report.
func formatProgress(pr, prev explore.Progress) string {
	states, elapsed := pr.DistinctStates-prev.DistinctStates, pr.Elapsed-prev.Elapsed
	rate := 0.0
	if elapsed > 0 {
		rate = float64(states) / elapsed.Seconds()
	}
	return fmt.Sprintf("depth %d, %d states, %d queued, %.0f states/s, %.0f B/state, %s elapsed",
		pr.Depth, pr.DistinctStates, pr.Queued, rate, pr.BytesPerState, pr.Elapsed.Round(time.Second))
}
