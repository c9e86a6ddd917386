package answers_test

import (
	"context"
	stdsql "database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"testing"

	"dpcma/ent/grant"
	"dpcma/ent/indicator"
	"dpcma/server/access"
	"dpcma/server/answers"
	"dpcma/server/database"
	"dpcma/server/dbtest"
	"dpcma/server/fault"
	"dpcma/server/rollup"
	"dpcma/server/seed"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

var admin = access.System("test-admin")

// fixture holds what the tests need to know of the small data set.
type fixture struct {
	db *database.DB
	// practices by CCG code; ccgs lists the CCG codes.
	practices  map[string][]string
	ccgs       []string
	regionOf   map[string]int // CCG code → region id
	indicators []ind
	open       string // the open period's code
	closed     string
}

type ind struct {
	code       string
	kind       indicator.AnswerType
	respondent indicator.Respondent
	maxStep    int
	choices    string
}

func load(t *testing.T, db *database.DB) *fixture {
	t.Helper()
	f := &fixture{db: db, practices: map[string][]string{}, regionOf: map[string]int{}}
	rows := query(t, db, `SELECT p.ods_code, c.ods_code, s.parent_id FROM practices p JOIN organisations c ON c.id = p.ccg_id
		JOIN organisations s ON s.id = c.parent_id ORDER BY p.ods_code`)
	for _, r := range rows {
		ccg := r[1]
		if _, ok := f.practices[ccg]; !ok {
			f.ccgs = append(f.ccgs, ccg)
		}
		f.practices[ccg] = append(f.practices[ccg], r[0])
		f.regionOf[ccg], _ = strconv.Atoi(r[2])
	}
	for _, r := range query(t, db, `SELECT code, answer_type, respondent, COALESCE(max_step, 0), COALESCE(choices, '') FROM indicators ORDER BY code`) {
		step, _ := strconv.Atoi(r[3])
		f.indicators = append(f.indicators, ind{r[0], indicator.AnswerType(r[1]), indicator.Respondent(r[2]), step, r[4]})
	}
	for _, r := range query(t, db, `SELECT code, status FROM assessment_periods ORDER BY code`) {
		if r[1] == "OPEN" {
			f.open = r[0]
		} else {
			f.closed = r[0]
		}
	}
	return f
}

// query returns every row as strings (NULL as "").
func query(t *testing.T, db *database.DB, q string, args ...any) [][]string {
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
	return out
}

func count(t *testing.T, db *database.DB, q string, args ...any) int {
	t.Helper()
	n, _ := strconv.Atoi(query(t, db, q, args...)[0][0])
	return n
}

// randomValue is a valid answer to i.
func randomValue(r *rand.Rand, i ind) *string {
	var v string
	switch i.kind {
	case indicator.AnswerTypeBOOL:
		v = []string{"yes", "no", "Y", "false"}[r.IntN(4)]
	case indicator.AnswerTypePCT:
		v = strconv.FormatFloat(float64(r.IntN(1001))/10, 'f', -1, 64)
	case indicator.AnswerTypeORD:
		v = strconv.Itoa(r.IntN(i.maxStep + 1))
	case indicator.AnswerTypeCHOICE:
		choices := strings.Split(strings.Trim(i.choices, `[]`), ",")
		v = strings.Trim(choices[r.IntN(len(choices))], `"`)
	}
	return &v
}

// randomSubmission answers a random set of a random subject's indicators.
func (f *fixture) randomSubmission(r *rand.Rand, period string) answers.Submission {
	ccg := f.ccgs[r.IntN(len(f.ccgs))]
	s := answers.Submission{Period: period}
	want := indicator.RespondentPRACTICE
	if r.IntN(4) == 0 {
		s.Organisation, want = ccg, indicator.RespondentCCG
	} else {
		s.Practice = f.practices[ccg][r.IntN(len(f.practices[ccg]))]
	}
	for _, i := range f.indicators {
		if i.respondent != want || r.IntN(3) == 0 {
			continue
		}
		a := answers.Answer{Indicator: i.code}
		if r.IntN(12) == 0 {
			a.NotApplicable = true
		} else {
			a.Value = randomValue(r, i)
		}
		s.Answers = append(s.Answers, a)
	}
	if len(s.Answers) == 0 {
		for _, i := range f.indicators {
			if i.respondent == want {
				s.Answers = append(s.Answers, answers.Answer{Indicator: i.code, Value: randomValue(r, i)})
				break
			}
		}
	}
	return s
}

// Random submissions by practices and CCGs, in open and closed periods,
// leave every practice score and every roll-up at every tier equal to a
// full recomputation from the raw answers.
func TestSubmissionsKeepEveryRollupExact(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, backend string) {
		db := dbtest.Open(t, backend, seed.Small)
		ctx := context.Background()
		// One practice of Cumbria (split between two STPs) closed: it is
		// scored but counts in no roll-up.
		tx, err := db.SQL.BeginTx(ctx, nil) // the rebuild's temporary tables need one connection
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE practices SET status = 'CLOSED' WHERE id =
			(SELECT MIN(p.id) FROM practices p JOIN organisations c ON c.id = p.ccg_id WHERE c.ods_code = '01H')`); err != nil {
			t.Fatal(err)
		}
		if err := rollup.Rebuild(ctx, tx, db.Dialect, rollup.Scope{}); err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		f := load(t, db)
		r := rand.New(rand.NewPCG(1, 2))
		changed := 0
		for i := 0; i < 60; i++ {
			period := f.open
			if i%3 == 0 {
				period = f.closed
			}
			res, err := answers.Submit(ctx, db, admin, f.randomSubmission(r, period))
			if err != nil {
				t.Fatalf("submission %d: %v", i, err)
			}
			changed += res.Changed
		}
		if changed < 300 {
			t.Fatalf("only %d answers changed", changed)
		}
		dbtest.AssertMatchesRebuild(t, db)
	})
}

// Repeating a submission changes nothing: no row, no audit event, no new
// data revision.
func TestRepeatingASubmissionChangesNothing(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, backend string) {
		db := dbtest.Open(t, backend, seed.Small)
		f := load(t, db)
		ctx := context.Background()
		s := f.randomSubmission(rand.New(rand.NewPCG(3, 4)), f.open)
		first, err := answers.Submit(ctx, db, admin, s)
		if err != nil {
			t.Fatal(err)
		}
		revision := query(t, db, "SELECT revision FROM data_revisions")[0][0]
		audits := count(t, db, "SELECT COUNT(*) FROM audit_events")
		second, err := answers.Submit(ctx, db, admin, s)
		if err != nil {
			t.Fatal(err)
		}
		if second.Changed != 0 || fmt.Sprint(second.ResponseIDs) != fmt.Sprint(first.ResponseIDs) {
			t.Errorf("repeat: changed %d, ids %v then %v", second.Changed, first.ResponseIDs, second.ResponseIDs)
		}
		if got := query(t, db, "SELECT revision FROM data_revisions")[0][0]; got != revision {
			t.Errorf("revision moved from %s to %s", revision, got)
		}
		if got := count(t, db, "SELECT COUNT(*) FROM audit_events"); got != audits {
			t.Errorf("audit events %d, then %d", audits, got)
		}
		if first.Changed == 0 || audits < first.Changed {
			t.Errorf("first submission changed %d answers with %d audit events", first.Changed, audits)
		}
	})
}

// Each bad answer gets its own error naming the indicator and the reason,
// and nothing of the submission is written.
func TestBadAnswersAreRefusedTogether(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, backend string) {
		db := dbtest.Open(t, backend, seed.Small)
		f := load(t, db)
		practice := f.practices[f.ccgs[0]][0]
		str := func(s string) *string { return &s }
		before := query(t, db, "SELECT COUNT(*), (SELECT revision FROM data_revisions), (SELECT COUNT(*) FROM audit_events) FROM responses")
		_, err := answers.Submit(context.Background(), db, admin, answers.Submission{Practice: practice, Period: f.open, Answers: []answers.Answer{
			{Indicator: "PO01", Value: str("yes")}, // fine, but must not be written
			{Indicator: "PO04", Value: str("120")},
			{Indicator: "ER09", Value: str("4")},
			{Indicator: "PO02", Value: str("maybe")},
			{Indicator: "CS01", Value: str("Cerner")},
			{Indicator: "SV01", Value: str("yes")}, // a CCG-level indicator
			{Indicator: "XX99", Value: str("yes")},
			{Indicator: "PO03"},
			{Indicator: "PO05", Value: str("10"), NotApplicable: true},
			{Indicator: "PO01", Value: str("no")},
		}})
		var list fault.List
		if !errors.As(err, &list) {
			t.Fatalf("got %v, want a list of answer errors", err)
		}
		want := []string{"PO04", "ER09", "PO02", "CS01", "SV01", "XX99", "PO03", "PO05", "PO01"}
		if len(list) != len(want) {
			t.Fatalf("%d errors, want %d: %v", len(list), len(want), list)
		}
		for i, e := range list {
			if e.Code != fault.BadUserInput || e.Extensions["indicator"] != want[i] || e.Extensions["reason"] == "" {
				t.Errorf("error %d: %s %v %q", i, e.Code, e.Extensions, e.Message)
			}
		}
		if after := query(t, db, "SELECT COUNT(*), (SELECT revision FROM data_revisions), (SELECT COUNT(*) FROM audit_events) FROM responses"); fmt.Sprint(after) != fmt.Sprint(before) {
			t.Errorf("answers, revision, audit events: %v before, %v after a refused submission", before, after)
		}
	})
}

// Every role, against its own and another scope, in an open and a closed
// period, gets the documented answer.
func TestWhoMaySubmit(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, backend string) {
		db := dbtest.Open(t, backend, seed.Small)
		f := load(t, db)
		ids := func(q string, code string) int { return count(t, db, q, code) }
		ccg, other := f.ccgs[0], f.ccgs[1]
		own, foreign := f.practices[ccg][0], f.practices[other][0]
		ccgID := ids("SELECT id FROM organisations WHERE ods_code = ?", ccg)
		practiceID := ids("SELECT id FROM practices WHERE ods_code = ?", own)
		region := f.regionOf[ccg]
		principals := map[string]*access.Principal{
			"anonymous": nil,
			"VIEWER":    {Email: "v@nhs.net", Grants: []access.Grant{{Role: grant.RoleVIEWER}}},
			"PRACTICE":  {Email: "p@nhs.net", Grants: []access.Grant{{Role: grant.RolePRACTICE, PracticeID: practiceID}}},
			"CCG":       {Email: "c@nhs.net", Grants: []access.Grant{{Role: grant.RoleCCG, OrgID: ccgID}}},
			"REGION":    {Email: "r@nhs.net", Grants: []access.Grant{{Role: grant.RoleREGION, OrgID: region}}},
			"ADMIN":     {Email: "a@nhs.net", Grants: []access.Grant{{Role: grant.RoleADMIN}}},
		}
		yes := "yes"
		subjects := map[string]answers.Submission{
			"own practice":   {Practice: own, Answers: []answers.Answer{{Indicator: "PO01", Value: &yes}}},
			"other practice": {Practice: foreign, Answers: []answers.Answer{{Indicator: "PO01", Value: &yes}}},
			"own CCG":        {Organisation: ccg, Answers: []answers.Answer{{Indicator: "SV01", Value: &yes}}},
			"other CCG":      {Organisation: other, Answers: []answers.Answer{{Indicator: "SV01", Value: &yes}}},
		}
		// want[role][subject] in an open period; a closed period refuses
		// every allowed writer but ADMIN with PERIOD_CLOSED.
		allowed := map[string]map[string]bool{
			"PRACTICE": {"own practice": true},
			"CCG":      {"own practice": true, "own CCG": true},
			"ADMIN":    {"own practice": true, "other practice": true, "own CCG": true, "other CCG": true},
		}
		for role, p := range principals {
			for name, s := range subjects {
				for _, period := range []string{f.open, f.closed} {
					s.Period = period
					_, err := answers.Submit(context.Background(), db, p, s)
					var want string
					switch {
					case p == nil:
						want = fault.Unauthenticated
					case !allowed[role][name]:
						want = fault.Forbidden
					case period == f.closed && role != "ADMIN":
						want = fault.PeriodClosed
					}
					var fe *fault.Error
					got := ""
					if errors.As(err, &fe) {
						got = fe.Code
					} else if err != nil {
						t.Fatalf("%s on %s in %s: %v", role, name, period, err)
					}
					if got != want {
						t.Errorf("%s on %s in %s: %q, want %q", role, name, period, got, want)
					}
				}
			}
		}
	})
}

// A region's status overrides the national one for its practices only.
func TestRegionalPeriodStatus(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, backend string) {
		db := dbtest.Open(t, backend, seed.Small)
		f := load(t, db)
		ccg := f.ccgs[0]
		var other string
		for _, c := range f.ccgs {
			if f.regionOf[c] != f.regionOf[ccg] {
				other = c
			}
		}
		period := count(t, db, "SELECT id FROM assessment_periods WHERE code = ?", f.open)
		if _, err := db.SQL.Exec(database.Rebind(db.Dialect, "INSERT INTO regional_period_status (period_id, region_id, status) VALUES (?, ?, 'CLOSED')"), period, f.regionOf[ccg]); err != nil {
			t.Fatal(err)
		}
		yes := "yes"
		writer := func(c string) *access.Principal {
			id := count(t, db, "SELECT id FROM organisations WHERE ods_code = ?", c)
			return &access.Principal{Email: c + "@nhs.net", Grants: []access.Grant{{Role: grant.RoleCCG, OrgID: id}}}
		}
		_, err := answers.Submit(context.Background(), db, writer(ccg), answers.Submission{Organisation: ccg, Period: f.open, Answers: []answers.Answer{{Indicator: "SV01", Value: &yes}}})
		var fe *fault.Error
		if !errors.As(err, &fe) || fe.Code != fault.PeriodClosed {
			t.Errorf("in the closed region: %v", err)
		}
		if _, err := answers.Submit(context.Background(), db, writer(other), answers.Submission{Organisation: other, Period: f.open, Answers: []answers.Answer{{Indicator: "SV01", Value: &yes}}}); err != nil {
			t.Errorf("in another region: %v", err)
		}
	})
}

// Many writers on the same practice and its CCG at once lose no update
// and leave every roll-up exact; on SQLite (a file, as served) they queue.
func TestConcurrentWritersLoseNothing(t *testing.T) {
	backends := map[string]func(t *testing.T) *database.DB{
		"sqlite-file": func(t *testing.T) *database.DB {
			db, err := database.Open(context.Background(), "sqlite://"+t.TempDir()+"/concurrent.db")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			if err := db.Migrate(context.Background()); err != nil {
				t.Fatal(err)
			}
			if _, err := seed.Run(context.Background(), db, seed.Small, nil); err != nil {
				t.Fatal(err)
			}
			return db
		},
	}
	for _, b := range dbtest.Backends(t) {
		if b == dbtest.Postgres {
			backends[b] = func(t *testing.T) *database.DB { return dbtest.Open(t, b, seed.Small) }
		}
	}
	for name, open := range backends {
		t.Run(name, func(t *testing.T) {
			db := open(t)
			f := load(t, db)
			ccg := f.ccgs[0]
			practice := f.practices[ccg][0]
			// Each writer owns some indicators and sets them over and over:
			// at the end each holds its writer's last value.
			var pct []string
			for _, i := range f.indicators {
				if i.kind == indicator.AnswerTypePCT && i.respondent == indicator.RespondentPRACTICE {
					pct = append(pct, i.code)
				}
			}
			const writers, rounds = 6, 8
			var wg sync.WaitGroup
			errs := make(chan error, writers*rounds*2)
			for w := 0; w < writers; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for round := 1; round <= rounds; round++ {
						v := strconv.Itoa(10*w + round)
						s := answers.Submission{Practice: practice, Period: f.open, Answers: []answers.Answer{{Indicator: pct[w], Value: &v}}}
						if w%2 == 1 { // CCG-level answers move every practice of the CCG
							yes := []string{"yes", "no"}[round%2]
							if _, err := answers.Submit(context.Background(), db, admin, answers.Submission{Organisation: ccg, Period: f.open,
								Answers: []answers.Answer{{Indicator: "SV0" + strconv.Itoa(1+w/2), Value: &yes}}}); err != nil {
								errs <- err
							}
						}
						if _, err := answers.Submit(context.Background(), db, admin, s); err != nil {
							errs <- err
						}
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatalf("a writer failed: %v", err)
			}
			for w := 0; w < writers; w++ {
				got := query(t, db, `SELECT r.value FROM responses r JOIN practices p ON p.id = r.practice_id
					JOIN indicators i ON i.id = r.indicator_id JOIN assessment_periods pe ON pe.id = r.period_id
					WHERE p.ods_code = ? AND i.code = ? AND pe.code = ?`, practice, pct[w], f.open)
				if want := strconv.Itoa(10*w + rounds); len(got) != 1 || got[0][0] != want {
					t.Errorf("%s holds %v, want %s", pct[w], got, want)
				}
			}
			dbtest.AssertMatchesRebuild(t, db)
		})
	}
}
