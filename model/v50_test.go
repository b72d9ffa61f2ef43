package model

import "testing"

// applyAll runs actions from the initial state and returns the final
// state and the outcome of each step. It fails the test on an action that
// Actions does not offer.
func applyAll(t *testing.T, c *Config, actions ...Action) (State, []Outcome) {
	t.Helper()
	s := Initial(c)
	outs := make([]Outcome, 0, len(actions))
	for i, a := range actions {
		if !offered(c, &s, a) {
			t.Fatalf("step %d: %s is not enabled in\n%s", i+1, a, c.Label(s))
		}
		var out Outcome
		s, out = c.Step(s, a)
		outs = append(outs, out)
	}
	return s, outs
}

func offered(c *Config, s *State, a Action) bool {
	for _, b := range c.Actions(s, nil) {
		if a == b {
			return true
		}
	}
	return false
}

func insmod(k int) Action   { return Action{Kind: Insmod, Patch: uint8(k)} }
func rmmod(k int) Action    { return Action{Kind: Rmmod, Patch: uint8(k)} }
func disable(k int) Action  { return Action{Kind: Disable, Patch: uint8(k)} }
func enable(k int) Action   { return Action{Kind: Enable, Patch: uint8(k)} }
func force(k int) Action    { return Action{Kind: Force, Patch: uint8(k)} }
func call(t, f int) Action  { return Action{Kind: Call, Task: uint8(t), Func: uint8(f)} }
func ret(t int) Action      { return Action{Kind: Return, Task: uint8(t)} }
func freeWork(k int) Action { return Action{Kind: FreeWork, Patch: uint8(k)} }

var transitionWork = Action{Kind: TransitionWork}

func v50Config(patches int) Config {
	return Config{Kernel: KernelV50, Patches: patches, Tasks: 1, Functions: 1}
}

func TestV50Actions(t *testing.T) {
	// forcedP0 forces P0's patching transition while T0 sleeps in the
	// original f0, and lets the transition work complete it.
	forcedP0 := []Action{call(0, 0), insmod(0), force(0), transitionWork}

	tests := []struct {
		name    string
		patches int
		actions []Action
		errs    []Errno // outcome of each action
		check   func(t *testing.T, s *State)
	}{
		{
			name: "insmod registers and enables", patches: 1,
			actions: []Action{insmod(0)},
			errs:    []Errno{0},
			check: func(t *testing.T, s *State) {
				p := s.Patches[0]
				if !p.Loaded || !p.Enabled || !p.Sysfs || p.Ref != 1 || !s.Listed(0) {
					t.Errorf("P0 = %+v, listed %t; want loaded, enabled, sysfs, ref 1, listed", p, s.Listed(0))
				}
			},
		},
		{
			name: "disable keeps the patch registered", patches: 1,
			actions: []Action{insmod(0), disable(0)},
			errs:    []Errno{0, 0},
			check: func(t *testing.T, s *State) {
				p := s.Patches[0]
				if p.Enabled || p.Ref != 0 || !p.Sysfs || !s.Listed(0) {
					t.Errorf("P0 = %+v, listed %t; want disabled, ref 0, sysfs, listed", p, s.Listed(0))
				}
			},
		},
		{
			name: "disabled patch is enabled again", patches: 1,
			actions: []Action{insmod(0), disable(0), enable(0)},
			errs:    []Errno{0, 0, 0},
			check: func(t *testing.T, s *State) {
				if p := s.Patches[0]; !p.Enabled || p.Ref != 1 {
					t.Errorf("P0 = %+v; want enabled with ref 1", p)
				}
			},
		},
		{
			name: "rmmod refused while enabled", patches: 1,
			actions: []Action{insmod(0), rmmod(0)},
			errs:    []Errno{0, EAGAIN},
		},
		{
			name: "rmmod after disable unregisters", patches: 1,
			actions: []Action{insmod(0), disable(0), rmmod(0)},
			errs:    []Errno{0, 0, 0},
			check: func(t *testing.T, s *State) {
				if s.Patches[0].Loaded || s.Listed(0) || s.Patches[0].Sysfs {
					t.Errorf("P0 = %+v, listed %t; want unloaded and unregistered", s.Patches[0], s.Listed(0))
				}
			},
		},
		{
			name: "enable refused after a disabled predecessor", patches: 2,
			actions: []Action{insmod(0), disable(0), insmod(1)},
			errs:    []Errno{0, 0, EBUSY},
			check: func(t *testing.T, s *State) {
				if s.Patches[1].Loaded || s.Listed(1) {
					t.Errorf("P1 = %+v; want the failed load unregistered and unloaded", s.Patches[1])
				}
			},
		},
		{
			name: "disable refused before an enabled successor", patches: 2,
			actions: []Action{insmod(0), insmod(1), disable(0), disable(1), disable(0)},
			errs:    []Errno{0, 0, EBUSY, 0, 0},
		},
		{
			name: "echo 1 to an enabled patch is invalid", patches: 1,
			actions: []Action{insmod(0), enable(0)},
			errs:    []Errno{0, EINVAL},
		},
		{
			name: "enable refused during a transition", patches: 2,
			actions: []Action{call(0, 0), insmod(0), insmod(1)},
			errs:    []Errno{0, 0, EBUSY},
		},
		{
			name: "force sets klp_forced and marks listed patches", patches: 1,
			actions: forcedP0,
			errs:    []Errno{0, 0, 0, 0},
			check: func(t *testing.T, s *State) {
				if !s.KlpForced || !s.Patches[0].Forced || s.InTransition() {
					t.Errorf("klp_forced %t, P0 = %+v, in transition %t; want forced and complete", s.KlpForced, s.Patches[0], s.InTransition())
				}
			},
		},
		{
			name: "no reference dropped after a force", patches: 1,
			actions: append(append([]Action{}, forcedP0...), disable(0), rmmod(0)),
			errs:    []Errno{0, 0, 0, 0, 0, EAGAIN},
			check: func(t *testing.T, s *State) {
				if p := s.Patches[0]; p.Ref != 1 || p.Enabled {
					t.Errorf("P0 = %+v; want disabled with ref 1", p)
				}
			},
		},
		{
			name: "forced disable and enable loop saturates the count", patches: 1,
			actions: append(append([]Action{}, forcedP0...), disable(0), enable(0), disable(0), enable(0)),
			errs:    []Errno{0, 0, 0, 0, 0, 0, 0, 0},
			check: func(t *testing.T, s *State) {
				if p := s.Patches[0]; p.Ref != RefSaturation {
					t.Errorf("P0 ref = %d; want %d", p.Ref, RefSaturation)
				}
			},
		},
		{
			name: "patch loaded after a force keeps its reference", patches: 2,
			actions: append(append([]Action{}, forcedP0...), insmod(1), disable(1), rmmod(1)),
			errs:    []Errno{0, 0, 0, 0, 0, 0, EAGAIN},
			check: func(t *testing.T, s *State) {
				if p := s.Patches[1]; p.Forced || p.Ref != 1 {
					t.Errorf("P1 = %+v; want not marked forced and ref 1", p)
				}
			},
		},
		{
			name: "reversed enable drops the reference", patches: 1,
			actions: []Action{call(0, 0), insmod(0), disable(0), transitionWork},
			errs:    []Errno{0, 0, 0, 0},
			check: func(t *testing.T, s *State) {
				if p := s.Patches[0]; p.Enabled || p.Ref != 0 || s.InTransition() {
					t.Errorf("P0 = %+v, in transition %t; want disabled, ref 0, complete", p, s.InTransition())
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := v50Config(tt.patches)
			s, outs := applyAll(t, &c, tt.actions...)
			for i, out := range outs {
				if out.Err != tt.errs[i] {
					t.Errorf("step %d %s: error %s, want %s", i+1, tt.actions[i], out.Err, tt.errs[i])
				}
			}
			if tt.check != nil {
				tt.check(t, &s)
			}
		})
	}
}

// TestV50UnregisterDuringUnpatching pins down the v5.0 guard of
// klp_unregister_patch: it refuses only an enabled patch, so a patch in its
// unpatching transition, whose enabled is already false, is taken off the
// list while it is still the transition patch.
func TestV50UnregisterDuringUnpatching(t *testing.T) {
	c := v50Config(1)
	// T0 sleeps in P0's f0, so the unpatching transition stays open.
	s, _ := applyAll(t, &c, insmod(0), call(0, 0), disable(0))
	if s.TransitionPatch != 0 || s.Patches[0].Enabled {
		t.Fatalf("setup: want P0 disabled in transition, got\n%s", c.Label(s))
	}
	st := stepper{c: &c}
	if err := st.unregisterPatch(&s, 0); err != 0 {
		t.Fatalf("unregister during unpatching: error %s, want success", err)
	}
	if s.Listed(0) {
		t.Errorf("P0 still listed after unregister")
	}
	if s.TransitionPatch != 0 {
		t.Errorf("transition patch = %d; want P0 still in transition", s.TransitionPatch)
	}

	s2, _ := applyAll(t, &c, insmod(0))
	if err := st.unregisterPatch(&s2, 0); err != EBUSY {
		t.Errorf("unregister of an enabled patch: error %s, want EBUSY", err)
	}
}

func TestMutantsApplyToKernel(t *testing.T) {
	for _, m := range Mutants() {
		c := Config{Kernel: KernelV50, Patches: 1, Tasks: 1, Functions: 1, Mutant: m}
		if m.NeedsCallbacks() {
			c.Targets, c.Callbacks = 1, true
		}
		err := c.Validate()
		if m.AppliesTo(KernelV50) != (err == nil) {
			t.Errorf("%s on v5.0: AppliesTo %t, Validate error %v", m, m.AppliesTo(KernelV50), err)
		}
		c.Kernel = Kernel958ef1e
		if err := c.Validate(); err != nil {
			t.Errorf("%s on 958ef1e: %v", m, err)
		}
	}
	if M11.AppliesTo(KernelV50) != true || M2.AppliesTo(KernelV50) != false {
		t.Errorf("M11 must apply to v5.0 and M2 must not")
	}
}
