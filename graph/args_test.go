package graph_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"dpcma/graph"
	"dpcma/server/dbtest"
)

func postWithVariables(t *testing.T, srv http.Handler, doc string, vars map[string]any) gqlResponse {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": doc, "variables": vars})
	req := httptest.NewRequest(http.MethodPost, "/query", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, req)
	var got gqlResponse
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatalf("HTTP %d, not JSON: %v\n%.300s", rec.Code, err, rec.Body.Bytes())
	}
	return got
}

// A field's arguments are parsed once per field of the document and kept
// for the operation (tools/gqlgenpatch step 8). Two aliases of one field
// with other arguments, arguments from variables, and a field nested under
// a list keep their own values for every object.
func TestFieldArgumentsKeptPerField(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, backend string) {
		f := newFixture(t, backend, graph.Options{})
		codes := func(conn any) []string {
			var out []string
			for _, e := range conn.(map[string]any)["edges"].([]any) {
				out = append(out, e.(map[string]any)["node"].(map[string]any)["odsCode"].(string))
			}
			return out
		}
		// Regions and, beneath each, its STPs: the same fields of the
		// document on every object of two lists.
		got := postWithVariables(t, f.srv, `query($n: Int!, $dir: OrderDirection!) { national { children { edges { node {
			...kids children { edges { node { ...kids } } }
		} } } } }
		fragment kids on Organisation {
			odsCode
			a: children(first: $n) { edges { node { odsCode } } }
			b: children(first: 2, orderBy: {field: NAME, direction: $dir}) { edges { node { odsCode } } }
			all: children { edges { node { odsCode } } }
		}`, map[string]any{"n": 1, "dir": "DESC"})
		if len(got.Errors) > 0 {
			t.Fatalf("errors: %+v", got.Errors)
		}
		regions := at(t, got.Data, "national", "children", "edges").([]any)
		var nodes []any
		for i := range regions {
			nodes = append(nodes, at(t, regions, i, "node"))
			for _, stp := range at(t, regions, i, "node", "children", "edges").([]any) {
				nodes = append(nodes, at(t, stp, "node"))
			}
		}
		checked := 0
		for _, node := range nodes {
			code := at(t, node, "odsCode").(string)
			a, b, all := codes(at(t, node, "a")), codes(at(t, node, "b")), codes(at(t, node, "all"))
			if len(all) < 2 {
				continue
			}
			checked++
			// Each region's own answer, asked alone.
			alone := postWithVariables(t, f.srv, `query($c: String!) { organisation(odsCode: $c) {
				first: children(first: 1) { edges { node { odsCode } } }
				desc: children(first: 2, orderBy: {field: NAME, direction: DESC}) { edges { node { odsCode } } } } }`,
				map[string]any{"c": code})
			if len(alone.Errors) > 0 {
				t.Fatalf("%s alone: %+v", code, alone.Errors)
			}
			if want := codes(at(t, alone.Data, "organisation", "first")); !slices.Equal(a, want) {
				t.Errorf("%s: first $n=1 gave %v, alone %v", code, a, want)
			}
			if want := codes(at(t, alone.Data, "organisation", "desc")); !slices.Equal(b, want) || len(b) != 2 {
				t.Errorf("%s: first 2 by name descending gave %v, alone %v", code, b, want)
			}
		}
		if checked < 2 {
			t.Fatalf("only %d organisations with two or more children: the small seed changed?", checked)
		}

	})
}
