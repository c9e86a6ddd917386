package rollup

import (
	"slices"

	"dpcma/server/answercheck"
	"dpcma/server/scoring"
)

// The indicator roll-ups (org_indicator_rollups) hold, for each
// organisation, period and indicator with a target, the sums its
// investment priorities and its peers' shares are read from
// (docs/domain.md §10.1):
//
//   - each counting practice adds, for a practice-level indicator, whether
//     it is short, unanswered, scored and meeting the target; and for every
//     indicator whose answer (its own or its CCG's) is short, its list
//     size, the change in its overall and domain scores if that answer met
//     the target (scoring.Rescore) and whether its level would rise. These
//     reach its CCG, its own STP, its region and England.
//   - each CCG adds, for a CCG-level indicator, whether it is short or
//     unanswered to the organisations its counting practices are beneath
//     (itself, their STPs and regions, England: a CCG split between STPs
//     counts once in each), and its scored and meeting answers to itself
//     and the organisations above it in the tree, as peers' shares count
//     them.
//
// A practice's figures for one indicator depend on its other answers only
// through its tally, so every figure is a sum: the rebuild adds them up
// and a write adds the change in the practices it rescored.

// IndicatorRollups is org_indicator_rollups' summed figures as
// scoring.IndicatorRollup.
var IndicatorRollups = func() Table[scoring.IndicatorRollup] {
	type r = scoring.IndicatorRollup
	return Table[r]{[]column[r]{
		{"short_count", func(v *r) any { return &v.Short }},
		{"unanswered_count", func(v *r) any { return &v.Unanswered }},
		{"patients_affected", func(v *r) any { return &v.Patients }},
		{"gain_sum", func(v *r) any { return &v.Gain }},
		{"level_ups", func(v *r) any { return &v.LevelUps }},
		{"domain_gain_sum", func(v *r) any { return &v.DomainGain }},
		{"domain_level_ups", func(v *r) any { return &v.DomainLevelUps }},
		{"meeting_count", func(v *r) any { return &v.Meeting }},
		{"scored_count", func(v *r) any { return &v.Scored }},
	}}
}()

// Answer is one answer as the indicator roll-ups read it.
type Answer struct {
	IndicatorID    int
	Numeric, Score *float64
	NotApplicable  bool
}

// Targets applies the rules of the indicator roll-ups with one catalogue.
// It keeps scratch space: use one per goroutine.
type Targets struct {
	all     []*answercheck.Indicator // in code order: a fixed order of summing
	pos     map[int]int              // by indicator id
	better  []scoring.Answer         // the lowest answer meeting each target
	target  []bool                   // whether the indicator has a target
	domain  []int                    // each indicator's domain, 1-based (0: all)
	domains []string

	own, ccg   []entry // scratch, by position
	tallies    []scoring.Tally
	ccgTallies []scoring.Tally
	scores     []scoring.Standing
}

// NewTargets prepares the rules for a catalogue.
func NewTargets(cat *answercheck.Catalogue) *Targets {
	t := &Targets{all: cat.All(), pos: map[int]int{}, domains: []string{scoring.AllDomains}}
	for i, ind := range t.all {
		t.pos[ind.ID] = i
		d := slices.Index(t.domains, ind.Domain)
		if d < 0 {
			d = len(t.domains)
			t.domains = append(t.domains, ind.Domain)
		}
		t.domain = append(t.domain, d)
		meeting, ok := scoring.LowestMeeting(ind.Spec)
		t.target = append(t.target, ok)
		t.better = append(t.better, ind.Scored(scoring.Score(ind.Spec, meeting), false))
	}
	t.own, t.ccg = make([]entry, len(t.all)), make([]entry, len(t.all))
	t.ccgTallies = make([]scoring.Tally, len(t.domains))
	t.tallies, t.scores = make([]scoring.Tally, len(t.domains)), make([]scoring.Standing, len(t.domains))
	return t
}

// entry is an answer classified once: where its indicator stands in the
// catalogue and what the rules say of it.
type entry struct {
	score float64
	pos   uint16
	flags uint8
}

const (
	given         uint8 = 1 << iota
	notApplicable       // answered not applicable
	scored              // has a response score
	meets               // scored and meeting the target
	short               // scored, applicable and missing the target
)

func (e entry) is(f uint8) bool { return e.flags&f != 0 }

// entry classifies an answer; false for an indicator the catalogue lacks.
func (t *Targets) entry(a Answer) (entry, bool) {
	var numeric, score float64
	if a.Numeric != nil {
		numeric = *a.Numeric
	}
	if a.Score != nil {
		score = *a.Score
	}
	return t.classify(a.IndicatorID, numeric, score, a.Numeric != nil, a.Score != nil, a.NotApplicable)
}

func (t *Targets) classify(indicatorID int, numeric, score float64, hasNumeric, hasScore, na bool) (entry, bool) {
	p, ok := t.pos[indicatorID]
	if !ok {
		return entry{}, false
	}
	e := entry{pos: uint16(p), flags: given}
	if na {
		e.flags |= notApplicable
	}
	if hasScore {
		e.flags |= scored
		e.score = score
		if hasNumeric {
			switch {
			case scoring.MeetsTarget(t.all[p].Spec, numeric):
				e.flags |= meets
			case !na:
				e.flags |= short
			}
		}
	}
	return e, true
}

func (t *Targets) entries(answers []Answer) []entry {
	out := make([]entry, 0, len(answers))
	for _, a := range answers {
		if e, ok := t.entry(a); ok {
			out = append(out, e)
		}
	}
	return out
}

func (t *Targets) scored(e entry) scoring.Answer {
	var s *float64
	if e.is(scored) {
		s = &e.score
	}
	return t.all[e.pos].Scored(s, e.is(notApplicable))
}

// place puts answers at their positions in into (cleared first), and
// tallies them in position order, domain by domain.
func (t *Targets) place(into []entry, answers []entry, tallies []scoring.Tally) {
	clear(into)
	for _, e := range answers {
		into[e.pos] = e
	}
	for _, e := range into {
		if e.is(given) {
			a := t.scored(e)
			tallies[0].Add(a)
			tallies[t.domain[e.pos]].Add(a)
		}
	}
}

// ccgSide is a CCG's answers placed and tallied once for all its
// practices.
type ccgSide struct {
	placed  []entry
	tallies []scoring.Tally
}

func (t *Targets) ccgSide(answers []entry) *ccgSide {
	c := &ccgSide{placed: make([]entry, len(t.all)), tallies: make([]scoring.Tally, len(t.domains))}
	t.place(c.placed, answers, c.tallies)
	return c
}

// practice calls add with what one counting practice adds to the
// indicator roll-ups above it in a period, for each indicator with a
// target (by catalogue position): own are its answers, ccg its CCG's.
func (t *Targets) practice(own []entry, c *ccgSide, listSize int, add func(pos int, r scoring.IndicatorRollup)) {
	clear(t.tallies)
	t.place(t.own, own, t.tallies)
	for d := range t.tallies {
		t.tallies[d] = t.tallies[d].Plus(c.tallies[d])
		t.scores[d] = scoring.StandingOf(t.tallies[d])
	}
	for p, ind := range t.all {
		if !t.target[p] {
			continue
		}
		var r scoring.IndicatorRollup
		a := t.own[p]
		if ind.ByCCG() {
			a = c.placed[p]
		} else {
			switch {
			case !a.is(given):
				r.Unanswered = 1
			case a.is(short):
				r.Short = 1
			}
			if a.is(scored) {
				r.Scored = 1
			}
			if a.is(meets) {
				r.Meeting = 1
			}
		}
		if a.is(short) {
			old, d := t.scored(a), t.domain[p]
			r.Patients = listSize
			var up bool
			r.Gain, up = scoring.Rescore(t.tallies[0], t.scores[0], old, t.better[p])
			r.LevelUps = count(up)
			r.DomainGain, up = scoring.Rescore(t.tallies[d], t.scores[d], old, t.better[p])
			r.DomainLevelUps = count(up)
		}
		if r != (scoring.IndicatorRollup{}) {
			add(p, r)
		}
	}
}

// ccgCounts calls add with what a CCG's own answers add to the indicator
// roll-ups, for each CCG-level indicator with a target: whether it is short
// or unanswered (counts, for the organisations its counting practices are
// beneath) and its scored and meeting answers (shares, for itself and the
// organisations above it).
func (t *Targets) ccgCounts(answers []entry, add func(pos int, counts, shares scoring.IndicatorRollup)) {
	clear(t.ccg)
	for _, e := range answers {
		t.ccg[e.pos] = e
	}
	for p, ind := range t.all {
		if !t.target[p] || !ind.ByCCG() {
			continue
		}
		var counts, shares scoring.IndicatorRollup
		switch a := t.ccg[p]; {
		case !a.is(given):
			counts.Unanswered = 1
		case a.is(short):
			counts.Short = 1
		}
		if a := t.ccg[p]; a.is(scored) {
			shares.Scored = 1
			if a.is(meets) {
				shares.Meeting = 1
			}
		}
		add(p, counts, shares)
	}
}

func count(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Contribution is what one subject's answers in a period add to the
// indicator roll-ups of each organisation, by organisation and indicator
// id: the writes take the difference of two, before and after.
type Contribution map[int]map[int]scoring.IndicatorRollup

func (c Contribution) add(org, indicatorID int, r scoring.IndicatorRollup) {
	if org == 0 || r == (scoring.IndicatorRollup{}) {
		return
	}
	if c[org] == nil {
		c[org] = map[int]scoring.IndicatorRollup{}
	}
	c[org][indicatorID] = c[org][indicatorID].Plus(r)
}

// Practice adds what one counting practice adds, with its own answers and
// its CCG's, to each organisation of chain (its CCG, STP, region and
// England; 0 for none).
func (t *Targets) Practice(c Contribution, own, ccg []Answer, listSize int, chain []int) {
	t.practice(t.entries(own), t.ccgSide(t.entries(ccg)), listSize, func(p int, r scoring.IndicatorRollup) {
		for _, org := range chain {
			c.add(org, t.all[p].ID, r)
		}
	})
}

// CCG adds what a CCG's own answers add: their counts to the organisations
// its counting practices are beneath (members), their shares to the CCG and
// the organisations above it (ancestors).
func (t *Targets) CCG(c Contribution, answers []Answer, members, ancestors []int) {
	t.ccgCounts(t.entries(answers), func(p int, counts, shares scoring.IndicatorRollup) {
		for _, org := range members {
			c.add(org, t.all[p].ID, counts)
		}
		for _, org := range ancestors {
			c.add(org, t.all[p].ID, shares)
		}
	})
}

// Minus is the change from before to c, by organisation and indicator id.
func (c Contribution) Minus(before Contribution) Contribution {
	out := Contribution{}
	for org, byInd := range c {
		for id, r := range byInd {
			out.add(org, id, r)
		}
	}
	for org, byInd := range before {
		for id, r := range byInd {
			out.add(org, id, scoring.IndicatorRollup{}.Minus(r))
		}
	}
	return out
}
