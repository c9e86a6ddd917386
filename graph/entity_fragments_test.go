package graph_test

import (
	"fmt"
	"slices"
	"testing"

	"dpcma/ent"
	"dpcma/graph"
	"dpcma/server/dbtest"
)

// A fragment on the federation's _Entity union, nested beneath an edge
// that ent loads (an answer's indicator, a practice's CCG, an
// organisation's parent), selects its fields as a fragment on the type
// itself does: the columns they need are loaded, not left at their zero
// values.
func TestEntityFragmentsSelectColumnsBeneathEdges(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, backend string) {
		f := newFixture(t, backend, graph.Options{})
		ods := practiceWithAnswers(t, f)
		// The same fields asked through the union and directly, in two
		// documents, so that neither selection loads the other's columns.
		const through = `{ practice(odsCode: %q) {
			ccg { ... on _Entity { ... on Organisation { name parent { ... on _Entity { ... on Organisation { name } } } } } }
			responses(first: 2) { edges { node { indicator { ... on _Entity { ... on Indicator { title domain } } } } } }
		} }`
		const direct = `{ practice(odsCode: %q) {
			ccg { name parent { name } }
			responses(first: 2) { edges { node { indicator { title domain } } } }
		} }`
		union, _ := postQuery(t, f.srv, fmt.Sprintf(through, ods))
		plain, _ := postQuery(t, f.srv, fmt.Sprintf(direct, ods))
		if len(union.Errors)+len(plain.Errors) > 0 {
			t.Fatalf("errors: %+v %+v", union.Errors, plain.Errors)
		}
		u, p := at(t, union.Data, "practice"), at(t, plain.Data, "practice")
		for _, path := range [][]any{{"ccg", "name"}, {"ccg", "parent", "name"},
			{"responses", "edges", 0, "node", "indicator", "title"}, {"responses", "edges", 0, "node", "indicator", "domain"},
			{"responses", "edges", 1, "node", "indicator", "title"}} {
			if v, want := at(t, u, path...), at(t, p, path...); v != want || want == "" {
				t.Errorf("%v through _Entity %q, directly %q", path, v, want)
			}
		}
	})
}

// ent.FederationEntities names the members of the schema's _Entity union.
func TestFederationEntitiesMatchTheUnion(t *testing.T) {
	schema := graph.NewExecutableSchema(graph.Config{}).Schema()
	union, ok := schema.Types["_Entity"]
	if !ok {
		t.Fatal("the schema has no _Entity union")
	}
	var members []string
	for _, def := range schema.GetPossibleTypes(union) {
		members = append(members, def.Name)
	}
	slices.Sort(members)
	want := slices.Sorted(slices.Values(ent.FederationEntities))
	if !slices.Equal(members, want) {
		t.Fatalf("_Entity holds %v; ent.FederationEntities names %v", members, want)
	}
}
