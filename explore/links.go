package explore

import (
	"math"
	"unsafe"
)

// noParent is the parent link of the initial state.
const noParent = math.MaxUint32

// maxStoredStates is the most states a run can number: state numbers are
// uint32 and noParent is reserved.
const maxStoredStates = math.MaxUint32 - 1

// linkBytes is the memory of one state's parent link: the parent's state
// number and the index of the action, in the parent's model.Config.Actions
// order, that led to the state.
const linkBytes = 5

// linkStore holds the parent link of every stored state, indexed by state
// number. States are numbered in breadth-first order: by level, then by
// parent number, then by action index.
type linkStore struct {
	parent []uint32
	action []uint8
	n      int // links in use
	// The arrays are views of mappings reserved up front, whose pages the
	// kernel commits as they are written; nil where the arrays live on
	// the Go heap and grow by appending.
	rawParent, rawAction []byte
}

// newLinkStore reserves room for up to capacity links.
func newLinkStore(capacity int) *linkStore {
	l := &linkStore{}
	p, err1 := mapAnonymous(capacity*4, true)
	a, err2 := mapAnonymous(capacity, true)
	if err1 == nil && err2 == nil && p != nil && a != nil {
		l.rawParent, l.rawAction = p, a
		l.parent = unsafe.Slice((*uint32)(unsafe.Pointer(&p[0])), capacity)[:0]
		l.action = a[:0]
		return l
	}
	if p != nil {
		unmap(p)
	}
	if a != nil {
		unmap(a)
	}
	return l
}

// extend makes room for n more links, accounted in mem.
func (l *linkStore) extend(mem *budget, n int) error {
	if err := mem.reserve(int64(n) * linkBytes); err != nil {
		return err
	}
	end := l.n + n
	if end > cap(l.parent) {
		if l.rawParent != nil {
			mem.release(int64(n) * linkBytes)
			return errMemory
		}
		l.parent = append(l.parent[:cap(l.parent)], make([]uint32, end-cap(l.parent))...)
		l.action = append(l.action[:cap(l.action)], make([]uint8, end-cap(l.action))...)
	}
	l.parent = l.parent[:end]
	l.action = l.action[:end]
	l.n = end
	return nil
}

func (l *linkStore) bytes() int64 { return int64(l.n) * linkBytes }

func (l *linkStore) free(mem *budget) {
	mem.release(l.bytes())
	if l.rawParent != nil {
		unmap(l.rawParent)
		unmap(l.rawAction)
	}
	*l = linkStore{}
}
