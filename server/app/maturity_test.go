package app_test

import (
	"context"
	"math"
	"slices"
	"testing"
	"time"

	"dpcma/ent"
	"dpcma/ent/assessmentperiod"
	"dpcma/ent/indicator"
	"dpcma/ent/organisation"
	"dpcma/server/app"
	"dpcma/server/dbtest"
	"dpcma/server/refdata"
	"dpcma/server/rollup"
	"dpcma/server/seed"
)

// fixture is a hand-built hierarchy whose expected figures are worked out
// by hand in the comments of TestMaturityByHand, not by the code under test.
//
//	ENG > R1 > S1 > C1 (practices X1, X2), C2 (practice X3)
//
// Indicators (weight, domain):
//
//	A BOOL core (3, D1)   B PCT target 50 mandated (3, D1)   C ORD 0-3 enhanced (2, D2)
//	D BOOL transformational answered by the CCG (1, D2)       E CHOICE core (3, D2), unscored
//
// Practices named in without are left out, with their answers.
func fixture(t *testing.T, backend string, without ...string) *env {
	t.Helper()
	c := &dbtest.Counter{}
	db := dbtest.Open(t, backend, seed.None, c.Option())
	ctx := context.Background()
	cl := db.Client
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
	p1, err := cl.AssessmentPeriod.Create().SetCode("2016-17-H1").SetName("H1").SetOpensOn(day(2016, 4, 1)).SetClosesOn(day(2016, 9, 30)).Save(ctx)
	must(err)
	p2, err := cl.AssessmentPeriod.Create().SetCode("2016-17-H2").SetName("H2").SetOpensOn(day(2016, 10, 1)).SetClosesOn(day(2017, 3, 31)).SetStatus(assessmentperiod.StatusOPEN).Save(ctx)
	must(err)
	target50, step3 := 50.0, 3.0
	mk := func(code, domain string, cat indicator.Category, typ indicator.AnswerType, w int, resp indicator.Respondent) *ent.Indicator {
		q := cl.Indicator.Create().SetCode(code).SetTitle(code).SetDomain(domain).SetCategory(cat).SetAnswerType(typ).SetWeight(w).SetRespondent(resp)
		switch code {
		case "B":
			q.SetTarget(target50)
		case "C":
			q.SetTarget(step3).SetMaxStep(3)
		case "E":
			q.SetChoices([]string{"EMIS Web", "SystmOne"})
		}
		i, err := q.Save(ctx)
		must(err)
		return i
	}
	A := mk("A", "D1", indicator.CategoryCORE, indicator.AnswerTypeBOOL, 3, indicator.RespondentPRACTICE)
	B := mk("B", "D1", indicator.CategoryMANDATED, indicator.AnswerTypePCT, 3, indicator.RespondentPRACTICE)
	C := mk("C", "D2", indicator.CategoryENHANCED, indicator.AnswerTypeORD, 2, indicator.RespondentPRACTICE)
	D := mk("D", "D2", indicator.CategoryTRANSFORMATIONAL, indicator.AnswerTypeBOOL, 1, indicator.RespondentCCG)
	E := mk("E", "D2", indicator.CategoryCORE, indicator.AnswerTypeCHOICE, 3, indicator.RespondentPRACTICE)
	org := func(code string, tier organisation.Tier, parent *ent.Organisation) *ent.Organisation {
		q := cl.Organisation.Create().SetOdsCode(code).SetName(code).SetTier(tier)
		if parent != nil {
			q.SetParentID(parent.ID)
		}
		o, err := q.Save(ctx)
		must(err)
		return o
	}
	eng := org("ENG", organisation.TierNATIONAL, nil)
	r1 := org("R1", organisation.TierREGION, eng)
	s1 := org("S1", organisation.TierSTP, r1)
	c1 := org("C1", organisation.TierCCG, s1)
	c2 := org("C2", organisation.TierCCG, s1)
	practice := func(code string, ccg *ent.Organisation, list int) *ent.Practice {
		if slices.Contains(without, code) {
			return nil
		}
		p, err := cl.Practice.Create().SetOdsCode(code).SetName(code).SetListSize(list).
			SetCcgID(ccg.ID).SetStpID(s1.ID).SetRegionID(r1.ID).Save(ctx)
		must(err)
		return p
	}
	x1, x2, x3 := practice("X1", c1, 1000), practice("X2", c1, 3000), practice("X3", c2, 2000)
	type ans struct {
		ind     *ent.Indicator
		value   string
		numeric float64
		score   float64
		na      bool
		noScore bool
	}
	answer := func(p *ent.Practice, o *ent.Organisation, period *ent.AssessmentPeriod, a ans) {
		if p == nil && o == nil {
			return // a practice left out
		}
		q := cl.Response.Create().SetIndicatorID(a.ind.ID).SetPeriodID(period.ID).SetSubmittedAt(period.ClosesOn)
		if p != nil {
			q.SetPracticeID(p.ID)
		} else {
			q.SetOrganisationID(o.ID)
		}
		switch {
		case a.na:
			q.SetNotApplicable(true)
		case a.noScore:
			q.SetValue(a.value)
		default:
			q.SetValue(a.value).SetNumericValue(a.numeric).SetScore(a.score)
		}
		_, err := q.Save(ctx)
		must(err)
	}
	// 2016-17-H2
	answer(x1, nil, p2, ans{ind: A, value: "yes", numeric: 1, score: 1})
	answer(x1, nil, p2, ans{ind: B, value: "25", numeric: 25, score: 0.5})
	answer(x1, nil, p2, ans{ind: C, value: "3", numeric: 3, score: 1})
	answer(x1, nil, p2, ans{ind: E, value: "EMIS Web", noScore: true})
	answer(x2, nil, p2, ans{ind: A, value: "yes", numeric: 1, score: 1})
	answer(x2, nil, p2, ans{ind: B, value: "60", numeric: 60, score: 1})
	answer(x2, nil, p2, ans{ind: C, na: true})
	answer(x3, nil, p2, ans{ind: A, value: "no", numeric: 0, score: 0})
	answer(x3, nil, p2, ans{ind: B, value: "10", numeric: 10, score: 0.2})
	answer(x3, nil, p2, ans{ind: C, value: "1", numeric: 1, score: 1.0 / 3})
	answer(x3, nil, p2, ans{ind: E, value: "SystmOne", noScore: true})
	answer(nil, c1, p2, ans{ind: D, value: "yes", numeric: 1, score: 1})
	answer(nil, c2, p2, ans{ind: D, value: "no", numeric: 0, score: 0})
	// 2016-17-H1: X1 only, and C1's CCG answer.
	answer(x1, nil, p1, ans{ind: A, value: "yes", numeric: 1, score: 1})
	answer(x1, nil, p1, ans{ind: B, value: "20", numeric: 20, score: 0.4})
	answer(x1, nil, p1, ans{ind: C, value: "3", numeric: 3, score: 1})
	answer(nil, c1, p1, ans{ind: D, value: "no", numeric: 0, score: 0})
	must(rollup.Rebuild(ctx, db.SQL, db.Dialect, rollup.Scope{}))
	return &env{t: t, db: db, handler: app.New(db, testConfig), counter: c}
}

type maturity struct {
	Score                  *float64 `json:"score"`
	Level                  *int     `json:"level"`
	LevelName              *string  `json:"levelName"`
	Completion             float64  `json:"completion"`
	PracticeCount          int      `json:"practiceCount"`
	RespondedPracticeCount int      `json:"respondedPracticeCount"`
	PatientWeightedScore   *float64 `json:"patientWeightedScore"`
	PeerPercentile         *float64 `json:"peerPercentile"`
	Change                 *float64 `json:"change"`
	ByDomain               []struct {
		Domain string   `json:"domain"`
		Score  *float64 `json:"score"`
	} `json:"byDomain"`
	ByCategory []struct {
		Category string   `json:"category"`
		Score    *float64 `json:"score"`
	} `json:"byCategory"`
	LevelDistribution []struct {
		Level, Count int
	} `json:"levelDistribution"`
}

const maturityFields = `score level levelName completion practiceCount respondedPracticeCount patientWeightedScore
	peerPercentile change byDomain { domain score } byCategory { category score } levelDistribution { level count }`

func near(t *testing.T, what string, got *float64, want float64) {
	t.Helper()
	if got == nil || math.Abs(*got-want) > 1e-6 {
		t.Errorf("%s = %v, want %.6f", what, deref(got), want)
	}
}

func isNull(t *testing.T, what string, got *float64) {
	t.Helper()
	if got != nil {
		t.Errorf("%s = %v, want null", what, *got)
	}
}

func deref(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

func TestMaturityByHand(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, backend string) {
		e := fixture(t, backend)
		var got struct {
			X1, X2, X3, X1H1 struct{ Maturity maturity }
			C1, C2, S1, ENG  struct{ Maturity maturity }
			C1D1             struct{ Maturity maturity }
		}
		e.query(`{
			X1: practice(odsCode: "X1") { maturity { `+maturityFields+` } }
			X2: practice(odsCode: "X2") { maturity { `+maturityFields+` } }
			X3: practice(odsCode: "X3") { maturity { `+maturityFields+` } }
			X1H1: practice(odsCode: "X1") { maturity(period: "2016-17-H1") { `+maturityFields+` } }
			C1: organisation(odsCode: "C1") { maturity { `+maturityFields+` } }
			C2: organisation(odsCode: "C2") { maturity { `+maturityFields+` } }
			S1: organisation(odsCode: "S1") { maturity { `+maturityFields+` } }
			ENG: national { maturity { `+maturityFields+` } }
			C1D1: organisation(odsCode: "C1") { maturity(domain: "D1") { `+maturityFields+` } }
		}`, nil, &got)

		// X1: A 3×1 + B 3×0.5 + C 2×1 + D (its CCG's) 1×1 = 7.5 of 9 → 83.333;
		// core+mandated (3+1.5)/6 = 75 < 80, so level 2 despite the score.
		// Five of five applicable answered (E counts, unscored).
		x1 := got.X1.Maturity
		near(t, "X1 score", x1.Score, 100*7.5/9)
		if x1.Level == nil || *x1.Level != 2 || *x1.LevelName != "Developing" {
			t.Errorf("X1 level = %v %v, want 2 Developing", x1.Level, x1.LevelName)
		}
		near(t, "X1 completion", &x1.Completion, 1)
		// D1 = A, B: 4.5 of 6 = 75; D2 = C, D: 3 of 3 = 100.
		near(t, "X1 D1", x1.ByDomain[0].Score, 75)
		near(t, "X1 D2", x1.ByDomain[1].Score, 100)
		near(t, "X1 core", x1.ByCategory[0].Score, 100)
		near(t, "X1 mandated", x1.ByCategory[1].Score, 50)
		// H1: A 3 + B 3×0.4 + C 2 + D 0 = 6.2 of 9; change = 7.5/9 - 6.2/9.
		near(t, "X1 H1 score", got.X1H1.Maturity.Score, 100*6.2/9)
		near(t, "X1 change", x1.Change, 100*(7.5-6.2)/9)
		isNull(t, "X1 H1 change (no earlier period)", got.X1H1.Maturity.Change)
		// X1 (83.3) is below X2 (100) in C1: percent rank 0 and 100.
		near(t, "X1 peer percentile", x1.PeerPercentile, 0)

		// X2: A 3 + B 3×1 + D 1 = 7 of 7 = 100; C not applicable, so the
		// enhanced gate has no evidence: level 3. Completion 3 of 4. In H1
		// X2 answered nothing itself, but its CCG's "no" to D counts for
		// it: 0 of 1 = 0, so the change is 100.
		x2 := got.X2.Maturity
		near(t, "X2 score", x2.Score, 100)
		if x2.Level == nil || *x2.Level != 3 {
			t.Errorf("X2 level = %v, want 3", x2.Level)
		}
		near(t, "X2 completion", &x2.Completion, 0.75)
		near(t, "X2 peer percentile", x2.PeerPercentile, 100)
		near(t, "X2 change", x2.Change, 100)

		// X3: B 3×0.2 + C 2×(1/3) = 1.2667 of 9; alone in C2: no peers.
		x3 := got.X3.Maturity
		near(t, "X3 score", x3.Score, 100*(0.6+2.0/3)/9)
		if x3.Level == nil || *x3.Level != 1 {
			t.Errorf("X3 level = %v, want 1", x3.Level)
		}
		isNull(t, "X3 peer percentile", x3.PeerPercentile)

		// C1: mean(83.333, 100) = 91.667; by list size (1000, 3000) = 95.833;
		// completion mean(1, 0.75); gates on means: core+mandated mean(75, 100)
		// = 87.5, enhanced 100 (X1 only), transformational 100: level 5.
		c1 := got.C1.Maturity
		s1x1, s1x2, s1x3 := 100*7.5/9, 100.0, 100*(0.6+2.0/3)/9
		near(t, "C1 score", c1.Score, (s1x1+s1x2)/2)
		near(t, "C1 patient-weighted", c1.PatientWeightedScore, (s1x1*1000+s1x2*3000)/4000)
		near(t, "C1 completion", &c1.Completion, 0.875)
		if c1.Level == nil || *c1.Level != 5 || c1.PracticeCount != 2 || c1.RespondedPracticeCount != 2 {
			t.Errorf("C1 = level %v, %d practices, %d responded; want 5, 2, 2", c1.Level, c1.PracticeCount, c1.RespondedPracticeCount)
		}
		near(t, "C1 peer percentile", c1.PeerPercentile, 100)
		near(t, "C2 peer percentile", got.C2.Maturity.PeerPercentile, 0)
		// C1 in H1: X1 68.889 and X2 0 (its CCG's answer alone): mean 34.444.
		near(t, "C1 change", c1.Change, (s1x1+s1x2)/2-(100*6.2/9+0)/2)
		// C1 restricted to D1: X1 75, X2 (A 3 + B 3) 100 → 87.5.
		near(t, "C1 D1 score", got.C1D1.Maturity.Score, 87.5)

		// S1 and England: the unweighted mean of all three practices, one
		// practice at each of levels 1, 2 and 3. England has no peers.
		for name, m := range map[string]maturity{"S1": got.S1.Maturity, "ENG": got.ENG.Maturity} {
			near(t, name+" score", m.Score, (s1x1+s1x2+s1x3)/3)
			want := map[int]int{1: 1, 2: 1, 3: 1, 4: 0, 5: 0}
			for _, lc := range m.LevelDistribution {
				if want[lc.Level] != lc.Count {
					t.Errorf("%s level %d count = %d, want %d", name, lc.Level, lc.Count, want[lc.Level])
				}
			}
		}
		isNull(t, "ENG peer percentile", got.ENG.Maturity.PeerPercentile)
		isNull(t, "S1 peer percentile (only child)", got.S1.Maturity.PeerPercentile)
	})
}

func TestIndicatorSummaryByHand(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, backend string) {
		e := fixture(t, backend)
		type summary struct {
			AnsweredCount      int      `json:"answeredCount"`
			ShareMeetingTarget *float64 `json:"shareMeetingTarget"`
			MeanScore          *float64 `json:"meanScore"`
			Distribution       []struct {
				Value string
				Count int
			} `json:"distribution"`
		}
		var got struct {
			B  struct{ Summary summary }
			D  struct{ Summary summary }
			C2 struct {
				IndicatorSummary summary
			}
		}
		const fields = `answeredCount shareMeetingTarget meanScore distribution { value count }`
		e.query(`{
			B: indicator(code: "B") { summary(organisation: "C1") { `+fields+` } }
			D: indicator(code: "D") { summary(organisation: "S1") { `+fields+` } }
			C2: organisation(odsCode: "C2") { indicatorSummary(indicator: "C") { `+fields+` } }
		}`, nil, &got)
		// B in C1: X1 25 (0.5), X2 60 (1): one of two meets the target.
		b := got.B.Summary
		if b.AnsweredCount != 2 {
			t.Errorf("B answered = %d, want 2", b.AnsweredCount)
		}
		near(t, "B share", b.ShareMeetingTarget, 0.5)
		near(t, "B mean", b.MeanScore, 0.75)
		if len(b.Distribution) != 2 || b.Distribution[0].Value != "21-40" || b.Distribution[1].Value != "41-60" {
			t.Errorf("B distribution = %+v, want 21-40 and 41-60", b.Distribution)
		}
		// D is answered by CCGs: C1 yes, C2 no.
		d := got.D.Summary
		if d.AnsweredCount != 2 || len(d.Distribution) != 2 || d.Distribution[0].Value != "no" {
			t.Errorf("D = %+v", d)
		}
		near(t, "D mean", d.MeanScore, 0.5)
		// C in C2: X3 answered 1 of 3.
		c := got.C2.IndicatorSummary
		if c.AnsweredCount != 1 || c.Distribution[0].Value != "1" {
			t.Errorf("C in C2 = %+v", c)
		}
		near(t, "C in C2 share", c.ShareMeetingTarget, 0)
	})
}

// An omitted period means the latest period with answers, not the latest
// period: a newly opened, still empty period does not blank the dashboards.
func TestDefaultPeriodIsTheLatestAnswered(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, backend string) {
		e := fixture(t, backend)
		ctx := context.Background()
		day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
		if _, err := e.db.Client.AssessmentPeriod.Create().SetCode("2017-18-H1").SetName("H1").
			SetOpensOn(day(2017, 4, 1)).SetClosesOn(day(2017, 9, 30)).Save(ctx); err != nil {
			t.Fatal(err)
		}
		if err := rollup.BumpRevision(ctx, e.db.SQL); err != nil {
			t.Fatal(err)
		}
		var got struct {
			National struct {
				Maturity struct {
					Period struct{ Code string }
					Score  *float64
				}
			}
			Periods struct{ TotalCount int }
		}
		e.query(`{ national { maturity { period { code } score } } periods { totalCount } }`, nil, &got)
		if got.Periods.TotalCount != 3 || got.National.Maturity.Period.Code != "2016-17-H2" || got.National.Maturity.Score == nil {
			t.Errorf("with an empty newer period: %d periods, default maturity %+v; want 2016-17-H2 with a score", got.Periods.TotalCount, got.National.Maturity)
		}
	})
}

// An indicator's summary for England (no organisation argument) counts
// every answer beneath it: the sum of its CCGs' summaries.
func TestNationalIndicatorSummaryAddsUpItsCCGs(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		type summary struct {
			AnsweredCount int
			MeanScore     *float64
			Distribution  []struct {
				Value string
				Count int
			}
		}
		var got struct {
			Indicators struct {
				Edges []struct {
					Node struct {
						Code    string
						Summary summary
					}
				}
			}
			Organisations struct {
				Edges []struct {
					Node struct{ S1, S2 summary }
				}
			}
		}
		e.query(`{ indicators(first: 2, where: {respondent: PRACTICE}) { edges { node { code summary { answeredCount meanScore distribution { value count } } } } }
			organisations(first: 100, where: {tier: CCG}) { edges { node {
				s1: indicatorSummary(indicator: "PO01") { answeredCount meanScore distribution { value count } }
				s2: indicatorSummary(indicator: "PO02") { answeredCount meanScore distribution { value count } } } } } }`, nil, &got)
		if len(got.Indicators.Edges) != 2 || got.Indicators.Edges[0].Node.Code != "PO01" || got.Indicators.Edges[1].Node.Code != "PO02" {
			t.Fatalf("indicators: %+v", got.Indicators.Edges)
		}
		for i, ind := range got.Indicators.Edges {
			answered, scoreSum, buckets := 0, 0.0, map[string]int{}
			for _, o := range got.Organisations.Edges {
				s := o.Node.S1
				if i == 1 {
					s = o.Node.S2
				}
				answered += s.AnsweredCount
				if s.MeanScore != nil {
					scoreSum += *s.MeanScore * float64(s.AnsweredCount)
				}
				for _, b := range s.Distribution {
					buckets[b.Value] += b.Count
				}
			}
			n := ind.Node.Summary
			if n.AnsweredCount == 0 || n.AnsweredCount != answered {
				t.Errorf("%s: England answered %d, its CCGs %d", ind.Node.Code, n.AnsweredCount, answered)
			}
			if n.MeanScore == nil || math.Abs(*n.MeanScore-scoreSum/float64(answered)) > 1e-9 {
				t.Errorf("%s: England mean score %v, its CCGs' %v", ind.Node.Code, deref(n.MeanScore), scoreSum/float64(answered))
			}
			for _, b := range n.Distribution {
				if buckets[b.Value] != b.Count {
					t.Errorf("%s: England has %d answers %q, its CCGs %d", ind.Node.Code, b.Count, b.Value, buckets[b.Value])
				}
			}
		}
	})
}

// BI02 is answered in steps 0-3 with a target step of 2: an answer at step
// 2 meets the target though it scores 2/3, and the share meeting the
// target counts it.
func TestOrdinalAnswersMeetTheirTargetStep(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		type summary struct {
			AnsweredCount      int
			ShareMeetingTarget *float64
			MeanScore          *float64
			Distribution       []struct {
				Value string
				Count int
			}
		}
		var got struct {
			Indicator struct {
				Target  *float64
				MaxStep *int
			}
			Periods struct {
				Edges []struct{ Node struct{ Code string } }
			}
		}
		e.query(`{ indicator(code: "BI02") { target maxStep } periods(first: 20) { edges { node { code } } } }`, nil, &got)
		if ind := got.Indicator; ind.Target == nil || *ind.Target != 2 || ind.MaxStep == nil || *ind.MaxStep != 3 {
			t.Fatalf("BI02 target %v, max step %v; want 2 of 3", deref(ind.Target), ind.MaxStep)
		}
		atStep2 := 0
		for _, p := range got.Periods.Edges {
			var s struct{ Indicator struct{ Summary summary } }
			e.query(`query($p: String!) { indicator(code: "BI02") { summary(period: $p) { answeredCount shareMeetingTarget meanScore distribution { value count } } } }`,
				map[string]any{"p": p.Node.Code}, &s)
			sum := s.Indicator.Summary
			steps := map[string]int{}
			for _, b := range sum.Distribution {
				steps[b.Value] = b.Count
			}
			atStep2 += steps["2"]
			if sum.AnsweredCount == 0 {
				continue
			}
			n := float64(sum.AnsweredCount)
			near(t, p.Node.Code+" BI02 share meeting target", sum.ShareMeetingTarget, float64(steps["2"]+steps["3"])/n)
			near(t, p.Node.Code+" BI02 mean score", sum.MeanScore, (float64(steps["1"])/3+float64(steps["2"])*2/3+float64(steps["3"]))/n)
		}
		if atStep2 == 0 {
			t.Fatal("the small seed has no BI02 answer at step 2: the test proves nothing")
		}
	})
}

// maturity(practices:) restricts the figures to the practices beneath that
// match: all of them by code gives the unrestricted figures; by contract
// type, the matching practices only; in one statement for every CCG.
func TestMaturityRestrictedToSomePractices(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		type fig struct {
			Score          *float64
			Completion     float64
			PracticeCount  int
			Change         *float64
			PeerPercentile *float64
		}
		type node struct {
			OdsCode   string
			Whole     fig
			Same      fig
			APMS      fig
			GMS       fig
			Practices struct {
				Edges []struct {
					Node struct{ OdsCode, ContractType string }
				}
			}
		}
		var got struct {
			Organisations struct{ Edges []struct{ Node node } }
		}
		const figs = `{ score completion practiceCount change peerPercentile }`
		e.query(`query($codes: [String!]) { organisations(first: 20, where: {tier: CCG}) { edges { node { odsCode
			whole: maturity `+figs+`
			same: maturity(practices: {odsCodeIn: $codes}) `+figs+`
			APMS: maturity(practices: {contractType: APMS}) `+figs+`
			GMS: maturity(practices: {contractType: GMS}) `+figs+`
			practices(first: 50) { edges { node { odsCode contractType } } }
		} } } }`, map[string]any{"codes": smallPracticeCodes()}, &got)
		if len(got.Organisations.Edges) != 5 {
			t.Fatalf("%d CCGs", len(got.Organisations.Edges))
		}
		near := func(a, b *float64) bool {
			return a == nil && b == nil || a != nil && b != nil && math.Abs(*a-*b) < 1e-9
		}
		for _, edge := range got.Organisations.Edges {
			n := edge.Node
			if !near(n.Same.Score, n.Whole.Score) || n.Same.PracticeCount != n.Whole.PracticeCount ||
				math.Abs(n.Same.Completion-n.Whole.Completion) > 1e-9 || !near(n.Same.Change, n.Whole.Change) {
				t.Errorf("%s: every practice by code gives %+v, unrestricted %+v", n.OdsCode, n.Same, n.Whole)
			}
			if n.Same.PeerPercentile != nil {
				t.Errorf("%s: a restricted peer percentile %v", n.OdsCode, *n.Same.PeerPercentile)
			}
			counts := map[string]int{}
			for _, p := range n.Practices.Edges {
				counts[p.Node.ContractType]++
			}
			if n.APMS.PracticeCount != counts["APMS"] || n.GMS.PracticeCount != counts["GMS"] {
				t.Errorf("%s: %d APMS and %d GMS practices, want %v", n.OdsCode, n.APMS.PracticeCount, n.GMS.PracticeCount, counts)
			}
			if counts["GMS"] > 0 && n.GMS.Score == nil {
				t.Errorf("%s: GMS practices but no score", n.OdsCode)
			}
		}

		// One statement more for every CCG's restricted figures, not one per CCG.
		e = e.uncached()
		count := func(q string) int {
			e.counter.Reset()
			e.query(q, nil, &struct{}{})
			return e.counter.Count()
		}
		plain := count(`{ organisations(first: 20, where: {tier: CCG}) { edges { node { odsCode } } } }`)
		restricted := count(`{ organisations(first: 20, where: {tier: CCG}) { edges { node { odsCode maturity(practices: {dispensing: false}) { score } } } } }`)
		if plain >= restricted || restricted > plain+6 {
			t.Errorf("%d statements without maturity, %d with restricted maturity for every CCG", plain, restricted)
		}
	})
}

func smallPracticeCodes() []string {
	var out []string
	for _, p := range refdata.Small().Practices {
		out = append(out, p.Code)
	}
	return out
}
