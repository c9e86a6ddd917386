package dbtest

import (
	"context"
	"testing"

	"dpcma/server/database"
	"dpcma/server/rollup"
)

// Writes keep the derived tables (practice_scores, org_rollups,
// org_indicator_rollups) exact by deltas or partial rebuilds; tests hold
// them equal to a full rebuild.

// AssertMatchesRebuild compares the derived tables with a full rebuild from the
// raw answers (run in a transaction that is rolled back).
func AssertMatchesRebuild(t testing.TB, db *database.DB) {
	t.Helper()
	if err := rollup.Verify(context.Background(), db.SQL, db.Dialect, rollup.Scope{}); err != nil {
		t.Fatal(err)
	}
}

// AssertOpenPeriodsMatchRebuild is AssertMatchesRebuild for the open
// periods, after a change of the tree (an ODS import): a closed period
// keeps the figures of its own tree, which a rebuild on today's tree would
// not give.
func AssertOpenPeriodsMatchRebuild(t testing.TB, db *database.DB) {
	t.Helper()
	ctx := context.Background()
	open, err := rollup.OpenPeriods(ctx, db.SQL)
	if err != nil {
		t.Fatal(err)
	}
	if len(open) == 0 {
		t.Fatal("no open period to verify")
	}
	if err := rollup.Verify(ctx, db.SQL, db.Dialect, rollup.Scope{PeriodIDs: open}); err != nil {
		t.Fatal(err)
	}
}
