package loaders_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"

	"dpcma/ent"
	"dpcma/graph"
	"dpcma/graph/loaders"
	"dpcma/server/database"
	"dpcma/server/dbtest"
	"dpcma/server/seed"

	"github.com/99designs/gqlgen/graphql"
)

// These tests run the functions of gqlctx.go inside gqlgen's real executor,
// at the field where the resolvers call them, and check what they read
// from the field contexts.

// probe runs doc through the real server and calls at, one call at a time,
// whenever the executor is about to resolve object.field. It returns the
// response's data.
func probe(t *testing.T, db *database.DB, doc, object, field string, at func(ctx context.Context)) map[string]any {
	t.Helper()
	srv := graph.NewServer(db, graph.Options{})
	var mu sync.Mutex
	srv.AroundFields(func(ctx context.Context, next graphql.Resolver) (any, error) {
		if fc := graphql.GetFieldContext(ctx); fc.Object == object && fc.Field.Name == field {
			mu.Lock()
			at(ctx)
			mu.Unlock()
		}
		return next(ctx)
	})
	body, _ := json.Marshal(map[string]any{"query": doc})
	req := httptest.NewRequest(http.MethodPost, "/query", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, req)
	var res struct {
		Data   map[string]any
		Errors []map[string]any
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &res); err != nil || len(res.Errors) > 0 {
		t.Fatalf("%s: %v %v", doc, err, res.Errors)
	}
	return res.Data
}

func smallDB(t *testing.T) *database.DB {
	return dbtest.Open(t, dbtest.SQLite, seed.Small)
}

func TestInListSeesListElements(t *testing.T) {
	db := smallDB(t)
	for doc, want := range map[string]bool{
		`{ organisations(first: 3) { edges { node { maturity { score } } } } }`:                               true,
		`{ national { ancestors { odsCode } children(first: 2) { edges { node { maturity { score } } } } } }`: true,
		`{ organisation(odsCode: "00C") { maturity { score } } }`:                                             false,
		`{ national { maturity { score } } }`:                                                                 false,
	} {
		var got []bool
		probe(t, db, doc, "Organisation", "maturity", func(ctx context.Context) { got = append(got, loaders.InList(ctx)) })
		if len(got) == 0 {
			t.Fatalf("%s: maturity never resolved", doc)
		}
		for _, g := range got {
			if g != want {
				t.Errorf("%s: InList = %v, want %v", doc, g, want)
			}
		}
	}
}

func TestSiblingOrganisationsAreTheEnclosingList(t *testing.T) {
	db := smallDB(t)
	codes := func(orgs []*ent.Organisation) []string {
		var out []string
		for _, o := range orgs {
			out = append(out, o.OdsCode)
		}
		return out
	}
	cases := []struct {
		doc  string
		want func(data map[string]any) []string
	}{
		{ // a connection: FieldContext.Result holds the edges
			`{ organisations(first: 3, where: {tier: CCG}, orderBy: {field: ODS_CODE, direction: ASC}) { edges { node { odsCode practices(first: 1) { totalCount } } } } }`,
			func(data map[string]any) []string { return edgeCodes(data["organisations"]) },
		},
		{ // a nested connection: the nearest list counts
			`{ national { children(first: 2) { edges { node { odsCode practices(first: 1) { totalCount } } } } } }`,
			func(data map[string]any) []string { return edgeCodes(data["national"].(map[string]any)["children"]) },
		},
		{ // a plain list: FieldContext.Result holds the organisations
			`{ organisation(odsCode: "00C") { ancestors { odsCode practices(first: 1) { totalCount } } } }`,
			func(data map[string]any) []string {
				var out []string
				for _, a := range data["organisation"].(map[string]any)["ancestors"].([]any) {
					out = append(out, a.(map[string]any)["odsCode"].(string))
				}
				return out
			},
		},
		{`{ national { practices(first: 1) { totalCount } } }`, func(map[string]any) []string { return nil }},
	}
	for _, c := range cases {
		var seen [][]string
		data := probe(t, db, c.doc, "Organisation", "practices", func(ctx context.Context) {
			seen = append(seen, codes(loaders.SiblingOrganisations(ctx)))
		})
		want := c.want(data)
		if len(seen) == 0 {
			t.Fatalf("%s: practices never resolved", c.doc)
		}
		for _, got := range seen {
			if !slices.Equal(got, want) {
				t.Errorf("%s: siblings %v, want %v", c.doc, got, want)
			}
		}
	}
}

func edgeCodes(conn any) []string {
	var out []string
	for _, e := range conn.(map[string]any)["edges"].([]any) {
		out = append(out, e.(map[string]any)["node"].(map[string]any)["odsCode"].(string))
	}
	return out
}

// A list's elements share their place in the document; aliases do not.
func TestPlacesAreFieldsOfTheDocument(t *testing.T) {
	db := smallDB(t)
	places := map[any]int{}
	probe(t, db, `{ organisations(first: 3) { edges { node { a: maturity { score } b: maturity(domain: "Infrastructure") { score } } } } }`,
		"Organisation", "maturity", func(ctx context.Context) { places[loaders.PlaceOf(ctx)]++ })
	if len(places) != 2 {
		t.Fatalf("%d places for two aliases", len(places))
	}
	for p, n := range places {
		if p == nil || n != 3 {
			t.Errorf("place %v asked %d times, want 3", p, n)
		}
	}
}

// The node selection is found through fragments, and the synthetic node
// context collects the fields selected on the nodes.
func TestNodeSelectionOfAConnection(t *testing.T) {
	db := smallDB(t)
	for _, doc := range []string{
		`{ organisation(odsCode: "00C") { practices(first: 2) { totalCount edges { cursor node { name listSize } } } } }`,
		`{ organisation(odsCode: "00C") { practices(first: 2) { ...Page } } } fragment Page on PracticeConnection { edges { ... on PracticeEdge { node { name ...Size } } } } fragment Size on Practice { listSize }`,
	} {
		calls := 0
		probe(t, db, doc, "Organisation", "practices", func(ctx context.Context) {
			calls++
			node, ok := loaders.NodeSelection(ctx, "Practice")
			if !ok || node.Name != "node" {
				t.Fatalf("%s: node selection %v, %v", doc, node.Name, ok)
			}
			nctx := loaders.NodeFieldContext(ctx, "Practice")
			fc := graphql.GetFieldContext(nctx)
			if fc.Field.Name != "node" || fc.Parent != graphql.GetFieldContext(ctx) {
				t.Fatalf("%s: synthetic context is on %q", doc, fc.Field.Name)
			}
			var names []string
			for _, f := range graphql.CollectFieldsCtx(nctx, []string{"Practice"}) {
				names = append(names, f.Name)
			}
			if !slices.Equal(names, []string{"name", "listSize"}) {
				t.Errorf("%s: node fields %v", doc, names)
			}
		})
		if calls != 1 {
			t.Fatalf("%s: practices resolved %d times", doc, calls)
		}
	}
}
