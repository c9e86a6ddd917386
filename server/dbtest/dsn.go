package dbtest

import (
	"context"
	"path/filepath"
	"testing"

	"dpcma/server/database"
)

// DSN returns the address of a fresh, migrated database holding the data
// set kind, for tests that open pools of their own on it (several server
// instances on one database): a SQLite file in the test's temporary
// directory, or a PostgreSQL database dropped when the test ends.
func DSN(t testing.TB, backend, kind string) string {
	t.Helper()
	switch backend {
	case SQLite:
		dsn := "sqlite://" + filepath.Join(t.TempDir(), "dpcma.db")
		ctx := context.Background()
		db, err := database.Open(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		fill(t, db, kind)
		return dsn
	case Postgres:
		return postgresClone(t, kind)
	}
	t.Fatalf("unknown backend %q", backend)
	return ""
}
