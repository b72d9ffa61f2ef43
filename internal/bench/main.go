// Command bench measures klpcheck explore on a list of bounds and prints a
// Markdown table: distinct states, transitions, seconds, states per second,
// bytes per stored state and peak memory, with symmetry on and off and
// with 1 and 2 workers. `make bench` runs it.
//
// Each row runs the klpcheck binary named by -klpcheck in its own process,
// so that its peak resident memory (VmHWM, read by the child) covers that
// row alone. Rows run one after another, because two at once would share
// the CPUs and bias both. The last column is the CPU time of the reported
// run divided by its wall time, including process start and setup. With 2
// workers it is below 2 when the search waits between phases, or when
// other processes on the machine took a share of the CPUs.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"strings"
	"time"
)

// row is one measured configuration.
type row struct {
	patches, tasks, functions int
	symmetry                  bool
	workers                   int
}

func (r row) args() []string {
	return []string{
		"explore", "--json", "--out", os.TempDir(),
		"--patches", fmt.Sprint(r.patches), "--tasks", fmt.Sprint(r.tasks), "--functions", fmt.Sprint(r.functions),
		fmt.Sprintf("--symmetry=%t", r.symmetry), "--workers", fmt.Sprint(r.workers),
	}
}

// result holds the fields of klpcheck's --json output that the table shows.
type result struct {
	Verdict        string  `json:"verdict"`
	DistinctStates int     `json:"distinct_states"`
	Transitions    int     `json:"transitions"`
	MaxDepth       int     `json:"max_depth"`
	Seconds        float64 `json:"seconds"`
	StatesPerSec   float64 `json:"states_per_second"`
	BytesPerState  float64 `json:"bytes_per_state"`
	CollisionProb  float64 `json:"collision_probability"`
	PeakRSS        int64   `json:"peak_rss_bytes"`
	PeakAccounted  int64   `json:"peak_accounted_bytes"`

	// CPUSeconds is the user and system CPU time of the process.
	CPUSeconds float64 `json:"-"`
}

// parseBounds parses "P/T/F" triples separated by commas.
func parseBounds(s string) ([][3]int, error) {
	var out [][3]int
	for _, part := range strings.Split(s, ",") {
		var b [3]int
		if _, err := fmt.Sscanf(strings.TrimSpace(part), "%d/%d/%d", &b[0], &b[1], &b[2]); err != nil {
			return nil, fmt.Errorf("invalid bound %q: want patches/tasks/functions such as 3/3/2", part)
		}
		out = append(out, b)
	}
	return out, nil
}

func main() {
	log.SetFlags(0)
	log.SetPrefix("bench: ")
	var (
		binary    = flag.String("klpcheck", "bin/klpcheck", "path of the klpcheck binary to measure")
		bounds    = flag.String("bounds", "3/2/2,3/3/2", "bounds to measure with symmetry on and off, as patches/tasks/functions separated by commas")
		symBounds = flag.String("symmetry-bounds", "4/3/2", "further bounds to measure with symmetry on only")
		workers   = flag.String("workers", "1,2", "worker counts to measure, separated by commas")
		timeout   = flag.Duration("timeout", 15*time.Minute, "stop a row that runs longer than this and report it as timed out")
		runs      = flag.Int("runs", 1, "run each row this many times and report the fastest run, which other load on the machine disturbs least")
	)
	flag.Parse()

	var rows []row
	ws, err := parseInts(*workers)
	if err != nil {
		log.Fatal(err)
	}
	add := func(spec string, symmetries []bool) {
		if spec == "" {
			return
		}
		bs, err := parseBounds(spec)
		if err != nil {
			log.Fatal(err)
		}
		for _, b := range bs {
			for _, sym := range symmetries {
				for _, w := range ws {
					rows = append(rows, row{b[0], b[1], b[2], sym, w})
				}
			}
		}
	}
	add(*bounds, []bool{false, true})
	add(*symBounds, []bool{true})

	if *runs < 1 {
		log.Fatalf("invalid -runs %d: must be 1 or more", *runs)
	}

	fmt.Println("| bounds (P/T/F) | symmetry | workers | verdict | distinct states | transitions | max depth | seconds | states/s | bytes/state | peak RSS | collision probability | cores used |")
	fmt.Println("| --- | --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
	for _, r := range rows {
		name := fmt.Sprintf("| %d/%d/%d | %s | %d |", r.patches, r.tasks, r.functions, onOff(r.symmetry), r.workers)
		var best *result
		var err error
		for range *runs {
			var res *result
			if res, err = measure(*binary, r, *timeout); err != nil {
				break
			}
			if best == nil || res.Seconds < best.Seconds {
				best = res
			}
		}
		if err != nil {
			fmt.Printf("%s %s | | | | | | | | | |\n", name, err)
			continue
		}
		fmt.Printf("%s %s | %d | %d | %d | %.1f | %.0f | %.1f | %.0f MiB | %.1g | %.2f |\n",
			name, best.Verdict, best.DistinctStates, best.Transitions, best.MaxDepth, best.Seconds,
			best.StatesPerSec, best.BytesPerState, float64(best.PeakRSS)/(1<<20), best.CollisionProb,
			best.CPUSeconds/best.Seconds)
	}
}

// measure runs one row and decodes its JSON result. Exit statuses 1 and 3
// (violated, bounded) still carry a result.
func measure(binary string, r row, timeout time.Duration) (*result, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, r.args()...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		return nil, fmt.Errorf("timed out after %s", timeout)
	}
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		return nil, fmt.Errorf("run %s: %w", binary, err)
	}
	var res result
	if err := json.NewDecoder(io.LimitReader(&stdout, 1<<20)).Decode(&res); err != nil {
		return nil, fmt.Errorf("failed (%v): %s", err, strings.TrimSpace(stderr.String()))
	}
	res.CPUSeconds = (cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()).Seconds()
	return &res, nil
}

func parseInts(s string) ([]int, error) {
	var out []int
	for _, part := range strings.Split(s, ",") {
		var n int
		if _, err := fmt.Sscanf(strings.TrimSpace(part), "%d", &n); err != nil || n < 1 {
			return nil, fmt.Errorf("invalid worker count %q: want a positive integer", part)
		}
		out = append(out, n)
	}
	return out, nil
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}
