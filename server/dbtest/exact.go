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
