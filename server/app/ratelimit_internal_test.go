package app

import (
	"fmt"
	"testing"
	"time"
)

// Buckets that have filled up again are dropped, and the map never holds
// more than maxClients.
func TestRateLimiterForgetsIdleClients(t *testing.T) {
	l := newRateLimiter(10, 20, false) // an empty bucket is full after 2 s
	t0 := time.Unix(1_700_000_000, 0)
	for i := range 25 {
		l.take("busy", t0)
		l.take(fmt.Sprintf("idle-%d", i), t0)
	}
	if wait := l.take("busy", t0); wait <= 0 {
		t.Fatalf("busy client not limited after 26 requests at once")
	}
	// One second on, busy's bucket is half full: it stays; idle ones,
	// which spent one token, are full again and go.
	t1 := t0.Add(l.sweepEvery)
	l.take("busy", t0.Add(time.Second)) // keeps busy below full
	l.take("newcomer", t1)
	if _, ok := l.clients["busy"]; !ok {
		t.Error("a client still limited was forgotten")
	}
	if n := len(l.clients); n != 2 {
		t.Errorf("%d buckets after the sweep, want 2 (busy and newcomer)", n)
	}

	l = newRateLimiter(1, 1, false)
	for i := range maxClients + 10 {
		l.take(fmt.Sprintf("c%d", i), t0)
	}
	if n := len(l.clients); n > maxClients {
		t.Errorf("%d buckets, more than %d", n, maxClients)
	}
}
