package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/klpcheck/klpcheck/replay"
)

const replayUsage = `usage: klpcheck replay [flags] FILE

Replay runs one scenario, written in the shell dialect of the Linux
livepatch selftests, deterministically on the model and prints the kernel
log the model predicts: the "% command" lines of the functions.sh helpers,
the livepatch messages (with the pr_debug lines the selftests enable) and
the test modules' own messages, in order. Each check_result compares the
lines since the previous check_result or start_test and prints a unified
diff when they differ. expect_error ERRNO CMD checks that a single attempt
fails with that errno. docs/replay.md describes the dialect, the test
modules and the time model.

Exit status: 0 every check passed; 1 a check failed or a helper could not
finish; 2 usage error, syntax error or a scenario replay cannot model.
`

// replayFlags are the parsed arguments of the replay command.
type replayFlags struct {
	kernel  string
	dialect replay.Dialect
	files   []string
}

func parseReplayFlags(args []string, stderr io.Writer) (replayFlags, error) {
	var (
		f       replayFlags
		dialect string
	)
	fs := newFlagSet("replay", replayUsage, stderr)
	fs.StringVar(&f.kernel, "kernel", "", `livepatch core generation to model: "958ef1e" or "v5.0"; overrides the file's "# klpcheck: kernel=K" comment (default 958ef1e)`)
	fs.StringVar(&dialect, "log-dialect", "5.1", `form of the helpers' log lines: "5.1" logs "% modprobe NAME", "insmod" logs "% insmod test_modules/NAME.ko" as later selftests do`)

	// Flags may come before or after FILE.
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return f, errHelp
			}
			return f, errFlagParse
		}
		if fs.NArg() == 0 {
			break
		}
		f.files = append(f.files, fs.Arg(0))
		args = fs.Args()[1:]
	}

	d, err := replay.ParseDialect(dialect)
	if err != nil {
		return f, usagef("invalid --log-dialect: %v", err)
	}
	f.dialect = d
	return f, nil
}

// runReplay runs the replay command.
func runReplay(args []string, stdout, stderr io.Writer) (int, error) {
	f, err := parseReplayFlags(args, stderr)
	if err != nil {
		return exitUsage, err
	}
	// A --trace flag for recorded counterexamples would branch off here,
	// before FILE is required.
	if len(f.files) != 1 {
		return exitUsage, usagef("replay: expected one FILE, got %d arguments", len(f.files))
	}
	return runReplayFile(f, f.files[0], stdout, stderr)
}

// runReplayFile parses and runs one replay file.
func runReplayFile(f replayFlags, file string, stdout, stderr io.Writer) (int, error) {
	src, err := os.ReadFile(file)
	if err != nil {
		return exitUsage, usageError{err}
	}
	script, err := replay.Parse(file, src)
	if err != nil {
		return exitUsage, usageError{err}
	}
	result, err := replay.Run(script, replay.Options{Kernel: f.kernel, Dialect: f.dialect, Stdout: stdout, Stderr: stderr})
	if err != nil {
		return exitUsage, usageError{err}
	}
	fmt.Fprintln(stdout, result.Summary(file))
	if !result.OK() {
		return exitViolation, nil
	}
	return exitOK, nil
}
