package app_test

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"dpcma/graph"
	"dpcma/server/playground"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

// Every document the README and the playground show must stay valid
// against the schema, and every query must run within the server's
// default limits without errors other than NOT_FOUND (their codes are
// England's; the test data is the small seed).
func TestDocumentedQueriesRun(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	// The Federation section shows a partner's SDL and a gateway query.
	ours, _, _ := strings.Cut(string(readme), "\n## Federation")
	docs := map[string]string{}
	for i, m := range regexp.MustCompile("(?s)```graphql\n(.*?)```").FindAllStringSubmatch(ours, -1) {
		docs["README example "+string(rune('A'+i))] = m[1]
	}
	for _, ex := range playground.Examples() {
		// Only the supergraph knows the partner subgraph's fields; the
		// federation suite (tools/federation) runs these through the gateway.
		if !ex.Gateway {
			docs["playground: "+ex.Title] = ex.Query
		}
	}
	if len(docs) < 10 {
		t.Fatalf("found only %d documented queries", len(docs))
	}
	schema := graph.Schema()
	queries := map[string]string{}
	for name, q := range docs {
		doc, errs := gqlparser.LoadQueryWithRules(schema, q, nil)
		if len(errs) > 0 {
			t.Errorf("%s does not validate: %v", name, errs)
			continue
		}
		// Mutations (the playground's write needs a token and would change
		// the data) are only validated.
		if len(doc.Operations) == 1 && doc.Operations[0].Operation == ast.Query {
			queries[name] = q
		}
	}
	forEachBackend(t, func(t *testing.T, e *env) {
		for name, q := range queries {
			res := e.post(q, nil)
			for _, err := range res.Errors {
				if err.code() != "NOT_FOUND" {
					t.Errorf("%s: %s (%s)", name, err.Message, err.code())
				}
			}
		}
	})
}
