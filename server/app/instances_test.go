package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"dpcma/ent/grant"
	"dpcma/server/accounts"
	"dpcma/server/app"
	"dpcma/server/database"
	"dpcma/server/dbtest"
	"dpcma/server/seed"
)

// Several instances behind a load balancer share one database and nothing
// else: each has its own pool and response cache. A write through one is
// seen by the next read on any other, because every cached answer is tied
// to the data revision that the write moves on in its transaction.
func TestInstancesShareOneDatabase(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, backend string) {
		dsn := dbtest.DSN(t, backend, seed.Small)
		ctx := context.Background()
		open := func() *database.DB {
			db, err := database.Open(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			return db
		}
		dbA, dbB := open(), open()
		a := app.New(dbA, testConfig)
		svcB, err := accounts.New(dbB.Client, dbB.Dialect, accounts.Config{})
		if err != nil {
			t.Fatal(err)
		}
		cfgB := testConfig
		cfgB.Accounts = svcB
		b := app.New(dbB, cfgB)
		admin, err := svcB.OperatorToken(ctx, "ops@nhs.net", grant.RoleADMIN, "", "")
		if err != nil {
			t.Fatal(err)
		}

		var first struct {
			Practices struct {
				Edges []struct{ Node struct{ OdsCode string } }
			}
		}
		instanceQuery(t, a, "", `{ practices(first: 1, orderBy: {field: ODS_CODE, direction: ASC}) { edges { node { odsCode } } } }`, &first)
		code := first.Practices.Edges[0].Node.OdsCode
		answers := fmt.Sprintf(`{ practice(odsCode: %q) { maturity(period: "2017-18-H2") { score }
			responses(period: "2017-18-H2", first: 100) { edges { node { value indicator { code } } } } } }`, code)
		type view struct {
			Practice struct {
				Responses struct {
					Edges []struct {
						Node struct {
							Value     *string
							Indicator struct{ Code string }
						}
					}
				}
			}
		}
		po01 := func(v view) string {
			for _, e := range v.Practice.Responses.Edges {
				if e.Node.Indicator.Code == "PO01" && e.Node.Value != nil {
					return *e.Node.Value
				}
			}
			return ""
		}

		// Answered on A, then answered again from A's cache.
		var before, cached, after view
		instanceQuery(t, a, "", answers, &before)
		hits := telSample(t, telScrape(t, a), "dpcma_response_cache_hits_total")
		instanceQuery(t, a, "", answers, &cached)
		if got := telSample(t, telScrape(t, a), "dpcma_response_cache_hits_total"); got != hits+1 || po01(cached) != po01(before) {
			t.Fatalf("the repeat on A was not a cache hit (hits %v → %v)", hits, got)
		}

		// Written through B.
		value := "yes"
		if po01(before) == "yes" {
			value = "no"
		}
		var wrote struct{ SubmitResponses struct{ Changed int } }
		instanceQuery(t, b, admin.Token, fmt.Sprintf(`mutation { submitResponses(input: {practice: %q, period: "2017-18-H2",
			answers: [{indicator: "PO01", value: %q}]}) { changed } }`, code, value), &wrote)
		if wrote.SubmitResponses.Changed != 1 {
			t.Fatalf("changed %d", wrote.SubmitResponses.Changed)
		}

		// A sees it at once: its cached answer belongs to the old revision.
		instanceQuery(t, a, "", answers, &after)
		if po01(after) != value {
			t.Fatalf("A still answers PO01 = %q after B wrote %q", po01(after), value)
		}
		if m := telScrape(t, a); telSample(t, m, "dpcma_response_cache_invalidations_total") < 1 {
			t.Error("A's cache dropped nothing")
		}
	})
}

// instanceQuery runs a document through h as token that must succeed.
func instanceQuery(t *testing.T, h http.Handler, token, query string, v any) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query})
	req := httptest.NewRequest(http.MethodPost, "/query", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var out gqlResponse
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil || len(out.Errors) > 0 {
		t.Fatalf("status %d, body %s: %v", rec.Code, rec.Body, err)
	}
	if err := json.Unmarshal(out.Data, v); err != nil {
		t.Fatal(err)
	}
}
