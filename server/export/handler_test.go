package export

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"dpcma/server/access"
	"dpcma/server/catalogue"
	"dpcma/server/dbtest"
	"dpcma/server/seed"
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

func TestMain(m *testing.M) { dbtest.Main(m) }

// The catalogue is read once per data revision: a second request shares
// it, and a change (which moves the revision on) is seen at once.
func TestCataloguesFollowTheRevision(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, backend string) {
		db := dbtest.Open(t, backend, seed.Small)
		ctx := context.Background()
		var c Catalogues
		first, rev, err := c.Load(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		again, rev2, err := c.Load(ctx, db)
		if err != nil || again != first || rev2 != rev {
			t.Fatalf("the same revision read the catalogue again (%v)", err)
		}
		if _, err := catalogue.EnsurePeriod(ctx, db, access.System("test"), "2030-31-H1"); err != nil {
			t.Fatal(err)
		}
		after, rev3, err := c.Load(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		if rev3 <= rev || !slices.Contains(after.Periods, "2030-31-H1") {
			t.Errorf("after a new period: revision %d (was %d), periods %v", rev3, rev, after.Periods)
		}
	})
}
