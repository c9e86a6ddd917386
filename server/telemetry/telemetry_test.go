package telemetry

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
)

// The OTLP/HTTP exporter really sends: spans reach a collector's
// /v1/traces when the tracer is shut down.
func TestStartTracingExports(t *testing.T) {
	var posts atomic.Int32
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.URL.Path == "/v1/traces" && r.Header.Get("Content-Type") == "application/x-protobuf" {
			if b, _ := io.ReadAll(r.Body); len(b) > 0 {
				posts.Add(1)
			}
		}
		w.WriteHeader(http.StatusOK)
	}))
	defer collector.Close()
	tracer, stop, err := StartTracing(context.Background(), collector.URL, "dpcma-test")
	if err != nil {
		t.Fatal(err)
	}
	_, span := tracer.Start(context.Background(), "test")
	span.End()
	if err := stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if posts.Load() == 0 {
		t.Fatal("no spans reached the collector")
	}
	for _, bad := range []string{"collector:4318", "ftp://x", "http://"} {
		if _, _, err := StartTracing(context.Background(), bad, "x"); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestNewLoggerChecksItsSettings(t *testing.T) {
	for _, c := range [][2]string{{"json", "info"}, {"text", "debug"}, {"JSON", "warn"}} {
		if _, err := NewLogger(io.Discard, c[0], c[1]); err != nil {
			t.Errorf("%v: %v", c, err)
		}
	}
	for _, c := range [][2]string{{"xml", "info"}, {"json", "loud"}} {
		if _, err := NewLogger(io.Discard, c[0], c[1]); err == nil {
			t.Errorf("%v accepted", c)
		}
	}
}

func TestSaneID(t *testing.T) {
	for id, want := range map[string]bool{"abc-123": true, "a.b:c_d": true, "": false, "a b": false, "x\n": false,
		string(make([]byte, 65)): false, "é": false} {
		if saneID(id) != want {
			t.Errorf("saneID(%q) = %v", id, !want)
		}
	}
	if a, b := newRequestID(), newRequestID(); a == b || !saneID(a) {
		t.Errorf("ids %q %q", a, b)
	}
}

func TestOperationLabel(t *testing.T) {
	m := New(Options{})
	if got := m.operationLabel(""); got != "anonymous" {
		t.Error(got)
	}
	if got := m.operationLabel("bad name"); got != "other" {
		t.Error(got)
	}
	if got := m.operationLabel("Dash"); got != "Dash" {
		t.Error(got)
	}
	if allocs := testing.AllocsPerRun(100, func() { m.operationLabel("Dash") }); allocs != 0 {
		t.Errorf("%v allocations for a known name", allocs)
	}
}
