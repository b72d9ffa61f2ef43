package counterexamples_test

import (
	"strings"
	"testing"

	"github.com/klpcheck/klpcheck/counterexamples"
	"github.com/klpcheck/klpcheck/explore"
	"github.com/klpcheck/klpcheck/model"
)

// TestRejectedStepThatChangesState uses the S18 trace of --pre-patch-ret:
// klp_module_coming refuses the target module with -ENODEV but leaves the
// object bound, so the step must not claim that the state is unchanged.
func TestRejectedStepThatChangesState(t *testing.T) {
	c := model.Config{Patches: 1, Tasks: 1, Functions: 1, Targets: 1, Callbacks: true, PrePatchRet: true}
	x := counterexample(t, c)
	if x.PropertyID != "S18" {
		t.Fatalf("property %s, expected S18", x.PropertyID)
	}
	last := x.Steps[len(x.Steps)-1]
	if last.Action.Kind != model.TargetLoad || last.Outcome.Err != model.ENODEV {
		t.Fatalf("last step %v with error %v, expected target_load rejected with ENODEV", last.Action, last.Outcome.Err)
	}
	if len(last.Changes) == 0 {
		t.Fatal("the rejected target_load changed nothing; the test needs a rejected step that changes the state")
	}

	dot, text := render(t, x)
	for name, out := range map[string]string{"DOT": string(dot), "text": string(text)} {
		if !strings.Contains(out, "-ENODEV") {
			t.Errorf("%s output lacks -ENODEV:\n%s", name, out)
		}
		if strings.Contains(out, "unchanged") {
			t.Errorf("%s output calls the state unchanged after a step that changed it:\n%s", name, out)
		}
	}
	if !strings.Contains(string(text), "Patches[0].Bound: 0 -> 1") {
		t.Errorf("text output lacks the stale binding Patches[0].Bound: 0 -> 1:\n%s", text)
	}
}

// TestRejectedStepWithoutChange keeps "state unchanged" for a rejected
// step that changed no field: echo 1 > enabled on an enabled patch.
func TestRejectedStepWithoutChange(t *testing.T) {
	c := model.Config{Patches: 1, Tasks: 1, Functions: 1}
	s0 := model.Initial(&c)
	insmod := model.Action{Kind: model.Insmod}
	s1, out1 := c.Step(s0, insmod)
	enable := model.Action{Kind: model.Enable}
	s2, out2 := c.Step(s1, enable)
	if out2.Err != model.EINVAL || s2 != s1 {
		t.Fatalf("enable of an enabled patch: error %v, state changed %t; expected EINVAL and no change", out2.Err, s2 != s1)
	}
	v := &explore.Violation{ID: "S0", Name: "test", Detail: "test", Trace: explore.Trace{Initial: s0, Steps: []explore.Step{
		{Action: insmod, Outcome: out1, State: s1},
		{Action: enable, Outcome: out2, State: s2},
	}}}

	dot, text := render(t, counterexamples.New(c, v))
	if want := "step 2: echo 1 > P0/enabled  [enabled_store]  -EINVAL, state unchanged\n"; !strings.Contains(string(text), want) {
		t.Errorf("text output lacks %q:\n%s", want, text)
	}
	if want := "enabled_store() = -EINVAL, state unchanged"; !strings.Contains(string(dot), want) {
		t.Errorf("DOT output lacks %q:\n%s", want, dot)
	}
}
