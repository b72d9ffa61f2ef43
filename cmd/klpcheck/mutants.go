package main

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/klpcheck/klpcheck/model"
)

const mutantsUsage = `usage: klpcheck mutants

Mutants lists the seeded bugs that "klpcheck explore --mutant NAME" switches
into the model, one line each. Each is a one-line change to a kernel routine
that one of the properties must catch.

Exit status: 0 listed; 2 usage error.
`

func runMutants(args []string, stdout, stderr io.Writer) (int, error) {
	fs := newFlagSet("mutants", mutantsUsage)
	if err := fs.parse(args, stdout); err != nil {
		return exitUsage, err
	}
	tw := tabwriter.NewWriter(stdout, 0, 8, 2, ' ', 0)
	for _, m := range model.Mutants() {
		fmt.Fprintf(tw, "%s\t%s\n", m, m.Summary())
	}
	return exitOK, tw.Flush()
}
