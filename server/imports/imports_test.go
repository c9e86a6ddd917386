package imports_test

import (
	stdsql "database/sql"
	"strconv"
	"testing"

	"dpcma/server/database"
	"dpcma/server/dbtest"
	"dpcma/server/seed"
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

// TestRevisingAPeriodTouchesNoIndex: on PostgreSQL, responses keep half of
// each page free (a migration), so that revising every answer of a period,
// as an import or a round of submissions does, updates each row in place
// (HOT) without an entry in any of the table's four indexes.
func TestRevisingAPeriodTouchesNoIndex(t *testing.T) {
	dbtest.PostgresOnly(t)
	db := dbtest.Open(t, dbtest.Postgres, seed.Small)
	tx, err := db.SQL.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback() }()
	res, err := tx.Exec(`UPDATE responses SET submitted_by = 'revised', score = score
		WHERE period_id = (SELECT MAX(period_id) FROM responses)`)
	if err != nil {
		t.Fatal(err)
	}
	updated, _ := res.RowsAffected()
	var hot int64
	if err := tx.QueryRow("SELECT pg_stat_get_xact_tuples_hot_updated('responses'::regclass)").Scan(&hot); err != nil {
		t.Fatal(err)
	}
	if updated < 100 || hot != updated {
		t.Errorf("%d of %d answers updated in place (HOT), want all", hot, updated)
	}
}
