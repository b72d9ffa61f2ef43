package explore

import (
	"context"
	"testing"

	"github.com/klpcheck/klpcheck/model"
)

func TestDefaultStateSpaceUnchanged(t *testing.T) {
	tests := []struct {
		name                string
		c                   model.Config
		states, transitions int
		skipInShort         bool
	}{
		{"2 patches 2 tasks 1 function", model.DefaultConfig(), 2138, 22130, false},
		{"3 patches 2 tasks 2 functions", model.Config{Kernel: model.Kernel958ef1e, Patches: 3, Tasks: 2, Functions: 2}, 348911, 4770280, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.skipInShort && testing.Short() {
				t.Skip("large state space")
			}
			res, err := Run(context.Background(), Options{Config: tt.c})
			if err != nil {
				t.Fatal(err)
			}
			if res.Verdict != Verified {
				t.Errorf("verdict %s; want verified", res.Verdict)
			}
			if res.DistinctStates != tt.states || res.Transitions != tt.transitions {
				t.Errorf("%d states, %d transitions; want %d, %d", res.DistinctStates, res.Transitions, tt.states, tt.transitions)
			}
		})
	}
}

func objectsConfig(k model.Kernel, targets int) model.Config {
	return model.Config{Kernel: k, Patches: 2, Tasks: 1, Functions: 1, Targets: targets, Callbacks: true}
}

// TestObjectPropertiesHold explores both generations with target modules
// and callbacks and expects S15, S18 and the rest to hold, with the object
// witnesses reached so that the checks are not vacuous.
func TestObjectPropertiesHold(t *testing.T) {
	for _, k := range []model.Kernel{model.Kernel958ef1e, model.KernelV50} {
		t.Run(k.String(), func(t *testing.T) {
			res, err := Run(context.Background(), Options{Config: objectsConfig(k, 1)})
			if err != nil {
				t.Fatal(err)
			}
			if res.Verdict != Verified {
				t.Fatalf("verdict %s: %+v", res.Verdict, res.Violation)
			}
			want := map[string]bool{"W-applied-coming": false, "W-reverted-going": false, "W-target-blocks": false, "W-post-unpatch": false}
			for _, w := range res.Witnesses {
				if _, ok := want[w.ID]; ok {
					want[w.ID] = w.Reached
				}
			}
			for id, reached := range want {
				if !reached {
					t.Errorf("witness %s not reached", id)
				}
			}
		})
	}
}

func TestM12CaughtByS15(t *testing.T) {
	c := objectsConfig(model.Kernel958ef1e, 1)
	c.Mutant = model.M12
	res, err := Run(context.Background(), Options{Config: c})
	if err != nil {
		t.Fatal(err)
	}
	if res.Verdict != Violated || res.Violation.ID != "S15" {
		t.Fatalf("verdict %s %+v; want S15 violated", res.Verdict, res.Violation)
	}
	last := res.Violation.Trace.Steps[len(res.Violation.Trace.Steps)-1]
	if k := last.Action.Kind; k != model.TargetGoing && k != model.TargetInitFail {
		t.Errorf("violating step is %s; want klp_module_going", last.Action)
	}
}

// TestStaleBindingAfterRefusedLoad shows the bug that 4ff96fb52c69 fixed
// in v5.4: both modelled generations leave an object bound to a target
// module whose load klp_module_coming refused.
func TestStaleBindingAfterRefusedLoad(t *testing.T) {
	for _, k := range []model.Kernel{model.Kernel958ef1e, model.KernelV50} {
		t.Run(k.String(), func(t *testing.T) {
			c := objectsConfig(k, 1)
			c.PrePatchRet = true
			res, err := Run(context.Background(), Options{Config: c})
			if err != nil {
				t.Fatal(err)
			}
			if res.Verdict != Violated || res.Violation.ID != "S18" {
				t.Fatalf("verdict %s %+v; want S18 violated", res.Verdict, res.Violation)
			}
			steps := res.Violation.Trace.Steps
			last := steps[len(steps)-1]
			if last.Action.Kind != model.TargetLoad || last.Outcome.Err != model.ENODEV {
				t.Errorf("last step %s = -%s; want a target load refused with ENODEV", last.Action, last.Outcome.Err)
			}
		})
	}
}
