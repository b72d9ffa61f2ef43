package explore

import (
	"reflect"
	"testing"
	"unsafe"

	"github.com/klpcheck/klpcheck/invariants"
	"github.com/klpcheck/klpcheck/model"
)

// leafBytes returns the total size of the non-struct, non-array fields of
// t, counting each array element.
func leafBytes(t reflect.Type) uintptr {
	switch t.Kind() {
	case reflect.Struct:
		var n uintptr
		for i := range t.NumField() {
			n += leafBytes(t.Field(i).Type)
		}
		return n
	case reflect.Array:
		return uintptr(t.Len()) * leafBytes(t.Elem())
	}
	return t.Size()
}

// The engine hashes, compares and packs the raw memory of model.State, so
// padding bytes, whose contents Go does not define, must not exist.
func TestStateHasNoPadding(t *testing.T) {
	if got, want := leafBytes(reflect.TypeFor[model.State]()), unsafe.Sizeof(model.State{}); got != want {
		t.Fatalf("model.State has %d bytes of fields in %d bytes of memory: reorder its fields or add explicit padding fields so that it has no padding", got, want)
	}
}

// reachableStates returns every state reachable within c without passing
// through a violation, which is what the engine may store: it does not
// expand a state that breaks a safety property or follow a step that does.
// Mutants can crash the model beyond a violation.
func reachableStates(c *model.Config) []model.State {
	checker := invariants.NewChecker(c, invariants.Properties(c))
	init := model.Initial(c)
	seen := map[model.State]bool{init: true}
	states := []model.State{init}
	for i := 0; i < len(states); i++ {
		s := states[i]
		if bad, _ := checker.CheckState(&s); bad >= 0 {
			continue
		}
		for _, a := range c.Actions(&s, nil) {
			n, out := c.Step(s, a)
			if bad, _ := checker.CheckStep(&s, a, &n, out); bad >= 0 {
				continue
			}
			if !seen[n] {
				seen[n] = true
				states = append(states, n)
			}
		}
	}
	return states
}

func TestEncodeRoundTrip(t *testing.T) {
	for _, m := range allMutants() {
		c := model.Config{Patches: 2, Tasks: 2, Functions: 2, Mutant: m}
		c = withCallbacksFor(c)
		for _, s := range reachableStates(&c) {
			var e encoded
			if !encode(&s, &e) {
				t.Fatalf("%s: state not encodable:\n%s", m, c.Label(s))
			}
			var back model.State
			decode(&e, &back)
			if back != s {
				t.Fatalf("%s: decode(encode(s)) differs from s:\n%s\nwant\n%s", m, c.Label(back), c.Label(s))
			}
		}
	}
}

// Every byte of the state, whatever field it belongs to, takes part in the
// encoding and the fingerprint.
func TestEncodingCoversEveryByte(t *testing.T) {
	base := model.Initial(&model.Config{Patches: 2, Tasks: 2, Functions: 2})
	var baseEnc encoded
	encode(&base, &baseEnc)
	raw := func(s *model.State) []byte { return unsafe.Slice((*byte)(unsafe.Pointer(s)), stateSize) }
	for i := range raw(&base) {
		for _, v := range []byte{0, 1, 14, 0xff} {
			s := base
			raw(&s)[i] = v
			var e encoded
			if !encode(&s, &e) {
				t.Fatalf("byte %d = %d: not encodable", i, int8(v))
			}
			var back model.State
			decode(&e, &back)
			if back != s {
				t.Fatalf("byte %d = %d: round trip changed the state", i, int8(v))
			}
			if s != base && (e == baseEnc || fingerprint(&s) == fingerprint(&base)) {
				t.Fatalf("byte %d = %d: encoding or fingerprint ignores the change", i, int8(v))
			}
			if sameState(&s, &base) != (s == base) {
				t.Fatalf("byte %d = %d: sameState = %t, == gives %t", i, int8(v), !(s == base), s == base)
			}
		}
	}
}

func TestEncodeRejectsOutOfRange(t *testing.T) {
	s := model.Initial(&model.Config{Patches: 1, Tasks: 1, Functions: 1})
	s.Patches[0].Ref = 15
	var e encoded
	if encode(&s, &e) {
		t.Error("encode accepted a byte of 15")
	}
	s.Patches[0].Ref = -2
	if encode(&s, &e) {
		t.Error("encode accepted a byte of -2")
	}
}

// permuteTasks returns s with task i moved to position perm[i].
func permuteTasks(s model.State, perm []int) model.State {
	out := s
	for i, p := range perm {
		out.Tasks[p] = s.Tasks[i]
	}
	return out
}

func permuteAction(a model.Action, perm []int) model.Action {
	if a.Kind >= model.Call {
		a.Task = uint8(perm[a.Task])
	}
	return a
}

func permutations(n int) [][]int {
	if n == 1 {
		return [][]int{{0}}
	}
	var out [][]int
	for _, p := range permutations(n - 1) {
		for i := 0; i <= len(p); i++ {
			q := append(append(append([]int{}, p[:i]...), n-1), p[i:]...)
			out = append(out, q)
		}
	}
	return out
}

// TestSymmetryIsSound checks what symmetry reduction relies on, on every
// reachable state at small bounds. Permuting tasks commutes with every
// step, which shows that nothing outside Tasks names a task and that the
// model treats tasks alike. It also keeps the property verdicts and the
// canonical form.
func TestSymmetryIsSound(t *testing.T) {
	for _, m := range allMutants() {
		c := model.Config{Patches: 2, Tasks: 3, Functions: 1, Mutant: m}
		c = withCallbacksFor(c)
		e := newEngine(Options{Config: c, Symmetry: true})
		perms := permutations(c.Tasks)
		for _, s := range reachableStates(&c) {
			canon := s
			canonicalize(&canon, c.Tasks)
			for _, perm := range perms {
				ps := permuteTasks(s, perm)
				pc := ps
				canonicalize(&pc, c.Tasks)
				if pc != canon {
					t.Fatalf("%s: a permuted state has another canonical form:\n%s", m, c.Label(ps))
				}
				for _, p := range e.props {
					if p.State == nil {
						continue
					}
					ok1, _ := p.State(&c, &s)
					ok2, _ := p.State(&c, &ps)
					if ok1 != ok2 {
						t.Fatalf("%s: %s holds %t on a state and %t on its permutation:\n%s", m, p.ID, ok1, ok2, c.Label(s))
					}
				}
				for _, a := range c.Actions(&s, nil) {
					pa := permuteAction(a, perm)
					next, out := c.Step(s, a)
					pnext, pout := c.Step(ps, pa)
					if permuteTasks(next, perm) != pnext || out != pout {
						t.Fatalf("%s: %s does not commute with permuting tasks from\n%s", m, a, c.Label(s))
					}
					for _, p := range e.props {
						if p.Step == nil {
							continue
						}
						ok1, _ := p.Step(&c, &s, a, &next, out)
						ok2, _ := p.Step(&c, &ps, pa, &pnext, pout)
						if ok1 != ok2 {
							t.Fatalf("%s: step property %s differs on a permuted step %s", m, p.ID, a)
						}
					}
				}
			}
		}
	}
}

func TestSameStateMatchesEquality(t *testing.T) {
	c := model.Config{Patches: 2, Tasks: 2, Functions: 2}
	states := reachableStates(&c)
	for i := range states {
		for _, j := range []int{i, (i + 1) % len(states), (i * 7) % len(states)} {
			if got, want := sameState(&states[i], &states[j]), states[i] == states[j]; got != want {
				t.Fatalf("sameState(states[%d], states[%d]) = %t, == gives %t", i, j, got, want)
			}
		}
	}
}
