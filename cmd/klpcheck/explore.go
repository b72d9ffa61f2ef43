package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"syscall"

	"github.com/klpcheck/klpcheck/counterexamples"
	"github.com/klpcheck/klpcheck/explore"
	"github.com/klpcheck/klpcheck/internal/atomicfile"
	"github.com/klpcheck/klpcheck/model"
)

const exploreUsage = `usage: klpcheck explore [flags]

Explore runs a breadth-first search over every interleaving of the model's
actions (module loads and unloads, sysfs writes, the transition work,
free_work and task events) from the initial state, and checks every safety
property on every state and step.

When a property fails, it prints the shortest counterexample as text and
writes it as Graphviz DOT to trace.dot under --out. When a bound stops the
search first, the verdict is "bounded", never "verified".

The search runs on --workers goroutines and gives the same counts, verdict
and trace for any number of them. With --symmetry (the default) it treats
states that differ only in the order of their tasks as one, so "distinct
states" counts such classes; verdicts and counterexample lengths are the
same as with --symmetry=false. The visited set stores a 64-bit fingerprint
per state, and the summary estimates the probability that a fingerprint
collision hid a state; --exact stores whole states instead.

Exit status: 0 every property holds within the bounds; 1 a property failed;
2 usage error; 3 a bound (--max-depth, --max-states or --memory) was reached
without a verdict; 130 interrupted.
`

// exploreFlags are the parsed flags of the explore command.
type exploreFlags struct {
	opts       explore.Options
	out        string
	json       bool
	cpuProfile string
}

func parseExploreFlags(args []string, stderr io.Writer) (exploreFlags, error) {
	var (
		f                exploreFlags
		kernel, mutant   string
		patches, tasks   int
		functions, depth int
		states, workers  int
		memory           string
	)
	def := model.DefaultConfig()
	fs := newFlagSet("explore", exploreUsage, stderr)
	fs.StringVar(&kernel, "kernel", def.Kernel.String(), "livepatch core generation to model: 958ef1e")
	fs.IntVar(&patches, "patches", def.Patches, fmt.Sprintf("number of livepatch modules, 1 to %d", model.MaxPatches))
	fs.IntVar(&tasks, "tasks", def.Tasks, fmt.Sprintf("number of tasks, 1 to %d", model.MaxTasks))
	fs.IntVar(&functions, "functions", def.Functions, fmt.Sprintf("number of patched functions, 1 to %d; a task inside f0 may call f1", model.MaxFunctions))
	fs.StringVar(&mutant, "mutant", "none", `seeded bug to switch in (see "klpcheck mutants")`)
	fs.IntVar(&depth, "max-depth", 0, "do not expand states more than this many steps from the initial state; 0 means no limit")
	fs.IntVar(&states, "max-states", 0, "stop after storing this many distinct states; 0 means no limit")
	fs.IntVar(&workers, "workers", runtime.NumCPU(), "number of goroutines that explore states; the result does not depend on it")
	fs.BoolVar(&f.opts.Symmetry, "symmetry", true, "explore one state per class of states that differ only in the order of their tasks")
	fs.BoolVar(&f.opts.Exact, "exact", false, "store whole states instead of 64-bit fingerprints, so that no collision can hide a state (about 4 times the memory)")
	fs.StringVar(&memory, "memory", "", "memory for the visited set and frontier, in bytes or with a unit such as 64MiB or 2GiB; reaching it ends the run as bounded (default: 3/4 of available memory)")
	fs.StringVar(&f.out, "out", "klpcheck-out", "directory that receives the counterexample (trace.dot, trace.txt)")
	fs.BoolVar(&f.json, "json", false, "print the result as one JSON object instead of text")
	fs.StringVar(&f.cpuProfile, "cpuprofile", "", "write a CPU profile of the search to this file, for go tool pprof")
	if err := parseFlags(fs, args); err != nil {
		return f, err
	}

	if err := checkRange("patches", patches, 1, model.MaxPatches); err != nil {
		return f, err
	}
	if err := checkRange("tasks", tasks, 1, model.MaxTasks); err != nil {
		return f, err
	}
	if err := checkRange("functions", functions, 1, model.MaxFunctions); err != nil {
		return f, err
	}
	if err := checkRange("max-depth", depth, 0, math.MaxUint16-1); err != nil {
		return f, err
	}
	if err := checkRange("max-states", states, 0, math.MaxInt32); err != nil {
		return f, err
	}
	k, err := model.ParseKernel(kernel)
	if err != nil {
		return f, usagef("invalid --kernel: %v", err)
	}
	m, err := model.ParseMutant(mutant)
	if err != nil {
		return f, usagef("invalid --mutant: %v", err)
	}
	if err := checkRange("workers", workers, 1, 1024); err != nil {
		return f, err
	}
	var limit int64
	if memory != "" {
		if limit, err = explore.ParseBytes(memory); err != nil {
			return f, usagef("invalid --memory: %v", err)
		}
		if limit <= 0 {
			return f, usagef("invalid --memory %q: must be more than 0 bytes", memory)
		}
	}
	if f.out == "" {
		return f, usagef("invalid --out \"\": must name a directory")
	}

	f.opts.Config = model.Config{Kernel: k, Patches: patches, Tasks: tasks, Functions: functions, Mutant: m}
	f.opts.MaxDepth = depth
	f.opts.MaxStates = states
	f.opts.Workers = workers
	f.opts.MemoryLimit = limit
	return f, nil
}

func runExplore(args []string, stdout, stderr io.Writer) (int, error) {
	f, err := parseExploreFlags(args, stderr)
	if err != nil {
		return exitUsage, err
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if f.cpuProfile != "" {
		stopProfile, err := startCPUProfile(f.cpuProfile)
		if err != nil {
			return exitViolation, err
		}
		defer stopProfile()
	}
	res, err := explore.Run(ctx, f.opts)
	if err != nil {
		return exitUsage, usageError{err}
	}

	var x *counterexamples.Counterexample
	dotFile := ""
	if res.Violation != nil {
		x = counterexamples.New(f.opts.Config, res.Violation)
		dotFile, err = writeCounterexample(f.out, x)
		if err != nil {
			return exitViolation, err
		}
	}

	if f.json {
		err = printJSON(stdout, f.opts, res, dotFile)
	} else {
		err = printSummary(stdout, f.opts, res, x, dotFile)
	}
	if err != nil {
		return exitViolation, err
	}

	switch res.Verdict {
	case explore.Violated:
		return exitViolation, nil
	case explore.Bounded:
		return exitBounded, nil
	case explore.Interrupted:
		return 130, nil
	}
	return exitOK, nil
}

// startCPUProfile starts writing a CPU profile to path and returns the
// function that stops it.
func startCPUProfile(path string) (func(), error) {
	file, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("create CPU profile: %w", err)
	}
	if err := pprof.StartCPUProfile(file); err != nil {
		file.Close()
		return nil, fmt.Errorf("start CPU profile: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		if err := file.Close(); err != nil {
			fmt.Fprintf(os.Stderr, "klpcheck: close CPU profile %s: %v\n", path, err)
		}
	}, nil
}

// writeCounterexample writes trace.dot and trace.txt under dir and returns
// the path of the DOT file.
func writeCounterexample(dir string, x *counterexamples.Counterexample) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("create output directory: %w", err)
	}
	dot := filepath.Join(dir, "trace.dot")
	if err := atomicfile.Write(dot, func(w *os.File) error { return x.WriteDOT(w) }); err != nil {
		return "", err
	}
	txt := filepath.Join(dir, "trace.txt")
	if err := atomicfile.Write(txt, func(w *os.File) error { return x.WriteText(w) }); err != nil {
		return "", err
	}
	return dot, nil
}

func printSummary(w io.Writer, opts explore.Options, res *explore.Result, x *counterexamples.Counterexample, dotFile string) error {
	c := opts.Config
	fmt.Fprintf(w, "klpcheck: kernel %s, patches %d, tasks %d, functions %d, mutant %s\n",
		c.Kernel, c.Patches, c.Tasks, c.Functions, c.Mutant)
	if x != nil {
		fmt.Fprintln(w)
		if err := x.WriteText(w); err != nil {
			return err
		}
		fmt.Fprintf(w, "\ncounterexample written to %s (render with: dot -Tsvg %s)\n\n", dotFile, dotFile)
	}
	fmt.Fprintf(w, "verdict: %s", res.Verdict)
	switch {
	case res.Violation != nil:
		fmt.Fprintf(w, " (%s %s)", res.Violation.ID, res.Violation.Name)
	case res.Verdict == explore.Bounded:
		fmt.Fprintf(w, " (stopped by %s)", res.BoundReason)
	}
	fmt.Fprintln(w)

	states := "distinct states"
	if res.Symmetry {
		states = "distinct states (up to task order)"
	}
	fmt.Fprintf(w, "%s: %d\ntransitions: %d\nmax depth: %d\nseconds: %.3f\nstates per second: %.0f\n",
		states, res.DistinctStates, res.Transitions, res.MaxDepth, res.Elapsed.Seconds(), res.StatesPerSecond())

	fmt.Fprintf(w, "workers: %d, symmetry: %t, exact: %t\n", res.Workers, res.Symmetry, res.Exact)
	fmt.Fprintf(w, "visited set: %s, %.1f bytes per state\n", formatBytes(res.VisitedBytes), res.BytesPerState)
	if !res.Exact {
		fmt.Fprintf(w, "fingerprint collision probability: %.2g (estimate; --exact rules collisions out)\n", res.CollisionProbability)
	}
	fmt.Fprintf(w, "peak memory: %s accounted (limit %s), %s resident\n",
		formatBytes(res.PeakMemory), formatBytes(res.MemoryLimit), formatBytes(explore.PeakRSS()))

	for _, wt := range res.Witnesses {
		if wt.Reached {
			fmt.Fprintf(w, "witness %s (%s): reached at depth %d\n", wt.ID, wt.Name, wt.Depth)
		} else {
			fmt.Fprintf(w, "witness %s (%s): NOT reached\n", wt.ID, wt.Name)
		}
	}
	return nil
}

// jsonResult is the --json output. Field names are a stable interface.
type jsonResult struct {
	Verdict         string        `json:"verdict"`
	Kernel          string        `json:"kernel"`
	Patches         int           `json:"patches"`
	Tasks           int           `json:"tasks"`
	Functions       int           `json:"functions"`
	Mutant          string        `json:"mutant"`
	DistinctStates  int           `json:"distinct_states"`
	Transitions     int           `json:"transitions"`
	MaxDepth        int           `json:"max_depth"`
	Seconds         float64       `json:"seconds"`
	StatesPerSecond float64       `json:"states_per_second"`
	Workers         int           `json:"workers"`
	Symmetry        bool          `json:"symmetry"`
	Exact           bool          `json:"exact"`
	VisitedBytes    int64         `json:"visited_bytes"`
	BytesPerState   float64       `json:"bytes_per_state"`
	CollisionProb   float64       `json:"collision_probability"`
	MemoryLimit     int64         `json:"memory_limit_bytes"`
	PeakAccounted   int64         `json:"peak_accounted_bytes"`
	PeakRSS         int64         `json:"peak_rss_bytes"`
	BoundReason     string        `json:"bound_reason,omitempty"`
	Property        string        `json:"property,omitempty"`
	PropertyName    string        `json:"property_name,omitempty"`
	Detail          string        `json:"detail,omitempty"`
	TraceLength     int           `json:"trace_length,omitempty"`
	DotFile         string        `json:"dot_file,omitempty"`
	Witnesses       []jsonWitness `json:"witnesses"`
}

type jsonWitness struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Reached bool   `json:"reached"`
	Depth   int    `json:"depth,omitempty"`
}

func printJSON(w io.Writer, opts explore.Options, res *explore.Result, dotFile string) error {
	c := opts.Config
	out := jsonResult{
		Verdict:         string(res.Verdict),
		Kernel:          c.Kernel.String(),
		Patches:         c.Patches,
		Tasks:           c.Tasks,
		Functions:       c.Functions,
		Mutant:          c.Mutant.String(),
		DistinctStates:  res.DistinctStates,
		Transitions:     res.Transitions,
		MaxDepth:        res.MaxDepth,
		Seconds:         res.Elapsed.Seconds(),
		StatesPerSecond: res.StatesPerSecond(),
		Workers:         res.Workers,
		Symmetry:        res.Symmetry,
		Exact:           res.Exact,
		VisitedBytes:    res.VisitedBytes,
		BytesPerState:   res.BytesPerState,
		CollisionProb:   res.CollisionProbability,
		MemoryLimit:     res.MemoryLimit,
		PeakAccounted:   res.PeakMemory,
		PeakRSS:         explore.PeakRSS(),
		BoundReason:     res.BoundReason,
		DotFile:         dotFile,
		Witnesses:       []jsonWitness{},
	}
	if v := res.Violation; v != nil {
		out.Property, out.PropertyName, out.Detail = v.ID, v.Name, v.Detail
		out.TraceLength = len(v.Trace.Steps)
	}
	for _, wt := range res.Witnesses {
		out.Witnesses = append(out.Witnesses, jsonWitness{ID: wt.ID, Name: wt.Name, Reached: wt.Reached, Depth: wt.Depth})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// formatBytes returns n in the largest binary unit that keeps it at least 1.
func formatBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	v, i := float64(n), 0
	for v >= unit && i < 4 {
		v /= unit
		i++
	}
	return fmt.Sprintf("%.1f %s", v, [...]string{"B", "KiB", "MiB", "GiB", "TiB"}[i])
}
