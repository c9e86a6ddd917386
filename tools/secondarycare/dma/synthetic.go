package dma

import (
	"hash/fnv"
	"math"
	"math/rand/v2"
)

// No per-trust DMA file is public in a form we hold, so each trust's
// scores are drawn from a generator seeded by its ODS code alone: the same
// code always gets the same scores, whatever else is loaded. The
// parameters put the 137 acute trusts on the published national figures
// of the 2016 round (means: readiness 73, capabilities 40, infrastructure
// 68, overall about 60; highest overall about 93, lowest readiness about
// 28), with the 2017 round higher on every theme and up to 16% on the
// weakest (capabilities).
var (
	themeMean = [3]float64{72, 38.6, 68} // readiness, capabilities, infrastructure
	themeSD   = [3]float64{14, 16, 14}
	// How much of a trust's themes comes from one shared maturity: trusts
	// strong on one theme tend to be strong on the others.
	shared = 0.8
	// Invented offsets of the capability areas from a trust's capabilities
	// score (they sum to 0), and how far an area strays from them.
	areaOffset = [8]float64{8, -2, 12, -4, -8, -14, 0, 8}
	areaSD     = 7.0
	// 2017: each theme grows by its mean uplift, plus or minus a trust's own.
	uplift   = [3]float64{0.05, 0.16, 0.08}
	upliftSD = 0.04
)

// Synthetic returns a trust's synthetic returns for both rounds.
func Synthetic(code string) map[int]*Scores {
	h := fnv.New64a()
	h.Write([]byte(code))
	rng := rand.New(rand.NewPCG(h.Sum64(), 0x444d41)) // "DMA"

	z0 := rng.NormFloat64()
	var first [3]float64
	for k := range first {
		first[k] = themeMean[k] + themeSD[k]*(shared*z0+math.Sqrt(1-shared*shared)*rng.NormFloat64())
	}
	s16 := scores(first, func(_ int, area float64) float64 { return area + areaSD*rng.NormFloat64() })

	var grow [3]float64
	for k := range grow {
		grow[k] = 1 + uplift[k] + upliftSD*rng.NormFloat64()
	}
	second := [3]float64{s16.Readiness * grow[0], s16.Capabilities * grow[1], s16.Infrastructure * grow[2]}
	s17 := scores(second, func(j int, _ float64) float64 { return s16.Areas[j]*grow[1] + 3*rng.NormFloat64() })
	return map[int]*Scores{Round2016: s16, Round2017: s17}
}

// scores makes one round's Scores from the themes, with each capability
// area drawn by area(j, centre) around centre, the capabilities score plus
// the area's offset; the capabilities theme is then the mean of its areas.
func scores(theme [3]float64, area func(j int, centre float64) float64) *Scores {
	s := &Scores{Readiness: clampScore(theme[0]), Infrastructure: clampScore(theme[2])}
	var sum float64
	for j := range s.Areas {
		s.Areas[j] = clampScore(area(j, theme[1]+areaOffset[j]))
		sum += s.Areas[j]
	}
	s.Capabilities = round1(sum / float64(len(s.Areas)))
	s.Overall = overall(s)
	return s
}

// clampScore keeps a score within 0-100, to one decimal place.
func clampScore(x float64) float64 { return round1(min(100, max(0, x))) }
