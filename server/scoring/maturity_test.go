package scoring

import (
	"math"
	"testing"

	"dpcma/ent/indicator"
)

// The practice X1 of the hand-worked fixture in server/app: A core BOOL 3x1,
// B mandated PCT 3x0.5, C enhanced ORD 2x1, E core CHOICE (unscored), and
// its CCG's D transformational BOOL 1x1.
var (
	x1Answers = []Answer{
		{Domain: "D1", Category: indicator.CategoryCORE, Weight: 3, Score: f(1)},
		{Domain: "D1", Category: indicator.CategoryMANDATED, Weight: 3, Score: f(0.5)},
		{Domain: "D2", Category: indicator.CategoryENHANCED, Weight: 2, Score: f(1)},
		{Domain: "D2", Category: indicator.CategoryCORE, Weight: 3},
	}
	x1CCGAnswers = []Answer{{Domain: "D2", Category: indicator.CategoryTRANSFORMATIONAL, Weight: 1, Score: f(1)}}
)

func x1Tally() Tally {
	return TallyAnswers(x1Answers)[AllDomains].Plus(TallyAnswers(x1CCGAnswers)[AllDomains])
}

func deref[T any](p *T) (v T) {
	if p != nil {
		v = *p
	}
	return v
}

func near(t *testing.T, what string, got *float64, want float64) {
	t.Helper()
	if got == nil || math.Abs(*got-want) > 1e-9 {
		t.Errorf("%s = %v, want %v", what, deref(got), want)
	}
}

func TestScorePractice(t *testing.T) {
	// 7.5 of 9; core+mandated 4.5 of 6 = 75 < 80, so level 2 despite 83.3.
	p := ScorePractice(x1Tally(), 5, 1000)
	near(t, "score", p.Score, 100*7.5/9)
	if p.Level == nil || *p.Level != LevelDeveloping || p.Answered != 5 || p.Applicable != 5 || p.Completion != 1 {
		t.Errorf("level %v, answered %d of %d (%v); want 2, 5 of 5", LevelName(deref(p.Level)), p.Answered, p.Applicable, p.Completion)
	}
	near(t, "core", p.Subsets[Core], 100)
	near(t, "mandated", p.Subsets[Mandated], 50)
	near(t, "core+mandated", p.Subsets[CoreMandated], 75)
	near(t, "transformational", p.Subsets[Transformational], 100)

	// Not applicable leaves both sums and the applicable count.
	na := Tally{}
	na.Add(Answer{Category: indicator.CategoryCORE, Weight: 3, NotApplicable: true})
	q := ScorePractice(na, 4, 10)
	if q.Score != nil || q.Level != nil || q.Applicable != 3 || q.Answered != 0 || q.Completion != 0 {
		t.Errorf("only a not-applicable answer: %+v", q)
	}
}

// TallyCCG sums a CCG's answers and its practices' in one pass, the
// answers mixed in any order; each practice's tally adds its CCG's, and a
// practice without answers has the CCG's alone.
func TestTallyCCG(t *testing.T) {
	const x1, x2, x3 = 11, 12, 13
	x2Answer := Answer{Domain: "D1", Category: indicator.CategoryCORE, Weight: 3, NotApplicable: true}
	mixed := []struct {
		practiceID int
		a          Answer
	}{{x1, x1Answers[0]}, {0, x1CCGAnswers[0]}, {x1, x1Answers[1]}, {x2, x2Answer}, {x1, x1Answers[2]}, {x1, x1Answers[3]}}
	ts := TallyCCG(func(yield func(int, Answer) bool) {
		for _, m := range mixed {
			if !yield(m.practiceID, m.a) {
				return
			}
		}
	})
	if got, want := ts.Practice(x1, AllDomains), x1Tally(); got != want {
		t.Errorf("X1 over all domains: %+v, want %+v", got, want)
	}
	ccg := TallyAnswers(x1CCGAnswers)
	for _, domain := range []string{"D1", "D2"} {
		if got, want := ts.Practice(x1, domain), TallyAnswers(x1Answers)[domain].Plus(ccg[domain]); got != want {
			t.Errorf("X1 in %s: %+v, want %+v", domain, got, want)
		}
	}
	if got := ts.Practice(x2, "D1"); got.NotApplicable != 1 || got.Answered != 0 || got.All != (WeightedSum{}) {
		t.Errorf("X2 in D1 (one not applicable, no CCG answer there): %+v", got)
	}
	if got, want := ts.Practice(x2, AllDomains), ccg[AllDomains].Plus(TallyAnswers([]Answer{x2Answer})[AllDomains]); got != want {
		t.Errorf("X2 over all domains: %+v, want %+v", got, want)
	}
	if got, want := ts.Practice(x3, "D2"), ccg["D2"]; got != want || got.Answered != 1 {
		t.Errorf("X3, no answers of its own, in D2: %+v, want its CCG's %+v", got, want)
	}
	if len(ts.Practices) != 2 || ts.CCG[AllDomains].Answered != 1 {
		t.Errorf("tallies of %d practices and %d CCG answers, want 2 and 1", len(ts.Practices), ts.CCG[AllDomains].Answered)
	}
}

func TestRollupDelta(t *testing.T) {
	x1 := ScorePractice(x1Tally(), 5, 1000)
	x2 := ScorePractice(TallyAnswers([]Answer{{Category: indicator.CategoryCORE, Weight: 3, Score: f(1)}})[AllDomains], 5, 3000)
	ccg := x1.Rollup().Plus(x2.Rollup())
	near(t, "score", ccg.Score(), (100*7.5/9+100)/2)
	near(t, "patient-weighted", ccg.PatientWeightedScore(), (100*7.5/9*1000+100*3000)/4000)
	// X1 at level 2; X2 at level 3 (no enhanced answer to pass level 4's gate).
	if ccg.Levels != [5]int{0, 1, 1, 0, 0} || ccg.PracticeCount != 2 || ccg.RespondedCount != 2 {
		t.Errorf("roll-up %+v", ccg)
	}
	// X2 has answered nothing yet: its change reaches the roll-up as a delta.
	before := ScorePractice(Tally{}, 5, 3000)
	withBefore := x1.Rollup().Plus(before.Rollup())
	if got := withBefore.Plus(RollupDelta(before, x2)); got != ccg {
		t.Errorf("roll-up by delta %+v, recomputed %+v", got, ccg)
	}
	if withBefore.Score() == nil || withBefore.RespondedCount != 1 || withBefore.PracticeCount != 2 {
		t.Errorf("before X2 answered: %+v", withBefore)
	}
	// The organisation's level applies the gates to its means, over the
	// practices with a score in each subset: core+mandated mean(75, 100) =
	// 87.5, enhanced and transformational 100 (X1 only).
	if l := ccg.Level(); l == nil || *l != LevelTransformational {
		t.Errorf("organisation level %q, want 5", LevelName(deref(l)))
	}
	if (Rollup{}).Level() != nil || (Rollup{}).Score() != nil || (Rollup{}).Completion() != 0 {
		t.Error("an empty roll-up has figures")
	}
}

func TestPercentRank(t *testing.T) {
	if PercentRank(1, []float64{1}) != nil {
		t.Error("a value alone has a rank")
	}
	near(t, "lowest", PercentRank(1, []float64{1, 2, 3}), 0)
	near(t, "middle", PercentRank(2, []float64{1, 2, 3}), 50)
	near(t, "ties", PercentRank(3, []float64{1, 3, 3}), 50)
}

func TestCategorySubsets(t *testing.T) {
	for _, c := range Categories {
		if s := CategorySubset(c); !s.Contains(c) || len(s.Categories()) != 1 {
			t.Errorf("CategorySubset(%s) = %s", c, s.Name())
		}
	}
	if !CoreMandated.Contains(indicator.CategoryMANDATED) || CoreMandated.Contains(indicator.CategoryENHANCED) {
		t.Error("core+mandated")
	}
}
