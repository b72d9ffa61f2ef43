package explore

import "syscall"

// hugePageMin is the size from which a mapping requests transparent huge
// pages. The visited set is read at random, and 2 MiB pages cut its TLB misses.
const hugePageMin = 2 << 20

// mapAnonymous returns n zeroed bytes of private anonymous memory. With
// reserveOnly the kernel commits no memory until a page is touched.
func mapAnonymous(n int, reserveOnly bool) ([]byte, error) {
	flags := syscall.MAP_PRIVATE | syscall.MAP_ANON
	if reserveOnly {
		flags |= syscall.MAP_NORESERVE
	}
	b, err := syscall.Mmap(-1, 0, n, syscall.PROT_READ|syscall.PROT_WRITE, flags)
	if err != nil {
		return nil, err
	}
	if n >= hugePageMin {
		// Advice only: without huge pages the mapping still works.
		_ = syscall.Madvise(b, syscall.MADV_HUGEPAGE)
	}
	return b, nil
}

func unmap(b []byte) { _ = syscall.Munmap(b) }
