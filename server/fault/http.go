package fault

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
)

// The HTTP surfaces other than GraphQL (exports, the OData feed) answer an
// error as {"error":{"code":...,"message":...}}, the shape OData clients
// expect. These writers use only the standard library, so that fault stays
// a leaf every layer may import.

// WriteError writes {"error":{"code":...,"message":...}} on one line with
// status, dropping the headers of an answer that is not coming (ETag,
// Content-Disposition).
func WriteError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Del("ETag")
	w.Header().Del("Content-Disposition")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"code": code, "message": msg}})
}

// WriteFault writes an authorisation error (an *Error from access) as 401
// or 403; any other error is a 500.
func WriteFault(w http.ResponseWriter, err error) {
	var f *Error
	if !errors.As(err, &f) {
		WriteError(w, http.StatusInternalServerError, Internal, "internal error")
		return
	}
	status := http.StatusForbidden
	if f.Code == Unauthenticated {
		status = http.StatusUnauthorized
		w.Header().Set("WWW-Authenticate", `Bearer realm="dpcma"`)
	}
	WriteError(w, status, f.Code, f.Message)
}

// WriteInternal answers a request whose reading failed before any of the
// answer was written (what names the request in the log): a deadline is
// TIMEOUT, a database that cannot be reached SERVICE_UNAVAILABLE (both
// 503, to be retried), a client that went nothing, anything else 500.
// unavailable says the database could not be reached (the caller asks
// database.Unavailable, which fault, a leaf, cannot import).
func WriteInternal(ctx context.Context, w http.ResponseWriter, err error, what string, unavailable bool) {
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		WriteError(w, http.StatusServiceUnavailable, Timeout, "the request took too long")
	case ctx.Err() != nil: // the client went: no one reads an answer
	case unavailable:
		slog.WarnContext(ctx, "database unavailable", "err", err)
		WriteError(w, http.StatusServiceUnavailable, ServiceUnavailable, "the database is unavailable: try again shortly")
	default:
		slog.ErrorContext(ctx, what+" failed", "err", err)
		WriteError(w, http.StatusInternalServerError, Internal, "internal error")
	}
}
