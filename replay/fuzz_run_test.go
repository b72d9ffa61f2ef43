package replay

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzRun checks that Run never panics on a script that parses, that it
// rejects a script only with a *ScenarioError, and that a finished run
// counts its checks consistently. The seeds are the scenario files and a
// few scripts that mix commands the scenarios keep apart.
func FuzzRun(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("..", "testdata", "selftests", "*.sh"))
	for _, path := range files {
		if src, err := os.ReadFile(path); err == nil {
			f.Add(src)
		}
	}
	f.Add([]byte("load_lp test_klp_callbacks_demo\nload_mod test_klp_callbacks_busy sleep_secs=3\nload_lp test_klp_callbacks_demo2\nunload_mod test_klp_callbacks_busy\n"))
	f.Add([]byte("load_mod test_klp_callbacks_busy sleep_secs=4\nload_lp_nowait test_klp_callbacks_demo\nrmmod test_klp_callbacks_busy\necho 0 > /sys/kernel/livepatch/test_klp_callbacks_demo/enabled\nsleep 2\n"))
	f.Add([]byte("# klpcheck: kernel=v5.0\nload_lp test_klp_livepatch\ndisable_lp test_klp_livepatch\necho 1 > /sys/kernel/livepatch/test_klp_livepatch/enabled\nrmmod test_klp_livepatch\n"))

	f.Fuzz(func(t *testing.T, src []byte) {
		script, err := Parse("fuzz.sh", src)
		if err != nil {
			return
		}
		for _, cmd := range script.Commands {
			// Long sleeps with a stalled transition make many retries.
			if cmd.Kind == KindSleep && cmd.Seconds > 3600 {
				return
			}
			for _, p := range cmd.Params {
				if p.Name == "sleep_secs" && len(p.Value) > 4 {
					return
				}
			}
		}
		result, err := Run(script, Options{})
		if err != nil {
			var scenarioErr *ScenarioError
			if !errors.As(err, &scenarioErr) {
				t.Fatalf("Run error %v is %T, want *ScenarioError", err, err)
			}
			return
		}
		if result.Failed > result.Checks {
			t.Fatalf("%d of %d checks failed", result.Failed, result.Checks)
		}
	})
}
