// Command refdata derives the compact, embedded hierarchy files of
// server/refdata/data from NHS Digital's ODS extracts:
//
//	go run ./tools/refdata -ods DIR -out server/refdata/data
//
// DIR holds the published files as downloaded (docs/domain.md §7):
// epraccur_2016-02.csv, eccg_2016-02.csv,
// eauth_regions_local_offices_2018.csv, Patient_List_Size_2016_01-03.csv and
// stp_footprints_2017.csv. The output is byte-for-byte reproducible. The
// CCG-to-STP assignment is read from ccg_stp.csv in the output folder (written
// by hand; it agrees with the ONS CCG to STP lookup of 2017).
package main

import (
	"encoding/csv"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"dpcma/server/ods"
	"dpcma/server/refdata"
)

func main() {
	in := flag.String("ods", "", "folder of the ODS extracts (required)")
	out := flag.String("out", "server/refdata/data", "folder to write")
	flag.Parse()
	if *in == "" {
		fmt.Fprintln(os.Stderr, "refdata: -ods names the folder of the ODS extracts (see docs/domain.md §7)")
		os.Exit(2)
	}
	if err := run(*in, *out); err != nil {
		fmt.Fprintln(os.Stderr, "refdata:", err)
		os.Exit(1)
	}
}

func open(dir, name string) *os.File {
	f, err := os.Open(filepath.Join(dir, name))
	if err != nil {
		fmt.Fprintln(os.Stderr, "refdata:", err)
		os.Exit(1)
	}
	return f
}

func run(in, out string) error {
	regions, rep, err := ods.ParseRegions(open(in, "eauth_regions_local_offices_2018.csv"))
	if err != nil {
		return err
	}
	fmt.Println(rep)
	ccgRows, rep, err := ods.ParseCCGs(open(in, "eccg_2016-02.csv"))
	if err != nil {
		return err
	}
	fmt.Println(rep)
	practiceRows, rep, err := ods.ParsePractices(open(in, "epraccur_2016-02.csv"))
	if err != nil {
		return err
	}
	fmt.Println(rep)
	sizes, rep, err := ods.ParseListSizes(open(in, "Patient_List_Size_2016_01-03.csv"))
	if err != nil {
		return err
	}
	fmt.Println(rep)
	footprints, rep, err := ods.ParseSTPFootprints(open(in, "stp_footprints_2017.csv"))
	if err != nil {
		return err
	}
	fmt.Println(rep)
	stpOf, err := readAssignment(filepath.Join(out, "ccg_stp.csv"))
	if err != nil {
		return err
	}

	h := &refdata.Hierarchy{}
	used := map[string]bool{}
	for _, c := range ccgRows {
		used[c.Region] = true
	}
	for _, r := range regions {
		if strings.HasPrefix(r.Code, "Y") && used[r.Code] {
			h.Regions = append(h.Regions, refdata.Region{Code: r.Code, Name: regionName(r.Name)})
		}
	}
	stpRegion := map[string]string{}
	for _, c := range ccgRows {
		stp, ok := stpOf[c.Code]
		if !ok {
			return fmt.Errorf("CCG %s (%s) has no STP in ccg_stp.csv", c.Code, c.Name)
		}
		if r, seen := stpRegion[stp]; seen && r != c.Region {
			return fmt.Errorf("STP %s spans regions %s and %s", stp, r, c.Region)
		}
		stpRegion[stp] = c.Region
		h.CCGs = append(h.CCGs, refdata.CCG{Code: c.Code, Name: readable(c.Name), Region: c.Region,
			LocalOffice: c.LocalOffice, Postcode: c.Postcode, STP: stp})
	}
	for _, s := range footprints {
		r, ok := stpRegion[s.Code]
		if !ok {
			return fmt.Errorf("STP %s (%s) has no CCG", s.Code, s.Name)
		}
		h.STPs = append(h.STPs, refdata.STP{Code: s.Code, Name: s.Name, Region: r})
	}
	// Practices missing from the list-size file take their CCG's median.
	byCCG := map[string][]int{}
	for _, p := range practiceRows {
		if n, ok := sizes[p.Code]; ok {
			byCCG[p.CCG] = append(byCCG[p.CCG], n)
		}
	}
	fallback := 0
	ccgKnown := map[string]bool{}
	for _, c := range h.CCGs {
		ccgKnown[c.Code] = true
	}
	for _, p := range practiceRows {
		if !ccgKnown[p.CCG] {
			return fmt.Errorf("practice %s: CCG %s is not an open CCG", p.Code, p.CCG)
		}
		n, ok := sizes[p.Code]
		if !ok {
			n = median(byCCG[p.CCG])
			fallback++
		}
		h.Practices = append(h.Practices, refdata.Practice{Code: p.Code, Name: readable(p.Name), Postcode: p.Postcode,
			CCG: p.CCG, LocalOffice: p.LocalOffice, ListSize: n})
	}
	sort.Slice(h.Regions, func(i, j int) bool { return h.Regions[i].Code < h.Regions[j].Code })
	sort.Slice(h.STPs, func(i, j int) bool { return h.STPs[i].Code < h.STPs[j].Code })
	sort.Slice(h.CCGs, func(i, j int) bool { return h.CCGs[i].Code < h.CCGs[j].Code })
	sort.Slice(h.Practices, func(i, j int) bool { return h.Practices[i].Code < h.Practices[j].Code })
	if err := h.Validate(); err != nil {
		return err
	}
	total := 0
	for _, p := range h.Practices {
		total += p.ListSize
	}
	fmt.Printf("%d regions, %d STPs, %d CCGs, %d practices (%d list sizes from the CCG median), %d patients\n",
		len(h.Regions), len(h.STPs), len(h.CCGs), len(h.Practices), fallback, total)

	write := func(name string, header []string, rows [][]string) error {
		f, err := os.Create(filepath.Join(out, name))
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
		rows = append(rows, []string{p.Code, p.Name, p.Postcode, p.CCG, p.LocalOffice, strconv.Itoa(p.ListSize)})
	}
	return write("practices.csv", []string{"code", "name", "postcode", "ccg", "local_office", "list_size"}, rows)
}

// readAssignment reads stp_code,ccg_codes (space-separated) rows.
func readAssignment(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	out := map[string]string{}
	for _, r := range recs[1:] {
		for _, ccg := range strings.Fields(r[1]) {
			if prev, dup := out[ccg]; dup {
				return nil, fmt.Errorf("%s: CCG %s is in both %s and %s", path, ccg, prev, r[0])
			}
			out[ccg] = r[0]
		}
	}
	return out, nil
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
	return readable(strings.TrimSuffix(strings.TrimSpace(s), " COMMISSIONING REGION"))
}

// keepUpper are words that stay in capitals.
var keepUpper = map[string]bool{"NHS": true, "CCG": true, "GP": true, "GPS": false, "UK": true, "PMS": true, "APMS": true, "HC": true}

// keepLower are small words written in lower case inside a name.
var keepLower = map[string]bool{"AND": true, "OF": true, "THE": true, "ON": true, "UPON": true, "IN": true, "AT": true, "LE": true, "LA": true}

// readable turns an ODS upper-case name into readable case.
func readable(s string) string {
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
