package main

import (
	"fmt"
	"math"
	"slices"
	"strconv"
)

// An indicator a submission answers: BOOL, PCT or ORD.
type indicatorSpec struct {
	code    string
	kind    string // BOOL, PCT, ORD
	maxStep int
}

// encoding turns a practice's submission number (its generation) into
// answers, so that the answers stored at the end tell which submission
// wrote them. Every answer changes from one generation to the next, and
// the first two PCT answers hold the generation's last four digits (g mod
// 100, and g/100 + g mod 100, which changes at each step too), so no
// two generations of a run below 10,000 give the same answers: a stored
// set that matches none of them is a half-applied or foreign write.
type encoding struct {
	indicators []indicatorSpec
}

// maxGeneration keeps generations distinguishable (see encoding).
const maxGeneration = 9999

func newEncoding(specs []indicatorSpec) (encoding, error) {
	pct := 0
	for _, s := range specs {
		if s.kind == "PCT" {
			pct++
		}
	}
	if pct < 2 {
		return encoding{}, fmt.Errorf("submissions need two PCT indicators to mark their generation, the catalogue has %d", pct)
	}
	return encoding{specs}, nil
}

// answers gives each indicator's numeric value for generation g: yes is
// 1, no 0, a PCT its percentage, an ORD its step.
func (e encoding) answers(g int) map[string]float64 {
	out := make(map[string]float64, len(e.indicators))
	pct := 0
	for j, s := range e.indicators {
		switch s.kind {
		case "BOOL":
			out[s.code] = float64((g + j + 1) % 2)
		case "ORD":
			out[s.code] = float64((g + j) % (s.maxStep + 1))
		case "PCT":
			switch pct {
			case 0:
				out[s.code] = float64(g % 100)
			case 1:
				out[s.code] = float64((g/100 + g) % 100)
			default:
				out[s.code] = float64((g*7 + j) % 101)
			}
			pct++
		}
	}
	return out
}

// input is the answers of generation g as submitResponses takes them.
func (e encoding) input(g int) []map[string]any {
	vals := e.answers(g)
	out := make([]map[string]any, 0, len(e.indicators))
	for _, s := range e.indicators {
		v := strconv.FormatFloat(vals[s.code], 'f', -1, 64)
		if s.kind == "BOOL" {
			v = map[float64]string{0: "no", 1: "yes"}[vals[s.code]]
		}
		out = append(out, map[string]any{"indicator": s.code, "value": v})
	}
	return out
}

// attempt is one submission sent for a practice.
type attempt struct {
	gen   int
	acked bool     // 200, no errors, data present
	score *float64 // the maturity score the acknowledgement gave
}

// generationOf is the generation whose answers equal stored on every
// submitted indicator, or -1. Only the candidates are tried.
func (e encoding) generationOf(stored map[string]float64, candidates []int) int {
	for _, g := range candidates {
		if e.matches(stored, e.answers(g)) {
			return g
		}
	}
	return -1
}

func (e encoding) matches(stored, want map[string]float64) bool {
	for _, s := range e.indicators {
		v, ok := stored[s.code]
		w, wok := want[s.code]
		if ok != wok || (ok && math.Abs(v-w) > 1e-9) {
			return false
		}
	}
	return true
}

// checkPractice decides whether a practice's stored answers are sound
// after its submissions (sent one at a time, in order): they must be the
// whole of one submission, the last acknowledged one or a later one whose
// answer was lost; with nothing acknowledged, what was there before the
// run is sound too. It returns the generation found (0 for the state
// before the run).
func (e encoding) checkPractice(stored, before map[string]float64, attempts []attempt) (int, error) {
	lastAck := -1
	for i, a := range attempts {
		if a.acked {
			lastAck = i
		}
	}
	var allowed []int
	for i, a := range attempts {
		if i >= lastAck {
			allowed = append(allowed, a.gen)
		}
	}
	if lastAck < 0 && e.matches(stored, before) {
		return 0, nil
	}
	if g := e.generationOf(stored, allowed); g >= 0 {
		return g, nil
	}
	var all []int
	for _, a := range attempts {
		all = append(all, a.gen)
	}
	if g := e.generationOf(stored, all); g >= 0 {
		return g, fmt.Errorf("stored answers are submission %d, older than acknowledged submission %d: an acknowledged write was lost", g, attempts[lastAck].gen)
	}
	if lastAck >= 0 && e.matches(stored, before) {
		return 0, fmt.Errorf("stored answers are those before the run, but submission %d was acknowledged: an acknowledged write was lost", attempts[lastAck].gen)
	}
	return -1, fmt.Errorf("stored answers match no single submission (%s): a submission was half applied or another writer changed them", e.describe(stored, all))
}

// describe names, for each indicator, the generations its stored value
// fits, to show what a half-applied write looks like.
func (e encoding) describe(stored map[string]float64, gens []int) string {
	fits := map[string][]int{}
	for _, g := range gens {
		want := e.answers(g)
		for code, w := range want {
			if v, ok := stored[code]; ok && math.Abs(v-w) <= 1e-9 {
				fits[code] = append(fits[code], g)
			}
		}
	}
	out := ""
	for _, s := range e.indicators[:min(len(e.indicators), 6)] {
		v, ok := stored[s.code]
		val := "none"
		if ok {
			val = strconv.FormatFloat(v, 'f', -1, 64)
		}
		out += fmt.Sprintf("%s=%s fits %v; ", s.code, val, slices.Compact(fits[s.code]))
	}
	return out + "..."
}
