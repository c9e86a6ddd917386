package answers_test

import (
	"context"
	stdsql "database/sql"
	"slices"
	"strings"
	"testing"

	"dpcma/ent/indicator"
	"dpcma/server/answers"
	"dpcma/server/database"
	"dpcma/server/dbtest"
	"dpcma/server/rollup"
	"dpcma/server/seed"
)

// The indicator roll-ups (the sums priorities and peers' shares read) move
// with a practice's answers and with a CCG's (which rescore every practice
// of the CCG), and stay equal to a fresh rebuild from the answers; a closed
// practice's answers move none of them, nor do a closed CCG's.
func TestIndicatorRollupsMatchARebuild(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, backend string) {
		db := dbtest.Open(t, backend, seed.Small)
		f := load(t, db)
		ccg := f.ccgs[0]
		practice, other := f.practices[ccg][0], f.practices[ccg][1]
		table := func() string {
			t.Helper()
			rows := query(t, db, "SELECT org_id, period_id, indicator_id, "+strings.Join(rollup.IndicatorRollups.Names(), ", ")+
				" FROM org_indicator_rollups ORDER BY org_id, period_id, indicator_id")
			if len(rows) == 0 {
				t.Fatal("no indicator roll-ups")
			}
			var b strings.Builder
			for _, r := range rows {
				b.WriteString(strings.Join(r, " ") + "\n")
			}
			return b.String()
		}
		submit := func(s answers.Submission) {
			t.Helper()
			s.Period = f.open
			if _, err := answers.Submit(context.Background(), db, admin, s); err != nil {
				t.Fatal(err)
			}
		}
		// Every answer of a kind set to value: short, met or not applicable.
		answersOf := func(respondent indicator.Respondent, kinds []indicator.AnswerType, value string) []answers.Answer {
			var out []answers.Answer
			for _, i := range f.indicators {
				if i.respondent == respondent && slices.Contains(kinds, i.kind) {
					v := value
					out = append(out, answers.Answer{Indicator: i.code, Value: &v})
				}
			}
			return out
		}
		bool := []indicator.AnswerType{indicator.AnswerTypeBOOL}
		steps := []indicator.AnswerType{indicator.AnswerTypePCT, indicator.AnswerTypeORD}

		for _, step := range []struct {
			what string
			s    answers.Submission
		}{
			{"a practice's answers missing their targets", answers.Submission{Practice: practice,
				Answers: append(answersOf(indicator.RespondentPRACTICE, bool, "no"), answersOf(indicator.RespondentPRACTICE, steps, "0")...)}},
			{"the same practice meeting them", answers.Submission{Practice: practice, Answers: answersOf(indicator.RespondentPRACTICE, bool, "yes")}},
			{"a CCG's answers missing their targets", answers.Submission{Organisation: ccg,
				Answers: append(answersOf(indicator.RespondentCCG, bool, "no"), answersOf(indicator.RespondentCCG, steps, "0")...)}},
			{"the CCG meeting some", answers.Submission{Organisation: ccg, Answers: answersOf(indicator.RespondentCCG, bool, "yes")}},
		} {
			before := table()
			submit(step.s)
			if table() == before {
				t.Errorf("%s moved no indicator roll-up", step.what)
			}
			dbtest.AssertMatchesRebuild(t, db)
		}

		// A practice closes (as an ODS import records it, with a rebuild):
		// its answers then move nothing, and its CCG's answers move its
		// other practices only.
		tx, err := db.SQL.Begin()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Exec(database.Rebind(db.Dialect, "UPDATE practices SET status = 'CLOSED' WHERE ods_code = ?"), other); err != nil {
			t.Fatal(err)
		}
		if err := rollup.Rebuild(context.Background(), tx, db.Dialect, rollup.Scope{}); err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		before := table()
		submit(answers.Submission{Practice: other, Answers: answersOf(indicator.RespondentPRACTICE, bool, "no")})
		if table() != before {
			t.Error("a closed practice's answers moved the indicator roll-ups")
		}
		submit(answers.Submission{Organisation: ccg, Answers: answersOf(indicator.RespondentCCG, bool, "no")})
		if table() == before {
			t.Error("the CCG's answers moved no indicator roll-up")
		}
		dbtest.AssertMatchesRebuild(t, db)

		// The CCG closes with its practices: its own answers then count in
		// no figure.
		closeAll := func(tx *stdsql.Tx) error {
			if _, err := tx.Exec(database.Rebind(db.Dialect, "UPDATE practices SET status = 'CLOSED' WHERE ccg_id = (SELECT id FROM organisations WHERE ods_code = ?)"), ccg); err != nil {
				return err
			}
			if _, err := tx.Exec(database.Rebind(db.Dialect, "UPDATE organisations SET status = 'CLOSED' WHERE ods_code = ?"), ccg); err != nil {
				return err
			}
			return rollup.Rebuild(context.Background(), tx, db.Dialect, rollup.Scope{})
		}
		tx, err = db.SQL.Begin()
		if err != nil {
			t.Fatal(err)
		}
		if err := closeAll(tx); err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		before = table()
		submit(answers.Submission{Organisation: ccg, Answers: answersOf(indicator.RespondentCCG, bool, "yes")})
		if table() != before {
			t.Error("a closed CCG's answers moved the indicator roll-ups")
		}
		dbtest.AssertMatchesRebuild(t, db)
	})
}
