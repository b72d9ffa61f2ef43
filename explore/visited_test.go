package explore

import (
	"math/rand/v2"
	"testing"
)

func TestVisitedSetMatchesMap(t *testing.T) {
	mem := &budget{limit: 1 << 30}
	v, err := newVisitedSet(mem, false)
	if err != nil {
		t.Fatal(err)
	}
	defer v.free()
	rng := rand.New(rand.NewPCG(1, 2))
	want := map[uint64]bool{}
	for i := range 300000 {
		fp := rng.Uint64() | 1
		if i%3 == 0 && len(want) > 0 {
			fp = fp%1000 + 1 // small values repeat, and land in shard 0
		}
		added, err := v.insert([]uint64{fp})
		if err != nil {
			t.Fatal(err)
		}
		if added == want[fp] {
			t.Fatalf("insert(%#x) = %t with the key stored = %t", fp, added, want[fp])
		}
		want[fp] = true
	}
	for fp := range want {
		if !v.contains([]uint64{fp}) {
			t.Fatalf("contains(%#x) = false after insert", fp)
		}
	}
	for range 10000 {
		fp := rng.Uint64() | 1
		if v.contains([]uint64{fp}) != want[fp] {
			t.Fatalf("contains(%#x) = %t, want %t", fp, !want[fp], want[fp])
		}
	}
	if got := v.bytes(); got <= 0 || got > int64(len(want))*16 {
		t.Errorf("tables hold %d bytes for %d keys", got, len(want))
	}
}

// In exact mode two states may share a fingerprint and must both be kept.
func TestVisitedSetExactKeepsCollisions(t *testing.T) {
	mem := &budget{limit: 1 << 30}
	v, err := newVisitedSet(mem, true)
	if err != nil {
		t.Fatal(err)
	}
	defer v.free()
	key := func(fp, state uint64) []uint64 {
		k := make([]uint64, v.keyWords)
		k[0], k[1] = fp, state
		return k
	}
	for i := range 5000 {
		fp := uint64(i%50 + 1)
		if added, _ := v.insert(key(fp, uint64(i))); !added {
			t.Fatalf("insert of state %d with fingerprint %d reported a duplicate", i, fp)
		}
	}
	for i := range 5000 {
		fp := uint64(i%50 + 1)
		if added, _ := v.insert(key(fp, uint64(i))); added {
			t.Fatalf("second insert of state %d was added again", i)
		}
		if v.contains(key(fp, uint64(i)+5000)) {
			t.Fatalf("contains found state %d, which was never inserted", i+5000)
		}
	}
}

func TestVisitedSetStopsAtMemoryLimit(t *testing.T) {
	mem := &budget{limit: 4 << 20}
	v, err := newVisitedSet(mem, false)
	if err != nil {
		t.Fatal(err)
	}
	defer v.free()
	rng := rand.New(rand.NewPCG(3, 4))
	for i := 0; ; i++ {
		if _, err := v.insert([]uint64{rng.Uint64() | 1}); err != nil {
			if err != errMemory {
				t.Fatalf("insert error = %v, want errMemory", err)
			}
			break
		}
		if i > 1<<20 {
			t.Fatal("a million keys fitted in 4 MiB")
		}
	}
	if used := mem.used.Load(); used > mem.limit {
		t.Errorf("accounted %d bytes, above the limit %d", used, mem.limit)
	}
}

func TestParseBytes(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
	}{
		{"1024", 1024},
		{"64MiB", 64 << 20},
		{"64M", 64 << 20},
		{"2GiB", 2 << 30},
		{"2gib", 2 << 30},
		{"1.5GiB", 3 << 29},
		{"10MB", 10_000_000},
		{"512 KiB", 512 << 10},
	} {
		got, err := ParseBytes(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseBytes(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
	}
	for _, in := range []string{"", "MiB", "12XB", "-5", "1e400GiB"} {
		if _, err := ParseBytes(in); err == nil {
			t.Errorf("ParseBytes(%q) returned no error", in)
		}
	}
}

func TestCollisionProbability(t *testing.T) {
	if p := collisionProbability(1); p != 0 {
		t.Errorf("one state: %g, want 0", p)
	}
	// 2^32 states make 2^63 pairs of 2^64 fingerprints: about one half.
	if p := collisionProbability(1 << 32); p < 0.49 || p > 0.51 {
		t.Errorf("2^32 states: %g, want about 0.5", p)
	}
	if p := collisionProbability(1 << 40); p != 1 {
		t.Errorf("2^40 states: %g, want the bound 1", p)
	}
}
