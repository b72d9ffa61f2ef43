package explore

import (
	"testing"

	"github.com/klpcheck/klpcheck/model"
)

func BenchmarkEncodeFingerprint(b *testing.B) {
	s := model.Initial(&model.Config{Patches: 3, Tasks: 3, Functions: 2})
	var e encoded
	var sink uint64
	for b.Loop() {
		s.Tasks[0].Depth++
		encode(&s, &e)
		sink += fingerprint(&s)
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

func BenchmarkEncode(b *testing.B) {
	s := model.Initial(&model.Config{Patches: 3, Tasks: 3, Functions: 2})
	var e encoded
	for b.Loop() {
		s.Tasks[0].Depth++
		encode(&s, &e)
	}
}

func BenchmarkFingerprint(b *testing.B) {
	s := model.Initial(&model.Config{Patches: 3, Tasks: 3, Functions: 2})
	var sink uint64
	for b.Loop() {
		s.Tasks[0].Depth++
		sink += fingerprint(&s)
	}
	_ = sink
}

func BenchmarkFingerprintArray(b *testing.B) {
	c := &model.Config{Patches: 3, Tasks: 3, Functions: 2}
	states := make([]model.State, 1024)
	for i := range states {
		states[i] = model.Initial(c)
		states[i].Tasks[0].Depth = uint8(i)
		states[i].Tasks[1].Depth = uint8(i >> 8)
	}
	var sink uint64
	i := 0
	for b.Loop() {
		sink += fingerprint(&states[i&1023])
		i++
	}
	_ = sink
}
