// Package apperr defines the errors dpcma shows to clients and the
// documented set of extensions.code values they carry.
package apperr

import (
	"context"
	"errors"
	"log/slog"
	"strings"

	"dpcma/ent"
	"dpcma/graph/gid"
	"dpcma/server/database"
	"dpcma/server/fault"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// Codes carried in extensions.code. The set is documented in the README;
// the codes domain packages use are fault's.
const (
	Unauthenticated = fault.Unauthenticated
	Forbidden       = fault.Forbidden
	BadUserInput    = fault.BadUserInput
	NotFound        = fault.NotFound
	PeriodClosed    = fault.PeriodClosed
	QueryTooComplex = fault.QueryTooComplex
	Internal        = fault.Internal

	// IntrospectionDisabled refuses __schema and __type when the server
	// is run with public introspection off.
	IntrospectionDisabled = "INTROSPECTION_DISABLED"
	// RequestTooLarge refuses a body above the size limit (HTTP 413).
	RequestTooLarge = "REQUEST_TOO_LARGE"
	// MethodNotAllowed refuses a mutation sent with GET (HTTP 405).
	MethodNotAllowed = fault.MethodNotAllowed
	// RateLimited: the client sent more requests than its rate allows
	// (HTTP 429 with Retry-After).
	RateLimited = "RATE_LIMITED"
	// ServerBusy: no operation slot came free before the request's
	// deadline (HTTP 503).
	ServerBusy = fault.ServerBusy
	// ServiceUnavailable: the database cannot be reached; a retry may
	// succeed once it is back.
	ServiceUnavailable = fault.ServiceUnavailable
	// InsufficientStorage: the database had no room to store a write,
	// which was refused whole; reads still work and a retry may succeed
	// once there is room.
	InsufficientStorage = "INSUFFICIENT_STORAGE"
	// Timeout: the request ran past its deadline and was stopped.
	Timeout = fault.Timeout
	// Cancelled: the client closed its connection before the answer and
	// its work was stopped. No client reads it; logs and metrics do.
	Cancelled = "CANCELLED"
	// UnsupportedMediaType: a POST body that is not JSON (HTTP 415).
	UnsupportedMediaType = "UNSUPPORTED_MEDIA_TYPE"
	// BadRequest: the HTTP request is not a GraphQL request (a body that
	// is not JSON, or fields of the wrong type).
	BadRequest = "BAD_REQUEST"
	// ValidationFailed is gqlgen's code for a document the schema rejects.
	ValidationFailed = "GRAPHQL_VALIDATION_FAILED"
)

// Errorf returns a GraphQL error with a code, for failures found before
// execution (in the document or its variables) at pos.
func Errorf(pos *ast.Position, code, format string, args ...any) *gqlerror.Error {
	e := gqlerror.ErrorPosf(pos, format, args...)
	e.Extensions = map[string]any{"code": code}
	return e
}

// Error is an error meant for the client: its message is safe to show.
type Error = fault.Error

// New returns a client error with a code.
func New(code, format string, args ...any) *Error { return fault.New(code, format, args...) }

// NotFoundf reports a missing object.
func NotFoundf(format string, args ...any) *Error { return fault.NotFoundf(format, args...) }

// BadInputf reports an invalid argument.
func BadInputf(format string, args ...any) *Error { return fault.BadInputf(format, args...) }

// Present turns any resolver error into a client error with a code. Errors
// that are not ours (database, bugs) are logged and shown as a generic
// message, so no SQL or internal detail reaches the client.
func Present(ctx context.Context, err error) *gqlerror.Error {
	gerr := graphql.DefaultErrorPresenter(ctx, err)
	var (
		app    *Error
		badID  *gid.Error
		nf     *ent.NotFoundError
		parsed *gqlerror.Error
	)
	switch {
	case errors.As(err, &app):
		gerr.Message = app.Message
		setCode(gerr, app.Code)
		for k, v := range app.Extensions {
			gerr.Extensions[k] = v
		}
	case errors.As(err, &badID):
		gerr.Message = badID.Error()
		setCode(gerr, BadUserInput)
	case errors.As(err, &nf):
		gerr.Message = "not found"
		setCode(gerr, NotFound)
	case isArgumentError(err):
		setCode(gerr, BadUserInput)
	case strings.HasPrefix(gerr.Message, badBodyPrefix):
		// gqlgen's message quotes the whole body back: keep the reason only.
		reason, _, _ := strings.Cut(strings.TrimPrefix(gerr.Message, badBodyPrefix), " body:")
		gerr.Message = "the request body is not a GraphQL request in JSON (" + reason + "): send {\"query\": \"...\", \"variables\": {...}}"
		setCode(gerr, BadRequest)
	case errors.As(err, &parsed) && parsed.Extensions["code"] != nil:
		// gqlgen's own coded errors (validation, parse, complexity, APQ).
	// A driver may report a stopped statement in its own words (lib/pq:
	// "canceling statement due to user request"): the request's context
	// says why.
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded):
		gerr.Message = "the request took too long and was stopped"
		setCode(gerr, Timeout)
	case errors.Is(err, context.Canceled) || errors.Is(ctx.Err(), context.Canceled):
		gerr.Message = "the request was cancelled"
		setCode(gerr, Cancelled)
	case errors.As(err, &parsed) && parsed.Rule != "":
		setCode(gerr, ValidationFailed)
	case database.OutOfSpace(err):
		slog.WarnContext(ctx, "database out of space", "path", gerr.Path.String(), "err", err)
		gerr.Message = "the database has no room to store this: nothing was saved; try again later"
		setCode(gerr, InsufficientStorage)
	case database.Unavailable(err):
		slog.WarnContext(ctx, "database unavailable", "path", gerr.Path.String(), "err", err)
		gerr.Message = "the database is unavailable: try again shortly"
		setCode(gerr, ServiceUnavailable)
	default:
		slog.ErrorContext(ctx, "resolver error", "path", gerr.Path.String(), "err", err)
		gerr.Message = "internal error"
		setCode(gerr, Internal)
	}
	return gerr
}

// isArgumentError recognises input coercion errors that gqlgen and entgql
// raise before a resolver runs (bad cursors, negative first/last).
func isArgumentError(err error) bool {
	msg := err.Error()
	for _, s := range []string{"cannot decode cursor", "is not a string", "`first`", "`last`", "cannot be less than zero"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	var gerr *gqlerror.Error
	if errors.As(err, &gerr) && gerr.Extensions["code"] == entgqlInvalidPagination {
		return true
	}
	return false
}

// badBodyPrefix starts gqlgen's error for a body it cannot decode.
const badBodyPrefix = "json request body could not be decoded: "

// entgqlInvalidPagination is the code entgql gives bad first/last values.
const entgqlInvalidPagination = "INVALID_PAGINATION"

func setCode(e *gqlerror.Error, code string) {
	if e.Extensions == nil {
		e.Extensions = map[string]any{}
	}
	e.Extensions["code"] = code
}
