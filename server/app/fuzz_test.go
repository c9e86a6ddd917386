package app_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"dpcma/server/app"
	"dpcma/server/dbtest"
	"dpcma/server/seed"
)

// The fuzz targets below run their seeds (f.Add and testdata/fuzz) with
// every `go test`; `go test -fuzz FuzzGraphQLDocument ./server/app` looks
// for more. Whatever arrives, the server answers with JSON and a status
// below 500, never an internal error, and never shows its internals.

// fuzzServer is one server over the small data set for every input of a
// fuzz target.
func fuzzServer(f *testing.F) http.Handler {
	db := dbtest.Open(f, dbtest.SQLite, seed.Small)
	cfg := testConfig
	cfg.ResponseCacheBytes = 0
	return app.New(db, cfg)
}

func checkAnswer(t *testing.T, rec *httptest.ResponseRecorder) {
	t.Helper()
	if rec.Code >= 500 {
		t.Fatalf("HTTP %d: %.500s", rec.Code, rec.Body.String())
	}
	var res struct {
		Errors []gqlError `json:"errors"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &res); err != nil {
		t.Fatalf("not JSON (%v): %.500s", err, rec.Body.String())
	}
	for _, e := range res.Errors {
		if e.code() == "INTERNAL_SERVER_ERROR" || e.code() == "" {
			t.Fatalf("an error without a client code: %+v", e)
		}
		for _, bad := range []string{"SELECT ", "goroutine ", "pq: ", "sqlite", ".go:"} {
			if strings.Contains(e.Message, bad) {
				t.Fatalf("an error shows internals: %q", e.Message)
			}
		}
	}
}

func post(h http.Handler, body []byte) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "/query", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// FuzzGraphQLDocument sends any document with any variables.
func FuzzGraphQLDocument(f *testing.F) {
	for _, seed := range [][2]string{
		{`{ national { name maturity { score level } } }`, `{}`},
		{`query($c: String!) { practice(odsCode: $c) { name responses(first: 2) { edges { node { value } } } } }`, `{"c": "A81001"}`},
		{`query($p: String) { organisations(first: 3, where: {tier: CCG}) { edges { node { maturity(period: $p) { score } } } } }`, `{"p": "2016-17-H1"}`},
		{`{ organisations(first: 2, where: {nameContainsFold: "%_"}) { totalCount } }`, `{}`},
		{`query($r: [_Any!]!) { _entities(representations: $r) { ... on Practice { name } } }`, `{"r": [{"__typename": "Practice"}, {"odsCode": 1}, null]}`},
		{`mutation($in: SubmitResponsesInput!) { submitResponses(input: $in) { changed } }`, `{"in": {"period": "x", "answers": []}}`},
		{`{ indicator(code: "BI02") { summary(period: "9999") { answeredCount } } }`, `{}`},
		{`{ practices(first: -1) { totalCount } }`, `{}`},
		{`{ __type(name: "Practice") { fields { name } } }`, `{}`},
		{`query { ...F } fragment F on Query { ...F }`, `{}`},
		{"{ national { name } }\x00", `{}`},
	} {
		f.Add(seed[0], seed[1])
	}
	h := fuzzServer(f)
	f.Fuzz(func(t *testing.T, doc, vars string) {
		var v any
		if json.Unmarshal([]byte(vars), &v) != nil {
			v = vars // sent as a string: the server must refuse it cleanly
		}
		body, _ := json.Marshal(map[string]any{"query": doc, "variables": v})
		checkAnswer(t, post(h, body))
	})
}

// FuzzIDsAndCursors sends any ID to node and any cursor to a connection.
func FuzzIDsAndCursors(f *testing.F) {
	for _, s := range []string{"", "T3JnYW5pc2F0aW9uOjE", "UHJhY3RpY2U6OTk5OTk5OTk5", "!!!", "gaFpzAA", "eyJpZCI6MX0", strings.Repeat("A", 5000), "\xff"} {
		f.Add(s)
	}
	h := fuzzServer(f)
	f.Fuzz(func(t *testing.T, s string) {
		for _, q := range []string{
			`query($x: ID!) { node(id: $x) { id } }`,
			`query($x: ID!) { nodes(ids: [$x, $x]) { id } }`,
			`query($x: Cursor) { practices(first: 2, after: $x) { edges { cursor } } }`,
			`query($x: Cursor) { national { children(last: 2, before: $x) { totalCount } } }`,
		} {
			body, _ := json.Marshal(map[string]any{"query": q, "variables": map[string]any{"x": s}})
			checkAnswer(t, post(h, body))
		}
	})
}
