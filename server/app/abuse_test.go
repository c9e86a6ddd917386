package app_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"dpcma/server/app"
	"dpcma/server/dbtest"
	"dpcma/server/seed"
)

// abusiveRequest is a hostile request and its documented answer.
type abusiveRequest struct {
	name        string
	contentType string // "PUT" for a PUT; none for a mutation by GET
	body        []byte
	status      int
	code        string // extensions.code of the first error; "" for success
	runs        bool   // whether it may reach the database
}

// request builds the HTTP request of a.
func (a abusiveRequest) request(target string) *http.Request {
	switch {
	case a.contentType == "PUT":
		return httptest.NewRequest(http.MethodPut, target, strings.NewReader(`{"query": "{ national { name } }"}`))
	case a.body == nil:
		return httptest.NewRequest(http.MethodGet, target+"?query="+`mutation%20%7B%20register(email%3A%20%22a%40b.nhs.uk%22)%20%7B%20email%20%7D%20%7D`, nil)
	}
	req := httptest.NewRequest(http.MethodPost, target, bytes.NewReader(a.body))
	req.Header.Set("Content-Type", a.contentType)
	return req
}

// abusiveRequests are the table of docs/reliability.md.
func abusiveRequests() []abusiveRequest {
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
	return []abusiveRequest{
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
}

// maxAbuseAlloc bounds what the server may allocate to answer any one
// abusive request: a few times the largest body it accepts.
const maxAbuseAlloc = 256 << 20

// Abusive requests, each with its documented answer: a clear 4xx or a
// GraphQL error with a code, never a 5xx, a panic or a query that runs
// unbounded. Refusals made before execution run no SQL statement, and no
// answer allocates more than maxAbuseAlloc.
func TestAbusiveRequests(t *testing.T) {
	c := &dbtest.Counter{}
	db := dbtest.Open(t, dbtest.SQLite, seed.Small, c.Option())
	h := app.New(db, testConfig)
	for _, tc := range abusiveRequests() {
		t.Run(tc.name, func(t *testing.T) {
			req := tc.request("/query")
			c.Reset()
			rec := httptest.NewRecorder()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			start := time.Now()
			h.ServeHTTP(rec, req)
			took := time.Since(start)
			runtime.ReadMemStats(&after)
			allocated := after.TotalAlloc - before.TotalAlloc
			t.Logf("answered in %s, %.1f MB allocated", took.Round(time.Millisecond), float64(allocated)/(1<<20))
			if allocated > maxAbuseAlloc {
				t.Errorf("%.0f MB allocated, more than the bound of %d MB", float64(allocated)/(1<<20), maxAbuseAlloc>>20)
			}
			if err := abuseAnswerError(tc, rec.Code, rec.Body.Bytes()); err != nil {
				t.Fatal(err)
			}
			if !tc.runs && c.Count() > 0 {
				t.Fatalf("refused, but %d statements ran", c.Count())
			}
		})
	}
}

// abuseAnswerError says how an answer differs from the documented one.
func abuseAnswerError(tc abusiveRequest, status int, body []byte) error {
	if status != tc.status {
		return fmt.Errorf("%s: HTTP %d, want %d: %.300s", tc.name, status, tc.status, body)
	}
	var res struct {
		Errors []gqlError `json:"errors"`
	}
	if err := json.Unmarshal(body, &res); err != nil {
		return fmt.Errorf("%s: the answer is not JSON: %w: %.300s", tc.name, err, body)
	}
	got := ""
	if len(res.Errors) > 0 {
		got = res.Errors[0].code()
	}
	if got != tc.code {
		return fmt.Errorf("%s: code %q, want %q: %.300s", tc.name, got, tc.code, body)
	}
	return nil
}

// TestAbuseLeavesOthersServed sends the whole table of abusive requests,
// from four clients at once, to a real server while another client reads
// a dashboard: every one of that client's answers must be right, and the
// abusive ones keep their documented answers.
func TestAbuseLeavesOthersServed(t *testing.T) {
	db := dbtest.Open(t, dbtest.SQLite, seed.Small)
	srv := httptest.NewServer(app.New(db, testConfig))
	defer srv.Close()
	const dashboard = `{"query": "{ national { name maturity { score level } children(first: 10) { edges { node { odsCode maturity { score } } } } } }"}`
	// read gives the dashboard's data (without the request id).
	read := func() (int, []byte, error) {
		resp, err := http.Post(srv.URL+"/query", "application/json", strings.NewReader(dashboard))
		if err != nil {
			return 0, nil, err
		}
		defer resp.Body.Close()
		var out struct {
			Data   json.RawMessage `json:"data"`
			Errors []gqlError      `json:"errors"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || len(out.Errors) > 0 {
			return resp.StatusCode, nil, fmt.Errorf("errors %v (%w)", out.Errors, err)
		}
		return resp.StatusCode, out.Data, nil
	}
	status, want, err := read()
	if err != nil || status != 200 || len(want) < 100 {
		t.Fatalf("the dashboard: HTTP %d, %v: %.300s", status, err, want)
	}
	done := make(chan struct{})
	var served, wrong int
	var firstWrong string
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		for {
			select {
			case <-done:
				return
			default:
			}
			status, got, err := read()
			switch {
			case err == nil && status == 200 && bytes.Equal(got, want):
				served++
			default:
				if wrong == 0 {
					firstWrong = fmt.Sprintf("HTTP %d, %v: %.300s", status, err, got)
				}
				wrong++
			}
		}
	}()
	cases := abusiveRequests()
	var wg sync.WaitGroup
	for client := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range cases {
				tc := cases[(i+client*3)%len(cases)]
				req := tc.request(srv.URL + "/query")
				req.RequestURI = ""
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Errorf("%s: %v", tc.name, err)
					continue
				}
				b, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err != nil {
					t.Errorf("%s: %v", tc.name, err)
					continue
				}
				if err := abuseAnswerError(tc, resp.StatusCode, b); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	close(done)
	<-readerDone
	t.Logf("the dashboard was answered %d times while the abusive requests ran", served)
	if wrong > 0 || served == 0 {
		t.Fatalf("the dashboard was answered right %d times and wrong %d times, first: %s", served, wrong, firstWrong)
	}
}
