package answers

import (
	"cmp"
	stdsql "database/sql"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"dpcma/ent/auditevent"
	"dpcma/ent/practice"
	"dpcma/server/answercheck"
	"dpcma/server/database"
	"dpcma/server/rollup"
	"dpcma/server/scoring"

	"github.com/lib/pq"
)

// rowsPerStatement keeps multi-row statements under every driver's bind
// parameter limit (SQLite's is 32,766).
const rowsPerStatement = 200

// values builds a VALUES list of n rows of the given SQL types. PostgreSQL
// cannot infer the types of parameters in VALUES, so the first row casts
// them; SQLite takes them as they come.
func (w *writer) values(n int, types ...string) string {
	var b strings.Builder
	b.WriteString("VALUES ")
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("(")
		for j, t := range types {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString("?")
			if i == 0 && w.dialect == "postgres" {
				b.WriteString("::" + t)
			}
		}
		b.WriteString(")")
	}
	return b.String()
}

// write stores the changed answers: one statement for the updates and one
// for the inserts, whose new ids it records.
func (w *writer) write(changes []*change, periodID int, actor string) error {
	var updates, inserts []*change
	for _, c := range changes {
		if c.old != nil {
			updates = append(updates, c)
		} else {
			inserts = append(inserts, c)
		}
	}
	for len(updates) > 0 {
		chunk := updates[:min(len(updates), rowsPerStatement)]
		updates = updates[len(chunk):]
		args := []any{}
		for _, c := range chunk {
			args = append(args, c.id, c.value, c.numeric, c.notApplicable, c.score)
		}
		args = append(args, w.now, actor)
		err := w.exec(`WITH v (id, value, numeric_value, not_applicable, score) AS (`+
			w.values(len(chunk), "bigint", "text", "float8", "boolean", "float8")+`)
			UPDATE responses SET value = v.value, numeric_value = v.numeric_value, not_applicable = v.not_applicable,
				score = v.score, submitted_at = ?, submitted_by = ?
			FROM v WHERE responses.id = v.id`, args...)
		if err != nil {
			return fmt.Errorf("updating answers: %w", err)
		}
	}
	for len(inserts) > 0 {
		chunk := inserts[:min(len(inserts), rowsPerStatement)]
		inserts = inserts[len(chunk):]
		if err := w.insert(chunk, periodID, actor); err != nil {
			return err
		}
	}
	return nil
}

func (w *writer) insert(chunk []*change, periodID int, actor string) error {
	var (
		rows []string
		args []any
	)
	for _, c := range chunk {
		rows = append(rows, "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
		practice, org := c.subject()
		args = append(args, practice, org, c.indicator.id, periodID, c.value, c.numeric, c.notApplicable, c.score, w.now, actor)
	}
	rs, err := w.query(`INSERT INTO responses (practice_id, organisation_id, indicator_id, period_id, value, numeric_value,
			not_applicable, score, submitted_at, submitted_by)
		VALUES `+strings.Join(rows, ", ")+` RETURNING id, indicator_id`, args...)
	if err != nil {
		return fmt.Errorf("inserting answers: %w", err)
	}
	defer rs.Close()
	ids := map[int]int{}
	for rs.Next() {
		var id, indicatorID int
		if err := rs.Scan(&id, &indicatorID); err != nil {
			return err
		}
		ids[indicatorID] = id
	}
	if err := rs.Err(); err != nil {
		return err
	}
	for _, c := range chunk {
		c.id = ids[c.indicator.id]
	}
	return nil
}

// subject returns the practice_id and organisation_id of a change's row.
func (c *change) subject() (practice, org any) {
	if c.practiceID != 0 {
		return c.practiceID, nil
	}
	return nil, c.orgID
}

// rescore recomputes the scores of the practices whose answers (or whose
// CCG's answers) changed, stores them, and adds the change in each
// practice's scores to every roll-up above it. The change is taken
// against the stored scores, so the roll-ups stay the sums of the
// practice scores whatever rounding the rebuild's SQL did.
func (w *writer) rescore(cat *answercheck.Catalogue, subj subject, periodID int, before, after []stored) error {
	practices, err := w.practices(subj)
	if err != nil {
		return err
	}
	was, err := w.storedScores(practices, periodID)
	if err != nil {
		return err
	}
	// One pass: the CCG's own answers count for every practice of it.
	tallies := scoring.TallyCCG(func(yield func(int, scoring.Answer) bool) {
		for _, s := range after {
			if !yield(s.practiceID, cat.ByID(s.indicatorID).Scored(s.score, s.notApplicable)) {
				return
			}
		}
	})
	var (
		scores []practiceScoreRow
		deltas = map[orgDomain]scoring.Rollup{}
	)
	for _, p := range practices {
		// Each practice's change reaches its own chain: a CCG split between
		// STPs sends each practice's delta to that practice's STP.
		chain := []int{p.ccgID, p.stpID, p.regionID, subj.NationalID}
		add := func(domain string, d scoring.Rollup) {
			if p.closed { // scored, but in no roll-up (docs/domain.md §2)
				return
			}
			for _, org := range chain {
				if org != 0 {
					k := orgDomain{org, domain}
					deltas[k] = deltas[k].Plus(d)
				}
			}
		}
		for domain, n := range cat.Domains() {
			now := scoring.ScorePractice(tallies.Practice(p.id, domain), n, p.listSize)
			old, ok := was[scoreKey{p.id, domain}]
			if !ok {
				// No row yet (a practice added since the last rebuild): it
				// joins the roll-ups now.
				add(domain, scoring.Rollup{PracticeCount: 1})
			}
			if ok && samePracticeScore(old, now) {
				continue
			}
			scores = append(scores, practiceScoreRow{p.id, domain, now})
			add(domain, scoring.RollupDelta(old, now))
		}
	}
	if err := w.storeScores(scores, periodID); err != nil {
		return err
	}
	if err := w.copyDomainScores(scores, periodID); err != nil {
		return err
	}
	if err := w.applyDeltas(deltas, periodID); err != nil {
		return err
	}
	known := func(p practiceRef) bool { _, ok := was[scoreKey{p.id, scoring.AllDomains}]; return ok }
	if err := w.applyIndicatorDeltas(indicatorDeltas(cat, subj, practices, known, before, after), periodID); err != nil {
		return err
	}
	rules, err := rollup.LoadRules(w.ctx, w.tx, cat)
	if err != nil {
		return err
	}
	return w.applyComplianceDeltas(complianceDeltas(rules, subj, practices, known, before, after), periodID)
}

// complianceDeltas is what the change does to the compliance roll-ups:
// each rescored counting practice's figures after less before (a practice
// the roll-ups did not know yet had none).
func complianceDeltas(rules *rollup.Rules, subj subject, practices []practiceRef, known func(practiceRef) bool, before, after []stored) rollup.ComplianceContribution {
	if rules.Empty() {
		return rollup.NewComplianceContribution()
	}
	contribution := func(answers []stored, isBefore bool) rollup.ComplianceContribution {
		own, ccg := byPractice(answers)
		c := rollup.NewComplianceContribution()
		for _, p := range practices {
			if p.closed || isBefore && !known(p) {
				continue
			}
			rules.Practice(c, own[p.id], ccg, p.contractType, []int{p.ccgID, p.stpID, p.regionID, subj.NationalID})
		}
		return c
	}
	return contribution(after, false).Minus(contribution(before, true))
}

// byPractice splits answers into each practice's own and the CCG's.
func byPractice(answers []stored) (own map[int][]rollup.Answer, ccg []rollup.Answer) {
	own = map[int][]rollup.Answer{}
	for _, s := range answers {
		a := rollup.Answer{IndicatorID: s.indicatorID, Numeric: s.numeric, Score: s.score, NotApplicable: s.notApplicable}
		if s.practiceID == 0 {
			ccg = append(ccg, a)
		} else {
			own[s.practiceID] = append(own[s.practiceID], a)
		}
	}
	return own, ccg
}

// indicatorDeltas is what the change does to the indicator roll-ups
// (docs/domain.md §10.1): each rescored counting practice's figures after
// less before (a practice the roll-ups did not know yet had none), and for
// an open CCG its own counts and shares.
func indicatorDeltas(cat *answercheck.Catalogue, subj subject, practices []practiceRef, known func(practiceRef) bool, before, after []stored) rollup.Contribution {
	t := rollup.NewTargets(cat)
	contribution := func(answers []stored, isBefore bool) rollup.Contribution {
		own, ccg := byPractice(answers)
		c := rollup.Contribution{}
		var members []int
		for _, p := range practices {
			if p.closed || isBefore && !known(p) {
				continue
			}
			chain := []int{p.ccgID, p.stpID, p.regionID, subj.NationalID}
			t.Practice(c, own[p.id], ccg, p.listSize, chain)
			for _, org := range chain {
				if org != 0 && !slices.Contains(members, org) {
					members = append(members, org)
				}
			}
		}
		if subj.PracticeID == 0 && !subj.ClosedCCG {
			t.CCG(c, ccg, members, []int{subj.CCGID, subj.STPID, subj.RegionID, subj.NationalID})
		}
		return c
	}
	return contribution(after, false).Minus(contribution(before, true))
}

// practiceRef is a practice with every organisation its roll-ups reach.
type practiceRef struct {
	id, listSize, ccgID, stpID, regionID int
	contractType                         string // "" when unknown
	closed                               bool
}

// orgDomain keys a roll-up delta.
type orgDomain struct {
	orgID  int
	domain string
}

// practices lists the practices whose scores a change of the subject's
// answers reaches.
func (w *writer) practices(subj subject) ([]practiceRef, error) {
	if subj.PracticeID != 0 {
		return []practiceRef{subj.Practice}, nil
	}
	rows, err := w.query("SELECT id, list_size, ccg_id, stp_id, region_id, status, COALESCE(contract_type, '') FROM practices WHERE ccg_id = ? ORDER BY id", subj.CCGID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []practiceRef
	for rows.Next() {
		var (
			p      practiceRef
			stp    stdsql.NullInt64
			status string
		)
		if err := rows.Scan(&p.id, &p.listSize, &p.ccgID, &stp, &p.regionID, &status, &p.contractType); err != nil {
			return nil, err
		}
		p.stpID, p.closed = int(stp.Int64), !scoring.Counts(practice.Status(status))
		out = append(out, p)
	}
	return out, rows.Err()
}

type scoreKey struct {
	practiceID int
	domain     string
}

func (w *writer) storedScores(practices []practiceRef, periodID int) (map[scoreKey]scoring.PracticeScore, error) {
	ids := make([]any, 0, len(practices)+1)
	ids = append(ids, periodID)
	for _, p := range practices {
		ids = append(ids, p.id)
	}
	rows, err := w.query(`SELECT practice_id, domain, `+strings.Join(rollup.Scores.Names(), ", ")+` FROM practice_scores
		WHERE period_id = ? AND practice_id IN (`+database.Placeholders(len(practices))+`)`, ids...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[scoreKey]scoring.PracticeScore{}
	for rows.Next() {
		var (
			k scoreKey
			p scoring.PracticeScore
		)
		if err := rows.Scan(append([]any{&k.practiceID, &k.domain}, rollup.Scores.Targets(&p)...)...); err != nil {
			return nil, err
		}
		out[k] = p
	}
	return out, rows.Err()
}

type practiceScoreRow struct {
	practiceID int
	domain     string
	score      scoring.PracticeScore
}

// storeScores upserts practice scores.
func (w *writer) storeScores(scores []practiceScoreRow, periodID int) error {
	sort.Slice(scores, func(i, j int) bool { // one lock order for every writer
		a, b := scores[i], scores[j]
		return a.practiceID < b.practiceID || a.practiceID == b.practiceID && a.domain < b.domain
	})
	names := rollup.Scores.Names()
	set := make([]string, len(names))
	for i, c := range names {
		set[i] = c + " = excluded." + c
	}
	marks := "(" + strings.Repeat("?, ", len(names)+2) + "?)"
	for len(scores) > 0 {
		chunk := scores[:min(len(scores), rowsPerStatement)]
		scores = scores[len(chunk):]
		var (
			rows []string
			args []any
		)
		for _, s := range chunk {
			rows = append(rows, marks)
			args = append(append(args, s.practiceID, periodID, s.domain), rollup.Scores.Values(s.score)...)
		}
		err := w.exec(`INSERT INTO practice_scores (practice_id, period_id, domain, `+strings.Join(names, ", ")+`)
			VALUES `+strings.Join(rows, ", ")+`
			ON CONFLICT (practice_id, period_id, domain) DO UPDATE SET `+strings.Join(set, ", "), args...)
		if err != nil {
			return fmt.Errorf("storing practice scores: %w", err)
		}
	}
	return nil
}

// copyDomainScores copies the rescored practices' domain scores onto
// their all-domains rows.
func (w *writer) copyDomainScores(scores []practiceScoreRow, periodID int) error {
	ids := make([]int64, 0, len(scores))
	for _, s := range scores {
		ids = append(ids, int64(s.practiceID))
	}
	if len(ids) == 0 {
		return nil
	}
	slices.Sort(ids)
	return rollup.CopyDomainScores(w.ctx, w.tx, w.dialect, "a.period_id = ? AND a.practice_id = ANY(?)", periodID, pq.Array(slices.Compact(ids)))
}

// applyDeltas adds each organisation's delta per domain to its roll-ups,
// in one statement.
func (w *writer) applyDeltas(deltas map[orgDomain]scoring.Rollup, periodID int) error {
	keys := make([]orgDomain, 0, len(deltas))
	for k, r := range deltas {
		if r != (scoring.Rollup{}) {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return nil
	}
	sort.Slice(keys, func(i, j int) bool { // one lock order for every writer
		a, b := keys[i], keys[j]
		return a.orgID < b.orgID || a.orgID == b.orgID && a.domain < b.domain
	})
	names := rollup.Rollups.Names()
	types := append([]string{"bigint", "text"}, rollup.Rollups.SQLTypes()...)
	set := make([]string, len(names))
	for i, c := range names {
		set[i] = c + " = org_rollups." + c + " + d." + c
	}
	for len(keys) > 0 {
		chunk := keys[:min(len(keys), rowsPerStatement)]
		keys = keys[len(chunk):]
		var args []any
		for _, k := range chunk {
			args = append(args, k.orgID, k.domain)
			args = append(args, rollup.Rollups.Values(deltas[k])...)
		}
		args = append(args, periodID)
		err := w.exec(`WITH d (org_id, domain, `+strings.Join(names, ", ")+`) AS (`+w.values(len(chunk), types...)+`)
			UPDATE org_rollups SET `+strings.Join(set, ", ")+`
			FROM d WHERE org_rollups.org_id = d.org_id AND org_rollups.domain = d.domain AND org_rollups.period_id = ?`, args...)
		if err != nil {
			return fmt.Errorf("updating roll-ups: %w", err)
		}
	}
	return nil
}

// applyIndicatorDeltas adds each organisation's change per indicator to
// its indicator roll-ups. Organisations with the same changes (usually the
// whole chain above a practice, and above a CCG that is not split) share
// one statement: the changes once, the organisations in a list.
func (w *writer) applyIndicatorDeltas(deltas rollup.Contribution, periodID int) error {
	byOrg := map[int]map[int]scoring.IndicatorRollup{}
	for org, changes := range deltas {
		changes = maps.Clone(changes)
		maps.DeleteFunc(changes, func(_ int, r scoring.IndicatorRollup) bool { return r == (scoring.IndicatorRollup{}) })
		if len(changes) > 0 {
			byOrg[org] = changes
		}
	}
	groups := sharing(byOrg, maps.Equal[map[int]scoring.IndicatorRollup])
	names := rollup.IndicatorRollups.Names()
	types := append([]string{"bigint"}, rollup.IndicatorRollups.SQLTypes()...)
	set := make([]string, len(names))
	for i, c := range names {
		set[i] = c + " = org_indicator_rollups." + c + " + d." + c
	}
	for _, g := range groups {
		indicators := slices.Sorted(maps.Keys(g.changes))
		for len(indicators) > 0 {
			chunk := indicators[:min(len(indicators), rowsPerStatement)]
			indicators = indicators[len(chunk):]
			var args []any
			for _, id := range chunk {
				args = append(append(args, id), rollup.IndicatorRollups.Values(g.changes[id])...)
			}
			args = append(args, periodID)
			for _, org := range g.orgs {
				args = append(args, org)
			}
			err := w.exec(`WITH d (indicator_id, `+strings.Join(names, ", ")+`) AS (`+w.values(len(chunk), types...)+`)
				UPDATE org_indicator_rollups SET `+strings.Join(set, ", ")+`
				FROM d WHERE org_indicator_rollups.indicator_id = d.indicator_id AND org_indicator_rollups.period_id = ?
					AND org_indicator_rollups.org_id IN (`+database.Placeholders(len(g.orgs))+`)`, args...)
			if err != nil {
				return fmt.Errorf("updating indicator roll-ups: %w", err)
			}
		}
	}
	return nil
}

// orgGroup is organisations with the same changes.
type orgGroup[C any] struct {
	orgs    []int
	changes C
}

// sharing groups the organisations whose changes are equal, so that one
// statement gives them all: groups in the order of their first
// organisation, organisations in id order (one lock order for every
// writer).
func sharing[C any](byOrg map[int]C, equal func(a, b C) bool) []*orgGroup[C] {
	var groups []*orgGroup[C]
	for _, org := range slices.Sorted(maps.Keys(byOrg)) {
		c := byOrg[org]
		i := slices.IndexFunc(groups, func(g *orgGroup[C]) bool { return equal(g.changes, c) })
		if i < 0 {
			groups = append(groups, &orgGroup[C]{changes: c})
			i = len(groups) - 1
		}
		groups[i].orgs = append(groups[i].orgs, org)
	}
	return groups
}

// applyComplianceDeltas adds each change to the compliance roll-ups.
// Organisations with the same changes (the chain above a practice, and
// above the practices of a CCG in one STP) share one statement per table:
// the changes once, the organisations in a list. Groups go in the order of
// their first organisation, rows in key order: one lock order for every
// writer.
func (w *writer) applyComplianceDeltas(d rollup.ComplianceContribution, periodID int) error {
	type changes struct {
		sets map[rollup.SetKey]rollup.SetCounts                 // OrgID 0
		reqs map[rollup.RequirementKey]rollup.RequirementCounts // OrgID 0
	}
	byOrg := map[int]*changes{}
	of := func(org int) *changes {
		if byOrg[org] == nil {
			byOrg[org] = &changes{sets: map[rollup.SetKey]rollup.SetCounts{}, reqs: map[rollup.RequirementKey]rollup.RequirementCounts{}}
		}
		return byOrg[org]
	}
	for k, c := range d.Sets {
		org := k.OrgID
		k.OrgID = 0
		of(org).sets[k] = c
	}
	for k, c := range d.Requirements {
		org := k.OrgID
		k.OrgID = 0
		of(org).reqs[k] = c
	}
	groups := sharing(byOrg, func(a, b *changes) bool { return maps.Equal(a.sets, b.sets) && maps.Equal(a.reqs, b.reqs) })
	for _, g := range groups {
		orgs := make([]any, len(g.orgs))
		for i, org := range g.orgs {
			orgs[i] = org
		}
		sets := slices.SortedFunc(maps.Keys(g.changes.sets), func(a, b rollup.SetKey) int {
			return cmp.Or(cmp.Compare(a.SetID, b.SetID), strings.Compare(a.ContractType, b.ContractType))
		})
		for len(sets) > 0 {
			chunk := sets[:min(len(sets), rowsPerStatement)]
			sets = sets[len(chunk):]
			var args []any
			for _, k := range chunk {
				c := g.changes.sets[k]
				args = append(args, k.SetID, k.ContractType, c.Practices, c.Met, c.Unknown)
			}
			err := w.exec(`WITH d (set_id, contract_type, practice_count, met_count, unknown_count) AS (`+
				w.values(len(chunk), "bigint", "text", "bigint", "bigint", "bigint")+`)
				UPDATE org_compliance_rollups SET practice_count = org_compliance_rollups.practice_count + d.practice_count,
					met_count = org_compliance_rollups.met_count + d.met_count,
					unknown_count = org_compliance_rollups.unknown_count + d.unknown_count
				FROM d WHERE org_compliance_rollups.set_id = d.set_id AND org_compliance_rollups.period_id = ?
					AND org_compliance_rollups.org_id IN (`+database.Placeholders(len(orgs))+`)
					AND org_compliance_rollups.contract_type = d.contract_type`,
				append(append(args, periodID), orgs...)...)
			if err != nil {
				return fmt.Errorf("updating compliance roll-ups: %w", err)
			}
		}
		reqs := slices.SortedFunc(maps.Keys(g.changes.reqs), func(a, b rollup.RequirementKey) int {
			return cmp.Or(cmp.Compare(a.SetID, b.SetID), cmp.Compare(a.IndicatorID, b.IndicatorID))
		})
		for len(reqs) > 0 {
			chunk := reqs[:min(len(reqs), rowsPerStatement)]
			reqs = reqs[len(chunk):]
			var args []any
			for _, k := range chunk {
				c := g.changes.reqs[k]
				args = append(args, k.SetID, k.IndicatorID, c.Met, c.Answered)
			}
			err := w.exec(`WITH d (set_id, indicator_id, met_count, answered_count) AS (`+
				w.values(len(chunk), "bigint", "bigint", "bigint", "bigint")+`)
				UPDATE org_requirement_rollups SET met_count = org_requirement_rollups.met_count + d.met_count,
					answered_count = org_requirement_rollups.answered_count + d.answered_count
				FROM d WHERE org_requirement_rollups.set_id = d.set_id AND org_requirement_rollups.period_id = ?
					AND org_requirement_rollups.org_id IN (`+database.Placeholders(len(orgs))+`)
					AND org_requirement_rollups.indicator_id = d.indicator_id`,
				append(append(args, periodID), orgs...)...)
			if err != nil {
				return fmt.Errorf("updating requirement roll-ups: %w", err)
			}
		}
	}
	return nil
}

// audit records each changed answer.
func (w *writer) audit(changes []*change, subj subject, periodID int, actor string, source auditevent.Source) error {
	if source == "" {
		source = auditevent.SourceAPI
	}
	for len(changes) > 0 {
		chunk := changes[:min(len(changes), rowsPerStatement)]
		changes = changes[len(chunk):]
		var (
			rows []string
			args []any
		)
		for _, c := range chunk {
			practice, org := c.subject()
			var old *string
			if c.old != nil {
				old = answerText(c.old.value, c.old.notApplicable)
			}
			rows = append(rows, "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
			args = append(args, w.now, actor, source, "answer.set", c.id, practice, org, c.indicator.id, periodID,
				subj.Code+" "+c.indicator.code, old, answerText(c.value, c.notApplicable))
		}
		err := w.exec(`INSERT INTO audit_events (at, actor, source, action, response_id, practice_id, organisation_id,
				indicator_id, period_id, subject, old_value, new_value) VALUES `+strings.Join(rows, ", "), args...)
		if err != nil {
			return fmt.Errorf("auditing answers: %w", err)
		}
	}
	return nil
}

// answerText is an answer as the audit trail shows it.
func answerText(value *string, notApplicable bool) *string {
	if notApplicable {
		s := "not applicable"
		return &s
	}
	return value
}

func samePracticeScore(a, b scoring.PracticeScore) bool {
	eqF := func(x, y *float64) bool { return x == nil && y == nil || x != nil && y != nil && *x == *y }
	if a.Answered != b.Answered || a.Applicable != b.Applicable || a.Completion != b.Completion ||
		a.WeightedSum != b.WeightedSum || a.WeightSum != b.WeightSum || a.ListSize != b.ListSize ||
		!eqF(a.Score, b.Score) || (a.Level == nil) != (b.Level == nil) || a.Level != nil && *a.Level != *b.Level {
		return false
	}
	for i := range a.Subsets {
		if !eqF(a.Subsets[i], b.Subsets[i]) {
			return false
		}
	}
	return true
}
