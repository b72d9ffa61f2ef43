package main

import (
	"fmt"
	"io"

	"github.com/klpcheck/klpcheck/explore"
	"github.com/klpcheck/klpcheck/model"
)

// jsonCoverage is one action kind's entry in the "coverage" array of
// explore --json, in model.Kind order.
type jsonCoverage struct {
	Kind           string `json:"kind"`
	KernelFunction string `json:"kernel_function"`
	Enabled        int    `json:"enabled"`
	NewStates      int    `json:"new_states"`
}

func coverageJSON(res *explore.Result) []jsonCoverage {
	out := make([]jsonCoverage, model.NumKinds)
	for k := range out {
		kind := model.Kind(k)
		out[k] = jsonCoverage{
			Kind:           kind.String(),
			KernelFunction: kind.KernelFunction(),
			Enabled:        res.Coverage[k].Enabled,
			NewStates:      res.Coverage[k].NewStates,
		}
	}
	return out
}

// printCoverage writes a table of how often each action kind that c can
// have was enabled in an expanded state and how often it led to a state not
// seen before. The JSON output keeps every kind.
func printCoverage(w io.Writer, c model.Config, res *explore.Result) error {
	var rows []jsonCoverage
	for k, row := range coverageJSON(res) {
		if c.Configured(model.Kind(k)) {
			rows = append(rows, row)
		}
	}
	kindWidth, funcWidth := len("action"), len("kernel function")
	for _, c := range rows {
		kindWidth = max(kindWidth, len(c.Kind))
		funcWidth = max(funcWidth, len(c.KernelFunction))
	}
	fmt.Fprintln(w, "coverage:")
	fmt.Fprintf(w, "  %-*s  %-*s  %12s  %12s\n", kindWidth, "action", funcWidth, "kernel function", "enabled", "new states")
	for _, c := range rows {
		fmt.Fprintf(w, "  %-*s  %-*s  %12d  %12d\n", kindWidth, c.Kind, funcWidth, c.KernelFunction, c.Enabled, c.NewStates)
	}
	return nil
}

// warnCoverage writes one warning line to stderr for each action kind that
// c has but the safety search never enabled. verdict is the final verdict
// of the run, safety search and possibility pass together. It warns only
// for verified and bounded runs: after a violation or an interrupt the
// coverage is partial by nature.
//
// A kind that was enabled but never led to a new state gets no warning,
// because the correct model has such a kind. An rmmod of a freed patch
// returns its module to the state before insmod, which was seen before.
func warnCoverage(stderr io.Writer, c model.Config, res *explore.Result, verdict explore.Verdict) {
	if verdict != explore.Verified && verdict != explore.Bounded {
		return
	}
	for k, cov := range res.Coverage {
		if cov.Enabled == 0 && c.Configured(model.Kind(k)) {
			fmt.Fprintf(stderr, "klpcheck: warning: no %s action was ever enabled: the model may have a bug, or the bounds are too small\n", model.Kind(k))
		}
	}
}
