// Package fault holds the errors dpcma shows its users, whatever the
// surface (GraphQL, HTTP exports, commands): a code from a small
// documented set, a message safe to show, and details for programs.
// Domain packages return them; each surface presents them (http.go
// writes them for the HTTP surfaces other than GraphQL).
package fault

import (
	"fmt"
	"strings"
)

// Codes, carried in GraphQL errors as extensions.code. The set is
// documented in the README.
const (
	Unauthenticated = "UNAUTHENTICATED"
	Forbidden       = "FORBIDDEN"
	BadUserInput    = "BAD_USER_INPUT"
	NotFound        = "NOT_FOUND"
	PeriodClosed    = "PERIOD_CLOSED"
	QueryTooComplex = "QUERY_TOO_COMPLEX"
	Internal        = "INTERNAL_SERVER_ERROR"
	// ServiceUnavailable: the database cannot be reached; a retry may
	// succeed once it is back.
	ServiceUnavailable = "SERVICE_UNAVAILABLE"
	// MethodNotAllowed: an HTTP method the endpoint does not take (405).
	MethodNotAllowed = "METHOD_NOT_ALLOWED"
	// ServerBusy: no slot came free before the request's deadline (503).
	ServerBusy = "SERVER_BUSY"
	// Timeout: the request ran past its deadline and was stopped.
	Timeout = "TIMEOUT"
	// NotImplemented: an OData feature the feed does not have (501).
	NotImplemented = "NOT_IMPLEMENTED"
	// NotAcceptable: no form the client accepts can be given (406).
	NotAcceptable = "NOT_ACCEPTABLE"
)

// Error is an error meant for the user: its message is safe to show.
type Error struct {
	Code    string
	Message string
	// Extensions are details for programs (extensions in GraphQL), such
	// as the indicator an answer was refused for.
	Extensions map[string]any
}

func (e *Error) Error() string { return e.Message }

// New returns an error with a code.
func New(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// With returns e with a detail added.
func (e *Error) With(key string, value any) *Error {
	if e.Extensions == nil {
		e.Extensions = map[string]any{}
	}
	e.Extensions[key] = value
	return e
}

// NotFoundf reports a missing object.
func NotFoundf(format string, args ...any) *Error { return New(NotFound, format, args...) }

// BadInputf reports an invalid argument.
func BadInputf(format string, args ...any) *Error { return New(BadUserInput, format, args...) }

// Forbiddenf reports an action the caller's roles do not allow.
func Forbiddenf(format string, args ...any) *Error { return New(Forbidden, format, args...) }

// Unauthenticatedf reports an action that needs a valid token.
func Unauthenticatedf(format string, args ...any) *Error {
	return New(Unauthenticated, format, args...)
}

// List is several errors found together, such as one per bad answer.
type List []*Error

func (l List) Error() string {
	msgs := make([]string, len(l))
	for i, e := range l {
		msgs[i] = e.Message
	}
	return strings.Join(msgs, "; ")
}

// Err returns l as an error, nil when empty.
func (l List) Err() error {
	if len(l) == 0 {
		return nil
	}
	return l
}
