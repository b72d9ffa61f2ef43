package explore

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"unsafe"
)

// errMemory ends a level whose data would not fit in Options.MemoryLimit.
var errMemory = errors.New("memory limit reached")

// budget accounts for the large allocations of a run: the visited set, the
// parent links, the frontier and the successor buffers. It is safe for
// concurrent use.
type budget struct {
	limit int64
	used  atomic.Int64
	peak  atomic.Int64
}

// reserve accounts for n more bytes, or returns errMemory and accounts for
// nothing if that would pass the limit.
func (b *budget) reserve(n int64) error {
	for {
		u := b.used.Load()
		if u+n > b.limit {
			return errMemory
		}
		if b.used.CompareAndSwap(u, u+n) {
			for {
				p := b.peak.Load()
				if u+n <= p || b.peak.CompareAndSwap(p, u+n) {
					return nil
				}
			}
		}
	}
}

func (b *budget) release(n int64) { b.used.Add(-n) }

// words is a zeroed []uint64 outside the Go heap where the platform allows,
// so that freeing it returns the memory at once instead of at the next
// garbage collection.
type words struct {
	w   []uint64
	raw []byte // the mapping, nil when w is on the Go heap
}

// allocWords returns n zeroed words, accounted in b.
func allocWords(b *budget, n int) (words, error) {
	if n == 0 {
		return words{}, nil
	}
	if err := b.reserve(int64(n) * 8); err != nil {
		return words{}, err
	}
	raw, err := mapAnonymous(n*8, false)
	if err != nil {
		b.release(int64(n) * 8)
		return words{}, fmt.Errorf("allocate %d bytes: %w", n*8, err)
	}
	if raw == nil {
		return words{w: make([]uint64, n)}, nil
	}
	return words{w: unsafe.Slice((*uint64)(unsafe.Pointer(&raw[0])), n), raw: raw}, nil
}

// free returns the memory of w and its accounting in b.
func (w *words) free(b *budget) {
	if w.w == nil {
		return
	}
	b.release(int64(len(w.w)) * 8)
	if w.raw != nil {
		unmap(w.raw)
	}
	*w = words{}
}

// DefaultMemoryLimit returns the memory limit of a run when Options leaves
// it zero: three quarters of the memory available to new processes
// (MemAvailable in /proc/meminfo), or 2 GiB where that cannot be read.
func DefaultMemoryLimit() int64 {
	const fallback = 2 << 30
	data, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return fallback
	}
	avail := meminfoField(data, "MemAvailable:")
	if avail <= 0 {
		avail = meminfoField(data, "MemTotal:")
	}
	if avail <= 0 {
		return fallback
	}
	return avail / 4 * 3
}

// meminfoField returns a /proc/meminfo value in bytes, or -1.
func meminfoField(data []byte, name string) int64 {
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 2 || fields[0] != name {
			continue
		}
		v, err := strconv.ParseInt(fields[1], 10, 64)
		if err != nil {
			return -1
		}
		if len(fields) >= 3 && fields[2] == "kB" {
			v *= 1024
		}
		return v
	}
	return -1
}

// PeakRSS returns the peak resident set size of this process in bytes
// (VmHWM in /proc/self/status), or 0 where that cannot be read.
func PeakRSS() int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	v := meminfoField(data, "VmHWM:")
	if v < 0 {
		return 0
	}
	return v
}

// ParseBytes parses a byte count with an optional unit: a plain number of
// bytes, or a number followed by K, M, G or T with an optional "iB" (powers
// of 1024) or by KB, MB, GB or TB (powers of 1000).
func ParseBytes(s string) (int64, error) {
	t := strings.TrimSpace(s)
	i := 0
	for i < len(t) && (t[i] >= '0' && t[i] <= '9' || t[i] == '.') {
		i++
	}
	num, unit := t[:i], strings.ToUpper(strings.TrimSpace(t[i:]))
	if num == "" {
		return 0, fmt.Errorf("invalid byte count %q: expected a number with an optional unit such as 64MiB or 2GiB", s)
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil {
		return 0, fmt.Errorf("invalid byte count %q: %v", s, err)
	}
	scale := map[string]float64{
		"": 1, "B": 1,
		"K": 1 << 10, "KIB": 1 << 10, "KB": 1e3,
		"M": 1 << 20, "MIB": 1 << 20, "MB": 1e6,
		"G": 1 << 30, "GIB": 1 << 30, "GB": 1e9,
		"T": 1 << 40, "TIB": 1 << 40, "TB": 1e12,
	}[unit]
	if scale == 0 {
		return 0, fmt.Errorf("invalid byte count %q: unknown unit %q, use B, KiB, MiB, GiB, TiB, KB, MB, GB or TB", s, t[i:])
	}
	b := v * scale
	if b >= 1<<63 {
		return 0, fmt.Errorf("invalid byte count %q: too large", s)
	}
	return int64(b), nil
}
