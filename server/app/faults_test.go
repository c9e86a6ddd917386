package app_test

import (
	"database/sql"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"

	"dpcma/server/app"
	"dpcma/server/dbtest"
	"dpcma/server/seed"
)

// While PostgreSQL refuses the server (its connections killed and the
// database closed to new ones, as in a restart), requests fail at once
// with SERVICE_UNAVAILABLE and /readyz says so; once it is back the same
// server answers again without a restart.
func TestDatabaseOutage(t *testing.T) {
	if os.Getenv(dbtest.EnvURL) == "" {
		t.Skip("needs PostgreSQL")
	}
	db := dbtest.Open(t, dbtest.Postgres, seed.Small)
	u, err := url.Parse(db.Redacted)
	if err != nil {
		t.Fatal(err)
	}
	name := strings.TrimPrefix(u.Path, "/")
	admin, err := sql.Open("postgres", os.Getenv(dbtest.EnvURL))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	exec := func(q string) {
		t.Helper()
		if _, err := admin.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	cfg := testConfig
	cfg.ResponseCacheBytes = 0
	e := &env{t: t, db: db, handler: app.New(db, cfg)}
	const q = `{ national { name maturity { score } } }`
	var v any
	e.query(q, nil, &v)

	exec(`ALTER DATABASE "` + name + `" ALLOW_CONNECTIONS false`)
	exec(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '` + name + `' AND pid <> pg_backend_pid()`)
	defer exec(`ALTER DATABASE "` + name + `" ALLOW_CONNECTIONS true`)
	for i := 0; i < 3; i++ {
		e.fails(q, nil, "SERVICE_UNAVAILABLE")
	}
	rec := httptest.NewRecorder()
	e.handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
	if rec.Code != http.StatusServiceUnavailable {
		t.Errorf("/readyz during the outage: %d", rec.Code)
	}

	exec(`ALTER DATABASE "` + name + `" ALLOW_CONNECTIONS true`)
	e.query(q, nil, &v)
	rec = httptest.NewRecorder()
	e.handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
	if rec.Code != http.StatusOK {
		t.Errorf("/readyz after the outage: %d", rec.Code)
	}
}
