package rollup

import (
	"context"
	"fmt"
)

// Rebuilds and submissions change the same derived rows two ways: a
// rebuild deletes and rewrites them from the answers it reads, a
// submission adds its change to them. On PostgreSQL the two run side by
// side, and either order loses the submission's change: a rebuild that
// read the answers before the submission committed writes rows without
// it, and a submission's update meets rows the rebuild deleted. One
// advisory lock orders them: each submission holds it shared for its
// transaction, each rebuild exclusively. SQLite has one writer at a time
// already.

// derivedLock is the advisory lock's key: any number of ours, unused by
// anything else in the database ("dpcm").
const derivedLock = 0x6470636d

// LockForRebuild waits for the submissions in flight to commit and holds
// back new ones until the transaction ends. Call it first in a
// transaction that rebuilds, before it locks any row a submission locks
// (an organisation, an answer): otherwise the two can wait for each
// other. Rebuild and RebuildCompliance call it too, which is harmless
// after the caller's.
func LockForRebuild(ctx context.Context, tx Execer, dialect string) error {
	return advisoryLock(ctx, tx, dialect, "pg_advisory_xact_lock")
}

// LockForDeltas lets a submission's transaction add its changes to the
// derived rows alongside other submissions, and not alongside a rebuild.
// Call it first in the transaction, before reading the answers.
func LockForDeltas(ctx context.Context, tx Execer, dialect string) error {
	return advisoryLock(ctx, tx, dialect, "pg_advisory_xact_lock_shared")
}

func advisoryLock(ctx context.Context, tx Execer, dialect, function string) error {
	if dialect != "postgres" {
		return nil
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("SELECT %s(%d)", function, derivedLock)); err != nil {
		return fmt.Errorf("waiting for the derived tables: %w", err)
	}
	return nil
}
