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
	"os"
	"path/filepath"
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

// Practice is a GP practice. STP is its own footprint: its CCG's, but for
// a CCG the ONS lookup splits (SplitRules).
type Practice struct {
	Code, Name, Postcode, CCG, STP, LocalOffice string
	ListSize                                    int
	// From NHS Payments to General Practice; "" and nil when unknown.
	ContractType     string // GMS, PMS or APMS
	Dispensing       *bool
	Rurality         string // Urban or Rural
	WeightedPatients *float64
	// ClinicalSystem is the principal clinical system of the POMI supplier
	// snapshot of December 2016 (EMIS Web, SystmOne, Vision, Evolution);
	// "" when unknown.
	ClinicalSystem string
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
		err = readCSV("practices.csv", len(practiceHeader), func(r []string) error {
			p, err := practiceFromRecord(r)
			h.Practices = append(h.Practices, p)
			return err
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
	ccgs, ccgRegion := map[string]bool{}, map[string]string{}
	for _, c := range h.CCGs {
		ccgRegion[c.Code] = c.Region
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
		s, ok := stps[p.STP]
		switch {
		case !ccgs[p.CCG]:
			return fmt.Errorf("practice %s: unknown CCG %q", p.Code, p.CCG)
		case !ok:
			return fmt.Errorf("practice %s: unknown STP %q", p.Code, p.STP)
		case s.Region != ccgRegion[p.CCG]:
			return fmt.Errorf("practice %s: its STP %s is not in its CCG's region %s", p.Code, p.STP, ccgRegion[p.CCG])
		}
		if practices[p.Code] {
			return fmt.Errorf("practice %s appears twice", p.Code)
		}
		practices[p.Code] = true
	}
	return nil
}

// Small returns a tiny, stable subset of England for tests: two regions,
// five STPs (one region has four), five CCGs (one STP has two) and the
// first four practices of each CCG by code; of Cumbria (01H), split
// between two STPs, the first two practices of each side.
func Small() *Hierarchy {
	e, err := England()
	if err != nil {
		panic(err)
	}
	keepCCG := map[string]bool{"00C": true, "00D": true, "00L": true, "07L": true, "01H": true}
	h := &Hierarchy{}
	keepSTP, keepRegion := map[string]bool{}, map[string]bool{}
	for _, c := range e.CCGs {
		if keepCCG[c.Code] {
			h.CCGs = append(h.CCGs, c)
			keepRegion[c.Region] = true
		}
	}
	perSide := map[[2]string]int{}
	for _, p := range e.Practices {
		side := [2]string{p.CCG, p.STP}
		limit := 4
		if p.CCG == "01H" {
			limit = 2
		}
		if keepCCG[p.CCG] && perSide[side] < limit {
			h.Practices = append(h.Practices, p)
			perSide[side]++
			keepSTP[p.STP] = true
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
	sort.Slice(h.Practices, func(i, j int) bool { return h.Practices[i].Code < h.Practices[j].Code })
	return h
}

// practiceHeader is the header of practices.csv.
var practiceHeader = []string{"code", "name", "postcode", "ccg", "stp", "local_office", "list_size",
	"contract_type", "dispensing", "rurality", "weighted_patients", "clinical_system"}

func practiceFromRecord(r []string) (Practice, error) {
	p := Practice{Code: r[0], Name: r[1], Postcode: r[2], CCG: r[3], STP: r[4], LocalOffice: r[5],
		ContractType: r[7], Rurality: r[9], ClinicalSystem: r[11]}
	n, err := strconv.Atoi(r[6])
	if err != nil {
		return p, fmt.Errorf("practice %s: bad list size %q", r[0], r[6])
	}
	p.ListSize = n
	switch r[8] {
	case "yes", "no":
		d := r[8] == "yes"
		p.Dispensing = &d
	case "":
	default:
		return p, fmt.Errorf("practice %s: bad dispensing %q", r[0], r[8])
	}
	if r[10] != "" {
		w, err := strconv.ParseFloat(r[10], 64)
		if err != nil {
			return p, fmt.Errorf("practice %s: bad weighted patients %q", r[0], r[10])
		}
		p.WeightedPatients = &w
	}
	return p, nil
}

func practiceRecord(p Practice) []string {
	dispensing, weighted := "", ""
	if p.Dispensing != nil {
		dispensing = map[bool]string{true: "yes", false: "no"}[*p.Dispensing]
	}
	if p.WeightedPatients != nil {
		weighted = strconv.FormatFloat(*p.WeightedPatients, 'f', -1, 64)
	}
	return []string{p.Code, p.Name, p.Postcode, p.CCG, p.STP, p.LocalOffice, strconv.Itoa(p.ListSize),
		p.ContractType, dispensing, p.Rurality, weighted, p.ClinicalSystem}
}

// WriteFiles writes the compact files read by England into dir.
func (h *Hierarchy) WriteFiles(dir string) error {
	write := func(name string, header []string, rows [][]string) error {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			return err
		}
		w := csv.NewWriter(f)
		err = w.Write(header)
		if err == nil {
			err = w.WriteAll(rows) // flushes, and reports any earlier write error
		}
		if err != nil {
			f.Close()
			return err
		}
		return f.Close()
	}
	var rows [][]string
	for _, r := range h.Regions {
		rows = append(rows, []string{r.Code, r.Name})
	}
	if err := write("regions.csv", []string{"code", "name"}, rows); err != nil {
		return err
	}
	rows = nil
	for _, s := range h.STPs {
		rows = append(rows, []string{s.Code, s.Name, s.Region})
	}
	if err := write("stps.csv", []string{"code", "name", "region"}, rows); err != nil {
		return err
	}
	rows = nil
	for _, c := range h.CCGs {
		rows = append(rows, []string{c.Code, c.Name, c.Region, c.LocalOffice, c.Postcode, c.STP})
	}
	if err := write("ccgs.csv", []string{"code", "name", "region", "local_office", "postcode", "stp"}, rows); err != nil {
		return err
	}
	rows = nil
	for _, p := range h.Practices {
		rows = append(rows, practiceRecord(p))
	}
	return write("practices.csv", practiceHeader, rows)
}
