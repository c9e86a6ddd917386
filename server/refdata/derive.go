package refdata

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"sort"
	"strings"
	"unicode"

	"dpcma/server/ods"
)

// Sources are the published files a hierarchy is derived from
// (docs/domain.md §7); a nil reader is a file not given.
type Sources struct {
	Practices io.Reader // epraccur (required)
	CCGs      io.Reader // eccg (required)
	Regions   io.Reader // eauth
	ListSizes io.Reader // Numbers of Patients Registered at a GP Practice
	STPLookup io.Reader // ONS CCG to STP lookup
	STPNames  io.Reader // ONS STP footprints (code, name)
	Payments  io.Reader // NHS Payments to General Practice
	Suppliers io.Reader // POMI principal supplier snapshot (JSON)
}

// Derivation is what Derive found beside the hierarchy.
type Derivation struct {
	// Reports are the parsers' reports, one per file read.
	Reports []*ods.Report
	// Skipped gives the reason each code of a kept row was still left out
	// (a practice whose CCG is unknown, a CCG without an STP), by code.
	Skipped map[string]string
	// MedianListSizes counts practices given their CCG's median list size.
	MedianListSizes int
	// Inferred are the CCGs whose STP was taken from where their practices
	// were before, the lookup not listing them (or not given).
	Inferred []Inference
	// RegionClosed are the regions the regions file gives a close date.
	RegionClosed []RegionClosure
}

// RegionClosure is a region the regions file says closed on Date
// (YYYYMMDD); InUse says the CCG file still puts CCGs in it (a CCG file
// older than the regions file), which keeps it in the hierarchy.
type RegionClosure struct {
	Code, Date string
	InUse      bool
}

// Inference is a CCG's STP taken from where most of its practices were.
type Inference struct {
	CCG, STP string
	// From counts the CCG's practices known before by the STP they were
	// in; Of is their total.
	From map[string]int
	Of   int
}

// String reads "15E: STP E54000017, where 168 of its 175 practices were
// (7 in E54000016)".
func (in Inference) String() string {
	var others []string
	for _, s := range slices.Sorted(maps.Keys(in.From)) {
		if s != in.STP {
			others = append(others, fmt.Sprintf("%d in %s", in.From[s], s))
		}
	}
	out := fmt.Sprintf("%s: STP %s, where %d of its %d practices known before were", in.CCG, in.STP, in.From[in.STP], in.Of)
	if len(others) > 0 {
		out += " (" + strings.Join(others, ", ") + ")"
	}
	return out
}

// MissingSTPError names the CCGs that have no STP: neither the lookup
// nor their practices' past gives one.
type MissingSTPError struct {
	CCGs []string // "15E NHS Birmingham and Solihull CCG"
	// Lookup says whether a lookup was given.
	Lookup bool
}

func (e *MissingSTPError) Error() string {
	names := e.CCGs
	if len(names) > 5 {
		names = append(slices.Clone(names[:5]), fmt.Sprintf("and %d more", len(e.CCGs)-5))
	}
	what := "no CCG to STP lookup was given"
	if e.Lookup {
		what = "the CCG to STP lookup does not list them"
	}
	return fmt.Sprintf("%d CCGs have no STP: %s; %s and none of their practices was known before: "+
		"pass --stp-lookup with the ONS CCG to STP lookup of the files' year (columns CCGyyCDH, STPyyCD, STPyyNM)",
		len(e.CCGs), strings.Join(names, ", "), what)
}

// SplitRule places the practices of a CCG that the ONS lookup lists under
// more than one STP: practices whose postcode area (the letters before
// the first digit) is Area go to STP; the others stay in the CCG's first
// STP (docs/domain.md §2).
type SplitRule struct{ CCG, Area, STP string }

// SplitRules are the splits of the 2017 lookup: Cumbria's Furness and
// South Lakeland practices (LA postcodes) joined Lancashire and South
// Cumbria; the rest (CA) West, North and East Cumbria.
var SplitRules = []SplitRule{{CCG: "01H", Area: "LA", STP: "E54000048"}}

// PostcodeArea is the letters a postcode starts with: "LA" of "LA14 1AB".
func PostcodeArea(postcode string) string {
	i := strings.IndexFunc(postcode, func(r rune) bool { return !unicode.IsLetter(r) })
	if i < 0 {
		return strings.ToUpper(postcode)
	}
	return strings.ToUpper(postcode[:i])
}

// practiceSTP picks a practice's STP among its CCG's (first: the CCG's own).
func practiceSTP(ccg, postcode string, stps []string) string {
	for _, r := range SplitRules {
		if r.CCG == ccg && PostcodeArea(postcode) == r.Area && slices.Contains(stps, r.STP) {
			return r.STP
		}
	}
	return stps[0]
}

// Derive builds the hierarchy from the published files. A file not given
// is made up for by prev, the hierarchy as it stands (nil: none): its
// regions, its CCGs' STPs, STP names, list sizes and practice attributes.
// The result is sorted by code and valid.
func Derive(src Sources, prev *Hierarchy) (*Hierarchy, *Derivation, error) {
	if prev == nil {
		prev = &Hierarchy{}
	}
	d := &Derivation{Skipped: map[string]string{}}
	keep := func(rep *ods.Report, err error) error {
		if rep != nil {
			d.Reports = append(d.Reports, rep)
		}
		return err
	}
	if src.Practices == nil || src.CCGs == nil {
		return nil, nil, fmt.Errorf("the practices (epraccur) and CCGs (eccg) files are required")
	}
	ccgRows, rep, err := ods.ParseCCGs(src.CCGs)
	if err := keep(rep, err); err != nil {
		return nil, nil, fmt.Errorf("eccg: %w", err)
	}
	practiceRows, rep, err := ods.ParsePractices(src.Practices)
	if err := keep(rep, err); err != nil {
		return nil, nil, fmt.Errorf("epraccur: %w", err)
	}
	var (
		regionRows []ods.RegionRow
		sizes      map[string]int
		lookup     map[string][]ods.STP
		footprints []ods.STP
		payments   map[string]ods.PaymentRow
		systems    map[string]string
	)
	if src.Regions != nil {
		regionRows, rep, err = ods.ParseRegions(src.Regions)
		if err := keep(rep, err); err != nil {
			return nil, nil, fmt.Errorf("eauth: %w", err)
		}
	}
	if src.ListSizes != nil {
		sizes, rep, err = ods.ParseListSizes(src.ListSizes)
		if err := keep(rep, err); err != nil {
			return nil, nil, fmt.Errorf("list sizes: %w", err)
		}
	}
	if src.STPLookup != nil {
		lookup, rep, err = ods.ParseSTPLookup(src.STPLookup)
		if err := keep(rep, err); err != nil {
			return nil, nil, fmt.Errorf("CCG to STP lookup: %w", err)
		}
	}
	if src.STPNames != nil {
		footprints, rep, err = ods.ParseSTPFootprints(src.STPNames)
		if err := keep(rep, err); err != nil {
			return nil, nil, fmt.Errorf("STP footprints: %w", err)
		}
	}
	if src.Payments != nil {
		payments, rep, err = ods.ParsePayments(src.Payments)
		if err := keep(rep, err); err != nil {
			return nil, nil, fmt.Errorf("payments: %w", err)
		}
	}

	if src.Suppliers != nil {
		rows, rep, err := ods.ParseSuppliers(src.Suppliers)
		if err := keep(rep, err); err != nil {
			return nil, nil, fmt.Errorf("suppliers: %w", err)
		}
		systems = map[string]string{}
		for _, r := range rows {
			systems[r.Code] = r.System
		}
	}

	// Each CCG's STPs: from the lookup, or as they are.
	stpsOf := map[string][]string{}
	stpName := map[string]string{}
	for _, s := range prev.STPs {
		stpName[s.Code] = s.Name
	}
	if lookup != nil {
		for ccg, stps := range lookup {
			for _, s := range stps {
				stpsOf[ccg] = append(stpsOf[ccg], s.Code)
				if _, ok := stpName[s.Code]; !ok {
					stpName[s.Code] = s.Name
				}
			}
		}
	} else {
		for _, c := range prev.CCGs {
			stpsOf[c.Code] = []string{c.STP}
		}
		for _, p := range prev.Practices {
			if p.STP != "" && !slices.Contains(stpsOf[p.CCG], p.STP) {
				stpsOf[p.CCG] = append(stpsOf[p.CCG], p.STP)
			}
		}
	}
	for _, f := range footprints {
		stpName[f.Code] = f.Name
	}

	// A CCG neither the lookup nor the database knows (a merger's new
	// code) takes the STP where most of its practices were.
	prevPractice := map[string]Practice{}
	for _, p := range prev.Practices {
		prevPractice[p.Code] = p
	}
	var missing []string
	for _, c := range ccgRows {
		if len(stpsOf[c.Code]) > 0 {
			continue
		}
		in := Inference{CCG: c.Code, From: map[string]int{}}
		for _, p := range practiceRows {
			if old, ok := prevPractice[p.Code]; ok && p.CCG == c.Code && old.STP != "" {
				in.From[old.STP]++
				in.Of++
			}
		}
		if in.Of == 0 {
			missing = append(missing, c.Code+" "+Readable(c.Name))
			continue
		}
		for _, s := range slices.Sorted(maps.Keys(in.From)) {
			if in.STP == "" || in.From[s] > in.From[in.STP] {
				in.STP = s
			}
		}
		stpsOf[c.Code] = []string{in.STP}
		d.Inferred = append(d.Inferred, in)
	}
	if len(missing) > 0 {
		return nil, nil, &MissingSTPError{CCGs: missing, Lookup: lookup != nil}
	}

	h := &Hierarchy{}
	ccgs := map[string]CCG{}
	usedRegion := map[string]bool{}
	for _, c := range ccgRows {
		stps := stpsOf[c.Code]
		cc := CCG{Code: c.Code, Name: Readable(c.Name), Region: c.Region, LocalOffice: c.LocalOffice, Postcode: c.Postcode, STP: stps[0]}
		h.CCGs = append(h.CCGs, cc)
		ccgs[c.Code] = cc
		usedRegion[c.Region] = true
	}

	// The regions are those the CCG file puts CCGs in: a region no open
	// CCG is in has left the hierarchy, whatever the regions file says
	// (which gives the names, and close dates that may be later than the
	// CCG file's).
	known := prev.Regions
	if regionRows != nil {
		known = nil
		for _, r := range regionRows {
			if strings.HasPrefix(r.Code, "Y") {
				known = append(known, Region{Code: r.Code, Name: regionName(r.Name)})
				if r.Closed != "" {
					d.RegionClosed = append(d.RegionClosed, RegionClosure{Code: r.Code, Date: r.Closed, InUse: usedRegion[r.Code]})
				}
			}
		}
	}
	for _, r := range known {
		if usedRegion[r.Code] {
			h.Regions = append(h.Regions, r)
			delete(usedRegion, r.Code)
		}
	}
	if len(usedRegion) > 0 {
		codes := slices.Sorted(maps.Keys(usedRegion))
		if regionRows != nil {
			return nil, nil, fmt.Errorf("the CCG file puts CCGs in regions the regions file does not list: %s", strings.Join(codes, ", "))
		}
		return nil, nil, fmt.Errorf("the CCG file puts CCGs in regions the database does not hold: %s; pass --regions with the ODS regions file (eauth)", strings.Join(codes, ", "))
	}

	// Practices, with their list sizes and attributes.
	byCCG := map[string][]int{}
	for _, p := range practiceRows {
		if n, ok := sizes[p.Code]; ok {
			byCCG[p.CCG] = append(byCCG[p.CCG], n)
		} else if old, ok := prevPractice[p.Code]; ok && sizes == nil {
			byCCG[p.CCG] = append(byCCG[p.CCG], old.ListSize)
		}
	}
	stpUsed := map[string]string{} // STP → region
	for _, p := range practiceRows {
		if _, ok := ccgs[p.CCG]; !ok {
			d.Skipped[p.Code] = "its CCG " + p.CCG + " is not an open CCG"
			if why, skipped := d.Skipped[p.CCG]; skipped {
				d.Skipped[p.Code] = why
			}
			continue
		}
		old, existed := prevPractice[p.Code]
		n, known := sizes[p.Code]
		if sizes == nil && existed {
			n, known = old.ListSize, true
		}
		if !known {
			n = median(byCCG[p.CCG])
			d.MedianListSizes++
		}
		np := Practice{Code: p.Code, Name: Readable(p.Name), Postcode: p.Postcode, CCG: p.CCG,
			STP: practiceSTP(p.CCG, p.Postcode, stpsOf[p.CCG]), LocalOffice: p.LocalOffice, ListSize: n}
		if payments != nil {
			if pay, ok := payments[p.Code]; ok {
				np.ContractType, np.Dispensing, np.Rurality, np.WeightedPatients = pay.ContractType, pay.Dispensing, pay.Rurality, pay.WeightedPatients
			}
		} else if existed {
			np.ContractType, np.Dispensing, np.Rurality, np.WeightedPatients = old.ContractType, old.Dispensing, old.Rurality, old.WeightedPatients
		}
		if systems != nil {
			np.ClinicalSystem = systems[p.Code]
		} else if existed {
			np.ClinicalSystem = old.ClinicalSystem
		}
		h.Practices = append(h.Practices, np)
	}

	// An STP's region is the region of its CCGs and practices.
	for _, c := range h.CCGs {
		stpUsed[c.STP] = c.Region
	}
	for _, p := range h.Practices {
		region := ccgs[p.CCG].Region
		if r, seen := stpUsed[p.STP]; seen && r != region {
			return nil, nil, fmt.Errorf("STP %s spans regions %s and %s", p.STP, r, region)
		}
		stpUsed[p.STP] = region
	}
	for code, region := range stpUsed {
		name := stpName[code]
		if name == "" {
			name = code
		}
		h.STPs = append(h.STPs, STP{Code: code, Name: name, Region: region})
	}
	h.sort()
	return h, d, h.Validate()
}

func (h *Hierarchy) sort() {
	sort.Slice(h.Regions, func(i, j int) bool { return h.Regions[i].Code < h.Regions[j].Code })
	sort.Slice(h.STPs, func(i, j int) bool { return h.STPs[i].Code < h.STPs[j].Code })
	sort.Slice(h.CCGs, func(i, j int) bool { return h.CCGs[i].Code < h.CCGs[j].Code })
	sort.Slice(h.Practices, func(i, j int) bool { return h.Practices[i].Code < h.Practices[j].Code })
}

func median(v []int) int {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

// regionName turns "NORTH OF ENGLAND COMMISSIONING REGION" into "North of England".
func regionName(s string) string {
	return Readable(strings.TrimSuffix(strings.TrimSpace(s), " COMMISSIONING REGION"))
}

// keepUpper are words that stay in capitals.
var keepUpper = map[string]bool{"NHS": true, "CCG": true, "GP": true, "GPS": false, "UK": true, "PMS": true, "APMS": true, "HC": true}

// keepLower are small words written in lower case inside a name.
var keepLower = map[string]bool{"AND": true, "OF": true, "THE": true, "ON": true, "UPON": true, "IN": true, "AT": true, "LE": true, "LA": true}

// Readable turns an ODS upper-case name into readable case.
func Readable(s string) string {
	words := strings.Fields(s)
	for i, w := range words {
		words[i] = readableWord(w, i == 0)
	}
	return strings.Join(words, " ")
}

func readableWord(w string, first bool) string {
	if strings.Contains(w, "-") {
		parts := strings.Split(w, "-")
		for i, p := range parts {
			parts[i] = readableWord(p, first && i == 0)
		}
		return strings.Join(parts, "-")
	}
	core := strings.Trim(w, "()[],.&'")
	switch {
	case keepUpper[core]:
		return w
	case keepLower[core] && !first:
		return strings.ToLower(w)
	}
	out := []rune(strings.ToLower(w))
	capNext := true
	for i, r := range out {
		if unicode.IsLetter(r) {
			if capNext {
				out[i] = unicode.ToUpper(r)
			}
			capNext = false
		} else if r == '(' || r == '/' {
			capNext = true
		}
	}
	// Mc/Mac-style and O' names stay as written after the apostrophe rule:
	// "O'BRIEN" → "O'brien" reads wrongly, so capitalise after O'.
	if len(out) > 2 && out[0] == 'O' && out[1] == '\'' {
		out[2] = unicode.ToUpper(out[2])
	}
	return string(out)
}
