package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"syscall"
	"time"

	"github.com/klpcheck/klpcheck/counterexamples"
	"github.com/klpcheck/klpcheck/explore"
	"github.com/klpcheck/klpcheck/model"
)

const exploreUsage = `usage: klpcheck explore [flags]

Explore runs a breadth-first search over every interleaving of the model's
actions (module loads and unloads, sysfs writes, the transition work,
free_work, task events and, with --targets, target module loads and
unloads) from the initial state, and checks every safety property on every
state and step.

When the safety search verifies, a second pass checks the possibility
properties such as L5 ("a patch never involved in a forced transition can
be removed after it is disabled"): it explores the state space again,
stores every edge, and reports the first state from which a required goal
can no longer be reached. --possibility=false skips that pass.

When a property fails, it prints the shortest counterexample as text and
writes it to the --out directory as trace.txt (text), trace.json (see
docs/trace-json.md), trace.dot (Graphviz DOT) and trace.svg (rendered
inside klpcheck, no Graphviz install needed). Each file is written to a
temporary file and renamed, so a file in --out is never half-written.
"klpcheck replay --trace DIR/trace.json" re-runs the trace later. When a
bound stops the search first, the verdict is "bounded", never "verified".

While the search runs, a progress line goes to stderr every
--progress-interval: the depth being expanded, the distinct states, the
states queued, the rate in states per second since the last line and the
estimated memory per state. On a terminal it is one line that updates in
place; otherwise one line per report. --quiet turns it off. The lines of
the possibility pass start with "possibility pass:", and its counts and
elapsed time start from 0. During its backward search for each patch,
the depth counts steps back from the goal states and the count of states
is the whole graph.

The summary gives the total seconds, which include the possibility pass,
and the seconds of the safety search alone.

The summary lists, per action kind, how often it was enabled and how often
it led to a new state. A run whose final verdict, after the possibility
pass, is verified or bounded warns on stderr about each kind that the
configuration has but the safety search never enabled, which points at a
model bug or bounds that are too small. SIGINT (Ctrl-C) or SIGTERM ends the search
and prints the summary so far with the verdict "interrupted".

The search runs on --workers goroutines and gives the same counts, verdict
and trace for any number of them. With --symmetry (the default) it treats
states that differ only in the order of their tasks as one, so "distinct
states" counts such classes; verdicts and counterexample lengths are the
same as with --symmetry=false. The visited set stores a 64-bit fingerprint
per state, and the summary estimates the probability that a fingerprint
collision hid a state; --exact stores whole states instead. --memory caps
the memory of the search; reaching it ends the run as bounded.

Exit status: 0 every property holds within the bounds; 1 a property failed,
or writing the results failed; 2 usage error; 3 a bound was reached without
a verdict; 130 interrupted by SIGINT or SIGTERM.
`

// exploreFlags are the parsed flags of the explore command.
type exploreFlags struct {
	opts        explore.Options
	out         string
	json        bool
	quiet       bool
	possibility bool
	cpuProfile  string
}

func parseExploreFlags(args []string, stdout io.Writer) (exploreFlags, error) {
	var (
		f                exploreFlags
		kernel, mutant   string
		patches, tasks   int
		functions, depth int
		states, targets  int
		workers          int
		memory           string
		callbacks, fail  bool
		interval         time.Duration
	)
	def := model.DefaultConfig()
	fs := newFlagSet("explore", exploreUsage)
	fs.StringVar(&kernel, "kernel", def.Kernel.String(), `livepatch core generation to model: "958ef1e" (Linux 5.1 series, no registration step) or "v5.0" (register API, global klp_forced)`)
	fs.IntVar(&patches, "patches", def.Patches, fmt.Sprintf("number of livepatch modules, 1 to %d", model.MaxPatches))
	fs.IntVar(&tasks, "tasks", def.Tasks, fmt.Sprintf("number of tasks, 1 to %d", model.MaxTasks))
	fs.IntVar(&functions, "functions", def.Functions, fmt.Sprintf("number of patched functions, 1 to %d; a task inside f0 may call f1", model.MaxFunctions))
	fs.IntVar(&targets, "targets", 0, fmt.Sprintf("number of target modules, 0 to %d; every patch has an object with one patched function in each", model.MaxTargets))
	fs.BoolVar(&callbacks, "callbacks", false, "give every object pre_patch, post_patch, pre_unpatch and post_unpatch callbacks")
	fs.BoolVar(&fail, "pre-patch-ret", false, "add an action that toggles a patch module's pre_patch_ret parameter, which makes its pre_patch callbacks fail with -ENODEV; needs --callbacks. On both modelled kernels a refused target module load then leaves the object bound, the stale obj->mod binding that commit 4ff96fb52c69 (v5.4) fixed, so the run reports S18")
	fs.BoolVar(&f.possibility, "possibility", true, "after a verified safety search, check the possibility properties (L5) in a second pass that stores every edge; false skips it")
	fs.StringVar(&mutant, "mutant", "none", "seeded bug to switch in, or none (see \"klpcheck mutants\")")
	fs.IntVar(&depth, "max-depth", 0, "do not expand states more than this many steps from the initial state; 0 means no limit")
	fs.IntVar(&states, "max-states", 0, "stop after storing this many distinct states; 0 means no limit")
	fs.IntVar(&workers, "workers", runtime.NumCPU(), "number of goroutines that explore states; the result does not depend on it")
	fs.BoolVar(&f.opts.Symmetry, "symmetry", true, "explore one state per class of states that differ only in the order of their tasks")
	fs.BoolVar(&f.opts.Exact, "exact", false, "store whole states instead of 64-bit fingerprints, so that no collision can hide a state; the visited set then takes about 7 times the memory (measured at 3 patches, 3 tasks, 2 functions)")
	fs.StringVar(&memory, "memory", "", "memory for the visited set and frontier, in bytes or with a unit such as 64MiB or 2GiB; reaching it ends the run as bounded (default: 3/4 of available memory)")
	fs.StringVar(&f.cpuProfile, "cpuprofile", "", "write a CPU profile of the search to this `file`, for go tool pprof")
	fs.StringVar(&f.out, "out", "klpcheck-out", "`directory` that receives trace.txt, trace.json, trace.dot and trace.svg for a failure; created if missing, and removed again if nothing was written to it")
	fs.BoolVar(&f.json, "json", false, "print the result as one JSON object instead of text")
	fs.DurationVar(&interval, "progress-interval", 2*time.Second, "time between progress lines on stderr, such as 500ms or 10s")
	fs.BoolVar(&f.quiet, "quiet", false, "print no progress lines")
	if err := fs.parse(args, stdout); err != nil {
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
	if interval <= 0 {
		return f, usagef("invalid --progress-interval %s: must be more than 0, such as 500ms or 10s; use --quiet to turn progress off", interval)
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
		// Below 1 MiB not even the first level's tables fit, and the run
		// would end bounded with no state explored.
		if limit < 1<<20 {
			return f, usagef("invalid --memory %q: must be at least 1MiB", memory)
		}
	}
	if f.out == "" {
		return f, usagef("invalid --out \"\": must name a directory")
	}

	f.opts.Config = model.Config{
		Kernel: k, Patches: patches, Tasks: tasks, Functions: functions, Mutant: m,
		Targets: targets, Callbacks: callbacks, PrePatchRet: fail,
	}
	f.opts.MaxDepth = depth
	f.opts.MaxStates = states
	f.opts.ProgressInterval = interval
	f.opts.Workers = workers
	f.opts.MemoryLimit = limit
	if err := checkExploreConfig(f.opts.Config); err != nil {
		return f, err
	}
	if err := f.opts.Config.Validate(); err != nil {
		return f, usageError{err}
	}
	return f, nil
}

func runExplore(args []string, stdout, stderr io.Writer) (int, error) {
	f, err := parseExploreFlags(args, stdout)
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
	return executeExplore(ctx, f, stdout, stderr)
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

// executeExplore runs the search that f describes until it ends or ctx is
// cancelled, writes the artefacts of a failure and prints the result.
func executeExplore(ctx context.Context, f exploreFlags, stdout, stderr io.Writer) (int, error) {
	dir, err := prepareOutDir(f.out)
	if err != nil {
		return exitUsage, err
	}
	defer dir.removeIfEmpty()

	opts := f.opts
	start := time.Now()
	var progress *progressPrinter
	if !f.quiet {
		progress = newProgressPrinter(stderr)
		opts.Progress = progress.report
	}
	res, err := explore.Run(ctx, opts)
	if progress != nil {
		progress.finish()
	}
	if err != nil {
		return exitUsage, usageError{err}
	}

	// The possibility pass runs only on a verified state space: a bounded
	// one could hide the path to a goal.
	var pres *explore.PossibilityResult
	if f.possibility && res.Verdict == explore.Verified {
		if progress != nil {
			progress.startPhase("possibility pass")
		}
		pres, err = explore.CheckPossibility(ctx, opts)
		if progress != nil {
			progress.finish()
		}
		if err != nil {
			return exitUsage, usageError{err}
		}
	}
	total := time.Since(start)
	violation := res.Violation
	if violation == nil && pres != nil {
		violation = pres.Violation
	}

	var (
		x     *counterexamples.Counterexample
		files artefacts
	)
	if violation != nil {
		x = counterexamples.New(opts.Config, violation)
		files, err = writeArtefacts(ctx, dir.path, opts.Config, violation, stderr)
		if err != nil {
			return exitViolation, fmt.Errorf("write the counterexample: %w", err)
		}
	}

	if f.json {
		err = printJSON(stdout, opts, res, pres, total, files)
	} else {
		err = printSummary(stdout, opts, res, pres, total, x, files)
	}
	if err != nil {
		return exitViolation, err
	}
	verdict := finalVerdict(res, pres)
	warnCoverage(stderr, opts.Config, res, verdict)

	switch verdict {
	case explore.Violated:
		return exitViolation, nil
	case explore.Bounded:
		return exitBounded, nil
	case explore.Interrupted:
		return exitInterrupted, nil
	}
	return exitOK, nil
}

// finalVerdict combines the safety search and the possibility pass: the
// pass decides only when the search verified, and then a bounded or
// interrupted pass leaves the run without a verdict too.
func finalVerdict(res *explore.Result, pres *explore.PossibilityResult) explore.Verdict {
	if res.Verdict == explore.Verified && pres != nil {
		return pres.Verdict
	}
	return res.Verdict
}

// printSummary prints the result as text. total is the time of the safety
// search and the possibility pass together.
func printSummary(w io.Writer, opts explore.Options, res *explore.Result, pres *explore.PossibilityResult, total time.Duration, x *counterexamples.Counterexample, files artefacts) error {
	fmt.Fprintf(w, "klpcheck: %s\n", opts.Config.String())
	if x != nil {
		fmt.Fprintln(w)
		if err := x.WriteText(w); err != nil {
			return err
		}
		fmt.Fprintf(w, "\ncounterexample written to:\n  %s\n  %s\n  %s\n", files.Text, files.JSON, files.DOT)
		if files.SVG != "" {
			fmt.Fprintf(w, "  %s\n", files.SVG)
		}
		fmt.Fprintf(w, "replay it with: klpcheck replay --trace %s\n\n", files.JSON)
	}
	verdict, violation := finalVerdict(res, pres), res.Violation
	if violation == nil && pres != nil {
		violation = pres.Violation
	}
	fmt.Fprintf(w, "verdict: %s", verdict)
	switch {
	case violation != nil:
		fmt.Fprintf(w, " (%s %s)", violation.ID, violation.Name)
	case res.Verdict == explore.Bounded:
		fmt.Fprintf(w, " (stopped by %s)", res.BoundReason)
	case res.Verdict == explore.Interrupted:
		fmt.Fprint(w, " (the counts below cover the search so far)")
	case verdict == explore.Bounded:
		fmt.Fprintf(w, " (the possibility pass was stopped by %s)", pres.BoundReason)
	case verdict == explore.Interrupted:
		fmt.Fprint(w, " (the safety search verified; the possibility pass was interrupted)")
	}
	fmt.Fprintln(w)
	states := "distinct states"
	if res.Symmetry {
		states = "distinct states (up to task order)"
	}
	fmt.Fprintf(w, "%s: %d\ntransitions: %d\nmax depth: %d\n", states, res.DistinctStates, res.Transitions, res.MaxDepth)
	fmt.Fprintf(w, "total seconds: %.3f\nsafety search seconds: %.3f\nstates per second: %.0f\n",
		total.Seconds(), res.Elapsed.Seconds(), res.StatesPerSecond())

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
	if pres != nil {
		fmt.Fprintf(w, "possibility %v: %s", pres.Properties, pres.Verdict)
		switch {
		case pres.Violation != nil:
			fmt.Fprintf(w, " (%s %s)", pres.Violation.ID, pres.Violation.Name)
		case pres.Verdict == explore.Bounded:
			fmt.Fprintf(w, " (stopped by %s)", pres.BoundReason)
		}
		fmt.Fprintf(w, "\npossibility pass: %d states, %d edges, %.3f seconds\n",
			pres.DistinctStates, pres.Edges, pres.Elapsed.Seconds())
	}
	return printCoverage(w, opts.Config, res)
}

// jsonResult is the --json output. Field names are a stable interface.
type jsonResult struct {
	Verdict         string         `json:"verdict"`
	Kernel          string         `json:"kernel"`
	Patches         int            `json:"patches"`
	Tasks           int            `json:"tasks"`
	Functions       int            `json:"functions"`
	Targets         int            `json:"targets"`
	Callbacks       bool           `json:"callbacks"`
	PrePatchRet     bool           `json:"pre_patch_ret"`
	Mutant          string         `json:"mutant"`
	DistinctStates  int            `json:"distinct_states"`
	Transitions     int            `json:"transitions"`
	MaxDepth        int            `json:"max_depth"`
	Seconds         float64        `json:"seconds"`        // the safety search alone, as before the possibility pass existed
	SafetySeconds   float64        `json:"safety_seconds"` // the same as seconds, under a clear name
	TotalSeconds    float64        `json:"total_seconds"`  // the safety search and the possibility pass
	StatesPerSecond float64        `json:"states_per_second"`
	Workers         int            `json:"workers"`
	Symmetry        bool           `json:"symmetry"`
	Exact           bool           `json:"exact"`
	VisitedBytes    int64          `json:"visited_bytes"`
	BytesPerState   float64        `json:"bytes_per_state"`
	CollisionProb   float64        `json:"collision_probability"`
	MemoryLimit     int64          `json:"memory_limit_bytes"`
	PeakAccounted   int64          `json:"peak_accounted_bytes"`
	PeakRSS         int64          `json:"peak_rss_bytes"`
	BoundReason     string         `json:"bound_reason,omitempty"`
	Property        string         `json:"property,omitempty"`
	PropertyName    string         `json:"property_name,omitempty"`
	Detail          string         `json:"detail,omitempty"`
	TraceLength     int            `json:"trace_length,omitempty"`
	DotFile         string         `json:"dot_file,omitempty"`
	SVGFile         string         `json:"svg_file,omitempty"`
	JSONFile        string         `json:"json_file,omitempty"`
	TextFile        string         `json:"text_file,omitempty"`
	Witnesses       []jsonWitness  `json:"witnesses"`
	Coverage        []jsonCoverage `json:"coverage"`
	// Possibility is the verdict of the possibility pass and
	// PossibilitySeconds its time, both absent when it did not run.
	Possibility        string  `json:"possibility,omitempty"`
	PossibilitySeconds float64 `json:"possibility_seconds,omitempty"`
}

type jsonWitness struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Reached bool   `json:"reached"`
	Depth   int    `json:"depth,omitempty"`
}

func printJSON(w io.Writer, opts explore.Options, res *explore.Result, pres *explore.PossibilityResult, total time.Duration, files artefacts) error {
	c := opts.Config
	out := jsonResult{
		Verdict:         string(res.Verdict),
		Kernel:          c.Kernel.String(),
		Patches:         c.Patches,
		Tasks:           c.Tasks,
		Functions:       c.Functions,
		Targets:         c.Targets,
		Callbacks:       c.Callbacks,
		PrePatchRet:     c.PrePatchRet,
		Mutant:          c.Mutant.String(),
		DistinctStates:  res.DistinctStates,
		Transitions:     res.Transitions,
		MaxDepth:        res.MaxDepth,
		Seconds:         res.Elapsed.Seconds(),
		SafetySeconds:   res.Elapsed.Seconds(),
		TotalSeconds:    total.Seconds(),
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
		DotFile:         files.DOT,
		SVGFile:         files.SVG,
		JSONFile:        files.JSON,
		TextFile:        files.Text,
		Witnesses:       []jsonWitness{},
		Coverage:        coverageJSON(res),
	}
	v := res.Violation
	out.Verdict = string(finalVerdict(res, pres))
	if pres != nil {
		out.Possibility = string(pres.Verdict)
		out.PossibilitySeconds = pres.Elapsed.Seconds()
		if v == nil {
			v = pres.Violation
		}
		if pres.Verdict == explore.Bounded && out.BoundReason == "" {
			out.BoundReason = pres.BoundReason
		}
	}
	if v != nil {
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
