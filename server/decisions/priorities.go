// Package decisions turns the maturity figures into the decisions the
// assurance exists for (docs/domain.md §10): where an organisation should
// invest next (Priorities), how its practices compare by attribute
// (Breakdown) and where it stands on the Improvement and Assessment
// Framework's digital interactions measure (Interactions). Every figure
// follows the rules of server/scoring; the GraphQL fields, the exports
// and the profile page all call this package.
package decisions

import (
	"cmp"
	"math"
	"slices"

	"dpcma/server/answercheck"
	"dpcma/server/scoring"
)

// Answer is one answer of a practice, or of a CCG for a CCG-level
// indicator.
type Answer struct {
	IndicatorID   int
	Numeric       *float64
	Score         *float64
	NotApplicable bool
}

// Practice is a practice as the decisions see it.
type Practice struct {
	ID, CCGID, ListSize int
}

// Scope is one subject's material in one period: the practices whose
// figures make its score (the counting practices beneath an organisation,
// or one practice), their own answers and their CCGs' answers.
type Scope struct {
	Practices []Practice
	Own       map[int][]Answer // by practice
	CCG       map[int][]Answer // by CCG
}

// Priority is one indicator that answers miss, with what meeting it
// everywhere would bring (docs/domain.md §10.1).
type Priority struct {
	Indicator *answercheck.Indicator
	// ShortCount counts the practices (for a CCG-level indicator, the CCGs)
	// whose scored answer misses the target; UnansweredCount those with no
	// answer. Not-applicable answers are neither.
	ShortCount, UnansweredCount int
	// PatientsAffected sums the list sizes of the short practices (of every
	// practice of a short CCG).
	PatientsAffected int
	// ScoreGain is the rise in the subject's score, in points, if every
	// short answer were the lowest that meets the target: each affected
	// practice rescored, the changes summed over the practices with a
	// score.
	ScoreGain float64
	// LevelUpCount counts the affected practices whose level would rise.
	LevelUpCount int
}

// Priorities ranks the indicators of a domain (scoring.AllDomains: every
// domain) whose answers miss their target in s: by score gain, then
// patients affected, then indicator code. Indicators no answer misses are
// left out.
func Priorities(cat *answercheck.Catalogue, s Scope, domain string) []Priority {
	own, ccg := map[int]map[int]Answer{}, map[int]map[int]Answer{}
	ccgTallies := map[int]scoring.Tally{}
	for id, answers := range s.CCG {
		ccg[id] = byIndicator(answers)
		ccgTallies[id] = tally(cat, answers)[domain]
	}
	var (
		tallies = make(map[int]scoring.Tally, len(s.Practices))
		scores  = make(map[int]scoring.Standing, len(s.Practices))
		ofCCG   = map[int][]Practice{}
		ccgs    []int
		scored  int
	)
	for _, p := range s.Practices {
		own[p.ID] = byIndicator(s.Own[p.ID])
		t := tally(cat, s.Own[p.ID])[domain].Plus(ccgTallies[p.CCGID])
		tallies[p.ID] = t
		scores[p.ID] = scoring.StandingOf(t)
		if scores[p.ID].Scored {
			scored++
		}
		if len(ofCCG[p.CCGID]) == 0 {
			ccgs = append(ccgs, p.CCGID)
		}
		ofCCG[p.CCGID] = append(ofCCG[p.CCGID], p)
	}

	var out []Priority
	for _, ind := range cat.All() {
		meeting, ok := scoring.LowestMeeting(ind.Spec)
		if !ok || domain != scoring.AllDomains && ind.Domain != domain {
			continue
		}
		better := ind.Scored(scoring.Score(ind.Spec, meeting), false)
		pr := Priority{Indicator: ind}
		var gain float64
		// rescore adds what replacing answer a by the lowest meeting answer
		// does to practice p.
		rescore := func(p Practice, a Answer) {
			pr.PatientsAffected += p.ListSize
			g, up := scoring.Rescore(tallies[p.ID], scores[p.ID], ind.Scored(a.Score, a.NotApplicable), better)
			gain += g
			if up {
				pr.LevelUpCount++
			}
		}
		if ind.ByCCG() {
			for _, c := range ccgs {
				a, answered := ccg[c][ind.ID]
				if !short(ind, a, answered, &pr) {
					continue
				}
				for _, p := range ofCCG[c] {
					rescore(p, a)
				}
			}
		} else {
			for _, p := range s.Practices {
				if a, answered := own[p.ID][ind.ID]; short(ind, a, answered, &pr) {
					rescore(p, a)
				}
			}
		}
		if pr.ShortCount == 0 {
			continue
		}
		if scored > 0 {
			pr.ScoreGain = gain / float64(scored)
		}
		out = append(out, pr)
	}
	rank(out)
	return out
}

// rank orders priorities by score gain, then patients affected, then
// indicator code.
func rank(out []Priority) {
	slices.SortStableFunc(out, func(a, b Priority) int {
		// Gains equal but for the order of a float sum rank as equal.
		return cmp.Or(cmp.Compare(roundGain(b.ScoreGain), roundGain(a.ScoreGain)), cmp.Compare(b.PatientsAffected, a.PatientsAffected),
			cmp.Compare(a.Indicator.Code, b.Indicator.Code))
	})
}

// FromRollups ranks the priorities of an organisation from its indicator
// roll-ups (by indicator id) in a domain (scoring.AllDomains: every
// domain), given the number of its practices with a score there: the
// same figures Priorities computes from its answers, summed ahead of
// time.
func FromRollups(cat *answercheck.Catalogue, rollups map[int]scoring.IndicatorRollup, scored int, domain string) []Priority {
	var out []Priority
	for id, r := range rollups {
		ind := cat.ByID(id)
		if ind == nil || r.Short == 0 || domain != scoring.AllDomains && ind.Domain != domain {
			continue
		}
		pr := Priority{Indicator: ind, ShortCount: r.Short, UnansweredCount: r.Unanswered, PatientsAffected: r.Patients}
		gain, ups := r.Gain, r.LevelUps
		if domain != scoring.AllDomains {
			gain, ups = r.DomainGain, r.DomainLevelUps
		}
		pr.LevelUpCount = ups
		if scored > 0 {
			pr.ScoreGain = gain / float64(scored)
		}
		out = append(out, pr)
	}
	rank(out)
	return out
}

func roundGain(g float64) float64 { return math.Round(g*1e9) / 1e9 }

// short counts an answer (or its absence) and reports whether it misses
// the indicator's target.
func short(ind *answercheck.Indicator, a Answer, answered bool, pr *Priority) bool {
	switch {
	case !answered:
		pr.UnansweredCount++
		return false
	case a.NotApplicable || a.Score == nil || a.Numeric == nil || scoring.MeetsTarget(ind.Spec, *a.Numeric):
		return false
	}
	pr.ShortCount++
	return true
}

func byIndicator(answers []Answer) map[int]Answer {
	out := make(map[int]Answer, len(answers))
	for _, a := range answers {
		out[a.IndicatorID] = a
	}
	return out
}

// tally sums answers by the rules, by domain.
func tally(cat *answercheck.Catalogue, answers []Answer) scoring.Tallies {
	ts := scoring.Tallies{}
	for _, a := range answers {
		if ind := cat.ByID(a.IndicatorID); ind != nil {
			ts.Add(ind.Scored(a.Score, a.NotApplicable))
		}
	}
	return ts
}
