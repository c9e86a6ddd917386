// Package ods reads NHS Digital Organisation Data Service extracts as they
// are published: headerless, fully quoted, 27-column CSV with CRLF line
// ends (epraccur, eccg, eauth), the list-size file, the ONS CCG-to-STP
// lookup, NHS Payments to General Practice and the POMI supplier
// snapshot. Every reader keeps what it can use and reports, by reason,
// what it skipped.
package ods

import (
	"bufio"
	"compress/gzip"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
)

// Report counts the rows a reader kept and skipped, by reason.
type Report struct {
	File    string
	Kept    int
	Skipped map[string]int
	// Why gives the reason a row with a code was skipped, by code, so an
	// import can say why a practice it knows left the file.
	Why map[string]string
}

func newReport(file string) *Report {
	return &Report{File: file, Skipped: map[string]int{}, Why: map[string]string{}}
}

func (r *Report) skip(reason string) { r.Skipped[reason]++ }

func (r *Report) skipCode(code, reason string) {
	r.skip(reason)
	if code != "" {
		r.Why[code] = reason
	}
}

// String summarises the report on one line per reason.
func (r *Report) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: kept %d", r.File, r.Kept)
	reasons := make([]string, 0, len(r.Skipped))
	for k := range r.Skipped {
		reasons = append(reasons, k)
	}
	sort.Strings(reasons)
	for _, k := range reasons {
		fmt.Fprintf(&b, "; skipped %d (%s)", r.Skipped[k], k)
	}
	return b.String()
}

// PracticeRow is a GP practice from epraccur.
type PracticeRow struct {
	Code, Name, Region, LocalOffice, Postcode, CCG string
}

// CCGRow is a CCG from eccg.
type CCGRow struct {
	Code, Name, Region, LocalOffice, Postcode string
}

// RegionRow is a commissioning region or local office from eauth.
type RegionRow struct {
	Code, Name, Parent string // Parent: a local office's region
	// Closed is the close date as published (YYYYMMDD), "" while open:
	// Y57 South of England closed on 20180331.
	Closed string
}

// records reads a CSV stream, tolerating a BOM, CRLF and ragged rows.
func records(r io.Reader, each func(line int, rec []string) error) error {
	br := bufio.NewReader(r)
	if b, err := br.Peek(3); err == nil && string(b) == "\xef\xbb\xbf" {
		_, _ = br.Discard(3) // peeked: cannot fail
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	line := 0
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		// A record that fails to parse may have no field to ask the
		// position of: its error knows the line.
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return fmt.Errorf("line %d, column %d: %w", pe.Line, pe.Column, pe.Err)
		}
		if err != nil {
			return fmt.Errorf("line %d: %w", line+1, err)
		}
		line, _ = cr.FieldPos(0)
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue // blank line
		}
		for i, v := range rec {
			// The extracts are ASCII: other bytes mean another encoding,
			// which would be stored as mojibake.
			if !utf8.ValidString(v) {
				return fmt.Errorf("line %d: field %d is not UTF-8 text: %q", line, i+1, v)
			}
		}
		if err := each(line, rec); err != nil {
			return err
		}
	}
}

func field(rec []string, n int) string {
	if n > len(rec) {
		return ""
	}
	return strings.TrimSpace(rec[n-1])
}

// ParsePractices reads epraccur and keeps active GP practices in England:
// status A, prescribing setting 4, a Y region.
func ParsePractices(r io.Reader) ([]PracticeRow, *Report, error) {
	rep := newReport("epraccur")
	var out []PracticeRow
	err := records(r, func(line int, rec []string) error {
		switch {
		case len(rec) < 26:
			rep.skip(fmt.Sprintf("malformed: fewer than 26 columns (first at line %d)", line))
		case field(rec, 1) == "":
			rep.skip("no practice code")
		case field(rec, 13) != "A":
			rep.skipCode(field(rec, 1), "not active (status "+field(rec, 13)+")")
		case field(rec, 26) != "4":
			rep.skipCode(field(rec, 1), "not a GP practice (setting "+field(rec, 26)+")")
		case !strings.HasPrefix(field(rec, 3), "Y"):
			rep.skipCode(field(rec, 1), "not in England (grouping "+field(rec, 3)+")")
		case field(rec, 15) == "":
			rep.skipCode(field(rec, 1), "no commissioning CCG")
		default:
			out = append(out, PracticeRow{Code: field(rec, 1), Name: field(rec, 2), Region: field(rec, 3),
				LocalOffice: field(rec, 4), Postcode: field(rec, 10), CCG: field(rec, 15)})
			rep.Kept++
		}
		return nil
	})
	return out, rep, err
}

// ParseCCGs reads eccg and keeps open CCGs (sub-type C, no close date).
func ParseCCGs(r io.Reader) ([]CCGRow, *Report, error) {
	rep := newReport("eccg")
	var out []CCGRow
	err := records(r, func(line int, rec []string) error {
		switch {
		case len(rec) < 14:
			rep.skip(fmt.Sprintf("malformed: fewer than 14 columns (first at line %d)", line))
		case field(rec, 1) == "":
			rep.skip("no CCG code")
		case field(rec, 14) != "C":
			rep.skipCode(field(rec, 1), "not a CCG (sub-type "+field(rec, 14)+")")
		case field(rec, 12) != "":
			rep.skipCode(field(rec, 1), "closed")
		default:
			out = append(out, CCGRow{Code: field(rec, 1), Name: field(rec, 2), Region: field(rec, 3),
				LocalOffice: field(rec, 4), Postcode: field(rec, 10)})
			rep.Kept++
		}
		return nil
	})
	return out, rep, err
}

// ParseRegions reads eauth: commissioning regions (Y..) and local offices
// (Q.., whose column 3 is their region).
func ParseRegions(r io.Reader) ([]RegionRow, *Report, error) {
	rep := newReport("eauth")
	var out []RegionRow
	err := records(r, func(line int, rec []string) error {
		code := field(rec, 1)
		switch {
		case len(rec) < 3:
			rep.skip(fmt.Sprintf("malformed: fewer than 3 columns (first at line %d)", line))
		case strings.HasPrefix(code, "Y") || strings.HasPrefix(code, "Q"):
			out = append(out, RegionRow{Code: code, Name: field(rec, 2), Parent: field(rec, 3), Closed: field(rec, 12)})
			rep.Kept++
		default:
			rep.skip("neither a region nor a local office")
		}
		return nil
	})
	return out, rep, err
}

// ParseListSizes reads the patients-registered file (with a header): the
// list size of a practice is the sum of its age and sex band columns.
func ParseListSizes(r io.Reader) (map[string]int, *Report, error) {
	rep := newReport("list sizes")
	out := map[string]int{}
	codeCol, first := -1, -1
	err := records(r, func(line int, rec []string) error {
		if codeCol < 0 {
			for i, h := range rec {
				switch {
				case strings.EqualFold(strings.TrimSpace(h), "Practice Code"):
					codeCol = i
				case first < 0 && (strings.HasPrefix(h, "Male") || strings.HasPrefix(h, "Female")):
					first = i
				}
			}
			if codeCol < 0 || first < 0 {
				return fmt.Errorf("line %d: no Practice Code and Male/Female columns in the header", line)
			}
			return nil
		}
		if len(rec) <= codeCol || len(rec) <= first {
			rep.skip("malformed: too few columns")
			return nil
		}
		code := strings.TrimSpace(rec[codeCol])
		if code == "" {
			rep.skip("no practice code")
			return nil
		}
		total := 0
		for _, v := range rec[first:] {
			n, ok := count(v)
			if !ok {
				rep.skip("a count is not a whole number")
				return nil
			}
			// No practice has millions of patients in a band; a sum of
			// such figures could overflow into a negative list size.
			if n > maxBand {
				rep.skip("a count is too large")
				return nil
			}
			total += n
		}
		out[code] = total
		rep.Kept++
		return nil
	})
	return out, rep, err
}

// maxBand bounds one age and sex band of a practice's list.
const maxBand = 1_000_000

// STP is an STP footprint.
type STP struct{ Code, Name string }

// ParseSTPFootprints reads stp_code,stp_name.
func ParseSTPFootprints(r io.Reader) ([]STP, *Report, error) {
	rep := newReport("STP footprints")
	var out []STP
	header := true
	err := records(r, func(line int, rec []string) error {
		if header {
			header = false
			return nil
		}
		if len(rec) < 2 || !strings.HasPrefix(field(rec, 1), "E54") {
			rep.skip("not an STP code")
			return nil
		}
		out = append(out, STP{Code: field(rec, 1), Name: field(rec, 2)})
		rep.Kept++
		return nil
	})
	return out, rep, err
}

// ParseSTPLookup reads an ONS CCG-to-STP lookup of any year, whose
// columns follow the published pattern: CCGyyCDH (the CCG's ODS code),
// STPyyCD and STPyyNM (the STP's ONS code and name), e.g. CCG16CDH,
// STP17CD, STP17NM (2017) or CCG18CDH, STP18CD, STP18NM (2018), beside
// others; into CCG ODS code → its STPs, in file order. A CCG split
// between footprints (01H Cumbria in 2017) has more than one.
func ParseSTPLookup(r io.Reader) (map[string][]STP, *Report, error) {
	rep := newReport("CCG to STP lookup")
	out := map[string][]STP{}
	var ccgCol, codeCol, nameCol = -1, -1, -1
	err := records(r, func(line int, rec []string) error {
		if ccgCol < 0 {
			for i, h := range rec {
				h = strings.ToUpper(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
				switch {
				case lookupColumn(h, "CCG", "CDH") && ccgCol < 0:
					ccgCol = i
				case lookupColumn(h, "STP", "CD") && codeCol < 0:
					codeCol = i
				case lookupColumn(h, "STP", "NM") && nameCol < 0:
					nameCol = i
				}
			}
			for _, need := range []struct {
				col  int
				name string
			}{{ccgCol, "CCGyyCDH"}, {codeCol, "STPyyCD"}, {nameCol, "STPyyNM"}} {
				if need.col < 0 {
					return fmt.Errorf("line %d: the header has no %s column (an ONS CCG to STP lookup has CCGyyCDH, STPyyCD and STPyyNM, yy its year)", line, need.name)
				}
			}
			return nil
		}
		get := func(i int) string {
			if i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		ccg, stp := get(ccgCol), STP{Code: get(codeCol), Name: get(nameCol)}
		switch {
		case ccg == "" || stp.Code == "":
			rep.skip("no CCG or STP code")
		case slices.Contains(out[ccg], stp):
			rep.skip("repeated")
		default:
			out[ccg] = append(out[ccg], stp)
			rep.Kept++
		}
		return nil
	})
	return out, rep, err
}

// lookupColumn reports whether h is prefix, two digits and suffix:
// CCG18CDH, STP17CD.
func lookupColumn(h, prefix, suffix string) bool {
	if len(h) != len(prefix)+2+len(suffix) || !strings.HasPrefix(h, prefix) || !strings.HasSuffix(h, suffix) {
		return false
	}
	y := h[len(prefix) : len(prefix)+2]
	return y[0] >= '0' && y[0] <= '9' && y[1] >= '0' && y[1] <= '9'
}

// PaymentRow is what dpcma takes from NHS Payments to General Practice:
// one practice's contract and setting. Empty strings and nil mean unknown.
type PaymentRow struct {
	Code, CCG    string
	ContractType string // GMS, PMS or APMS
	Dispensing   *bool
	Rurality     string // Urban or Rural, as in the file
	// WeightedPatients is the last known weighted list; nil when the file
	// has no patient figures for the practice (quarter N/A).
	WeightedPatients *float64
}

// ParsePayments reads NHS Payments to General Practice (one row per
// practice, with a header, Latin-1).
func ParsePayments(r io.Reader) (map[string]PaymentRow, *Report, error) {
	rep := newReport("payments")
	out := map[string]PaymentRow{}
	cols := map[string]int{}
	need := []string{"PracticeCode", "CCGCode", "ContractType", "DispensingPractice", "PracticeRurality",
		"NumberofWeightedPatientsLastKnownFigure", "QuarterUsedForPatientData"}
	err := records(charmap.ISO8859_1.NewDecoder().Reader(r), func(line int, rec []string) error {
		if len(cols) == 0 {
			for i, h := range rec {
				cols[strings.TrimSpace(h)] = i
			}
			for _, n := range need {
				if _, ok := cols[n]; !ok {
					return fmt.Errorf("line %d: the header has no %s column", line, n)
				}
			}
			return nil
		}
		get := func(name string) string {
			if i := cols[name]; i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		p := PaymentRow{Code: get("PracticeCode"), CCG: get("CCGCode")}
		if p.Code == "" {
			rep.skip("no practice code")
			return nil
		}
		switch c := strings.ToUpper(get("ContractType")); c {
		case "GMS", "PMS", "APMS":
			p.ContractType = c
		}
		switch get("DispensingPractice") {
		case "Yes":
			p.Dispensing = ptr(true)
		case "No":
			p.Dispensing = ptr(false)
		}
		switch r := get("PracticeRurality"); r {
		case "Urban", "Rural":
			p.Rurality = r
		}
		if get("QuarterUsedForPatientData") != "N/A" {
			if w, err := strconv.ParseFloat(get("NumberofWeightedPatientsLastKnownFigure"), 64); err == nil && w >= 0 && !math.IsInf(w, 0) {
				p.WeightedPatients = &w
			}
		}
		out[p.Code] = p
		rep.Kept++
		return nil
	})
	return out, rep, err
}

func ptr[T any](v T) *T { return &v }

// Open opens a published file, reading it through gzip when its name ends
// in .gz (the copies in testdata are compressed).
func Open(path string) (io.ReadCloser, error) {
	f, err := os.Open(path)
	if err != nil || !strings.HasSuffix(path, ".gz") {
		return f, err
	}
	z, err := gzip.NewReader(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return gzReadCloser{z, f}, nil
}

type gzReadCloser struct {
	*gzip.Reader
	f *os.File
}

func (g gzReadCloser) Close() error {
	err := g.Reader.Close()
	if ferr := g.f.Close(); err == nil {
		err = ferr
	}
	return err
}

// count reads a non-negative whole number.
func count(v string) (int, bool) {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	return n, err == nil && n >= 0
}
