package answers_test

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"dpcma/ent/indicator"
	"dpcma/ent/organisation"
	"dpcma/ent/practice"
	"dpcma/server/answers"
	"dpcma/server/compliance"
	"dpcma/server/database"
	"dpcma/server/dbtest"
	"dpcma/server/rollup"
	"dpcma/server/seed"
)

// The compliance roll-ups move with a practice's answers and with a CCG's
// (which count for every practice of the CCG), and stay equal to a fresh
// rebuild from the answers and to the check made on request (the
// statement that counts the practices passing a filter, here one every
// practice passes), for every set, tier and contract type, the unknown
// contract type included.
func TestComplianceRollupsMatchARebuildAndTheCheck(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, backend string) {
		ctx := context.Background()
		db := dbtest.Open(t, backend, seed.Small)
		f := load(t, db)
		ccg := f.ccgs[0]
		practiceCode, other := f.practices[ccg][0], f.practices[ccg][1]

		// A practice of no known contract type, counted apart.
		tx, err := db.SQL.Begin()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Exec(database.Rebind(db.Dialect, "UPDATE practices SET contract_type = NULL WHERE ods_code = ?"), other); err != nil {
			t.Fatal(err)
		}
		if err := rollup.Rebuild(ctx, tx, db.Dialect, rollup.Scope{}); err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}

		table := func() string {
			t.Helper()
			var b strings.Builder
			for _, r := range query(t, db, `SELECT org_id, period_id, set_id, contract_type, practice_count, met_count, unknown_count
				FROM org_compliance_rollups ORDER BY org_id, period_id, set_id, contract_type`) {
				b.WriteString(strings.Join(r, " ") + "\n")
			}
			for _, r := range query(t, db, `SELECT org_id, period_id, set_id, indicator_id, met_count, answered_count
				FROM org_requirement_rollups ORDER BY org_id, period_id, set_id, indicator_id`) {
				b.WriteString(strings.Join(r, " ") + "\n")
			}
			if b.Len() == 0 {
				t.Fatal("no compliance roll-ups")
			}
			return b.String()
		}
		submit := func(s answers.Submission) {
			t.Helper()
			s.Period = f.open
			if _, err := answers.Submit(ctx, db, admin, s); err != nil {
				t.Fatal(err)
			}
		}
		answersOf := func(respondent indicator.Respondent, value string) []answers.Answer {
			var out []answers.Answer
			for _, i := range f.indicators {
				if i.respondent == respondent && i.kind == indicator.AnswerTypeBOOL {
					v := value
					out = append(out, answers.Answer{Indicator: i.code, Value: &v})
				}
			}
			return out
		}
		notApplicable := func(respondent indicator.Respondent) []answers.Answer {
			var out []answers.Answer
			for _, i := range f.indicators {
				if i.respondent == respondent && i.kind == indicator.AnswerTypePCT {
					out = append(out, answers.Answer{Indicator: i.code, NotApplicable: true})
				}
			}
			return out
		}
		for _, step := range []struct {
			what string
			s    answers.Submission
		}{
			{"a practice failing every yes/no requirement", answers.Submission{Practice: practiceCode, Answers: answersOf(indicator.RespondentPRACTICE, "no")}},
			{"the practice meeting them", answers.Submission{Practice: practiceCode, Answers: answersOf(indicator.RespondentPRACTICE, "yes")}},
			{"the practice's percentages not applicable", answers.Submission{Practice: practiceCode, Answers: notApplicable(indicator.RespondentPRACTICE)}},
			{"a practice of no known contract type meeting them", answers.Submission{Practice: other, Answers: answersOf(indicator.RespondentPRACTICE, "yes")}},
			{"its CCG failing its yes/no requirements", answers.Submission{Organisation: ccg, Answers: answersOf(indicator.RespondentCCG, "no")}},
			{"the CCG meeting them", answers.Submission{Organisation: ccg, Answers: answersOf(indicator.RespondentCCG, "yes")}},
		} {
			before := table()
			submit(step.s)
			if table() == before {
				t.Errorf("%s moved no compliance roll-up", step.what)
			}
			dbtest.AssertMatchesRebuild(t, db)
		}

		// The roll-ups, as Organisations reads them, against the check on
		// request, for every organisation and set in the open period.
		sets, err := compliance.Sets(ctx, db.Client)
		if err != nil {
			t.Fatal(err)
		}
		period := db.Client.AssessmentPeriod.Query().FirstX(ctx)
		for _, p := range db.Client.AssessmentPeriod.Query().AllX(ctx) {
			if p.Code == f.open {
				period = p
			}
		}
		var scopes []compliance.Scope
		for _, tier := range []organisation.Tier{organisation.TierNATIONAL, organisation.TierREGION, organisation.TierSTP, organisation.TierCCG} {
			ids := db.Client.Organisation.Query().Where(organisation.TierEQ(tier)).IDsX(ctx)
			scopes = append(scopes, compliance.Scope{Column: rollup.PracticeColumn(tier), OrgIDs: ids})
		}
		every := practice.IDGT(0)
		unknownContract := false
		for _, set := range sets {
			stored, err := compliance.Organisations(ctx, db.Client, db.Dialect, set, period.ID, nil, scopes...)
			if err != nil {
				t.Fatal(err)
			}
			checked, err := compliance.Organisations(ctx, db.Client, db.Dialect, set, period.ID, every, scopes...)
			if err != nil {
				t.Fatal(err)
			}
			for org, want := range checked {
				got := stored[org]
				sortGroups(got)
				sortGroups(want)
				if !reflect.DeepEqual(got, want) {
					t.Errorf("%s, organisation %d: the roll-ups give %s, the check %s", set.Code, org, figures(got), figures(want))
				}
				unknownContract = unknownContract || slices.ContainsFunc(got.ByContractType, func(c compliance.ContractFigures) bool {
					return c.ContractType == nil && c.PracticeCount > 0
				})
			}
			if len(stored) != len(checked) {
				t.Errorf("%s: %d organisations from the roll-ups, %d checked", set.Code, len(stored), len(checked))
			}
		}
		if !unknownContract {
			t.Error("no organisation counted a practice of unknown contract type")
		}
	})
}

// figures shows the counts of compliance figures.
func figures(f *compliance.Figures) string {
	s := fmt.Sprintf("%d practices, %d met, %d unknown; by requirement", f.PracticeCount, f.MetCount, f.UnknownCount)
	for _, r := range f.ByRequirement {
		s += fmt.Sprintf(" %s %d/%d", r.Requirement.Indicator, r.MetCount, r.AnsweredCount)
	}
	s += "; by contract type"
	for _, c := range f.ByContractType {
		name := "unknown"
		if c.ContractType != nil {
			name = string(*c.ContractType)
		}
		s += fmt.Sprintf(" %s %d/%d", name, c.MetCount, c.PracticeCount)
	}
	return s
}

// sortGroups puts the contract types in one order: the check lists them
// as its statement returns them.
func sortGroups(f *compliance.Figures) {
	name := func(c compliance.ContractFigures) string {
		if c.ContractType == nil {
			return "~"
		}
		return string(*c.ContractType)
	}
	slices.SortFunc(f.ByContractType, func(a, b compliance.ContractFigures) int { return strings.Compare(name(a), name(b)) })
}
