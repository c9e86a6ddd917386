package scoring

import (
	"math/rand/v2"
	"testing"
)

// StandingOf gives the score and level ScorePractice gives, for tallies
// on both sides of every gate; and Rescore is the difference of two of
// them.
func TestStandingAndRescore(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	cats := Categories
	for n := 0; n < 2000; n++ {
		var answers []Answer
		for range r.IntN(12) {
			a := Answer{Domain: "D", Category: cats[r.IntN(len(cats))], Weight: float64(1 + r.IntN(3))}
			switch r.IntN(5) {
			case 0:
				a.NotApplicable = true
			case 1: // unscored
			default:
				s := float64(r.IntN(5)) / 4
				a.Score = &s
			}
			answers = append(answers, a)
		}
		tally := TallyAnswers(answers)[AllDomains]
		ps, st := ScorePractice(tally, 12, 100), StandingOf(tally)
		if (ps.Score != nil) != st.Scored || ps.Score != nil && (*ps.Score != st.Score || *ps.Level != st.Level) {
			t.Fatalf("%+v: ScorePractice %v level %v, StandingOf %+v", answers, deref(ps.Score), deref(ps.Level), st)
		}
		if len(answers) == 0 || answers[0].Score == nil {
			continue
		}
		better := answers[0]
		better.Score = f(1)
		replaced := TallyAnswers(append([]Answer{better}, answers[1:]...))[AllDomains]
		after := ScorePractice(replaced, 12, 100)
		gain, up := Rescore(tally, st, answers[0], better)
		if want := *after.Score - *ps.Score; gain < want-1e-9 || gain > want+1e-9 {
			t.Fatalf("%+v: gain %v, want %v", answers, gain, want)
		}
		if want := *after.Level > *ps.Level; up != want {
			t.Fatalf("%+v: level rises %v, want %v", answers, up, want)
		}
	}
	if got := StandingOf(Tally{}); got.Scored {
		t.Errorf("an empty tally has a standing: %+v", got)
	}
}
