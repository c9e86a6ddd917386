package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"dpcma/server/database"
	"dpcma/server/rollup"
)

// The derived tables (scores, roll-ups, priority sums, compliance counts)
// are kept exact by every write. These commands check that, and put it
// right where it is not: after a rolling upgrade in which instances of an
// earlier release, which do not know a newer derived table, took
// submissions; or after the database was changed by hand.

// derivedScope is what verify and rebuild cover: the open periods, whose
// figures follow today's tree of organisations, or with --all-periods
// every period (a closed period keeps the figures of the tree it was
// rolled up with, which a rebuild on today's tree would replace).
func derivedScope(ctx context.Context, db *database.DB, all bool) (rollup.Scope, string, error) {
	if all {
		return rollup.Scope{}, "every period", nil
	}
	open, err := rollup.OpenPeriods(ctx, db.SQL)
	if err != nil {
		return rollup.Scope{}, "", err
	}
	if len(open) == 0 {
		return rollup.Scope{}, "", fmt.Errorf("no period is open: give --all-periods to cover the closed ones")
	}
	return rollup.Scope{PeriodIDs: open}, fmt.Sprintf("the %d open period(s)", len(open)), nil
}

// verifyDerived runs "verify": the derived tables against a rebuild from
// the answers, in a transaction it rolls back; an error (exit status 1)
// naming the first differences when they differ.
func verifyDerived(ctx context.Context, db *database.DB, all bool, stdout io.Writer) error {
	scope, what, err := derivedScope(ctx, db, all)
	if err != nil {
		return err
	}
	start := time.Now()
	if err := rollup.Verify(ctx, db.SQL, db.Dialect, scope); err != nil {
		return fmt.Errorf("verify, %s: %w (run rebuild to put them right)", what, err)
	}
	fmt.Fprintf(stdout, "dpcma: the derived tables of %s match the answers (checked in %s)\n", what, time.Since(start).Round(time.Millisecond))
	return nil
}

// rebuildDerived runs "rebuild": the derived tables recomputed from the
// answers in one transaction, which submissions wait for.
func rebuildDerived(ctx context.Context, db *database.DB, all bool, stdout io.Writer) error {
	scope, what, err := derivedScope(ctx, db, all)
	if err != nil {
		return err
	}
	start := time.Now()
	tx, err := db.SQL.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }() // a no-op after Commit
	if err := rollup.Rebuild(ctx, tx, db.Dialect, scope); err != nil {
		return fmt.Errorf("rebuild, %s: %w", what, err)
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "dpcma: rebuilt the derived tables of %s in %s\n", what, time.Since(start).Round(time.Millisecond))
	return nil
}
