package app_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"dpcma/server/app"
	"dpcma/server/database"
	"dpcma/server/refdata"
	"dpcma/server/rollup"
)

// A repeated query is answered from the response cache for as long as the
// data revision stands: one statement (the revision), the same bytes. A
// write that bumps the revision is seen by the next request.
func TestResponseCacheFollowsTheDataRevision(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		const q = `query($ccg: String!) { organisation(odsCode: $ccg) { name maturity { score }
			practices(first: 100) { edges { node { odsCode name maturity { score level } } } } } }`
		small := refdata.Small()
		ccgs := small.CCGs
		first := map[string]any{"ccg": ccgs[0].Code}
		run := func(vars map[string]any) (json.RawMessage, int) {
			t.Helper()
			e.counter.Reset()
			res := e.post(q, vars)
			if len(res.Errors) > 0 {
				t.Fatalf("errors: %+v", res.Errors)
			}
			return res.Data, e.counter.Count()
		}
		computed, n := run(first)
		if n < 3 {
			t.Fatalf("the first request took %d statements: was it computed?", n)
		}
		again, n := run(first)
		if n != 1 || string(again) != string(computed) {
			t.Fatalf("repeat: %d statements (want 1, the revision), same data %v", n, string(again) == string(computed))
		}
		other, n := run(map[string]any{"ccg": ccgs[1].Code})
		if n < 3 || string(other) == string(computed) {
			t.Fatalf("other variables: %d statements, same data as the first CCG: %v", n, string(other) == string(computed))
		}

		// Renaming a practice without bumping the revision breaks the
		// contract every write keeps, and shows that the cache answers.
		ctx := context.Background()
		var practice string
		for _, p := range small.Practices {
			if p.CCG == ccgs[0].Code {
				practice = p.Code
				break
			}
		}
		rename := func(name string, bump bool) {
			t.Helper()
			tx, err := e.db.SQL.BeginTx(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = tx.Rollback() }()
			if _, err := tx.ExecContext(ctx, database.Rebind(e.db.Dialect, "UPDATE practices SET name = ? WHERE ods_code = ?"), name, practice); err != nil {
				t.Fatal(err)
			}
			if bump {
				if err := rollup.BumpRevision(ctx, tx); err != nil {
					t.Fatal(err)
				}
			}
			if err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
		}
		rename("Renamed Without Revision", false)
		if stale, _ := run(first); string(stale) != string(computed) {
			t.Fatalf("without a revision bump the cached answer should stand:\n%s", stale)
		}
		rename("Renamed Surgery", true)
		fresh, n := run(first)
		if n < 3 || !json.Valid(fresh) || !strings.Contains(string(fresh), `"Renamed Surgery"`) {
			t.Fatalf("after the revision moved: %d statements, data %s", n, fresh)
		}
		if again, n := run(first); n != 1 || string(again) != string(fresh) {
			t.Fatalf("the new answer is not cached: %d statements", n)
		}
	})
}

// Failed operations are never cached: the error comes back each time,
// computed afresh.
func TestResponseCacheKeepsNoErrors(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		const q = `{ national { maturity(period: "1999-00-H1") { score } } }`
		for i := range 2 {
			e.counter.Reset()
			e.fails(q, nil, "BAD_USER_INPUT")
			if n := e.counter.Count(); n < 2 {
				t.Fatalf("attempt %d: %d statements; an error answer was served from the cache", i+1, n)
			}
		}
	})
}

// Clients asking the same uncached query at once all get the full answer.
func TestResponseCacheUnderConcurrentRequests(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		const q = `{ organisations(first: 100, where: {tier: CCG}) { edges { node { odsCode maturity { score byDomain { domain score } } } } } }`
		want := e.uncached().post(q, nil).Data
		e.handler = app.New(e.db, testConfig)
		var wg sync.WaitGroup
		got := make([]gqlResponse, 8)
		errs := make([]error, len(got))
		for i := range got {
			wg.Go(func() { got[i], errs[i] = e.do(q, nil) })
		}
		wg.Wait()
		for i, r := range got {
			if errs[i] != nil || len(r.Errors) > 0 || string(r.Data) != string(want) {
				t.Fatalf("client %d: %v %+v, same data as computed alone: %v", i, errs[i], r.Errors, string(r.Data) == string(want))
			}
		}
	})
}

// The cache keys on the operation chosen from a document, and answers GET
// requests and persisted-query hashes alike.
func TestResponseCacheAcrossTransports(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		const doc = `query Regions { national { children(first: 10) { edges { node { odsCode } } } } }
			query Name { national { name } }`
		send := func(method, body, query string) (int, string) {
			t.Helper()
			req := httptest.NewRequest(method, "/query?"+query, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			rec := httptest.NewRecorder()
			e.counter.Reset()
			e.handler.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK || strings.Contains(rec.Body.String(), `"errors"`) {
				t.Fatalf("%s %s: %d %s", method, query, rec.Code, rec.Body)
			}
			// The data alone: extensions.requestId differs per request.
			var out gqlResponse
			if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
				t.Fatal(err)
			}
			return e.counter.Count(), string(out.Data)
		}
		post := func(op string) string {
			b, _ := json.Marshal(map[string]any{"query": doc, "operationName": op})
			return string(b)
		}
		_, regions := send(http.MethodPost, post("Regions"), "")
		n, name := send(http.MethodPost, post("Name"), "")
		if n < 2 || name == regions || !strings.Contains(name, `"England"`) {
			t.Fatalf("operation Name after Regions: %d statements, %s", n, name)
		}
		if n, again := send(http.MethodPost, post("Regions"), ""); n != 1 || again != regions {
			t.Fatalf("Regions again: %d statements, same answer %v", n, again == regions)
		}
		get := url.Values{"query": {doc}, "operationName": {"Name"}}.Encode()
		if n, body := send(http.MethodGet, "", get); n != 1 || body != name {
			t.Fatalf("GET of a cached operation: %d statements, same answer %v", n, body == name)
		}

		// Automatic persisted queries: register by hash with the text, then
		// send the hash alone.
		const q = `{ national { odsCode tier } }`
		sum := sha256.Sum256([]byte(q))
		ext := map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hex.EncodeToString(sum[:])}}
		withText, _ := json.Marshal(map[string]any{"query": q, "extensions": ext})
		hashOnly, _ := json.Marshal(map[string]any{"extensions": ext})
		_, first := send(http.MethodPost, string(withText), "")
		if n, body := send(http.MethodPost, string(hashOnly), ""); n != 1 || body != first {
			t.Fatalf("persisted query by hash: %d statements, same answer %v", n, body == first)
		}
	})
}
