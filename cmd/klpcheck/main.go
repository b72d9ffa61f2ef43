// Command klpcheck checks the Linux livepatch life cycle exhaustively within
// bounds and draws the shortest counterexample when a property fails.
//
// Usage:
//
//	klpcheck explore [flags]   explore every interleaving and report the verdict
//	klpcheck mutants           list the seeded bugs that --mutant selects
//	klpcheck version           print the version
//
// Exit status: 0 when every property holds within the bounds, 1 when a
// property fails (or a command fails), 2 for a usage error, 3 when a bound
// stopped the search before a verdict.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
)

// Exit statuses.
const (
	exitOK        = 0
	exitViolation = 1
	exitUsage     = 2
	exitBounded   = 3
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "devel"

// usageError marks an error caused by the command line; it exits with 2.
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
	mutants     list the seeded bugs that explore --mutant selects
	version     print the klpcheck version

Use "klpcheck <command> -h" for more information about a command.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run executes one command line and returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, mainUsage)
		return exitUsage
	}
	var (
		code int
		err  error
	)
	switch args[0] {
	case "explore":
		code, err = runExplore(args[1:], stdout, stderr)
	case "replay":
		code, err = runReplay(args[1:], stdout, stderr)
	case "mutants":
		code, err = runMutants(args[1:], stdout, stderr)
	case "version":
		fmt.Fprintf(stdout, "klpcheck %s\n", version)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, mainUsage)
	default:
		err = usagef("unknown command %q: valid commands are explore, mutants, version, help", args[0])
	}
	if err != nil {
		var ue usageError
		if errors.As(err, &ue) {
			fmt.Fprintf(stderr, "klpcheck: %v\n", err)
			return exitUsage
		}
		if errors.Is(err, errHelp) {
			return exitOK
		}
		if errors.Is(err, errFlagParse) {
			return exitUsage
		}
		fmt.Fprintf(stderr, "klpcheck: %v\n", err)
		if code == exitOK {
			code = exitViolation
		}
	}
	return code
}
