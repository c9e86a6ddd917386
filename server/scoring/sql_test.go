package scoring_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"dpcma/ent"
	"dpcma/ent/indicator"
	"dpcma/ent/practice"
	"dpcma/server/database"
	"dpcma/server/dbtest"
	"dpcma/server/scoring"
	"dpcma/server/seed"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// The SQL restatements give what the Go rules give, on the same rows, on
// each database.
func TestSQLMatchesTheGoRules(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	type answer struct {
		spec    scoring.Spec
		numeric *float64
	}
	boolSpec := scoring.Spec{Type: indicator.AnswerTypeBOOL}
	pct50 := scoring.Spec{Type: indicator.AnswerTypePCT, Target: f(50)}
	bands := scoring.Spec{Type: indicator.AnswerTypePCT}
	ordTarget2 := scoring.Spec{Type: indicator.AnswerTypeORD, Target: f(2), MaxStep: 3}
	ordNoTarget := scoring.Spec{Type: indicator.AnswerTypeORD, MaxStep: 3}
	choice := scoring.Spec{Type: indicator.AnswerTypeCHOICE, Choices: []string{"A"}}
	var answers []answer
	for _, v := range []float64{0, 1} {
		answers = append(answers, answer{boolSpec, f(v)})
	}
	for _, v := range []float64{0, 0.5, 20, 20.01, 49.9, 50, 60, 79.99, 80, 80.01, 81, 100} {
		answers = append(answers, answer{pct50, f(v)}, answer{bands, f(v)})
	}
	for _, v := range []float64{0, 1, 2, 3} {
		answers = append(answers, answer{ordTarget2, f(v)}, answer{ordNoTarget, f(v)})
	}
	answers = append(answers, answer{choice, nil})

	dbtest.Each(t, func(t *testing.T, backend string) {
		at := newAnswerTable(t, backend)
		db, ctx, must := at.db, at.ctx, at.must
		byID := map[int]answer{}
		for i, a := range answers {
			_, id := at.answer(i, a.spec, a.numeric)
			byID[id] = a
		}
		meets := scoring.MeetsTargetSQL(scoring.AnswerColumns{
			Type: "i.answer_type", Target: "i.target", Numeric: "r.numeric_value", Score: "r.score"})
		rows, err := db.SQL.QueryContext(ctx, database.Rebind(db.Dialect, `SELECT r.id,
				CASE WHEN `+meets+` THEN 1 ELSE 0 END, `+scoring.BandSQL("r.numeric_value")+`
			FROM responses r JOIN indicators i ON i.id = r.indicator_id WHERE r.numeric_value IS NOT NULL
			UNION ALL SELECT r.id, CASE WHEN `+meets+` THEN 1 ELSE 0 END, ''
			FROM responses r JOIN indicators i ON i.id = r.indicator_id WHERE r.numeric_value IS NULL`))
		must(err)
		defer rows.Close()
		n := 0
		for rows.Next() {
			var id, met int
			var band string
			must(rows.Scan(&id, &met, &band))
			a := byID[id]
			want := a.numeric != nil && scoring.MeetsTarget(a.spec, *a.numeric)
			if (met == 1) != want {
				t.Errorf("%s target %v, %v: SQL meets target %v, MeetsTarget %v", a.spec.Type, a.spec.Target, deref(a.numeric), met == 1, want)
			}
			if a.numeric != nil && band != scoring.Band(*a.numeric) {
				t.Errorf("%v: SQL band %q, Band %q", *a.numeric, band, scoring.Band(*a.numeric))
			}
			n++
		}
		must(rows.Err())
		if n != len(answers) {
			t.Fatalf("checked %d answers, want %d", n, len(answers))
		}
	})
}

// MeanSQL and LevelNameSQL give what MeanSum.Mean and LevelName give, on
// each database.
func TestMeanAndLevelNameSQLMatchTheGoRules(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, backend string) {
		db := dbtest.Open(t, backend, seed.None)
		ctx := context.Background()
		for _, m := range []scoring.MeanSum{{}, {Sum: 0, Count: 1}, {Sum: 7.5, Count: 0}, {Sum: 3, Count: 4}, {Sum: 250.5, Count: 3}} {
			var got *float64
			err := db.SQL.QueryRowContext(ctx, database.Rebind(db.Dialect, "SELECT "+scoring.MeanSQL("s", "c")+
				" FROM (SELECT CAST(? AS DOUBLE PRECISION) AS s, CAST(? AS INTEGER) AS c) x"), m.Sum, m.Count).Scan(&got)
			if err != nil {
				t.Fatal(err)
			}
			if want := m.Mean(); (got == nil) != (want == nil) || got != nil && *got != *want {
				t.Errorf("%+v: MeanSQL %v, Mean %v", m, deref(got), deref(want))
			}
		}
		for level := scoring.LevelInitial - 1; level <= scoring.LevelTransformational+1; level++ {
			var got *string
			err := db.SQL.QueryRowContext(ctx, database.Rebind(db.Dialect, "SELECT "+scoring.LevelNameSQL("l")+
				" FROM (SELECT CAST(? AS INTEGER) AS l) x"), level).Scan(&got)
			if err != nil {
				t.Fatal(err)
			}
			if want := scoring.LevelName(level); (got == nil) != (want == "") || got != nil && *got != want {
				t.Errorf("level %d: LevelNameSQL %v, LevelName %q", level, got, want)
			}
		}
	})
}

func deref(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

// Who counts in a figure is one rule: the SQL condition and the ent
// predicate keep exactly the practices Counts keeps, on each database.
func TestCountsSQLMatchesCounts(t *testing.T) {
	statuses := []practice.Status{practice.StatusACTIVE, practice.StatusCLOSED}
	dbtest.Each(t, func(t *testing.T, backend string) {
		db := dbtest.Open(t, backend, seed.None)
		ctx := context.Background()
		cl := db.Client
		region, err := cl.Organisation.Create().SetOdsCode("Y54").SetName("R").SetTier("REGION").Save(ctx)
		if err != nil {
			t.Fatal(err)
		}
		ccg, err := cl.Organisation.Create().SetOdsCode("00C").SetName("C").SetTier("CCG").SetParent(region).Save(ctx)
		if err != nil {
			t.Fatal(err)
		}
		status := map[int]practice.Status{}
		for i, s := range statuses {
			p, err := cl.Practice.Create().SetOdsCode(fmt.Sprintf("A%05d", i)).SetName("P").SetStatus(s).
				SetCcgID(ccg.ID).SetRegionID(region.ID).Save(ctx)
			if err != nil {
				t.Fatal(err)
			}
			status[p.ID] = s
		}
		rows, err := db.SQL.QueryContext(ctx, "SELECT id, CASE WHEN "+scoring.CountsSQL("status")+" THEN 1 ELSE 0 END FROM practices")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		n := 0
		for rows.Next() {
			var id, counts int
			if err := rows.Scan(&id, &counts); err != nil {
				t.Fatal(err)
			}
			if want := scoring.Counts(status[id]); (counts == 1) != want {
				t.Errorf("%s: CountsSQL %v, Counts %v", status[id], counts == 1, want)
			}
			n++
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		if n != len(statuses) {
			t.Fatalf("checked %d practices, want %d", n, len(statuses))
		}
		kept, err := cl.Practice.Query().Where(scoring.Counting()).IDs(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for id, s := range status {
			if slices.Contains(kept, id) != scoring.Counts(s) {
				t.Errorf("%s: Counting keeps it %v, Counts %v", s, slices.Contains(kept, id), scoring.Counts(s))
			}
		}
	})
}

// answerTable is a database holding one CCG answer per indicator, an
// indicator per case: the rows on which an SQL rule is run against its Go
// twin.
type answerTable struct {
	t      *testing.T
	db     *database.DB
	ctx    context.Context
	period *ent.AssessmentPeriod
	ccg    *ent.Organisation
}

func newAnswerTable(t *testing.T, backend string) *answerTable {
	t.Helper()
	a := &answerTable{t: t, db: dbtest.Open(t, backend, seed.None), ctx: context.Background()}
	var err error
	a.period, err = a.db.Client.AssessmentPeriod.Create().SetCode("P").SetName("P").
		SetOpensOn(time.Date(2016, 4, 1, 0, 0, 0, 0, time.UTC)).SetClosesOn(time.Date(2016, 9, 30, 0, 0, 0, 0, time.UTC)).Save(a.ctx)
	a.must(err)
	a.ccg, err = a.db.Client.Organisation.Create().SetOdsCode("C").SetName("C").SetTier("CCG").Save(a.ctx)
	a.must(err)
	return a
}

func (a *answerTable) must(err error) {
	a.t.Helper()
	if err != nil {
		a.t.Fatal(err)
	}
}

// answer adds the i-th case's indicator of spec and its answer (scored
// when numeric is given); it returns the indicator and the answer's id.
func (a *answerTable) answer(i int, spec scoring.Spec, numeric *float64) (*ent.Indicator, int) {
	a.t.Helper()
	cl := a.db.Client
	q := cl.Indicator.Create().SetCode(fmt.Sprintf("I%02d", i)).SetTitle("I").SetDomain("D").
		SetCategory(indicator.CategoryCORE).SetAnswerType(spec.Type).SetWeight(1).
		SetRespondent(indicator.RespondentCCG).SetNillableTarget(spec.Target)
	if spec.MaxStep > 0 {
		q.SetMaxStep(spec.MaxStep)
	}
	ind, err := q.Save(a.ctx)
	a.must(err)
	r := cl.Response.Create().SetIndicatorID(ind.ID).SetPeriodID(a.period.ID).SetOrganisationID(a.ccg.ID).
		SetSubmittedAt(a.period.ClosesOn).SetValue("x").SetNillableNumericValue(numeric)
	if numeric != nil {
		r.SetNillableScore(scoring.Score(spec, *numeric))
	}
	resp, err := r.Save(a.ctx)
	a.must(err)
	return ind, resp.ID
}
