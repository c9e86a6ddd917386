package telemetry

import (
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// RequestIDHeader carries the request id both ways.
const RequestIDHeader = "X-Request-Id"

var propagator = propagation.TraceContext{}

// Middleware gives every request an id (echoed in X-Request-Id), counts
// and times it by route and status, and writes its access log line. It
// must wrap the ServeMux itself: the mux records the matched pattern on
// the request it was given, which is the route label.
func (m *Metrics) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		info := &Info{m: m, start: time.Now()}
		if id := r.Header.Get(RequestIDHeader); saneID(id) {
			info.ID = id
		} else {
			info.ID = newRequestID()
		}
		w.Header().Set(RequestIDHeader, info.ID)
		ctx := WithInfo(r.Context(), info)
		var span trace.Span
		if m.tracer != nil {
			ctx = propagator.Extract(ctx, propagation.HeaderCarrier(r.Header))
			ctx, span = m.tracer.Start(ctx, r.Method, trace.WithSpanKind(trace.SpanKindServer))
		}
		rec := &recorder{ResponseWriter: w}
		r = r.WithContext(ctx)
		next.ServeHTTP(rec, r)
		if rec.status == 0 {
			rec.status = http.StatusOK
		}
		took := time.Since(info.start)
		route := r.Pattern
		if route == "" {
			route = "unmatched"
		}
		code := strconv.Itoa(rec.status)
		m.httpRequests.WithLabelValues(route, code).Inc()
		m.httpDuration.WithLabelValues(route).Observe(took.Seconds())
		var op string
		if info.graphql {
			op = m.operationLabel(info.operation)
			m.gqlRequests.WithLabelValues(op, info.outcome).Inc()
			m.gqlDuration.WithLabelValues(op).Observe(took.Seconds())
			m.gqlStatements.WithLabelValues(op).Observe(float64(info.statements.Load()))
		}
		if span != nil {
			span.SetName(r.Method + " " + route)
			span.SetAttributes(attribute.String("http.request.method", r.Method), attribute.String("http.route", route),
				attribute.String("url.path", r.URL.Path), attribute.Int("http.response.status_code", rec.status),
				attribute.String("dpcma.request_id", info.ID))
			if rec.status >= 500 {
				span.SetStatus(codes.Error, http.StatusText(rec.status))
			}
			span.End()
		}
		level := slog.LevelInfo
		if route == "GET /healthz" || route == "GET /readyz" || route == "GET /metrics" {
			level = slog.LevelDebug // probes and scrapes would drown the rest
		}
		if !slog.Default().Enabled(ctx, level) {
			return
		}
		attrs := make([]slog.Attr, 0, 9)
		attrs = append(attrs, slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Int("status", rec.status),
			slog.Int64("bytes", rec.bytes), slog.Float64("duration_ms", float64(took.Microseconds())/1000))
		if info.graphql {
			attrs = append(attrs, slog.String("operation", info.operation), slog.String("outcome", info.outcome),
				slog.Int64("statements", info.statements.Load()))
		}
		if info.principal != "" {
			attrs = append(attrs, slog.String("principal", info.principal))
		}
		slog.LogAttrs(ctx, level, "request", attrs...)
	})
}

// recorder notes the status and size of a response.
type recorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(b)
	r.bytes += int64(n)
	return n, err
}

// Flush keeps streamed responses streaming.
func (r *recorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
