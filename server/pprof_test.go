package main

import (
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"dpcma/server/database"
)

// Profiles are served only where asked, and only on loopback.
func TestPprofFlag(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:6060", ":6060", "10.0.0.1:6060", "nonsense"} {
		if _, err := parse("serve", []string{"--pprof", addr}); err == nil || !strings.Contains(err.Error(), "bad --pprof") {
			t.Errorf("--pprof %s: %v, want a refusal", addr, err)
		}
	}
	s, err := parse("serve", nil)
	if err != nil || s.pprofAddr != "" {
		t.Fatalf("default: %v, pprof %q; want off", err, s.pprofAddr)
	}
	free, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := free.Addr().String()
	free.Close()
	if _, err := parse("serve", []string{"--pprof", addr}); err != nil {
		t.Fatal(err)
	}
	stop, err := servePprof(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	resp, err := http.Get("http://" + addr + "/debug/pprof/heap?debug=1")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.Contains(string(body), "heap profile") {
		t.Fatalf("heap profile: HTTP %d %.200s", resp.StatusCode, body)
	}
}

// Prepared statements are on by default and can be turned off, for a
// connection pooler in transaction mode; a negative count is refused.
func TestPreparedStatementsFlag(t *testing.T) {
	s, err := parse("serve", nil)
	if err != nil || s.pgPrepared != database.PreparedPerConnection {
		t.Fatalf("default: %v, %d statements; want %d", err, s.pgPrepared, database.PreparedPerConnection)
	}
	t.Setenv("DPCMA_PG_PREPARED_STATEMENTS", "0")
	if s, err = parse("serve", nil); err != nil || s.pgPrepared != 0 {
		t.Fatalf("from the environment: %v, %d statements; want 0", err, s.pgPrepared)
	}
	if _, err := parse("serve", []string{"--pg-prepared-statements", "-1"}); err == nil || !strings.Contains(err.Error(), "must not be negative") {
		t.Fatalf("-1: %v, want a refusal", err)
	}
}
