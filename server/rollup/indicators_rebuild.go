package rollup

import (
	"context"
	stdsql "database/sql"
	"fmt"
	"slices"

	"dpcma/ent/organisation"
	"dpcma/ent/practice"
	"dpcma/server/answercheck"
	"dpcma/server/database"
	"dpcma/server/scoring"
)

// byAnswer says which of the roll-ups Go works out from each answer to
// rebuild: the compliance roll-ups always, of every set or of one.
type byAnswer struct {
	indicators bool // the indicator roll-ups too
	setID      int  // one requirement set's compliance only (0: every set's)
}

// rebuildByAnswer recomputes, for the scope, the roll-ups Go works out
// from each answer, in one read of the answers. Without the indicator
// roll-ups it reads only the answers to requirements.
func rebuildByAnswer(ctx context.Context, tx Execer, dialect string, s Scope, what byAnswer) error {
	cat, err := answercheck.Load(ctx, tx)
	if err != nil {
		return err
	}
	h, err := loadHierarchy(ctx, tx)
	if err != nil {
		return err
	}
	rules, err := loadRules(ctx, tx, cat, what.setID)
	if err != nil {
		return err
	}
	where, args := "", []any(nil)
	if len(s.PeriodIDs) > 0 {
		where = " WHERE %s IN (" + database.Placeholders(len(s.PeriodIDs)) + ")"
		for _, id := range s.PeriodIDs {
			args = append(args, id)
		}
	}
	periods, err := database.Column[int](ctx, tx, database.Rebind(dialect, "SELECT id FROM assessment_periods"+fmtWhere(where, "id")+" ORDER BY id"), args...)
	if err != nil {
		return err
	}
	periodPos := map[int]int{}
	for i, id := range periods {
		periodPos[id] = i
	}
	var ind *indicatorPass
	if what.indicators {
		ind = newIndicatorPass(NewTargets(cat), h, len(periods))
	}
	comp := newCompliancePass(rules, h, len(periods), what.setID)

	query := `SELECT COALESCE(practice_id, 0), COALESCE(organisation_id, 0), period_id,
		indicator_id, numeric_value, score, not_applicable FROM responses` + fmtWhere(where, "period_id")
	if !what.indicators {
		join := " WHERE"
		if where != "" {
			join = " AND"
		}
		query += join + " indicator_id IN (SELECT indicator_id FROM requirements" + setCondition(" WHERE", what.setID) + ")"
	}
	rows, err := tx.QueryContext(ctx, database.Rebind(dialect, query), args...)
	if err != nil {
		return err
	}
	err = func() error {
		defer rows.Close()
		// Scanned into any: database/sql converts other targets by
		// reflection, which was most of the time of a million rows.
		var (
			vals = make([]any, 7)
			ptrs = make([]any, 7)
		)
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				return err
			}
			practiceID, orgID := database.Int(vals[0]), database.Int(vals[1])
			pe, inScope := periodPos[database.Int(vals[2])]
			if !inScope {
				continue
			}
			a := scanned{indicatorID: database.Int(vals[3]), notApplicable: database.Bool(vals[6])}
			a.numeric, a.hasNumeric = database.Float(vals[4])
			a.score, a.hasScore = database.Float(vals[5])
			subject := -1 // a CCG's answer
			if practiceID != 0 {
				p, ok := h.practicePos[practiceID]
				if !ok || !h.practices[p].counts {
					continue
				}
				subject = p
			}
			if ind != nil {
				ind.observe(pe, subject, orgID, a)
			}
			comp.observe(pe, subject, orgID, a)
		}
		return rows.Err()
	}()
	if err != nil {
		return err
	}
	if ind != nil {
		if err := ind.write(ctx, tx, dialect, periods, where, args); err != nil {
			return err
		}
	}
	return comp.write(ctx, tx, dialect, periods, where, args)
}

// scanned is one answer as the rebuild reads it.
type scanned struct {
	indicatorID                         int
	numeric, score                      float64
	hasNumeric, hasScore, notApplicable bool
}

// indicatorPass adds up the indicator roll-ups. It keeps the answers in
// memory in a compact form (about 16 bytes each) until every practice is
// scored. The rescoring is Go's (Targets, the same code the writes use).
type indicatorPass struct {
	t   *Targets
	h   *hierarchy
	own [][]entry         // by period and practice
	ccg []map[int][]entry // by period and CCG
}

func newIndicatorPass(t *Targets, h *hierarchy, periods int) *indicatorPass {
	p := &indicatorPass{t: t, h: h, own: make([][]entry, periods*len(h.practices)), ccg: make([]map[int][]entry, periods)}
	for i := range p.ccg {
		p.ccg[i] = map[int][]entry{}
	}
	return p
}

// observe keeps one answer in scope: a counting practice's (subject is its
// position) or a CCG's (subject -1).
func (p *indicatorPass) observe(pe, subject, orgID int, a scanned) {
	e, ok := p.t.classify(a.indicatorID, a.numeric, a.score, a.hasNumeric, a.hasScore, a.notApplicable)
	switch {
	case !ok:
	case subject < 0:
		p.ccg[pe][orgID] = append(p.ccg[pe][orgID], e)
	default:
		i := pe*len(p.h.practices) + subject
		p.own[i] = append(p.own[i], e)
	}
}

// write replaces org_indicator_rollups in the scope: every organisation,
// period and indicator with a target gets a row (zeros included, so that a
// write always finds the row to add its change to).
func (p *indicatorPass) write(ctx context.Context, tx Execer, dialect string, periods []int, where string, args []any) error {
	t, h := p.t, p.h
	// The sums, by organisation, period and catalogue position.
	sums := make([]scoring.IndicatorRollup, len(h.orgIDs)*len(periods)*len(t.all))
	at := func(org, pe, pos int) *scoring.IndicatorRollup {
		return &sums[(h.orgPos[org]*len(periods)+pe)*len(t.all)+pos]
	}
	// Practices add to their placement (CCG, STP, region), placements to
	// their organisations.
	placements := make([]scoring.IndicatorRollup, len(h.placements)*len(t.all))
	for pe := range periods {
		clear(placements)
		sides := map[int]*ccgSide{}
		for i, pr := range h.practices {
			if !pr.counts {
				continue
			}
			side := sides[pr.ccgID]
			if side == nil {
				side = t.ccgSide(p.ccg[pe][pr.ccgID])
				sides[pr.ccgID] = side
			}
			sum := placements[pr.placement*len(t.all):]
			t.practice(p.own[pe*len(h.practices)+i], side, pr.listSize, func(pos int, r scoring.IndicatorRollup) {
				sum[pos] = sum[pos].Plus(r)
			})
		}
		for pl, chain := range h.placements {
			for pos := range t.all {
				r := placements[pl*len(t.all)+pos]
				if r == (scoring.IndicatorRollup{}) {
					continue
				}
				for _, org := range chain {
					if org != 0 {
						s := at(org, pe, pos)
						*s = s.Plus(r)
					}
				}
			}
		}
		for _, c := range h.ccgs {
			t.ccgCounts(p.ccg[pe][c], func(pos int, counts, shares scoring.IndicatorRollup) {
				for _, org := range h.members[c] {
					s := at(org, pe, pos)
					*s = s.Plus(counts)
				}
				for _, org := range h.ancestors(c) {
					s := at(org, pe, pos)
					*s = s.Plus(shares)
				}
			})
		}
	}

	if _, err := tx.ExecContext(ctx, database.Rebind(dialect, "DELETE FROM org_indicator_rollups"+fmtWhere(where, "period_id")), args...); err != nil {
		return err
	}
	names := append([]string{"org_id", "period_id", "indicator_id"}, IndicatorRollups.Names()...)
	ins, err := database.NewBulkWriter(ctx, tx, dialect, "org_indicator_rollups", names)
	if err != nil {
		return err
	}
	for _, org := range h.orgIDs {
		for pe, period := range periods {
			for pos, ind := range t.all {
				if !t.target[pos] {
					continue
				}
				if err := ins.Add(append([]any{org, period, ind.ID}, IndicatorRollups.Values(*at(org, pe, pos))...)...); err != nil {
					return fmt.Errorf("writing indicator roll-ups: %w", err)
				}
			}
		}
	}
	if err := ins.Close(); err != nil {
		return fmt.Errorf("writing indicator roll-ups: %w", err)
	}
	return nil
}

func fmtWhere(where, col string) string {
	if where == "" {
		return ""
	}
	return fmt.Sprintf(where, col)
}

// hierarchy is the organisations and practices as the indicator roll-ups
// place them.
type hierarchy struct {
	orgIDs      []int
	orgPos      map[int]int
	parent      map[int]int
	practices   []placed
	practicePos map[int]int
	placements  [][]int       // distinct chains of counting practices
	ccgs        []int         // open CCGs, by id
	members     map[int][]int // CCG → the organisations its counting practices are beneath
	// contractTypes are the practices' contract types ("" unknown): the
	// three of the model and any other a practice has.
	contractTypes []string
}

type placed struct {
	ccgID, listSize int
	chain           []int // CCG, STP, region, England (0: none)
	placement       int   // its chain's index in placements
	contract        int   // its contract type's index in contractTypes
	counts          bool
}

// ancestors lists an organisation and those above it.
func (h *hierarchy) ancestors(org int) []int {
	var out []int
	for seen := 0; org != 0 && seen < 8; seen++ {
		out = append(out, org)
		org = h.parent[org]
	}
	return out
}

func loadHierarchy(ctx context.Context, q database.Querier) (*hierarchy, error) {
	h := &hierarchy{orgPos: map[int]int{}, parent: map[int]int{}, practicePos: map[int]int{}, members: map[int][]int{},
		contractTypes: []string{string(practice.ContractTypeGMS), string(practice.ContractTypePMS), string(practice.ContractTypeAPMS), ""}}
	national := 0
	rows, err := q.QueryContext(ctx, "SELECT id, tier, COALESCE(parent_id, 0), status FROM organisations ORDER BY id")
	if err != nil {
		return nil, err
	}
	err = database.EachRow(rows, func() error {
		var (
			id, parent   int
			tier, status string
		)
		if err := rows.Scan(&id, &tier, &parent, &status); err != nil {
			return err
		}
		h.orgPos[id] = len(h.orgIDs)
		h.orgIDs = append(h.orgIDs, id)
		h.parent[id] = parent
		switch tier {
		case "NATIONAL":
			national = id
		case "CCG":
			// A closed CCG keeps its answers, but they count in no figure.
			if scoring.OrganisationCounts(organisation.Status(status)) {
				h.ccgs = append(h.ccgs, id)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	rows, err = q.QueryContext(ctx, "SELECT id, ccg_id, COALESCE(stp_id, 0), region_id, list_size, status, COALESCE(contract_type, '') FROM practices ORDER BY id")
	if err != nil {
		return nil, err
	}
	err = database.EachRow(rows, func() error {
		var (
			id, stp, region      int
			p                    placed
			status, contractType string
		)
		if err := rows.Scan(&id, &p.ccgID, &stp, &region, &p.listSize, &status, &contractType); err != nil {
			return err
		}
		p.contract = slices.Index(h.contractTypes, contractType)
		if p.contract < 0 {
			p.contract = len(h.contractTypes)
			h.contractTypes = append(h.contractTypes, contractType)
		}
		p.chain = []int{p.ccgID, stp, region, national}
		p.counts = scoring.Counts(practice.Status(status))
		if p.counts {
			h.members[p.ccgID] = addMember(h.members[p.ccgID], p.chain)
			p.placement = slices.IndexFunc(h.placements, func(c []int) bool { return slices.Equal(c, p.chain) })
			if p.placement < 0 {
				p.placement = len(h.placements)
				h.placements = append(h.placements, p.chain)
			}
		}
		h.practicePos[id] = len(h.practices)
		h.practices = append(h.practices, p)
		return nil
	})
	return h, err
}

// addMember adds the organisations of a chain that are not yet in set.
func addMember(set, chain []int) []int {
	for _, org := range chain {
		if org != 0 && !slices.Contains(set, org) {
			set = append(set, org)
		}
	}
	return set
}

// Backfill fills the roll-ups Go works out from each answer in a database
// whose answers were summed before their tables existed (org_rollups has
// rows, they have none), in one transaction; otherwise it does nothing.
// Every command calls it after migrating.
func Backfill(ctx context.Context, db *stdsql.DB, dialect string) error {
	var indicators, compliance bool
	err := db.QueryRowContext(ctx, `SELECT
		EXISTS (SELECT 1 FROM org_rollups) AND NOT EXISTS (SELECT 1 FROM org_indicator_rollups),
		EXISTS (SELECT 1 FROM org_rollups) AND EXISTS (SELECT 1 FROM requirements) AND NOT EXISTS (SELECT 1 FROM org_compliance_rollups)`).
		Scan(&indicators, &compliance)
	if err != nil || !indicators && !compliance {
		return err
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }() // a no-op after Commit
	if err := LockForRebuild(ctx, tx, dialect); err != nil {
		return err
	}
	if err := rebuildByAnswer(ctx, tx, dialect, Scope{}, byAnswer{indicators: indicators}); err != nil {
		return fmt.Errorf("filling the roll-ups: %w", err)
	}
	if err := BumpRevision(ctx, tx); err != nil {
		return err
	}
	return tx.Commit()
}
