package demo

import (
	"dpcma/ent/indicator"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"sync"
)

// PracticeInput is a practice the generator answers for.
type PracticeInput struct {
	Code, CCG string
	// Region is the practice's commissioning region; when empty, the
	// region of its CCG in Subjects.CCGRegion.
	Region string
	// ListSize is the registered list; 0 when unknown.
	ListSize int
	// ClinicalSystem is the practice's real principal clinical system (EMIS
	// Web, SystmOne, Vision or Evolution); "" when unknown, and then
	// ClinicalSystem picks one.
	ClinicalSystem string
}

// Subjects are the practices and CCGs to answer for.
type Subjects struct {
	Practices []PracticeInput
	// CCGs are the CCG codes that answer the CCG-level indicators.
	CCGs []string
	// CCGRegion maps CCG codes to region codes.
	CCGRegion map[string]string
}

// Answer is one generated answer.
type Answer struct {
	// Practice is an index into Subjects.Practices, or -1 for a CCG-level
	// answer.
	Practice int
	// CCG is an index into Subjects.CCGs for a CCG-level answer, else -1.
	CCG int
	// Indicator is an index into Catalogue().
	Indicator int
	// Period is an index into Periods().
	Period int
	// Value is the canonical value, as scoring.Normalise returns it; "" when
	// NotApplicable.
	Value string
	// Numeric is the numeric value (nil for CHOICE and not applicable
	// answers). It points into a table shared by all the answers of one
	// Generate call: read it, do not write through it.
	Numeric       *float64
	NotApplicable bool
}

// ClinicalSystem picks a practice's principal clinical system from the seed
// and its code: EMIS Web about 55%, SystmOne 35%, Vision 8% and Evolution
// (Microtest) 2%. It is the CS01 answer of a practice whose real system is
// not known (PracticeInput.ClinicalSystem).
func ClinicalSystem(seed uint64, practiceCode string) string {
	return suppliers[supplierOf(seed, practiceCode)]
}

var suppliers = [...]string{EMISWeb, SystmOne, Vision, Evolution}

// supplierShare is the share of practices on each of suppliers.
var supplierShare = [...]float64{0.55, 0.35, 0.08, 0.02}

// supplierLag shifts the latent propensity of a practice on patient-online
// items by its clinical system: Vision and Evolution practices lag.
var supplierLag = [...]float64{0, 0, -0.5, -0.9}

func supplierOf(seed uint64, code string) int {
	u := uniformOf(hashKey(seed, "supplier", code))
	for i, share := range supplierShare[:len(supplierShare)-1] {
		if u < share {
			return i
		}
		u -= share
	}
	return len(supplierShare) - 1
}

// The generation design (docs/domain.md §8).
const (
	// Effect sizes of the latent digital propensity.
	ccgEffectSD    = 0.4
	regionEffectSD = 0.2
	// sizeEffect per doubling of the list over the median: bigger
	// practices are a little more digital.
	sizeEffect     = 0.12
	medianListSize = 6647
	// smallList: practices below it may mark video consultation not
	// applicable.
	smallList = 2000
	// wholeReturnMissing is the chance a practice returns nothing in a
	// period; on top of it, each answer is missing at a rate of about
	// periodMissing[t] x (the CCG's rate, 1.5% to 6%) x (a practice factor,
	// 0.4 to 1.6) x (a period factor, 0.5 to 1.5).
	wholeReturnMissing = 0.01
	// lowERSShare of CCGs barely use the e-Referral Service, at
	// lowERSFactor of the usual rate.
	lowERSShare  = 0.04
	lowERSFactor = 0.15
)

// periodCount is len(Periods()).
const periodCount = 2 * (LastYear - FirstYear + 1)

// periodMissing makes early returns a little less complete.
var periodMissing = [periodCount]float64{1.25, 1.15, 1.05, 0.95, 0.9, 0.85}

type itemKind uint8

const (
	kindBool itemKind = iota
	kindPct
	kindOrd
	kindChoice
)

// trajectory is the design of one indicator's answers over the six
// periods. For CCG-level indicators only the first period of each year
// counts (the answers change yearly).
type trajectory struct {
	// share is, for BOOL, the share answering yes and, for PCT, the mean
	// percentage across practices, per period.
	share [periodCount]float64
	// atLeast is, for ORD, the share at or above steps 1, 2 and 3.
	atLeast [periodCount][3]float64
	// load is the weight of the practice's (or CCG's) propensity and noise
	// the weight of period-to-period noise; the rest of the unit variance is
	// a persistent item-specific factor.
	load, noise float64
	// spread is the standard deviation of a PCT answer in logits.
	spread float64
	// gate names a BOOL indicator which, answered no, makes this PCT 0.
	gate string
	// lag: Vision and Evolution practices lag (patient online).
	lag bool
	// smallNA: small practices mark it not applicable.
	smallNA bool
	// lowERS: a few CCGs use it very little.
	lowERS bool
}

func yearly(a, b, c float64) [periodCount]float64 { return [periodCount]float64{a, a, b, b, c, c} }

func ordYearly(a, b, c [3]float64) [periodCount][3]float64 {
	return [periodCount][3]float64{a, a, b, b, c, c}
}

// ordLinear interpolates the shares at or above each step from the first
// period to the last.
func ordLinear(first, last [3]float64) [periodCount][3]float64 {
	var out [periodCount][3]float64
	for t := range out {
		for k := range out[t] {
			out[t][k] = first[k] + (last[k]-first[k])*float64(t)/5
		}
	}
	return out
}

// trajectories are the demo data design per indicator (the published
// figures of docs/domain.md §8 where there are any; plausible guesses
// elsewhere). Periods end Sep 2015, Mar 2016,
// Sep 2016, Mar 2017, Sep 2017 and Mar 2018.
func trajectories() map[string]trajectory {
	b := func(share ...float64) trajectory { // practice BOOL
		t := trajectory{load: 0.55, noise: 0.2}
		copy(t.share[:], share)
		return t
	}
	nearUniversal := func(share ...float64) trajectory { // mandated basics: steady
		t := b(share...)
		t.load, t.noise = 0.45, 0.1
		return t
	}
	p := func(spread float64, mean ...float64) trajectory { // practice PCT
		t := trajectory{load: 0.5, noise: 0.25, spread: spread}
		copy(t.share[:], mean)
		return t
	}
	c := func(y1, y2, y3 float64) trajectory { // CCG BOOL, yearly
		return trajectory{share: yearly(y1, y2, y3), load: 0.6, noise: 0.2}
	}
	with := func(t trajectory, f func(*trajectory)) trajectory { f(&t); return t }
	lag := func(t *trajectory) { t.lag = true }
	return map[string]trajectory{
		// Patient online: booking/repeats/record 98.7/97.4/96.8% in March 2015;
		// detailed coded record required from 31 March 2016; patients
		// enabled 4.5% in March 2015, about a quarter by 2018.
		"PO01": with(nearUniversal(0.985, 0.988, 0.990, 0.992, 0.994, 0.995), lag),
		"PO02": with(nearUniversal(0.974, 0.979, 0.984, 0.988, 0.990, 0.992), lag),
		"PO03": with(b(0.45, 0.80, 0.93, 0.96, 0.97, 0.98), lag),
		"PO04": with(p(0.9, 5, 8, 11.5, 15, 20, 25), lag),
		"PO05": with(p(1.0, 10, 12, 14, 17, 20, 23), lag),
		"PO06": with(b(0.02, 0.04, 0.10, 0.18, 0.28, 0.36), lag),
		"PO07": b(0.01, 0.02, 0.04, 0.08, 0.16, 0.26),
		"PO08": b(0.85, 0.87, 0.89, 0.91, 0.92, 0.93),
		"PO09": b(0.55, 0.62, 0.70, 0.76, 0.81, 0.85),
		"PO10": with(b(0.002, 0.003, 0.005, 0.01, 0.02, 0.03), func(t *trajectory) { t.smallNA = true }),
		// Records: EPS R2 live 65% Sep 2015, 91.2% Aug 2017; 57.7% of items by
		// EPS June 2017; GP2GP 97.2% Sep 2015; e-RS about 52% to March 2018.
		"ER01": b(0.65, 0.74, 0.82, 0.87, 0.912, 0.935),
		"ER02": with(p(0.8, 14, 26, 38, 49, 58, 66), func(t *trajectory) { t.gate = "ER01" }),
		"ER03": nearUniversal(0.972, 0.975, 0.978, 0.980, 0.982, 0.984),
		"ER04": with(p(0.9, 70, 73, 76, 79, 82, 85), func(t *trajectory) { t.gate = "ER03" }),
		"ER05": with(p(0.8, 49, 50, 51, 51, 52, 53), func(t *trajectory) { t.lowERS = true }),
		"ER06": nearUniversal(0.960, 0.965, 0.970, 0.975, 0.980, 0.982),
		"ER07": p(1.3, 0.3, 0.5, 0.9, 1.5, 2.3, 3.2),
		"ER08": nearUniversal(0.970, 0.975, 0.978, 0.980, 0.983, 0.985),
		"ER09": {atLeast: ordLinear([3]float64{0.80, 0.50, 0.15}, [3]float64{0.96, 0.82, 0.45}), load: 0.5, noise: 0.2},
		"ER10": nearUniversal(0.94, 0.95, 0.96, 0.97, 0.975, 0.98),
		"ER11": c(0.15, 0.25, 0.40),
		"ER12": b(0.80, 0.82, 0.84, 0.86, 0.88, 0.90),
		"ER13": b(0, 0, 0, 0.005, 0.02, 0.05),
		"ER14": c(0.05, 0.15, 0.35),
		// Clinical systems.
		"CS01": {},
		"CS02": nearUniversal(0.990, 0.992, 0.994, 0.995, 0.996, 0.997),
		"CS03": c(0.85, 0.90, 0.93),
		"CS04": c(0.70, 0.78, 0.85),
		"CS05": c(0.40, 0.55, 0.70),
		"CS06": b(0.40, 0.45, 0.50, 0.55, 0.60, 0.65),
		// Infrastructure: NHS Wi-Fi about 13% March 2017, 43% March 2018.
		"IN01": b(0.82, 0.84, 0.86, 0.88, 0.90, 0.92),
		"IN02": b(0, 0, 0.01, 0.13, 0.28, 0.43),
		"IN03": p(0.8, 78, 80, 82, 83, 85, 86),
		"IN04": c(0.75, 0.82, 0.88),
		"IN05": b(0.70, 0.74, 0.78, 0.83, 0.88, 0.92),
		"IN06": b(0.35, 0.40, 0.45, 0.50, 0.55, 0.60),
		"IN07": b(0.60, 0.63, 0.67, 0.71, 0.75, 0.78),
		// Information governance.
		"IG01": nearUniversal(0.93, 0.94, 0.95, 0.96, 0.965, 0.97),
		"IG02": b(0.88, 0.91, 0.93, 0.95, 0.96, 0.97),
		"IG03": p(1.0, 80, 84, 88, 91, 93, 95),
		"IG04": c(0.97, 0.98, 0.99),
		"IG05": {atLeast: ordYearly([3]float64{0.95, 0.70, 0.30}, [3]float64{0.97, 0.78, 0.40}, [3]float64{0.98, 0.85, 0.50}),
			load: 0.6, noise: 0.2},
		// GP IT service (CCG-level, yearly).
		"SV01": c(0.90, 0.93, 0.95),
		"SV02": c(0.45, 0.55, 0.62),
		"SV03": c(0.60, 0.70, 0.78),
		"SV04": c(0.70, 0.85, 0.92),
		"SV05": c(0.80, 0.85, 0.90),
		"SV06": c(0.75, 0.82, 0.88),
		// Business intelligence.
		"BI01": b(0.30, 0.35, 0.40, 0.45, 0.50, 0.55),
		"BI02": {atLeast: ordYearly([3]float64{0.50, 0.20, 0.05}, [3]float64{0.60, 0.30, 0.10}, [3]float64{0.72, 0.42, 0.16}),
			load: 0.6, noise: 0.2},
	}
}

// item is the precomputed model of one indicator.
type item struct {
	index   int // in Catalogue()
	kind    itemKind
	ccg     bool
	maxStep int
	// Latent u = load*propensity + persist*itemFactor + noise*periodNoise.
	load, persist, noise float64
	// thresholds: BOOL yes when u > thresholds[t][0]; ORD step = how many
	// of thresholds[t][:maxStep] u exceeds.
	thresholds [periodCount][3]float64
	// PCT value = 100 * sigmoid(offset[t] + spread*u).
	offset  [periodCount]float64
	spread  float64
	gate    int // catalogue index of the gating BOOL, or -1
	lag     bool
	smallNA bool
	lowERS  bool
}

type model struct {
	practiceItems, ccgItems []item
	nIndicators             int
	// values[k] is the canonical value of numeric k/10, k = 0..1000.
	values [1001]string
}

var (
	modelOnce sync.Once
	theModel  *model
	modelErr  error
)

// loadModel builds the seed-independent part of the generator once.
func loadModel() (*model, error) {
	modelOnce.Do(func() { theModel, modelErr = buildModel() })
	return theModel, modelErr
}

func buildModel() (*model, error) {
	cat := Catalogue()
	traj := trajectories()
	m := &model{nIndicators: len(cat)}
	for k := range m.values {
		m.values[k] = strconv.FormatFloat(float64(k)/10, 'f', -1, 64)
	}
	index := map[string]int{}
	for i, ind := range cat {
		index[ind.Code] = i
	}
	for i, ind := range cat {
		tr, ok := traj[ind.Code]
		if !ok {
			return nil, fmt.Errorf("demo: indicator %s has no trajectory", ind.Code)
		}
		it := item{index: i, ccg: ind.Respondent == CCG, maxStep: ind.Spec.MaxStep, gate: -1,
			load: tr.load, noise: tr.noise, spread: tr.spread, lag: tr.lag, smallNA: tr.smallNA, lowERS: tr.lowERS}
		it.persist = math.Sqrt(max(0, 1-it.load*it.load-it.noise*it.noise))
		shifts := noShift
		if it.lag {
			shifts = lagShifts
		}
		switch ind.Spec.Type {
		case indicator.AnswerTypeBOOL:
			it.kind = kindBool
			for t := range it.thresholds {
				it.thresholds[t][0] = threshold(tr.share[t], shifts)
			}
		case indicator.AnswerTypeORD:
			it.kind = kindOrd
			if it.maxStep != 3 {
				return nil, fmt.Errorf("demo: ORD indicator %s has %d steps; the generator knows 3", ind.Code, it.maxStep)
			}
			for t := range it.thresholds {
				for k := range it.thresholds[t] {
					it.thresholds[t][k] = threshold(tr.atLeast[t][k], noShift)
				}
			}
		case indicator.AnswerTypePCT:
			it.kind = kindPct
			if it.ccg {
				return nil, fmt.Errorf("demo: CCG-level PCT indicator %s is not supported", ind.Code)
			}
			gateShare := [periodCount]float64{1, 1, 1, 1, 1, 1}
			if tr.gate != "" {
				g, ok := index[tr.gate]
				if !ok || g >= i || cat[g].Spec.Type != indicator.AnswerTypeBOOL || cat[g].Respondent != Practice {
					return nil, fmt.Errorf("demo: %s is gated by %q, which is not an earlier practice BOOL", ind.Code, tr.gate)
				}
				it.gate = g
				gateShare = traj[tr.gate].share
			}
			for t := range it.offset {
				// The mean over practices passing the gate, so that the mean over
				// all practices follows the trajectory.
				mean := tr.share[t] / 100
				if gateShare[t] > 0 {
					mean /= gateShare[t]
				}
				if it.lowERS {
					mean /= 1 - lowERSShare*(1-lowERSFactor)
				}
				it.offset[t] = calibrate(min(mean, 0.99), it.spread, shifts)
			}
		case indicator.AnswerTypeCHOICE:
			it.kind = kindChoice
		default:
			return nil, fmt.Errorf("demo: indicator %s has answer type %q", ind.Code, ind.Spec.Type)
		}
		if it.ccg {
			m.ccgItems = append(m.ccgItems, it)
		} else {
			m.practiceItems = append(m.practiceItems, it)
		}
	}
	return m, nil
}

// shift is a share of practices whose latent is shifted.
type shift struct{ share, by float64 }

var (
	noShift = []shift{{1, 0}}
	// lagShifts is the mixture of supplier lags on patient-online items.
	lagShifts = func() []shift {
		out := make([]shift, len(supplierShare))
		for i := range out {
			out[i] = shift{supplierShare[i], supplierLag[i]}
		}
		return out
	}()
)

// threshold is the value above which the given share of a latent
// U + shift lies, U standard normal and shift drawn from the mixture: +Inf
// for 0, -Inf for 1. It is found by bisection so that the supplier lag on
// patient-online items does not move the national share.
func threshold(share float64, shifts []shift) float64 {
	switch {
	case share <= 0:
		return math.Inf(1)
	case share >= 1:
		return math.Inf(-1)
	}
	above := func(th float64) float64 {
		s := 0.0
		for _, sh := range shifts {
			s += sh.share * math.Erfc((th-sh.by)/math.Sqrt2) / 2
		}
		return s
	}
	lo, hi := -12.0, 12.0
	for range 80 {
		mid := (lo + hi) / 2
		if above(mid) > share {
			lo = mid
		} else {
			hi = mid
		}
	}
	return (lo + hi) / 2
}

func sigmoid(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

// calibrate finds the logit offset o with E[sigmoid(o + spread*(U+shift))]
// = mean for a standard normal U and a shift drawn from the mixture, by
// bisection over a quadrature of the normal.
func calibrate(mean, spread float64, shifts []shift) float64 {
	if mean <= 0 {
		return math.Inf(-1)
	}
	const step = 0.05
	var xs, ws []float64
	total := 0.0
	for x := -6.0; x <= 6.0; x += step {
		w := math.Exp(-x * x / 2)
		xs, ws = append(xs, x), append(ws, w)
		total += w
	}
	expect := func(o float64) float64 {
		s := 0.0
		for _, sh := range shifts {
			for i, x := range xs {
				s += sh.share * ws[i] * sigmoid(o+spread*(x+sh.by))
			}
		}
		return s / total
	}
	lo, hi := -30.0, 30.0
	for range 80 {
		mid := (lo + hi) / 2
		if expect(mid) < mean {
			lo = mid
		} else {
			hi = mid
		}
	}
	return (lo + hi) / 2
}

// practiceState is what Generate precomputes per practice.
type practiceState struct {
	key        uint64
	propensity float64 // standardised
	lagShift   float64
	missRate   float64 // before the period factors
	supplier   uint8
	small      bool
	lowERS     bool
}

// answerRef is a precomputed CCG answer: an index into the numeric table.
type answerRef int16

// Generate emits the demo answers of every practice and CCG in every period
// (docs/domain.md §8), in a deterministic order: by period; within a period the
// practices in input order, then the CCGs; within a subject the indicators
// in catalogue order. Missing answers are not emitted. The same seed and
// subjects give the same answers, and a practice's answers depend only on
// the seed and the codes of the practice, its CCG and its region (and its
// list size), not on the order of the inputs. Generate stops at, and
// returns, the first error of emit.
func Generate(seed uint64, s Subjects, emit func(Answer) error) error {
	if emit == nil {
		return errors.New("demo: Generate needs an emit function")
	}
	m, err := loadModel()
	if err != nil {
		return err
	}
	// numbers[k] = k/10: the numeric values the answers point at.
	numbers := make([]float64, len(m.values))
	for k := range numbers {
		numbers[k] = float64(k) / 10
	}

	pItems, cItems := m.practiceItems, m.ccgItems
	nP, nC := len(pItems), len(cItems)
	regionEffect := func(region string) float64 {
		if region == "" {
			return 0
		}
		return regionEffectSD * normalOf(hashKey(seed, "region", region))
	}
	ccgEffect := func(ccg string) float64 { return ccgEffectSD * normalOf(hashKey(seed, "ccg", ccg)) }
	ccgMissRate := func(ccg string) float64 { return 0.015 + 0.045*uniformOf(hashKey(seed, "ccg-missing", ccg)) }
	ccgLowERS := func(ccg string) bool { return uniformOf(hashKey(seed, "ers-low", ccg)) < lowERSShare }

	// Per practice: propensity, persistent item factors and rates.
	const practiceVariance = 1 + ccgEffectSD*ccgEffectSD + regionEffectSD*regionEffectSD
	states := make([]practiceState, len(s.Practices))
	factors := make([]float64, len(s.Practices)*nP)
	for i, p := range s.Practices {
		region := p.Region
		if region == "" {
			region = s.CCGRegion[p.CCG]
		}
		key := hashKey(seed, "practice", p.Code)
		r := newRNG(key)
		raw := r.normal() + ccgEffect(p.CCG) + regionEffect(region)
		if p.ListSize > 0 {
			raw += sizeEffect * min(max(math.Log2(float64(p.ListSize)/medianListSize), -2), 2)
		}
		sup := supplierOf(seed, p.Code)
		if real := slices.Index(suppliers[:], p.ClinicalSystem); real >= 0 {
			sup = real // the real system, where known, and its lag
		}
		states[i] = practiceState{
			key:        key,
			propensity: raw / math.Sqrt(practiceVariance),
			lagShift:   supplierLag[sup],
			missRate:   ccgMissRate(p.CCG) * (0.4 + 1.2*r.float()),
			supplier:   uint8(sup),
			small:      p.ListSize > 0 && p.ListSize < smallList,
			lowERS:     ccgLowERS(p.CCG),
		}
		f := factors[i*nP : (i+1)*nP]
		for j := range f {
			f[j] = r.normal()
		}
	}

	// Per CCG: its answers for each of the three years.
	const ccgVariance = ccgEffectSD*ccgEffectSD + regionEffectSD*regionEffectSD + 0.6*0.6
	const years = periodCount / 2
	ccgAnswers := make([]answerRef, len(s.CCGs)*years*nC)
	for c, code := range s.CCGs {
		r := newRNG(hashKey(seed, "ccg-answers", code))
		propensity := (ccgEffect(code) + regionEffect(s.CCGRegion[code]) + 0.6*r.normal()) / math.Sqrt(ccgVariance)
		for j := range cItems {
			it := &cItems[j]
			factor := r.normal()
			for y := range years {
				u := latent(it, propensity, factor, r.normal())
				ccgAnswers[(c*years+y)*nC+j] = answerRef(10 * passed(&it.thresholds[2*y], u, it.kind))
			}
		}
	}

	gates := make([]bool, m.nIndicators)
	for t := range periodCount {
		for i := range states {
			st := &states[i]
			r := newRNG(mix64(st.key ^ uint64(t+1)*golden))
			if r.float() < wholeReturnMissing {
				continue
			}
			missRate := st.missRate * periodMissing[t] * (0.5 + r.float())
			f := factors[i*nP : (i+1)*nP]
			for j := range pItems {
				it := &pItems[j]
				missing := r.float() < missRate
				u := latent(it, st.propensity, f[j], r.normal())
				if it.lag {
					u += st.lagShift
				}
				a := Answer{Practice: i, CCG: -1, Indicator: it.index, Period: t}
				switch it.kind {
				case kindBool:
					yes := u > it.thresholds[t][0]
					gates[it.index] = yes
					if yes {
						a.Value, a.Numeric = "yes", &numbers[10]
					} else {
						a.Value, a.Numeric = "no", &numbers[0]
					}
				case kindOrd:
					k := 10 * passed(&it.thresholds[t], u, kindOrd)
					a.Value, a.Numeric = m.values[k], &numbers[k]
				case kindPct:
					v := 0.0
					if it.gate < 0 || gates[it.gate] {
						v = 100 * sigmoid(it.offset[t]+float64(it.spread*u))
						if it.lowERS && st.lowERS {
							v *= lowERSFactor
						}
					}
					k := min(max(int(float64(v*10)+0.5), 0), 1000)
					a.Value, a.Numeric = m.values[k], &numbers[k]
				case kindChoice:
					// The clinical system is known for every practice that returns.
					a.Value, missing = suppliers[st.supplier], false
				}
				if missing {
					continue
				}
				if it.smallNA && st.small {
					a.Value, a.Numeric, a.NotApplicable = "", nil, true
				}
				if err := emit(a); err != nil {
					return err
				}
			}
		}
		y := t / 2
		for c := range s.CCGs {
			refs := ccgAnswers[(c*years+y)*nC : (c*years+y+1)*nC]
			for j := range cItems {
				it := &cItems[j]
				k := int(refs[j])
				a := Answer{Practice: -1, CCG: c, Indicator: it.index, Period: t, Numeric: &numbers[k]}
				if it.kind == kindBool {
					a.Value = "no"
					if k == 10 {
						a.Value = "yes"
					}
				} else {
					a.Value = m.values[k]
				}
				if err := emit(a); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// latent is an answer's latent value. The explicit conversions stop the
// compiler fusing multiply-adds on some architectures, so that the same seed
// gives the same data on amd64 and arm64.
func latent(it *item, propensity, factor, noise float64) float64 {
	return float64(it.load*propensity) + float64(it.persist*factor) + float64(it.noise*noise)
}

// passed is, for BOOL, 1 when u is above the threshold, else 0; for ORD the
// step: how many thresholds u is above.
func passed(thresholds *[3]float64, u float64, kind itemKind) int {
	if kind == kindBool {
		if u > thresholds[0] {
			return 1
		}
		return 0
	}
	n := 0
	for _, th := range thresholds {
		if u > th {
			n++
		}
	}
	return n
}
