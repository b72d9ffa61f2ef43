package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"
)

var (
	// errHelp reports that -h was given and usage was printed.
	errHelp = errors.New("help requested")
)

// flagSet is a flag.FlagSet that prints nothing itself: -h prints the
// command's help to stdout, and every parse error becomes one usage error
// line that names the flag and the value and states what is valid.
type flagSet struct {
	*flag.FlagSet
	usage string // help text before the flag list
}

func newFlagSet(name, usage string) *flagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return &flagSet{FlagSet: fs, usage: usage}
}

// printHelp writes the help text and, when the command has flags, the
// flag list.
func (fs *flagSet) printHelp(w io.Writer) {
	fmt.Fprint(w, fs.usage)
	hasFlags := false
	fs.VisitAll(func(*flag.Flag) { hasFlags = true })
	if !hasFlags {
		return
	}
	fmt.Fprintln(w, "\nFlags:")
	fs.SetOutput(w)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
}

// parse parses args and rejects positional arguments. For -h it prints the
// help to stdout and returns errHelp.
func (fs *flagSet) parse(args []string, stdout io.Writer) error {
	positional, err := fs.parseInterspersed(args, stdout)
	if err != nil {
		return err
	}
	if len(positional) > 0 {
		return usagef("unexpected argument %q: the command takes no arguments", positional[0])
	}
	return nil
}

// parseInterspersed parses args, allowing positional arguments before,
// between and after the flags, and returns the positional arguments in
// order. Everything after "--" is positional.
func (fs *flagSet) parseInterspersed(args []string, stdout io.Writer) ([]string, error) {
	var positional []string
	for {
		if err := fs.FlagSet.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fs.printHelp(stdout)
				return nil, errHelp
			}
			return nil, fs.rewriteError(err)
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return positional, nil
		}
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			return append(positional, rest...), nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

// Messages of the flag package (Go 1.26), rewritten by rewriteError.
var (
	reUndefined   = regexp.MustCompile(`^flag provided but not defined: -(.*)$`)
	reNeedsArg    = regexp.MustCompile(`^flag needs an argument: -(.*)$`)
	reBadBool     = regexp.MustCompile(`^invalid boolean value ("(?:[^"\\]|\\.)*") for -([^:]*): `)
	reBadValue    = regexp.MustCompile(`^invalid value ("(?:[^"\\]|\\.)*") for flag -([^:]*): (.*)$`)
	reBadSyntax   = regexp.MustCompile(`^bad flag syntax: (.*)$`)
	flagParseErrs = []string{"parse error", "value out of range"}
)

// rewriteError turns an error of the flag package into one usage error line
// that names the flag and the value and states what is valid.
func (fs *flagSet) rewriteError(err error) error {
	msg := err.Error()
	help := fmt.Sprintf(`run "klpcheck %s -h" for the valid flags`, fs.Name())
	if m := reUndefined.FindStringSubmatch(msg); m != nil {
		return usagef("unknown flag %q: %s", "-"+m[1], help)
	}
	if m := reNeedsArg.FindStringSubmatch(msg); m != nil {
		return usagef("missing value for --%s: %s", m[1], fs.describe(m[1]))
	}
	if m := reBadBool.FindStringSubmatch(msg); m != nil {
		return usagef("invalid --%s %s: must be true or false", m[2], m[1])
	}
	if m := reBadValue.FindStringSubmatch(msg); m != nil {
		reason := m[3]
		for _, generic := range flagParseErrs {
			if reason == generic {
				reason = "must be " + fs.valueKind(m[2])
			}
		}
		return usagef("invalid --%s %s: %s (%s)", m[2], m[1], reason, fs.describe(m[2]))
	}
	if m := reBadSyntax.FindStringSubmatch(msg); m != nil {
		return usagef("invalid flag syntax %q: %s", m[1], help)
	}
	return usagef("%s: %s", oneLine(msg), help)
}

// describe returns the usage text of flag name, without the backquotes
// that mark the value's name.
func (fs *flagSet) describe(name string) string {
	f := fs.Lookup(name)
	if f == nil {
		return "see -h"
	}
	_, usage := flag.UnquoteUsage(f)
	return usage
}

// valueKind describes in words which values flag name takes.
func (fs *flagSet) valueKind(name string) string {
	f := fs.Lookup(name)
	if f == nil {
		return "a valid value"
	}
	getter, ok := f.Value.(flag.Getter)
	if !ok {
		return "a valid value"
	}
	switch getter.Get().(type) {
	case int, int64, uint, uint64:
		return "an integer"
	case float64:
		return "a number"
	case time.Duration:
		return "a duration such as 500ms, 2s or 1m"
	case bool:
		return "true or false"
	}
	return "a valid value"
}

// checkRange returns a usage error unless lo <= v <= hi.
func checkRange(flagName string, v, lo, hi int) error {
	if v < lo || v > hi {
		return usagef("invalid --%s %d: must be %d to %d", flagName, v, lo, hi)
	}
	return nil
}

// hasHelpFlag reports whether args ask for help before any "--".
func hasHelpFlag(args []string) bool {
	for _, a := range args {
		switch a {
		case "--":
			return false
		case "-h", "--h", "-help", "--help":
			return true
		}
	}
	return false
}

// oneLine joins the lines of s with "; " so that an error stays on one line.
func oneLine(s string) string {
	lines := strings.FieldsFunc(strings.TrimSpace(s), func(r rune) bool { return r == '\n' || r == '\r' })
	for i := range lines {
		lines[i] = strings.TrimSpace(lines[i])
	}
	return strings.Join(lines, "; ")
}
