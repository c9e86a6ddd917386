package dataset

import (
	"flag"
	"os"
	"slices"
	"strings"
	"testing"

	"dpcma/server/demo"
)

var update = flag.Bool("update", false, "rewrite the column tables of docs/operations.md from the sets")

// docsPath is the document that lists the exports' columns.
const docsPath = "../../docs/operations.md"

// The column tables of docs/operations.md are the sets' own
// (Set.ColumnsTable), each between its two markers; go test -run
// TestDocsListTheColumns -update rewrites them.
func TestDocsListTheColumns(t *testing.T) {
	raw, err := os.ReadFile(docsPath)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(raw)
	// Maturity's domain columns are the catalogue's, in alphabetical order:
	// the docs show the demo's seven domains.
	domains := slices.Sorted(slices.Values(demo.Domains()))
	for _, set := range []*Set{Practices, Organisations, Responses, Maturity(domains), Indicators, Priorities, Compliance} {
		begin := "<!-- columns of " + set.Name + ": generated from server/dataset (go test ./server/dataset -run TestDocsListTheColumns -update) -->\n"
		const end = "<!-- end of columns -->"
		before, rest, ok := strings.Cut(doc, begin)
		if !ok {
			t.Errorf("%s has no line %q", docsPath, strings.TrimSpace(begin))
			continue
		}
		table, after, ok := strings.Cut(rest, end)
		if !ok {
			t.Errorf("%s: the columns of %s have no %q after them", docsPath, set.Name, end)
			continue
		}
		if want := set.ColumnsTable(); table != want {
			if !*update {
				t.Errorf("%s lists the columns of %s as\n%s\nbut the set has\n%s(go test -run TestDocsListTheColumns -update rewrites them)", docsPath, set.Name, table, want)
			}
			doc = before + begin + want + end + after
		}
	}
	if *update && doc != string(raw) {
		if err := os.WriteFile(docsPath, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
