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
	"dpcma/server/database"
	"dpcma/server/dbtest"
	"dpcma/server/seed"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// gqlError is one entry of a GraphQL response's errors.
type gqlError struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

func (e gqlError) code() string { s, _ := e.Extensions["code"].(string); return s }

type gqlResponse struct {
	Data   json.RawMessage `json:"data"`
	Errors []gqlError      `json:"errors"`
}

// env is one backend's service under test.
type env struct {
	t       *testing.T
	db      *database.DB
	handler http.Handler
	counter *dbtest.Counter
}

func newEnv(t *testing.T, backend, kind string) *env {
	t.Helper()
	c := &dbtest.Counter{}
	db := dbtest.Open(t, backend, kind, c.Option())
	return &env{t: t, db: db, handler: app.New(db, testConfig), counter: c}
}

// testConfig is the server's default without the rate limit: tests send
// many requests at once from one address (limits_test.go tests the limit
// with its own settings).
var testConfig = func() app.Config { c := app.DefaultConfig; c.RateLimit = 0; return c }()

// uncachedConfig computes every operation: for tests that count the
// statements an operation costs.
var uncachedConfig = func() app.Config { c := testConfig; c.ResponseCacheBytes = 0; return c }()

// uncached gives e a fresh server without the response cache.
func (e *env) uncached() *env {
	e.handler = app.New(e.db, uncachedConfig)
	return e
}

// post sends a GraphQL request through the real HTTP handler.
func (e *env) post(query string, vars map[string]any) gqlResponse {
	e.t.Helper()
	out, err := e.do(query, vars)
	if err != nil {
		e.t.Fatal(err)
	}
	return out
}

// do is post for any goroutine: it returns the failure instead.
func (e *env) do(query string, vars map[string]any) (gqlResponse, error) {
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req := httptest.NewRequest(http.MethodPost, "/query", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	e.handler.ServeHTTP(rec, req)
	var out gqlResponse
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		return out, fmt.Errorf("status %d, body %q: %w", rec.Code, rec.Body.String(), err)
	}
	return out, nil
}

// query runs a document that must succeed and decodes its data into v.
func (e *env) query(query string, vars map[string]any, v any) {
	e.t.Helper()
	res := e.post(query, vars)
	if len(res.Errors) > 0 {
		e.t.Fatalf("unexpected errors: %+v\nquery: %s", res.Errors, query)
	}
	if err := json.Unmarshal(res.Data, v); err != nil {
		e.t.Fatalf("decoding %s: %v", res.Data, err)
	}
}

// fails runs a document that must fail with the given code; it returns
// the first error.
func (e *env) fails(query string, vars map[string]any, code string) gqlError {
	e.t.Helper()
	res := e.post(query, vars)
	if len(res.Errors) == 0 {
		e.t.Fatalf("expected a %s error, got data %s", code, res.Data)
	}
	if got := res.Errors[0].code(); got != code {
		e.t.Fatalf("expected code %s, got %s (%s)", code, got, res.Errors[0].Message)
	}
	for _, bad := range []string{"SELECT", "sql:", "pq:", "goroutine", "ent:"} {
		if strings.Contains(res.Errors[0].Message, bad) {
			e.t.Fatalf("error message leaks internals: %q", res.Errors[0].Message)
		}
	}
	return res.Errors[0]
}

// forEachBackend runs f against a fresh small data set on every backend.
func forEachBackend(t *testing.T, f func(t *testing.T, e *env)) {
	dbtest.Each(t, func(t *testing.T, backend string) {
		f(t, newEnv(t, backend, seed.Small))
	})
}
