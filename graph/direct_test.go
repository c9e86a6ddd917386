package graph_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"dpcma/graph"
	"dpcma/server/dbtest"
)

// Fields that only read their object and select nothing that may wait are
// marshalled directly (tools/gqlgenpatch, graph/marshal.go). These tests
// hold them to what gqlgen's own path does: aliases, __typename, a field
// selected twice with different sub-selections, fragments on interfaces and
// unions, and errors that null a non-null field and bubble to the nearest
// nullable one at gqlgen's path.

type gqlResponse struct {
	Data   map[string]any
	Errors []struct {
		Message string
		Path    []any
	}
}

func postQuery(t *testing.T, srv http.Handler, doc string) (gqlResponse, []byte) {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"query": doc})
	req := httptest.NewRequest(http.MethodPost, "/query", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, req)
	var got gqlResponse
	if rec.Code != 200 {
		t.Fatalf("HTTP %d: %.300s", rec.Code, rec.Body.Bytes())
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatalf("not JSON: %v\n%.300s", err, rec.Body.Bytes())
	}
	return got, rec.Body.Bytes()
}

// at walks decoded JSON by object keys and list indexes.
func at(t *testing.T, v any, path ...any) any {
	t.Helper()
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				t.Fatalf("%v: not an object at %q: %v", path, k, v)
			}
			v = m[k]
		case int:
			l, ok := v.([]any)
			if !ok || k >= len(l) {
				t.Fatalf("%v: no element %d: %v", path, k, v)
			}
			v = l[k]
		}
	}
	return v
}

// keys lists the keys of the first JSON object that starts at body[from:],
// in the order written.
func keys(t *testing.T, body []byte, from int) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(body[from:]))
	if _, err := dec.Token(); err != nil {
		t.Fatal(err)
	}
	var ks []string
	for dec.More() {
		k, _ := dec.Token()
		ks = append(ks, k.(string))
		var skip json.RawMessage
		_ = dec.Decode(&skip)
	}
	return ks
}

// practiceWithAnswers is the ODS code of the first practice, in code
// order, that has answers.
func practiceWithAnswers(t *testing.T, f *fixture) string {
	t.Helper()
	var ods string
	if err := f.db.SQL.QueryRow(`SELECT p.ods_code FROM practices p
		WHERE EXISTS (SELECT 1 FROM responses r WHERE r.practice_id = p.id) ORDER BY p.ods_code LIMIT 1`).Scan(&ods); err != nil {
		t.Fatal(err)
	}
	return ods
}

func TestDirectFieldsSelectAsGqlgenDoes(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, backend string) {
		f := newFixture(t, backend, graph.Options{})
		ods := practiceWithAnswers(t, f)
		got, body := postQuery(t, f.srv, fmt.Sprintf(`{ practice(odsCode: %q) { responses(first: 3) {
			t: __typename
			page: pageInfo { hasNextPage }
			edges { __typename node {
				kind: __typename
				... on Node { id }
				score
				indicator { code }
				v: value
				indicator { domain c: code ... on _Entity { u: __typename } }
				... on Response { notApplicable score }
			} }
			all: edges { node { value } }
		} } }`, ods))
		if len(got.Errors) > 0 {
			t.Fatalf("errors: %+v", got.Errors)
		}
		conn := at(t, got.Data, "practice", "responses")
		if at(t, conn, "t") != "ResponseConnection" || at(t, conn, "page", "hasNextPage") != true {
			t.Errorf("connection: %v", conn)
		}
		edge := at(t, conn, "edges", 0)
		if at(t, edge, "__typename") != "ResponseEdge" {
			t.Errorf("edge's __typename: %v", edge)
		}
		node := at(t, edge, "node")
		want := []string{"kind", "id", "score", "indicator", "v", "notApplicable"}
		if ks := keys(t, body, bytes.Index(body, []byte(`{"kind":`))); !reflect.DeepEqual(ks, want) {
			t.Errorf("node's keys %v, want %v (document order, merged fields once)", ks, want)
		}
		if at(t, node, "kind") != "Response" || at(t, node, "id") == "" {
			t.Errorf("node: %v", node)
		}
		ind := at(t, node, "indicator").(map[string]any)
		if len(ind) != 4 || ind["code"] == "" || ind["c"] != ind["code"] || ind["domain"] == "" || ind["u"] != "Indicator" {
			t.Errorf("indicator selected twice, merged: %v", ind)
		}
		// The same list under an alias with another selection.
		for i := range 3 {
			if at(t, conn, "all", i, "node", "value") != at(t, conn, "edges", i, "node", "v") {
				t.Errorf("answer %d: aliased lists differ", i)
			}
		}
	})
}

// An answer whose indicator is gone (its indicator_id names no row): the
// non-null indicator is an error at its own path, and nulls the answer,
// the nearest nullable field; the other answers are whole. The answers'
// connection is marshalled directly until the error, then by gqlgen.
func TestDirectFieldsBubbleNullsAsGqlgenDoes(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, backend string) {
		f := newFixture(t, backend, graph.Options{})
		ctx := context.Background()
		var ods string
		var practice, indicator int
		if err := f.db.SQL.QueryRowContext(ctx, `SELECT p.ods_code, p.id, min(r.indicator_id) FROM practices p
			JOIN responses r ON r.practice_id = p.id GROUP BY p.ods_code, p.id ORDER BY p.ods_code LIMIT 1`).Scan(&ods, &practice, &indicator); err != nil {
			t.Fatal(err)
		}
		// An indicator id no row has, past the foreign key's check (off
		// for this one statement's connection or transaction).
		conn, err := f.db.SQL.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		off, on := `PRAGMA foreign_keys = OFF`, `PRAGMA foreign_keys = ON`
		if backend == dbtest.Postgres {
			off, on = `BEGIN; SET LOCAL session_replication_role = replica`, `COMMIT`
		}
		for _, stmt := range []string{off, fmt.Sprintf(`UPDATE responses SET indicator_id = %d WHERE practice_id = %d AND indicator_id = %d`,
			1<<30, practice, indicator), on} {
			if _, err := conn.ExecContext(ctx, stmt); err != nil {
				t.Fatalf("%s: %v", stmt, err)
			}
		}
		_ = conn.Close()
		got, _ := postQuery(t, f.srv, fmt.Sprintf(`{ practice(odsCode: %q) { odsCode responses(first: 100) {
			edges { node { value a: indicator { code } } } } } }`, ods))
		edges := at(t, got.Data, "practice", "responses", "edges").([]any)
		var nulls []int
		for i := range edges {
			if at(t, edges[i], "node") == nil {
				nulls = append(nulls, i)
			} else if at(t, edges[i], "node", "a", "code") == "" {
				t.Errorf("answer %d: no indicator code", i)
			}
		}
		if len(nulls) == 0 || len(nulls) == len(edges) {
			t.Fatalf("%d of %d answers null, want some: %v", len(nulls), len(edges), got.Errors)
		}
		if len(got.Errors) != len(nulls) {
			t.Fatalf("%d errors for %d null answers: %+v", len(got.Errors), len(nulls), got.Errors)
		}
		for j, i := range nulls {
			e := got.Errors[j]
			want := []any{"practice", "responses", "edges", float64(i), "node", "a"}
			if !reflect.DeepEqual(e.Path, want) || !strings.Contains(e.Message, "not found") {
				t.Errorf("error %d: %q at %v, want not found at %v", j, e.Message, e.Path, want)
			}
		}
	})
}

// A NaN score (PostgreSQL stores one; JSON cannot) is an error when the
// answer is written, and null: within a directly marshalled subtree as
// gqlgen's marshaller does it, under the answer's path.
func TestDirectFieldsReportANaNAsGqlgenDoes(t *testing.T) {
	dbtest.PostgresOnly(t) // SQLite stores a NaN as NULL
	f := newFixture(t, dbtest.Postgres, graph.Options{})
	var ods string
	var practice int
	if err := f.db.SQL.QueryRow(`SELECT p.ods_code, p.id FROM practices p
		WHERE EXISTS (SELECT 1 FROM responses r WHERE r.practice_id = p.id AND r.score IS NOT NULL) ORDER BY p.ods_code LIMIT 1`).Scan(&ods, &practice); err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.SQL.Exec(`UPDATE responses SET score = 'NaN' WHERE practice_id = $1 AND score IS NOT NULL`, practice); err != nil {
		t.Fatal(err)
	}
	got, _ := postQuery(t, f.srv, fmt.Sprintf(`{ practice(odsCode: %q) { responses(first: 1, where: {scoreNotNil: true}) {
		edges { node { value score } } } } }`, ods))
	if s := at(t, got.Data, "practice", "responses", "edges", 0, "node", "score"); s != nil {
		t.Errorf("score %v, want null", s)
	}
	want := []any{"practice", "responses", "edges", float64(0), "node"}
	// The presenter hides the marshaller's message: an internal error.
	if len(got.Errors) != 1 || !reflect.DeepEqual(got.Errors[0].Path, want) || got.Errors[0].Message != "internal error" {
		t.Errorf("errors %+v, want one internal error at %v", got.Errors, want)
	}
}
