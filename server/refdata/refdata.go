// Package refdata holds the England hierarchy of 2016 (regions, STP
// footprints, CCGs and GP practices), derived from NHS Digital's ODS files
// and embedded in the binary; see README.md for sources and licence.
package refdata

import (
	"bytes"
	"embed"
	"encoding/csv"
	"fmt"
	"io"
	"sort"
	"strconv"
	"sync"
)

// Region is an NHS England commissioning region.
type Region struct{ Code, Name string }

// STP is a sustainability and transformation partnership footprint.
type STP struct{ Code, Name, Region string }

// CCG is a clinical commissioning group.
type CCG struct{ Code, Name, Region, LocalOffice, Postcode, STP string }

// Practice is a GP practice.
type Practice struct {
	Code, Name, Postcode, CCG, LocalOffice string
	ListSize                               int
}

// Hierarchy is a whole tier tree, each list sorted by code.
type Hierarchy struct {
	Regions   []Region
	STPs      []STP
	CCGs      []CCG
	Practices []Practice
}

//go:embed data/*.csv
var files embed.FS

var (
	englandOnce sync.Once
	england     *Hierarchy
	englandErr  error
)

// England returns the embedded hierarchy: 4 regions, 44 STPs, 209 CCGs and
// 7,756 practices. Callers must not modify it.
func England() (*Hierarchy, error) {
	englandOnce.Do(func() { england, englandErr = load() })
	return england, englandErr
}

func load() (*Hierarchy, error) {
	h := &Hierarchy{}
	err := readCSV("regions.csv", 2, func(r []string) error {
		h.Regions = append(h.Regions, Region{r[0], r[1]})
		return nil
	})
	if err == nil {
		err = readCSV("stps.csv", 3, func(r []string) error {
			h.STPs = append(h.STPs, STP{r[0], r[1], r[2]})
			return nil
		})
	}
	if err == nil {
		err = readCSV("ccgs.csv", 6, func(r []string) error {
			h.CCGs = append(h.CCGs, CCG{r[0], r[1], r[2], r[3], r[4], r[5]})
			return nil
		})
	}
	if err == nil {
		err = readCSV("practices.csv", 6, func(r []string) error {
			n, err := strconv.Atoi(r[5])
			if err != nil {
				return fmt.Errorf("practice %s: bad list size %q", r[0], r[5])
			}
			h.Practices = append(h.Practices, Practice{r[0], r[1], r[2], r[3], r[4], n})
			return nil
		})
	}
	if err != nil {
		return nil, fmt.Errorf("embedded reference data: %w", err)
	}
	return h, h.Validate()
}

func readCSV(name string, cols int, each func([]string) error) error {
	b, err := files.ReadFile("data/" + name)
	if err != nil {
		return err
	}
	r := csv.NewReader(bytes.NewReader(b))
	r.FieldsPerRecord = cols
	if _, err := r.Read(); err != nil { // header
		return fmt.Errorf("%s: %w", name, err)
	}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if err := each(rec); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
}

// Validate checks that every parent exists and that tiers agree: a CCG's
// STP is in the CCG's region, and codes are unique.
func (h *Hierarchy) Validate() error {
	regions := map[string]bool{}
	for _, r := range h.Regions {
		if regions[r.Code] {
			return fmt.Errorf("region %s appears twice", r.Code)
		}
		regions[r.Code] = true
	}
	stps := map[string]STP{}
	for _, s := range h.STPs {
		if !regions[s.Region] {
			return fmt.Errorf("STP %s: unknown region %q", s.Code, s.Region)
		}
		if _, dup := stps[s.Code]; dup {
			return fmt.Errorf("STP %s appears twice", s.Code)
		}
		stps[s.Code] = s
	}
	ccgs := map[string]bool{}
	for _, c := range h.CCGs {
		s, ok := stps[c.STP]
		switch {
		case !ok:
			return fmt.Errorf("CCG %s: unknown STP %q", c.Code, c.STP)
		case s.Region != c.Region:
			return fmt.Errorf("CCG %s is in region %s but its STP %s is in %s", c.Code, c.Region, s.Code, s.Region)
		case ccgs[c.Code]:
			return fmt.Errorf("CCG %s appears twice", c.Code)
		}
		ccgs[c.Code] = true
	}
	practices := map[string]bool{}
	for _, p := range h.Practices {
		if !ccgs[p.CCG] {
			return fmt.Errorf("practice %s: unknown CCG %q", p.Code, p.CCG)
		}
		if practices[p.Code] {
			return fmt.Errorf("practice %s appears twice", p.Code)
		}
		practices[p.Code] = true
	}
	return nil
}

// Small returns a tiny, stable subset of England for tests: two regions,
// three STPs (one region has two), four CCGs (one STP has two) and the
// first four practices of each CCG by code.
func Small() *Hierarchy {
	e, err := England()
	if err != nil {
		panic(err)
	}
	keepCCG := map[string]bool{"00C": true, "00D": true, "00L": true, "07L": true}
	h := &Hierarchy{}
	keepSTP, keepRegion := map[string]bool{}, map[string]bool{}
	for _, c := range e.CCGs {
		if keepCCG[c.Code] {
			h.CCGs = append(h.CCGs, c)
			keepSTP[c.STP], keepRegion[c.Region] = true, true
		}
	}
	for _, s := range e.STPs {
		if keepSTP[s.Code] {
			h.STPs = append(h.STPs, s)
		}
	}
	for _, r := range e.Regions {
		if keepRegion[r.Code] {
			h.Regions = append(h.Regions, r)
		}
	}
	perCCG := map[string]int{}
	for _, p := range e.Practices {
		if keepCCG[p.CCG] && perCCG[p.CCG] < 4 {
			h.Practices = append(h.Practices, p)
			perCCG[p.CCG]++
		}
	}
	sort.Slice(h.Practices, func(i, j int) bool { return h.Practices[i].Code < h.Practices[j].Code })
	return h
}
