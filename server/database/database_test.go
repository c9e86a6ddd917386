package database

import (
	"context"
	"net/url"
	"path/filepath"
	"testing"
	"time"
)

func TestPostgresSessionParameters(t *testing.T) {
	cases := []struct {
		dsn     string
		timeout time.Duration
		want    map[string]string
	}{
		{"postgres://u@127.0.0.1:5432/d", 0,
			map[string]string{"sslmode": "disable", "binary_parameters": "yes", "jit": "off", "statement_timeout": ""}},
		{"postgres://u@127.0.0.1:5432/d", 30 * time.Second, map[string]string{"statement_timeout": "30000"}},
		{"postgres://u@127.0.0.1:5432/d", 250 * time.Millisecond, map[string]string{"statement_timeout": "250"}},
		// The DSN's own setting wins, 0 (no timeout) included.
		{"postgres://u@127.0.0.1:5432/d?statement_timeout=5000", 30 * time.Second, map[string]string{"statement_timeout": "5000"}},
		{"postgres://u@127.0.0.1:5432/d?statement_timeout=0", 30 * time.Second, map[string]string{"statement_timeout": "0"}},
		{"postgres://u@db.example:5432/d?sslmode=require&jit=on", time.Minute,
			map[string]string{"sslmode": "require", "jit": "on", "statement_timeout": "60000"}},
	}
	for _, c := range cases {
		_, redacted, err := postgresConnector(c.dsn, c.timeout)
		if err != nil {
			t.Fatalf("%s: %v", c.dsn, err)
		}
		u, err := url.Parse(redacted)
		if err != nil {
			t.Fatal(err)
		}
		q := u.Query()
		for k, want := range c.want {
			if got := q.Get(k); got != want {
				t.Errorf("%s with %s: %s=%q, want %q", c.dsn, c.timeout, k, got, want)
			}
		}
	}
}

// A write that finds the file locked by another connection for longer than
// the busy timeout is refused as retryable.
func TestSQLiteBusyIsUnavailable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "busy.db")
	ctx := context.Background()
	holder, err := Open(ctx, "sqlite://"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	if _, err := holder.SQL.Exec(`CREATE TABLE t (n INTEGER)`); err != nil {
		t.Fatal(err)
	}
	waiter, err := Open(ctx, "sqlite://"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer waiter.Close()
	// One connection with a short busy timeout, so the test need not wait
	// the default's ten seconds.
	waiter.SQL.SetMaxOpenConns(1)
	if _, err := waiter.SQL.Exec(`PRAGMA busy_timeout = 50`); err != nil {
		t.Fatal(err)
	}
	tx, err := holder.SQL.BeginTx(ctx, nil) // BEGIN IMMEDIATE: takes the write lock
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback() }()
	_, err = waiter.SQL.Exec(`INSERT INTO t VALUES (1)`)
	if err == nil || !Unavailable(err) {
		t.Fatalf("a write while another connection holds the lock: %v (unavailable: %t)", err, Unavailable(err))
	}
}

// A file at its size limit (here max_page_count, as on a full disk) refuses
// a write as out of space, not as a fault of the statement.
func TestSQLiteFullIsOutOfSpace(t *testing.T) {
	db, err := Open(context.Background(), "sqlite://"+filepath.Join(t.TempDir(), "full.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SQL.SetMaxOpenConns(1) // the page limit belongs to one connection
	for _, q := range []string{`CREATE TABLE t (b BLOB)`, `PRAGMA max_page_count = 8`} {
		if _, err := db.SQL.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	_, err = db.SQL.Exec(`INSERT INTO t VALUES (zeroblob(100000))`)
	if err == nil || !OutOfSpace(err) || Unavailable(err) {
		t.Fatalf("a write past the size limit: %v (out of space: %t)", err, OutOfSpace(err))
	}
}
