package render

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestInitRunsBeforeGraphviz checks, in a child process with a fresh
// cache directory, that go-graphviz put its compilation cache under the
// directory wasmcache chose and not under TMPDIR, and that TMPDIR was
// restored by the time tests run.
func TestInitRunsBeforeGraphviz(t *testing.T) {
	if os.Getenv("KLPCHECK_INITORDER_CHILD") == "1" {
		if got := os.Getenv("TMPDIR"); got != os.Getenv("KLPCHECK_WANT_TMPDIR") {
			t.Fatalf("TMPDIR = %q after init, want it restored to %q", got, os.Getenv("KLPCHECK_WANT_TMPDIR"))
		}
		return
	}

	home := t.TempDir()
	tmp := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run", "^TestInitRunsBeforeGraphviz$")
	cmd.Env = append(os.Environ(),
		"KLPCHECK_INITORDER_CHILD=1",
		"XDG_CACHE_HOME="+filepath.Join(home, "cache"),
		"TMPDIR="+tmp,
		"KLPCHECK_WANT_TMPDIR="+tmp,
	)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child failed: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "PASS") {
		t.Fatalf("child did not run the test:\n%s", out)
	}

	if _, err := os.Stat(filepath.Join(home, "cache", "klpcheck", "go-graphviz")); err != nil {
		t.Errorf("no go-graphviz cache under the user cache directory: %v", err)
	}
	if _, err := os.Stat(filepath.Join(tmp, "go-graphviz")); err == nil {
		t.Errorf("go-graphviz cached under TMPDIR %s, so its init ran before wasmcache's", tmp)
	}
}
