package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"dpcma/ent/grant"
	"dpcma/server/app"
	"dpcma/server/dbtest"
	"dpcma/server/seed"
	"dpcma/server/telemetry"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// telSend posts a GraphQL request with extra headers and returns the
// response's status, headers and decoded body.
func telSend(t *testing.T, h http.Handler, query string, headers map[string]string) (*httptest.ResponseRecorder, map[string]any) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query})
	req := httptest.NewRequest(http.MethodPost, "/query", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var out map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		t.Fatalf("status %d, body %q: %v", rec.Code, rec.Body.String(), err)
	}
	return rec, out
}

// telScrape returns /metrics as text.
func telScrape(t *testing.T, h http.Handler) string {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("/metrics: %d %s", rec.Code, rec.Body.String())
	}
	return rec.Body.String()
}

// telSample returns the value of the series line starting with series.
func telSample(t *testing.T, text, series string) float64 {
	t.Helper()
	for _, line := range strings.Split(text, "\n") {
		if rest, ok := strings.CutPrefix(line, series+" "); ok {
			v, err := strconv.ParseFloat(rest, 64)
			if err != nil {
				t.Fatalf("%s: %v", line, err)
			}
			return v
		}
	}
	t.Fatalf("no series %s in /metrics:\n%s", series, telGrep(text, "dpcma_"))
	return 0
}

func telGrep(text, substr string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, substr) && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func TestMetrics(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		h := e.handler
		dash := "query Dash " + strings.TrimPrefix(nationalDashboard, "query")
		for range 3 {
			if _, out := telSend(t, h, dash, nil); out["errors"] != nil {
				t.Fatal(out["errors"])
			}
		}
		telSend(t, h, `{ practices(first: 5) { edges { node { maturity { score } responses(first: 3) { totalCount } } } } }`, nil)
		telSend(t, h, `query Broken { nope }`, nil)
		telSend(t, h, `query Missing { organisation(odsCode: "ZZZ") { name } }`, nil)
		m := telScrape(t, h)
		for series, want := range map[string]float64{
			`dpcma_graphql_requests_total{operation="Dash",outcome="ok"}`:      3,
			`dpcma_graphql_requests_total{operation="anonymous",outcome="ok"}`: 1,
			// A document that does not validate has no name yet.
			`dpcma_graphql_requests_total{operation="anonymous",outcome="GRAPHQL_VALIDATION_FAILED"}`: 1,
			`dpcma_graphql_requests_total{operation="Missing",outcome="NOT_FOUND"}`:                   1,
			`dpcma_graphql_request_duration_seconds_count{operation="Dash"}`:                          3,
			// A document that does not validate is 200 too under
			// application/json, as GraphQL over HTTP asks.
			`dpcma_http_requests_total{code="200",route="/query"}`: 6,
			// The first computes (10 statements on a cold server), the
			// repeats cost the revision read each.
			`dpcma_graphql_sql_statements_sum{operation="Dash"}`: 12,
			`dpcma_response_cache_hits_total`:                    2,
			`dpcma_response_cache_entries`:                       2,
		} {
			if got := telSample(t, m, series); got != want {
				t.Errorf("%s = %v, want %v", series, got, want)
			}
		}
		for _, series := range []string{`dpcma_loader_batch_size_count{loader="practice_scores"}`, `dpcma_loader_batch_size_sum{loader="responses"}`,
			`dpcma_response_cache_misses_total`, `go_sql_open_connections{db_name="dpcma"}`, `go_goroutines`} {
			if telSample(t, m, series) < 1 {
				t.Errorf("%s is 0", series)
			}
		}
		if !strings.Contains(m, "process_cpu_seconds_total") {
			t.Error("no process collector")
		}
	})
}

func TestOperationNamesAreCapped(t *testing.T) {
	e := newEnv(t, dbtest.SQLite, seed.Small)
	for i := range telemetry.MaxOperations + 5 {
		telSend(t, e.handler, "query Q"+strconv.Itoa(i)+" { __typename }", nil)
	}
	m := telScrape(t, e.handler)
	if got := telSample(t, m, `dpcma_graphql_requests_total{operation="other",outcome="ok"}`); got != 5 {
		t.Errorf("other = %v, want 5", got)
	}
	if n := strings.Count(m, "dpcma_graphql_requests_total{"); n != telemetry.MaxOperations+1 {
		t.Errorf("%d series, want %d", n, telemetry.MaxOperations+1)
	}
}

func TestRequestIDs(t *testing.T) {
	e := newEnv(t, dbtest.SQLite, seed.Small)
	rec, out := telSend(t, e.handler, `{ practices(first: 1) { totalCount } }`, map[string]string{"X-Request-Id": "lb-1234.abc"})
	if got := rec.Header().Get("X-Request-Id"); got != "lb-1234.abc" {
		t.Errorf("header %q, want the client's id", got)
	}
	if got := out["extensions"].(map[string]any)["requestId"]; got != "lb-1234.abc" {
		t.Errorf("extensions.requestId %v", got)
	}
	// An insane id is replaced by one of ours, on errors too.
	rec, out = telSend(t, e.handler, `{ nope }`, map[string]string{"X-Request-Id": "bad id\r\nx: y"})
	id := rec.Header().Get("X-Request-Id")
	if !regexp.MustCompile(`^[0-9a-f]{12}-[0-9a-z]+$`).MatchString(id) {
		t.Errorf("generated id %q", id)
	}
	if got := out["extensions"].(map[string]any)["requestId"]; got != id {
		t.Errorf("extensions.requestId %v, header %q", got, id)
	}
	// Cached answers carry their own request's id.
	telSend(t, e.handler, `{ national { name } }`, nil)
	rec, out = telSend(t, e.handler, `{ national { name } }`, nil)
	if got := out["extensions"].(map[string]any)["requestId"]; got != rec.Header().Get("X-Request-Id") || got == id {
		t.Errorf("cached answer's requestId %v", got)
	}
}

func TestAccessLog(t *testing.T) {
	var buf bytes.Buffer
	logger, err := telemetry.NewLogger(&buf, "json", "info")
	if err != nil {
		t.Fatal(err)
	}
	old := slog.Default()
	slog.SetDefault(logger)
	t.Cleanup(func() { slog.SetDefault(old) })

	e := newEnv(t, dbtest.SQLite, seed.Small)
	ae := newAccountsEnv(t, e, nil)
	token := ae.operatorToken("ops@nhs.net", grant.RoleADMIN, "")
	rec, _ := telSend(t, ae.handler, `query Who { viewer { email } }`, map[string]string{"Authorization": "Bearer " + token})
	id := rec.Header().Get("X-Request-Id")
	if strings.Contains(buf.String(), token) {
		t.Fatal("a token reached the log")
	}
	var line map[string]any
	for _, l := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("not JSON: %q", l)
		}
		if m["msg"] == "request" && m["request_id"] == id {
			line = m
		}
	}
	if line == nil {
		t.Fatalf("no access log line with request_id %s in\n%s", id, buf.String())
	}
	for k, want := range map[string]any{"method": "POST", "path": "/query", "status": float64(200), "operation": "Who",
		"outcome": "ok", "principal": "ops@nhs.net", "level": "INFO"} {
		if line[k] != want {
			t.Errorf("%s = %v, want %v (%v)", k, line[k], want, line)
		}
	}
	for _, k := range []string{"bytes", "duration_ms", "statements", "time"} {
		if _, ok := line[k]; !ok {
			t.Errorf("no %s in %v", k, line)
		}
	}
	// Lines logged within the request carry its id too.
	buf.Reset()
	rec, _ = telSend(t, ae.handler, `{ practices(first: 1) { totalCount } }`, map[string]string{"Authorization": "Bearer dpcma_wrong"})
	if rec.Code != http.StatusUnauthorized || !strings.Contains(buf.String(), `"request_id":"`+rec.Header().Get("X-Request-Id")+`"`) {
		t.Errorf("status %d, log %s", rec.Code, buf.String())
	}
}

func TestTracing(t *testing.T) {
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	db := dbtest.Open(t, dbtest.SQLite, seed.Small)
	cfg := testConfig
	cfg.Tracer = tp.Tracer("test")
	h := app.New(db, cfg)
	telSend(t, h, `query Dash { national { name maturity { score } } }`,
		map[string]string{"traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"})
	ended := spans.Ended()
	byName := map[string]sdktrace.ReadOnlySpan{}
	for _, s := range ended {
		byName[s.Name()] = s
	}
	httpSpan, gqlSpan := byName["POST /query"], byName["graphql query Dash"]
	if httpSpan == nil || gqlSpan == nil {
		var names []string
		for _, s := range ended {
			names = append(names, s.Name())
		}
		t.Fatalf("spans %v", names)
	}
	if got := httpSpan.SpanContext().TraceID().String(); got != "4bf92f3577b34da6a3ce929d0e0e4736" {
		t.Errorf("trace id %s: the caller's traceparent was not followed", got)
	}
	if gqlSpan.Parent().SpanID() != httpSpan.SpanContext().SpanID() {
		t.Error("the operation's span is not the request span's child")
	}
	// Off by default: the handler of testConfig makes none.
	before := len(spans.Ended())
	telSend(t, app.New(db, testConfig), `{ national { name } }`, nil)
	if len(spans.Ended()) != before {
		t.Error("spans without a tracer")
	}
}
