package answers_test

import (
	"context"
	"testing"
	"time"

	"dpcma/ent/indicator"
	"dpcma/server/answers"
	"dpcma/server/dbtest"
	"dpcma/server/rollup"
	"dpcma/server/seed"
)

// On PostgreSQL a submission and a rebuild run side by side: a submission
// made while a rebuild's transaction is open (here a requirement set's
// recount, as an ADMIN's change makes it) waits for it, and its changes
// are then in the derived tables, as a rebuild from the answers gives
// them. Without the wait the submission's changes went to rows the
// recount had deleted, or the recount missed its answers.
func TestASubmissionWaitsForARebuild(t *testing.T) {
	dbtest.PostgresOnly(t)
	ctx := context.Background()
	db := dbtest.Open(t, dbtest.Postgres, seed.Small)
	f := load(t, db)
	var setID int
	if err := db.SQL.QueryRowContext(ctx, "SELECT MIN(id) FROM requirement_sets").Scan(&setID); err != nil {
		t.Fatal(err)
	}
	var no []answers.Answer
	for _, i := range f.indicators {
		if i.respondent == indicator.RespondentPRACTICE && i.kind == indicator.AnswerTypeBOOL {
			v := "no"
			no = append(no, answers.Answer{Indicator: i.code, Value: &v})
		}
	}
	for _, rebuild := range []struct {
		name string
		run  func(tx rollup.Execer) error
	}{
		{"a set's recount", func(tx rollup.Execer) error { return rollup.RebuildCompliance(ctx, tx, db.Dialect, setID) }},
		{"a rebuild", func(tx rollup.Execer) error { return rollup.Rebuild(ctx, tx, db.Dialect, rollup.Scope{}) }},
	} {
		tx, err := db.SQL.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := rebuild.run(tx); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() {
			_, err := answers.Submit(ctx, db, admin, answers.Submission{Practice: f.practices[f.ccgs[0]][0], Period: f.open, Answers: no})
			done <- err
		}()
		// Long enough for the submission to reach its writes, were it not
		// held back.
		time.Sleep(300 * time.Millisecond)
		select {
		case err := <-done:
			t.Errorf("%s: the submission ended (%v) while the rebuild's transaction was open", rebuild.name, err)
		default:
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		dbtest.AssertMatchesRebuild(t, db)
		// Flip the answers for the next round, so that it changes them.
		for i := range no {
			v := map[string]string{"no": "yes", "yes": "no"}[*no[i].Value]
			no[i].Value = &v
		}
	}
}
