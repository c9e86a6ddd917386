package imports

import (
	"context"
	stdsql "database/sql"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"dpcma/ent"
	"dpcma/ent/assessmentperiod"
	"dpcma/ent/indicator"
	"dpcma/server/access"
	"dpcma/server/answercheck"
	"dpcma/server/catalogue"
	"dpcma/server/database"
	"dpcma/server/demo"
	"dpcma/server/ods"
	"dpcma/server/rollup"

	"entgo.io/ent/dialect"
)

// The POMI fields dpcma reads (docs/domain.md §7); the file has others
// (Pat_*_Enbld, Pat_*_Use, New_Pat_Enbld, Total_Use).
const (
	fieldAppts     = "Sys_Appts_Enbld"
	fieldPresc     = "Sys_Presc_Enbld"
	fieldRecord    = "Sys_DetCodeRec_Enbld"
	fieldEnabled   = "Total_Pat_Enbld"
	fieldList      = "patient_list_size"
	pomiFieldCount = 5
)

// pomiFields maps a field to its slot in a practice's month; the three
// system fields come first, in the order of the indicators they answer.
var pomiFields = map[string]int{fieldAppts: 0, fieldPresc: 1, fieldRecord: 2, fieldEnabled: 3, fieldList: 4}

// pomiIndicators answer from the system fields, slot for slot.
var pomiIndicators = [3]string{"PO01", "PO02", "PO03"}

// Reasons a POMI row or answer is left out, as the summary names them.
const (
	SkipOutsidePeriod   = "rows of months outside the period"
	SkipUnknownPractice = "rows of practices not in the hierarchy"
	SkipOtherField      = "rows of fields not used (Pat_*, New_Pat_Enbld, Total_Use)"
	SkipEmpty           = "empty values"
	SkipUnreadable      = "unreadable values"
	SkipNoListSize      = "PO04 answers without a list size in their month"
	SkipNoSupplier      = "CS01 answers of practices without a known supplier (NK, Informatica alone or none)"
)

// missing marks a field a month does not hold.
const missing = -1

// pomiPractice is what one practice's rows hold: the five fields for
// each month of the period.
type pomiPractice struct {
	code   string
	months [][pomiFieldCount]int64
	// supplier is the system_supplier of each month ("" when none).
	supplier []string
}

// system is the practice's clinical system from its supplier of the
// latest month that names one (ods.ClinicalSystem); "" when unknown.
func (pr *pomiPractice) system() string {
	for m := len(pr.supplier) - 1; m >= 0; m-- {
		if pr.supplier[m] != "" {
			return ods.ClinicalSystem(pr.supplier[m])
		}
	}
	return ""
}

// POMI imports a Patient Online Management Information file (CSV, or a
// zip archive holding one) as answers to PO01-PO04 for the half-year
// period code, creating the period (CLOSED) when missing. Each practice's
// answer to an indicator comes from the latest month of the period that
// holds its field: PO01-PO03 are yes when the system field is 2
// (enabled), no when 0 or 1; PO04 is 100 × Total_Pat_Enbld /
// patient_list_size of the same month, to one decimal and at most 100,
// and left unanswered without a list size. CS01 (the principal clinical
// system), when the catalogue has it, is the system_supplier of the
// latest month that names one, read by ods.ClinicalSystem; when the
// period is the latest one, the practices' clinical systems are set to
// it too. Rows of other months and of practices not in the hierarchy are
// skipped and counted.
func POMI(ctx context.Context, db *database.DB, path, periodCode string, o Options) (*Summary, error) {
	start := time.Now()
	name := filepath.Base(path)
	sum := &Summary{Command: "pomi", File: name, Periods: []string{periodCode}}
	actor := "import:pomi " + name
	in, size, err := openCSV(path)
	if err != nil {
		return nil, err
	}
	defer in.Close()
	// The whole file is read before the period is created: a file that
	// fails leaves no period behind.
	opens, closes, err := periodDates(ctx, db, periodCode)
	if err != nil {
		return nil, err
	}
	p := newProgress(o, name, size)
	months := monthIndex(closes) - monthIndex(opens) + 1
	practices, err := readPOMIFile(ctx, db, p.reader(in), p, opens, months, sum)
	if err != nil {
		return nil, err
	}
	in.Close()
	period, err := catalogue.EnsurePeriod(ctx, db, access.System(actor), periodCode)
	if err != nil {
		return nil, err
	}
	if !period.OpensOn.UTC().Equal(opens) || !period.ClosesOn.UTC().Equal(closes) {
		return nil, fmt.Errorf("period %s changed while the file was read: import it again", periodCode)
	}

	tx, ref, err := begin(ctx, db, nil)
	if err != nil {
		return nil, err
	}
	defer func() { _ = tx.Rollback() }() // a no-op after Commit
	inds, err := pomiIndicatorRefs(ref)
	if err != nil {
		return nil, err
	}
	cs01, err := ref.catalogue.Indicator("CS01")
	if err != nil || cs01.Respondent != indicator.RespondentPRACTICE {
		cs01 = nil // a catalogue without it: the systems alone
	}
	var systems []ods.SupplierRow

	p.step(fmt.Sprintf("comparing the answers of %d practices", len(practices)))
	st, err := newStage(ctx, tx, db.Dialect)
	if err != nil {
		return nil, err
	}
	for _, pr := range practices {
		practiceID := ref.practices[pr.code]
		if practiceID == 0 {
			continue // removed since the file was read
		}
		for i, value := range pomiAnswers(pr, sum) {
			if value == "" {
				continue
			}
			ind := inds[i]
			checked, err := ind.Check(answercheck.Input{Value: &value}, answercheck.File)
			if err != nil {
				return nil, fmt.Errorf("practice %s %s: %w", pr.code, ind.Code, err)
			}
			a := &answerRow{Answer: checked, practiceID: practiceID, periodID: period.ID, subject: pr.code + " " + ind.Code}
			if err := st.add(a); err != nil {
				return nil, fmt.Errorf("staging answers: %w", err)
			}
		}
		system := pr.system()
		if system == "" {
			sum.skip(SkipNoSupplier, 1)
			continue
		}
		systems = append(systems, ods.SupplierRow{Code: pr.code, System: system})
		if cs01 == nil {
			continue
		}
		checked, err := cs01.Check(answercheck.Input{Value: &system}, answercheck.File)
		if err != nil {
			return nil, fmt.Errorf("practice %s CS01: %w", pr.code, err)
		}
		if err := st.add(&answerRow{Answer: checked, practiceID: practiceID, periodID: period.ID, subject: pr.code + " CS01"}); err != nil {
			return nil, fmt.Errorf("staging answers: %w", err)
		}
	}
	if err := st.merge(actor, sum, p); err != nil {
		return nil, err
	}
	if err := pomiSystems(ctx, tx, db.Dialect, period.ID, systems, sum); err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	p.done()
	sum.Took = time.Since(start)
	return sum, nil
}

// pomiSystems sets the practices' clinical systems to the period's when
// no period ends after it.
func pomiSystems(ctx context.Context, tx *stdsql.Tx, dialectName string, periodID int, systems []ods.SupplierRow, sum *Summary) error {
	sum.Systems = &SystemCounts{}
	var later int
	if err := tx.QueryRowContext(ctx, database.Rebind(dialectName, `SELECT COUNT(*) FROM assessment_periods
		WHERE closes_on > (SELECT closes_on FROM assessment_periods WHERE id = ?)`), periodID).Scan(&later); err != nil {
		return err
	}
	if later > 0 {
		sum.Systems.Kept = fmt.Sprintf("%s is not the latest period", sum.Periods[0])
		return nil
	}
	changed, unchanged, _, err := setSystems(ctx, tx, dialectName, systems)
	if err != nil {
		return err
	}
	sum.Systems.Changed, sum.Systems.Unchanged = changed, unchanged
	if changed > 0 {
		return rollup.BumpRevision(ctx, tx)
	}
	return nil
}

// periodDates gives the dates of a stored period, or of the half-year
// the code names when there is none yet.
func periodDates(ctx context.Context, db *database.DB, code string) (opens, closes time.Time, err error) {
	found, err := db.Client.AssessmentPeriod.Query().Where(assessmentperiod.Code(code)).Only(ctx)
	if err == nil {
		return found.OpensOn.UTC(), found.ClosesOn.UTC(), nil
	}
	if !ent.IsNotFound(err) {
		return opens, closes, err
	}
	half, err := demo.HalfYear(strings.TrimSpace(code))
	if err != nil {
		return opens, closes, err
	}
	return half.OpensOn.UTC(), half.ClosesOn.UTC(), nil
}

// pomiIndicatorRefs finds PO01-PO04 in the catalogue.
func pomiIndicatorRefs(ref *reference) ([4]*answercheck.Indicator, error) {
	var inds [4]*answercheck.Indicator
	for i, code := range append(pomiIndicators[:], "PO04") {
		ind, err := ref.catalogue.Indicator(code)
		if err != nil || ind.Respondent != indicator.RespondentPRACTICE {
			return inds, fmt.Errorf("the catalogue has no practice indicator %s for POMI to answer", code)
		}
		inds[i] = ind
	}
	return inds, nil
}

// readPOMIFile reads the file against the hierarchy and catalogue as they
// are, in a transaction of its own that changes nothing.
func readPOMIFile(ctx context.Context, db *database.DB, r io.Reader, p *progress, opens time.Time, months int, sum *Summary) ([]*pomiPractice, error) {
	tx, ref, err := begin(ctx, db, &stdsql.TxOptions{ReadOnly: db.Dialect == dialect.Postgres})
	if err != nil {
		return nil, err
	}
	defer func() { _ = tx.Rollback() }() // nothing to keep
	if _, err := pomiIndicatorRefs(ref); err != nil {
		return nil, err
	}
	practices, err := readPOMI(r, p, ref, opens, months, sum)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", sum.File, err)
	}
	return practices, nil
}

func monthIndex(t time.Time) int { return t.Year()*12 + int(t.Month()) - 1 }

// readPOMI reads the rows of a POMI file into each known practice's
// months, counting what it skips.
func readPOMI(r io.Reader, p *progress, ref *reference, opens time.Time, months int, sum *Summary) ([]*pomiPractice, error) {
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("reading the header: %w", err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))] = i
	}
	supplierCol, hasSupplier := col["system_supplier"]
	var idx [4]int
	for i, name := range []string{"report_period_end", "practice_code", "field", "value"} {
		c, ok := col[name]
		if !ok {
			return nil, fmt.Errorf("no %s column: a POMI file has report_period_end, practice_code, field and value", name)
		}
		idx[i] = c
	}
	var (
		byCode  = map[string]*pomiPractice{}
		unknown = map[string]bool{}
		// Six distinct dates in a half-year file: parse each once.
		monthOf = map[string]int{}
		first   = monthIndex(opens)
	)
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		sum.Rows++
		p.row()
		m, ok := monthOf[rec[idx[0]]]
		if !ok {
			t, err := time.Parse("02Jan2006", rec[idx[0]])
			if err != nil {
				line, _ := cr.FieldPos(idx[0])
				return nil, fmt.Errorf("line %d: report_period_end %q is not a date such as 30SEP2018", line, rec[idx[0]])
			}
			m = monthIndex(t) - first
			monthOf[strings.Clone(rec[idx[0]])] = m
		}
		if m < 0 || m >= months {
			sum.skip(SkipOutsidePeriod, 1)
			continue
		}
		code := rec[idx[1]]
		pr := byCode[code]
		if pr == nil {
			if _, known := ref.practices[code]; !known {
				sum.skip(SkipUnknownPractice, 1)
				unknown[strings.Clone(code)] = true
				continue
			}
			pr = &pomiPractice{code: strings.Clone(code), months: make([][pomiFieldCount]int64, months), supplier: make([]string, months)}
			for i := range pr.months {
				for j := range pr.months[i] {
					pr.months[i][j] = missing
				}
			}
			byCode[pr.code] = pr
		}
		if hasSupplier && supplierCol < len(rec) {
			if v := strings.TrimSpace(rec[supplierCol]); v != "" && v != pr.supplier[m] {
				pr.supplier[m] = strings.Clone(v)
			}
		}
		slot, used := pomiFields[rec[idx[2]]]
		if !used {
			sum.skip(SkipOtherField, 1)
			continue
		}
		v := strings.TrimSpace(rec[idx[3]])
		if v == "" {
			sum.skip(SkipEmpty, 1)
			continue
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 || slot < 3 && n > 2 {
			sum.skip(SkipUnreadable, 1)
			continue
		}
		pr.months[m][slot] = n
	}
	sum.UnknownPractices = len(unknown)
	out := make([]*pomiPractice, 0, len(byCode))
	for _, pr := range byCode {
		out = append(out, pr)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].code < out[j].code })
	return out, nil
}

// pomiAnswers gives a practice's answers to PO01-PO04 as typed ("" for
// none): each from the latest month that holds its field.
func pomiAnswers(pr *pomiPractice, sum *Summary) [4]string {
	var out [4]string
	latest := func(slot int) int {
		for m := len(pr.months) - 1; m >= 0; m-- {
			if pr.months[m][slot] != missing {
				return m
			}
		}
		return -1
	}
	for slot := range pomiIndicators {
		if m := latest(slot); m >= 0 {
			out[slot] = "no"
			if pr.months[m][slot] == 2 {
				out[slot] = "yes"
			}
		}
	}
	if m := latest(3); m >= 0 {
		enabled, list := pr.months[m][3], pr.months[m][4]
		if list <= 0 {
			sum.skip(SkipNoListSize, 1)
			return out
		}
		pct := math.Min(100, math.Round(1000*float64(enabled)/float64(list))/10)
		out[3] = strconv.FormatFloat(pct, 'f', -1, 64)
	}
	return out
}
