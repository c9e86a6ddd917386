package app_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"testing"

	"dpcma/server/app"
	"dpcma/server/database"
)

// BenchmarkODataPages reads a page of each entity set, the first and one
// deep in the set (reached by following the next links, as a client
// does), over the database of DPCMA_BENCH_DATABASE_URL (England-scale).
// Every page of every set should cost within 3x a Practices page of the
// same size (docs/operations.md).
//
//	DPCMA_BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/dpcma_england?sslmode=disable \
//	  go test -run '^$' -bench ODataPages ./server/app
func BenchmarkODataPages(b *testing.B) {
	dsn := os.Getenv("DPCMA_BENCH_DATABASE_URL")
	if dsn == "" {
		b.Skip("DPCMA_BENCH_DATABASE_URL is not set")
	}
	db, err := database.Open(context.Background(), dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	const pageSize = 1000
	cfg := uncachedConfig
	cfg.BI.ODataPageSize = pageSize
	h := app.New(db, cfg)
	get := func(path string) (string, int) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if rec.Code != http.StatusOK {
			b.Fatalf("%s: %d %.300s", path, rec.Code, rec.Body)
		}
		var page struct {
			Value    []json.RawMessage `json:"value"`
			NextLink string            `json:"@odata.nextLink"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &page); err != nil {
			b.Fatal(err)
		}
		if page.NextLink == "" {
			return "", len(page.Value)
		}
		u, err := url.Parse(page.NextLink)
		if err != nil {
			b.Fatal(err)
		}
		return u.RequestURI(), len(page.Value)
	}
	for _, set := range []string{"Practices", "Organisations", "Responses", "Maturity"} {
		first := "/odata/" + set
		deep := first
		for i := 0; i < 5; i++ { // the sixth page, or the last
			next, _ := get(deep)
			if next == "" {
				break
			}
			deep = next
		}
		for _, c := range []struct{ name, path string }{{"first", first}, {"sixth", deep}} {
			b.Run(set+"/"+c.name, func(b *testing.B) {
				rows := 0
				for b.Loop() {
					_, rows = get(c.path)
				}
				b.ReportMetric(float64(rows), "rows/page")
			})
		}
	}
}
