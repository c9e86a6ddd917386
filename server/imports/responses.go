package imports

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"dpcma/ent/indicator"
	"dpcma/server/answercheck"
	"dpcma/server/database"
)

// maxReported bounds the bad rows an error lists one by one.
const maxReported = 50

// BadRowsError lists the bad rows of a file; nothing of it was applied.
type BadRowsError struct {
	File string
	// Rows are the first bad rows, "line N: reason"; Total counts all.
	Rows  []string
	Total int
}

func (e *BadRowsError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d bad rows, nothing was imported:", e.File, e.Total)
	for _, r := range e.Rows {
		b.WriteString("\n  " + r)
	}
	if e.Total > len(e.Rows) {
		fmt.Fprintf(&b, "\n  and %d more bad rows", e.Total-len(e.Rows))
	}
	return b.String()
}

// responseColumns are the columns of an answers file; not_applicable is
// optional.
var responseColumns = []string{"subject", "indicator", "period", "value", "not_applicable"}

// answerKey is one subject's answer to one indicator in one period.
type answerKey struct {
	practice, org, indicator, period int
}

// Responses imports a CSV file of answers (or a zip archive holding one)
// with the header subject,indicator,period,value[,not_applicable]: the
// subject is a practice's ODS code, or a CCG's for CCG-level indicators;
// the value is typed as in a submission (docs/domain.md §4.1). Every row
// is validated as submitResponses validates an answer; one bad row
// applies nothing, and the error names the line and the reason of each
// (the first 50, then a count). Answers already stored are replaced.
func Responses(ctx context.Context, db *database.DB, path string, o Options) (*Summary, error) {
	start := time.Now()
	name := filepath.Base(path)
	sum := &Summary{Command: "responses", File: name}
	in, size, err := openCSV(path)
	if err != nil {
		return nil, err
	}
	defer in.Close()
	tx, ref, err := begin(ctx, db, nil)
	if err != nil {
		return nil, err
	}
	defer func() { _ = tx.Rollback() }() // a no-op after Commit
	st, err := newStage(ctx, tx, db.Dialect)
	if err != nil {
		return nil, err
	}
	p := newProgress(o, name, size)
	bad := &BadRowsError{File: name}
	periods := map[string]bool{}
	err = readResponses(p.reader(in), p, ref, sum, func(line int, reason string) {
		bad.Total++
		if len(bad.Rows) < maxReported {
			bad.Rows = append(bad.Rows, fmt.Sprintf("line %d: %s", line, reason))
		}
	}, func(a *answerRow, period string) error {
		periods[period] = true
		if bad.Total > 0 {
			return nil // it will all be rolled back: only validate the rest
		}
		return st.add(a)
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if bad.Total > 0 {
		return nil, bad
	}
	for code := range periods {
		sum.Periods = append(sum.Periods, code)
	}
	sort.Strings(sum.Periods)
	p.step(fmt.Sprintf("comparing %d answers with the stored ones", st.n))
	if err := st.merge("import:responses "+name, sum, p); err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	p.done()
	sum.Took = time.Since(start)
	return sum, nil
}

// readResponses validates each row of an answers file, giving each good
// one to add and each bad one to bad.
func readResponses(r io.Reader, p *progress, ref *reference, sum *Summary,
	bad func(line int, reason string), add func(a *answerRow, period string) error) error {
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	cr.FieldsPerRecord = -1 // a short row is a bad row, not the end of the import
	header, err := cr.Read()
	if err != nil {
		return fmt.Errorf("reading the header: %w", err)
	}
	col := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		if _, dup := col[h]; dup {
			return fmt.Errorf("line 1: column %q appears twice", h)
		}
		col[h] = i
	}
	for _, c := range responseColumns[:4] {
		if _, ok := col[c]; !ok {
			return fmt.Errorf("line 1: no %q column: the header is subject,indicator,period,value[,not_applicable]", c)
		}
	}
	naCol, hasNA := col["not_applicable"]
	if len(col) > len(responseColumns) || len(col) == len(responseColumns) && !hasNA {
		return fmt.Errorf("line 1: unknown columns: the header is subject,indicator,period,value[,not_applicable]")
	}
	seen := map[answerKey]int{}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			bad(pe.Line, pe.Err.Error())
			continue
		}
		if err != nil {
			return err
		}
		sum.Rows++
		p.row()
		line, _ := cr.FieldPos(0)
		if len(rec) != len(header) {
			bad(line, fmt.Sprintf("%d fields, the header has %d", len(rec), len(header)))
			continue
		}
		field := func(name string) string { return strings.TrimSpace(rec[col[name]]) }
		subject, code, period, value := field("subject"), field("indicator"), field("period"), field("value")
		a := &answerRow{line: line}
		var reasons []string
		ind, err := ref.catalogue.Indicator(code)
		if err != nil {
			reasons = append(reasons, reason(err))
		}
		if a.periodID = ref.periods[period]; a.periodID == 0 {
			reasons = append(reasons, fmt.Sprintf("no assessment period has the code %q", period))
		}
		by := answercheck.Subject{Code: subject, Respondent: indicator.RespondentPRACTICE}
		if a.practiceID = ref.practices[subject]; a.practiceID == 0 {
			if a.orgID = ref.ccgs[subject]; a.orgID == 0 {
				reasons = append(reasons, fmt.Sprintf("no practice or CCG has the code %q", subject))
			}
			by.Respondent = indicator.RespondentCCG
		}
		if len(reasons) == 0 {
			if err := ind.AnsweredBy(by); err != nil {
				reasons = append(reasons, reason(err))
			}
		}
		na := false
		if hasNA {
			switch strings.ToLower(strings.TrimSpace(rec[naCol])) {
			case "", "false", "no", "n", "0":
			case "true", "yes", "y", "1":
				na = true
			default:
				reasons = append(reasons, fmt.Sprintf("not_applicable must be true or false, got %q", rec[naCol]))
			}
		}
		if len(reasons) > 0 {
			bad(line, strings.Join(reasons, "; "))
			continue
		}
		in := answercheck.Input{NotApplicable: na}
		if value != "" {
			in.Value = &value
		}
		if a.Answer, err = ind.Check(in, answercheck.File); err != nil {
			r, ok := answercheck.Reason(err)
			if !ok {
				return err
			}
			bad(line, fmt.Sprintf("%s %s: %s", subject, code, r))
			continue
		}
		a.subject = subject + " " + code
		key := answerKey{a.practiceID, a.orgID, ind.ID, a.periodID}
		if first, dup := seen[key]; dup {
			bad(line, fmt.Sprintf("%s %s %s is answered on line %d already", subject, code, period, first))
			continue
		}
		seen[key] = line
		if err := add(a, period); err != nil {
			return fmt.Errorf("staging answers: %w", err)
		}
	}
}

// reason is the reason of a refusal by answercheck, which Indicator and
// AnsweredBy give as a *answercheck.Problem.
func reason(err error) string {
	r, _ := answercheck.Reason(err)
	return r
}
