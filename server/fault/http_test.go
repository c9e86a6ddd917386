package fault_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"dpcma/server/fault"
)

// A request whose deadline passed before any of the answer was written is
// told so (503 TIMEOUT), not sent an empty 200; one whose client went is
// sent nothing.
func TestWriteInternal(t *testing.T) {
	late, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	gone, cancelGone := context.WithCancel(context.Background())
	cancelGone()
	cases := []struct {
		name        string
		ctx         context.Context
		unavailable bool
		status      int
		code        string
	}{
		{"deadline", late, false, http.StatusServiceUnavailable, `"TIMEOUT"`},
		{"client gone", gone, false, http.StatusOK, ""},
		{"unavailable", context.Background(), true, http.StatusServiceUnavailable, `"SERVICE_UNAVAILABLE"`},
		{"other", context.Background(), false, http.StatusInternalServerError, `"INTERNAL_SERVER_ERROR"`},
	}
	for _, c := range cases {
		rec := httptest.NewRecorder()
		fault.WriteInternal(c.ctx, rec, errors.New("boom"), "test", c.unavailable)
		if rec.Code != c.status || !strings.Contains(rec.Body.String(), c.code) || (c.code == "" && rec.Body.Len() > 0) {
			t.Errorf("%s: HTTP %d %q, want %d with %s", c.name, rec.Code, rec.Body.String(), c.status, c.code)
		}
		if strings.Contains(rec.Body.String(), "boom") {
			t.Errorf("%s: the answer shows the error: %s", c.name, rec.Body.String())
		}
	}
}

// An authorisation error is 401 (with a challenge) or 403 with its code
// and message; anything else is a 500 that does not show it.
func TestWriteFault(t *testing.T) {
	for _, c := range []struct {
		err    error
		status int
		body   string
	}{
		{fault.Unauthenticatedf("the token has expired"), http.StatusUnauthorized, `{"error":{"code":"UNAUTHENTICATED","message":"the token has expired"}}`},
		{fault.Forbiddenf("no reads"), http.StatusForbidden, `{"error":{"code":"FORBIDDEN","message":"no reads"}}`},
		{errors.New("boom"), http.StatusInternalServerError, `{"error":{"code":"INTERNAL_SERVER_ERROR","message":"internal error"}}`},
	} {
		rec := httptest.NewRecorder()
		rec.Header().Set("ETag", `W/"x"`)
		fault.WriteFault(rec, c.err)
		if rec.Code != c.status || strings.TrimSpace(rec.Body.String()) != c.body {
			t.Errorf("%v: HTTP %d %s, want %d %s", c.err, rec.Code, rec.Body.String(), c.status, c.body)
		}
		// Only a 401 challenges the client to authenticate.
		if challenged := rec.Header().Get("WWW-Authenticate") != ""; challenged != (c.status == http.StatusUnauthorized) {
			t.Errorf("%v: WWW-Authenticate %q", c.err, rec.Header().Get("WWW-Authenticate"))
		}
		if rec.Header().Get("ETag") != "" || rec.Header().Get("Content-Type") != "application/json; charset=utf-8" {
			t.Errorf("%v: headers %v", c.err, rec.Header())
		}
	}
}
