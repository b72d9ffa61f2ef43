// Command klpcheck checks the Linux livepatch life cycle exhaustively within
// bounds and draws the shortest counterexample when a property fails.
//
// Usage:
//
//	klpcheck explore [flags]              explore every interleaving and report the verdict
//	klpcheck replay [flags] FILE          run a selftest-dialect scenario and compare the kernel log
//	klpcheck replay --trace FILE [flags]  re-run a recorded trace.json on the current model
//	klpcheck view [-o OUTPUT] FILE.dot    render a DOT file to SVG or PNG
//	klpcheck mutants                      list the seeded bugs that --mutant selects
//	klpcheck version                      print the version (also klpcheck --version)
//
// Exit status: 0 when every property holds within the bounds, 1 when a
// property fails (or a command fails), 2 for a usage error, 3 when a bound
// stopped the search before a verdict, 4 when replay cannot follow a trace,
// 130 when interrupted by SIGINT or SIGTERM.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
)

// Exit statuses.
const (
	exitOK          = 0
	exitViolation   = 1
	exitUsage       = 2
	exitBounded     = 3
	exitBlocked     = 4
	exitInterrupted = 130
)

// usageError marks an error caused by the command line or an input file.
// Such errors exit with status 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

const mainUsage = `klpcheck checks the Linux livepatch life cycle exhaustively within bounds.

Usage:

	klpcheck <command> [arguments]

The commands are:

	explore     explore every interleaving and report the verdict
	replay      run a selftest-dialect scenario on the model and compare its
	            kernel log, or re-run a recorded counterexample (--trace)
	view        render a DOT file, such as trace.dot, to SVG or PNG
	mutants     list the seeded bugs that explore --mutant selects
	version     print the klpcheck version (also klpcheck --version)
	help        print this help, or a command's help

Use "klpcheck help <command>" or "klpcheck <command> -h" for more
information about a command.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run executes one command line and returns the exit status. A panic in a
// command is reported as an internal error with exit status 1.
func run(args []string, stdout, stderr io.Writer) (code int) {
	defer recoverInternalError(&code, stderr)
	if len(args) == 0 {
		fmt.Fprint(stderr, mainUsage)
		return exitUsage
	}
	var err error
	command := args[0]
	switch command {
	case "explore":
		code, err = runExplore(args[1:], stdout, stderr)
	case "replay":
		code, err = runReplay(args[1:], stdout, stderr)
	case "view":
		code, err = runView(args[1:], stdout, stderr)
	case "mutants":
		code, err = runMutants(args[1:], stdout, stderr)
	case "version", "-version", "--version":
		command = "version"
		code, err = runVersion(args[1:], stdout, stderr)
	case "help", "-h", "-help", "--help":
		code, err = runHelp(args[1:], stdout, stderr)
	default:
		command = ""
		err = usagef("unknown command %q: valid commands are explore, replay, view, mutants, version, help", args[0])
	}
	return exitStatus(command, code, err, stderr)
}

// exitStatus prints err, if any, as one line on stderr that starts with the
// command name, and returns the exit status for a command that returned
// code and err.
func exitStatus(command string, code int, err error, stderr io.Writer) int {
	if err == nil {
		return code
	}
	if errors.Is(err, errHelp) {
		return exitOK
	}
	prefix := "klpcheck: "
	if command != "" {
		prefix += command + ": "
	}
	fmt.Fprintf(stderr, "%s%s\n", prefix, oneLine(err.Error()))
	var ue usageError
	if errors.As(err, &ue) {
		return exitUsage
	}
	if code == exitOK {
		code = exitViolation
	}
	return code
}

func runHelp(args []string, stdout, stderr io.Writer) (int, error) {
	switch len(args) {
	case 0:
		fmt.Fprint(stdout, mainUsage)
		return exitOK, nil
	case 1:
		switch args[0] {
		case "explore", "replay", "view", "mutants", "version":
			return run([]string{args[0], "-h"}, stdout, stderr), nil
		case "help":
			fmt.Fprint(stdout, mainUsage)
			return exitOK, nil
		}
		return exitUsage, usagef("unknown command %q: valid commands are explore, replay, view, mutants, version, help", args[0])
	}
	return exitUsage, usagef("unexpected argument %q: give at most one command name", args[1])
}
