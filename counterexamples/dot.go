package counterexamples

import (
	"bufio"
	"fmt"
	"io"
	"sort"
	"strings"
)

// WriteDOT writes the counterexample graph as Graphviz DOT. Statements come
// in path order and attributes in sorted order, so the same counterexample
// always gives the same bytes. (dominikbraun/graph's own DOT writer ranges
// over maps, so its output order varies between runs.)
func (x *Counterexample) WriteDOT(w io.Writer) error {
	g, err := x.Graph()
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(w)

	fmt.Fprintf(bw, "digraph counterexample {\n")
	fmt.Fprintf(bw, "\tlabel=%s;\n", quote(x.title()))
	fmt.Fprintf(bw, "\tlabelloc=t;\n\tfontname=\"Courier\";\n")
	fmt.Fprintf(bw, "\tnode [shape=box, fontname=\"Courier\", fontsize=10];\n")
	fmt.Fprintf(bw, "\tedge [fontname=\"Courier\", fontsize=10];\n")

	for i := 0; i <= len(x.Steps); i++ {
		_, props, err := g.VertexWithProperties(i)
		if err != nil {
			return fmt.Errorf("read state %d: %w", i, err)
		}
		fmt.Fprintf(bw, "\ts%d [%s];\n", i, attributes(props.Attributes))
	}
	for i := 1; i <= len(x.Steps); i++ {
		e, err := g.Edge(i-1, i)
		if err != nil {
			return fmt.Errorf("read step %d: %w", i, err)
		}
		fmt.Fprintf(bw, "\ts%d -> s%d [%s];\n", i-1, i, attributes(e.Properties.Attributes))
	}
	fmt.Fprintf(bw, "}\n")
	return bw.Flush()
}

func (x *Counterexample) title() string {
	return fmt.Sprintf("klpcheck: %s %s\n%s, %d steps", x.PropertyID, x.PropertyName, x.Config.String(), len(x.Steps))
}

// attributes formats DOT attributes in sorted key order. Only labels may
// contain quotes or line breaks; the other values are fixed words.
func attributes(attrs map[string]string) string {
	keys := make([]string, 0, len(attrs))
	for k := range attrs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		v := attrs[k]
		if k == "label" {
			v = quote(v)
		} else {
			v = `"` + v + `"`
		}
		parts[i] = k + "=" + v
	}
	return strings.Join(parts, ", ")
}

// quote makes s a DOT string whose lines are left-justified: backslashes
// and double quotes are escaped and every line ends in \l.
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"', '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '\n':
			b.WriteString(`\l`)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteString(`\l"`)
	return b.String()
}

// WriteText writes the counterexample as plain text: a header with the
// property and the bounds, the initial state, then each step with its
// action, kernel function, error and changed fields.
func (x *Counterexample) WriteText(w io.Writer) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "counterexample: %s %s\n", x.PropertyID, x.PropertyName)
	fmt.Fprintf(bw, "  %s\n", x.Detail)
	fmt.Fprintf(bw, "  %s, %d steps\n\n", x.Config.String(), len(x.Steps))
	fmt.Fprintf(bw, "state 0 (initial)\n%s\n", indent(x.InitialLabel))
	for i, s := range x.Steps {
		n := i + 1
		fmt.Fprintf(bw, "\nstep %d: %s  [%s]", n, s.Action, s.KernelFunction)
		if s.Outcome.Rejected() {
			fmt.Fprintf(bw, "  %s", s.errorNote())
		}
		fmt.Fprintln(bw)
		for _, ch := range s.Changes {
			fmt.Fprintf(bw, "    %s: %s -> %s\n", ch.Path, ch.Old, ch.New)
		}
		if n == len(x.Steps) {
			where := "state"
			if x.OnStep {
				where = "step"
			}
			fmt.Fprintf(bw, "  %s %d violates %s: %s\n", where, n, x.PropertyID, x.Detail)
		}
	}
	return bw.Flush()
}

func indent(label string) string {
	return "    " + strings.ReplaceAll(label, "\n", "\n    ")
}
