package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"dpcma/server/access"
	"dpcma/server/app"
	"dpcma/server/database"
	"dpcma/server/dbtest"
	"dpcma/server/seed"

	"github.com/lib/pq"
)

// send makes one request to /query through the real handler; body is the
// JSON of query and vars for POST, and the URL parameters for GET.
func send(h http.Handler, method, query string, vars map[string]any) *httptest.ResponseRecorder {
	var req *http.Request
	if method == http.MethodGet {
		v := url.Values{"query": {query}}
		if vars != nil {
			b, _ := json.Marshal(vars)
			v.Set("variables", string(b))
		}
		req = httptest.NewRequest(method, "/query?"+v.Encode(), nil)
	} else {
		b, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
		req = httptest.NewRequest(method, "/query", bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func decodeResponse(t *testing.T, rec *httptest.ResponseRecorder) gqlResponse {
	t.Helper()
	var out gqlResponse
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		t.Fatalf("status %d, body %q: %v", rec.Code, rec.Body.String(), err)
	}
	return out
}

func withLimits(depth int, cost int64) app.Config {
	c := uncachedConfig
	c.MaxDepth, c.MaxCost = depth, cost
	return c
}

// The cost of an operation follows the README: every field 1, aliases and
// fragment spreads counted each time, a connection's edges times its page
// size, _entities and nodes times the number of keys.
func TestQueryCost(t *testing.T) {
	db := dbtest.Open(t, dbtest.SQLite, seed.Small)
	h := app.New(db, withLimits(0, 1)) // every cost above 1 is refused and reported
	cases := []struct {
		doc  string
		vars map[string]any
		cost int
	}{
		{`{ national { name } }`, nil, 2},
		{`{ a: national { name } b: national { name odsCode } }`, nil, 5},
		// edges = 1 + node (1 + 2) = 4; 1 + 10 × 4 + totalCount
		{`{ practices(first: 10) { totalCount edges { node { odsCode name } } } }`, nil, 42},
		{`query($n: Int) { practices(last: $n) { edges { node { odsCode } } } }`, map[string]any{"n": 7}, 1 + 7*3},
		// Without first or last a page is as large as the cap (1000).
		{`{ practices { totalCount } }`, nil, 2},
		{`{ practices { edges { node { odsCode } } } }`, nil, 1 + 1000*3},
		// Nested connections multiply: inner 1 + 5 × 3 = 16, outer 1 + 10 × (1 + 1 + 16) = 181.
		{`{ national { children(first: 10) { edges { node { children(first: 5) { edges { node { name } } } } } } } }`, nil, 182},
		// Fragments are expanded wherever they are spread.
		{`{ national { ...F ...G } } fragment F on Organisation { name odsCode } fragment G on Organisation { ...F }`, nil, 5},
		{`{ practices(first: 4) { edges { ...E } } } fragment E on PracticeEdge { node { ... on Practice { name } } }`, nil, 1 + 4*3},
		{`query($r: [_Any!]!) { _entities(representations: $r) { ... on Practice { name listSize } } }`,
			map[string]any{"r": []any{map[string]any{"__typename": "Practice", "odsCode": "A1"}, map[string]any{"__typename": "Practice", "odsCode": "A2"}, map[string]any{"__typename": "Practice", "odsCode": "A3"}}}, 1 + 3*2},
		{`{ nodes(ids: ["a", "b"]) { id } }`, nil, 1 + 2*1},
		// Lists sized by first cost first (given, or the schema's default)
		// times their element: national 1 + priorities (1 + 10 × (1 + 1 + 3 × 2)).
		{`{ national { priorities { scoreGain indicator { code } bestPeers { shareMeetingTarget } } } }`, nil, 1 + 1 + 10*(1+2+1+3*1)},
		{`{ national { priorities(first: 4) { scoreGain } } }`, nil, 1 + 1 + 4*1},
	}
	for _, c := range cases {
		rec := send(h, http.MethodPost, c.doc, c.vars)
		res := decodeResponse(t, rec)
		if len(res.Errors) != 1 || res.Errors[0].code() != "QUERY_TOO_COMPLEX" {
			t.Errorf("%s: got %s", c.doc, rec.Body)
			continue
		}
		if got := res.Errors[0].Extensions["cost"]; got != float64(c.cost) {
			t.Errorf("%s: cost %v, want %d", c.doc, got, c.cost)
		}
	}
}

func TestCostAndDepthLimits(t *testing.T) {
	// national 1 + children 1 + 10 × (edges 1 + node 1 + name 1 + odsCode 1) = 42; depth 4
	const doc = `{ national { children(first: 10) { edges { node { name odsCode } } } } }`
	const cheaper = `{ national { children(first: 9) { edges { node { name odsCode } } } } }`
	const costlier = `{ national { children(first: 11) { edges { node { name odsCode } } } } }`
	const deeper = `{ national { children(first: 1) { edges { node { parent { name } } } } } }`
	const deeperByFragment = `{ national { children(first: 1) { edges { node { ...P } } } } } fragment P on Organisation { parent { name } }`
	forEachBackend(t, func(t *testing.T, e *env) {
		e.handler = app.New(e.db, withLimits(5, 42))
		for _, q := range []string{doc, cheaper} {
			e.counter.Reset()
			var v any
			e.query(q, nil, &v)
			if e.counter.Count() == 0 {
				t.Errorf("%s: nothing ran", q)
			}
		}
		refusals := []struct {
			doc, key  string
			got, want float64
			msg       string
		}{
			{costlier, "cost", 46, 42, "costs 46; the limit is 42"},
			{deeper, "depth", 6, 5, "nested 6 fields deep; the limit is 5"},
			{deeperByFragment, "depth", 6, 5, "nested 6 fields deep; the limit is 5"},
		}
		for _, r := range refusals {
			e.counter.Reset()
			rec := send(e.handler, http.MethodPost, r.doc, nil)
			// Under application/json a refused document still gets 200, as
			// GraphQL over HTTP asks; the errors say why.
			if rec.Code != http.StatusOK {
				t.Errorf("%s: HTTP %d, want 200", r.doc, rec.Code)
			}
			err := e.fails(r.doc, nil, "QUERY_TOO_COMPLEX")
			if !strings.Contains(err.Message, r.msg) {
				t.Errorf("%s: message %q does not say %q", r.doc, err.Message, r.msg)
			}
			if err.Extensions[r.key] != r.got || err.Extensions["limit"] != r.want {
				t.Errorf("%s: extensions %v, want %s %v and limit %v", r.doc, err.Extensions, r.key, r.got, r.want)
			}
			if n := e.counter.Count(); n != 0 {
				t.Errorf("%s: refused, but %d statements ran", r.doc, n)
			}
		}
		// Clients asking for application/graphql-response+json get 400.
		b, _ := json.Marshal(map[string]any{"query": costlier})
		req := httptest.NewRequest(http.MethodPost, "/query", bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/graphql-response+json")
		rec := httptest.NewRecorder()
		e.handler.ServeHTTP(rec, req)
		if rec.Code != http.StatusBadRequest || strings.Contains(rec.Body.String(), `"data"`) {
			t.Errorf("graphql-response+json: HTTP %d, body %s; want 400 without data", rec.Code, rec.Body)
		}
	})
}

// The default limits let GraphiQL load the schema: graphql-js's
// introspection query nests its type references 14 fields deep.
func TestDefaultLimitsAllowIntrospection(t *testing.T) {
	typeRef := "kind name"
	for range 8 {
		typeRef = "kind name ofType { " + typeRef + " }"
	}
	q := fmt.Sprintf(`{ __schema { queryType { name } types { kind name
		fields(includeDeprecated: true) { name args { name type { %[1]s } } type { %[1]s } }
		inputFields { name type { %[1]s } } interfaces { %[1]s } enumValues(includeDeprecated: true) { name } possibleTypes { %[1]s } }
		directives { name locations args { name type { %[1]s } } } } }`, typeRef)
	db := dbtest.Open(t, dbtest.SQLite, seed.Small)
	e := &env{t: t, db: db, handler: app.New(db, app.DefaultConfig)}
	var v any
	e.query(q, nil, &v)
}

// GraphQL over HTTP: a mutation sent with GET gets 405 and Allow: POST,
// and does not run.
func TestGetMutationIsNotAllowed(t *testing.T) {
	db := dbtest.Open(t, dbtest.SQLite, seed.Small)
	h := app.New(db, app.DefaultConfig)
	const m = `mutation { createPeriod(input: {code: "2030-31-H1"}) { code } }`
	rec := send(h, http.MethodGet, m, nil)
	if rec.Code != http.StatusMethodNotAllowed || rec.Header().Get("Allow") != "POST" {
		t.Fatalf("GET mutation: HTTP %d, Allow %q, want 405 and POST", rec.Code, rec.Header().Get("Allow"))
	}
	res := decodeResponse(t, rec)
	if len(res.Errors) != 1 || res.Errors[0].code() != "METHOD_NOT_ALLOWED" || !strings.Contains(res.Errors[0].Message, "POST") {
		t.Errorf("GET mutation body: %s", rec.Body)
	}
	// Also when the mutation is one operation of several, chosen by name.
	v := url.Values{"query": {`query Q { national { name } } mutation M { closePeriod(code: "2016-17-H1") { code } }`}, "operationName": {"M"}}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/query?"+v.Encode(), nil))
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("GET named mutation: HTTP %d %s", rec.Code, rec.Body)
	}
	var n int
	if err := db.SQL.QueryRow(`SELECT COUNT(*) FROM assessment_periods WHERE code = '2030-31-H1'`).Scan(&n); err != nil || n != 0 {
		t.Errorf("the GET mutation ran: %d periods, %v", n, err)
	}
	// Queries still work with GET.
	if rec := send(h, http.MethodGet, `{ national { odsCode } }`, nil); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"ENG"`) {
		t.Errorf("GET query: HTTP %d %s", rec.Code, rec.Body)
	}
}

// A client over its rate gets 429 with Retry-After and RATE_LIMITED; an
// account spends one bucket from any address, anonymous clients one per
// address, and X-Forwarded-For counts only behind a trusted proxy.
func TestRateLimit(t *testing.T) {
	db := dbtest.Open(t, dbtest.SQLite, seed.Small)
	config := func(perSecond float64, burst int, trustProxy bool) http.Handler {
		c := testConfig
		c.RateLimit, c.RateBurst, c.TrustProxy = perSecond, burst, trustProxy
		h := app.New(db, c)
		// Stands in for the authentication middleware, which runs first
		// and leaves the principal of a token in the context.
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if id, err := strconv.Atoi(r.Header.Get("X-Test-Account")); err == nil {
				r = r.WithContext(access.With(r.Context(), &access.Principal{AccountID: id}))
			}
			h.ServeHTTP(w, r)
		})
	}
	request := func(h http.Handler, addr string, header ...string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodPost, "/query", strings.NewReader(`{"query":"{ national { odsCode } }"}`))
		req.Header.Set("Content-Type", "application/json")
		req.RemoteAddr = addr
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	expect := func(rec *httptest.ResponseRecorder, status int, what string) {
		t.Helper()
		if rec.Code != status {
			t.Fatalf("%s: HTTP %d, want %d: %s", what, rec.Code, status, rec.Body)
		}
	}

	h := config(1, 3, false)
	for i := range 3 {
		expect(request(h, "192.0.2.1:1000"), http.StatusOK, fmt.Sprintf("request %d of a burst of 3", i+1))
	}
	rec := request(h, "192.0.2.1:1001")
	expect(rec, http.StatusTooManyRequests, "the 4th request at once")
	if ra := rec.Header().Get("Retry-After"); ra != "1" {
		t.Errorf("Retry-After %q, want 1", ra)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	res := decodeResponse(t, rec)
	if len(res.Errors) != 1 || res.Errors[0].code() != "RATE_LIMITED" || !strings.Contains(res.Errors[0].Message, "try again in 1 s") {
		t.Errorf("429 body: %s", rec.Body)
	}
	expect(request(h, "192.0.2.2:1000"), http.StatusOK, "another address")
	// IPv6 clients are keyed by /64.
	for range 3 {
		expect(request(h, "[2001:db8:1:2::1]:1000"), http.StatusOK, "IPv6 burst")
	}
	expect(request(h, "[2001:db8:1:2::ffff]:1000"), http.StatusTooManyRequests, "the same /64")
	expect(request(h, "[2001:db8:1:3::1]:1000"), http.StatusOK, "another /64")

	// An account's bucket follows it from address to address, apart from
	// the addresses' own.
	for i := range 3 {
		expect(request(h, fmt.Sprintf("198.51.100.%d:1000", i), "X-Test-Account", "7"), http.StatusOK, "account 7")
	}
	expect(request(h, "198.51.100.9:1000", "X-Test-Account", "7"), http.StatusTooManyRequests, "account 7, 4th")
	expect(request(h, "198.51.100.9:1000", "X-Test-Account", "8"), http.StatusOK, "account 8")
	expect(request(h, "198.51.100.9:1000"), http.StatusOK, "anonymous at account 7's address")

	// The wait is what one token takes to come back.
	slow := config(0.1, 1, false)
	expect(request(slow, "192.0.2.1:1000"), http.StatusOK, "slow limit, first")
	if rec := request(slow, "192.0.2.1:1000"); rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") != "10" {
		t.Errorf("0.1 a second: HTTP %d, Retry-After %q, want 429 and 10", rec.Code, rec.Header().Get("Retry-After"))
	}

	// X-Forwarded-For: ignored unless trusted; trusted, its last entry
	// (the proxy's) counts, not the ones the client wrote.
	direct := config(1, 1, false)
	expect(request(direct, "192.0.2.1:1000", "X-Forwarded-For", "203.0.113.1"), http.StatusOK, "untrusted XFF")
	expect(request(direct, "192.0.2.1:1000", "X-Forwarded-For", "203.0.113.2"), http.StatusTooManyRequests, "untrusted XFF, same address")
	proxied := config(1, 1, true)
	expect(request(proxied, "10.0.0.1:1000", "X-Forwarded-For", "1.1.1.1, 203.0.113.1"), http.StatusOK, "proxied client 1")
	expect(request(proxied, "10.0.0.1:1000", "X-Forwarded-For", "203.0.113.2"), http.StatusOK, "proxied client 2")
	expect(request(proxied, "10.0.0.1:1000", "X-Forwarded-For", "2.2.2.2, 203.0.113.1"), http.StatusTooManyRequests, "proxied client 1 again")

	// Off: no limit at all.
	off := config(0, 0, false)
	for range 20 {
		expect(request(off, "192.0.2.1:1000"), http.StatusOK, "rate limit off")
	}
}

// On PostgreSQL the server's sessions have the request timeout as
// statement_timeout: a statement that runs past it is stopped by the
// database itself, whatever the client's context does.
func TestStatementTimeoutOnPostgres(t *testing.T) {
	dbtest.PostgresOnly(t)
	db := dbtest.Open(t, dbtest.Postgres, seed.None, database.WithStatementTimeout(300*time.Millisecond))
	var setting string
	if err := db.SQL.QueryRow(`SHOW statement_timeout`).Scan(&setting); err != nil || setting != "300ms" {
		t.Errorf("statement_timeout = %q (%v), want 300ms", setting, err)
	}
	start := time.Now()
	_, err := db.SQL.ExecContext(context.Background(), `SELECT pg_sleep(5)`)
	var pqErr *pq.Error
	if !errors.As(err, &pqErr) || pqErr.Code != "57014" { // query_canceled
		t.Fatalf("pg_sleep(5) under a 300 ms statement timeout: %v", err)
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("the statement ran %s", took)
	}
	// Without the option (migrate, seed) statements are not limited.
	plain := dbtest.Open(t, dbtest.Postgres, seed.None)
	if err := plain.SQL.QueryRow(`SHOW statement_timeout`).Scan(&setting); err != nil || setting != "0" {
		t.Errorf("statement_timeout without the option = %q (%v), want 0", setting, err)
	}
}
