// Package tracefile writes and reads trace.json, the machine-readable form
// of a counterexample, and replays a recorded trace on the current model.
//
// A File holds the configuration, the failed property, the initial state and
// every step with its action, kernel function, error, outcome flags, the full
// state after the step and the fields the step changed. docs/trace-json.md
// documents the schema. Files carry SchemaVersion, and Read rejects any
// other version.
package tracefile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/klpcheck/klpcheck/counterexamples"
	"github.com/klpcheck/klpcheck/explore"
	"github.com/klpcheck/klpcheck/model"
)

// SchemaVersion is the trace.json schema that this package writes and reads.
const SchemaVersion = 1

// File is the content of a trace.json file.
type File struct {
	SchemaVersion int `json:"schema_version"`
	// Generator names the program that wrote the file, such as
	// "klpcheck v0.1.0". Read ignores it.
	Generator string   `json:"generator"`
	Config    Config   `json:"config"`
	Property  Property `json:"property"`
	Initial   State    `json:"initial_state"`
	Steps     []Step   `json:"steps"`
}

// Config is the model configuration the trace was found under.
type Config struct {
	Kernel    string `json:"kernel"`
	Patches   int    `json:"patches"`
	Tasks     int    `json:"tasks"`
	Functions int    `json:"functions"`
	Mutant    string `json:"mutant"`
	// Targets, Callbacks and PrePatchRet are the target-module options;
	// absent means 0 and false.
	Targets     int  `json:"targets,omitempty"`
	Callbacks   bool `json:"callbacks,omitempty"`
	PrePatchRet bool `json:"pre_patch_ret,omitempty"`
}

// Property is the property that the last state or step of the trace breaks.
type Property struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Detail string `json:"detail"`
	// OnStep is true when the last step breaks the property and false when
	// the state after it does.
	OnStep bool `json:"on_step"`
}

// Step is one step of the trace.
type Step struct {
	Action         Action `json:"action"`
	KernelFunction string `json:"kernel_function"`
	// Errno is the positive Linux error number the kernel routine returned,
	// 0 when it succeeded. Error is its name, such as "EBUSY".
	Errno int    `json:"errno,omitempty"`
	Error string `json:"error,omitempty"`
	// Flags name facts about the step that the state cannot show, such as
	// "completed" for a completed transition. docs/trace-json.md lists them.
	Flags   []string `json:"flags,omitempty"`
	State   State    `json:"state"`
	Changes []Change `json:"changes"`
}

// Change is a state field that a step changed, with its path in model.State
// (such as "Patches[0].Enabled") and its values before and after the step,
// as counterexamples.Diff reports them.
type Change struct {
	Path string `json:"path"`
	Old  string `json:"old"`
	New  string `json:"new"`
}

// Action is a model.Action. Each operand field is present exactly for the
// kinds that use it, as kindOperands lists: Patch for the patch-module kinds
// and set_pre_patch_ret, Task for the task kinds, Func for "call" and Target
// for the target-module kinds. Text is the form that the text trace shows,
// such as "echo 0 > P0/enabled".
type Action struct {
	Kind   string `json:"kind"`
	Patch  *int   `json:"patch,omitempty"`
	Task   *int   `json:"task,omitempty"`
	Func   *int   `json:"func,omitempty"`
	Target *int   `json:"target,omitempty"`
	Text   string `json:"text"`
}

// operands marks the model.Action fields that an action kind uses.
type operands struct {
	patch, task, fn, target bool
}

// kindOperands lists the operands of every kind. A kind missing here
// encodes as its name alone, which TestActionRoundTripReachable catches
// as soon as such an action has an operand.
var kindOperands = [model.NumKinds]operands{
	model.Insmod:         {patch: true},
	model.Rmmod:          {patch: true},
	model.Disable:        {patch: true},
	model.Enable:         {patch: true},
	model.Force:          {patch: true},
	model.FreeWork:       {patch: true},
	model.TransitionWork: {},
	model.Call:           {task: true, fn: true},
	model.Return:         {task: true},
	model.ExitToUser:     {task: true},
	model.SetPrePatchRet: {patch: true},
	model.TargetLoad:     {target: true},
	model.TargetInit:     {target: true},
	model.TargetInitFail: {target: true},
	model.TargetUnload:   {target: true},
	model.TargetGoing:    {target: true},
}

func operandsOf(k model.Kind) operands {
	if int(k) < len(kindOperands) {
		return kindOperands[k]
	}
	return operands{}
}

// flagNames names the model.Flag bits in trace.json.
var flagNames = []struct {
	flag model.Flag
	name string
}{
	{model.FlagCompleted, "completed"},
	{model.FlagReversed, "reversed"},
	{model.FlagForced, "forced"},
	{model.FlagFreeInOwnHandler, "free_in_own_handler"},
	{model.FlagHandlerUndefined, "handler_undefined"},
	{model.FlagInitTransition, "init_transition"},
}

// New builds the trace file of violation v found under configuration c.
// generator names the program writing it.
func New(c model.Config, v *explore.Violation, generator string) *File {
	f := &File{
		SchemaVersion: SchemaVersion,
		Generator:     generator,
		Config: Config{
			Kernel: c.Kernel.String(), Patches: c.Patches, Tasks: c.Tasks,
			Functions: c.Functions, Mutant: c.Mutant.String(),
			Targets: c.Targets, Callbacks: c.Callbacks, PrePatchRet: c.PrePatchRet,
		},
		Property: Property{ID: v.ID, Name: v.Name, Detail: v.Detail, OnStep: v.OnStep},
		Initial:  EncodeState(&c, &v.Trace.Initial),
		Steps:    make([]Step, 0, len(v.Trace.Steps)),
	}
	prev := v.Trace.Initial
	for _, s := range v.Trace.Steps {
		step := Step{
			Action:         EncodeAction(s.Action),
			KernelFunction: s.Action.Kind.KernelFunction(),
			Flags:          encodeFlags(s.Outcome.Flags),
			State:          EncodeState(&c, &s.State),
			Changes:        encodeChanges(counterexamples.Diff(prev, s.State)),
		}
		if s.Outcome.Rejected() {
			step.Errno = int(s.Outcome.Err)
			step.Error = s.Outcome.Err.String()
		}
		f.Steps = append(f.Steps, step)
		prev = s.State
	}
	return f
}

func encodeChanges(changes []counterexamples.Change) []Change {
	out := make([]Change, len(changes))
	for i, ch := range changes {
		out[i] = Change(ch)
	}
	return out
}

// EncodeAction converts a to its JSON form, with every operand its kind
// uses.
func EncodeAction(a model.Action) Action {
	out := Action{Kind: a.Kind.String(), Text: a.String()}
	ops := operandsOf(a.Kind)
	if ops.patch {
		out.Patch = intPointer(a.Patch)
	}
	if ops.task {
		out.Task = intPointer(a.Task)
	}
	if ops.fn {
		out.Func = intPointer(a.Func)
	}
	if ops.target {
		out.Target = intPointer(a.Target)
	}
	return out
}

func intPointer(v uint8) *int {
	i := int(v)
	return &i
}

// DecodeAction converts a back to a model.Action under the bounds of c. Text
// is not read. Fields that the kind does not use must be absent. A function
// index may name any of c.NumFuncs() functions: the vmlinux functions, then
// one per target module.
func DecodeAction(c *model.Config, a *Action) (model.Action, error) {
	kind, ok := parseKind(a.Kind)
	if !ok {
		return model.Action{}, fmt.Errorf("unknown action kind %q: valid kinds are %s", a.Kind, kindList())
	}
	out := model.Action{Kind: kind}
	ops := operandsOf(kind)
	if err := decodeOperand(&out.Patch, "patch", a.Patch, ops.patch, c.Patches, a.Kind); err != nil {
		return out, err
	}
	if err := decodeOperand(&out.Task, "task", a.Task, ops.task, c.Tasks, a.Kind); err != nil {
		return out, err
	}
	if err := decodeOperand(&out.Func, "func", a.Func, ops.fn, c.NumFuncs(), a.Kind); err != nil {
		return out, err
	}
	if err := decodeOperand(&out.Target, "target", a.Target, ops.target, c.Targets, a.Kind); err != nil {
		return out, err
	}
	return out, nil
}

// decodeOperand stores *v in dst after checking that it is present exactly
// when the kind uses it and that it is an index below n.
func decodeOperand(dst *uint8, field string, v *int, used bool, n int, kind string) error {
	switch {
	case used && v == nil:
		return fmt.Errorf("action %q needs %q", kind, field)
	case !used && v != nil:
		return fmt.Errorf("action %q takes no %q", kind, field)
	case v == nil:
		return nil
	}
	if err := checkIndex(field, *v, n); err != nil {
		return err
	}
	*dst = uint8(*v)
	return nil
}

func parseKind(name string) (model.Kind, bool) {
	for k := 0; k < model.NumKinds; k++ {
		if model.Kind(k).String() == name {
			return model.Kind(k), true
		}
	}
	return 0, false
}

func kindList() string {
	var b bytes.Buffer
	for k := 0; k < model.NumKinds; k++ {
		if k > 0 {
			b.WriteString(", ")
		}
		b.WriteString(model.Kind(k).String())
	}
	return b.String()
}

func encodeFlags(flags model.Flag) []string {
	var names []string
	for _, fn := range flagNames {
		if flags&fn.flag != 0 {
			names = append(names, fn.name)
			flags &^= fn.flag
		}
	}
	if flags != 0 {
		names = append(names, fmt.Sprintf("flags(%#x)", uint8(flags)))
	}
	return names
}

// ModelConfig returns the model configuration recorded in f, validated.
func (f *File) ModelConfig() (model.Config, error) {
	k, err := model.ParseKernel(f.Config.Kernel)
	if err != nil {
		return model.Config{}, fmt.Errorf("config.kernel: %w", err)
	}
	m, err := model.ParseMutant(f.Config.Mutant)
	if err != nil {
		return model.Config{}, fmt.Errorf("config.mutant: %w", err)
	}
	c := model.Config{
		Kernel: k, Patches: f.Config.Patches, Tasks: f.Config.Tasks, Functions: f.Config.Functions, Mutant: m,
		Targets: f.Config.Targets, Callbacks: f.Config.Callbacks, PrePatchRet: f.Config.PrePatchRet,
	}
	if err := c.Validate(); err != nil {
		return model.Config{}, fmt.Errorf("config: %w", err)
	}
	return c, nil
}

// Write writes f as indented JSON.
func Write(w io.Writer, f *File) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(f)
}

// ErrSchemaVersion is returned, wrapped, by Read for a file whose
// schema_version is missing or not SchemaVersion.
var ErrSchemaVersion = errors.New("unsupported schema_version")

// Read decodes a trace file and checks its schema version, its configuration
// and that every action and state fits that configuration. Unknown JSON
// fields are ignored.
func Read(r io.Reader) (*File, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	var header struct {
		SchemaVersion *int `json:"schema_version"`
	}
	if err := json.Unmarshal(data, &header); err != nil {
		return nil, fmt.Errorf("invalid JSON: %w", err)
	}
	if header.SchemaVersion == nil {
		return nil, fmt.Errorf("%w: the field is missing; this klpcheck reads version %d", ErrSchemaVersion, SchemaVersion)
	}
	if *header.SchemaVersion != SchemaVersion {
		return nil, fmt.Errorf("%w %d: this klpcheck reads version %d", ErrSchemaVersion, *header.SchemaVersion, SchemaVersion)
	}

	var f File
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("invalid trace: %w", err)
	}
	if err := f.validate(); err != nil {
		return nil, fmt.Errorf("invalid trace: %w", err)
	}
	return &f, nil
}

// validate checks that the configuration is valid and that every action
// and state fits it.
func (f *File) validate() error {
	c, err := f.ModelConfig()
	if err != nil {
		return err
	}
	if f.Property.ID == "" {
		return errors.New("property.id is empty")
	}
	if _, err := DecodeState(&c, &f.Initial); err != nil {
		return fmt.Errorf("initial_state: %w", err)
	}
	for i := range f.Steps {
		s := &f.Steps[i]
		if _, err := DecodeAction(&c, &s.Action); err != nil {
			return fmt.Errorf("step %d: action: %w", i+1, err)
		}
		if _, err := DecodeState(&c, &s.State); err != nil {
			return fmt.Errorf("step %d: state: %w", i+1, err)
		}
	}
	return nil
}
