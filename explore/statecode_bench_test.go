package explore

import (
	"testing"

	"github.com/klpcheck/klpcheck/model"
)

// benchStates returns 1024 distinct states at 3 patches, 3 tasks and 2
// functions, so that a benchmark does not hash one state over and over.
func benchStates() []model.State {
	c := &model.Config{Patches: 3, Tasks: 3, Functions: 2}
	states := make([]model.State, 1024)
	for i := range states {
		states[i] = model.Initial(c)
		states[i].Tasks[0].Depth = uint8(i)
		states[i].Tasks[1].Depth = uint8(i >> 8)
	}
	return states
}

func BenchmarkEncode(b *testing.B) {
	states := benchStates()
	var e encoded
	i := 0
	for b.Loop() {
		encode(&states[i&1023], &e)
		i++
	}
}

func BenchmarkFingerprint(b *testing.B) {
	states := benchStates()
	var sink uint64
	i := 0
	for b.Loop() {
		sink += fingerprint(&states[i&1023])
		i++
	}
	_ = sink
}

func BenchmarkCanonicalize(b *testing.B) {
	c := &model.Config{Patches: 3, Tasks: 3, Functions: 2}
	s := model.Initial(c)
	s.Tasks[0].PatchState = model.Patched
	s.Tasks[2].Depth = 1
	for b.Loop() {
		t := s
		canonicalize(&t, 3)
	}
}
