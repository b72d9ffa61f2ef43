package model

import (
	"fmt"
	"strings"
	"testing"
)

// The callback scenarios use the selftests' modules: patch 0 is
// test_klp_callbacks_demo, target 0 test_klp_callbacks_mod (MOD) and target
// 1 test_klp_callbacks_busy (BUSY), whose function g1 task 0 sleeps in.
const (
	demo = "test_klp_callbacks_demo"
	mod  = "test_klp_callbacks_mod"
	busy = "test_klp_callbacks_busy"
)

var selftestNames = Names{
	Patch:  func(int) string { return demo },
	Target: func(j int) string { return [...]string{mod, busy}[j] },
}

func callbacksConfig() Config {
	return Config{Kernel: Kernel958ef1e, Patches: 1, Tasks: 1, Functions: 1, Targets: 2, Callbacks: true}
}

func targetAction(kind Kind, j int) Action { return Action{Kind: kind, Target: uint8(j)} }

// Harness steps of the selftests, as model actions.
var (
	loadMod   = []Action{targetAction(TargetLoad, 0), targetAction(TargetInit, 0)}
	unloadMod = []Action{targetAction(TargetUnload, 0), targetAction(TargetGoing, 0)}
	loadLP    = []Action{insmod(0)}
	disableLP = []Action{disable(0)}
	unloadLP  = []Action{freeWork(0), rmmod(0)}
)

// logOf runs the steps from the initial state and returns the log lines
// they print.
func logOf(t *testing.T, c *Config, steps ...[]Action) []string {
	t.Helper()
	var lines []string
	s := Initial(c)
	for _, group := range steps {
		for _, a := range group {
			if !offered(c, &s, a) {
				t.Fatalf("%s is not enabled in\n%s", a, c.Label(s))
			}
			var out Outcome
			s, out = c.StepLogged(s, a, func(e Event) { lines = append(lines, e.Format(selftestNames)) })
			if out.Rejected() {
				t.Fatalf("%s failed with -%s", a, out.Err)
			}
		}
	}
	return lines
}

// Log line builders, in the selftests' wording.
func lp(format string, args ...any) string { return "livepatch: " + fmt.Sprintf(format, args...) }

func cb(callback, object string) string {
	return fmt.Sprintf("%s: %s_callback: %s", demo, callback, object)
}

const (
	live   = " -> [MODULE_STATE_LIVE] Normal state"
	coming = " -> [MODULE_STATE_COMING] Full formed, running module_init"
	going  = " -> [MODULE_STATE_GOING] Going away"
)

func enableLines(objects ...string) []string {
	lines := []string{lp("enabling patch '%s'", demo), lp("'%s': initializing patching transition", demo)}
	for _, o := range objects {
		lines = append(lines, cb("pre_patch", o))
	}
	lines = append(lines, lp("'%s': starting patching transition", demo), lp("'%s': completing patching transition", demo))
	for _, o := range objects {
		lines = append(lines, cb("post_patch", o))
	}
	return append(lines, lp("'%s': patching complete", demo))
}

func disableLines(objects ...string) []string {
	lines := []string{lp("'%s': initializing unpatching transition", demo)}
	for _, o := range objects {
		lines = append(lines, cb("pre_unpatch", o))
	}
	lines = append(lines, lp("'%s': starting unpatching transition", demo), lp("'%s': completing unpatching transition", demo))
	for _, o := range objects {
		lines = append(lines, cb("post_unpatch", o))
	}
	return append(lines, lp("'%s': unpatching complete", demo))
}

var (
	modInit    = mod + ": " + mod + "_init"
	modExit    = mod + ": " + mod + "_exit"
	comingMOD  = []string{lp("applying patch '%s' to loading module '%s'", demo, mod), cb("pre_patch", mod+coming), cb("post_patch", mod+coming), modInit}
	goingMOD   = []string{modExit, cb("pre_unpatch", mod+going), lp("reverting patch '%s' on unloading module '%s'", demo, mod), cb("post_unpatch", mod+going)}
	unloadMOD0 = []string{modExit}
)

func concat(parts ...[]string) []string {
	var all []string
	for _, p := range parts {
		all = append(all, p...)
	}
	return all
}

func TestCallbackOrderSelftests(t *testing.T) {
	tests := []struct {
		name  string
		steps [][]Action
		want  []string
	}{
		{
			name:  "T-CB-1 target module before livepatch",
			steps: [][]Action{loadMod, loadLP, disableLP, unloadLP, unloadMod},
			want: concat([]string{modInit}, enableLines("vmlinux", mod+live),
				disableLines("vmlinux", mod+live), unloadMOD0),
		},
		{
			name:  "T-CB-2 module_coming notifier",
			steps: [][]Action{loadLP, loadMod, disableLP, unloadLP, unloadMod},
			want: concat(enableLines("vmlinux"), comingMOD,
				disableLines("vmlinux", mod+live), unloadMOD0),
		},
		{
			name:  "T-CB-3 module_going notifier",
			steps: [][]Action{loadMod, loadLP, unloadMod, disableLP, unloadLP},
			want: concat([]string{modInit}, enableLines("vmlinux", mod+live), goingMOD,
				disableLines("vmlinux")),
		},
		{
			name:  "T-CB-4 module_coming and module_going notifiers",
			steps: [][]Action{loadLP, loadMod, unloadMod, disableLP, unloadLP},
			want:  concat(enableLines("vmlinux"), comingMOD, goingMOD, disableLines("vmlinux")),
		},
		{
			name:  "T-CB-5 target module not present",
			steps: [][]Action{loadLP, disableLP, unloadLP},
			want:  concat(enableLines("vmlinux"), disableLines("vmlinux")),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := callbacksConfig()
			got := logOf(t, &c, tt.steps...)
			if diff := lineDiff(got, tt.want); diff != "" {
				t.Errorf("log mismatch (-got +want):\n%s", diff)
			}
		})
	}
}

// TestCallbackOrderBusyTarget replays T-CB-9: a task sleeping in BUSY's
// function keeps the patching transition open while MOD comes and goes,
// and a disable then reverses the transition.
func TestCallbackOrderBusyTarget(t *testing.T) {
	c := callbacksConfig()
	g1 := c.TargetFunc(1)
	busyInit := busy + ": " + busy + "_init"
	busyExit := busy + ": " + busy + "_exit"

	got := logOf(t, &c,
		[]Action{targetAction(TargetLoad, 1), targetAction(TargetInit, 1), call(0, g1)},
		loadLP, loadMod, unloadMod, disableLP, []Action{transitionWork}, unloadLP,
		[]Action{ret(0), targetAction(TargetUnload, 1), targetAction(TargetGoing, 1)})
	want := []string{
		busyInit,
		lp("enabling patch '%s'", demo),
		lp("'%s': initializing patching transition", demo),
		cb("pre_patch", "vmlinux"),
		cb("pre_patch", busy+live),
		lp("'%s': starting patching transition", demo),
		lp("applying patch '%s' to loading module '%s'", demo, mod),
		cb("pre_patch", mod+coming),
		modInit,
		modExit,
		lp("reverting patch '%s' on unloading module '%s'", demo, mod),
		cb("post_unpatch", mod+going),
		lp("'%s': reversing transition from patching to unpatching", demo),
		lp("'%s': starting unpatching transition", demo),
		lp("'%s': completing unpatching transition", demo),
		cb("post_unpatch", "vmlinux"),
		cb("post_unpatch", busy+live),
		lp("'%s': unpatching complete", demo),
		busyExit,
	}
	if diff := lineDiff(got, want); diff != "" {
		t.Errorf("log mismatch (-got +want):\n%s", diff)
	}
}

// TestCallbackPrePatchFailure covers the two failure paths of a pre_patch
// callback: an enable is cancelled with no post_unpatch for the failed
// object, and a target module load is refused.
func TestCallbackPrePatchFailure(t *testing.T) {
	c := callbacksConfig()
	c.PrePatchRet = true
	toggle := []Action{{Kind: SetPrePatchRet, Patch: 0}}

	t.Run("enable cancelled", func(t *testing.T) {
		s := Initial(&c)
		var lines []string
		for _, a := range []Action{toggle[0], insmod(0)} {
			var out Outcome
			s, out = c.StepLogged(s, a, func(e Event) { lines = append(lines, e.Format(selftestNames)) })
			if a.Kind == Insmod && out.Err != ENODEV {
				t.Errorf("insmod error %s, want ENODEV", out.Err)
			}
		}
		want := []string{
			lp("enabling patch '%s'", demo),
			lp("'%s': initializing patching transition", demo),
			cb("pre_patch", "vmlinux"),
			lp("pre-patch callback failed for object 'vmlinux'"),
			lp("failed to enable patch '%s'", demo),
			lp("'%s': canceling patching transition, going to unpatch", demo),
			lp("'%s': completing unpatching transition", demo),
			lp("'%s': unpatching complete", demo),
		}
		if diff := lineDiff(lines, want); diff != "" {
			t.Errorf("log mismatch (-got +want):\n%s", diff)
		}
		if s.Patches[0].Loaded || s.Patches[0].Ref != 0 {
			t.Errorf("P0 = %+v; want unloaded with ref 0", s.Patches[0])
		}
	})

	t.Run("target load refused", func(t *testing.T) {
		s, _ := applyAll(t, &c, insmod(0), toggle[0])
		var lines []string
		s, out := c.StepLogged(s, targetAction(TargetLoad, 0), func(e Event) { lines = append(lines, e.Format(selftestNames)) })
		if out.Err != ENODEV {
			t.Errorf("target load error %s, want ENODEV", out.Err)
		}
		want := []string{
			lp("applying patch '%s' to loading module '%s'", demo, mod),
			cb("pre_patch", mod+coming),
			lp("pre-patch callback failed for object '%s'", mod),
			lp("patch '%s' failed for module '%s', refusing to load module '%s'", demo, mod, mod),
		}
		if diff := lineDiff(lines, want); diff != "" {
			t.Errorf("log mismatch (-got +want):\n%s", diff)
		}
		if s.Targets[0] != ModuleAbsent {
			t.Errorf("X0 is %s after a refused load; want absent", s.Targets[0])
		}
		// Both modelled generations leave the failed object bound.
		if !s.ObjectLoaded(0, 1) {
			t.Errorf("P0's object for X0 is unbound; the code before 4ff96fb52c69 leaves it bound")
		}
	})
}

// lineDiff returns "" when got equals want, else both sequences with the
// first differing line marked.
func lineDiff(got, want []string) string {
	n := max(len(got), len(want))
	var b strings.Builder
	same := true
	for i := 0; i < n; i++ {
		g, w := "<none>", "<none>"
		if i < len(got) {
			g = got[i]
		}
		if i < len(want) {
			w = want[i]
		}
		if g == w {
			fmt.Fprintf(&b, "  %s\n", g)
			continue
		}
		same = false
		fmt.Fprintf(&b, "- %s\n+ %s\n", g, w)
	}
	if same {
		return ""
	}
	return b.String()
}
