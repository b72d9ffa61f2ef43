package tracefile

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/klpcheck/klpcheck/model"
)

// State is a model.State within the bounds of a configuration: slices hold
// only the configured patches, tasks and functions, and patches, tasks and
// functions are referred to by their index from 0.
type State struct {
	// KlpPatches is the klp_patches list in list order.
	KlpPatches []int `json:"klp_patches"`
	// TransitionPatch is klp_transition_patch, null when no transition is
	// in progress.
	TransitionPatch *int `json:"transition_patch"`
	// Target is klp_target_state: "undefined", "unpatched" or "patched".
	Target         string  `json:"target"`
	TransitionWork bool    `json:"transition_work"`
	Patches        []Patch `json:"patches"`
	Tasks          []Task  `json:"tasks"`
	// FuncStacks holds each function's func_stack, oldest patch first:
	// the vmlinux functions, then one function per target module.
	FuncStacks [][]int `json:"func_stacks"`
	// KlpForced is v5.0's global klp_forced; absent means false.
	KlpForced bool `json:"klp_forced,omitempty"`
	// TargetModules holds each target module's state: "absent",
	// "coming", "live" or "going". It is absent without target modules.
	TargetModules []string `json:"target_modules,omitempty"`
}

// Patch is one patch module, with the fields of model.Patch.
type Patch struct {
	Loaded         bool `json:"loaded"`
	Ref            int  `json:"ref"`
	Enabled        bool `json:"enabled"`
	Forced         bool `json:"forced"`
	Sysfs          bool `json:"sysfs"`
	FreeWork       bool `json:"free_work"`
	Freed          bool `json:"freed"`
	FuncTransition bool `json:"func_transition"`
	// Bound and ObjPatched have bit j set when the object of target
	// module j is bound or patched. PostUnpatchEnabled has bit o set for
	// object o (0 vmlinux, j+1 target module j). Absent means 0.
	Bound              int `json:"bound,omitempty"`
	ObjPatched         int `json:"obj_patched,omitempty"`
	PostUnpatchEnabled int `json:"post_unpatch_enabled,omitempty"`
	// Callbacks is the last callback phase of each object, kept only with
	// callbacks configured: "idle", "pre_patched", "post_patched" or
	// "pre_unpatched".
	Callbacks   []string `json:"callbacks,omitempty"`
	PrePatchRet bool     `json:"pre_patch_ret,omitempty"`
}

// Task is one task: its patch_state, TIF_PATCH_PENDING and its stack of
// patched functions, innermost last.
type Task struct {
	PatchState string  `json:"patch_state"`
	Pending    bool    `json:"pending"`
	Stack      []Frame `json:"stack"`
}

// Frame is one patched function on a task's stack and the version the task
// runs: "orig" for the original function or "P<k>" for patch k's.
type Frame struct {
	Func    int    `json:"func"`
	Version string `json:"version"`
}

// EncodeState converts s to its JSON form within the bounds of c.
func EncodeState(c *model.Config, s *model.State) State {
	st := State{
		KlpPatches:     make([]int, 0, s.ListLen),
		Target:         s.Target.String(),
		TransitionWork: s.TransitionWork,
		Patches:        make([]Patch, c.Patches),
		Tasks:          make([]Task, c.Tasks),
		FuncStacks:     make([][]int, c.NumFuncs()),
		KlpForced:      s.KlpForced,
	}
	for j := 0; j < c.Targets; j++ {
		st.TargetModules = append(st.TargetModules, s.Targets[j].String())
	}
	for i := 0; i < int(s.ListLen); i++ {
		st.KlpPatches = append(st.KlpPatches, int(s.List[i]))
	}
	if s.InTransition() {
		k := int(s.TransitionPatch)
		st.TransitionPatch = &k
	}
	for k := range st.Patches {
		p := &s.Patches[k]
		st.Patches[k] = Patch{
			Loaded: p.Loaded, Ref: int(p.Ref), Enabled: p.Enabled, Forced: p.Forced,
			Sysfs: p.Sysfs, FreeWork: p.FreeWork, Freed: p.Freed, FuncTransition: p.FuncTransition,
			Bound: int(p.Bound), ObjPatched: int(p.ObjPatched), PostUnpatchEnabled: int(p.PostUnpatchEnabled),
			PrePatchRet: p.PrePatchRet,
		}
		if c.Callbacks {
			for o := 0; o < c.NumObjects(); o++ {
				st.Patches[k].Callbacks = append(st.Patches[k].Callbacks, p.Callbacks[o].String())
			}
		}
	}
	for t := range st.Tasks {
		task := &s.Tasks[t]
		st.Tasks[t] = Task{PatchState: task.PatchState.String(), Pending: task.Pending, Stack: make([]Frame, 0, task.Depth)}
		for _, fr := range task.Stack() {
			st.Tasks[t].Stack = append(st.Tasks[t].Stack, Frame{Func: int(fr.Func), Version: fr.Version.String()})
		}
	}
	for f := range st.FuncStacks {
		fs := &s.FuncStacks[f]
		st.FuncStacks[f] = make([]int, 0, fs.Len)
		for i := 0; i < int(fs.Len); i++ {
			st.FuncStacks[f] = append(st.FuncStacks[f], int(fs.Patches[i]))
		}
	}
	return st
}

// DecodeState converts st back to a model.State under the bounds of c. It
// returns an error that names the field when a slice does not match the
// bounds, an index is out of range or a name is unknown.
func DecodeState(c *model.Config, st *State) (model.State, error) {
	s := model.Initial(c)

	if len(st.KlpPatches) > c.Patches {
		return s, fmt.Errorf("klp_patches has %d entries, more than the %d patches", len(st.KlpPatches), c.Patches)
	}
	for i, k := range st.KlpPatches {
		if err := checkIndex("klp_patches", k, c.Patches); err != nil {
			return s, err
		}
		s.List[i] = uint8(k)
	}
	s.ListLen = uint8(len(st.KlpPatches))

	if st.TransitionPatch != nil {
		if err := checkIndex("transition_patch", *st.TransitionPatch, c.Patches); err != nil {
			return s, err
		}
		s.TransitionPatch = int8(*st.TransitionPatch)
	}
	target, err := parseTargetState("target", st.Target)
	if err != nil {
		return s, err
	}
	s.Target = target
	s.TransitionWork = st.TransitionWork
	s.KlpForced = st.KlpForced

	if len(st.TargetModules) != c.Targets {
		return s, fmt.Errorf("target_modules has %d entries, expected %d", len(st.TargetModules), c.Targets)
	}
	for j, name := range st.TargetModules {
		m, err := parseModuleState(fmt.Sprintf("target_modules[%d]", j), name)
		if err != nil {
			return s, err
		}
		s.Targets[j] = m
	}

	if len(st.Patches) != c.Patches {
		return s, fmt.Errorf("patches has %d entries, expected %d", len(st.Patches), c.Patches)
	}
	for k, p := range st.Patches {
		if p.Ref < -128 || p.Ref > 127 {
			return s, fmt.Errorf("patches[%d].ref %d is out of range -128 to 127", k, p.Ref)
		}
		for _, mask := range []struct {
			name  string
			value int
			bits  int
		}{{"bound", p.Bound, c.Targets}, {"obj_patched", p.ObjPatched, c.Targets}, {"post_unpatch_enabled", p.PostUnpatchEnabled, c.NumObjects()}} {
			if mask.value < 0 || mask.value >= 1<<mask.bits {
				return s, fmt.Errorf("patches[%d].%s %d is out of range 0 to %d", k, mask.name, mask.value, 1<<mask.bits-1)
			}
		}
		s.Patches[k] = model.Patch{
			Loaded: p.Loaded, Ref: int8(p.Ref), Enabled: p.Enabled, Forced: p.Forced,
			Sysfs: p.Sysfs, FreeWork: p.FreeWork, Freed: p.Freed, FuncTransition: p.FuncTransition,
			Bound: uint8(p.Bound), ObjPatched: uint8(p.ObjPatched), PostUnpatchEnabled: uint8(p.PostUnpatchEnabled),
			PrePatchRet: p.PrePatchRet,
		}
		wantCallbacks := 0
		if c.Callbacks {
			wantCallbacks = c.NumObjects()
		}
		if len(p.Callbacks) != wantCallbacks {
			return s, fmt.Errorf("patches[%d].callbacks has %d entries, expected %d", k, len(p.Callbacks), wantCallbacks)
		}
		for o, name := range p.Callbacks {
			phase, err := parseCallbackPhase(fmt.Sprintf("patches[%d].callbacks[%d]", k, o), name)
			if err != nil {
				return s, err
			}
			s.Patches[k].Callbacks[o] = phase
		}
	}

	if len(st.Tasks) != c.Tasks {
		return s, fmt.Errorf("tasks has %d entries, expected %d", len(st.Tasks), c.Tasks)
	}
	for t := range st.Tasks {
		if err := decodeTask(c, t, &st.Tasks[t], &s.Tasks[t]); err != nil {
			return s, err
		}
	}

	if len(st.FuncStacks) != c.NumFuncs() {
		return s, fmt.Errorf("func_stacks has %d entries, expected %d", len(st.FuncStacks), c.NumFuncs())
	}
	for f, stack := range st.FuncStacks {
		if len(stack) > c.Patches {
			return s, fmt.Errorf("func_stacks[%d] has %d entries, more than the %d patches", f, len(stack), c.Patches)
		}
		for i, k := range stack {
			if err := checkIndex(fmt.Sprintf("func_stacks[%d]", f), k, c.Patches); err != nil {
				return s, err
			}
			s.FuncStacks[f].Patches[i] = uint8(k)
		}
		s.FuncStacks[f].Len = uint8(len(stack))
	}
	return s, nil
}

func decodeTask(c *model.Config, t int, in *Task, out *model.Task) error {
	name := fmt.Sprintf("tasks[%d]", t)
	ps, err := parseTargetState(name+".patch_state", in.PatchState)
	if err != nil {
		return err
	}
	out.PatchState = ps
	out.Pending = in.Pending
	if len(in.Stack) > c.NumFuncs() {
		return fmt.Errorf("%s.stack has %d frames, more than the %d functions", name, len(in.Stack), c.NumFuncs())
	}
	for i, fr := range in.Stack {
		if err := checkIndex(fmt.Sprintf("%s.stack[%d].func", name, i), fr.Func, c.NumFuncs()); err != nil {
			return err
		}
		v, err := parseVersion(c, fr.Version)
		if err != nil {
			return fmt.Errorf("%s.stack[%d].version: %w", name, i, err)
		}
		out.Frames[i] = model.Frame{Func: uint8(fr.Func), Version: v}
	}
	out.Depth = uint8(len(in.Stack))
	return nil
}

func checkIndex(field string, i, n int) error {
	if n == 0 {
		return fmt.Errorf("%s: index %d is out of range because the configuration has none", field, i)
	}
	if i < 0 || i >= n {
		return fmt.Errorf("%s: index %d is out of range 0 to %d", field, i, n-1)
	}
	return nil
}

func parseTargetState(field, name string) (model.TargetState, error) {
	for _, t := range []model.TargetState{model.Undefined, model.Unpatched, model.Patched} {
		if name == t.String() {
			return t, nil
		}
	}
	return 0, fmt.Errorf("%s: unknown value %q: valid values are undefined, unpatched, patched", field, name)
}

// parseVersion parses "orig" or "P<k>" with k a configured patch.
func parseVersion(c *model.Config, name string) (model.Version, error) {
	if name == model.Original.String() {
		return model.Original, nil
	}
	digits, ok := strings.CutPrefix(name, "P")
	if ok {
		k, err := strconv.Atoi(digits)
		if err == nil && k >= 0 && k < c.Patches {
			return model.PatchVersion(k), nil
		}
	}
	return 0, fmt.Errorf("unknown version %q: valid versions are orig and P0 to P%d", name, c.Patches-1)
}

func parseModuleState(field, name string) (model.ModuleState, error) {
	var names []string
	for m := model.ModuleAbsent; m <= model.ModuleGoing; m++ {
		if m.String() == name {
			return m, nil
		}
		names = append(names, m.String())
	}
	return 0, fmt.Errorf("%s: unknown module state %q: valid states are %s", field, name, strings.Join(names, ", "))
}

func parseCallbackPhase(field, name string) (model.CallbackPhase, error) {
	var names []string
	for p := model.CallbacksIdle; p <= model.CallbacksPreUnpatched; p++ {
		if p.String() == name {
			return p, nil
		}
		names = append(names, p.String())
	}
	return 0, fmt.Errorf("%s: unknown callback phase %q: valid phases are %s", field, name, strings.Join(names, ", "))
}
