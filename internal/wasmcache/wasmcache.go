// Package wasmcache points the compilation cache of the embedded Graphviz at
// a directory of the current user before that library initializes.
//
// github.com/goccy/go-graphviz compiles its WebAssembly module in a package
// init function and caches the machine code under $TMPDIR/go-graphviz. With
// the shared /tmp, the first user to run klpcheck owns that directory, so
// every other user's klpcheck panics at startup with "permission denied",
// and a local user could plant code there for others to load. This package
// sets TMPDIR to the user's cache directory (os.UserCacheDir()/klpcheck)
// for the duration of that init, and Restore puts the old value back.
//
// Go initializes packages in import-path order among those whose imports
// are initialized. This package imports only os and path/filepath, which
// wazero (a dependency of go-graphviz) also needs, and its path sorts before
// github.com/tetratelabs/wazero, so its init runs before wazero's and
// go-graphviz's. TestInitRunsBeforeGraphviz in package render checks this.
package wasmcache

import (
	"os"
	"path/filepath"
)

// noCacheDir is a path that cannot be created, so go-graphviz runs without
// a compilation cache: about 0.5 s more at every start, but no shared files.
const noCacheDir = "/nonexistent/klpcheck-no-graphviz-cache"

var (
	savedTMPDIR string
	hadTMPDIR   bool
	// Dir is the directory TMPDIR pointed to during the Graphviz init.
	Dir string
)

func init() {
	savedTMPDIR, hadTMPDIR = os.LookupEnv("TMPDIR")
	Dir = noCacheDir
	if base, err := os.UserCacheDir(); err == nil {
		dir := filepath.Join(base, "klpcheck")
		if err := os.MkdirAll(dir, 0o700); err == nil {
			Dir = dir
		}
	}
	os.Setenv("TMPDIR", Dir)
}

// Restore sets TMPDIR back to its value before this package's init.
func Restore() {
	if hadTMPDIR {
		os.Setenv("TMPDIR", savedTMPDIR)
	} else {
		os.Unsetenv("TMPDIR")
	}
}
