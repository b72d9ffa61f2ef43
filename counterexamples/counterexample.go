// Package counterexamples turns a violation found by package explore into
// a picture and a text trace: a path graph with one node per state and one
// edge per step, written as Graphviz DOT, where each edge names the action,
// the kernel function it abstracts and the state fields it changed.
package counterexamples

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/dominikbraun/graph"

	"github.com/klpcheck/klpcheck/explore"
	"github.com/klpcheck/klpcheck/model"
)

// Change is one state field that a step changed, with its path in
// model.State (such as "Patches[0].Enabled") and the values before and after.
type Change struct {
	Path, Old, New string
}

// Step is one step of a counterexample.
type Step struct {
	Action         model.Action
	KernelFunction string
	Outcome        model.Outcome
	Changes        []Change // in field order of model.State
	Label          string   // compact label of the state after the step
}

// Counterexample is a violation with each step's changes worked out.
type Counterexample struct {
	Config       model.Config
	PropertyID   string
	PropertyName string
	Detail       string
	OnStep       bool   // the last step, not the last state, breaks the property
	InitialLabel string // compact label of the initial state
	Steps        []Step
}

// New builds the counterexample of violation v found under configuration c.
func New(c model.Config, v *explore.Violation) *Counterexample {
	x := &Counterexample{
		Config:       c,
		PropertyID:   v.ID,
		PropertyName: v.Name,
		Detail:       v.Detail,
		OnStep:       v.OnStep,
		InitialLabel: c.Label(v.Trace.Initial),
	}
	prev := v.Trace.Initial
	for _, s := range v.Trace.Steps {
		x.Steps = append(x.Steps, Step{
			Action:         s.Action,
			KernelFunction: s.Action.Kind.KernelFunction(),
			Outcome:        s.Outcome,
			Changes:        Diff(prev, s.State),
			Label:          c.Label(s.State),
		})
		prev = s.State
	}
	return x
}

// Diff returns the fields that differ between two states, in field order.
// It walks both values with reflect, comparing arrays element by element at
// the same index. (go-cmp aligns array elements with an edit script, so an
// element that changed in most fields came out as a removal and an insertion
// at index -1.)
func Diff(a, b model.State) []Change {
	var changes []Change
	diffValues(reflect.ValueOf(a), reflect.ValueOf(b), "", &changes)
	return changes
}

// diffValues appends a Change for each leaf that differs between x and y,
// which have the same type. path is the Go selector syntax of x within
// model.State, such as "Patches[0].Enabled".
func diffValues(x, y reflect.Value, path string, changes *[]Change) {
	switch x.Kind() {
	case reflect.Struct:
		for i := range x.NumField() {
			name := x.Type().Field(i).Name
			if path != "" {
				name = path + "." + name
			}
			diffValues(x.Field(i), y.Field(i), name, changes)
		}
	case reflect.Array:
		for i := range x.Len() {
			diffValues(x.Index(i), y.Index(i), fmt.Sprintf("%s[%d]", path, i), changes)
		}
	default:
		if !x.Equal(y) {
			*changes = append(*changes, Change{Path: path, Old: fmt.Sprint(x), New: fmt.Sprint(y)})
		}
	}
}

// Node is a vertex of the counterexample graph: the index of a state on the
// path, 0 for the initial state.
type Node = int

// Graph returns the counterexample as a directed path graph. Vertex i is the
// state after step i; its "label" attribute is the state's compact label.
// The edge from i-1 to i carries the step in its "label" attribute. The
// violating vertex (or edge, for a step property) has "color" set to red.
func (x *Counterexample) Graph() (graph.Graph[int, Node], error) {
	g := graph.New(graph.IntHash, graph.Directed(), graph.Acyclic())

	last := len(x.Steps)
	for i := 0; i <= last; i++ {
		label := x.InitialLabel
		if i > 0 {
			label = x.Steps[i-1].Label
		}
		attrs := []func(*graph.VertexProperties){
			graph.VertexAttribute("label", fmt.Sprintf("state %d\n%s", i, label)),
		}
		if i == last && !x.OnStep {
			attrs = append(attrs,
				graph.VertexAttribute("label", fmt.Sprintf("state %d: %s violated\n%s\n%s", i, x.PropertyID, x.Detail, label)),
				graph.VertexAttribute("color", "red"),
				graph.VertexAttribute("penwidth", "2"))
		}
		if err := g.AddVertex(i, attrs...); err != nil {
			return nil, fmt.Errorf("add state %d: %w", i, err)
		}
	}

	for i, s := range x.Steps {
		attrs := []func(*graph.EdgeProperties){graph.EdgeAttribute("label", edgeLabel(i+1, s))}
		if i+1 == last && x.OnStep {
			attrs = append(attrs,
				graph.EdgeAttribute("label", fmt.Sprintf("%s\n%s violated: %s", edgeLabel(i+1, s), x.PropertyID, x.Detail)),
				graph.EdgeAttribute("color", "red"),
				graph.EdgeAttribute("penwidth", "2"))
		}
		if err := g.AddEdge(i, i+1, attrs...); err != nil {
			return nil, fmt.Errorf("add step %d: %w", i+1, err)
		}
	}
	return g, nil
}

// edgeLabel describes step n: the action, its kernel function, the error if
// the routine failed, then one line per changed field.
func edgeLabel(n int, s Step) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d. %s\n%s()", n, s.Action, s.KernelFunction)
	if s.Outcome.Rejected() {
		fmt.Fprintf(&b, " = %s", s.errorNote())
	}
	for _, ch := range s.Changes {
		fmt.Fprintf(&b, "\n%s: %s → %s", ch.Path, ch.Old, ch.New)
	}
	return b.String()
}

// errorNote describes the error of a rejected step, such as "-EBUSY, state
// unchanged". Some rejected steps change the state, such as a target_load
// refused by a failing pre_patch callback, so "state unchanged" is added
// only when the step changed no field.
func (s Step) errorNote() string {
	note := "-" + s.Outcome.Err.String()
	if len(s.Changes) == 0 {
		note += ", state unchanged"
	}
	return note
}
