package tracefile

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/klpcheck/klpcheck/explore"
	"github.com/klpcheck/klpcheck/invariants"
	"github.com/klpcheck/klpcheck/model"
)

// violation explores c and returns the violation it finds.
func violation(t *testing.T, c model.Config) *explore.Violation {
	t.Helper()
	res, err := explore.Run(context.Background(), explore.Options{Config: c})
	if err != nil {
		t.Fatalf("explore.Run(%+v): %v", c, err)
	}
	if res.Violation == nil {
		t.Fatalf("explore.Run(%+v): verdict %s, expected a violation", c, res.Verdict)
	}
	return res.Violation
}

func mutantConfig(m model.Mutant) model.Config {
	c := model.DefaultConfig()
	c.Mutant = m
	if m.NeedsCallbacks() {
		c.Targets, c.Callbacks = 1, true
	}
	return c
}

// reachable returns up to limit states reachable under c, in BFS order. Like
// package explore it does not expand a state that breaks a safety property:
// under some mutants such states lead on to states the model cannot hold.
func reachable(c *model.Config, limit int) []model.State {
	init := model.Initial(c)
	seen := map[model.State]bool{init: true}
	states := []model.State{init}
	var buf []model.Action
	for i := 0; i < len(states) && len(states) < limit; i++ {
		s := states[i]
		if breaksSafety(c, &s) {
			continue
		}
		buf = c.Actions(&s, buf[:0])
		for _, a := range buf {
			next, _ := c.Step(s, a)
			if !seen[next] {
				seen[next] = true
				states = append(states, next)
			}
		}
	}
	return states
}

func breaksSafety(c *model.Config, s *model.State) bool {
	for _, p := range invariants.Properties(c) {
		if p.Kind == invariants.Always && p.State != nil {
			if ok, _ := p.State(c, s); !ok {
				return true
			}
		}
	}
	return false
}

// TestStateRoundTrip also fails when model.State gains a field that
// EncodeState does not carry, as soon as a reachable state sets it.
func TestStateRoundTrip(t *testing.T) {
	configs := []model.Config{
		{Patches: 2, Tasks: 2, Functions: 2},
		{Patches: 3, Tasks: 1, Functions: 1, Mutant: model.M6},
		{Patches: 2, Tasks: 1, Functions: 2, Mutant: model.M2},
		{Patches: 2, Tasks: 1, Functions: 1, Targets: 2, Callbacks: true, PrePatchRet: true},
		{Kernel: model.KernelV50, Patches: 2, Tasks: 1, Functions: 1, Targets: 1, Callbacks: true},
	}
	for _, c := range configs {
		states := reachable(&c, 20000)
		for _, s := range states {
			enc := EncodeState(&c, &s)
			got, err := DecodeState(&c, &enc)
			if err != nil {
				t.Fatalf("DecodeState(EncodeState(%s)): %v", c.Label(s), err)
			}
			if got != s {
				t.Fatalf("state does not round-trip under %+v:\n%s\ndiff (-want +got):\n%s", c, c.Label(s), cmp.Diff(s, got))
			}
		}
	}
}

func TestActionRoundTrip(t *testing.T) {
	c := model.Config{Patches: 4, Tasks: 4, Functions: 2}
	s := model.Initial(&c)
	actions := c.Actions(&s, nil)
	actions = append(actions,
		model.Action{Kind: model.Rmmod, Patch: 3},
		model.Action{Kind: model.FreeWork, Patch: 2},
		model.Action{Kind: model.TransitionWork},
		model.Action{Kind: model.Return, Task: 1},
		model.Action{Kind: model.Enable, Patch: 1},
		model.Action{Kind: model.Disable, Patch: 1},
		model.Action{Kind: model.Force, Patch: 0},
	)
	for _, a := range actions {
		enc := EncodeAction(a)
		got, err := DecodeAction(&c, &enc)
		if err != nil {
			t.Errorf("DecodeAction(%+v): %v", enc, err)
			continue
		}
		if got != a {
			t.Errorf("DecodeAction(EncodeAction(%v)) = %v", a, got)
		}
		if enc.Text != a.String() {
			t.Errorf("EncodeAction(%v).Text = %q, expected %q", a, enc.Text, a.String())
		}
	}
}

// enabledActions returns every action enabled in some state reachable under
// c, exploring at most limit states. Unlike reachable it expands every
// state, so c must have no mutant.
func enabledActions(t *testing.T, c *model.Config, limit int) map[model.Action]bool {
	t.Helper()
	init := model.Initial(c)
	seen := map[model.State]bool{init: true}
	queue := []model.State{init}
	actions := map[model.Action]bool{}
	var buf []model.Action
	for i := 0; i < len(queue); i++ {
		s := queue[i]
		buf = c.Actions(&s, buf[:0])
		for _, a := range buf {
			actions[a] = true
			next, _ := c.Step(s, a)
			if !seen[next] && len(queue) < limit {
				seen[next] = true
				queue = append(queue, next)
			}
		}
	}
	return actions
}

// TestActionRoundTripReachable fails when an action kind or a field of
// model.Action that some reachable action uses is lost on the way through
// trace.json.
func TestActionRoundTripReachable(t *testing.T) {
	configs := []model.Config{
		{Patches: 2, Tasks: 2, Functions: 2},
		{Patches: 2, Tasks: 1, Functions: 1, Targets: 2, Callbacks: true, PrePatchRet: true},
		{Patches: 2, Tasks: 2, Functions: 2, Targets: 2},
		{Kernel: model.KernelV50, Patches: 2, Tasks: 1, Functions: 2, Targets: 2, Callbacks: true, PrePatchRet: true},
		{Kernel: model.KernelV50, Patches: 3, Tasks: 2, Functions: 1},
	}
	kinds := map[model.Kind]bool{}
	fields := reflect.TypeFor[model.Action]()
	nonZero := make([]bool, fields.NumField())
	for _, c := range configs {
		for a := range enabledActions(t, &c, 200000) {
			kinds[a.Kind] = true
			v := reflect.ValueOf(a)
			for i := range v.NumField() {
				if !v.Field(i).IsZero() {
					nonZero[i] = true
				}
			}

			enc := EncodeAction(a)
			data, err := json.Marshal(enc)
			if err != nil {
				t.Fatalf("json.Marshal(%+v): %v", enc, err)
			}
			var dec Action
			if err := json.Unmarshal(data, &dec); err != nil {
				t.Fatalf("json.Unmarshal(%s): %v", data, err)
			}
			got, err := DecodeAction(&c, &dec)
			if err != nil {
				t.Errorf("%s: DecodeAction(%s): %v", c, data, err)
				continue
			}
			if got != a {
				t.Errorf("%s: action %v (%+v) decodes from %s as %v (%+v)", c, a, a, data, got, got)
			}
		}
	}
	for k := 0; k < model.NumKinds; k++ {
		if !kinds[model.Kind(k)] {
			t.Errorf("no configuration of the test enables %s: add one that does", model.Kind(k))
		}
	}
	for i := range fields.NumField() {
		if !nonZero[i] {
			t.Errorf("model.Action.%s is 0 in every action of the test: add a configuration in which it is not", fields.Field(i).Name)
		}
	}
}

// TestActionJSONHasEveryField fails when model.Action gains a field that
// the JSON Action has no field for.
func TestActionJSONHasEveryField(t *testing.T) {
	jsonType := reflect.TypeFor[Action]()
	tags := map[string]bool{}
	for i := range jsonType.NumField() {
		name, _, _ := strings.Cut(jsonType.Field(i).Tag.Get("json"), ",")
		tags[name] = true
	}
	modelType := reflect.TypeFor[model.Action]()
	for i := range modelType.NumField() {
		name := strings.ToLower(modelType.Field(i).Name)
		if !tags[name] {
			t.Errorf("model.Action.%s has no JSON field %q in tracefile.Action", modelType.Field(i).Name, name)
		}
	}
}

func TestDecodeActionTargetFunction(t *testing.T) {
	c := model.Config{Patches: 1, Tasks: 1, Functions: 1, Targets: 2}
	g1 := model.Action{Kind: model.Call, Task: 0, Func: uint8(c.TargetFunc(1))}
	enc := EncodeAction(g1)
	got, err := DecodeAction(&c, &enc)
	if err != nil {
		t.Fatalf("DecodeAction(call of g1): %v", err)
	}
	if got != g1 {
		t.Errorf("DecodeAction(call of g1) = %v, expected %v", got, g1)
	}

	beyond := 3
	enc.Func = &beyond
	if _, err := DecodeAction(&c, &enc); err == nil || !strings.Contains(err.Error(), "func: index 3 is out of range 0 to 2") {
		t.Errorf("DecodeAction(call of function 3) error = %v, expected func index 3 out of range 0 to 2", err)
	}
}

func TestDecodeActionTargetWithoutTargets(t *testing.T) {
	c := model.Config{Patches: 1, Tasks: 1, Functions: 1}
	zero := 0
	_, err := DecodeAction(&c, &Action{Kind: "target_load", Target: &zero})
	if err == nil || !strings.Contains(err.Error(), "target: index 0 is out of range because the configuration has none") {
		t.Errorf("DecodeAction(target_load without targets) error = %v, expected that the configuration has no targets", err)
	}
}

func TestWriteReadRoundTrip(t *testing.T) {
	c := mutantConfig(model.M2)
	f := New(c, violation(t, c), "klpcheck test")

	var buf bytes.Buffer
	if err := Write(&buf, f); err != nil {
		t.Fatalf("Write: %v", err)
	}
	got, err := Read(&buf)
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	if diff := cmp.Diff(f, got); diff != "" {
		t.Errorf("Read(Write(f)) differs (-want +got):\n%s", diff)
	}
}

func TestNewRecordsStepDetails(t *testing.T) {
	c := mutantConfig(model.M3)
	f := New(c, violation(t, c), "klpcheck test")

	if f.SchemaVersion != SchemaVersion {
		t.Errorf("SchemaVersion = %d, expected %d", f.SchemaVersion, SchemaVersion)
	}
	want := Config{Kernel: "958ef1e", Patches: 2, Tasks: 2, Functions: 1, Mutant: "M3"}
	if f.Config != want {
		t.Errorf("Config = %+v, expected %+v", f.Config, want)
	}
	if f.Property.ID != "S11" || !f.Property.OnStep {
		t.Errorf("Property = %+v, expected S11 on a step", f.Property)
	}
	if len(f.Steps) != 2 {
		t.Fatalf("got %d steps, expected 2", len(f.Steps))
	}
	last := f.Steps[1]
	if last.Action.Kind != "disable" || last.Action.Patch == nil || *last.Action.Patch != 0 {
		t.Errorf("step 2 action = %+v, expected disable of patch 0", last.Action)
	}
	if last.KernelFunction != "enabled_store" {
		t.Errorf("step 2 kernel_function = %q, expected enabled_store", last.KernelFunction)
	}
	if !contains(last.Flags, "free_in_own_handler") {
		t.Errorf("step 2 flags = %q, expected free_in_own_handler among them", last.Flags)
	}
	if len(last.State.Patches) != 2 || last.State.Patches[0].Sysfs {
		t.Errorf("step 2 state patches = %+v, expected 2 patches with P0's sysfs directory gone", last.State.Patches)
	}
	if len(last.Changes) == 0 {
		t.Error("step 2 has no changes")
	}
}

func TestNewRecordsErrno(t *testing.T) {
	c := model.DefaultConfig()
	s0 := model.Initial(&c)
	a1 := model.Action{Kind: model.Insmod, Patch: 0}
	s1, out1 := c.Step(s0, a1)
	a2 := model.Action{Kind: model.Enable, Patch: 0}
	s2, out2 := c.Step(s1, a2)
	if !out2.Rejected() {
		t.Fatalf("enabling an enabled patch succeeded; the test needs a rejected step")
	}
	v := &explore.Violation{ID: "S0", Name: "test", Trace: explore.Trace{Initial: s0, Steps: []explore.Step{
		{Action: a1, Outcome: out1, State: s1},
		{Action: a2, Outcome: out2, State: s2},
	}}}
	f := New(c, v, "klpcheck test")
	if f.Steps[0].Errno != 0 || f.Steps[0].Error != "" {
		t.Errorf("step 1 errno = %d %q, expected none", f.Steps[0].Errno, f.Steps[0].Error)
	}
	if f.Steps[1].Errno != int(model.EINVAL) || f.Steps[1].Error != "EINVAL" {
		t.Errorf("step 2 errno = %d %q, expected 22 EINVAL", f.Steps[1].Errno, f.Steps[1].Error)
	}
	if len(f.Steps[1].Changes) != 0 {
		t.Errorf("rejected step 2 has changes %+v", f.Steps[1].Changes)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// validTrace returns the M3 trace as a JSON object to edit.
func validTrace(t *testing.T) map[string]any {
	t.Helper()
	c := mutantConfig(model.M3)
	var buf bytes.Buffer
	if err := Write(&buf, New(c, violation(t, c), "klpcheck test")); err != nil {
		t.Fatal(err)
	}
	var obj map[string]any
	if err := json.Unmarshal(buf.Bytes(), &obj); err != nil {
		t.Fatal(err)
	}
	return obj
}

func TestReadRejectsInvalidTraces(t *testing.T) {
	tests := []struct {
		name string
		edit func(obj map[string]any)
		want string
	}{
		{"schema missing", func(o map[string]any) { delete(o, "schema_version") }, "unsupported schema_version: the field is missing"},
		{"schema newer", func(o map[string]any) { o["schema_version"] = 2 }, "unsupported schema_version 2"},
		{"kernel unknown", func(o map[string]any) { cfg(o)["kernel"] = "4.0" }, `config.kernel: unknown kernel "4.0"`},
		{"mutant unknown", func(o map[string]any) { cfg(o)["mutant"] = "M99" }, `config.mutant: unknown mutant "M99"`},
		{"patches too many", func(o map[string]any) { cfg(o)["patches"] = 9 }, "config: invalid patches 9"},
		{"property missing", func(o map[string]any) { delete(o, "property") }, "property.id is empty"},
		{"kind unknown", func(o map[string]any) { action(o, 0)["kind"] = "reboot" }, `step 1: action: unknown action kind "reboot"`},
		{"patch out of range", func(o map[string]any) { action(o, 0)["patch"] = 2 }, "step 1: action: patch: index 2 is out of range 0 to 1"},
		{"patch missing", func(o map[string]any) { delete(action(o, 0), "patch") }, `step 1: action: action "insmod" needs "patch"`},
		{"task on patch kind", func(o map[string]any) { action(o, 0)["task"] = 0 }, `step 1: action: action "insmod" takes no "task"`},
		{"tasks short", func(o map[string]any) { state(o, 1)["tasks"] = []any{} }, "step 2: state: tasks has 0 entries, expected 2"},
		{"target unknown", func(o map[string]any) { state(o, 1)["target"] = "half" }, `step 2: state: target: unknown value "half"`},
		{"version unknown", func(o map[string]any) {
			tasks := state(o, 1)["tasks"].([]any)
			tasks[0].(map[string]any)["stack"] = []any{map[string]any{"func": 0, "version": "P7"}}
		}, `unknown version "P7"`},
		{"list index", func(o map[string]any) { o["initial_state"].(map[string]any)["klp_patches"] = []any{5} }, "initial_state: klp_patches: index 5 is out of range"},
		{"type mismatch", func(o map[string]any) { o["steps"] = "none" }, "invalid trace: json: cannot unmarshal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obj := validTrace(t)
			tt.edit(obj)
			data, err := json.Marshal(obj)
			if err != nil {
				t.Fatal(err)
			}
			_, err = Read(bytes.NewReader(data))
			if err == nil {
				t.Fatalf("Read succeeded, expected an error containing %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Read error = %q, expected it to contain %q", err, tt.want)
			}
		})
	}
}

func TestReadRejectsNonJSON(t *testing.T) {
	_, err := Read(strings.NewReader("digraph {}"))
	if err == nil || !strings.Contains(err.Error(), "invalid JSON") {
		t.Errorf("Read(DOT) error = %v, expected invalid JSON", err)
	}
	_, err = Read(strings.NewReader(`{"schema_version": 2}`))
	if !errors.Is(err, ErrSchemaVersion) {
		t.Errorf("Read(version 2) error = %v, expected ErrSchemaVersion", err)
	}
}

func cfg(o map[string]any) map[string]any { return o["config"].(map[string]any) }

func step(o map[string]any, i int) map[string]any {
	return o["steps"].([]any)[i].(map[string]any)
}

func action(o map[string]any, i int) map[string]any { return step(o, i)["action"].(map[string]any) }

func state(o map[string]any, i int) map[string]any { return step(o, i)["state"].(map[string]any) }
