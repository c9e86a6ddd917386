package app_test

import (
	"context"
	"database/sql"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"dpcma/ent/grant"
	"dpcma/server/accounts"
	"dpcma/server/app"
	"dpcma/server/database"
	"dpcma/server/dbtest"
	"dpcma/server/seed"
)

// While PostgreSQL refuses the server (its connections killed and the
// database closed to new ones, as in a restart), requests fail at once
// with SERVICE_UNAVAILABLE and /readyz says so; once it is back the same
// server answers again without a restart. Requests with a token, exports
// and OData too: under the load driver's restart run they answered 500.
func TestDatabaseOutage(t *testing.T) {
	dbtest.PostgresOnly(t)
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
	e := newAccountsEnv(t, &env{t: t, db: db}, func(c *app.Config) { c.RateLimit, c.ResponseCacheBytes = 0, 0 })
	token := e.operatorToken("viewer@nhs.net", grant.RoleVIEWER, "")
	// Not used before the outage, so not remembered: reading it fails.
	unread := e.operatorToken("other@nhs.net", grant.RoleVIEWER, "")
	const q = `{ national { name maturity { score } } }`
	var v any
	e.query(q, nil, &v)
	e.ok(token, q, nil, &v)

	exec(`ALTER DATABASE "` + name + `" ALLOW_CONNECTIONS false`)
	exec(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '` + name + `' AND pid <> pg_backend_pid()`)
	defer exec(`ALTER DATABASE "` + name + `" ALLOW_CONNECTIONS true`)
	for i := 0; i < 3; i++ {
		e.fails(q, nil, "SERVICE_UNAVAILABLE")
	}
	e.refused(token, q, nil, "SERVICE_UNAVAILABLE")
	if status := e.refused(unread, q, nil, "SERVICE_UNAVAILABLE"); status != http.StatusServiceUnavailable {
		t.Errorf("a request with a token not yet read, during the outage: %d", status)
	}
	for _, path := range []string{"/export/practices.csv", "/odata/Organisations"} {
		rec := e.get(path, nil)
		if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), `"SERVICE_UNAVAILABLE"`) {
			t.Errorf("%s during the outage: %d %s", path, rec.Code, rec.Body)
		}
	}
	rec := httptest.NewRecorder()
	e.handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
	if rec.Code != http.StatusServiceUnavailable {
		t.Errorf("/readyz during the outage: %d", rec.Code)
	}

	exec(`ALTER DATABASE "` + name + `" ALLOW_CONNECTIONS true`)
	e.query(q, nil, &v)
	e.ok(token, q, nil, &v)
	if rec := e.get("/export/practices.csv", nil); rec.Code != http.StatusOK {
		t.Errorf("an export after the outage: %d", rec.Code)
	}
	rec = httptest.NewRecorder()
	e.handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
	if rec.Code != http.StatusOK {
		t.Errorf("/readyz after the outage: %d", rec.Code)
	}
}

// Recording a token's use is bookkeeping: while another connection holds
// a SQLite file's write lock (another process, a long import), a read with
// a token answers at once instead of waiting out the busy timeout.
func TestTokenUseDoesNotWaitForTheWriteLock(t *testing.T) {
	dsn := dbtest.DSN(t, dbtest.SQLite, seed.Small)
	ctx := context.Background()
	open := func() *database.DB {
		db, err := database.Open(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	db, locker := open(), open()
	svc, err := accounts.New(db.Client, db.Dialect, accounts.Config{})
	if err != nil {
		t.Fatal(err)
	}
	viewer, err := svc.OperatorToken(ctx, "viewer@nhs.net", grant.RoleVIEWER, "", "")
	if err != nil {
		t.Fatal(err)
	}
	cfg := uncachedConfig
	cfg.Accounts = svc
	h := app.New(db, cfg)
	tx, err := locker.SQL.BeginTx(ctx, nil) // BEGIN IMMEDIATE: the write lock
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback() }()
	start := time.Now()
	var v any
	instanceQuery(t, h, viewer.Token, `{ national { name maturity { score } } }`, &v)
	if took := time.Since(start); took > 3*time.Second { // the busy timeout is 10 s
		t.Fatalf("a read with a token waited %s for the write lock", took)
	}
}
