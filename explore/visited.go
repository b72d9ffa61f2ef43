package explore

import (
	"math"
	"math/bits"
	"sync/atomic"
)

// The visited set stores one key per state in 1<<shardBits open-addressed
// tables. A key is the state's 64-bit fingerprint, followed in exact mode by
// the encoded state itself. The top bits of the fingerprint pick the shard,
// so during the merge phase each worker inserts into its own shards
// without locks.
//
// Each shard is a linear-probing table kept in fingerprint order. The home
// slot of a key is monotone in its fingerprint, and an insert shifts the
// rest of its run one slot right, so the whole array stays sorted. This is
// the ordering idea of Robin Hood hashing. A lookup stops at the first larger
// key, which keeps misses as cheap as hits at high load, and growing is one
// sequential merge into the larger array. Runs never wrap: a short overflow
// area follows the home slots, and a run that would leave it forces growth.
const (
	shardBits = 4
	numShards = 1 << shardBits

	// maxLoad and growth set the memory per key: a shard grows by growth
	// when it is maxLoad full, and shard sizes are staggered over one growth
	// step, so the mean load is about maxLoad*ln(growth)/(growth-1), 0.80.
	maxLoad = 0.9
	growth  = 1.25

	minShardSlots = 4096
	overflowSlots = 256
)

type shard struct {
	keys  words // (slots+overflowSlots)*keyWords
	slots int   // number of home slots
	count int
	limit int // count at which the shard grows
	_     [64]byte
}

type visitedSet struct {
	keyWords   int // 1, or 1+encWords in exact mode
	shards     [numShards]shard
	mem        *budget
	tableBytes atomic.Int64 // memory of all shards, readable during inserts
}

func newVisitedSet(mem *budget, exact bool) (*visitedSet, error) {
	v := &visitedSet{keyWords: 1, mem: mem}
	if exact {
		v.keyWords = 1 + encWords
	}
	for i := range v.shards {
		// Stagger the sizes so that the shards do not all grow at once.
		slots := int(minShardSlots * math.Pow(growth, float64(i)/numShards))
		if err := v.shards[i].alloc(v, slots); err != nil {
			return nil, err
		}
	}
	return v, nil
}

func (sh *shard) alloc(v *visitedSet, slots int) error {
	w, err := allocWords(v.mem, (slots+overflowSlots)*v.keyWords)
	if err != nil {
		return err
	}
	sh.keys, sh.slots = w, slots
	sh.limit = int(float64(slots) * maxLoad)
	v.tableBytes.Add(int64(len(w.w)) * 8)
	return nil
}

func (sh *shard) free(v *visitedSet) {
	v.tableBytes.Add(-int64(len(sh.keys.w)) * 8)
	sh.keys.free(v.mem)
}

func (v *visitedSet) free() {
	for i := range v.shards {
		v.shards[i].free(v)
	}
}

// shardOf returns the shard of fingerprint fp.
func shardOf(fp uint64) int { return int(fp >> (64 - shardBits)) }

// home returns the home slot of fp in a shard with the given number of slots.
func home(fp uint64, slots int) int {
	hi, _ := bits.Mul64(fp<<shardBits, uint64(slots))
	return int(hi)
}

// bytes returns the memory held by the tables. It is safe during inserts.
func (v *visitedSet) bytes() int64 { return v.tableBytes.Load() }

// containsFP reports whether fingerprint fp is stored. It is the lookup of
// fingerprint mode and is safe while no insert runs.
func (v *visitedSet) containsFP(fp uint64) bool {
	sh := &v.shards[shardOf(fp)]
	k := sh.keys.w
	i := home(fp, sh.slots)
	for i < len(k) && k[i] != 0 && k[i] < fp {
		i++
	}
	return i < len(k) && k[i] == fp
}

// touch loads the home slot of every key in keys, which hold n words
// each, and returns their sum, so that later lookups find them in the cache.
func (v *visitedSet) touch(keys []uint64, n int) uint64 {
	var sum uint64
	for i := 0; i < len(keys); i += n {
		fp := keys[i]
		sh := &v.shards[shardOf(fp)]
		j := home(fp, sh.slots) * v.keyWords
		// A lookup usually reads a few slots from the home slot on, which
		// may reach into the next cache line.
		if j+7 < len(sh.keys.w) {
			sum += sh.keys.w[j] + sh.keys.w[j+7]
		}
	}
	return sum
}

// insertFP stores fp unless present and reports whether it was new.
func (v *visitedSet) insertFP(fp uint64) (bool, error) {
	sh := &v.shards[shardOf(fp)]
	for {
		k := sh.keys.w
		i := home(fp, sh.slots)
		for i < len(k) && k[i] != 0 && k[i] < fp {
			i++
		}
		if i < len(k) && k[i] == fp {
			return false, nil
		}
		j := i
		for j < len(k) && k[j] != 0 {
			j++
		}
		if j == len(k) {
			// The run reaches the end of the overflow area.
			if err := v.grow(sh); err != nil {
				return false, err
			}
			continue
		}
		copy(k[i+1:j+1], k[i:j])
		k[i] = fp
		sh.count++
		if sh.count >= sh.limit {
			if err := v.grow(sh); err != nil {
				return false, err
			}
		}
		return true, nil
	}
}

// compareKey compares the key at k[i*n:] with key, fingerprint first.
func compareKey(k []uint64, i, n int, key []uint64) int {
	a := k[i*n : i*n+n]
	for j := range a {
		if a[j] != key[j] {
			if a[j] < key[j] {
				return -1
			}
			return 1
		}
	}
	return 0
}

// find returns the slot where key is stored or would be inserted, and
// whether it is stored. The slot is len when the run reaches the end.
func (v *visitedSet) find(sh *shard, key []uint64) (int, bool) {
	n := v.keyWords
	k := sh.keys.w
	total := len(k) / n
	i := home(key[0], sh.slots)
	for ; i < total && k[i*n] != 0; i++ {
		c := compareKey(k, i, n, key)
		if c == 0 {
			return i, true
		}
		if c > 0 {
			break
		}
	}
	return i, false
}

// contains reports whether key (fingerprint, then the encoded state in
// exact mode) is stored. It is safe while no insert runs.
func (v *visitedSet) contains(key []uint64) bool {
	if v.keyWords == 1 {
		return v.containsFP(key[0])
	}
	_, ok := v.find(&v.shards[shardOf(key[0])], key)
	return ok
}

// insert stores key unless present and reports whether it was new. Only
// one goroutine may insert into a shard at a time.
func (v *visitedSet) insert(key []uint64) (bool, error) {
	if v.keyWords == 1 {
		return v.insertFP(key[0])
	}
	n := v.keyWords
	sh := &v.shards[shardOf(key[0])]
	for {
		i, ok := v.find(sh, key)
		if ok {
			return false, nil
		}
		k := sh.keys.w
		total := len(k) / n
		j := i
		for j < total && k[j*n] != 0 {
			j++
		}
		if j == total {
			if err := v.grow(sh); err != nil {
				return false, err
			}
			continue
		}
		copy(k[(i+1)*n:(j+1)*n], k[i*n:j*n])
		copy(k[i*n:(i+1)*n], key)
		sh.count++
		if sh.count >= sh.limit {
			if err := v.grow(sh); err != nil {
				return false, err
			}
		}
		return true, nil
	}
}

// grow moves a shard into a table growth times larger. The keys are
// sorted, so each lands at its new home or just after the previous key.
func (v *visitedSet) grow(sh *shard) error {
	slots := int(float64(sh.slots) * growth)
	for {
		var next shard
		if err := next.alloc(v, slots); err != nil {
			return err
		}
		if v.rehash(sh, &next) {
			next.count = sh.count
			sh.free(v)
			*sh = next
			return nil
		}
		// A run ran past the overflow area: try a larger table.
		next.free(v)
		slots += slots/8 + overflowSlots
	}
}

// rehash copies the keys of from into the empty shard to and reports
// whether they fitted.
func (v *visitedSet) rehash(from, to *shard) bool {
	n := v.keyWords
	src, dst := from.keys.w, to.keys.w
	total := len(dst) / n
	next := 0
	for i := 0; i < len(src)/n; i++ {
		fp := src[i*n]
		if fp == 0 {
			continue
		}
		j := max(home(fp, to.slots), next)
		if j >= total {
			return false
		}
		copy(dst[j*n:(j+1)*n], src[i*n:(i+1)*n])
		next = j + 1
	}
	return true
}
