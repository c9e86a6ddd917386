package app_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"dpcma/server/app"
	"dpcma/server/dbtest"
	"dpcma/server/seed"
)

// Abusive requests, each with its documented answer: a clear 4xx or a
// GraphQL error with a code, never a 5xx, a panic or a query that runs
// unbounded. Refusals made before execution run no SQL statement.
func TestAbusiveRequests(t *testing.T) {
	c := &dbtest.Counter{}
	db := dbtest.Open(t, dbtest.SQLite, seed.Small, c.Option())
	cfg := testConfig
	h := app.New(db, cfg)

	nested := func(depth int) string {
		return "{ national " + strings.Repeat("{ parent ", depth) + "{ name }" + strings.Repeat(" }", depth) + " }"
	}
	aliases := func(n int, field string) string {
		var b strings.Builder
		b.WriteString("{ ")
		for i := 0; i < n; i++ {
			fmt.Fprintf(&b, "a%d: %s ", i, field)
		}
		b.WriteString("}")
		return b.String()
	}
	// Each fragment spreads the next twice: 2^30 fields once expanded.
	fragmentBomb := func() string {
		var b strings.Builder
		b.WriteString("{ national { ...F0 } }\n")
		for i := 0; i < 30; i++ {
			fmt.Fprintf(&b, "fragment F%d on Organisation { parent { ...F%d } children(first: 2) { edges { node { ...F%d } } } }\n", i, i+1, i+1)
		}
		b.WriteString("fragment F30 on Organisation { name }\n")
		return b.String()
	}
	reps := func(n int) []map[string]string {
		out := make([]map[string]string, n)
		for i := range out {
			out[i] = map[string]string{"__typename": "Practice", "odsCode": fmt.Sprintf("Z%05d", i)}
		}
		return out
	}
	body := func(query string, vars map[string]any) []byte {
		b, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
		return b
	}
	cases := []struct {
		name        string
		contentType string
		body        []byte
		status      int
		code        string // extensions.code of the first error; "" for success
		runs        bool   // whether it may reach the database
	}{
		{"deep nesting", "application/json", body(nested(60), nil), 200, "QUERY_TOO_COMPLEX", false},
		{"alias bomb of costly fields", "application/json", body(aliases(50, "practices(first: 1000) { edges { node { responses(first: 1000) { edges { node { value } } } } } }"), nil), 200, "QUERY_TOO_COMPLEX", false},
		{"alias bomb of cheap fields", "application/json", body(aliases(30000, "__typename"), nil), 200, "GRAPHQL_PARSE_FAILED", false},
		{"fragment bomb", "application/json", body(fragmentBomb(), nil), 200, "QUERY_TOO_COMPLEX", false},
		{"20,000 _entities representations", "application/json",
			body(`query($r: [_Any!]!) { _entities(representations: $r) { ... on Practice { name } } }`, map[string]any{"r": reps(20000)}), 200, "", true},
		{"a body over the size limit", "application/json",
			body(`query($r: [_Any!]!) { _entities(representations: $r) { ... on Practice { name } } }`, map[string]any{"r": reps(40000)}), 413, "REQUEST_TOO_LARGE", false},
		{"20,000 IDs", "application/json", body(`query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, map[string]any{"ids": strings.Split(strings.Repeat("T3JnYW5pc2F0aW9uOjE,", 20000), ",")[:20000]}), 200, "", true},
		{"a giant string argument", "application/json", body(`query($c: String!) { practice(odsCode: $c) { name } }`, map[string]any{"c": strings.Repeat("A", 900_000)}), 200, "NOT_FOUND", true},
		{"invalid UTF-8", "application/json", []byte("{\"query\": \"{ practice(odsCode: \\\"\xff\xfe\\\") { name } }\"}"), 200, "NOT_FOUND", true},
		{"not JSON", "application/json", []byte(`{"query": "{ national { name } }"`), 400, "BAD_REQUEST", false},
		{"a wrong content type", "text/plain", []byte(`{ national { name } }`), 415, "UNSUPPORTED_MEDIA_TYPE", false},
		{"batched operations", "application/json", []byte(`[{"query": "{ national { name } }"}, {"query": "{ national { name } }"}]`), 400, "BAD_REQUEST", false},
		{"an introspection flood", "application/json", body(aliases(400, "__schema { types { name fields { name type { name ofType { name ofType { name } } } } } }"), nil), 200, "QUERY_TOO_COMPLEX", false},
		{"a mutation by GET", "", nil, 405, "METHOD_NOT_ALLOWED", false},
		{"a PUT", "PUT", nil, 405, "METHOD_NOT_ALLOWED", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var req *http.Request
			switch {
			case tc.contentType == "PUT":
				req = httptest.NewRequest(http.MethodPut, "/query", strings.NewReader(`{"query": "{ national { name } }"}`))
			case tc.body == nil:
				req = httptest.NewRequest(http.MethodGet, "/query?query="+`mutation%20%7B%20register(email%3A%20%22a%40b.nhs.uk%22)%20%7B%20email%20%7D%20%7D`, nil)
			default:
				req = httptest.NewRequest(http.MethodPost, "/query", bytes.NewReader(tc.body))
				req.Header.Set("Content-Type", tc.contentType)
			}
			c.Reset()
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tc.status {
				t.Fatalf("HTTP %d, want %d: %.300s", rec.Code, tc.status, rec.Body.String())
			}
			var res struct {
				Errors []gqlError `json:"errors"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &res); err != nil {
				t.Fatalf("the answer is not JSON: %v: %.300s", err, rec.Body.String())
			}
			got := ""
			if len(res.Errors) > 0 {
				got = res.Errors[0].code()
			}
			if got != tc.code {
				t.Fatalf("code %q, want %q: %.300s", got, tc.code, rec.Body.String())
			}
			if !tc.runs && c.Count() > 0 {
				t.Fatalf("refused, but %d statements ran", c.Count())
			}
		})
	}
}
