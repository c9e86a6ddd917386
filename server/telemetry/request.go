// Package telemetry is dpcma's operational surface: Prometheus metrics,
// JSON logs that carry a request id, and optional OpenTelemetry traces.
//
// Every HTTP request gets an Info (Middleware) that travels in its context.
// Code deeper down reports to it through the context (CountStatement,
// ObserveBatch) instead of holding metrics of its own, so two servers in
// one process (tests) keep their figures apart and nothing below the HTTP
// layer needs to know which server it serves. Nothing here runs per
// GraphQL field: only per request, per SQL statement and per loader batch.
package telemetry

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strconv"
	"sync/atomic"
	"time"
)

// Info is what the layers of one HTTP request learn about it, for its
// metrics and its access log line.
type Info struct {
	// ID is the request id: the client's X-Request-Id when it is sane,
	// else one of ours.
	ID string

	m          *Metrics
	start      time.Time
	statements atomic.Int64

	// Set by the GraphQL extension, in the request's goroutine, before the
	// middleware reads them after the handler has returned.
	graphql    bool
	dispatched bool
	operation  string
	outcome    string
	principal  string
}

type ctxKey struct{}

// From returns the request's Info, or nil outside a request.
func From(ctx context.Context) *Info {
	i, _ := ctx.Value(ctxKey{}).(*Info)
	return i
}

// RequestID returns the id of the request in ctx ("" outside one).
func RequestID(ctx context.Context) string {
	if i := From(ctx); i != nil {
		return i.ID
	}
	return ""
}

// WithInfo returns ctx carrying i; Middleware does it for every request.
func WithInfo(ctx context.Context, i *Info) context.Context {
	return context.WithValue(ctx, ctxKey{}, i)
}

// CountStatement records one SQL statement sent on behalf of the request
// in ctx (the database package calls it for every statement through ent).
func CountStatement(ctx context.Context) {
	if i := From(ctx); i != nil {
		i.statements.Add(1)
	}
}

// Statements returns how many statements the request has sent so far.
func (i *Info) Statements() int64 { return i.statements.Load() }

// ObserveBatch records the size of a loader batch run for the request in
// ctx.
func ObserveBatch(ctx context.Context, loader string, size int) {
	if i := From(ctx); i != nil && i.m != nil {
		i.m.batchSize.WithLabelValues(loader).Observe(float64(size))
	}
}

// idPrefix makes our request ids unique across instances and restarts;
// the counter after it makes them unique within the process without a
// random read per request.
var (
	idPrefix  = newIDPrefix()
	idCounter atomic.Uint64
)

func newIDPrefix() string {
	var b [6]byte
	_, _ = rand.Read(b[:]) // never fails on Go 1.24 and later
	return hex.EncodeToString(b[:])
}

func newRequestID() string {
	return idPrefix + "-" + strconv.FormatUint(idCounter.Add(1), 36)
}

// saneID accepts a client's request id only if it is short and made of
// characters that are safe in logs and headers.
func saneID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_', c == '.', c == ':':
		default:
			return false
		}
	}
	return true
}
