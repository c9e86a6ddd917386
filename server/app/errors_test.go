package app_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestErrorsCarryCodes(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		e.fails(`{ organisation(odsCode: "ZZZ") { name } }`, nil, "NOT_FOUND")
		e.fails(`{ practice(odsCode: "X99999") { name } }`, nil, "NOT_FOUND")
		e.fails(`{ indicator(code: "NOPE") { title } }`, nil, "NOT_FOUND")
		e.fails(`{ period(code: "1999-00-H1") { name } }`, nil, "NOT_FOUND")
		e.fails(`{ practices(first: 2, after: "not-a-cursor") { totalCount } }`, nil, "BAD_USER_INPUT")
		e.fails(`{ practices(first: -1) { totalCount } }`, nil, "BAD_USER_INPUT")
		e.fails(`{ practices(first: 1001) { edges { node { odsCode } } } }`, nil, "BAD_USER_INPUT")
		e.fails(`query($n: Int) { national { children(first: 1) { edges { node { practices(last: $n) { totalCount } } } } } }`,
			map[string]any{"n": 5000}, "BAD_USER_INPUT")
		e.fails(`{ node(id: "bm9wZQ") { id } }`, nil, "BAD_USER_INPUT")
		e.fails(`{ node(id: "T3JnYW5pc2F0aW9uOjk5OTk5") { id } }`, nil, "NOT_FOUND")
		err := e.fails(`{ national { maturity(period: "2030-31-H1") { score } } }`, nil, "BAD_USER_INPUT")
		if !strings.Contains(err.Message, "2016-17-H1") {
			t.Errorf("unknown period error does not list the valid periods: %q", err.Message)
		}
		err = e.fails(`{ national { maturity(domain: "Astrology") { score } } }`, nil, "BAD_USER_INPUT")
		if !strings.Contains(err.Message, "Patient online") {
			t.Errorf("unknown domain error does not list the valid domains: %q", err.Message)
		}
		// One response per operation: @defer is refused, however deep
		// (the executor keeps no deferred-field bookkeeping).
		for _, q := range []string{
			`{ national { name ... @defer { odsCode } } }`,
			`{ national { children(first: 2) { edges { node { ...F @defer(label: "f") } } } } } fragment F on Organisation { name }`,
			`{ national { ...G } } fragment G on Organisation { children(first: 1) { edges { node { ... @defer { name } } } } }`,
		} {
			if err := e.fails(q, nil, "BAD_USER_INPUT"); !strings.Contains(err.Message, "@defer") {
				t.Errorf("@defer refusal does not say why: %q", err.Message)
			}
		}
		e.fails(`{ national { nope } }`, nil, "GRAPHQL_VALIDATION_FAILED")
		e.fails(`{ national { `, nil, "GRAPHQL_PARSE_FAILED")
	})
}

func TestHTTPSurface(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		get := func(path string) *httptest.ResponseRecorder {
			rec := httptest.NewRecorder()
			e.handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
			return rec
		}
		if rec := get("/healthz"); rec.Code != 200 {
			t.Errorf("/healthz = %d", rec.Code)
		}
		if rec := get("/readyz"); rec.Code != 200 || !strings.Contains(rec.Body.String(), "ready") {
			t.Errorf("/readyz = %d %s", rec.Code, rec.Body)
		}
		rec := get("/query?query=" + strings.ReplaceAll("{ national { odsCode } }", " ", "%20"))
		if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"odsCode":"ENG"`) {
			t.Errorf("GET /query = %d %s", rec.Code, rec.Body)
		}
		big := httptest.NewRequest(http.MethodPost, "/query", strings.NewReader(`{"query":"`+strings.Repeat(" ", 2<<20)+`{ national { id } }"}`))
		big.Header.Set("Content-Type", "application/json")
		rec = httptest.NewRecorder()
		e.handler.ServeHTTP(rec, big)
		if rec.Code != http.StatusRequestEntityTooLarge {
			t.Errorf("2 MB body = %d, want 413", rec.Code)
		}
		if rec := get("/"); rec.Code != 200 || !strings.Contains(rec.Body.String(), "<html") {
			t.Errorf("playground = %d", rec.Code)
		}
	})
}
