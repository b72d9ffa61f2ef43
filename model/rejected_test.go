package model_test

import (
	"testing"

	"github.com/klpcheck/klpcheck/model"
)

// rejectedChange is a kind of rejected step, with its error, that changes
// the state in the model as it does in the kernel.
type rejectedChange struct {
	kernel model.Kernel
	kind   model.Kind
	err    model.Errno
}

// TestRejectedStepsThatChangeState checks the list in docs/model.md of the
// rejected operations that change the state. Every other rejected step of
// every reachable state must leave the state unchanged, and each listed
// case must occur.
func TestRejectedStepsThatChangeState(t *testing.T) {
	documented := map[rejectedChange]bool{
		// klp_module_coming refuses the module after the callbacks of the
		// patches before the failing one ran and were reverted, and leaves
		// the failing patch's object bound.
		{model.Kernel958ef1e, model.TargetLoad, model.ENODEV}: true,
		{model.KernelV50, model.TargetLoad, model.ENODEV}:     true,
		// klp_cancel_transition keeps the module reference that
		// try_module_get took while klp_forced is set.
		{model.KernelV50, model.Enable, model.ENODEV}: true,
	}
	configs := []model.Config{
		{Kernel: model.Kernel958ef1e, Patches: 2, Tasks: 1, Functions: 1, Targets: 1, Callbacks: true, PrePatchRet: true},
		{Kernel: model.KernelV50, Patches: 1, Tasks: 1, Functions: 1, Targets: 1, Callbacks: true, PrePatchRet: true},
		{Kernel: model.Kernel958ef1e, Patches: 2, Tasks: 2, Functions: 2},
		{Kernel: model.KernelV50, Patches: 2, Tasks: 2, Functions: 2},
	}
	seen := map[rejectedChange]bool{}
	for _, c := range configs {
		var buf []model.Action
		for s := range reachable(&c) {
			buf = c.Actions(&s, buf[:0])
			for _, a := range buf {
				next, out := c.Step(s, a)
				if !out.Rejected() || next == s {
					continue
				}
				key := rejectedChange{c.Kernel, a.Kind, out.Err}
				seen[key] = true
				if !documented[key] {
					t.Fatalf("%s: %s failed with -%s and changed the state, which docs/model.md does not list\nbefore:\n%s\nafter:\n%s",
						c, a, out.Err, c.Label(s), c.Label(next))
				}
			}
		}
	}
	for key := range documented {
		if !seen[key] {
			t.Errorf("no reachable %s step failed with -%s and changed the state at kernel %s; docs/model.md lists it", key.kind, key.err, key.kernel)
		}
	}
}
