//go:build !linux

package explore

// mapAnonymous returns nil, which makes callers use the Go heap.
func mapAnonymous(n int, reserveOnly bool) ([]byte, error) { return nil, nil }

func unmap(b []byte) {}
