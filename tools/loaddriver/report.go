package main

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"time"
)

// result is one request of the mixed workload.
type result struct {
	kind  string
	start time.Time
	took  time.Duration
	// class is empty for a success, else the error's GraphQL
	// extensions.code, or "HTTP <status>" (with the code when the body
	// names one), or "TRANSPORT".
	class    string
	expected bool // a failure the run allows (SERVICE_UNAVAILABLE under -expect-outage)
}

func (r result) end() time.Time { return r.start.Add(r.took) }

// classify names the outcome of one response: empty for a success.
// body is only decoded when it is not plainly a success, which keeps the
// driver's CPU for the server (both share the machine).
func classify(status int, body []byte, err error) string {
	if err != nil {
		return "TRANSPORT"
	}
	code := errorCode(body)
	if status != 200 {
		if code != "" {
			return fmt.Sprintf("HTTP %d %s", status, code)
		}
		return fmt.Sprintf("HTTP %d", status)
	}
	return code
}

// errorCode is the first error's code in a GraphQL response
// ({"errors":[{"extensions":{"code":...}}]}) or an export's
// ({"error":{"code":...}}); "GRAPHQL_ERROR" for errors without a code,
// empty when there are none.
func errorCode(body []byte) string {
	if !strings.Contains(string(body[:min(len(body), 1<<16)]), `"error`) {
		return ""
	}
	var out struct {
		Errors []struct {
			Extensions struct{ Code string }
		}
		Error *struct{ Code string }
	}
	if json.Unmarshal(body, &out) != nil {
		return ""
	}
	switch {
	case len(out.Errors) > 0 && out.Errors[0].Extensions.Code != "":
		return out.Errors[0].Extensions.Code
	case len(out.Errors) > 0:
		return "GRAPHQL_ERROR"
	case out.Error != nil && out.Error.Code != "":
		return out.Error.Code
	}
	return ""
}

// outageClass tells whether a failure is what a database outage gives:
// SERVICE_UNAVAILABLE, or an export cut short once it had begun (its
// status was sent; docs/operations.md).
func outageClass(class string) bool {
	return class == "SERVICE_UNAVAILABLE" || class == "HTTP 503 SERVICE_UNAVAILABLE" || class == "TRUNCATED"
}

func is5xx(class string) bool { return strings.HasPrefix(class, "HTTP 5") }

// percentile of sorted latencies by the nearest-rank method.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(p*float64(len(sorted))+0.999999) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

type kindStats struct {
	kind                 string
	ok, failed           int
	p50, p95, p99, worst time.Duration
}

// summary is what a run reports and what decides its exit code.
type summary struct {
	elapsed    time.Duration
	total, ok  int
	kinds      []kindStats
	errors     map[string]int // by class, expected failures included
	fiveXX     int            // 5xx responses not expected
	unexpected int            // failures not expected
	// The outage seen by requests: first and last expected failure, the
	// first success after it, and the expected failures' latencies.
	outageFirst, outageLast, recovered time.Time
	outageCount                        int
	outageP99, outageMax               time.Duration
}

func summarise(results []result, elapsed time.Duration) summary {
	s := summary{elapsed: elapsed, total: len(results), errors: map[string]int{}}
	byKind := map[string][]time.Duration{}
	failed := map[string]int{}
	var outage []time.Duration
	for _, r := range results {
		if r.class == "" {
			s.ok++
			byKind[r.kind] = append(byKind[r.kind], r.took)
			continue
		}
		failed[r.kind]++
		s.errors[r.class]++
		if !r.expected {
			s.unexpected++
			if is5xx(r.class) {
				s.fiveXX++
			}
			continue
		}
		s.outageCount++
		outage = append(outage, r.took)
		if s.outageFirst.IsZero() || r.start.Before(s.outageFirst) {
			s.outageFirst = r.start
		}
		if r.end().After(s.outageLast) {
			s.outageLast = r.end()
		}
	}
	if s.outageCount > 0 {
		for _, r := range results {
			// A success that began after the last failure ended: the
			// server answers again.
			if r.class == "" && r.start.After(s.outageLast) && (s.recovered.IsZero() || r.end().Before(s.recovered)) {
				s.recovered = r.end()
			}
		}
		slices.Sort(outage)
		s.outageP99, s.outageMax = percentile(outage, 0.99), outage[len(outage)-1]
	}
	kinds := make([]string, 0, len(byKind)+len(failed))
	for k := range byKind {
		kinds = append(kinds, k)
	}
	for k := range failed {
		if _, ok := byKind[k]; !ok {
			kinds = append(kinds, k)
		}
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		l := byKind[k]
		slices.Sort(l)
		ks := kindStats{kind: k, ok: len(l), failed: failed[k]}
		if len(l) > 0 {
			ks.p50, ks.p95, ks.p99, ks.worst = percentile(l, 0.50), percentile(l, 0.95), percentile(l, 0.99), l[len(l)-1]
		}
		s.kinds = append(s.kinds, ks)
	}
	return s
}

func (s summary) print(w io.Writer, runStart time.Time) {
	ms := func(d time.Duration) string { return d.Round(100 * time.Microsecond).String() }
	fmt.Fprintf(w, "requests=%d ok=%d elapsed=%s throughput=%.1f req/s (ok %.1f req/s)\n",
		s.total, s.ok, s.elapsed.Round(time.Millisecond), float64(s.total)/s.elapsed.Seconds(), float64(s.ok)/s.elapsed.Seconds())
	fmt.Fprintf(w, "%-10s %7s %6s %9s %9s %9s %9s\n", "kind", "ok", "failed", "p50", "p95", "p99", "max")
	for _, k := range s.kinds {
		fmt.Fprintf(w, "%-10s %7d %6d %9s %9s %9s %9s\n", k.kind, k.ok, k.failed, ms(k.p50), ms(k.p95), ms(k.p99), ms(k.worst))
	}
	classes := make([]string, 0, len(s.errors))
	for c := range s.errors {
		classes = append(classes, c)
	}
	sort.Strings(classes)
	for _, c := range classes {
		fmt.Fprintf(w, "errors %s: %d\n", c, s.errors[c])
	}
	fmt.Fprintf(w, "unexpected failures=%d of which 5xx=%d\n", s.unexpected, s.fiveXX)
	if s.outageCount > 0 {
		rec := "never"
		if !s.recovered.IsZero() {
			rec = fmt.Sprintf("%s after the last failure (at +%s)", ms(s.recovered.Sub(s.outageLast)), ms(s.recovered.Sub(runStart)))
		}
		fmt.Fprintf(w, "outage: %d requests failed with SERVICE_UNAVAILABLE from +%s to +%s (p99 %s, max %s); recovered %s\n",
			s.outageCount, ms(s.outageFirst.Sub(runStart)), ms(s.outageLast.Sub(runStart)), ms(s.outageP99), ms(s.outageMax), rec)
	}
}

// rssSample is the server's resident memory at a moment.
type rssSample struct {
	at  time.Time
	kib int64
}

// rssTrend summarises the samples: start, max, end, and the means of the
// second and last fifths of the run (the first fifth holds the warm-up:
// caches filling, pools growing).
type rssTrend struct {
	start, peak, end, second, last int64
	flat                           bool
}

// flatGrowth is how much the last fifth's mean may exceed the second's
// for memory to count as flat.
const flatGrowth = 0.10

func trend(samples []rssSample) (rssTrend, bool) {
	if len(samples) < 5 {
		return rssTrend{}, false
	}
	t := rssTrend{start: samples[0].kib, end: samples[len(samples)-1].kib}
	for _, s := range samples {
		t.peak = max(t.peak, s.kib)
	}
	mean := func(part []rssSample) int64 {
		var sum int64
		for _, s := range part {
			sum += s.kib
		}
		return sum / int64(len(part))
	}
	n := len(samples)
	t.second = mean(samples[n/5 : 2*n/5])
	t.last = mean(samples[4*n/5:])
	t.flat = float64(t.last) <= float64(t.second)*(1+flatGrowth)
	return t, true
}
