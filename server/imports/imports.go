// Package imports loads answers in bulk from files: POMI (NHS Digital's
// Patient Online Management Information) for PO01-PO04, and a plain CSV
// of answers to any indicator. An import is one transaction: rows are
// validated as server/answers validates a submission, staged in a
// temporary table (COPY on PostgreSQL, multi-row INSERTs on SQLite) and
// merged in a few set-based statements; each changed answer is audited
// (source IMPORT), and the derived tables of the periods it touched are
// rebuilt, so every figure is exact when it commits. Importing the same
// file again changes nothing.
package imports

import (
	"archive/zip"
	"context"
	stdsql "database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"dpcma/ent/indicator"
	"dpcma/server/database"
	"dpcma/server/rollup"
	"dpcma/server/scoring"

	"entgo.io/ent/dialect"
)

// Options says where an import reports its progress.
type Options struct {
	// Progress receives progress lines; nil for none.
	Progress io.Writer
	// Terminal draws a progress bar on Progress instead of plain lines.
	Terminal bool
}

// Summary is what an import read and did.
type Summary struct {
	// Command and File name the import ("pomi", "pomi.zip").
	Command, File string
	// Rows is the number of data rows read.
	Rows int
	// Created, Changed and Unchanged count the answers of the file.
	Created, Changed, Unchanged int
	// Skipped lists what was left out and why, in the order found.
	Skipped []Skip
	// UnknownPractices counts the practices of the file that are not in
	// the hierarchy (their rows are skipped).
	UnknownPractices int
	// Periods are the codes of the periods the file answers.
	Periods []string
	Took    time.Duration
}

// Skip is a count of rows (or practices) left out for one reason.
type Skip struct {
	Reason string
	Count  int
}

// Write prints the summary as a few lines of text.
func (s *Summary) Write(w io.Writer) {
	secs := s.Took.Seconds()
	rate := 0.0
	if secs > 0 {
		rate = float64(s.Rows) / secs
	}
	fmt.Fprintf(w, "import %s %s: %s rows read in %s (%s rows/s)\n", s.Command, s.File, thousands(s.Rows),
		s.Took.Round(time.Millisecond), thousands(int(rate)))
	fmt.Fprintf(w, "answers for %s: %s created, %s changed, %s unchanged\n", strings.Join(s.Periods, ", "),
		thousands(s.Created), thousands(s.Changed), thousands(s.Unchanged))
	for _, k := range s.Skipped {
		fmt.Fprintf(w, "skipped: %s %s\n", thousands(k.Count), k.Reason)
	}
	if s.UnknownPractices > 0 {
		fmt.Fprintf(w, "practices not in the hierarchy: %s\n", thousands(s.UnknownPractices))
	}
}

// skip adds n to the count of a reason.
func (s *Summary) skip(reason string, n int) {
	if n == 0 {
		return
	}
	for i := range s.Skipped {
		if s.Skipped[i].Reason == reason {
			s.Skipped[i].Count += n
			return
		}
	}
	s.Skipped = append(s.Skipped, Skip{reason, n})
}

// SkippedFor returns the count of one reason (0 when none).
func (s *Summary) SkippedFor(reason string) int {
	for _, k := range s.Skipped {
		if k.Reason == reason {
			return k.Count
		}
	}
	return 0
}

// thousands formats n with commas, as the README's figures are.
func thousands(n int) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return "-" + thousands(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// openCSV opens a CSV file, or the one CSV file inside a zip archive,
// with its uncompressed size for progress.
func openCSV(path string) (io.ReadCloser, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, err
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	if !strings.EqualFold(filepath.Ext(path), ".zip") {
		return f, info.Size(), nil
	}
	zr, err := zip.NewReader(f, info.Size())
	if err != nil {
		f.Close()
		return nil, 0, fmt.Errorf("%s: %w", filepath.Base(path), err)
	}
	var csvs []*zip.File
	for _, e := range zr.File {
		if strings.EqualFold(filepath.Ext(e.Name), ".csv") {
			csvs = append(csvs, e)
		}
	}
	if len(csvs) != 1 {
		f.Close()
		return nil, 0, fmt.Errorf("%s: a zip archive to import holds exactly one .csv file, this one holds %d", filepath.Base(path), len(csvs))
	}
	r, err := csvs[0].Open()
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	return struct {
		io.Reader
		io.Closer
	}{r, closers{r, f}}, int64(csvs[0].UncompressedSize64), nil
}

type closers []io.Closer

func (cs closers) Close() error {
	var errs []error
	for _, c := range cs {
		errs = append(errs, c.Close())
	}
	return errors.Join(errs...)
}

// indicatorRef is what an import needs of an indicator.
type indicatorRef struct {
	id         int
	code       string
	respondent indicator.Respondent
	spec       scoring.Spec
}

// reference is the hierarchy, catalogue and periods, by code.
type reference struct {
	practices  map[string]int
	ccgs       map[string]int
	indicators map[string]*indicatorRef
	periods    map[string]int
}

func loadReference(ctx context.Context, tx *stdsql.Tx) (*reference, error) {
	ref := &reference{practices: map[string]int{}, ccgs: map[string]int{}, indicators: map[string]*indicatorRef{}, periods: map[string]int{}}
	load := func(query string, into map[string]int) error {
		rows, err := tx.QueryContext(ctx, query)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var (
				code string
				id   int
			)
			if err := rows.Scan(&code, &id); err != nil {
				return err
			}
			into[code] = id
		}
		return rows.Err()
	}
	if err := load("SELECT ods_code, id FROM practices", ref.practices); err != nil {
		return nil, err
	}
	if err := load("SELECT ods_code, id FROM organisations WHERE tier = 'CCG'", ref.ccgs); err != nil {
		return nil, err
	}
	if err := load("SELECT code, id FROM assessment_periods", ref.periods); err != nil {
		return nil, err
	}
	rows, err := tx.QueryContext(ctx, "SELECT id, code, answer_type, target, max_step, choices, respondent FROM indicators")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			ind     indicatorRef
			target  stdsql.NullFloat64
			maxStep stdsql.NullInt64
			choices stdsql.NullString
		)
		if err := rows.Scan(&ind.id, &ind.code, &ind.spec.Type, &target, &maxStep, &choices, &ind.respondent); err != nil {
			return nil, err
		}
		if target.Valid {
			ind.spec.Target = &target.Float64
		}
		ind.spec.MaxStep = int(maxStep.Int64)
		if choices.Valid && choices.String != "" {
			if err := json.Unmarshal([]byte(choices.String), &ind.spec.Choices); err != nil {
				return nil, fmt.Errorf("indicator %s choices: %w", ind.code, err)
			}
		}
		if err := ind.spec.Validate(); err != nil {
			return nil, fmt.Errorf("indicator %s: %w", ind.code, err)
		}
		ref.indicators[ind.code] = &ind
	}
	return ref, rows.Err()
}

// answerRow is one validated answer in canonical form.
type answerRow struct {
	line                  int
	practiceID, orgID     int // exactly one is set
	indicatorID, periodID int
	value                 *string
	numeric, score        *float64
	notApplicable         bool
	// subject is how the audit names it: "A81001 PO01".
	subject string
}

// stageColumns are the staged answer's columns, as answerRow.args gives
// them.
var stageColumns = []string{"line", "practice_id", "organisation_id", "indicator_id", "period_id", "value",
	"numeric_value", "not_applicable", "score", "subject"}

func (a *answerRow) args() []any {
	var practice, org any
	if a.practiceID != 0 {
		practice = a.practiceID
	} else {
		org = a.orgID
	}
	return []any{a.line, practice, org, a.indicatorID, a.periodID, a.value, a.numeric, a.notApplicable, a.score, a.subject}
}

// stage is an import's transaction with its staged answers.
type stage struct {
	ctx     context.Context
	tx      *stdsql.Tx
	dialect string
	w       *bulkWriter
	n       int
}

const stageTable = "import_answers"

// newStage creates the staging table in tx and opens its bulk writer.
func newStage(ctx context.Context, tx *stdsql.Tx, dialectName string) (*stage, error) {
	s := &stage{ctx: ctx, tx: tx, dialect: dialectName}
	for _, q := range []string{
		"DROP TABLE IF EXISTS " + stageTable,
		"CREATE TEMPORARY TABLE " + stageTable + ` (line BIGINT NOT NULL, practice_id BIGINT, organisation_id BIGINT,
			indicator_id BIGINT NOT NULL, period_id BIGINT NOT NULL, value TEXT, numeric_value DOUBLE PRECISION,
			not_applicable BOOLEAN NOT NULL, score DOUBLE PRECISION, subject TEXT NOT NULL,
			response_id BIGINT, old_value TEXT, old_na BOOLEAN)`,
	} {
		if err := s.exec(q); err != nil {
			return nil, fmt.Errorf("staging answers: %w", err)
		}
	}
	w, err := newBulkWriter(ctx, tx, dialectName, stageTable, stageColumns)
	if err != nil {
		return nil, fmt.Errorf("staging answers: %w", err)
	}
	s.w = w
	return s, nil
}

func (s *stage) exec(query string, args ...any) error {
	_, err := s.tx.ExecContext(s.ctx, database.Rebind(s.dialect, query), args...)
	return err
}

func (s *stage) count(query string, args ...any) (int, error) {
	var n int
	err := s.tx.QueryRowContext(s.ctx, database.Rebind(s.dialect, query), args...).Scan(&n)
	return n, err
}

// add stages one answer.
func (s *stage) add(a *answerRow) error {
	s.n++
	return s.w.add(a.args()...)
}

// typed casts a parameter for PostgreSQL, which cannot infer the type of
// one in a SELECT list.
func (s *stage) typed(t string) string {
	if s.dialect == dialect.Postgres {
		return "?::" + t
	}
	return "?"
}

// merge writes the staged answers that differ from the stored ones,
// audits each, and rebuilds the derived tables of the periods they
// touched. It fills the summary's answer counts.
func (s *stage) merge(actor string, sum *Summary, p *progress) error {
	if err := s.w.close(); err != nil {
		return fmt.Errorf("staging answers: %w", err)
	}
	if s.dialect == dialect.Postgres {
		// A temporary table has no statistics until analysed; the joins
		// below need them to pick hash joins over 100,000s of rows.
		if err := s.exec("ANALYZE " + stageTable); err != nil { //nolint:misspell // SQL, not prose
			return err
		}
	}
	now := time.Now().UTC()
	// match finds the stored answer of each staged one: before writing with
	// its old value, after with the id of a new one.
	match := func(subject, extra string) string {
		set := "response_id = r.id, old_value = r.value, old_na = r.not_applicable"
		if extra != "" {
			set = "response_id = r.id"
		}
		return `UPDATE ` + stageTable + ` SET ` + set + `
			FROM responses r WHERE r.` + subject + ` = ` + stageTable + `.` + subject + `
				AND r.period_id = ` + stageTable + `.period_id AND r.indicator_id = ` + stageTable + `.indicator_id` + extra
	}
	steps := []struct {
		what, query string
		args        []any
	}{
		{"matching stored answers", match("practice_id", ""), nil},
		{"matching stored answers", match("organisation_id", ""), nil},
	}
	for _, st := range steps {
		if err := s.exec(st.query, st.args...); err != nil {
			return fmt.Errorf("%s: %w", st.what, err)
		}
	}
	var err error
	same := ` WHERE response_id IS NOT NULL AND old_na = not_applicable AND old_value IS NOT DISTINCT FROM value`
	if sum.Unchanged, err = s.count("SELECT COUNT(*) FROM " + stageTable + same); err != nil {
		return err
	}
	if sum.Created, err = s.count("SELECT COUNT(*) FROM " + stageTable + " WHERE response_id IS NULL"); err != nil {
		return err
	}
	sum.Changed = s.n - sum.Unchanged - sum.Created
	if sum.Created+sum.Changed == 0 {
		return s.exec("DROP TABLE " + stageTable)
	}
	periods, err := s.periods()
	if err != nil {
		return err
	}
	p.step(fmt.Sprintf("writing %d new and %d changed answers", sum.Created, sum.Changed))
	steps = []struct {
		what, query string
		args        []any
	}{
		{"dropping unchanged answers", "DELETE FROM " + stageTable + same, nil},
		{"updating answers", `UPDATE responses SET value = s.value, numeric_value = s.numeric_value,
				not_applicable = s.not_applicable, score = s.score, submitted_at = ?, submitted_by = ?
			FROM ` + stageTable + ` s WHERE responses.id = s.response_id`, []any{now, actor}},
		{"inserting answers", `INSERT INTO responses (practice_id, organisation_id, indicator_id, period_id, value,
				numeric_value, not_applicable, score, submitted_at, submitted_by)
			SELECT practice_id, organisation_id, indicator_id, period_id, value, numeric_value, not_applicable, score,
				` + s.typed("timestamptz") + `, ` + s.typed("text") + `
			FROM ` + stageTable + ` WHERE response_id IS NULL`, []any{now, actor}},
		{"matching new answers", match("practice_id", " AND "+stageTable+".response_id IS NULL"), nil},
		{"matching new answers", match("organisation_id", " AND "+stageTable+".response_id IS NULL"), nil},
		{"auditing answers", `INSERT INTO audit_events (at, actor, source, action, response_id, practice_id,
				organisation_id, indicator_id, period_id, subject, old_value, new_value)
			SELECT ` + s.typed("timestamptz") + `, ` + s.typed("text") + `, 'IMPORT', 'answer.set', response_id, practice_id,
				organisation_id, indicator_id, period_id, subject,
				CASE WHEN old_na THEN 'not applicable' ELSE old_value END,
				CASE WHEN not_applicable THEN 'not applicable' ELSE value END
			FROM ` + stageTable, []any{now, actor}},
		{"cleaning up", "DROP TABLE " + stageTable, nil},
	}
	for _, st := range steps {
		if err := s.exec(st.query, st.args...); err != nil {
			return fmt.Errorf("%s: %w", st.what, err)
		}
	}
	p.step("rebuilding the scores and roll-ups of " + strings.Join(sum.Periods, ", "))
	// One period's derived tables rebuild in about a second on the England
	// data: simpler than deltas, and exact by construction.
	return rollup.Rebuild(s.ctx, s.tx, s.dialect, rollup.Scope{PeriodIDs: periods})
}

// periods lists the periods of the changed answers.
func (s *stage) periods() ([]int, error) {
	rows, err := s.tx.QueryContext(s.ctx, `SELECT DISTINCT period_id FROM `+stageTable+`
		WHERE response_id IS NULL OR old_na <> not_applicable OR old_value IS DISTINCT FROM value`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []int
	for rows.Next() {
		var id int
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	sort.Ints(ids)
	return ids, rows.Err()
}
