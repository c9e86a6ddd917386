package odsimport

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"dpcma/server/ods"

	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// Report is what an import did (or would have done, when refused): one
// line per organisation or practice, counts by kind and skipped rows by
// reason.
type Report struct {
	Created, Updated, Closed, Skipped []string
	// Files are the rows kept of each file read ("epraccur: kept 7,756
	// rows"); what they skipped is in Skips.
	Files []string
	// Counts are the changes by kind.
	Counts Counts
	// Skips are the rows and codes left out, by file and reason, in the
	// order found.
	Skips []*Skip
	// Inferred are the CCGs whose STP was taken from where most of their
	// practices were ("15E: STP E54000017, where 168 of its 175 practices
	// known before were (7 in E54000016)").
	Inferred []string
	// Notes are what the files say that the import did not follow ("region
	// Y57 is closed on 2018-03-31 in the regions file, but the CCG file
	// still puts CCGs in it: kept open").
	Notes []string
	// Refused says why the import was refused ("" when it was not).
	Refused string
}

// Counts are an import's changes by kind.
type Counts struct {
	// Organisations (regions, STPs, CCGs): created, moved to another
	// parent, closed (absent from the release), reopened (back in it) and
	// otherwise updated (name, local office, postcode).
	OrgsCreated, OrgsMoved, OrgsClosed, OrgsReopened, OrgsUpdated int
	// Practices: created, moved (CCG or STP), closed, reopened, otherwise
	// updated (name, postcode, list size, attributes) and unchanged.
	PracticesCreated, PracticesMoved, PracticesClosed, PracticesReopened, PracticesUpdated, PracticesUnchanged int
}

// Skip is the rows of one file left out for one reason.
type Skip struct {
	// File is the file's name in its parser's report ("" for what the
	// derivation left out: practices of a CCG dpcma cannot place...).
	File, Reason string
	Count        int
	// Codes are the ODS codes of the rows, where the rows have one.
	Codes []string
}

// TerminalExamples is how many codes of each reason, and lines of each
// kind, Write shows; WriteAll shows all.
const TerminalExamples = 3

// skip counts a code (or, with code "", a row) under a file's reason.
func (r *Report) skip(file, reason, code string) {
	var s *Skip
	for _, k := range r.Skips {
		if k.File == file && k.Reason == reason {
			s = k
			break
		}
	}
	if s == nil {
		s = &Skip{File: file, Reason: reason}
		r.Skips = append(r.Skips, s)
	}
	s.Count++
	if code != "" {
		s.Codes = append(s.Codes, code)
	}
}

// fileSkips takes a parser's skipped rows, with the codes it knows.
func (r *Report) fileSkips(rep *ods.Report) {
	codes := map[string][]string{}
	for code, reason := range rep.Why {
		codes[reason] = append(codes[reason], code)
	}
	reasons := make([]string, 0, len(rep.Skipped))
	for reason := range rep.Skipped {
		reasons = append(reasons, reason)
	}
	sort.Strings(reasons)
	for _, reason := range reasons {
		c := codes[reason]
		sort.Strings(c)
		r.Skips = append(r.Skips, &Skip{File: rep.File, Reason: reason, Count: rep.Skipped[reason], Codes: c})
	}
}

// SkippedFor is the count of a reason over every file (0 when none).
func (r *Report) SkippedFor(reason string) int {
	n := 0
	for _, k := range r.Skips {
		if k.Reason == reason {
			n += k.Count
		}
	}
	return n
}

// Changed reports whether the import changed anything.
func (r *Report) Changed() bool { return len(r.Created)+len(r.Updated)+len(r.Closed) > 0 }

// Summary is the report's counts on one line.
func (r *Report) Summary() string {
	return fmt.Sprintf("created %d, updated %d, closed %d, skipped %d", len(r.Created), len(r.Updated), len(r.Closed), len(r.Skipped))
}

// Write prints the report for a terminal: the counts, and at most
// TerminalExamples lines of each kind and codes of each skipped reason.
func (r *Report) Write(w io.Writer) { r.write(w, TerminalExamples) }

// WriteAll prints the whole report: every line and every code.
func (r *Report) WriteAll(w io.Writer) { r.write(w, -1) }

func (r *Report) write(w io.Writer, limit int) {
	for _, f := range r.Files {
		fmt.Fprintln(w, f)
	}
	for _, part := range []struct {
		verb  string
		lines []string
	}{{"created", r.Created}, {"updated", r.Updated}, {"closed", r.Closed}} {
		for i, l := range part.lines {
			if limit >= 0 && i == limit {
				fmt.Fprintf(w, "%s … and %s more (--report FILE lists them all)\n", part.verb, thousands(len(part.lines)-limit))
				break
			}
			fmt.Fprintf(w, "%s %s\n", part.verb, l)
		}
	}
	for _, k := range r.Skips {
		where := ""
		if k.File != "" {
			where = k.File + ": "
		}
		fmt.Fprintf(w, "skipped %s%s %s", where, thousands(k.Count), k.Reason)
		if len(k.Codes) > 0 {
			shown := k.Codes
			if limit >= 0 && len(shown) > limit {
				shown = shown[:limit]
			}
			fmt.Fprintf(w, ": %s", strings.Join(shown, ", "))
			if more := len(k.Codes) - len(shown); more > 0 {
				fmt.Fprintf(w, " and %s more", thousands(more))
			}
		}
		fmt.Fprintln(w)
	}
	for _, in := range r.Inferred {
		fmt.Fprintf(w, "STP of CCG %s (not in the CCG to STP lookup)\n", in)
	}
	for _, n := range r.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
	c := r.Counts
	fmt.Fprintf(w, "organisations: %d created, %d moved, %d closed, %d reopened, %d updated\n",
		c.OrgsCreated, c.OrgsMoved, c.OrgsClosed, c.OrgsReopened, c.OrgsUpdated)
	fmt.Fprintf(w, "practices: %s created, %s moved, %s closed, %s reopened, %s updated, %s unchanged\n",
		thousands(c.PracticesCreated), thousands(c.PracticesMoved), thousands(c.PracticesClosed),
		thousands(c.PracticesReopened), thousands(c.PracticesUpdated), thousands(c.PracticesUnchanged))
	if r.Refused != "" {
		fmt.Fprintf(w, "refused, nothing written: %s\n", r.Refused)
		return
	}
	fmt.Fprintln(w, r.Summary())
}

// Percent writes a share as --max-close takes it: 0.05 is "5%".
func Percent(share float64) string {
	return strconv.FormatFloat(100*share, 'f', -1, 64) + "%"
}

// ParsePercent reads a share as "5%" or "0.05".
func ParsePercent(s string) (float64, error) {
	t := strings.TrimSpace(s)
	pct := strings.HasSuffix(t, "%")
	v, err := strconv.ParseFloat(strings.TrimSuffix(t, "%"), 64)
	if pct {
		v /= 100
	}
	if err != nil || v <= 0 || v > 1 {
		return 0, fmt.Errorf("bad share %q: give a percentage such as 5%% or a fraction such as 0.05, above 0 and at most 100%%", s)
	}
	return v, nil
}

// thousands writes n with comma separators (12,345), through
// golang.org/x/text's number formatting.
func thousands(n int) string { return britishNumbers.Sprintf("%d", n) }

var britishNumbers = message.NewPrinter(language.BritishEnglish)
