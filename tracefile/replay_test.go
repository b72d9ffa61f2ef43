package tracefile

import (
	"bytes"
	"context"
	"testing"

	"github.com/klpcheck/klpcheck/explore"
	"github.com/klpcheck/klpcheck/model"
)

func TestReplayEveryMutantStillFails(t *testing.T) {
	for _, m := range model.Mutants() {
		t.Run(m.String(), func(t *testing.T) {
			c := mutantConfig(m)
			v := violation(t, c)
			res, err := Replay(New(c, v, "klpcheck test"), c)
			if err != nil {
				t.Fatalf("Replay: %v", err)
			}
			if res.Status != StillFails {
				t.Fatalf("Status = %s, expected still fails", res.Status)
			}
			if res.Failure.ID != v.ID || res.Failure.OnStep != v.OnStep {
				t.Errorf("Failure = %+v, expected %s with on_step %t", res.Failure, v.ID, v.OnStep)
			}
			if res.Failure.Step != len(v.Trace.Steps) {
				t.Errorf("Failure.Step = %d, expected the last step %d", res.Failure.Step, len(v.Trace.Steps))
			}
			if len(res.Divergences) != 0 {
				t.Errorf("replay on the recorded model diverged: %+v", res.Divergences)
			}
		})
	}
}

func TestReplayWithoutMutantNoLongerFails(t *testing.T) {
	c := mutantConfig(model.M3)
	f := New(c, violation(t, c), "klpcheck test")

	res, err := Replay(f, model.DefaultConfig())
	if err != nil {
		t.Fatalf("Replay: %v", err)
	}
	if res.Status != NoLongerFails {
		t.Fatalf("Status = %s (failure %+v), expected no longer fails", res.Status, res.Failure)
	}
	if res.Steps != 2 {
		t.Errorf("Steps = %d, expected 2", res.Steps)
	}
	// Without M3, disabling P0 schedules free_work instead of freeing inline.
	if len(res.Divergences) != 1 || res.Divergences[0].Step != 2 {
		t.Fatalf("Divergences = %+v, expected one at step 2", res.Divergences)
	}
	found := false
	for _, ch := range res.Divergences[0].Changes {
		if ch.Path == "Patches[0].FreeWork" && ch.Old == "false" && ch.New == "true" {
			found = true
		}
	}
	if !found {
		t.Errorf("step 2 changes %+v do not include Patches[0].FreeWork false -> true", res.Divergences[0].Changes)
	}
}

func TestReplayBlockedAction(t *testing.T) {
	c := mutantConfig(model.M3)
	f := New(c, violation(t, c), "klpcheck test")
	// free_work of P1 is never scheduled after insmod(P0).
	f.Steps[1].Action = Action{Kind: "free_work", Patch: ptr(1)}

	res, err := Replay(f, c)
	if err != nil {
		t.Fatalf("Replay: %v", err)
	}
	if res.Status != Blocked {
		t.Fatalf("Status = %s, expected blocked", res.Status)
	}
	if res.BlockedStep != 2 {
		t.Errorf("BlockedStep = %d, expected 2", res.BlockedStep)
	}
	if want := (model.Action{Kind: model.FreeWork, Patch: 1}); res.BlockedAction != want {
		t.Errorf("BlockedAction = %v, expected %v", res.BlockedAction, want)
	}
	if len(res.Enabled) == 0 {
		t.Error("Enabled is empty")
	}
	if res.Steps != 1 {
		t.Errorf("Steps = %d, expected 1", res.Steps)
	}
}

func TestReplayReportsEditedState(t *testing.T) {
	c := mutantConfig(model.M3)
	f := New(c, violation(t, c), "klpcheck test")
	f.Steps[0].State.Patches[0].Ref = 5
	f.Steps[0].Errno = int(model.EBUSY)

	res, err := Replay(f, c)
	if err != nil {
		t.Fatalf("Replay: %v", err)
	}
	if res.Status != StillFails {
		t.Fatalf("Status = %s, expected still fails", res.Status)
	}
	if len(res.Divergences) != 1 || res.Divergences[0].Step != 1 {
		t.Fatalf("Divergences = %+v, expected one at step 1", res.Divergences)
	}
	changes := res.Divergences[0].Changes
	if len(changes) != 2 {
		t.Fatalf("changes = %+v, expected errno and Patches[0].Ref", changes)
	}
	if changes[0].Path != "errno" || changes[0].Old != "EBUSY" || changes[0].New != "0" {
		t.Errorf("changes[0] = %+v, expected errno EBUSY -> 0", changes[0])
	}
	if changes[1].Path != "Patches[0].Ref" || changes[1].Old != "5" || changes[1].New != "1" {
		t.Errorf("changes[1] = %+v, expected Patches[0].Ref 5 -> 1", changes[1])
	}
}

func TestReplayEmptyTraceNoDeadlock(t *testing.T) {
	// Every state of the model has an enabled action, so a deadlock trace
	// can only come from a changed model. An empty trace of a recorded
	// deadlock still replays: the initial state has actions.
	c := model.DefaultConfig()
	f := &File{SchemaVersion: SchemaVersion, Config: Config{Kernel: "958ef1e", Patches: 2, Tasks: 2, Functions: 1, Mutant: "none"},
		Property: Property{ID: "deadlock"}, Initial: EncodeState(&c, ptr(model.Initial(&c)))}
	res, err := Replay(f, c)
	if err != nil {
		t.Fatalf("Replay: %v", err)
	}
	if res.Status != NoLongerFails || res.Steps != 0 {
		t.Errorf("Status = %s after %d steps, expected no longer fails after 0", res.Status, res.Steps)
	}
}

func TestReplayRejectsOtherBounds(t *testing.T) {
	c := mutantConfig(model.M3)
	f := New(c, violation(t, c), "klpcheck test")
	other := c
	other.Tasks = 3
	if _, err := Replay(f, other); err == nil {
		t.Error("Replay with 3 tasks of a 2-task trace succeeded, expected an error")
	}
}

func ptr[T any](v T) *T { return &v }

// FuzzRead checks that Read never panics and that Replay accepts every file
// that Read accepts.
func FuzzRead(f *testing.F) {
	c := mutantConfig(model.M2)
	res, err := explore.Run(context.Background(), explore.Options{Config: c})
	if err != nil || res.Violation == nil {
		f.Fatalf("explore.Run(%+v) = %v, %v; expected a violation", c, res, err)
	}
	var buf bytes.Buffer
	if err := Write(&buf, New(c, res.Violation, "klpcheck fuzz")); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Add([]byte(`{"schema_version":1}`))
	f.Add([]byte(`{"schema_version":1,"config":{"kernel":"958ef1e","patches":1,"tasks":1,"functions":1,"mutant":"none"},"property":{"id":"x"},"initial_state":{"target":"undefined","patches":[{}],"tasks":[{"patch_state":"undefined"}],"func_stacks":[[]]},"steps":[]}`))

	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Read(bytes.NewReader(data))
		if err != nil {
			return
		}
		cfg, err := file.ModelConfig()
		if err != nil {
			t.Fatalf("Read accepted a file whose config is invalid: %v", err)
		}
		if _, err := Replay(file, cfg); err != nil {
			t.Fatalf("Read accepted a file that Replay rejects: %v", err)
		}
	})
}

// TestReplayL5StillFailsOnV50 replays the v5.0 L5 counterexample on the
// model it was found on. No safety property fails, so only the re-check
// of L5 in the last state can report it.
func TestReplayL5StillFailsOnV50(t *testing.T) {
	c := model.Config{Kernel: model.KernelV50, Patches: 2, Tasks: 1, Functions: 1}
	pres, err := explore.CheckPossibility(context.Background(), explore.Options{Config: c})
	if err != nil {
		t.Fatal(err)
	}
	if pres.Violation == nil {
		t.Fatalf("CheckPossibility: verdict %s, expected an L5 violation", pres.Verdict)
	}
	v := pres.Violation

	res, err := Replay(New(c, v, "klpcheck test"), c)
	if err != nil {
		t.Fatalf("Replay: %v", err)
	}
	if res.Status != StillFails {
		t.Fatalf("Status = %s, expected still fails", res.Status)
	}
	if res.Failure.ID != "L5" || res.Failure.OnStep {
		t.Errorf("Failure = %+v, expected L5 on a state", res.Failure)
	}
	if res.Failure.Step != len(v.Trace.Steps) {
		t.Errorf("Failure.Step = %d, expected the last step %d", res.Failure.Step, len(v.Trace.Steps))
	}
	if res.Failure.Detail != v.Detail {
		t.Errorf("Failure.Detail = %q, expected the recorded %q", res.Failure.Detail, v.Detail)
	}
	if res.Possibility == nil || res.Possibility.Stuck != 1 {
		t.Errorf("Possibility = %+v, expected P1 stuck", res.Possibility)
	}
}

// TestReplayL5NoLongerFails records L5 on a trace whose last state has P0
// loaded and disabled at 958ef1e. Its free_work and an rmmod unload it, so
// the re-check must find the goal.
func TestReplayL5NoLongerFails(t *testing.T) {
	c := model.Config{Kernel: model.Kernel958ef1e, Patches: 1, Tasks: 1, Functions: 1}
	s0 := model.Initial(&c)
	insmod, disable := model.Action{Kind: model.Insmod}, model.Action{Kind: model.Disable}
	s1, out1 := c.Step(s0, insmod)
	s2, out2 := c.Step(s1, disable)
	v := &explore.Violation{ID: "L5", Name: "test", Detail: "test", Trace: explore.Trace{Initial: s0, Steps: []explore.Step{
		{Action: insmod, Outcome: out1, State: s1},
		{Action: disable, Outcome: out2, State: s2},
	}}}

	res, err := Replay(New(c, v, "klpcheck test"), c)
	if err != nil {
		t.Fatalf("Replay: %v", err)
	}
	if res.Status != NoLongerFails {
		t.Fatalf("Status = %s (failure %+v), expected no longer fails", res.Status, res.Failure)
	}
	if res.Possibility == nil {
		t.Fatal("Possibility is nil, expected the re-check of L5")
	}
	if res.Possibility.Stuck != -1 || len(res.Possibility.Met) != 1 {
		t.Errorf("Possibility = %+v, expected P0 to meet the condition and reach the goal", res.Possibility)
	}
}

func TestReplaySafetyTraceSkipsPossibility(t *testing.T) {
	c := mutantConfig(model.M3)
	res, err := Replay(New(c, violation(t, c), "klpcheck test"), model.DefaultConfig())
	if err != nil {
		t.Fatalf("Replay: %v", err)
	}
	if res.Possibility != nil {
		t.Errorf("Possibility = %+v for a trace of S11, expected nil", res.Possibility)
	}
}
