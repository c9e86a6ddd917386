package database_test

import (
	"context"
	stdsql "database/sql"
	"maps"
	"strings"
	"testing"

	"dpcma/server/database"
	"dpcma/server/dbtest"
	"dpcma/server/seed"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// pinned opens an empty PostgreSQL database keeping at most capacity
// prepared statements per connection, and one connection of its pool
// (prepared statements and pg_prepared_statements are per session) with
// a table t.
func pinned(t *testing.T, capacity int) *stdsql.Conn {
	t.Helper()
	dbtest.PostgresOnly(t)
	db := dbtest.Open(t, dbtest.Postgres, seed.None, database.WithPreparedStatements(capacity))
	conn, err := db.SQL.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	exec(t, conn, `CREATE TABLE t (id bigint PRIMARY KEY, v integer NOT NULL)`)
	exec(t, conn, `INSERT INTO t SELECT i, i * 10 FROM generate_series(1, 20) i`)
	return conn
}

func exec(t *testing.T, conn *stdsql.Conn, query string, args ...any) {
	t.Helper()
	if _, err := conn.ExecContext(context.Background(), query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

// value runs query (one row, one column) on conn.
func value[T any](t *testing.T, conn *stdsql.Conn, query string, args ...any) T {
	t.Helper()
	var v T
	if err := conn.QueryRowContext(context.Background(), query, args...).Scan(&v); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return v
}

// prepared lists the session's prepared statements with how often each ran.
func prepared(t *testing.T, conn *stdsql.Conn) map[string]int64 {
	t.Helper()
	// No arguments: lib/pq's simple protocol, so this is not prepared
	// itself. Only the tests' statements on t count (the migrations may
	// have run on this connection too).
	rows, err := conn.QueryContext(context.Background(),
		`SELECT statement, generic_plans + custom_plans FROM pg_prepared_statements WHERE statement LIKE '% FROM t %'`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var s string
		var n int64
		if err := rows.Scan(&s, &n); err != nil {
			t.Fatal(err)
		}
		out[s] = n
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// A read statement is prepared on its second run on a connection and then
// executed from the cache, in a transaction too; writes and statements
// without arguments are not prepared.
func TestPreparedStatementsAreReused(t *testing.T) {
	conn := pinned(t, 8)
	const q = `SELECT v FROM t WHERE id = $1`
	for i := range 4 {
		if got := value[int](t, conn, q, i+1); got != (i+1)*10 {
			t.Fatalf("run %d: v = %d, want %d", i+1, got, (i+1)*10)
		}
		want := map[string]int64{}
		if i > 0 { // the first run takes the one-shot path
			want[q] = int64(i)
		}
		if got := prepared(t, conn); !maps.Equal(got, want) {
			t.Fatalf("after run %d: prepared %v, want %v", i+1, got, want)
		}
	}
	for range 3 {
		exec(t, conn, `UPDATE t SET v = v WHERE id = $1`, 1)
		value[int](t, conn, `SELECT count(*) FROM t`)
	}
	tx, err := conn.BeginTx(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		var n int
		if err := tx.QueryRow(`SELECT count(*) FROM t WHERE id > $1`, 3).Scan(&n); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	want := map[string]int64{q: 3, `SELECT count(*) FROM t WHERE id > $1`: 2}
	if got := prepared(t, conn); !maps.Equal(got, want) {
		t.Fatalf("prepared %v, want %v", got, want)
	}
}

// At most capacity statements stay prepared per connection: the least
// recently used is closed, and a statement evicted and wanted again is
// prepared again.
func TestPreparedStatementsAreEvicted(t *testing.T) {
	conn := pinned(t, 2)
	queries := []string{
		`SELECT v FROM t WHERE id = $1`,
		`SELECT v + 1 FROM t WHERE id = $1`,
		`SELECT v + 2 FROM t WHERE id = $1`,
	}
	for _, q := range queries {
		for range 2 {
			value[int](t, conn, q, 1)
		}
	}
	got := prepared(t, conn)
	if len(got) != 2 || got[queries[1]] != 1 || got[queries[2]] != 1 {
		t.Fatalf("prepared %v, want the last two", got)
	}
	// The first again, twice (its second sighting prepares it): it
	// evicts the second, the least recently used.
	for range 2 {
		if v := value[int](t, conn, queries[0], 2); v != 20 {
			t.Fatalf("v = %d, want 20", v)
		}
	}
	got = prepared(t, conn)
	if len(got) != 2 || got[queries[0]] != 1 || got[queries[2]] != 1 {
		t.Fatalf("prepared %v, want the first and the third", got)
	}
}

// A schema change that alters a cached statement's result type (a
// migration while the server runs) makes PostgreSQL refuse the statement;
// it is prepared again and the run succeeds.
func TestPreparedStatementSurvivesSchemaChange(t *testing.T) {
	conn := pinned(t, 8)
	const q = `SELECT * FROM t WHERE id = $1`
	for range 2 {
		var id int64
		var v int
		if err := conn.QueryRowContext(context.Background(), q, 3).Scan(&id, &v); err != nil {
			t.Fatal(err)
		}
	}
	exec(t, conn, `ALTER TABLE t ALTER COLUMN v TYPE text USING 'v' || v`)
	exec(t, conn, `ALTER TABLE t ADD COLUMN w integer NOT NULL DEFAULT 7`)
	var id int64
	var v string
	var w int
	if err := conn.QueryRowContext(context.Background(), q, 3).Scan(&id, &v, &w); err != nil {
		t.Fatalf("after the schema change: %v", err)
	}
	if id != 3 || v != "v30" || w != 7 {
		t.Fatalf("got %d, %q, %d; want 3, \"v30\", 7", id, v, w)
	}
	if got := prepared(t, conn); got[q] != 1 {
		t.Fatalf("prepared %v, want %q prepared again and run once", got, q)
	}

	// In a transaction the refusal aborts the transaction: it is returned,
	// and the statement is prepared again on its next run.
	exec(t, conn, `ALTER TABLE t ALTER COLUMN w TYPE text`)
	tx, err := conn.BeginTx(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.QueryRow(q, 3).Scan(&id, &v, &v); err == nil || !strings.Contains(err.Error(), "cached plan must not change result type") {
		t.Fatalf("in a transaction after the schema change: %v, want PostgreSQL's refusal", err)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	var w2 string
	if err := conn.QueryRowContext(context.Background(), q, 3).Scan(&id, &v, &w2); err != nil || w2 != "7" {
		t.Fatalf("after the transaction: %q, %v; want \"7\"", w2, err)
	}
}
