// Package imports loads answers in bulk from files: POMI (NHS Digital's
// Patient Online Management Information) for PO01-PO04, and a plain CSV
// of answers to any indicator. An import is one transaction: rows are
// checked by server/answercheck, as a submission is, staged in a
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
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"dpcma/server/answercheck"
	"dpcma/server/database"
	"dpcma/server/rollup"

	"entgo.io/ent/dialect"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
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
	// Systems is set when the import sets practices' clinical systems
	// (import suppliers, and import pomi of the latest period).
	Systems *SystemCounts
	Took    time.Duration
}

// SystemCounts counts the practices whose clinical system an import set.
type SystemCounts struct {
	Changed, Unchanged int
	// Kept says why they were left as they are, when they were.
	Kept string
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
	if len(s.Periods) > 0 {
		fmt.Fprintf(w, "answers for %s: %s created, %s changed, %s unchanged\n", strings.Join(s.Periods, ", "),
			thousands(s.Created), thousands(s.Changed), thousands(s.Unchanged))
	}
	if c := s.Systems; c != nil && c.Kept != "" {
		fmt.Fprintf(w, "clinical systems left as they are: %s\n", c.Kept)
	} else if c != nil {
		fmt.Fprintf(w, "clinical systems: %s changed, %s unchanged\n", thousands(c.Changed), thousands(c.Unchanged))
	}
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

// thousands writes n with comma separators (12,345), through
// golang.org/x/text's number formatting.
func thousands(n int) string { return britishNumbers.Sprintf("%d", n) }

var britishNumbers = message.NewPrinter(language.BritishEnglish)

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

// reference is the hierarchy and periods, by code, and the catalogue.
type reference struct {
	practices map[string]int
	ccgs      map[string]int
	periods   map[string]int
	catalogue *answercheck.Catalogue
}

// begin opens an import's transaction and reads the reference in it; the
// caller rolls it back (a no-op after Commit).
func begin(ctx context.Context, db *database.DB, opts *stdsql.TxOptions) (*stdsql.Tx, *reference, error) {
	tx, err := db.SQL.BeginTx(ctx, opts)
	if err != nil {
		return nil, nil, err
	}
	// Before any row is locked: an import that writes rebuilds.
	if opts == nil || !opts.ReadOnly {
		if err := rollup.LockForRebuild(ctx, tx, db.Dialect); err != nil {
			_ = tx.Rollback()
			return nil, nil, err
		}
	}
	ref, err := loadReference(ctx, tx)
	if err != nil {
		_ = tx.Rollback()
		return nil, nil, err
	}
	return tx, ref, nil
}

func loadReference(ctx context.Context, tx *stdsql.Tx) (*reference, error) {
	ref := &reference{practices: map[string]int{}, ccgs: map[string]int{}, periods: map[string]int{}}
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
	var err error
	ref.catalogue, err = answercheck.Load(ctx, tx)
	return ref, err
}

// answerRow is one checked answer with the row it goes to.
type answerRow struct {
	answercheck.Answer
	line              int
	practiceID, orgID int // exactly one is set
	periodID          int
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
	return []any{a.line, practice, org, a.Indicator.ID, a.periodID, a.Value, a.Numeric, a.NotApplicable, a.Score, a.subject}
}

// stage is an import's transaction with its staged answers.
type stage struct {
	ctx     context.Context
	tx      *stdsql.Tx
	dialect string
	w       *database.BulkWriter
	n       int
	// periods are the ids of the staged answers' periods.
	periods map[int]bool
}

const stageTable = "import_answers"

// newStage creates the staging table in tx and opens its bulk writer.
func newStage(ctx context.Context, tx *stdsql.Tx, dialectName string) (*stage, error) {
	s := &stage{ctx: ctx, tx: tx, dialect: dialectName, periods: map[int]bool{}}
	if dialectName == dialect.Postgres {
		// The merge sorts and hashes every staged answer, and the rebuild
		// after it a period's: in memory, not in spill files.
		if err := s.exec(database.BulkWorkMem); err != nil {
			return nil, err
		}
	}
	for _, q := range []string{
		"DROP TABLE IF EXISTS " + stageTable,
		"CREATE TEMPORARY TABLE " + stageTable + ` (line BIGINT NOT NULL, practice_id BIGINT, organisation_id BIGINT,
			indicator_id BIGINT NOT NULL, period_id BIGINT NOT NULL, value TEXT, numeric_value DOUBLE PRECISION,
			not_applicable BOOLEAN NOT NULL, score DOUBLE PRECISION, subject TEXT NOT NULL)`,
	} {
		if err := s.exec(q); err != nil {
			return nil, fmt.Errorf("staging answers: %w", err)
		}
	}
	w, err := database.NewBulkWriter(ctx, tx, dialectName, stageTable, stageColumns)
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

// add stages one answer.
func (s *stage) add(a *answerRow) error {
	s.n++
	s.periods[a.periodID] = true
	return s.w.Add(a.args()...)
}

// typed casts a parameter for PostgreSQL, which cannot infer the type of
// one in a SELECT list.
func (s *stage) typed(t string) string {
	if s.dialect == dialect.Postgres {
		return "?::" + t
	}
	return "?"
}

// changesTable holds the staged answers that differ from the stored ones,
// with the stored answer's id and old value (none for a new answer).
const changesTable = "import_changes"

// merge writes the staged answers that differ from the stored ones,
// audits each, and rebuilds the derived tables of the periods they
// touched. It fills the summary's answer counts.
func (s *stage) merge(actor string, sum *Summary, p *progress) error {
	if err := s.w.Close(); err != nil {
		return fmt.Errorf("staging answers: %w", err)
	}
	if s.n == 0 {
		return s.exec("DROP TABLE " + stageTable)
	}
	if s.dialect == dialect.Postgres {
		// A temporary table has no statistics until analysed; the joins
		// below need them to pick hash joins over 100,000s of rows.
		if err := s.exec("ANALYZE " + stageTable); err != nil { //nolint:misspell // SQL, not prose
			return err
		}
	}
	// Only the periods of the file: an index finds their answers, and a
	// new period has none to compare with.
	periodList := make([]string, 0, len(s.periods))
	for id := range s.periods {
		periodList = append(periodList, strconv.Itoa(id))
	}
	inPeriods := " AND r.period_id IN (" + strings.Join(periodList, ", ") + ")"
	// The differences, in one bulk write (cheaper than marking the staged
	// rows in place); practices' and CCGs' answers apart, so that each
	// join can use an index or a hash.
	differs := func(subject string) string {
		return `SELECT a.*, r.id AS response_id, r.value AS old_value, r.not_applicable AS old_na
			FROM ` + stageTable + ` a LEFT JOIN responses r ON r.` + subject + ` = a.` + subject + `
				AND r.period_id = a.period_id AND r.indicator_id = a.indicator_id` + inPeriods + `
			WHERE a.` + subject + ` IS NOT NULL AND (r.id IS NULL OR r.not_applicable <> a.not_applicable
				OR r.value IS DISTINCT FROM a.value)`
	}
	if err := s.exec(`DROP TABLE IF EXISTS ` + changesTable); err != nil {
		return err
	}
	if err := s.exec(`CREATE TEMPORARY TABLE ` + changesTable + ` AS ` + differs("practice_id") + ` UNION ALL ` + differs("organisation_id")); err != nil {
		return fmt.Errorf("comparing with the stored answers: %w", err)
	}
	var differ, changed int
	if err := s.tx.QueryRowContext(s.ctx, `SELECT COUNT(*), COUNT(response_id) FROM `+changesTable).Scan(&differ, &changed); err != nil {
		return err
	}
	sum.Created, sum.Changed, sum.Unchanged = differ-changed, changed, s.n-differ
	if differ == 0 {
		return s.drop()
	}
	periods, err := s.changedPeriods()
	if err != nil {
		return err
	}
	if s.dialect == dialect.Postgres {
		if err := s.exec("ANALYZE " + changesTable); err != nil { //nolint:misspell // SQL, not prose
			return err
		}
	}
	p.step(fmt.Sprintf("writing %d new and %d changed answers", sum.Created, sum.Changed))
	now := time.Now().UTC()
	audit := `INSERT INTO audit_events (at, actor, source, action, response_id, practice_id,
			organisation_id, indicator_id, period_id, subject, old_value, new_value) `
	const newValue = "CASE WHEN c.not_applicable THEN 'not applicable' ELSE c.value END"
	if changed > 0 {
		if err := s.exec(`UPDATE responses SET value = c.value, numeric_value = c.numeric_value,
				not_applicable = c.not_applicable, score = c.score, submitted_at = ?, submitted_by = ?
			FROM `+changesTable+` c WHERE responses.id = c.response_id`, now, actor); err != nil {
			return fmt.Errorf("updating answers: %w", err)
		}
		if err := s.exec(audit+`SELECT `+s.typed("timestamptz")+`, `+s.typed("text")+`, 'IMPORT', 'answer.set', c.response_id,
				c.practice_id, c.organisation_id, c.indicator_id, c.period_id, c.subject,
				CASE WHEN c.old_na THEN 'not applicable' ELSE c.old_value END, `+newValue+`
			FROM `+changesTable+` c WHERE c.response_id IS NOT NULL`, now, actor); err != nil {
			return fmt.Errorf("auditing answers: %w", err)
		}
	}
	if sum.Created > 0 {
		if err := s.insert(now, actor, audit, newValue); err != nil {
			return err
		}
	}
	if err := s.drop(); err != nil {
		return err
	}
	p.step("rebuilding the scores and roll-ups of " + strings.Join(sum.Periods, ", "))
	// One period's derived tables rebuild in seconds on the England data:
	// simpler than deltas, and exact by construction.
	return rollup.Rebuild(s.ctx, s.tx, s.dialect, rollup.Scope{PeriodIDs: periods})
}

func (s *stage) drop() error {
	if err := s.exec("DROP TABLE " + stageTable); err != nil {
		return err
	}
	return s.exec("DROP TABLE " + changesTable)
}

// references are the foreign keys of responses: column, table.
var references = [][2]string{{"practice_id", "practices"}, {"organisation_id", "organisations"},
	{"indicator_id", "indicators"}, {"period_id", "assessment_periods"}}

// insert adds the new answers. PostgreSQL checks each of the four foreign
// keys of every row with a query of its own, which costs more than the
// insert itself; when the connection may (a superuser), the import
// instead locks the rows referred to, as those checks would, checks them
// in one statement per key, and inserts with the per-row checks off for
// this statement only (session_replication_role, as pg_restore does).
func (s *stage) insert(now time.Time, actor, audit, newValue string) error {
	fast := false
	if s.dialect == dialect.Postgres {
		if err := s.tx.QueryRowContext(s.ctx, "SELECT rolsuper FROM pg_roles WHERE rolname = current_user").Scan(&fast); err != nil {
			return err
		}
	}
	if fast {
		for _, ref := range references {
			col, table := ref[0], ref[1]
			var missing int
			err := s.tx.QueryRowContext(s.ctx, `WITH wanted AS (SELECT DISTINCT `+col+` AS id FROM `+changesTable+`
					WHERE response_id IS NULL AND `+col+` IS NOT NULL),
				locked AS (SELECT t.id FROM `+table+` t WHERE t.id IN (SELECT id FROM wanted) FOR KEY SHARE)
				SELECT (SELECT COUNT(*) FROM wanted) - (SELECT COUNT(*) FROM locked)`).Scan(&missing)
			if err != nil {
				return fmt.Errorf("checking answers' %s: %w", table, err)
			}
			if missing != 0 {
				return fmt.Errorf("inserting answers: %d of their %s are gone", missing, table)
			}
		}
		if err := s.exec("SET LOCAL session_replication_role = replica"); err != nil {
			return err
		}
	}
	insert := `INSERT INTO responses (practice_id, organisation_id, indicator_id, period_id, value,
			numeric_value, not_applicable, score, submitted_at, submitted_by)
		SELECT practice_id, organisation_id, indicator_id, period_id, value, numeric_value, not_applicable, score,
			` + s.typed("timestamptz") + `, ` + s.typed("text") + `
		FROM ` + changesTable + ` WHERE response_id IS NULL`
	auditNew := `SELECT ` + s.typed("timestamptz") + `, ` + s.typed("text") + `, 'IMPORT', 'answer.set', c.id,
			c.practice_id, c.organisation_id, c.indicator_id, c.period_id,
			COALESCE(p.ods_code, o.ods_code) || ' ' || i.code, NULL, ` + newValue + `
		FROM c LEFT JOIN practices p ON p.id = c.practice_id LEFT JOIN organisations o ON o.id = c.organisation_id
			JOIN indicators i ON i.id = c.indicator_id`
	if s.dialect == dialect.Postgres {
		// The new ids come back from the insert to the audit in one statement.
		err := s.exec(`WITH c AS (`+insert+` RETURNING id, practice_id, organisation_id, indicator_id, period_id, value, not_applicable) `+
			audit+auditNew, now, actor, now, actor)
		if err != nil {
			return fmt.Errorf("inserting answers: %w", err)
		}
		if fast {
			return s.exec("SET LOCAL session_replication_role = origin")
		}
		return nil
	}
	if err := s.exec(insert, now, actor); err != nil {
		return fmt.Errorf("inserting answers: %w", err)
	}
	// SQLite finds each new answer by its key, through the unique indexes.
	for _, subject := range []string{"practice_id", "organisation_id"} {
		err := s.exec(`WITH c AS (SELECT r.id, r.practice_id, r.organisation_id, r.indicator_id, r.period_id, r.value, r.not_applicable
				FROM `+changesTable+` n JOIN responses r ON r.`+subject+` = n.`+subject+` AND r.period_id = n.period_id
					AND r.indicator_id = n.indicator_id
				WHERE n.response_id IS NULL AND n.`+subject+` IS NOT NULL) `+audit+auditNew, now, actor)
		if err != nil {
			return fmt.Errorf("auditing answers: %w", err)
		}
	}
	return nil
}

// changedPeriods lists the periods of the changed answers.
func (s *stage) changedPeriods() ([]int, error) {
	ids, err := database.Column[int](s.ctx, s.tx, `SELECT DISTINCT period_id FROM `+changesTable)
	sort.Ints(ids)
	return ids, err
}
