package counterexamples_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/klpcheck/klpcheck/counterexamples"
	"github.com/klpcheck/klpcheck/model"
)

// TestDiffNamesArrayIndex checks that a patch record changing in several
// fields at once is reported field by field under its own index. Patch 1
// goes from unloaded to live, which changes five of its eight fields.
func TestDiffNamesArrayIndex(t *testing.T) {
	c := model.Config{Kernel: model.Kernel958ef1e, Patches: 2, Tasks: 1, Functions: 1}
	before := model.Initial(&c)
	after := before
	after.Patches[1] = model.Patch{Loaded: true, Ref: 1, Enabled: true, Sysfs: true, FuncTransition: true}
	after.Tasks[0].PatchState = model.Patched

	got := counterexamples.Diff(before, after)
	want := []counterexamples.Change{
		{Path: "Patches[1].Loaded", Old: "false", New: "true"},
		{Path: "Patches[1].Ref", Old: "0", New: "1"},
		{Path: "Patches[1].Enabled", Old: "false", New: "true"},
		{Path: "Patches[1].Sysfs", Old: "false", New: "true"},
		{Path: "Patches[1].FuncTransition", Old: "false", New: "true"},
		{Path: "Tasks[0].PatchState", Old: "undefined", New: "patched"},
	}
	// The cmp.Diff text only explains a failure and is never compared.
	if !cmp.Equal(got, want) {
		t.Errorf("Diff mismatch (-got +want):\n%s", cmp.Diff(got, want))
	}
}

func TestDiffEqualStates(t *testing.T) {
	c := model.Config{Kernel: model.Kernel958ef1e, Patches: 1, Tasks: 1, Functions: 1}
	s := model.Initial(&c)
	if got := counterexamples.Diff(s, s); len(got) != 0 {
		t.Errorf("Diff of equal states = %v, want none", got)
	}
}
