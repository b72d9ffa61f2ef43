package replay

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestParseValid(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []Command
	}{
		{
			name: "helpers without arguments",
			src:  "#!/bin/bash\nsetup_config\nset_dynamic_debug\n",
			want: []Command{
				{Line: 2, Kind: KindSetupConfig, Text: "setup_config"},
				{Line: 3, Kind: KindSetDynamicDebug, Text: "set_dynamic_debug"},
			},
		},
		{
			name: "load helpers with parameters",
			src: "MOD=test_klp_callbacks_busy\n" +
				"load_mod $MOD sleep_secs=10\n" +
				"load_lp test_klp_atomic_replace replace=0\n" +
				"load_lp_nowait test_klp_callbacks_demo\n" +
				"load_failing_mod test_klp_callbacks_demo pre_patch_ret=-19 x=a=b\n",
			want: []Command{
				{Line: 2, Kind: KindLoadMod, Text: "load_mod $MOD sleep_secs=10", Module: "test_klp_callbacks_busy",
					Params: []Param{{"sleep_secs", "10"}}},
				{Line: 3, Kind: KindLoadLP, Text: "load_lp test_klp_atomic_replace replace=0", Module: "test_klp_atomic_replace",
					Params: []Param{{"replace", "0"}}},
				{Line: 4, Kind: KindLoadLPNoWait, Text: "load_lp_nowait test_klp_callbacks_demo", Module: "test_klp_callbacks_demo"},
				{Line: 5, Kind: KindLoadFailingMod, Text: "load_failing_mod test_klp_callbacks_demo pre_patch_ret=-19 x=a=b",
					Module: "test_klp_callbacks_demo", Params: []Param{{"pre_patch_ret", "-19"}, {"x", "a=b"}}},
			},
		},
		{
			name: "unload and disable helpers",
			src:  "unload_mod a\nunload_lp b\ndisable_lp c\nset_pre_patch_ret d -19\n",
			want: []Command{
				{Line: 1, Kind: KindUnloadMod, Text: "unload_mod a", Module: "a"},
				{Line: 2, Kind: KindUnloadLP, Text: "unload_lp b", Module: "b"},
				{Line: 3, Kind: KindDisableLP, Text: "disable_lp c", Module: "c"},
				{Line: 4, Kind: KindSetPrePatchRet, Text: "set_pre_patch_ret d -19", Module: "d", Value: -19},
			},
		},
		{
			name: "sysfs writes",
			src: "P=test_klp_livepatch\n" +
				"echo 0 > /sys/kernel/livepatch/$P/enabled\n" +
				"echo \"1\" >/sys/kernel/livepatch/${P}/force\n" +
				"echo -19 > '/sys/module/test_klp_callbacks_demo/parameters/pre_patch_ret'\n",
			want: []Command{
				{Line: 2, Kind: KindWriteEnabled, Text: "echo 0 > /sys/kernel/livepatch/$P/enabled", Module: "test_klp_livepatch"},
				{Line: 3, Kind: KindWriteForce, Text: `echo "1" >/sys/kernel/livepatch/${P}/force`, Module: "test_klp_livepatch", Value: 1},
				{Line: 4, Kind: KindWritePrePatchRet, Text: "echo -19 > '/sys/module/test_klp_callbacks_demo/parameters/pre_patch_ret'",
					Module: "test_klp_callbacks_demo", Value: -19},
			},
		},
		{
			name: "sleep durations",
			src:  "sleep 5\nsleep .1\nsleep 0.5\nsleep 2.\n",
			want: []Command{
				{Line: 1, Kind: KindSleep, Text: "sleep 5", Seconds: 5},
				{Line: 2, Kind: KindSleep, Text: "sleep .1", Seconds: 0.1},
				{Line: 3, Kind: KindSleep, Text: "sleep 0.5", Seconds: 0.5},
				{Line: 4, Kind: KindSleep, Text: "sleep 2.", Seconds: 2},
			},
		},
		{
			name: "single attempts",
			src:  "rmmod a\nmodprobe b c=1\n",
			want: []Command{
				{Line: 1, Kind: KindRmmod, Text: "rmmod a", Module: "a"},
				{Line: 2, Kind: KindModprobe, Text: "modprobe b c=1", Module: "b", Params: []Param{{"c", "1"}}},
			},
		},
		{
			name: "expect_error forms",
			src: "expect_error EINVAL echo 1 > /sys/kernel/livepatch/p/enabled\n" +
				"expect_error EAGAIN rmmod p\n" +
				"expect_error EBUSY modprobe q replace=1\n" +
				"expect_error ENODEV insmod q\n",
			want: []Command{
				{Line: 1, Kind: KindExpectError, Text: "expect_error EINVAL echo 1 > /sys/kernel/livepatch/p/enabled", Errno: "EINVAL",
					Inner: &Command{Line: 1, Kind: KindWriteEnabled, Text: "expect_error EINVAL echo 1 > /sys/kernel/livepatch/p/enabled",
						Module: "p", Value: 1}},
				{Line: 2, Kind: KindExpectError, Text: "expect_error EAGAIN rmmod p", Errno: "EAGAIN",
					Inner: &Command{Line: 2, Kind: KindRmmod, Text: "expect_error EAGAIN rmmod p", Module: "p"}},
				{Line: 3, Kind: KindExpectError, Text: "expect_error EBUSY modprobe q replace=1", Errno: "EBUSY",
					Inner: &Command{Line: 3, Kind: KindModprobe, Text: "expect_error EBUSY modprobe q replace=1", Module: "q",
						Params: []Param{{"replace", "1"}}}},
				{Line: 4, Kind: KindExpectError, Text: "expect_error ENODEV insmod q", Errno: "ENODEV",
					Inner: &Command{Line: 4, Kind: KindInsmod, Text: "expect_error ENODEV insmod q", Module: "q"}},
			},
		},
		{
			name: "multi-line check_result",
			src: "MOD=m\n" +
				"start_test \"t\"\n" +
				"check_result \"% modprobe $MOD\n" +
				"$MOD: ${MOD}_init\n" +
				"livepatch: 'x'\" # trailing comment\n" +
				"sleep 1\n",
			want: []Command{
				{Line: 2, Kind: KindStartTest, Text: `start_test "t"`, Description: "t"},
				{Line: 3, Kind: KindCheckResult, Text: `check_result "% modprobe $MOD`,
					Expected: []string{"% modprobe m", "m: m_init", "livepatch: 'x'"}},
				{Line: 6, Kind: KindSleep, Text: "sleep 1", Seconds: 1},
			},
		},
		{
			name: "double-quote escapes follow bash",
			src:  `check_result "q\"q b\\b d\$X n\n"` + "\n",
			want: []Command{
				{Line: 1, Kind: KindCheckResult, Text: `check_result "q\"q b\\b d\$X n\n"`,
					Expected: []string{`q"q b\b d$X n\n`}},
			},
		},
		{
			name: "single quotes do not expand",
			src:  "start_test '$MOD \"x\"'\n",
			want: []Command{
				{Line: 1, Kind: KindStartTest, Text: `start_test '$MOD "x"'`, Description: `$MOD "x"`},
			},
		},
		{
			name: "hash inside a word is not a comment",
			src:  "start_test a#b # comment\n   # indented comment\n",
			want: []Command{
				{Line: 1, Kind: KindStartTest, Text: "start_test a#b # comment", Description: "a#b"},
			},
		},
		{
			name: "later assignment affects later lines only",
			src:  "A=one\nstart_test \"$A\"\nA='two words'\nstart_test \"$A\"\n",
			want: []Command{
				{Line: 2, Kind: KindStartTest, Text: `start_test "$A"`, Description: "one"},
				{Line: 4, Kind: KindStartTest, Text: `start_test "$A"`, Description: "two words"},
			},
		},
		{
			name: "unquoted expansion splits into words",
			src:  "P=\"a=1  b=2\"\nE=\nload_mod m $P $E\n",
			want: []Command{
				{Line: 3, Kind: KindLoadMod, Text: "load_mod m $P $E", Module: "m", Params: []Param{{"a", "1"}, {"b", "2"}}},
			},
		},
		{
			name: "assignment value is not split",
			src:  "A=\"x y\"\nB=$A\nstart_test \"$B\"\n",
			want: []Command{
				{Line: 3, Kind: KindStartTest, Text: `start_test "$B"`, Description: "x y"},
			},
		},
		{
			name: "line continuation",
			src:  "load_mod m \\\n    a=1\nsleep 1\n",
			want: []Command{
				{Line: 1, Kind: KindLoadMod, Text: `load_mod m \`, Module: "m", Params: []Param{{"a", "1"}}},
				{Line: 3, Kind: KindSleep, Text: "sleep 1", Seconds: 1},
			},
		},
		{
			name: "empty check_result expects no lines",
			src:  "check_result \"\"",
			want: []Command{
				{Line: 1, Kind: KindCheckResult, Text: `check_result ""`},
			},
		},
		{
			name: "literal dollar",
			src:  "start_test \"cost $ 5 $/\"\n",
			want: []Command{
				{Line: 1, Kind: KindStartTest, Text: `start_test "cost $ 5 $/"`, Description: "cost $ 5 $/"},
			},
		},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			script, err := Parse("test.sh", []byte(test.src))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if !reflect.DeepEqual(script.Commands, test.want) {
				t.Errorf("commands:\n got %+v\nwant %+v", script.Commands, test.want)
			}
		})
	}
}

func TestParseKernelDirective(t *testing.T) {
	script, err := Parse("k.sh", []byte("# klpcheck: kernel=v5.0\n#\nA=1\nsetup_config\n"))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if script.Kernel != "v5.0" {
		t.Errorf("Kernel = %q, want v5.0", script.Kernel)
	}
	if script.Name != "k.sh" {
		t.Errorf("Name = %q, want k.sh", script.Name)
	}

	script, err = Parse("k.sh", []byte("#!/bin/bash\nsetup_config\n"))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if script.Kernel != "" {
		t.Errorf("Kernel = %q without a directive, want empty", script.Kernel)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name   string
		src    string
		line   int
		reason string // substring of SyntaxError.Reason
	}{
		{"if keyword", "setup_config\nif [[ -e /sys/x ]]\n", 2, `shell keyword "if"`},
		{"fi keyword", "fi\n", 1, `shell keyword "fi"`},
		{"conditional", "[[ -e /sys/kernel/livepatch/p ]]\n", 1, "conditional expressions"},
		{"pipe", "dmesg | grep x\n", 1, "pipelines"},
		{"or list", "true || false\n", 1, "'||' command lists"},
		{"and list", "true && false\n", 1, "'&&' command lists"},
		{"background", "sleep 1 &\n", 1, "background commands"},
		{"semicolon", "sleep 1; sleep 2\n", 1, "';' separators"},
		{"subshell", "(sleep 1)\n", 1, "subshells"},
		{"command substitution", "\nX=$(uname -r)\n", 2, "command substitution"},
		{"backtick", "X=`uname`\n", 1, "command substitution"},
		{"backtick in double quotes", "start_test \"`uname`\"\n", 1, "command substitution"},
		{"arithmetic", "X=$((1+2))\n", 1, "arithmetic expansion"},
		{"append redirect", "echo 1 >> /sys/kernel/livepatch/p/enabled\n", 1, "append redirection"},
		{"fd redirect", "echo 1 2>/dev/null\n", 1, "file-descriptor redirection 2>"},
		{"stderr merge", "echo 1 >&2\n", 1, "'>&' redirections"},
		{"input redirect", "cat < /proc/cmdline\n", 1, "input redirections"},
		{"redirect of a helper", "load_mod m > /dev/null\n", 1, "only in the form echo VALUE > PATH"},
		{"leading redirect", "> /tmp/x\n", 1, "redirection before the command"},
		{"echo to stdout", "echo 1\n", 1, "output to stdout is not supported"},
		{"echo option", "echo -n 1 > /sys/kernel/livepatch/p/enabled\n", 1, `echo options such as "-n"`},
		{"echo two values", "echo 1 2 > /sys/kernel/livepatch/p/enabled\n", 1, "echo VALUE > PATH"},
		{"echo without target", "echo 1 >\n", 1, "no target path"},
		{"echo non-integer", "echo Y > /sys/kernel/livepatch/p/enabled\n", 1, `value "Y" is not an integer`},
		{"echo huge integer", "echo 99999999999999999999 > /sys/kernel/livepatch/p/enabled\n", 1, "out of range"},
		{"signal attribute", "echo 1 > /sys/kernel/livepatch/p/signal\n", 1, `unsupported livepatch attribute "signal"`},
		{"transition attribute", "echo 1 > /sys/kernel/livepatch/p/transition\n", 1, "read-only"},
		{"other path", "echo 1 > /tmp/x\n", 1, `unsupported path "/tmp/x"`},
		{"other module parameter", "echo 1 > /sys/module/m/parameters/sleep_secs\n", 1, "unsupported path"},
		{"unknown helper", "frobnicate x\n", 1, `unknown command "frobnicate"`},
		{"unsupported functions.sh helper", "loop_until true\n", 1, "functions.sh helper loop_until"},
		{"source", ". $FILE\n", 1, "undefined variable FILE"},
		{"source with literal path", ". functions.sh\n", 1, "sourcing other files"},
		{"exit", "exit 0\n", 1, "shell builtin exit"},
		{"setup_config argument", "setup_config now\n", 1, "setup_config takes no arguments"},
		{"start_test without argument", "start_test\n", 1, "start_test takes one quoted description, got 0"},
		{"start_test split", "start_test a b\n", 1, "got 2 arguments"},
		{"load_mod without module", "load_mod\n", 1, "load_mod needs a module name"},
		{"unload_mod two modules", "unload_mod a b\n", 1, "unload_mod takes one module name, got 2"},
		{"disable_lp without module", "disable_lp\n", 1, "disable_lp takes one module name, got 0"},
		{"set_pre_patch_ret one argument", "set_pre_patch_ret m\n", 1, "takes a module name and a value"},
		{"set_pre_patch_ret non-integer", "set_pre_patch_ret m x\n", 1, `value "x" is not an integer`},
		{"sleep unit", "sleep 1s\n", 1, `sleep duration "1s"`},
		{"sleep negative", "sleep -1\n", 1, `sleep duration "-1"`},
		{"sleep two numbers", "sleep 1 2\n", 1, "sleep takes one duration"},
		{"sleep dot", "sleep .\n", 1, `sleep duration "."`},
		{"rmmod option", "rmmod -f m\n", 1, `rmmod options such as "-f"`},
		{"modprobe option", "modprobe -r m\n", 1, `modprobe options such as "-r"`},
		{"plain insmod", "insmod m\n", 1, "insmod is supported only inside expect_error"},
		{"parameter without value", "load_mod m replace\n", 1, `invalid module parameter "replace"`},
		{"parameter without name", "load_mod m =1\n", 1, `invalid module parameter "=1"`},
		{"parameter empty value", "load_mod m replace=\n", 1, `module parameter "replace=" has no value`},
		{"parameter bad name", "load_mod m a-b=1\n", 1, `invalid module parameter "a-b=1"`},
		{"module name with dash", "load_mod test-klp\n", 1, `invalid module name "test-klp"`},
		{"module name in path", "echo 1 > /sys/kernel/livepatch/a.b/enabled\n", 1, `invalid module name "a.b"`},
		{"unknown errno", "expect_error EFOO rmmod m\n", 1, `unsupported errno "EFOO"`},
		{"ewouldblock hint", "expect_error EWOULDBLOCK rmmod m\n", 1, "EWOULDBLOCK is EAGAIN on Linux"},
		{"expect_error without command", "expect_error EINVAL\n", 1, "expect_error takes an errno name and a command"},
		{"expect_error helper", "expect_error EINVAL load_lp m\n", 1, `not "load_lp"`},
		{"nested expect_error", "expect_error EINVAL expect_error EINVAL rmmod m\n", 1, `not "expect_error"`},
		{"expect_error redirect first", "expect_error EINVAL > x\n", 1, "expected a command after expect_error ERRNO"},
		{"check_result without argument", "check_result\n", 1, "got 0 arguments"},
		{"check_result two arguments", "check_result \"a\" \"b\"\n", 1, "got 2 arguments"},
		{"check_result trailing newline", "check_result \"a\n\"\n", 1, "ends with a newline"},
		{"unterminated double quote", "setup_config\n\ncheck_result \"a\nb\n", 3, "unterminated double quote"},
		{"unterminated single quote", "start_test 'a\n", 1, "unterminated single quote"},
		{"unterminated brace", "start_test ${A\n", 1, "unterminated ${"},
		{"undefined variable", "load_mod $MOD\n", 1, "undefined variable MOD"},
		{"undefined variable in braces", "A=1\nstart_test ${A}${B}\n", 2, "undefined variable B"},
		{"undefined variable deep in check_result", "check_result \"one\ntwo\n$MISSING\"\n", 3, "undefined variable MISSING"},
		{"special parameter", "load_mod $1\n", 1, "special parameter $1"},
		{"special parameter braced", "load_mod ${@}\n", 1, "special parameter ${@}"},
		{"parameter operator", "load_mod ${MOD:-x}\n", 1, "parameter expansion ${MOD:-x}"},
		{"empty braces", "load_mod ${}\n", 1, "empty ${}"},
		{"ansi-c quoting", "start_test $'a'\n", 1, "ANSI-C quoting"},
		{"glob", "load_mod *\n", 1, "unquoted glob character"},
		{"glob from expansion", "G='a*'\nload_mod $G\n", 2, "contains a glob character"},
		{"tilde", "load_mod ~/m\n", 1, "tilde expansion"},
		{"assignment prefix", "A=1 load_mod m\n", 1, "must be alone on its line"},
		{"assignment with redirect", "A=1 > x\n", 1, "must be alone on its line"},
		{"CRLF line ending", "setup_config\r\n", 1, "CRLF line endings"},
		{"carriage return inside a line", "setup_config\rload_mod m\n", 1, "carriage return inside the line"},
		{"NUL byte", "setup_config\n\x00\n", 2, "NUL byte"},
		{"directive after command", "setup_config\n# klpcheck: kernel=v5.0\n", 2, "before the first command"},
		{"trailing directive", "setup_config # klpcheck: kernel=v5.0\n", 1, "whole-line comment"},
		{"unknown directive", "# klpcheck: tasks=3\n", 1, `unknown klpcheck directive "tasks=3"`},
		{"empty kernel", "# klpcheck: kernel=\n", 1, `invalid kernel name ""`},
		{"duplicate kernel", "# klpcheck: kernel=a\n# klpcheck: kernel=b\n", 2, `already set to "a"`},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			_, err := Parse("bad.sh", []byte(test.src))
			if err == nil {
				t.Fatalf("Parse accepted %q", test.src)
			}
			var syntaxErr *SyntaxError
			if !errors.As(err, &syntaxErr) {
				t.Fatalf("error %v is %T, want *SyntaxError", err, err)
			}
			if syntaxErr.File != "bad.sh" {
				t.Errorf("File = %q, want bad.sh", syntaxErr.File)
			}
			if syntaxErr.Line != test.line {
				t.Errorf("Line = %d, want %d (error: %v)", syntaxErr.Line, test.line, err)
			}
			wantText := strings.TrimSpace(strings.Split(test.src, "\n")[test.line-1])
			if syntaxErr.Text != wantText {
				t.Errorf("Text = %q, want %q", syntaxErr.Text, wantText)
			}
			if !strings.Contains(syntaxErr.Reason, test.reason) {
				t.Errorf("Reason = %q, want it to contain %q", syntaxErr.Reason, test.reason)
			}
		})
	}
}

// TestSyntaxErrorNamesSubject checks that an error calls the line a
// command only when it is one.
func TestSyntaxErrorNamesSubject(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"CRLF shebang", "#!/bin/bash\r\nsetup_config\r\n",
			"s.sh:1: CRLF line endings: convert the file to LF line endings, such as with dos2unix"},
		{"NUL byte", "setup_config\n\x00\n", "s.sh:2: NUL byte found: remove it"},
		{"unknown directive", "# klpcheck: tasks=3\n",
			`s.sh:1: unsupported klpcheck directive "# klpcheck: tasks=3": unknown klpcheck directive "tasks=3"; the only one is kernel=NAME`},
		{"command", "setup_config | cat\n", `s.sh:1: unsupported command "setup_config | cat": pipelines are not supported`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("s.sh", []byte(tt.src))
			if err == nil || err.Error() != tt.want {
				t.Errorf("error = %v, want %s", err, tt.want)
			}
		})
	}
}

func TestSyntaxErrorMessage(t *testing.T) {
	_, err := Parse("s.sh", []byte("setup_config\nload_mod $MOD\n"))
	want := `s.sh:2: unsupported command "load_mod $MOD": undefined variable MOD`
	if err == nil || err.Error() != want {
		t.Errorf("error = %v, want %s", err, want)
	}
}

func TestKindString(t *testing.T) {
	for kind := KindSetupConfig; kind <= KindCheckResult; kind++ {
		if name := kind.String(); name == "" || strings.HasPrefix(name, "Kind(") {
			t.Errorf("Kind %d has no name", kind)
		}
	}
	if got := Kind(0).String(); got != "Kind(0)" {
		t.Errorf("Kind(0).String() = %q", got)
	}
	if got := KindWriteForce.String(); got != "echo force" {
		t.Errorf("KindWriteForce.String() = %q", got)
	}
}

// TestScenarioFiles parses every file under testdata/selftests and checks the
// shape that testdata/selftests/README.md promises.
func TestScenarioFiles(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join("..", "testdata", "selftests", "*.sh"))
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) == 0 {
		t.Fatal("no scenario files found")
	}
	readme, err := os.ReadFile(filepath.Join("..", "testdata", "selftests", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range paths {
		name := filepath.Base(path)
		t.Run(name, func(t *testing.T) {
			src, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			script, err := Parse(name, src)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			counts := map[Kind]int{}
			for _, cmd := range script.Commands {
				counts[cmd.Kind]++
			}
			if counts[KindStartTest] != 1 {
				t.Errorf("%d start_test commands, want 1", counts[KindStartTest])
			}
			if counts[KindCheckResult] != 1 {
				t.Errorf("%d check_result commands, want 1", counts[KindCheckResult])
			}
			last := script.Commands[len(script.Commands)-1]
			if last.Kind != KindCheckResult {
				t.Errorf("last command is %v, want check_result", last.Kind)
			}
			for i, line := range last.Expected {
				if line == "" || line != strings.TrimSpace(line) {
					t.Errorf("expected line %d %q is empty or has surrounding blanks", i+1, line)
				}
			}
			wantKernel := ""
			if strings.HasSuffix(name, "-v5.0.sh") {
				wantKernel = "v5.0"
			}
			if script.Kernel != wantKernel {
				t.Errorf("Kernel = %q, want %q", script.Kernel, wantKernel)
			}
			if !strings.Contains(string(readme), "`"+name+"`") {
				t.Errorf("README.md does not list %s", name)
			}
		})
	}
}
