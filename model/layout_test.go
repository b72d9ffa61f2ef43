package model

import (
	"strings"
	"testing"
)

// layoutConfig has the selftests' test_klp_callbacks_demo as patch 0 (every
// object, with callbacks) and test_klp_livepatch as patch 1 (vmlinux only,
// no callbacks), with target 0 standing for test_klp_callbacks_mod.
func layoutConfig() Config {
	c := Config{Kernel: Kernel958ef1e, Patches: 2, Tasks: 1, Functions: 1, Targets: 1, Callbacks: true}
	c.Layouts[0] = PatchLayout{Objects: 0b11, Callbacks: true}
	c.Layouts[1] = PatchLayout{Objects: 0b01}
	return c
}

var layoutNames = Names{
	Patch:  func(k int) string { return [...]string{demo, "test_klp_livepatch"}[k] },
	Target: func(int) string { return mod },
}

func stepLines(t *testing.T, c *Config, s State, actions ...Action) (State, []string) {
	t.Helper()
	var lines []string
	for _, a := range actions {
		if !offered(c, &s, a) {
			t.Fatalf("%s is not enabled in\n%s", a, c.Label(s))
		}
		var out Outcome
		s, out = c.StepLogged(s, a, func(e Event) { lines = append(lines, e.Format(layoutNames)) })
		if out.Rejected() {
			t.Fatalf("%s failed with -%s", a, out.Err)
		}
	}
	return s, lines
}

func TestLayoutObjectsPerPatch(t *testing.T) {
	c := layoutConfig()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	s, lines := stepLines(t, &c, Initial(&c), insmod(0), insmod(1))
	livepatch := "test_klp_livepatch"
	want := concat(enableLines("vmlinux"), []string{
		lp("enabling patch '%s'", livepatch),
		lp("'%s': initializing patching transition", livepatch),
		lp("'%s': starting patching transition", livepatch),
		lp("'%s': completing patching transition", livepatch),
		lp("'%s': patching complete", livepatch),
	})
	if diff := lineDiff(lines, want); diff != "" {
		t.Errorf("enable log mismatch (-got +want):\n%s", diff)
	}

	s, lines = stepLines(t, &c, s, targetAction(TargetLoad, 0), targetAction(TargetInit, 0))
	if diff := lineDiff(lines, comingMOD); diff != "" {
		t.Errorf("target load log mismatch (-got +want):\n%s", diff)
	}
	if s.Patches[1].Bound != 0 || s.Patches[1].ObjPatched != 0 {
		t.Errorf("P1 has no object for X0 but Bound=%#b ObjPatched=%#b", s.Patches[1].Bound, s.Patches[1].ObjPatched)
	}
	if s.Patches[0].ObjPatched != 1 {
		t.Errorf("P0 ObjPatched=%#b after X0 loaded; want 0b1", s.Patches[0].ObjPatched)
	}

	_, lines = stepLines(t, &c, s, targetAction(TargetUnload, 0), targetAction(TargetGoing, 0))
	if diff := lineDiff(lines, goingMOD); diff != "" {
		t.Errorf("target unload log mismatch (-got +want):\n%s", diff)
	}
}

func TestLayoutTargetBoundAtLoadOnlyWithObject(t *testing.T) {
	c := layoutConfig()
	s, _ := stepLines(t, &c, Initial(&c), targetAction(TargetLoad, 0), targetAction(TargetInit, 0), insmod(1), insmod(0))
	if s.Patches[1].Bound != 0 {
		t.Errorf("P1 Bound=%#b; want 0 because P1 has no object for X0", s.Patches[1].Bound)
	}
	if s.Patches[0].Bound != 1 || s.Patches[0].ObjPatched != 1 {
		t.Errorf("P0 Bound=%#b ObjPatched=%#b; want both 0b1", s.Patches[0].Bound, s.Patches[0].ObjPatched)
	}
}

func TestLayoutZeroIsUniform(t *testing.T) {
	c := Config{Kernel: Kernel958ef1e, Patches: 2, Tasks: 1, Functions: 1, Targets: 2, Callbacks: true}
	for k := 0; k < c.Patches; k++ {
		for o := 0; o < c.NumObjects(); o++ {
			if !c.HasObject(k, o) {
				t.Errorf("HasObject(%d, %d) = false with the zero layout", k, o)
			}
		}
		if !c.HasCallbacks(k) {
			t.Errorf("HasCallbacks(%d) = false with Callbacks set and the zero layout", k)
		}
	}
	if c.HasObject(0, c.NumObjects()) {
		t.Errorf("HasObject reports an object beyond the targets")
	}
}

func TestLayoutValidate(t *testing.T) {
	tests := []struct {
		name   string
		layout PatchLayout
		patch  int
		want   string
	}{
		{"beyond patches", PatchLayout{Objects: 1}, 2, "only 2 patches"},
		{"callbacks without objects", PatchLayout{Callbacks: true}, 0, "at least one object"},
		{"object beyond targets", PatchLayout{Objects: 0b100}, 0, "beyond targets 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := layoutConfig()
			c.Layouts[tt.patch] = tt.layout
			err := c.Validate()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Validate() = %v; want an error containing %q", err, tt.want)
			}
		})
	}

	t.Run("callbacks without the option", func(t *testing.T) {
		c := layoutConfig()
		c.Callbacks = false
		err := c.Validate()
		if err == nil || !strings.Contains(err.Error(), "callbacks option") {
			t.Errorf("Validate() = %v; want an error about the callbacks option", err)
		}
	})
}
