// Package ods reads NHS Digital Organisation Data Service extracts as they
// are published: headerless, fully quoted, 27-column CSV with CRLF line
// ends (epraccur, eccg, eauth), the list-size file, and the ONS CCG-to-STP
// lookup. Every reader keeps what it can use and reports, by reason, what
// it skipped.
package ods

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
)

// Report counts the rows a reader kept and skipped, by reason.
type Report struct {
	File    string
	Kept    int
	Skipped map[string]int
}

func newReport(file string) *Report { return &Report{File: file, Skipped: map[string]int{}} }

func (r *Report) skip(reason string) { r.Skipped[reason]++ }

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
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			return fmt.Errorf("line %d: %w", line, err)
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue // blank line
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
		case field(rec, 13) != "A":
			rep.skip("not active (status " + field(rec, 13) + ")")
		case field(rec, 26) != "4":
			rep.skip("not a GP practice (setting " + field(rec, 26) + ")")
		case !strings.HasPrefix(field(rec, 3), "Y"):
			rep.skip("not in England (grouping " + field(rec, 3) + ")")
		case field(rec, 15) == "":
			rep.skip("no commissioning CCG")
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
		case field(rec, 14) != "C":
			rep.skip("not a CCG (sub-type " + field(rec, 14) + ")")
		case field(rec, 12) != "":
			rep.skip("closed")
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
			out = append(out, RegionRow{Code: code, Name: field(rec, 2), Parent: field(rec, 3)})
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
		total := 0
		for _, v := range rec[first:] {
			n, ok := count(v)
			if !ok {
				rep.skip("a count is not a whole number")
				return nil
			}
			total += n
		}
		out[strings.TrimSpace(rec[codeCol])] = total
		rep.Kept++
		return nil
	})
	return out, rep, err
}

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

// ParseSTPLookup reads the ONS CCG-to-STP lookup (CCG16CD, CCG16CDH,
// CCG16NM, STP17CD, STP17NM) into CCG ODS code → STP.
func ParseSTPLookup(r io.Reader) (map[string]STP, *Report, error) {
	rep := newReport("CCG to STP lookup")
	out := map[string]STP{}
	cols := map[string]int{}
	err := records(r, func(line int, rec []string) error {
		if len(cols) == 0 {
			for i, h := range rec {
				cols[strings.ToUpper(strings.TrimSpace(h))] = i
			}
			for _, need := range []string{"CCG16CDH", "STP17CD", "STP17NM"} {
				if _, ok := cols[need]; !ok {
					return fmt.Errorf("line %d: the header has no %s column", line, need)
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
		if get("CCG16CDH") == "" || get("STP17CD") == "" {
			rep.skip("no CCG or STP code")
			return nil
		}
		out[get("CCG16CDH")] = STP{Code: get("STP17CD"), Name: get("STP17NM")}
		rep.Kept++
		return nil
	})
	return out, rep, err
}

// count reads a non-negative whole number.
func count(v string) (int, bool) {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	return n, err == nil && n >= 0
}
