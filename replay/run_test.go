package replay

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

const (
	livepatch = "test_klp_livepatch"
	demo      = "test_klp_callbacks_demo"
	mod       = "test_klp_callbacks_mod"
	busy      = "test_klp_callbacks_busy"
)

// replayRun is the output of one Run.
type replayRun struct {
	result         *Result
	stdout, stderr string
}

func runSource(t *testing.T, src string, opts Options) replayRun {
	t.Helper()
	script, err := Parse("test.sh", []byte(src))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	var stdout, stderr bytes.Buffer
	opts.Stdout, opts.Stderr = &stdout, &stderr
	result, err := Run(script, opts)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return replayRun{result, stdout.String(), stderr.String()}
}

// Log line builders in the wording of the kernel and the test modules.
func lp(format string, args ...any) string { return "livepatch: " + fmt.Sprintf(format, args...) }

func callback(patch, name, object string) string {
	return fmt.Sprintf("%s: %s_callback: %s", patch, name, object)
}

const (
	live   = " -> [MODULE_STATE_LIVE] Normal state"
	coming = " -> [MODULE_STATE_COMING] Full formed, running module_init"
	going  = " -> [MODULE_STATE_GOING] Going away"
)

func transitionLines(patch, direction string) []string {
	return []string{
		lp("'%s': initializing %s transition", patch, direction),
		lp("'%s': starting %s transition", patch, direction),
		lp("'%s': completing %s transition", patch, direction),
		lp("'%s': %s complete", patch, direction),
	}
}

func checkLog(t *testing.T, got, want []string) {
	t.Helper()
	if d := unifiedDiff(want, got, "want", "got"); d != "" {
		t.Errorf("predicted log mismatch:\n%s", d)
	}
}

func scenarioFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "testdata", "selftests", "*.sh"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no scenario files: %v", err)
	}
	return files
}

func runFile(t *testing.T, path string, opts Options) replayRun {
	t.Helper()
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return runSource(t, string(src), opts)
}

func TestRunSelftestScenariosPass(t *testing.T) {
	for _, path := range scenarioFiles(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			run := runFile(t, path, Options{})
			if !run.result.OK() {
				t.Errorf("%s\n%s", run.stdout, run.result.Summary(path))
			}
			if run.result.Checks == 0 {
				t.Errorf("no check ran")
			}
		})
	}
}

var (
	modprobeLine = regexp.MustCompile(`^% modprobe (\w+)`)
	modprobeErr  = regexp.MustCompile(`^modprobe: ERROR: could not insert '(\w+)': `)
)

// TestRunInsmodDialectLogs replays every scenario in both dialects. The
// insmod log must be the 5.1 log with the helpers' modprobe lines and
// modprobe's error messages in their insmod form.
func TestRunInsmodDialectLogs(t *testing.T) {
	for _, path := range scenarioFiles(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			old := runFile(t, path, Options{Dialect: Dialect51})
			var want []string
			for _, line := range old.result.Log {
				line = modprobeLine.ReplaceAllString(line, "% insmod test_modules/$1.ko")
				line = modprobeErr.ReplaceAllString(line, "insmod: ERROR: could not insert module test_modules/$1.ko: ")
				want = append(want, line)
			}
			checkLog(t, runFile(t, path, Options{Dialect: DialectInsmod}).result.Log, want)
		})
	}
}

// TestRunInsmodDialectFailedLoad expects the form of the later selftests:
// the helpers log insmod of test_modules/NAME.ko and load_failing_mod logs
// insmod's message.
func TestRunInsmodDialectFailedLoad(t *testing.T) {
	run := runSource(t, `
load_mod test_klp_callbacks_busy sleep_secs=5
load_lp_nowait test_klp_callbacks_demo
load_failing_mod test_klp_livepatch
`, Options{Dialect: DialectInsmod})
	want := []string{
		"% insmod test_modules/" + busy + ".ko sleep_secs=5",
		busy + ": " + busy + "_init",
		busy + ": busymod_work_func, sleeping 5 seconds ...",
		"% insmod test_modules/" + demo + ".ko",
		lp("enabling patch '%s'", demo),
		lp("'%s': initializing patching transition", demo),
		callback(demo, "pre_patch", "vmlinux"),
		callback(demo, "pre_patch", busy+live),
		lp("'%s': starting patching transition", demo),
		"% insmod test_modules/" + livepatch + ".ko",
		"insmod: ERROR: could not insert module test_modules/" + livepatch + ".ko: Device or resource busy",
	}
	checkLog(t, run.result.Log, want)
	if !run.result.OK() {
		t.Errorf("run failed:\n%s", run.stdout)
	}
}

// TestRunWorkerCallsReplacement loads the busy module while the callbacks
// demo is enabled: the ftrace handler sends the worker to the demo's
// patched_work_func, which prints one line and does not sleep.
func TestRunWorkerCallsReplacement(t *testing.T) {
	run := runSource(t, `
load_lp test_klp_callbacks_demo
start_test "busy module after the patch"
load_mod test_klp_callbacks_busy sleep_secs=30
unload_mod test_klp_callbacks_busy
`, Options{})
	want := []string{
		"% modprobe " + busy + " sleep_secs=30",
		lp("applying patch '%s' to loading module '%s'", demo, busy),
		callback(demo, "pre_patch", busy+coming),
		callback(demo, "post_patch", busy+coming),
		busy + ": " + busy + "_init",
		demo + ": patched_work_func",
		"% rmmod " + busy,
		busy + ": " + busy + "_exit",
		callback(demo, "pre_unpatch", busy+going),
		lp("reverting patch '%s' on unloading module '%s'", demo, busy),
		callback(demo, "post_unpatch", busy+going),
	}
	checkLog(t, run.result.Log[len(run.result.Log)-len(want):], want)
}

// TestRunTransitionWaitsForWorker checks the time model: the patching
// transition stays open while the worker sleeps and completes at the first
// retry after the worker returns.
func TestRunTransitionWaitsForWorker(t *testing.T) {
	run := runSource(t, `
load_mod test_klp_callbacks_busy sleep_secs=5
load_lp_nowait test_klp_callbacks_demo
start_test "worker asleep"
sleep 4.5
check_result ""
sleep 1
check_result "test_klp_callbacks_busy: busymod_work_func exit
livepatch: 'test_klp_callbacks_demo': completing patching transition
test_klp_callbacks_demo: post_patch_callback: vmlinux
test_klp_callbacks_demo: post_patch_callback: test_klp_callbacks_busy -> [MODULE_STATE_LIVE] Normal state
livepatch: 'test_klp_callbacks_demo': patching complete"
`, Options{})
	if !run.result.OK() || run.result.Checks != 2 {
		t.Errorf("checks %d, failed %d:\n%s", run.result.Checks, run.result.Failed, run.stdout)
	}
}

// TestRunLoadLPWaitsForTransition: load_lp returns only after the worker
// has left busymod_work_func and the transition work has completed the
// transition, so nothing of the patching is left for later commands.
func TestRunLoadLPWaitsForTransition(t *testing.T) {
	run := runSource(t, `
load_mod test_klp_callbacks_busy sleep_secs=10
load_lp test_klp_callbacks_demo
start_test "after load_lp"
sleep 30
check_result ""
`, Options{})
	if !run.result.OK() {
		t.Errorf("run failed:\n%s", run.stdout)
	}
	exit := busy + ": busymod_work_func exit"
	completing := lp("'%s': completing patching transition", demo)
	exitAt, completingAt := indexOf(run.result.Log, exit), indexOf(run.result.Log, completing)
	if exitAt < 0 || completingAt < 0 || exitAt > completingAt {
		t.Errorf("want %q before %q in\n%s", exit, completing, strings.Join(run.result.Log, "\n"))
	}
}

func indexOf(lines []string, line string) int {
	for i, l := range lines {
		if l == line {
			return i
		}
	}
	return -1
}

func TestRunHelperCannotFinish(t *testing.T) {
	tests := []struct {
		name     string
		src      string
		kernel   string
		stopLine int
		want     string
	}{
		{
			name:     "unload of an enabled patch",
			src:      "load_lp test_klp_livepatch\nunload_lp test_klp_livepatch\n",
			stopLine: 2,
			want:     "test.sh:2: unload_lp test_klp_livepatch failed: the refcnt of test_klp_livepatch did not drop to 0 (the livepatch core holds 1), and no step can make progress",
		},
		{
			name:     "unload of a forced patch",
			src:      "load_mod test_klp_callbacks_busy sleep_secs=2\nload_lp_nowait test_klp_callbacks_demo\necho 1 > /sys/kernel/livepatch/test_klp_callbacks_demo/force\nsleep 3\ndisable_lp test_klp_callbacks_demo\nunload_lp test_klp_callbacks_demo\n",
			stopLine: 6,
			want:     "the refcnt of test_klp_callbacks_demo did not drop to 0 (the livepatch core holds 1), and no step can make progress",
		},
		{
			name:     "disable rejected by stacking",
			src:      "load_lp test_klp_livepatch\nload_lp test_klp_atomic_replace replace=0\ndisable_lp test_klp_livepatch\n",
			stopLine: 3,
			want:     "/sys/kernel/livepatch/test_klp_livepatch did not disappear after the write of 0 failed with EBUSY, and no step can make progress",
		},
		{
			name:     "transition outlasts the helper",
			src:      "load_mod test_klp_callbacks_busy sleep_secs=100\nload_lp test_klp_callbacks_demo\n",
			stopLine: 2,
			want:     "the patching transition of test_klp_callbacks_demo did not finish within 60 seconds",
		},
		{
			name:     "reload of a freed patch",
			src:      "load_lp test_klp_livepatch\ndisable_lp test_klp_livepatch\nload_lp test_klp_livepatch\n",
			stopLine: 3,
			want:     "/sys/kernel/livepatch/test_klp_livepatch did not appear",
		},
		{
			name:     "unload of a module never loaded",
			src:      "unload_mod test_klp_callbacks_mod\n",
			stopLine: 1,
			want:     "/sys/module/test_klp_callbacks_mod/refcnt does not exist: test_klp_callbacks_mod is not loaded",
		},
		{
			name:     "parameter of a module not loaded",
			src:      "set_pre_patch_ret test_klp_callbacks_demo -19\n",
			stopLine: 1,
			want:     "pre_patch_ret never read -19",
		},
		{
			name:     "v5.0 unload after a force",
			src:      "load_mod test_klp_callbacks_busy sleep_secs=2\nload_lp_nowait test_klp_callbacks_demo\necho 1 > /sys/kernel/livepatch/test_klp_callbacks_demo/force\nsleep 3\nload_lp test_klp_livepatch\ndisable_lp test_klp_livepatch\nunload_lp test_klp_livepatch\n",
			kernel:   "v5.0",
			stopLine: 7,
			want:     "the refcnt of test_klp_livepatch did not drop to 0",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			run := runSource(t, tt.src, Options{Kernel: tt.kernel})
			if run.result.StopLine != tt.stopLine {
				t.Errorf("StopLine = %d; want %d\n%s", run.result.StopLine, tt.stopLine, run.stdout)
			}
			if !strings.Contains(run.stdout, tt.want) {
				t.Errorf("output lacks %q:\n%s", tt.want, run.stdout)
			}
			if run.result.OK() {
				t.Errorf("result is OK after a failed helper")
			}
		})
	}
}

func TestRunStopsAtFailedHelper(t *testing.T) {
	run := runSource(t, `load_lp test_klp_livepatch
unload_lp test_klp_livepatch
check_result ""
`, Options{})
	if run.result.Checks != 0 {
		t.Errorf("%d checks ran after the failed helper; want 0", run.result.Checks)
	}
	if got, want := run.result.Summary("test.sh"), "replay: test.sh: stopped at line 2; 0 checks passed before it"; got != want {
		t.Errorf("Summary = %q; want %q", got, want)
	}
}

func TestRunExpectError(t *testing.T) {
	run := runSource(t, `load_lp test_klp_livepatch
expect_error EBUSY echo 1 > /sys/kernel/livepatch/test_klp_livepatch/enabled
expect_error EAGAIN rmmod test_klp_livepatch
expect_error ENOENT rmmod test_klp_callbacks_mod
disable_lp test_klp_livepatch
expect_error EAGAIN rmmod test_klp_livepatch
expect_error EEXIST modprobe test_klp_callbacks_mod
expect_error EEXIST insmod test_klp_callbacks_mod
`, Options{})
	wantLines := []string{
		"test.sh:2: expect_error EBUSY failed: echo 1 > /sys/kernel/livepatch/test_klp_livepatch/enabled failed with EINVAL instead: bash: echo: write error: Invalid argument",
		"test.sh:3: expect_error EAGAIN passed",
		"test.sh:4: expect_error ENOENT passed",
		"test.sh:6: expect_error EAGAIN failed: rmmod test_klp_livepatch succeeded",
		// modprobe loads the module. It would do nothing for a loaded one.
		"test.sh:7: expect_error EEXIST failed: modprobe test_klp_callbacks_mod succeeded",
		"test.sh:8: expect_error EEXIST passed",
	}
	for _, want := range wantLines {
		if !strings.Contains(run.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, run.stdout)
		}
	}
	if run.result.Checks != 6 || run.result.Failed != 3 {
		t.Errorf("checks %d, failed %d; want 6 and 3", run.result.Checks, run.result.Failed)
	}
	if got, want := run.result.Summary("test.sh"), "replay: test.sh: 3 of 6 checks failed"; got != want {
		t.Errorf("Summary = %q; want %q", got, want)
	}
}

func TestRunCheckResultWindow(t *testing.T) {
	run := runSource(t, `load_lp test_klp_livepatch
check_result "% modprobe test_klp_livepatch
livepatch: enabling patch 'test_klp_livepatch'
livepatch: 'test_klp_livepatch': initializing patching transition
livepatch: 'test_klp_livepatch': starting patching transition
livepatch: 'test_klp_livepatch': completing patching transition
livepatch: 'test_klp_livepatch': patching complete"
disable_lp test_klp_livepatch
check_result "wrong line"
unload_lp test_klp_livepatch
check_result "% rmmod test_klp_livepatch"
`, Options{})
	if run.result.Checks != 3 || run.result.Failed != 1 {
		t.Errorf("checks %d, failed %d; want 3 and 1:\n%s", run.result.Checks, run.result.Failed, run.stdout)
	}
	for _, want := range []string{
		"test.sh:2: check_result passed",
		"test.sh:9: check_result failed:\n--- expected\n+++ result\n@@ -1 +1,5 @@\n-wrong line\n+% echo 0 > /sys/kernel/livepatch/test_klp_livepatch/enabled\n",
		"test.sh:11: check_result passed",
	} {
		if !strings.Contains(run.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, run.stdout)
		}
	}
}

// TestRunPlainCommandFailureContinues: a failed write outside expect_error
// is noted on stderr and the script goes on, as bash goes on.
func TestRunPlainCommandFailureContinues(t *testing.T) {
	run := runSource(t, `echo 1 > /sys/kernel/livepatch/test_klp_livepatch/enabled
rmmod test_klp_livepatch
check_result ""
`, Options{})
	if !run.result.OK() {
		t.Errorf("run failed:\n%s", run.stdout)
	}
	for _, want := range []string{
		"test.sh:1: echo 1 > /sys/kernel/livepatch/test_klp_livepatch/enabled failed with ENOENT: bash: /sys/kernel/livepatch/test_klp_livepatch/enabled: No such file or directory",
		"test.sh:2: rmmod test_klp_livepatch failed with ENOENT: rmmod: ERROR: Module test_klp_livepatch is not currently loaded",
	} {
		if !strings.Contains(run.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, run.stderr)
		}
	}
}

// TestRunV50ReenablesThroughSysfs: at v5.0 a disabled patch stays
// registered, and writing 1 enables it again. At 958ef1e the patch is
// freed, so its enabled file is gone.
func TestRunV50ReenablesThroughSysfs(t *testing.T) {
	src := `load_lp test_klp_livepatch
disable_lp test_klp_livepatch
start_test "enable again"
echo 1 > /sys/kernel/livepatch/test_klp_livepatch/enabled
`
	run := runSource(t, src, Options{Kernel: "v5.0"})
	want := append([]string{lp("enabling patch '%s'", livepatch)}, transitionLines(livepatch, "patching")...)
	checkLog(t, run.result.Log[len(run.result.Log)-len(want):], want)

	run = runSource(t, src, Options{Kernel: "958ef1e"})
	if !strings.Contains(run.stderr, "failed with ENOENT") {
		t.Errorf("at 958ef1e the write should fail with ENOENT; stderr:\n%s", run.stderr)
	}
}

// TestRunKernelOverride replays the two force scenarios on the other
// kernel: their outcomes swap, so --kernel must take effect over the
// file's directive.
func TestRunKernelOverride(t *testing.T) {
	dir := filepath.Join("..", "testdata", "selftests")
	pinned := runFile(t, filepath.Join(dir, "force-later-patch-pinned-v5.0.sh"), Options{Kernel: "958ef1e"})
	if pinned.result.Failed != 1 || !strings.Contains(pinned.stdout, "expect_error EAGAIN failed: rmmod test_klp_livepatch succeeded") {
		t.Errorf("the v5.0 scenario on 958ef1e should fail its expect_error:\n%s", pinned.stdout)
	}
	removable := runFile(t, filepath.Join(dir, "force-later-patch-removable.sh"), Options{Kernel: "v5.0"})
	if removable.result.StopLine == 0 || !strings.Contains(removable.stdout, "the refcnt of test_klp_livepatch did not drop to 0") {
		t.Errorf("the 958ef1e scenario on v5.0 should stop at unload_lp:\n%s", removable.stdout)
	}
}

func TestRunScenarioErrors(t *testing.T) {
	tests := []struct {
		name, src, kernel string
		line              int
		want              string
	}{
		{"unknown module", "setup_config\nload_mod test_klp_nonexistent\n", "", 2, `unknown module "test_klp_nonexistent"`},
		{"shadow variables", "load_mod test_klp_shadow_vars\n", "", 1, "shadow variable API"},
		{"atomic replace", "load_lp test_klp_callbacks_demo2 replace=1\n", "", 1, "replace=1 selects atomic replace"},
		{"livepatch with load_mod", "load_mod test_klp_livepatch\n", "", 1, "load it with load_lp"},
		{"target with load_lp", "load_lp test_klp_callbacks_mod\n", "", 1, "load it with load_mod"},
		{"unknown parameter", "load_mod test_klp_callbacks_mod foo=1\n", "", 1, `has no parameter "foo"; it takes no parameters`},
		{"negative sleep", "load_mod test_klp_callbacks_busy sleep_secs=-1\n", "", 1, "invalid sleep_secs=-1"},
		{"positive pre_patch_ret", "echo 5 > /sys/module/test_klp_callbacks_demo/parameters/pre_patch_ret\n", "", 1, "pre_patch_ret=5 is not supported"},
		{"unknown errno", "load_lp test_klp_callbacks_demo pre_patch_ret=-200\n", "", 1, "replay knows the errnos"},
		{"inner command", "expect_error EEXIST insmod test_klp_shadow_vars\n", "", 1, "shadow variable API"},
		{"long sleep", "sleep 2000000000\n", "", 1, "sleep 2e+09 is too long"},
		{"unknown kernel", "setup_config\n", "v9.9", 0, `unknown kernel "v9.9"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			script, err := Parse("test.sh", []byte(tt.src))
			if err != nil {
				t.Fatal(err)
			}
			var stdout bytes.Buffer
			_, err = Run(script, Options{Kernel: tt.kernel, Stdout: &stdout, Stderr: &stdout})
			var scenarioErr *ScenarioError
			if !errors.As(err, &scenarioErr) {
				t.Fatalf("Run error = %v; want a *ScenarioError", err)
			}
			if scenarioErr.Line != tt.line {
				t.Errorf("error line %d; want %d", scenarioErr.Line, tt.line)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q lacks %q", err, tt.want)
			}
			if stdout.Len() != 0 {
				t.Errorf("Run printed before rejecting the script:\n%s", stdout.String())
			}
		})
	}
}

func TestRunPrePatchRetErrno(t *testing.T) {
	run := runSource(t, "load_failing_mod test_klp_callbacks_demo pre_patch_ret=-22\n", Options{})
	want := "modprobe: ERROR: could not insert '" + demo + "': Invalid argument"
	if got := run.result.Log[len(run.result.Log)-1]; got != want {
		t.Errorf("last line %q; want %q", got, want)
	}
}

func TestParseDialect(t *testing.T) {
	for _, d := range []Dialect{Dialect51, DialectInsmod} {
		got, err := ParseDialect(d.String())
		if err != nil || got != d {
			t.Errorf("ParseDialect(%q) = %v, %v; want %v", d.String(), got, err, d)
		}
	}
	if _, err := ParseDialect("modprobe"); err == nil {
		t.Errorf("ParseDialect accepted an unknown dialect")
	}
}
