package main

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"
)

// A port already in use is an error at start-up, and the server never
// says it is ready.
func TestReadyOnlyOnceThePortIsBound(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	var logs bytes.Buffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&logs, nil)))
	defer slog.SetDefault(prev)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err = run(ctx, []string{"serve", "--db", "sqlite://" + t.TempDir() + "/ready.db", "--seed", "small", "--addr", taken.Addr().String()}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "address already in use") {
		t.Fatalf("serving on a taken port: %v", err)
	}
	if strings.Contains(logs.String(), "ready") {
		t.Fatalf("said ready on a port it could not bind:\n%s", logs.String())
	}
}
