package dma

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// AreaColumns name the capability areas' columns of a scores file, in
// CapabilityAreas order.
var AreaColumns = [8]string{"records", "transfers", "orders_results", "medicines", "decision_support",
	"remote_care", "asset_optimisation", "standards"}

// ScoreColumns are the columns a scores file must have (in any order; others
// are ignored): one row per trust and round, each score 0-100.
var ScoreColumns = append([]string{"round", "code", "readiness", "capabilities", "infrastructure"}, AreaColumns[:]...)

// WithScores returns a copy of d whose trusts carry the returns of a
// scores file (ScoreColumns) instead of their own: a trust without a row
// for a round has no return for it, and rows of trusts that d does not
// hold (the assessment covered every provider trust, the lookup only acute
// ones) are left out. Overall is the mean of the themes, as published.
func (d *Data) WithScores(r io.Reader) (*Data, error) {
	rows, err := csv.NewReader(r).ReadAll()
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, errors.New("empty file")
	}
	col, err := columns(rows[0], ScoreColumns...)
	if err != nil {
		return nil, err
	}
	trusts := make(map[string]*Trust, len(d.Trusts))
	var list []*Trust
	for _, t := range d.Trusts {
		c := *t
		c.DMA = map[int]*Scores{}
		trusts[t.Code], list = &c, append(list, &c)
	}
	for i, row := range rows[1:] {
		line := i + 2
		t := trusts[strings.TrimSpace(row[col["code"]])]
		if t == nil {
			continue
		}
		num := func(name string) (float64, error) {
			v, err := strconv.ParseFloat(strings.TrimSpace(row[col[name]]), 64)
			if err != nil || v < 0 || v > 100 {
				return 0, fmt.Errorf("line %d: %s %q is not a score from 0 to 100", line, name, row[col[name]])
			}
			return round1(v), nil
		}
		round, err := strconv.Atoi(strings.TrimSpace(row[col["round"]]))
		if err != nil || !slices.Contains(Rounds, round) {
			return nil, fmt.Errorf("line %d: round %q is not one of %v", line, row[col["round"]], Rounds)
		}
		if t.DMA[round] != nil {
			return nil, fmt.Errorf("line %d: trust %s has two rows for round %d", line, t.Code, round)
		}
		s := &Scores{}
		for _, f := range []struct {
			name string
			into *float64
		}{{"readiness", &s.Readiness}, {"capabilities", &s.Capabilities}, {"infrastructure", &s.Infrastructure}} {
			if *f.into, err = num(f.name); err != nil {
				return nil, err
			}
		}
		for j, name := range AreaColumns {
			if s.Areas[j], err = num(name); err != nil {
				return nil, err
			}
		}
		s.Overall = overall(s)
		t.DMA[round] = s
	}
	return New(list, d.h), nil
}
