// Command ods2018 derives a practices file in the shape of ODS epraccur and
// a CCG file in the shape of ODS eccg from one month of NHS Digital's
// Patient Online Management Information (POMI), for `import ods` to try a
// later release when the ODS files of that date are not at hand.
//
//	go run ./tools/ods2018 -pomi pomi_2018-04_to_2018-09.zip -out /tmp/ods2018 \
//	    -base-practices server/ods/testdata/epraccur_2016-02.csv.gz \
//	    -base-ccgs server/ods/testdata/eccg_2016-02.csv.gz
//
// POMI lists, each month, every practice that reported with its CCG,
// region (column 3 of epraccur and eccg) and local office (column 4). The
// files written hold exactly those practices (status A, prescribing
// setting 4, the CCG as commissioner) and their CCGs (sub-type C, open):
// a practice that did not report that month is absent, as a closed one
// would be, so `import ods` closes it. That makes the derived release an
// approximation, not the ODS release of the month: POMI has no postcodes
// (taken from the base files for the practices and CCGs they hold, empty
// otherwise) and no open or close dates, and non-reporting practices look
// closed. Say so wherever its results are quoted.
//
// Source: NHS Digital, Patient Online Management Information, and the
// Organisation Data Service files named as bases; Open Government
// Licence v3.0.
package main

import (
	"archive/zip"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"dpcma/server/ods"
)

func main() {
	pomi := flag.String("pomi", "", "the POMI file: CSV, or the zip it is published in")
	month := flag.String("month", "", "the month to take, as POMI writes it (30SEP2018); default the latest in the file")
	basePractices := flag.String("base-practices", "", "an earlier epraccur (plain or .gz) for the practices' postcodes")
	baseCCGs := flag.String("base-ccgs", "", "an earlier eccg (plain or .gz) for the CCGs' postcodes")
	out := flag.String("out", ".", "directory for epraccur_<yyyy-mm>_from_pomi.csv and eccg_<yyyy-mm>_from_pomi.csv")
	flag.Parse()
	if err := run(*pomi, *month, *basePractices, *baseCCGs, *out, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "ods2018:", err)
		os.Exit(1)
	}
}

// place is where POMI puts a practice or a CCG in one month.
type place struct {
	code, name, region, localOffice string
	ccg, ccgName                    string // a practice's CCG
}

func run(pomiPath, month, basePractices, baseCCGs, outDir string, w io.Writer) error {
	if pomiPath == "" {
		return errors.New("give the POMI file with -pomi")
	}
	byMonth, err := readPOMI(pomiPath)
	if err != nil {
		return err
	}
	if month == "" {
		month = latest(byMonth)
	}
	practices, ok := byMonth[month]
	if !ok {
		return fmt.Errorf("the file has no month %s", month)
	}
	ccgs := map[string]place{}
	for _, p := range practices {
		ccgs[p.ccg] = place{code: p.ccg, name: p.ccgName, region: p.region, localOffice: p.localOffice}
	}
	practicePostcodes, err := postcodes(basePractices)
	if err != nil {
		return err
	}
	ccgPostcodes, err := postcodes(baseCCGs)
	if err != nil {
		return err
	}
	t, _ := time.Parse("02Jan2006", month)
	stamp := t.Format("2006-01")
	practiceFile := filepath.Join(outDir, "epraccur_"+stamp+"_from_pomi.csv")
	ccgFile := filepath.Join(outDir, "eccg_"+stamp+"_from_pomi.csv")
	if err := write(practiceFile, sorted(practices), func(p place) []string {
		return row(p.code, strings.ToUpper(p.name), p.region, p.localOffice, practicePostcodes[p.code], "A", p.ccg, "4")
	}); err != nil {
		return err
	}
	if err := write(ccgFile, sorted(ccgs), func(c place) []string {
		return row(c.code, strings.ToUpper(c.name), c.region, c.localOffice, ccgPostcodes[c.code], "", "", "")
	}); err != nil {
		return err
	}
	withPostcode := 0
	for code := range practices {
		if practicePostcodes[code] != "" {
			withPostcode++
		}
	}
	fmt.Fprintf(w, "%s: %d practices (%d with a postcode from the base file) in %d CCGs\n", month, len(practices), withPostcode, len(ccgs))
	fmt.Fprintf(w, "wrote %s\nwrote %s\n", practiceFile, ccgFile)
	return nil
}

// readPOMI reads each month's practices with their CCG, region and local
// office, by month and code.
func readPOMI(path string) (map[string]map[string]place, error) {
	r, closer, err := openPOMI(path)
	if err != nil {
		return nil, err
	}
	defer closer.Close()
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))] = i
	}
	for _, need := range []string{"report_period_end", "region_code", "subregion_code", "ccg_code", "ccg_name", "practice_code", "practice_name"} {
		if _, ok := col[need]; !ok {
			return nil, fmt.Errorf("%s: no column %s in the header", path, need)
		}
	}
	out := map[string]map[string]place{}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		get := func(name string) string { return strings.TrimSpace(rec[col[name]]) }
		m := get("report_period_end")
		if out[m] == nil {
			out[m] = map[string]place{}
		}
		code := get("practice_code")
		if _, seen := out[m][code]; seen || code == "" {
			continue
		}
		out[m][code] = place{code: code, name: get("practice_name"), region: get("region_code"),
			localOffice: get("subregion_code"), ccg: get("ccg_code"), ccgName: get("ccg_name")}
	}
}

// openPOMI opens a CSV, or the first CSV inside a zip.
func openPOMI(path string) (io.Reader, io.Closer, error) {
	if !strings.HasSuffix(strings.ToLower(path), ".zip") {
		f, err := os.Open(path)
		return f, f, err
	}
	z, err := zip.OpenReader(path)
	if err != nil {
		return nil, nil, err
	}
	for _, f := range z.File {
		if strings.HasSuffix(strings.ToLower(f.Name), ".csv") {
			r, err := f.Open()
			if err != nil {
				z.Close()
				return nil, nil, err
			}
			return r, z, nil
		}
	}
	z.Close()
	return nil, nil, fmt.Errorf("%s holds no CSV file", path)
}

// latest is the latest month of the file (months are written 30SEP2018).
func latest(byMonth map[string]map[string]place) string {
	best, bestT := "", time.Time{}
	for m := range byMonth {
		if t, err := time.Parse("02Jan2006", m); err == nil && t.After(bestT) {
			best, bestT = m, t
		}
	}
	return best
}

// postcodes reads column 10 of an ODS extract by code ("" path: none).
func postcodes(path string) (map[string]string, error) {
	out := map[string]string{}
	if path == "" {
		return out, nil
	}
	f, err := ods.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	cr := csv.NewReader(f)
	cr.FieldsPerRecord = -1
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if len(rec) >= 10 {
			out[strings.TrimSpace(rec[0])] = strings.TrimSpace(rec[9])
		}
	}
}

// row is a 27-column ODS row: code, name, region, local office, postcode,
// status (column 13), commissioner (15) and prescribing setting (26); a
// CCG row (status "") is sub-type C (column 14).
func row(code, name, region, localOffice, postcode, status, commissioner, setting string) []string {
	r := make([]string, 27)
	r[0], r[1], r[2], r[3], r[9] = code, name, region, localOffice, postcode
	if status == "" {
		r[13] = "C"
	} else {
		r[12], r[14], r[25] = status, commissioner, setting
	}
	return r
}

func sorted(m map[string]place) []place {
	out := make([]place, 0, len(m))
	for _, p := range m {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].code < out[j].code })
	return out
}

// write writes rows as ODS does: every field quoted, CRLF line ends.
func write(path string, places []place, rowOf func(place) []string) error {
	var b strings.Builder
	for _, p := range places {
		fields := rowOf(p)
		for i, f := range fields {
			fields[i] = strings.ReplaceAll(f, `"`, `""`)
		}
		b.WriteString(`"` + strings.Join(fields, `","`) + "\"\r\n")
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}
