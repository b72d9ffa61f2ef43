package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
)

const versionUsage = `usage: klpcheck version

Version prints the klpcheck version and the Go toolchain that built it.
The version is the module version when klpcheck was built with
"go install github.com/klpcheck/klpcheck/cmd/klpcheck@VERSION", the value
set with -ldflags "-X main.version=VERSION", or "devel" for a build from a
source tree, followed by the VCS revision when the build recorded one.

Exit status: 0 printed; 2 usage error.
`

// version is set at build time with -ldflags "-X main.version=...".
var version = "devel"

func runVersion(args []string, stdout, stderr io.Writer) (int, error) {
	fs := newFlagSet("version", versionUsage)
	if err := fs.parse(args, stdout); err != nil {
		return exitUsage, err
	}
	fmt.Fprintln(stdout, versionString())
	return exitOK, nil
}

// versionString returns a line such as "klpcheck v0.2.0 go1.26.8 linux/amd64"
// or "klpcheck devel (revision 1a2b3c4d5e6f, modified) go1.26.8 linux/amd64".
func versionString() string {
	v := version
	revision, modified := "", false
	if info, ok := debug.ReadBuildInfo(); ok {
		if v == "devel" && info.Main.Version != "" && info.Main.Version != "(devel)" {
			v = info.Main.Version
		}
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				revision = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
	}
	if revision != "" {
		if len(revision) > 12 {
			revision = revision[:12]
		}
		if modified {
			revision += ", modified"
		}
		v += " (revision " + revision + ")"
	}
	return fmt.Sprintf("klpcheck %s %s %s/%s", v, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
