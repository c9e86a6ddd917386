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

// rebuildIndicators recomputes org_indicator_rollups for the scope: every
// organisation, period and indicator with a target gets a row (zeros
// included, so that a write always finds the row to add its change to).
// The rescoring is Go's (Targets, the same code the writes use), so it
// reads the answers once, in table order, and keeps them in memory in a
// compact form (about 16 bytes each) until every practice is scored.
func rebuildIndicators(ctx context.Context, tx Execer, dialect string, s Scope) error {
	cat, err := answercheck.Load(ctx, tx)
	if err != nil {
		return err
	}
	t := NewTargets(cat)
	h, err := loadHierarchy(ctx, tx)
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

	// The answers, by period and subject.
	own := make([][]entry, len(periods)*len(h.practices))
	ccg := make([]map[int][]entry, len(periods))
	for i := range ccg {
		ccg[i] = map[int][]entry{}
	}
	rows, err := tx.QueryContext(ctx, database.Rebind(dialect, `SELECT COALESCE(practice_id, 0), COALESCE(organisation_id, 0), period_id,
		indicator_id, numeric_value, score, not_applicable FROM responses`+fmtWhere(where, "period_id")), args...)
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
			practiceID, orgID, periodID := asInt(vals[0]), asInt(vals[1]), asInt(vals[2])
			numeric, hasNumeric := asFloat(vals[4])
			score, hasScore := asFloat(vals[5])
			e, ok := t.classify(asInt(vals[3]), numeric, score, hasNumeric, hasScore, asBool(vals[6]))
			pe, inScope := periodPos[periodID]
			if !ok || !inScope {
				continue
			}
			if practiceID == 0 {
				ccg[pe][orgID] = append(ccg[pe][orgID], e)
			} else if p, ok := h.practicePos[practiceID]; ok && h.practices[p].counts {
				own[pe*len(h.practices)+p] = append(own[pe*len(h.practices)+p], e)
			}
		}
		return rows.Err()
	}()
	if err != nil {
		return err
	}

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
		for i, p := range h.practices {
			if !p.counts {
				continue
			}
			side := sides[p.ccgID]
			if side == nil {
				side = t.ccgSide(ccg[pe][p.ccgID])
				sides[p.ccgID] = side
			}
			sum := placements[p.placement*len(t.all):]
			t.practice(own[pe*len(h.practices)+i], side, p.listSize, func(pos int, r scoring.IndicatorRollup) {
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
			t.ccgCounts(ccg[pe][c], func(pos int, counts, shares scoring.IndicatorRollup) {
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

// asInt, asFloat and asBool read what the drivers return for a column:
// int64, float64 (or int64 for a whole number in SQLite), bool (int64 in
// SQLite), or nil.
func asInt(v any) int {
	switch v := v.(type) {
	case int64:
		return int(v)
	case float64:
		return int(v)
	}
	return 0
}

func asFloat(v any) (float64, bool) {
	switch v := v.(type) {
	case float64:
		return v, true
	case int64:
		return float64(v), true
	}
	return 0, false
}

func asBool(v any) bool {
	switch v := v.(type) {
	case bool:
		return v
	case int64:
		return v != 0
	}
	return false
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
}

type placed struct {
	ccgID, listSize int
	chain           []int // CCG, STP, region, England (0: none)
	placement       int   // its chain's index in placements
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
	h := &hierarchy{orgPos: map[int]int{}, parent: map[int]int{}, practicePos: map[int]int{}, members: map[int][]int{}}
	national := 0
	rows, err := q.QueryContext(ctx, "SELECT id, tier, COALESCE(parent_id, 0), status FROM organisations ORDER BY id")
	if err != nil {
		return nil, err
	}
	err = scanEach(rows, func() error {
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
	rows, err = q.QueryContext(ctx, "SELECT id, ccg_id, COALESCE(stp_id, 0), region_id, list_size, status FROM practices ORDER BY id")
	if err != nil {
		return nil, err
	}
	err = scanEach(rows, func() error {
		var (
			id, stp, region int
			p               placed
			status          string
		)
		if err := rows.Scan(&id, &p.ccgID, &stp, &region, &p.listSize, &status); err != nil {
			return err
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

func scanEach(rows *stdsql.Rows, scan func() error) error {
	defer rows.Close()
	for rows.Next() {
		if err := scan(); err != nil {
			return err
		}
	}
	return rows.Err()
}

// Backfill fills org_indicator_rollups in a database whose answers were
// summed before the table existed (it is empty while org_rollups is not),
// in one transaction; otherwise it does nothing. Every command calls it
// after migrating.
func Backfill(ctx context.Context, db *stdsql.DB, dialect string) error {
	var missing bool
	err := db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM org_rollups) AND NOT EXISTS (SELECT 1 FROM org_indicator_rollups)`).Scan(&missing)
	if err != nil || !missing {
		return err
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }() // a no-op after Commit
	if err := rebuildIndicators(ctx, tx, dialect, Scope{}); err != nil {
		return fmt.Errorf("filling the indicator roll-ups: %w", err)
	}
	if err := BumpRevision(ctx, tx); err != nil {
		return err
	}
	return tx.Commit()
}
