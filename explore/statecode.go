package explore

import (
	"encoding/binary"
	"math/bits"
	"unsafe"

	"github.com/klpcheck/klpcheck/model"
)

// A state is stored as its raw memory packed four bits to a byte. Every
// byte of model.State (a bool, a small enum, an index or a count) is offset
// by one and must then fit in a nibble, so byte values -1 to 14 are
// encodable. The encoding reads the struct's raw memory, so a field added
// to model.State is encoded, hashed and compared without any change here;
// TestStateHasNoPadding and the round-trip tests fail if a new field breaks
// that assumption.
const (
	stateSize = unsafe.Sizeof(model.State{})
	// encWords is the length of an encoded state in 64-bit words: each word
	// holds 16 nibbles, one per byte of the state.
	encWords = int((stateSize + 15) / 16)
)

// encoded is a packed state.
type encoded [encWords]uint64

const (
	byteLow7  = 0x7f7f7f7f7f7f7f7f
	byteHigh  = 0x8080808080808080
	byteOnes  = 0x0101010101010101
	nibbleHi  = 0xf0f0f0f0f0f0f0f0
	nibbleLo  = 0x0f0f0f0f0f0f0f0f
	pairMask  = 0x00ff00ff00ff00ff
	quadMask  = 0x0000ffff0000ffff
	lowHalf   = 0x00000000ffffffff
	highHalfs = 0xffffffff00000000
)

// packWord adds one to each byte of x and packs the eight results, which
// must be below 16, into 32 bits. overflow is nonzero if one was not.
func packWord(x uint64) (packed, overflow uint64) {
	// Add one to every byte without a carry from one byte into the next.
	y := ((x & byteLow7) + byteOnes) ^ (x & byteHigh)
	overflow = y & nibbleHi
	y = (y | y>>4) & pairMask
	y = (y | y>>8) & quadMask
	y = (y | y>>16) & lowHalf
	return y, overflow
}

// unpackWord reverses packWord.
func unpackWord(y uint64) uint64 {
	y &= lowHalf
	y = (y | y<<16) & quadMask
	y = (y | y<<8) & pairMask
	y = (y | y<<4) & nibbleLo
	// Subtract one from every byte: each is at most 15, so adding 0x7f
	// cannot carry and the top bit flip completes the subtraction.
	return (y + byteLow7) ^ byteHigh
}

// encode packs s into e. It reports false if a byte of s is outside -1 to 14.
func encode(s *model.State, e *encoded) bool {
	w := rawWords(s)
	var overflow uint64
	for i := range e {
		lo, o1 := packWord(w[2*i])
		var hi, o2 uint64
		if 2*i+1 < len(w) {
			hi, o2 = packWord(w[2*i+1])
		}
		e[i] = lo | hi<<32
		overflow |= o1 | o2
	}
	return overflow == 0
}

// decode unpacks e into s.
func decode(e *encoded, s *model.State) {
	var w [2 * encWords]uint64
	for i := range e {
		w[2*i] = unpackWord(e[i])
		w[2*i+1] = unpackWord(e[i] >> 32)
	}
	*(*[stateSize]byte)(unsafe.Pointer(s)) = *(*[stateSize]byte)(unsafe.Pointer(&w))
}

// fingerprintKeys holds one key per state word and two more. The keys are
// fixed odd constants from a splitmix64 sequence with a fixed seed, so that
// fingerprints, and with them the table layout and any collision, are the
// same on every run. Their number follows the size of model.State, so a
// field added to the state needs no change here.
var fingerprintKeys = makeFingerprintKeys()

func makeFingerprintKeys() (keys [stateWords + 2]uint64) {
	x := uint64(0x9e3779b97f4a7c15)
	for i := range keys {
		x += 0x9e3779b97f4a7c15
		z := x
		z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
		z = (z ^ z>>27) * 0x94d049bb133111eb
		keys[i] = (z ^ z>>31) | 1
	}
	return keys
}

// fold multiplies a and b into 128 bits and returns the two halves XORed.
func fold(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	return hi ^ lo
}

// stateWords is the number of 64-bit words that cover a model.State.
const stateWords = int((stateSize + 7) / 8)

// rawWords returns the raw memory of s as words, zero-padded at the end.
func rawWords(s *model.State) (w [stateWords]uint64) {
	*(*[stateSize]byte)(unsafe.Pointer(&w)) = *(*[stateSize]byte)(unsafe.Pointer(s))
	return w
}

// fingerprint returns a 64-bit hash of the raw memory of s. It is never
// zero, because zero marks an empty slot of the visited set.
func fingerprint(s *model.State) uint64 {
	b := (*[stateSize]byte)(unsafe.Pointer(s))
	const pairs = int(stateSize / 16) // whole 16-byte blocks
	var acc uint64
	for p := 0; p < pairs; p++ {
		x := binary.LittleEndian.Uint64(b[16*p:])
		y := binary.LittleEndian.Uint64(b[16*p+8:])
		acc ^= fold(x^fingerprintKeys[2*p], y^fingerprintKeys[2*p+1])
	}
	if stateSize%16 != 0 {
		// The last block, zero-padded.
		var tail [16]byte
		copy(tail[:], b[16*pairs:])
		x := binary.LittleEndian.Uint64(tail[:8])
		y := binary.LittleEndian.Uint64(tail[8:])
		acc ^= fold(x^fingerprintKeys[2*pairs], y^fingerprintKeys[2*pairs+1])
	}

	h := fold(acc^fingerprintKeys[0], uint64(stateSize)^fingerprintKeys[1])
	h ^= h >> 29
	h *= fingerprintKeys[9]
	h ^= h >> 32
	if h == 0 {
		h = 1
	}
	return h
}

// sameState reports whether a and b are equal. It is a == b, compared in
// 16-byte blocks inline instead of through a call to the runtime.
func sameState(a, b *model.State) bool {
	x := (*[stateSize]byte)(unsafe.Pointer(a))
	y := (*[stateSize]byte)(unsafe.Pointer(b))
	const pairs = int(stateSize / 16)
	var diff uint64
	for p := 0; p < pairs; p++ {
		diff |= binary.LittleEndian.Uint64(x[16*p:]) ^ binary.LittleEndian.Uint64(y[16*p:])
		diff |= binary.LittleEndian.Uint64(x[16*p+8:]) ^ binary.LittleEndian.Uint64(y[16*p+8:])
	}
	if diff != 0 {
		return false
	}
	return *(*[stateSize % 16]byte)(x[16*pairs:]) == *(*[stateSize % 16]byte)(y[16*pairs:])
}

// taskSize is the size of one model.Task in bytes.
const taskSize = unsafe.Sizeof(model.Task{})

// taskMask keeps the bytes of one task in a word. The shift is computed
// from a variable so that the expression compiles for tasks of any size;
// taskKey is used only when taskSize <= 8.
var taskMask = ^uint64(0) >> (64 - 8*min(uint64(taskSize), 8))

// taskKey returns task i of s as an integer, so that key order is a total
// order on task values. It needs taskSize <= 8.
func taskKey(s *model.State, i int) uint64 {
	b := unsafe.Slice((*byte)(unsafe.Pointer(s)), stateSize)
	off := int(unsafe.Offsetof(s.Tasks)) + i*int(taskSize)
	if off+8 <= int(stateSize) {
		return binary.LittleEndian.Uint64(b[off:off+8]) & taskMask
	}
	var w [8]byte
	copy(w[:], b[off:off+int(taskSize)])
	return binary.LittleEndian.Uint64(w[:])
}

// taskLess orders tasks by their raw bytes, for tasks of any size.
func taskLess(a, b *model.Task) bool {
	x := unsafe.Slice((*byte)(unsafe.Pointer(a)), taskSize)
	y := unsafe.Slice((*byte)(unsafe.Pointer(b)), taskSize)
	for i := range x {
		if x[i] != y[i] {
			return x[i] < y[i]
		}
	}
	return false
}

// canonicalize replaces s by the representative of its symmetry class:
// the same state with its first n tasks sorted by value. Tasks are
// interchangeable because no part of model.State other than Tasks names a
// task, and the model treats every task alike; TestSymmetryIsSound checks
// both facts on every reachable state at small bounds.
func canonicalize(s *model.State, n int) {
	if taskSize > 8 {
		canonicalizeSlow(s, n)
		return
	}
	var keys [model.MaxTasks]uint64
	sorted := true
	for i := 0; i < n; i++ {
		keys[i] = taskKey(s, i)
		if i > 0 && keys[i] < keys[i-1] {
			sorted = false
		}
	}
	if sorted {
		return
	}
	// Insertion sort of at most MaxTasks keys, moving the tasks along.
	for i := 1; i < n; i++ {
		k, t := keys[i], s.Tasks[i]
		j := i
		for j > 0 && k < keys[j-1] {
			keys[j], s.Tasks[j] = keys[j-1], s.Tasks[j-1]
			j--
		}
		keys[j], s.Tasks[j] = k, t
	}
}

func canonicalizeSlow(s *model.State, n int) {
	tasks := s.Tasks[:n]
	for i := 1; i < len(tasks); i++ {
		t := tasks[i]
		j := i
		for j > 0 && taskLess(&t, &tasks[j-1]) {
			tasks[j] = tasks[j-1]
			j--
		}
		tasks[j] = t
	}
}
