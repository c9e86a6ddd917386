package app_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"dpcma/server/app"
	"dpcma/server/dbtest"
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
	h := benchHandler(b)
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

// BenchmarkODataPageRatio reads, interleaved, the sixth page of 1,000
// rows of each set and of Practices, and reports each set's median page
// time (the server's: the answer is not decoded) as a ratio to the
// Practices median of the same run (the target: at most 3), so that the
// machine's load weighs on both alike.
//
//	DPCMA_BENCH_DATABASE_URL=... go test -run '^$' -bench ODataPageRatio -benchtime 15x ./server/app
func BenchmarkODataPageRatio(b *testing.B) {
	h := benchHandler(b)
	get := func(path string) string {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if rec.Code != http.StatusOK {
			b.Fatalf("%s: %d %.300s", path, rec.Code, rec.Body)
		}
		var page struct {
			NextLink string `json:"@odata.nextLink"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &page); err != nil {
			b.Fatal(err)
		}
		u, _ := url.Parse(page.NextLink)
		return u.RequestURI()
	}
	sixth := func(path string) string {
		for i := 0; i < 5; i++ {
			path = get(path)
		}
		return path
	}
	sets := []string{"Practices", "Responses", "Maturity", "Practices?$expand=CCG,Maturity"}
	paths := make([]string, len(sets))
	for i, s := range sets {
		paths[i] = sixth("/odata/" + s)
	}
	medians := interleavedMedians(b, h, paths)
	b.ReportMetric(float64(medians[0].Microseconds())/1000, "practices-ms")
	for i, s := range sets[1:] {
		name := strings.NewReplacer("?$expand=", "+", ",", "+").Replace(s)
		b.ReportMetric(float64(medians[i+1])/float64(medians[0]), name+"/practices")
	}
}

// BenchmarkODataDecisionPageRatio reads, interleaved, a page of each
// decision set (England's priorities, a CCG's, every CCG's compliance,
// every organisation's) and a Practices page of as many rows ($top), and
// reports each decision page's median time as a ratio to its Practices
// page's (the target: at most 3).
//
//	DPCMA_BENCH_DATABASE_URL=... go test -run '^$' -bench ODataDecisionPageRatio -benchtime 15x ./server/app
func BenchmarkODataDecisionPageRatio(b *testing.B) {
	h := benchHandler(b)
	decisions := []struct{ name, path string }{
		{"priorities-England", "/odata/Priorities?$filter=" + url.QueryEscape("OrgCode eq 'ENG'")},
		{"priorities-CCG", "/odata/Priorities?$filter=" + url.QueryEscape("OrgCode eq '99P'")},
		{"compliance-CCGs", "/odata/Compliance?$filter=" + url.QueryEscape("Set eq 'GMS-2017-18' and Tier eq 'CCG'")},
		{"compliance-all", "/odata/Compliance?$filter=" + url.QueryEscape("Set eq 'GMS-2017-18'")},
	}
	var paths []string
	for _, d := range decisions {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, d.path, nil))
		var page struct {
			Value []json.RawMessage `json:"value"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &page); err != nil || rec.Code != http.StatusOK || len(page.Value) == 0 {
			b.Fatalf("%s: %d %.300s", d.path, rec.Code, rec.Body)
		}
		paths = append(paths, d.path, fmt.Sprintf("/odata/Practices?$top=%d", len(page.Value)))
	}
	medians := interleavedMedians(b, h, paths)
	for i, d := range decisions {
		b.ReportMetric(float64(medians[2*i])/float64(medians[2*i+1]), d.name+"/practices")
	}
}

// benchHandler is the service over the database of
// DPCMA_BENCH_DATABASE_URL, uncached, with OData pages of 1,000 rows.
func benchHandler(b *testing.B) http.Handler {
	cfg := uncachedConfig
	cfg.BI.ODataPageSize = 1000
	return app.New(dbtest.OpenBench(b), cfg)
}

// interleavedMedians reads the paths in turn, b.N rounds, and returns
// each path's median time (the server's: the answer is not decoded), so
// that the machine's load weighs on all alike.
func interleavedMedians(b *testing.B, h http.Handler, paths []string) []time.Duration {
	times := make([][]time.Duration, len(paths))
	for b.Loop() {
		for i, p := range paths {
			rec := httptest.NewRecorder()
			req := httptest.NewRequest(http.MethodGet, p, nil)
			start := time.Now()
			h.ServeHTTP(rec, req)
			times[i] = append(times[i], time.Since(start))
			if rec.Code != http.StatusOK {
				b.Fatalf("%s: %d", p, rec.Code)
			}
		}
	}
	medians := make([]time.Duration, len(paths))
	for i, t := range times {
		s := slices.Clone(t)
		slices.Sort(s)
		medians[i] = s[len(s)/2]
	}
	return medians
}
