package export

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
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
		name   string
		ctx    context.Context
		status int
		code   string
	}{
		{"deadline", late, http.StatusServiceUnavailable, `"TIMEOUT"`},
		{"client gone", gone, http.StatusOK, ""},
		{"other", context.Background(), http.StatusInternalServerError, `"INTERNAL_SERVER_ERROR"`},
	}
	for _, c := range cases {
		rec := httptest.NewRecorder()
		WriteInternal(c.ctx, rec, errors.New("boom"), "test")
		if rec.Code != c.status || !strings.Contains(rec.Body.String(), c.code) || (c.code == "" && rec.Body.Len() > 0) {
			t.Errorf("%s: HTTP %d %q, want %d with %s", c.name, rec.Code, rec.Body.String(), c.status, c.code)
		}
		if strings.Contains(rec.Body.String(), "boom") {
			t.Errorf("%s: the answer shows the error: %s", c.name, rec.Body.String())
		}
	}
}
