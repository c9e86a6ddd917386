package scoring

import (
	"iter"
	"math"

	"dpcma/ent/indicator"
)

// Categories are the service categories in display order.
var Categories = []indicator.Category{indicator.CategoryCORE, indicator.CategoryMANDATED,
	indicator.CategoryENHANCED, indicator.CategoryTRANSFORMATIONAL}

// Subset is a set of service categories with a score of its own: one per
// category, and core+mandated for the level gates.
type Subset int

// The subsets, in the column order of the derived tables.
const (
	Core Subset = iota
	Mandated
	CoreMandated
	Enhanced
	Transformational
	numSubsets
)

// Subsets lists every subset.
var Subsets = []Subset{Core, Mandated, CoreMandated, Enhanced, Transformational}

var subsetDefs = [numSubsets]struct {
	name string
	cats []indicator.Category
}{
	Core:             {"core", []indicator.Category{indicator.CategoryCORE}},
	Mandated:         {"mandated", []indicator.Category{indicator.CategoryMANDATED}},
	CoreMandated:     {"core_mandated", []indicator.Category{indicator.CategoryCORE, indicator.CategoryMANDATED}},
	Enhanced:         {"enhanced", []indicator.Category{indicator.CategoryENHANCED}},
	Transformational: {"transformational", []indicator.Category{indicator.CategoryTRANSFORMATIONAL}},
}

// Name is the subset's name in snake case, the prefix of its columns in the
// derived tables ("core_mandated").
func (s Subset) Name() string { return subsetDefs[s].name }

// Categories are the categories of the subset.
func (s Subset) Categories() []indicator.Category { return subsetDefs[s].cats }

// Contains reports whether an indicator of category c counts in the subset.
func (s Subset) Contains(c indicator.Category) bool {
	for _, d := range subsetDefs[s].cats {
		if d == c {
			return true
		}
	}
	return false
}

// CategorySubset is the subset of a single category.
func CategorySubset(c indicator.Category) Subset {
	for _, s := range Subsets {
		if cats := s.Categories(); len(cats) == 1 && cats[0] == c {
			return s
		}
	}
	panic("scoring: unknown category " + string(c))
}

// The maturity levels.
const (
	LevelInitial          = 1
	LevelDeveloping       = 2
	LevelCoreComplete     = 3
	LevelEnhanced         = 4
	LevelTransformational = 5
)

// gate is a minimum score of a subset.
type gate struct {
	subset Subset
	min    float64
}

// levels define the gated maturity levels, highest first: a score reaches
// a level when the overall score and every gate reach their minimums. The
// gates exist so that strong scores elsewhere cannot hide a missing basic.
// Level and LevelSQL both read this table.
var levels = []struct {
	level   int
	name    string
	overall float64
	gates   []gate
}{
	{LevelTransformational, "Transformational", 90, []gate{{CoreMandated, 80}, {Enhanced, 60}, {Transformational, 50}}},
	{LevelEnhanced, "Enhanced", 75, []gate{{CoreMandated, 80}, {Enhanced, 60}}},
	{LevelCoreComplete, "Core complete", 60, []gate{{CoreMandated, 80}}},
	{LevelDeveloping, "Developing", 40, nil},
	{LevelInitial, "Initial", math.Inf(-1), nil},
}

// Level returns the gated maturity level of a score from 0 to 100, given
// the scores of its core+mandated, enhanced and transformational subsets:
//
//	1 Initial           overall < 40
//	2 Developing        overall >= 40
//	3 Core complete     overall >= 60 and core+mandated >= 80
//	4 Enhanced          overall >= 75, the level 3 gate, enhanced >= 60
//	5 Transformational  overall >= 90, the level 4 gate, transformational >= 50
//
// A nil subset score (no applicable answered indicators in it) does not pass
// its gate: an unanswered subset is missing evidence rather than met
// evidence, so a practice that skipped every core and mandated indicator has
// not shown it is "core complete". Every catalogue indicator is applicable
// to every practice except a few that small practices may mark not
// applicable, so in practice a nil subset means unanswered.
func Level(overall float64, coreMandated, enhanced, transformational *float64) int {
	return LevelOf(overall, func(s Subset) *float64 {
		switch s {
		case CoreMandated:
			return coreMandated
		case Enhanced:
			return enhanced
		case Transformational:
			return transformational
		}
		return nil
	})
}

// LevelOf is Level with the subset scores given by a function.
func LevelOf(overall float64, subset func(Subset) *float64) int {
	return levelOf(overall, func(s Subset) (float64, bool) {
		if v := subset(s); v != nil {
			return *v, true
		}
		return 0, false
	})
}

// levelOf is LevelOf with each subset's score and whether it has one.
func levelOf(overall float64, subset func(Subset) (float64, bool)) int {
	for _, l := range levels {
		if !(overall >= l.overall) {
			continue
		}
		passes := true
		for _, g := range l.gates {
			if s, ok := subset(g.subset); !ok || !(s >= g.min) {
				passes = false
			}
		}
		if passes {
			return l.level
		}
	}
	return LevelInitial
}

// LevelName is the name of a maturity level, or "" for a number that is not
// a level.
func LevelName(level int) string {
	for _, l := range levels {
		if l.level == level {
			return l.name
		}
	}
	return ""
}

// AllDomains is the domain key of figures over every domain.
const AllDomains = ""

// Answer is what the sums need of one answer.
type Answer struct {
	Domain   string
	Category indicator.Category
	Weight   float64
	// Score is the response score; nil for an unscored (CHOICE) answer.
	Score         *float64
	NotApplicable bool
}

// WeightedSum is Σw·s and Σw over some scored answers.
type WeightedSum struct{ WS, W float64 }

// Score is the 0-100 score of the sum, nil when nothing was scored.
func (w WeightedSum) Score() *float64 {
	if w.W <= 0 {
		return nil
	}
	return ptr(100 * w.WS / w.W)
}

// Tally sums a subject's answers in one period and domain (or all
// domains): a practice's own answers, or a CCG's answers that count for
// each of its practices.
type Tally struct {
	Answered, NotApplicable int
	All                     WeightedSum
	Subsets                 [numSubsets]WeightedSum
}

// Add counts an answer in the tally. A not-applicable answer leaves the
// weighted sums; an unscored one counts as answered only.
func (t *Tally) Add(a Answer) {
	if a.NotApplicable {
		t.NotApplicable++
		return
	}
	t.Answered++
	if a.Score == nil {
		return
	}
	ws := WeightedSum{a.Weight * *a.Score, a.Weight}
	t.All = t.All.plus(ws)
	for _, s := range Subsets {
		if s.Contains(a.Category) {
			t.Subsets[s] = t.Subsets[s].plus(ws)
		}
	}
}

// Plus is the tally of both sets of answers: a practice's own plus its
// CCG's.
func (t Tally) Plus(u Tally) Tally {
	t.Answered += u.Answered
	t.NotApplicable += u.NotApplicable
	t.All = t.All.plus(u.All)
	for s := range t.Subsets {
		t.Subsets[s] = t.Subsets[s].plus(u.Subsets[s])
	}
	return t
}

func (w WeightedSum) plus(v WeightedSum) WeightedSum { return WeightedSum{w.WS + v.WS, w.W + v.W} }

// Tallies are a subject's tallies in one period by domain, with the tally
// over all domains under AllDomains.
type Tallies map[string]Tally

// Add counts an answer under its domain and under AllDomains.
func (ts Tallies) Add(a Answer) {
	for _, d := range []string{a.Domain, AllDomains} {
		t := ts[d]
		t.Add(a)
		ts[d] = t
	}
}

// TallyAnswers sums answers by domain and over all domains.
func TallyAnswers(answers []Answer) Tallies {
	ts := Tallies{}
	for _, a := range answers {
		ts.Add(a)
	}
	return ts
}

// CCGTallies are the tallies of a CCG's answers and of its practices' in
// one period, by domain.
type CCGTallies struct {
	// CCG tallies the CCG's own answers, which count for every practice
	// of it.
	CCG Tallies
	// Practices tallies each practice's own answers, by practice id.
	Practices map[int]Tallies
}

// TallyCCG sums a CCG's answers and its practices' in one period, in one
// pass: answers yields each answer with the id of its practice, 0 for an
// answer of the CCG.
func TallyCCG(answers iter.Seq2[int, Answer]) CCGTallies {
	t := CCGTallies{CCG: Tallies{}, Practices: map[int]Tallies{}}
	for practiceID, a := range answers {
		if practiceID == 0 {
			t.CCG.Add(a)
			continue
		}
		own := t.Practices[practiceID]
		if own == nil {
			own = Tallies{}
			t.Practices[practiceID] = own
		}
		own.Add(a)
	}
	return t
}

// Practice is the tally that scores a practice of the CCG in a domain (or
// AllDomains): its own answers plus its CCG's, as ScorePractice takes it.
// A practice without answers of its own has its CCG's.
func (t CCGTallies) Practice(id int, domain string) Tally {
	return t.Practices[id][domain].Plus(t.CCG[domain])
}

// PracticeScore is a practice's maturity in one period and domain (or all
// domains), as practice_scores holds it.
type PracticeScore struct {
	Answered, Applicable   int
	Completion             float64 // answered / applicable, 0 when nothing is applicable
	WeightedSum, WeightSum float64
	// Score is 100 x Σw·s / Σw; nil when nothing was scored.
	Score *float64
	// Level is the gated level of Score; nil with it.
	Level    *int
	Subsets  [numSubsets]*float64 // the score of each subset
	ListSize int
}

// ScorePractice scores a practice from the tally of its answers and its
// CCG's (see Tally.Plus) in a domain that has the given number of catalogue
// indicators.
func ScorePractice(t Tally, indicators, listSize int) PracticeScore {
	p := PracticeScore{Answered: t.Answered, Applicable: indicators - t.NotApplicable,
		WeightedSum: t.All.WS, WeightSum: t.All.W, Score: t.All.Score(), ListSize: listSize}
	if p.Applicable > 0 {
		p.Completion = float64(p.Answered) / float64(p.Applicable)
	}
	for _, s := range Subsets {
		p.Subsets[s] = t.Subsets[s].Score()
	}
	if p.Score != nil {
		l := LevelOf(*p.Score, func(s Subset) *float64 { return p.Subsets[s] })
		p.Level = &l
	}
	return p
}

// MeanSum is the sum and count of some practices' scores.
type MeanSum struct {
	Sum   float64
	Count int
}

// Mean is the mean score, nil without scores.
func (m MeanSum) Mean() *float64 {
	if m.Count == 0 {
		return nil
	}
	return ptr(m.Sum / float64(m.Count))
}

func (m MeanSum) plus(n MeanSum, sign int) MeanSum {
	return MeanSum{m.Sum + float64(sign)*n.Sum, m.Count + sign*n.Count}
}

// Rollup sums the practice scores beneath an organisation in one period and
// domain, as org_rollups holds them. Every field is a sum, so a tier rolls
// up from the tier below, and a change to one practice changes its CCG,
// STP, region and England by the same delta (see RollupDelta).
type Rollup struct {
	PracticeCount, RespondedCount int
	ScoreSum                      float64 // Σ score over responded practices
	WeightedScoreSum              float64 // Σ score x list size
	Patients                      float64 // Σ list size of responded practices
	CompletionSum                 float64
	Levels                        [LevelTransformational]int // practices at each level, level 1 first
	Subsets                       [numSubsets]MeanSum
}

// Rollup is one practice's contribution to the roll-ups above it.
func (p PracticeScore) Rollup() Rollup {
	r := Rollup{PracticeCount: 1, CompletionSum: p.Completion}
	if p.Score != nil {
		r.RespondedCount, r.ScoreSum = 1, *p.Score
		r.WeightedScoreSum, r.Patients = *p.Score*float64(p.ListSize), float64(p.ListSize)
	}
	if p.Level != nil {
		r.Levels[*p.Level-1] = 1
	}
	for _, s := range Subsets {
		if v := p.Subsets[s]; v != nil {
			r.Subsets[s] = MeanSum{*v, 1}
		}
	}
	return r
}

// Plus adds two roll-ups.
func (r Rollup) Plus(o Rollup) Rollup { return r.add(o, 1) }

// Minus subtracts a roll-up.
func (r Rollup) Minus(o Rollup) Rollup { return r.add(o, -1) }

func (r Rollup) add(o Rollup, sign int) Rollup {
	f := float64(sign)
	r.PracticeCount += sign * o.PracticeCount
	r.RespondedCount += sign * o.RespondedCount
	r.ScoreSum += f * o.ScoreSum
	r.WeightedScoreSum += f * o.WeightedScoreSum
	r.Patients += f * o.Patients
	r.CompletionSum += f * o.CompletionSum
	for i := range r.Levels {
		r.Levels[i] += sign * o.Levels[i]
	}
	for s := range r.Subsets {
		r.Subsets[s] = r.Subsets[s].plus(o.Subsets[s], sign)
	}
	return r
}

// RollupDelta is what a practice's new score changes in every roll-up
// above it (its CCG, STP, region and England).
func RollupDelta(before, after PracticeScore) Rollup {
	return after.Rollup().Minus(before.Rollup())
}

// Score is the organisation's score: the unweighted mean of the scores of
// the practices beneath it; nil when none has a score.
func (r Rollup) Score() *float64 { return MeanSum{r.ScoreSum, r.RespondedCount}.Mean() }

// PatientWeightedScore is the mean score weighted by list size.
func (r Rollup) PatientWeightedScore() *float64 {
	if r.Patients <= 0 {
		return nil
	}
	return ptr(r.WeightedScoreSum / r.Patients)
}

// Completion is the mean completion of the practices beneath.
func (r Rollup) Completion() float64 {
	if r.PracticeCount == 0 {
		return 0
	}
	return r.CompletionSum / float64(r.PracticeCount)
}

// SubsetScore is the mean score of a subset over the practices with one.
func (r Rollup) SubsetScore(s Subset) *float64 { return r.Subsets[s].Mean() }

// Level is an organisation's level: the practice gates applied to its mean
// scores; nil without a score.
func (r Rollup) Level() *int {
	score := r.Score()
	if score == nil {
		return nil
	}
	l := LevelOf(*score, r.SubsetScore)
	return &l
}

// PercentRank is the percent rank (0-100) of v among all (which includes
// v), as SQL's percent_rank: the share of the other values that are
// strictly lower, times 100. It is nil with no other values.
func PercentRank(v float64, all []float64) *float64 {
	if len(all) < 2 {
		return nil
	}
	lower := 0
	for _, x := range all {
		if x < v {
			lower++
		}
	}
	return ptr(100 * float64(lower) / float64(len(all)-1))
}

// Minus takes some answers back out of a tally: with Plus, what replacing
// an answer does to a practice's tally.
func (t Tally) Minus(u Tally) Tally {
	t.Answered -= u.Answered
	t.NotApplicable -= u.NotApplicable
	t.All = WeightedSum{t.All.WS - u.All.WS, t.All.W - u.All.W}
	for s := range t.Subsets {
		t.Subsets[s] = WeightedSum{t.Subsets[s].WS - u.Subsets[s].WS, t.Subsets[s].W - u.Subsets[s].W}
	}
	return t
}
