package scoring

// IndicatorRollup sums, for one indicator in one period, how the answers
// beneath an organisation stand against the indicator's target and what
// meeting it everywhere would bring (docs/domain.md §10.1), as
// org_indicator_rollups holds them. Every field is a sum, so a write
// changes it by a delta (see Plus and Minus), as Rollup is.
type IndicatorRollup struct {
	// Short counts the practices (for a CCG-level indicator, the CCGs)
	// whose scored answer misses the target; Unanswered those with no
	// answer. A not-applicable answer is neither.
	Short, Unanswered int
	// Patients sums the list sizes of the practices a short answer counts
	// for (every practice of a short CCG).
	Patients int
	// Gain sums the change in those practices' overall scores if the short
	// answer met the target (see Rescore); LevelUps counts those whose level
	// would rise. DomainGain and DomainLevelUps are the same in the
	// indicator's domain's scores.
	Gain, DomainGain         float64
	LevelUps, DomainLevelUps int
	// Meeting and Scored count the scored answers and those meeting the
	// target: the share that ranks peers.
	Meeting, Scored int
}

// Plus adds two indicator roll-ups.
func (r IndicatorRollup) Plus(o IndicatorRollup) IndicatorRollup { return r.add(o, 1) }

// Minus subtracts an indicator roll-up.
func (r IndicatorRollup) Minus(o IndicatorRollup) IndicatorRollup { return r.add(o, -1) }

func (r IndicatorRollup) add(o IndicatorRollup, sign int) IndicatorRollup {
	r.Short += sign * o.Short
	r.Unanswered += sign * o.Unanswered
	r.Patients += sign * o.Patients
	r.Gain += float64(sign) * o.Gain
	r.DomainGain += float64(sign) * o.DomainGain
	r.LevelUps += sign * o.LevelUps
	r.DomainLevelUps += sign * o.DomainLevelUps
	r.Meeting += sign * o.Meeting
	r.Scored += sign * o.Scored
	return r
}

// Standing is a practice's score and level from a tally, as ScorePractice
// gives them; Scored is false (and the rest zero) when nothing was scored.
type Standing struct {
	Score  float64
	Level  int
	Scored bool
}

// StandingOf is the standing of a tally, without the allocations of
// ScorePractice: the rescoring of priorities does it millions of times.
func StandingOf(t Tally) Standing {
	if t.All.W <= 0 {
		return Standing{}
	}
	score := 100 * t.All.WS / t.All.W
	return Standing{Score: score, Scored: true, Level: levelOf(score, func(s Subset) (float64, bool) {
		w := t.Subsets[s]
		if w.W <= 0 {
			return 0, false
		}
		return 100 * w.WS / w.W, true
	})}
}

// Rescore is what replacing one answer of a practice (old) by another
// (better) does to its standing in a domain (or AllDomains), t being its
// tally there (its own answers and its CCG's) and before its standing
// from t. The gain is the change in score, 0 when either has none; the
// level rises when the new level is above the old one, or the practice had
// none.
func Rescore(t Tally, before Standing, old, better Answer) (gain float64, levelUp bool) {
	var o, b Tally
	o.Add(old)
	b.Add(better)
	after := StandingOf(t.Minus(o).Plus(b))
	if before.Scored && after.Scored {
		gain = after.Score - before.Score
	}
	return gain, after.Scored && (!before.Scored || after.Level > before.Level)
}
