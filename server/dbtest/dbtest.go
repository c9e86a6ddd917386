// Package dbtest gives tests a fresh database on every backend under test:
// SQLite in memory always, and PostgreSQL when DPCMA_TEST_DATABASE_URL
// names a server (one new database per test, cloned from a seeded template).
package dbtest

import (
	"context"
	stdsql "database/sql"
	"fmt"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"dpcma/server/database"
	"dpcma/server/seed"

	_ "github.com/lib/pq" // the "postgres" driver for administrative statements
)

// Backend names.
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
)

// EnvURL names the PostgreSQL server for tests; EnvRequire makes its
// absence a failure (CI sets both).
const (
	EnvURL     = "DPCMA_TEST_DATABASE_URL"
	EnvRequire = "DPCMA_REQUIRE_POSTGRES"
)

// Backends lists the backends to run against.
func Backends(t testing.TB) []string {
	t.Helper()
	if os.Getenv(EnvURL) != "" {
		return []string{SQLite, Postgres}
	}
	if os.Getenv(EnvRequire) != "" {
		t.Fatalf("%s is set but %s is not: PostgreSQL tests would be skipped", EnvRequire, EnvURL)
	}
	return []string{SQLite}
}

// PostgresOnly skips a test that needs PostgreSQL when none is given, and
// fails it where one is required (see Backends).
func PostgresOnly(t testing.TB) {
	t.Helper()
	if !slices.Contains(Backends(t), Postgres) {
		t.Skip("PostgreSQL only; set " + EnvURL)
	}
}

// Each runs f as a subtest per backend.
func Each(t *testing.T, f func(t *testing.T, backend string)) {
	for _, b := range Backends(t) {
		t.Run(b, func(t *testing.T) { f(t, b) })
	}
}

var counter atomic.Int64

// fill migrates a new SQLite database and seeds it with kind.
func fill(t testing.TB, db *database.DB, kind string) {
	t.Helper()
	ctx := context.Background()
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if kind != seed.None {
		if _, err := seed.Run(ctx, db, kind, nil); err != nil {
			t.Fatal(err)
		}
	}
}

// Open returns a fresh, migrated database holding the data set kind
// (seed.None for empty), closed and dropped when the test ends.
func Open(t testing.TB, backend, kind string, opts ...database.Option) *database.DB {
	t.Helper()
	ctx := context.Background()
	var dsn string
	switch backend {
	case SQLite:
		dsn = fmt.Sprintf("sqlite://file:dpcma_test_%d_%d?mode=memory&cache=shared", os.Getpid(), counter.Add(1))
		db, err := database.Open(ctx, dsn, opts...)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		fill(t, db, kind)
		return db
	case Postgres:
		dsn = postgresClone(t, kind)
	default:
		t.Fatalf("unknown backend %q", backend)
	}
	db, err := database.Open(ctx, dsn, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return db
}

var (
	templatesMu sync.Mutex
	templates   = map[string]string{} // seed kind → template database name
)

// postgresClone creates a database for one test from a template that holds
// the seeded data set, and drops it at the end of the test.
func postgresClone(t testing.TB, kind string) string {
	t.Helper()
	base := os.Getenv(EnvURL)
	admin, err := stdsql.Open("postgres", withDefaults(base))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	tmpl := template(t, admin, base, kind)
	name := fmt.Sprintf("dpcma_t_%d_%d_%d", os.Getpid(), time.Now().UnixNano()%1e6, counter.Add(1))
	if _, err := admin.Exec("CREATE DATABASE " + name + " TEMPLATE " + tmpl); err != nil {
		t.Fatalf("creating test database: %v", err)
	}
	t.Cleanup(func() {
		a, err := stdsql.Open("postgres", withDefaults(base))
		if err != nil {
			return
		}
		defer a.Close()
		_, _ = a.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)") // best effort at cleanup
	})
	return withDatabase(base, name)
}

func template(t testing.TB, admin *stdsql.DB, base, kind string) string {
	templatesMu.Lock()
	defer templatesMu.Unlock()
	if name, ok := templates[kind]; ok {
		return name
	}
	name := fmt.Sprintf("dpcma_tmpl_%s_%d", kind, os.Getpid())
	_, _ = admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)") // a leftover of a killed run
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		t.Fatalf("creating template database: %v", err)
	}
	ctx := context.Background()
	db, err := database.Open(ctx, withDatabase(base, name))
	if err != nil {
		t.Fatal(err)
	}
	err = db.Migrate(ctx)
	if err == nil && kind != seed.None {
		_, err = seed.Run(ctx, db, kind, nil)
	}
	db.Close()
	if err != nil {
		t.Fatalf("preparing template %s: %v", name, err)
	}
	templates[kind] = name
	return name
}

// DropTemplates removes the template databases; call it from TestMain.
func DropTemplates() {
	base := os.Getenv(EnvURL)
	if base == "" {
		return
	}
	admin, err := stdsql.Open("postgres", withDefaults(base))
	if err != nil {
		return
	}
	defer admin.Close()
	templatesMu.Lock()
	defer templatesMu.Unlock()
	for _, name := range templates {
		_, _ = admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)") // best effort at cleanup
	}
}

func withDatabase(dsn, name string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return dsn
	}
	u.Path = "/" + name
	return u.String()
}

func withDefaults(dsn string) string {
	if strings.Contains(dsn, "sslmode=") {
		return dsn
	}
	if strings.Contains(dsn, "?") {
		return dsn + "&sslmode=disable"
	}
	return dsn + "?sslmode=disable"
}

// Main runs a package's tests and then drops the template databases; call
// it from TestMain.
func Main(m *testing.M) {
	code := m.Run()
	DropTemplates()
	os.Exit(code)
}

// EnvBenchURL names the England-scale database the benchmarks read.
const EnvBenchURL = "DPCMA_BENCH_DATABASE_URL"

// OpenBench opens the database named by DPCMA_BENCH_DATABASE_URL for a
// benchmark, closed when the benchmark and its cleanups end; without it
// the benchmark is skipped.
func OpenBench(b testing.TB, opts ...database.Option) *database.DB {
	b.Helper()
	dsn := os.Getenv(EnvBenchURL)
	if dsn == "" {
		b.Skip(EnvBenchURL + " is not set")
	}
	db, err := database.Open(context.Background(), dsn, opts...)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	return db
}
