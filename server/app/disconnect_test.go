package app_test

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"dpcma/ent/grant"
	"dpcma/server/accounts"
	"dpcma/server/app"
	"dpcma/server/database"
	"dpcma/server/dbtest"
	"dpcma/server/seed"
	"dpcma/server/telemetry"
)

// A client that goes away takes its database work with it: while the test
// holds a lock on responses, a request that reads them waits in
// PostgreSQL; once its connection is closed the server's statement is
// cancelled at once, though the lock is still held, and the request is
// neither logged as an error nor counted as a 500 or an internal error.
func TestDisconnectCancelsDatabaseWork(t *testing.T) {
	dbtest.PostgresOnly(t)
	logs := &lockedBuffer{}
	logger, err := telemetry.NewLogger(logs, "json", "info")
	if err != nil {
		t.Fatal(err)
	}
	old := slog.Default()
	slog.SetDefault(logger)
	t.Cleanup(func() { slog.SetDefault(old) })

	db := dbtest.Open(t, dbtest.Postgres, seed.Small)
	u, err := url.Parse(db.Redacted)
	if err != nil {
		t.Fatal(err)
	}
	name := strings.TrimPrefix(u.Path, "/")
	base, err := url.Parse(os.Getenv(dbtest.EnvURL))
	if err != nil {
		t.Fatal(err)
	}
	base.Path = "/" + name
	locker, err := sql.Open("postgres", base.String())
	if err != nil {
		t.Fatal(err)
	}
	defer locker.Close()
	h := app.New(db, uncachedConfig)
	srv := httptest.NewServer(h)
	defer srv.Close()

	// waiting counts the server's statements of this database that wait
	// for a lock.
	waiting := func(t *testing.T) int {
		var n int
		err := locker.QueryRow(`SELECT count(*) FROM pg_stat_activity
			WHERE datname = $1 AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()`, name).Scan(&n)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	until := func(t *testing.T, what string, limit time.Duration, ok func() bool) time.Duration {
		t.Helper()
		start := time.Now()
		for !ok() {
			if time.Since(start) > limit {
				t.Fatalf("%s: not within %s", what, limit)
			}
			time.Sleep(10 * time.Millisecond)
		}
		return time.Since(start)
	}
	gql := func(q string) string {
		body := fmt.Sprintf(`{"query": %q}`, q)
		return fmt.Sprintf("POST /query HTTP/1.1\r\nHost: dpcma\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
	}
	get := func(path string) string { return "GET " + path + " HTTP/1.1\r\nHost: dpcma\r\n\r\n" }
	requests := []struct{ name, raw string }{
		{"graphql", gql(`{ practice(odsCode: "A83001") { responses(period: "2017-18-H2", first: 100) { totalCount edges { node { value } } } } }`)},
		{"export", get("/export/responses.csv")},
		{"odata", get("/odata/Responses?$count=true")},
	}
	for _, r := range requests {
		t.Run(r.name, func(t *testing.T) {
			tx, err := locker.Begin()
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = tx.Rollback() }()
			if _, err := tx.Exec(`LOCK TABLE responses IN ACCESS EXCLUSIVE MODE`); err != nil {
				t.Fatal(err)
			}
			conn, err := net.Dial("tcp", srv.Listener.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			if _, err := conn.Write([]byte(r.raw)); err != nil {
				t.Fatal(err)
			}
			until(t, "the request waits for the lock", 10*time.Second, func() bool { return waiting(t) == 1 })
			conn.Close()
			took := until(t, "the statement is cancelled after the client went", 5*time.Second, func() bool { return waiting(t) == 0 })
			t.Logf("cancelled %s after the client went", took.Round(time.Millisecond))
			// The lock is still held: the statement was stopped, not let through.
			var one int
			if err := tx.QueryRow(`SELECT 1 FROM pg_locks WHERE relation = 'responses'::regclass AND mode = 'AccessExclusiveLock' AND granted`).Scan(&one); err != nil {
				t.Fatalf("the lock is no longer held: %v", err)
			}
		})
	}

	// Each request is logged once it ends: wait for the three lines.
	until(t, "the requests are logged", 5*time.Second, func() bool { return strings.Count(logs.String(), `"msg":"request"`) >= len(requests) })
	for _, l := range strings.Split(logs.String(), "\n") {
		if strings.Contains(l, `"level":"ERROR"`) || strings.Contains(l, `"status":500`) || strings.Contains(l, "INTERNAL_SERVER_ERROR") {
			t.Errorf("a request the client gave up on was logged as a failure: %s", l)
		}
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	for _, l := range strings.Split(rec.Body.String(), "\n") {
		if strings.HasPrefix(l, "dpcma_") && (strings.Contains(l, `code="500"`) || strings.Contains(l, "INTERNAL_SERVER_ERROR")) {
			t.Errorf("counted as a failure: %s", l)
		}
	}
}

// lockedBuffer is a log destination for handlers on many goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// On SQLite a submission that waits for the file's write lock (held here
// by another connection, as by another process) stops waiting when its
// client goes, instead of waiting out the ten-second busy timeout.
func TestDisconnectStopsSQLiteWait(t *testing.T) {
	logs := &lockedBuffer{}
	logger, err := telemetry.NewLogger(logs, "json", "info")
	if err != nil {
		t.Fatal(err)
	}
	old := slog.Default()
	slog.SetDefault(logger)
	t.Cleanup(func() { slog.SetDefault(old) })

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
	admin, err := svc.OperatorToken(ctx, "ops@nhs.net", grant.RoleADMIN, "", "")
	if err != nil {
		t.Fatal(err)
	}
	cfg := uncachedConfig
	cfg.Accounts = svc
	srv := httptest.NewServer(app.New(db, cfg))
	defer srv.Close()

	// A first request records the token's use, so that the submission's
	// only write is its own.
	instanceQuery(t, srv.Config.Handler, admin.Token, `{ viewer { email } }`, &struct{}{})
	ended := func() bool { return strings.Count(logs.String(), `"msg":"request"`) > 1 }
	tx, err := locker.SQL.BeginTx(ctx, nil) // BEGIN IMMEDIATE: the write lock
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback() }()
	// The server sees a client go only once it has read the body, which
	// gqlgen does before the submission asks for the lock.
	body := `{"query": "mutation { submitResponses(input: {practice: \"A83001\", period: \"2017-18-H2\", answers: [{indicator: \"PO01\", value: \"no\"}]}) { changed } }"}`
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(conn, "POST /query HTTP/1.1\r\nHost: dpcma\r\nContent-Type: application/json\r\nAuthorization: Bearer %s\r\nContent-Length: %d\r\n\r\n%s",
		admin.Token, len(body), body)
	time.Sleep(500 * time.Millisecond) // the submission is now waiting for the lock
	if ended() {
		t.Fatalf("the submission did not wait for the lock:\n%s", logs.String())
	}
	conn.Close()
	start := time.Now()
	for !ended() {
		if time.Since(start) > 3*time.Second {
			t.Fatal("the submission still waits for the lock after its client went")
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Logf("stopped waiting %s after the client went", time.Since(start).Round(time.Millisecond))
	if _, err := tx.Exec(`INSERT INTO data_revisions (revision) VALUES (0)`); err != nil {
		t.Fatalf("the lock is no longer held: %v", err)
	}
	if !strings.Contains(logs.String(), `"outcome":"CANCELLED"`) || strings.Contains(logs.String(), `"level":"ERROR"`) {
		t.Errorf("logged:\n%s", logs.String())
	}
}
