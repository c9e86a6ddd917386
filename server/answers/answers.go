// Package answers writes answers: checked by server/answercheck, authorised
// by server/access, all or nothing, audited, and with every derived figure
// kept exact in the same transaction. A practice's scores are recomputed
// from its answers (and its CCG's) by the rules of server/scoring, and the
// change in its scores is added to its CCG, STP, region and England
// roll-ups as a delta: every roll-up column is a sum.
package answers

import (
	"context"
	stdsql "database/sql"
	"errors"
	"strings"
	"time"

	"dpcma/ent/auditevent"
	"dpcma/ent/indicator"
	"dpcma/ent/organisation"
	"dpcma/ent/practice"
	"dpcma/server/access"
	"dpcma/server/answercheck"
	"dpcma/server/database"
	"dpcma/server/fault"
	"dpcma/server/rollup"
	"dpcma/server/scoring"

	"github.com/lib/pq"
)

// Submission is a set of answers of one subject for one period: a
// practice, or a CCG for its CCG-level indicators.
type Submission struct {
	// Practice or Organisation is the subject's ODS code; exactly one.
	Practice, Organisation string
	Period                 string
	Answers                []Answer
	// Source and Actor say where the change came from, for the audit
	// trail; the principal's name when Actor is empty.
	Source auditevent.Source
	Actor  string
}

// Answer is one answer as typed.
type Answer struct {
	Indicator     string
	Value         *string
	NotApplicable bool
}

// Result is what a submission wrote.
type Result struct {
	// ResponseIDs are the subject's answers named in the submission, in
	// its order, changed or not.
	ResponseIDs []int
	// Changed counts the answers that changed.
	Changed    int
	PracticeID int
	OrgID      int
	PeriodID   int
}

// maxAttempts bounds the retries of a transaction that PostgreSQL aborted
// to break a deadlock or a serialisation conflict.
const maxAttempts = 4

// Submit validates, authorises and writes a submission. Bad answers give a
// fault.List with one BAD_USER_INPUT error per answer (extensions
// indicator and reason) and nothing is written. Repeating a submission
// changes nothing: no row, no audit event, no new data revision.
func Submit(ctx context.Context, db *database.DB, p *access.Principal, s Submission) (*Result, error) {
	if p == nil { // before anything is looked up
		return nil, access.SubmitAnswers(p, access.Subject{}, false)
	}
	if err := checkShape(s); err != nil {
		return nil, err
	}
	var (
		res *Result
		err error
	)
	for attempt := 1; attempt <= maxAttempts; attempt++ {
		res, err = submitOnce(ctx, db, p, s)
		if !retryable(err) {
			break
		}
	}
	return res, err
}

// retryable reports a PostgreSQL deadlock or serialisation failure: the
// transaction was rolled back whole and may simply run again.
func retryable(err error) bool {
	var pqErr *pq.Error
	return errors.As(err, &pqErr) && (pqErr.Code == "40P01" || pqErr.Code == "40001")
}

// maxAnswers bounds one submission; the catalogue has 50 indicators.
const maxAnswers = 500

func checkShape(s Submission) error {
	switch {
	case (s.Practice == "") == (s.Organisation == ""):
		return fault.BadInputf("name exactly one subject: practice (an ODS code such as A81001) or organisation (a CCG code such as 00C)")
	case strings.TrimSpace(s.Period) == "":
		return fault.BadInputf("name the period, e.g. 2017-18-H2")
	case len(s.Answers) == 0:
		return fault.BadInputf("give at least one answer")
	case len(s.Answers) > maxAnswers:
		return fault.BadInputf("at most %d answers in one submission, got %d", maxAnswers, len(s.Answers))
	}
	return nil
}

func submitOnce(ctx context.Context, db *database.DB, p *access.Principal, s Submission) (*Result, error) {
	tx, err := db.SQL.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer func() { _ = tx.Rollback() }() // a no-op after Commit
	w := &writer{ctx: ctx, tx: tx, dialect: db.Dialect, now: time.Now().UTC()}
	if err := rollup.LockForDeltas(ctx, tx, db.Dialect); err != nil {
		return nil, err
	}

	subj, err := w.subject(s)
	if err != nil {
		return nil, err
	}
	if err := w.lock(subj.CCGID); err != nil {
		return nil, err
	}
	period, err := w.period(s.Period, subj.RegionID)
	if err != nil {
		return nil, err
	}
	if err := access.SubmitAnswers(p, subj.Subject, period.open); err != nil {
		return nil, err
	}
	cat, err := answercheck.Load(ctx, tx)
	if err != nil {
		return nil, err
	}
	wanted, err := validate(cat, subj, s.Answers)
	if err != nil {
		return nil, err
	}
	before, err := w.answers(subj, period.id)
	if err != nil {
		return nil, err
	}
	actor := s.Actor
	if actor == "" {
		actor = p.Name()
	}
	changes := diff(subj, before, wanted)
	res := &Result{Changed: len(changes), PracticeID: subj.PracticeID, PeriodID: period.id}
	if subj.PracticeID == 0 {
		res.OrgID = subj.CCGID
	}
	if len(changes) > 0 {
		if err := w.write(changes, period.id, actor); err != nil {
			return nil, err
		}
		after := applyChanges(before, changes)
		if err := w.rescore(cat, subj, period.id, before, after); err != nil {
			return nil, err
		}
		if err := w.audit(changes, subj, period.id, actor, s.Source); err != nil {
			return nil, err
		}
		if err := rollup.BumpRevision(ctx, tx); err != nil {
			return nil, err
		}
	}
	for _, a := range wanted {
		res.ResponseIDs = append(res.ResponseIDs, idOf(before, changes, a.indicator.id))
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	return res, nil
}

// writer runs a submission's statements in its transaction.
type writer struct {
	ctx     context.Context
	tx      *stdsql.Tx
	dialect string
	now     time.Time
}

func (w *writer) exec(query string, args ...any) error {
	_, err := w.tx.ExecContext(w.ctx, database.Rebind(w.dialect, query), args...)
	return err
}

func (w *writer) query(query string, args ...any) (*stdsql.Rows, error) {
	return w.tx.QueryContext(w.ctx, database.Rebind(w.dialect, query), args...)
}

// subject is whose answers change, with the organisations above it.
type subject struct {
	access.Subject
	// Practice is the subject practice with its own chain; zero for a CCG.
	Practice practiceRef
	// STPID is a CCG subject's STP (its parent); zero for a practice.
	STPID int
	// ClosedCCG is a closed CCG subject, whose own answers count in no
	// figure.
	ClosedCCG bool
	// NationalID is England's organisation.
	NationalID int
}

func (w *writer) subject(s Submission) (subject, error) {
	var (
		sub      subject
		national stdsql.NullInt64
		row      *stdsql.Row
	)
	if s.Practice != "" {
		sub.Code = s.Practice
		// A practice's roll-ups are its CCG's and, above that, its own
		// STP's: a CCG may be split between STPs (docs/domain.md §2).
		row = w.tx.QueryRowContext(w.ctx, database.Rebind(w.dialect, `SELECT p.id, p.list_size, p.ccg_id, p.stp_id, p.region_id, p.status,
				COALESCE(p.contract_type, ''), r.parent_id
			FROM practices p JOIN organisations r ON r.id = p.region_id
			WHERE p.ods_code = ?`), s.Practice)
		p := &sub.Practice
		var (
			stp    stdsql.NullInt64
			status string
		)
		if err := row.Scan(&p.id, &p.listSize, &p.ccgID, &stp, &p.regionID, &status, &p.contractType, &national); err != nil {
			if errors.Is(err, stdsql.ErrNoRows) {
				return sub, fault.NotFoundf("no practice has the code %q", s.Practice)
			}
			return sub, err
		}
		p.stpID, p.closed = int(stp.Int64), !scoring.Counts(practice.Status(status))
		sub.PracticeID, sub.CCGID, sub.RegionID = p.id, p.ccgID, p.regionID
	} else {
		sub.Code = s.Organisation
		row = w.tx.QueryRowContext(w.ctx, database.Rebind(w.dialect, `SELECT c.id, c.status, s.id, r.id, r.parent_id FROM organisations c
			JOIN organisations s ON s.id = c.parent_id JOIN organisations r ON r.id = s.parent_id
			WHERE c.ods_code = ? AND c.tier = 'CCG'`), s.Organisation)
		var status string
		if err := row.Scan(&sub.CCGID, &status, &sub.STPID, &sub.RegionID, &national); err != nil {
			if errors.Is(err, stdsql.ErrNoRows) {
				return sub, fault.NotFoundf("no CCG has the code %q: CCG-level answers belong to a CCG", s.Organisation)
			}
			return sub, err
		}
		sub.ClosedCCG = !scoring.OrganisationCounts(organisation.Status(status))
	}
	sub.NationalID = int(national.Int64)
	return sub, nil
}

// lock serialises the writes of one CCG: a practice's scores include its
// CCG's answers, so a CCG's answers and its practices' must not change
// side by side. SQLite writers are serialised by the database already.
func (w *writer) lock(ccgID int) error {
	if w.dialect != "postgres" {
		return nil
	}
	return w.exec("SELECT id FROM organisations WHERE id = ? FOR UPDATE", ccgID)
}

type periodRow struct {
	id   int
	open bool
}

// period looks a period up with the status that applies in a region.
func (w *writer) period(code string, regionID int) (periodRow, error) {
	var (
		p        periodRow
		status   string
		regional stdsql.NullString
	)
	err := w.tx.QueryRowContext(w.ctx, database.Rebind(w.dialect, `SELECT p.id, p.status, rs.status FROM assessment_periods p
		LEFT JOIN regional_period_status rs ON rs.period_id = p.id AND rs.region_id = ?
		WHERE p.code = ?`), regionID, code).Scan(&p.id, &status, &regional)
	if errors.Is(err, stdsql.ErrNoRows) {
		return p, fault.NotFoundf("no assessment period has the code %q", code)
	}
	if regional.Valid {
		status = regional.String
	}
	p.open = status == "OPEN"
	return p, err
}

// wantedAnswer is a checked answer (answercheck.Answer) as the writer's
// statements take it.
type wantedAnswer struct {
	indicator     indicatorRef
	value         *string
	numeric       *float64
	score         *float64
	notApplicable bool
}

// indicatorRef names the indicator of a written answer.
type indicatorRef struct {
	id   int
	code string
}

// validate checks every answer by answercheck and returns them in
// canonical form, or one error per bad answer.
func validate(cat *answercheck.Catalogue, subj subject, answers []Answer) ([]wantedAnswer, error) {
	var (
		errs fault.List
		out  []wantedAnswer
		seen = map[string]bool{}
	)
	bad := func(code, reason string) {
		errs = append(errs, fault.BadInputf("%s: %s", code, reason).With("indicator", code).With("reason", reason))
	}
	by := answercheck.Subject{Code: subj.Code, Respondent: indicator.RespondentPRACTICE}
	if subj.PracticeID == 0 {
		by.Respondent = indicator.RespondentCCG
	}
	for _, a := range answers {
		code := strings.TrimSpace(a.Indicator)
		ind, err := cat.Indicator(code)
		if err == nil {
			err = ind.AnsweredBy(by)
		}
		if err == nil && seen[code] {
			bad(code, "answered twice in one submission")
			continue
		}
		var checked answercheck.Answer
		if err == nil {
			seen[code] = true
			checked, err = ind.Check(answercheck.Input{Value: a.Value, NotApplicable: a.NotApplicable}, answercheck.API)
		}
		if err != nil {
			reason, ok := answercheck.Reason(err)
			if !ok {
				return nil, err
			}
			bad(code, reason)
			continue
		}
		out = append(out, wantedAnswer{indicator: indicatorRef{ind.ID, ind.Code}, value: checked.Value,
			numeric: checked.Numeric, score: checked.Score, notApplicable: checked.NotApplicable})
	}
	return out, errs.Err()
}

// stored is an answer as it is in the database.
type stored struct {
	id            int
	practiceID    int // 0 for a CCG-level answer
	indicatorID   int
	value         *string
	numeric       *float64
	score         *float64
	notApplicable bool
}

// answers loads the period's answers that the subject's scores depend on:
// a practice's own and its CCG's; for a CCG, its own and every practice's
// of the CCG.
func (w *writer) answers(subj subject, periodID int) ([]stored, error) {
	q := `SELECT id, practice_id, indicator_id, value, numeric_value, score, not_applicable FROM responses
		WHERE period_id = ? AND (organisation_id = ? OR practice_id = ?)`
	args := []any{periodID, subj.CCGID, subj.PracticeID}
	if subj.PracticeID == 0 {
		q = `SELECT id, practice_id, indicator_id, value, numeric_value, score, not_applicable FROM responses
			WHERE period_id = ? AND (organisation_id = ? OR practice_id IN (SELECT id FROM practices WHERE ccg_id = ?))`
		args = []any{periodID, subj.CCGID, subj.CCGID}
	}
	rows, err := w.query(q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []stored
	for rows.Next() {
		var (
			s        stored
			practice stdsql.NullInt64
			value    stdsql.NullString
			numeric  stdsql.NullFloat64
			score    stdsql.NullFloat64
		)
		if err := rows.Scan(&s.id, &practice, &s.indicatorID, &value, &numeric, &score, &s.notApplicable); err != nil {
			return nil, err
		}
		s.practiceID = int(practice.Int64)
		if value.Valid {
			s.value = &value.String
		}
		if numeric.Valid {
			s.numeric = &numeric.Float64
		}
		if score.Valid {
			s.score = &score.Float64
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// change is one answer that differs from what is stored.
type change struct {
	wantedAnswer
	// old is the stored answer it replaces; nil for a new answer.
	old *stored
	// id is the response's id, assigned on insert for a new answer.
	id int
	// practiceID or orgID is the subject of the row.
	practiceID, orgID int
}

// diff returns the wanted answers that differ from the stored ones.
func diff(subj subject, before []stored, wanted []wantedAnswer) []*change {
	own := map[int]*stored{}
	for i := range before {
		if before[i].practiceID == subj.PracticeID {
			own[before[i].indicatorID] = &before[i]
		}
	}
	var out []*change
	for _, w := range wanted {
		old := own[w.indicator.id]
		if old != nil && old.notApplicable == w.notApplicable && equalStrings(old.value, w.value) {
			continue
		}
		c := &change{wantedAnswer: w, old: old, practiceID: subj.PracticeID}
		if subj.PracticeID == 0 {
			c.orgID = subj.CCGID
		}
		if old != nil {
			c.id = old.id
		}
		out = append(out, c)
	}
	return out
}

func equalStrings(a, b *string) bool {
	return a == nil && b == nil || a != nil && b != nil && *a == *b
}

// applyChanges returns the stored answers as they are after the changes.
func applyChanges(before []stored, changes []*change) []stored {
	after := append([]stored(nil), before...)
	byID := map[int]int{}
	for i, s := range after {
		byID[s.id] = i
	}
	for _, c := range changes {
		s := stored{id: c.id, practiceID: c.practiceID, indicatorID: c.indicator.id, value: c.value, numeric: c.numeric,
			score: c.score, notApplicable: c.notApplicable}
		if c.old != nil {
			after[byID[c.id]] = s
			continue
		}
		after = append(after, s)
	}
	return after
}

// idOf returns the response id of the subject's answer to an indicator.
func idOf(before []stored, changes []*change, indicatorID int) int {
	for _, c := range changes {
		if c.indicator.id == indicatorID {
			return c.id
		}
	}
	for _, s := range before {
		if s.indicatorID == indicatorID {
			return s.id
		}
	}
	return 0
}
