package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
)

var (
	// errHelp reports that -h was given and usage was printed.
	errHelp = errors.New("help requested")
	// errFlagParse reports a flag error that the flag package already printed.
	errFlagParse = errors.New("invalid flags")
)

// newFlagSet returns a flag set that prints its errors and usage to stderr
// and returns them instead of exiting.
func newFlagSet(name, usage string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fmt.Fprintln(stderr, "\nFlags:")
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args and rejects positional arguments.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return errHelp
		}
		return errFlagParse
	}
	if fs.NArg() > 0 {
		return usagef("%s: unexpected argument %q: %s takes no positional arguments (see klpcheck %s -h)",
			fs.Name(), fs.Arg(0), fs.Name(), fs.Name())
	}
	return nil
}

// checkRange returns a usage error unless lo <= v <= hi.
func checkRange(flagName string, v, lo, hi int) error {
	if v < lo || v > hi {
		return usagef("invalid --%s %d: must be %d to %d", flagName, v, lo, hi)
	}
	return nil
}
