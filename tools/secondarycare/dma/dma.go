// Package dma holds the secondary-care subgraph's data: the acute NHS
// trusts of England with their STP (the Health Foundation's lookup,
// data/trust_stp_2017-18.csv), each trust's Digital Maturity Assessment
// themes for the rounds of 2016 and 2017, and their means over an STP, a
// region or England. The scores are synthetic (synthetic.go) unless real
// ones are read in (scores.go).
package dma

import (
	"bytes"
	_ "embed"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"

	"dpcma/server/refdata"
)

// The assessment rounds: winter 2015/16 (published April 2016) and autumn
// 2017.
const (
	Round2016    = 2016
	Round2017    = 2017
	DefaultRound = Round2017
)

// Rounds are the rounds held, oldest first.
var Rounds = []int{Round2016, Round2017}

// National is England's code, as dpcma spells it.
const National = "ENG"

// CapabilityAreas are the eight areas of the capabilities theme, in the
// order of the assessment.
var CapabilityAreas = [8]string{
	"Records, assessments and plans",
	"Transfers of care",
	"Orders and results management",
	"Medicines management and optimisation",
	"Decision support",
	"Remote and assistive care",
	"Asset and resource optimisation",
	"Standards",
}

// Scores are one trust's return for one round: each theme 0-100 and
// overall, the mean of the three themes.
type Scores struct {
	Readiness, Capabilities, Infrastructure, Overall float64
	// Areas are the capability areas' scores, in CapabilityAreas order.
	Areas [8]float64
}

// Trust is an acute NHS trust.
type Trust struct {
	Code, Name string
	// STP is the ONS code of the trust's STP footprint; Region the code of
	// that STP's region (the lookup's own region column is unreliable).
	STP, Region string
	// DMA holds the trust's return by round; a round without a return is
	// missing.
	DMA map[int]*Scores
}

// Data is every trust and the areas (England, regions, STPs) they sit in.
type Data struct {
	// Trusts are sorted by code.
	Trusts  []*Trust
	byCode  map[string]*Trust
	members map[string][]*Trust // trusts of England, each region and each STP, by code
	h       *refdata.Hierarchy
}

//go:embed data/trust_stp_2017-18.csv
var lookup []byte

// Load returns the embedded trusts, placed by dpcma's reference hierarchy,
// with synthetic scores.
func Load() (*Data, error) {
	h, err := refdata.England()
	if err != nil {
		return nil, err
	}
	trusts, err := ReadLookup(bytes.NewReader(lookup), h)
	if err != nil {
		return nil, fmt.Errorf("trust_stp_2017-18.csv: %w", err)
	}
	for _, t := range trusts {
		t.DMA = Synthetic(t.Code)
	}
	return New(trusts, h), nil
}

// ReadLookup reads the Health Foundation's trust to STP lookup (header
// "NHS England Region, Trust, code, STP, STP_code", UTF-8 with or without
// a byte order mark) and places each trust in its STP's region of h.
func ReadLookup(r io.Reader, h *refdata.Hierarchy) ([]*Trust, error) {
	regionOf := map[string]string{}
	for _, s := range h.STPs {
		regionOf[s.Code] = s.Region
	}
	rows, err := csv.NewReader(r).ReadAll()
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, errors.New("empty file")
	}
	col, err := columns(rows[0], "Trust", "code", "STP_code")
	if err != nil {
		return nil, err
	}
	var trusts []*Trust
	seen := map[string]bool{}
	for i, row := range rows[1:] {
		code, stp := strings.TrimSpace(row[col["code"]]), strings.TrimSpace(row[col["STP_code"]])
		region, ok := regionOf[stp]
		switch {
		case code == "":
			return nil, fmt.Errorf("line %d: no trust code", i+2)
		case seen[code]:
			return nil, fmt.Errorf("line %d: trust %s listed twice", i+2, code)
		case !ok:
			return nil, fmt.Errorf("line %d: trust %s: STP %q is not one of the 44", i+2, code, stp)
		}
		seen[code] = true
		trusts = append(trusts, &Trust{Code: code, Name: strings.TrimSpace(row[col["Trust"]]), STP: stp, Region: region})
	}
	return trusts, nil
}

// columns finds each wanted column of a header by name, ignoring a byte
// order mark and spaces around the names.
func columns(header []string, want ...string) (map[string]int, error) {
	at := map[string]int{}
	for i, h := range header {
		at[strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))] = i
	}
	out := map[string]int{}
	for _, w := range want {
		i, ok := at[w]
		if !ok {
			return nil, fmt.Errorf("no column %q in the header %q", w, header)
		}
		out[w] = i
	}
	return out, nil
}

// New indexes trusts by code and by the areas of h they sit in: every STP
// and region of h, and England, has an entry, with no trusts if none
// lies in it.
func New(trusts []*Trust, h *refdata.Hierarchy) *Data {
	d := &Data{Trusts: slices.Clone(trusts), byCode: map[string]*Trust{}, members: map[string][]*Trust{National: nil}, h: h}
	slices.SortFunc(d.Trusts, func(a, b *Trust) int { return strings.Compare(a.Code, b.Code) })
	for _, r := range h.Regions {
		d.members[r.Code] = nil
	}
	for _, s := range h.STPs {
		d.members[s.Code] = nil
	}
	for _, t := range d.Trusts {
		d.byCode[t.Code] = t
		for _, area := range []string{National, t.Region, t.STP} {
			d.members[area] = append(d.members[area], t)
		}
	}
	return d
}

// Trust returns the trust with the code, or nil.
func (d *Data) Trust(code string) *Trust { return d.byCode[code] }

// IsArea reports whether code is England's, a region's or an STP's: the
// organisations secondary care is summarised for.
func (d *Data) IsArea(code string) bool {
	_, ok := d.members[code]
	return ok
}

// Summary is the mean of an area's trusts' returns for one round.
type Summary struct {
	Round int
	// Trusts are those with a return for the round, best overall first.
	Trusts []*Trust
	// The means of the trusts' scores, to one decimal place; NaN when no
	// trust has a return.
	Readiness, Capabilities, Infrastructure, Overall float64
}

// Summarise returns the summary of an area for a round, and false when
// code is not an area's.
func (d *Data) Summarise(code string, round int) (*Summary, bool) {
	trusts, ok := d.members[code]
	if !ok {
		return nil, false
	}
	s := &Summary{Round: round}
	var r, c, i, o float64
	for _, t := range trusts {
		sc := t.DMA[round]
		if sc == nil {
			continue
		}
		s.Trusts = append(s.Trusts, t)
		r, c, i, o = r+sc.Readiness, c+sc.Capabilities, i+sc.Infrastructure, o+sc.Overall
	}
	n := float64(len(s.Trusts))
	s.Readiness, s.Capabilities, s.Infrastructure, s.Overall = round1(r/n), round1(c/n), round1(i/n), round1(o/n)
	slices.SortStableFunc(s.Trusts, func(a, b *Trust) int {
		if d := b.DMA[round].Overall - a.DMA[round].Overall; d != 0 {
			return int(math.Copysign(1, d))
		}
		return strings.Compare(a.Code, b.Code)
	})
	return s, true
}

// round1 rounds to one decimal place, as scores are shown.
func round1(x float64) float64 { return math.Round(x*10) / 10 }

// overall is the mean of the three themes, to one decimal place.
func overall(s *Scores) float64 {
	return round1((s.Readiness + s.Capabilities + s.Infrastructure) / 3)
}
