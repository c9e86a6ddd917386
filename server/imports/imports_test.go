package imports_test

import (
	stdsql "database/sql"
	"strconv"
	"testing"

	"dpcma/server/database"
	"dpcma/server/dbtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// query returns every row as strings (NULL as "").
func query(t testing.TB, db *database.DB, q string, args ...any) [][]string {
	t.Helper()
	rows, err := db.SQL.Query(database.Rebind(db.Dialect, q), args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out [][]string
	for rows.Next() {
		vals := make([]stdsql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		row := make([]string, len(cols))
		for i, v := range vals {
			row[i] = v.String
		}
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func count(t testing.TB, db *database.DB, q string, args ...any) int {
	t.Helper()
	n, err := strconv.Atoi(query(t, db, q, args...)[0][0])
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func revision(t testing.TB, db *database.DB) int {
	return count(t, db, "SELECT COALESCE(MAX(revision), 0) FROM data_revisions")
}
