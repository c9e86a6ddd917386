package main

import (
	"errors"
	"fmt"
	"maps"
	"strings"
	"testing"
	"time"
)

func testEncoding(t *testing.T) encoding {
	t.Helper()
	e, err := newEncoding([]indicatorSpec{
		{code: "PO01", kind: "BOOL"}, {code: "PO04", kind: "PCT"}, {code: "ER09", kind: "ORD", maxStep: 3},
		{code: "IN02", kind: "BOOL"}, {code: "IN03", kind: "PCT"}, {code: "ER02", kind: "PCT"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestEveryGenerationHasItsOwnAnswers(t *testing.T) {
	e := testEncoding(t)
	seen := map[string]int{}
	for g := 0; g <= maxGeneration; g++ {
		a := e.answers(g)
		key := fmt.Sprint(a) // maps print in key order
		if h, ok := seen[key]; ok {
			t.Fatalf("generations %d and %d give the same answers %v", h, g, a)
		}
		seen[key] = g
		// Every answer changes from one generation to the next, so a
		// half-applied pair shows in any indicator.
		if g > 0 {
			prev := e.answers(g - 1)
			for code, v := range a {
				if prev[code] == v {
					t.Fatalf("%s is %v in generations %d and %d", code, v, g-1, g)
				}
			}
		}
	}
	in := e.input(7)
	if len(in) != 6 || in[0]["value"] != "no" || in[1]["value"] != "7" || in[2]["value"] != "1" || in[3]["value"] != "yes" {
		t.Fatalf("input(7) = %v", in)
	}
	if _, err := newEncoding([]indicatorSpec{{code: "PO01", kind: "BOOL"}, {code: "PO04", kind: "PCT"}}); err == nil {
		t.Fatal("one PCT indicator cannot mark a generation, but newEncoding took it")
	}
}

func TestCheckPractice(t *testing.T) {
	e := testEncoding(t)
	before := map[string]float64{"PO01": 1, "PO04": 55.5}
	att := func(gens ...int) []attempt {
		var out []attempt
		for _, g := range gens {
			out = append(out, attempt{gen: g})
		}
		return out
	}
	acked := func(a []attempt, i ...int) []attempt {
		for _, j := range i {
			a[j].acked = true
		}
		return a
	}
	half := maps.Clone(e.answers(3))
	for _, code := range []string{"IN02", "IN03", "ER02"} {
		half[code] = e.answers(4)[code]
	}
	missing := e.answers(4)
	delete(missing, "ER09")
	for _, c := range []struct {
		name     string
		stored   map[string]float64
		attempts []attempt
		gen      int
		err      string
	}{
		{"the last acknowledged", e.answers(4), acked(att(1, 2, 3, 4), 0, 1, 2, 3), 4, ""},
		{"a later one whose answer was lost", e.answers(5), acked(att(1, 2, 3, 4, 5), 0, 1, 2, 3), 5, ""},
		{"the acknowledged one before a lost one", e.answers(4), acked(att(1, 2, 3, 4, 5), 0, 1, 2, 3), 4, ""},
		{"an earlier one than acknowledged", e.answers(3), acked(att(1, 2, 3, 4), 0, 1, 2, 3), 3, "acknowledged write was lost"},
		{"an earlier lost one over an acknowledged one", e.answers(3), acked(att(1, 2, 3, 4), 3), 3, "acknowledged write was lost"},
		{"the state before the run, nothing acknowledged", before, att(1, 2), 0, ""},
		{"a lost one, nothing acknowledged", e.answers(2), att(1, 2), 2, ""},
		{"the state before the run though acknowledged", before, acked(att(1, 2), 1), 0, "acknowledged write was lost"},
		{"half of one and half of the next", half, acked(att(1, 2, 3, 4), 0, 1, 2), -1, "match no single submission"},
		{"an answer missing", missing, acked(att(1, 2, 3, 4), 0, 1, 2, 3), -1, "match no single submission"},
		{"a generation never sent", e.answers(9), acked(att(1, 2), 0, 1), -1, "match no single submission"},
	} {
		t.Run(c.name, func(t *testing.T) {
			g, err := e.checkPractice(c.stored, before, c.attempts)
			if c.err == "" && err != nil || c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)) {
				t.Fatalf("err = %v, want %q", err, c.err)
			}
			if g != c.gen {
				t.Fatalf("generation %d, want %d", g, c.gen)
			}
		})
	}
}

func TestClassify(t *testing.T) {
	for _, c := range []struct {
		status int
		body   string
		err    error
		want   string
	}{
		{200, `{"data":{"national":{}}}`, nil, ""},
		{200, `{"errors":[{"message":"database unreachable","extensions":{"code":"SERVICE_UNAVAILABLE"}}],"data":null}`, nil, "SERVICE_UNAVAILABLE"},
		{200, `{"errors":[{"message":"x"}],"data":null}`, nil, "GRAPHQL_ERROR"},
		{503, `{"errors":[{"message":"busy","extensions":{"code":"SERVER_BUSY"}}]}`, nil, "HTTP 503 SERVER_BUSY"},
		{503, `{"error":{"code":"SERVICE_UNAVAILABLE","message":"database unreachable"}}`, nil, "HTTP 503 SERVICE_UNAVAILABLE"},
		{502, `bad gateway`, nil, "HTTP 502"},
		{0, ``, errors.New("connection refused"), "TRANSPORT"},
		// A value that mentions errors is not an error.
		{200, `{"data":{"practice":{"name":"The error practice"}}}`, nil, ""},
	} {
		if got := classify(c.status, []byte(c.body), c.err); got != c.want {
			t.Errorf("classify(%d, %s, %v) = %q, want %q", c.status, c.body, c.err, got, c.want)
		}
	}
	if !outageClass("SERVICE_UNAVAILABLE") || !outageClass("HTTP 503 SERVICE_UNAVAILABLE") || !outageClass("TRUNCATED") ||
		outageClass("HTTP 503 SERVER_BUSY") || outageClass("INTERNAL_SERVER_ERROR") || outageClass("HTTP 500") || outageClass("TRANSPORT") {
		t.Error("outageClass allows the wrong failures")
	}
}

func TestPercentile(t *testing.T) {
	var l []time.Duration
	for i := 1; i <= 100; i++ {
		l = append(l, time.Duration(i)*time.Millisecond)
	}
	for p, want := range map[float64]time.Duration{0.5: 50, 0.95: 95, 0.99: 99, 1: 100, 0: 1} {
		if got := percentile(l, p); got != want*time.Millisecond {
			t.Errorf("p%v = %s, want %dms", p*100, got, want)
		}
	}
	if got := percentile(l[:1], 0.99); got != time.Millisecond {
		t.Errorf("p99 of one = %s", got)
	}
	if got := percentile(nil, 0.5); got != 0 {
		t.Errorf("p50 of none = %s", got)
	}
}

func TestSummariseOutage(t *testing.T) {
	t0 := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	ms := time.Millisecond
	results := []result{
		{kind: "ccg", start: at(1), took: 50 * ms},
		{kind: "submit", start: at(2), took: 80 * ms},
		{kind: "ccg", start: at(10), took: 3 * ms, class: "SERVICE_UNAVAILABLE", expected: true},
		{kind: "submit", start: at(10.5), took: 900 * ms, class: "SERVICE_UNAVAILABLE", expected: true},
		{kind: "export", start: at(14), took: 2 * ms, class: "HTTP 503 SERVICE_UNAVAILABLE", expected: true},
		// begun before the last failure ended: not yet a recovery
		{kind: "ccg", start: at(14.001), took: 500 * ms},
		{kind: "ccg", start: at(15), took: 40 * ms},
		{kind: "ccg", start: at(16), took: 10 * ms},
		{kind: "drilldown", start: at(17), took: 10 * ms, class: "HTTP 500 INTERNAL_SERVER_ERROR"},
		{kind: "drilldown", start: at(18), took: 10 * ms, class: "BAD_USER_INPUT"},
	}
	s := summarise(results, 20*time.Second)
	if s.total != 10 || s.ok != 5 || s.unexpected != 2 || s.fiveXX != 1 || s.outageCount != 3 {
		t.Fatalf("total %d ok %d unexpected %d 5xx %d outage %d", s.total, s.ok, s.unexpected, s.fiveXX, s.outageCount)
	}
	if !s.outageFirst.Equal(at(10)) || !s.outageLast.Equal(at(14).Add(2*ms)) {
		t.Fatalf("outage from %s to %s", s.outageFirst, s.outageLast)
	}
	if !s.recovered.Equal(at(15).Add(40 * ms)) {
		t.Fatalf("recovered at %s, want the success begun at +15s", s.recovered.Sub(t0))
	}
	if s.outageP99 != 900*ms || s.errors["SERVICE_UNAVAILABLE"] != 2 || s.errors["HTTP 500 INTERNAL_SERVER_ERROR"] != 1 {
		t.Fatalf("p99 %s, errors %v", s.outageP99, s.errors)
	}
	if s.kinds[0].kind != "ccg" || s.kinds[0].ok != 4 || s.kinds[0].failed != 1 || s.kinds[0].worst != 500*ms {
		t.Fatalf("ccg %+v", s.kinds[0])
	}
	if got := checkOutage(s, 10*time.Second, 2*time.Second); len(got) != 0 {
		t.Fatalf("checkOutage: %v", got)
	}
	if got := checkOutage(s, 500*ms, 100*ms); len(got) != 2 {
		t.Fatalf("checkOutage with tight limits: %v, want the recovery and the latency", got)
	}
	if got := checkOutage(summarise(results[:2], time.Second), time.Second, time.Second); len(got) != 1 {
		t.Fatalf("checkOutage without an outage: %v", got)
	}
	var b strings.Builder
	s.print(&b, t0)
	if !strings.Contains(b.String(), "outage: 3 requests failed with SERVICE_UNAVAILABLE from +10s to +14.002s") {
		t.Fatalf("report:\n%s", b.String())
	}
}

func TestRSSTrend(t *testing.T) {
	series := func(f func(i int) int64) []rssSample {
		var out []rssSample
		for i := range 100 {
			out = append(out, rssSample{kib: f(i)})
		}
		return out
	}
	// Warm-up growth in the first fifth, then level: flat.
	flat, ok := trend(series(func(i int) int64 { return 100_000 + min(int64(i), 20)*1000 }))
	if !ok || !flat.flat || flat.start != 100_000 || flat.peak != 120_000 || flat.end != 120_000 {
		t.Fatalf("%+v", flat)
	}
	// A leak: 1% a sample.
	leak, _ := trend(series(func(i int) int64 { return 100_000 + int64(i)*1000 }))
	if leak.flat {
		t.Fatalf("a steady climb counted as flat: %+v", leak)
	}
	if _, ok := trend(series(func(int) int64 { return 1 })[:4]); ok {
		t.Fatal("four samples make no trend")
	}
}

func TestMix(t *testing.T) {
	w, err := parseMix("ccg=1,submit=3")
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	for i := range 400 {
		counts[pick(w, float64(i)/400)]++
	}
	if counts["ccg"] != 100 || counts["submit"] != 300 || len(counts) != 2 {
		t.Fatalf("picks %v", counts)
	}
	for _, bad := range []string{"ccg=1,tree=2", "ccg", "ccg=-1", "ccg=0", "ccg=x"} {
		if _, err := parseMix(bad); err == nil {
			t.Errorf("parseMix(%q) took it", bad)
		}
	}
	if _, err := parseMix(defaultMix); err != nil {
		t.Fatal(err)
	}
}

func TestParseTokens(t *testing.T) {
	got, err := parseTokens([]byte("# made by hand\nA81001 tokA\n\n  A81002   tokB  \n"))
	if err != nil || len(got) != 2 || got[1] != [2]string{"A81002", "tokB"} {
		t.Fatalf("%v %v", got, err)
	}
	for _, bad := range []string{"A81001\n", "A81001 a\nA81001 b\n", "# nothing\n"} {
		if _, err := parseTokens([]byte(bad)); err == nil {
			t.Errorf("parseTokens(%q) took it", bad)
		}
	}
}

func TestListeningInodes(t *testing.T) {
	table := `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:46AA 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 123456 1 0000000000000000 100 0 0 10 0
   1: 0100007F:46AA 0100007F:C350 01 00000000:00000000 00:00000000 00000000     0        0 123457 1 0000000000000000 20 4 30 10 -1
   2: 00000000:1538 00000000:0000 0A 00000000:00000000 00:00000000 00000000   107        0 99 1 0000000000000000 100 0 0 10 0
`
	got := listeningInodes(table, 18090)
	if len(got) != 1 || !got["123456"] {
		t.Fatalf("%v: want the listening socket on 18090 (0x46AA) only", got)
	}
}
