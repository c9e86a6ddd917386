package graph_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"dpcma/graph"
	"dpcma/server/database"
	"dpcma/server/dbtest"
	"dpcma/server/seed"

	"github.com/99designs/gqlgen/client"
	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// fixture is a server over the small data set with a statement counter.
type fixture struct {
	db      *database.DB
	srv     *handler.Server
	c       *client.Client
	counter *dbtest.Counter
}

func newFixture(t *testing.T, backend string, opts graph.Options) *fixture {
	t.Helper()
	counter := &dbtest.Counter{}
	db := dbtest.Open(t, backend, seed.Small, counter.Option())
	srv := graph.NewServer(db, opts)
	return &fixture{db: db, srv: srv, c: client.New(srv), counter: counter}
}

// code returns the extensions.code of the first error gqlgen's client
// reported, or "".
func code(t *testing.T, err error) string {
	t.Helper()
	if err == nil {
		return ""
	}
	type gqlErrors []struct {
		Extensions map[string]any `json:"extensions"`
	}
	var errs gqlErrors
	msg := err.Error()
	if strings.HasPrefix(msg, "http ") { // a non-200 answer: the body follows the status
		var body struct{ Errors gqlErrors }
		_, raw, _ := strings.Cut(msg, ": ")
		_ = json.Unmarshal([]byte(raw), &body) // an empty list fails below
		errs = body.Errors
	} else {
		_ = json.Unmarshal([]byte(msg), &errs)
	}
	if len(errs) == 0 {
		t.Fatalf("not a GraphQL error list: %v", err)
	}
	c, _ := errs[0].Extensions["code"].(string)
	return c
}

// The generated executor keeps no bookkeeping for deferred fragments
// (tools/gqlgenpatch), so no operation with @defer or @stream may ever
// start executing, whatever the transport, the place of the directive or
// its arguments. A root-field middleware counts operations that start.
func TestDeferNeverReachesTheExecutor(t *testing.T) {
	f := newFixture(t, dbtest.SQLite, graph.Options{})
	var started atomic.Int32
	f.srv.AroundRootFields(func(ctx context.Context, next graphql.RootResolver) graphql.Marshaler {
		started.Add(1)
		return next(ctx)
	})
	docs := []string{
		`{ national { ... @defer { name } } }`,
		`{ national { ... @defer(if: false) { name } } }`,
		`{ national { ...N @defer(label: "n") } } fragment N on Organisation { name }`,
		`{ national { ...N } } fragment N on Organisation { children(first: 2) { edges { node { ... @defer { maturity { score } } } } } }`,
		`query($d: Boolean!) { national { ... @defer(if: $d) { name } } }`,
		`{ organisations(first: 2) { edges @stream { node { name } } } }`,
	}
	for _, doc := range docs {
		var resp map[string]any
		err := f.c.Post(doc, &resp, client.Var("d", true))
		// @stream is not even declared: it fails validation.
		if got := code(t, err); got != "BAD_USER_INPUT" && got != "GRAPHQL_VALIDATION_FAILED" {
			t.Errorf("POST %s: code %q (%v)", doc, got, err)
		}
		// GET, as a cached URL or a persisted query would arrive.
		rec := httptest.NewRecorder()
		f.srv.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/query?query="+url.QueryEscape(doc)+`&variables={"d":true}`, nil))
		if !strings.Contains(rec.Body.String(), `"code":"`) || strings.Contains(rec.Body.String(), `"data":{`) {
			t.Errorf("GET %s: %d %s", doc, rec.Code, rec.Body.String())
		}
	}
	if n := started.Load(); n != 0 {
		t.Fatalf("%d operations with @defer or @stream started executing", n)
	}
	// The counter does count operations that run.
	var resp map[string]any
	f.c.MustPost(`{ national { name } }`, &resp)
	if started.Load() != 1 {
		t.Fatal("the root-field middleware did not see a plain operation")
	}
}

// Lookups by code cost one statement per type, whatever the number of
// codes, and _entities places each row at its representation.
func TestEntitiesCostOneStatementPerType(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, backend string) {
		f := newFixture(t, backend, graph.Options{})
		reps := []map[string]any{
			{"__typename": "Practice", "odsCode": "A81001"},
			{"__typename": "Indicator", "code": "PO01"},
			{"__typename": "Practice", "odsCode": "NOPE"},
			{"__typename": "AssessmentPeriod", "code": "2016-17-H1"},
			{"__typename": "Organisation", "odsCode": "ENG"},
		}
		var codes struct {
			Practices struct {
				Edges []struct{ Node struct{ OdsCode string } }
			}
		}
		f.c.MustPost(`{ practices(first: 1, orderBy: {field: ODS_CODE, direction: ASC}) { edges { node { odsCode } } } }`, &codes)
		reps[0]["odsCode"] = codes.Practices.Edges[0].Node.OdsCode

		var resp struct {
			Entities []map[string]any `json:"_entities"`
		}
		f.counter.Reset()
		f.c.MustPost(`query($r: [_Any!]!) { _entities(representations: $r) {
			... on Practice { name } ... on Indicator { title } ... on AssessmentPeriod { name } ... on Organisation { name } } }`,
			&resp, client.Var("r", reps))
		if n := f.counter.Count(); n != 4 {
			t.Errorf("%d statements for four types:\n%s", n, strings.Join(f.counter.Statements(), "\n"))
		}
		if len(resp.Entities) != len(reps) || resp.Entities[2] != nil {
			t.Fatalf("entities %v", resp.Entities)
		}
		for i, e := range resp.Entities {
			if i != 2 && (e == nil || (e["name"] == nil && e["title"] == nil)) {
				t.Errorf("representation %d (%v) gave %v", i, reps[i], e)
			}
		}
	})
}

// The server refuses oversized pages and, when asked, introspection,
// before anything runs.
func TestOperationChecks(t *testing.T) {
	f := newFixture(t, dbtest.SQLite, graph.Options{MaxPageSize: 10, NoIntrospection: true})
	cases := map[string]string{
		`{ practices(first: 11) { totalCount } }`:                                                  "BAD_USER_INPUT",
		`query($n: Int) { national { children(last: $n) { totalCount } } }`:                        "BAD_USER_INPUT",
		`{ national { ...C } } fragment C on Organisation { practices(first: 50) { totalCount } }`: "BAD_USER_INPUT",
		`{ __schema { queryType { name } } }`:                                                      "INTROSPECTION_DISABLED",
		`{ __type(name: "Practice") { name } }`:                                                    "INTROSPECTION_DISABLED",
		`{ practices(first: 10) { totalCount } _service { sdl } }`:                                 "",
	}
	for doc, want := range cases {
		f.counter.Reset()
		var resp map[string]any
		err := f.c.Post(doc, &resp, client.Var("n", 11))
		if got := code(t, err); got != want {
			t.Errorf("%s: code %q, want %q (%v)", doc, got, want, err)
		}
		if want != "" && f.counter.Count() != 0 {
			t.Errorf("%s: refused, but %d statements ran", doc, f.counter.Count())
		}
	}
}
