package invariants

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

func readDocs(t *testing.T) map[string]string {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("..", "docs", "*.md"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no docs/*.md: %v", err)
	}
	paths = append(paths, filepath.Join("..", "README.md"))
	docs := map[string]string{}
	for _, path := range paths {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		docs[path] = string(data)
	}
	return docs
}

// TestDocsNameExistingProperties fails when a page names a property ID
// that package invariants does not have, alone or inside a range such as
// "S1 to S6".
func TestDocsNameExistingProperties(t *testing.T) {
	idPattern := regexp.MustCompile(`\b[SL][0-9]+\b`)
	rangePattern := regexp.MustCompile(`\bS([0-9]+) to S([0-9]+)\b`)
	for path, text := range readDocs(t) {
		for _, id := range idPattern.FindAllString(text, -1) {
			if _, ok := Lookup(id); !ok {
				t.Errorf("%s names property %s, which does not exist", path, id)
			}
		}
		for _, m := range rangePattern.FindAllStringSubmatch(text, -1) {
			first, _ := strconv.Atoi(m[1])
			last, _ := strconv.Atoi(m[2])
			for n := first; n <= last; n++ {
				if _, ok := Lookup("S" + strconv.Itoa(n)); !ok {
					t.Errorf("%s names the range %q, which includes S%d, which does not exist", path, m[0], n)
				}
			}
		}
	}
}

// TestModelDocListsEveryWitness fails when docs/model.md leaves out a
// reachability witness.
func TestModelDocListsEveryWitness(t *testing.T) {
	text := readDocs(t)[filepath.Join("..", "docs", "model.md")]
	for _, p := range witnesses {
		if !strings.Contains(text, p.ID) {
			t.Errorf("docs/model.md does not list witness %s (%s)", p.ID, p.Name)
		}
	}
}
