package replay

import (
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// diffCases have one shortest edit script each, so GNU diff -u prints the
// same text.
var diffCases = []struct {
	name string
	a, b []string
}{
	{"one line changed", lines("a b c d e f g"), lines("a b X d e f g")},
	{"change and removal merge", lines("a b c d e f g h i j k l m"), lines("a B c d e f g h j k l m n")},
	{"two hunks", lines("a b c d e f g h i j k l m n o p"), lines("A b c d e f g h i j k l m n o P")},
	{"added at the end", lines("a b"), lines("a b c")},
	{"removed at the start", lines("a b c"), lines("b c")},
	{"empty expected", nil, lines("a b")},
	{"empty result", lines("a b"), nil},
}

func lines(s string) []string { return strings.Fields(s) }

func TestUnifiedDiffEqualInputs(t *testing.T) {
	if d := unifiedDiff(lines("a b c"), lines("a b c"), "expected", "result"); d != "" {
		t.Errorf("diff of equal inputs = %q; want empty", d)
	}
	if d := unifiedDiff(nil, nil, "expected", "result"); d != "" {
		t.Errorf("diff of two empty inputs = %q; want empty", d)
	}
}

func TestUnifiedDiffMatchesGNUDiff(t *testing.T) {
	diffPath, err := exec.LookPath("diff")
	if err != nil {
		t.Skip("diff is not installed")
	}
	dir := t.TempDir()
	for _, tt := range diffCases {
		t.Run(tt.name, func(t *testing.T) {
			pathA, pathB := filepath.Join(dir, "a"), filepath.Join(dir, "b")
			writeLines(t, pathA, tt.a)
			writeLines(t, pathB, tt.b)
			out, _ := exec.Command(diffPath, "-u", "--label", "expected", "--label", "result", pathA, pathB).Output()
			got := unifiedDiff(tt.a, tt.b, "expected", "result")
			if got != string(out) {
				t.Errorf("unifiedDiff:\n%s\ndiff -u:\n%s", got, out)
			}
		})
	}
}

func writeLines(t *testing.T, path string, text []string) {
	t.Helper()
	content := ""
	if len(text) > 0 {
		content = strings.Join(text, "\n") + "\n"
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// applyDiff applies a unified diff made by unifiedDiff to a.
func applyDiff(t *testing.T, a []string, diff string) []string {
	t.Helper()
	var out []string
	next := 0 // index in a of the next line not yet copied
	for _, line := range strings.Split(strings.TrimSuffix(diff, "\n"), "\n") {
		switch {
		case strings.HasPrefix(line, "--- "), strings.HasPrefix(line, "+++ "):
		case strings.HasPrefix(line, "@@ -"):
			spec := strings.Fields(line)[1][1:]
			startText, _, _ := strings.Cut(spec, ",")
			start, err := strconv.Atoi(startText)
			if err != nil {
				t.Fatalf("bad hunk header %q", line)
			}
			if strings.HasSuffix(spec, ",0") {
				start++ // an empty range names the line before it
			}
			for ; next < start-1; next++ {
				out = append(out, a[next])
			}
		case strings.HasPrefix(line, " "):
			if a[next] != line[1:] {
				t.Fatalf("context line %q does not match a[%d] = %q", line[1:], next, a[next])
			}
			out = append(out, a[next])
			next++
		case strings.HasPrefix(line, "-"):
			if a[next] != line[1:] {
				t.Fatalf("removed line %q does not match a[%d] = %q", line[1:], next, a[next])
			}
			next++
		case strings.HasPrefix(line, "+"):
			out = append(out, line[1:])
		default:
			t.Fatalf("unexpected diff line %q", line)
		}
	}
	return append(out, a[next:]...)
}

func TestUnifiedDiffAppliesRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := lines("a b c d")
	randomLines := func() []string {
		n := rng.IntN(20)
		text := make([]string, n)
		for i := range text {
			text[i] = alphabet[rng.IntN(len(alphabet))]
		}
		return text
	}
	for i := 0; i < 500; i++ {
		a, b := randomLines(), randomLines()
		d := unifiedDiff(a, b, "expected", "result")
		if slicesEqual(a, b) {
			if d != "" {
				t.Fatalf("diff of equal %q = %q", a, d)
			}
			continue
		}
		if got := applyDiff(t, a, d); !slicesEqual(got, b) {
			t.Fatalf("applying the diff of %q and %q gives %q\n%s", a, b, got, d)
		}
	}
}

func TestUnifiedDiffLargeInputFallsBack(t *testing.T) {
	n := 3000
	a := make([]string, n)
	b := make([]string, n)
	for i := range a {
		a[i] = strconv.Itoa(i)
		b[i] = strconv.Itoa(i + n)
	}
	d := unifiedDiff(a, b, "expected", "result")
	if got := applyDiff(t, a, d); !slicesEqual(got, b) {
		t.Fatalf("applying the fallback diff does not give b")
	}
}
