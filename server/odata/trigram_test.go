package odata

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"testing"

	"dpcma/server/dataset"
	"dpcma/server/dbtest"
	"dpcma/server/seed"
)

// trigramIndexes are the indexes docs/operations.md gives for fast
// contains, startswith and endswith over the answers (pg_trgm): on the
// text, and on its lower case for Power BI's case-insensitive filters.
var trigramIndexes = []string{
	"CREATE EXTENSION IF NOT EXISTS pg_trgm",
	"CREATE INDEX IF NOT EXISTS response_value_trgm ON responses USING gin (value gin_trgm_ops)",
	"CREATE INDEX IF NOT EXISTS response_value_lower_trgm ON responses USING gin (lower(value) gin_trgm_ops)",
}

// The feed's text filters over Responses are written so that the
// trigram indexes of docs/operations.md serve them: with the indexes
// created, PostgreSQL can answer each filter's page from an index (the
// plan with sequential scans off uses the index, where a filter the
// index cannot serve would still scan).
func TestTextFiltersCanUseTrigramIndexes(t *testing.T) {
	if !slices.Contains(dbtest.Backends(t), dbtest.Postgres) {
		t.Skip("PostgreSQL only")
	}
	db := dbtest.Open(t, dbtest.Postgres, seed.Small)
	ctx := context.Background()
	for _, stmt := range trigramIndexes {
		if _, err := db.SQL.ExecContext(ctx, stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	for filter, index := range map[string]string{
		"contains(Value, 'EMIS')":                 "response_value_trgm",
		"startswith(Value, 'System')":             "response_value_trgm",
		"endswith(Value, 'Web') and Score gt 0":   "response_value_trgm",
		"contains(tolower(Value), 'emis web')":    "response_value_lower_trgm",
		"contains(Value, '50%_') or Value eq 'x'": "response_value_trgm",
	} {
		o, err := parseOptions(dataset.Responses, url.Values{"$filter": {filter}})
		if err != nil {
			t.Fatal(err)
		}
		o.page(1000)
		b := dataset.NewBuilder(db.Dialect)
		sql := o.query.SQL(b)
		tx, err := db.SQL.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.ExecContext(ctx, "SET LOCAL enable_seqscan = off"); err != nil {
			t.Fatal(err)
		}
		rows, err := tx.QueryContext(ctx, "EXPLAIN "+sql, b.Args()...)
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var line string
			if err := rows.Scan(&line); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, line)
		}
		rows.Close()
		_ = tx.Rollback()
		if !strings.Contains(strings.Join(plan, "\n"), "Bitmap Index Scan on "+index) {
			t.Errorf("%s: the plan does not use %s:\n%s", filter, index, strings.Join(plan, "\n"))
		}
	}
}
