package rollup

import (
	"context"
	"fmt"
	"strconv"

	"dpcma/server/database"
)

// compliancePass adds up the compliance roll-ups: each answer to a
// requirement is checked as it is read, and kept as one byte per
// requirement of its subject.
type compliancePass struct {
	setID int // 0: every set
	rules *Rules
	h     *hierarchy
	own   [][]uint8         // by period and practice; nil: no requirement answered
	ccg   []map[int][]uint8 // by period and CCG
}

func newCompliancePass(rules *Rules, h *hierarchy, periods, setID int) *compliancePass {
	p := &compliancePass{setID: setID, rules: rules, h: h, own: make([][]uint8, periods*len(h.practices)), ccg: make([]map[int][]uint8, periods)}
	for i := range p.ccg {
		p.ccg[i] = map[int][]uint8{}
	}
	return p
}

// observe checks one answer in scope: a counting practice's (subject is
// its position) or a CCG's (subject -1).
func (p *compliancePass) observe(pe, subject, orgID int, a scanned) {
	if len(p.rules.slots[a.indicatorID]) == 0 {
		return
	}
	var outcomes []uint8
	if subject < 0 {
		if outcomes = p.ccg[pe][orgID]; outcomes == nil {
			outcomes = make([]uint8, len(p.rules.rules))
			p.ccg[pe][orgID] = outcomes
		}
	} else {
		i := pe*len(p.h.practices) + subject
		if outcomes = p.own[i]; outcomes == nil {
			outcomes = make([]uint8, len(p.rules.rules))
			p.own[i] = outcomes
		}
	}
	p.rules.record(outcomes, a.indicatorID, a.numeric, a.hasNumeric, a.notApplicable)
}

// write replaces the compliance roll-ups in the scope: every organisation,
// period, set and contract type gets a row, and every organisation, period
// and requirement (zeros included, so that a write always finds the row to
// add its change to).
func (p *compliancePass) write(ctx context.Context, tx Execer, dialect string, periods []int, where string, args []any) error {
	r, h := p.rules, p.h
	nSets, nSlots, nTypes := len(r.sets), len(r.rules), len(h.contractTypes)
	// By organisation, period, contract type and set; by organisation,
	// period and slot.
	sets := make([]SetCounts, len(h.orgIDs)*len(periods)*nTypes*nSets)
	reqs := make([]RequirementCounts, len(h.orgIDs)*len(periods)*nSlots)
	// Practices add to their placement (CCG, STP, region), placements to
	// their organisations.
	placeSets := make([]SetCounts, len(h.placements)*nTypes*nSets)
	placeReqs := make([]RequirementCounts, len(h.placements)*nSlots)
	for pe := range periods {
		clear(placeSets)
		clear(placeReqs)
		for i, pr := range h.practices {
			if !pr.counts {
				continue
			}
			ps := placeSets[(pr.placement*nTypes+pr.contract)*nSets:]
			rs := placeReqs[pr.placement*nSlots:]
			r.practice(p.own[pe*len(h.practices)+i], p.ccg[pe][pr.ccgID],
				func(pos int, c SetCounts) { ps[pos] = ps[pos].Plus(c) },
				func(slot int, c RequirementCounts) { rs[slot] = rs[slot].Plus(c) })
		}
		for pl, chain := range h.placements {
			for _, org := range chain {
				if org == 0 {
					continue
				}
				o := h.orgPos[org]*len(periods) + pe
				into, from := sets[o*nTypes*nSets:(o+1)*nTypes*nSets], placeSets[pl*nTypes*nSets:]
				for i := range into {
					into[i] = into[i].Plus(from[i])
				}
				intoReqs, fromReqs := reqs[o*nSlots:(o+1)*nSlots], placeReqs[pl*nSlots:]
				for i := range intoReqs {
					intoReqs[i] = intoReqs[i].Plus(fromReqs[i])
				}
			}
		}
	}

	for _, table := range []string{"org_compliance_rollups", "org_requirement_rollups"} {
		query := "DELETE FROM " + table + fmtWhere(where, "period_id")
		if where == "" {
			query += setCondition(" WHERE", p.setID)
		} else {
			query += setCondition(" AND", p.setID)
		}
		if _, err := tx.ExecContext(ctx, database.Rebind(dialect, query), args...); err != nil {
			return err
		}
	}
	ins, err := database.NewBulkWriter(ctx, tx, dialect, "org_compliance_rollups",
		[]string{"org_id", "period_id", "set_id", "contract_type", "practice_count", "met_count", "unknown_count"})
	if err != nil {
		return err
	}
	// Written in the order of the key, so that the rows a read asks for
	// (a set in a period) lie side by side, in a few pages.
	for pos, set := range r.sets {
		for pe, period := range periods {
			for o, org := range h.orgIDs {
				for ct, contractType := range h.contractTypes {
					c := sets[((o*len(periods)+pe)*nTypes+ct)*nSets+pos]
					if err := ins.Add(org, period, set.id, contractType, c.Practices, c.Met, c.Unknown); err != nil {
						return fmt.Errorf("writing compliance roll-ups: %w", err)
					}
				}
			}
		}
	}
	if err := ins.Close(); err != nil {
		return fmt.Errorf("writing compliance roll-ups: %w", err)
	}
	ins, err = database.NewBulkWriter(ctx, tx, dialect, "org_requirement_rollups",
		[]string{"org_id", "period_id", "set_id", "indicator_id", "met_count", "answered_count"})
	if err != nil {
		return err
	}
	for _, set := range r.sets {
		for pe, period := range periods {
			for o, org := range h.orgIDs {
				for slot := set.first; slot < set.next; slot++ {
					c := reqs[(o*len(periods)+pe)*nSlots+slot]
					if err := ins.Add(org, period, set.id, r.rules[slot].indicatorID, c.Met, c.Answered); err != nil {
						return fmt.Errorf("writing requirement roll-ups: %w", err)
					}
				}
			}
		}
	}
	if err := ins.Close(); err != nil {
		return fmt.Errorf("writing requirement roll-ups: %w", err)
	}
	return nil
}

// RebuildCompliance recomputes one requirement set's compliance roll-ups
// in every period from the answers to its requirements, after the set was
// added, changed or removed (server/catalogue: a removed set's rows go),
// in the caller's transaction. They follow today's tree, in a closed
// period too: the set's rules are new there as well.
func RebuildCompliance(ctx context.Context, tx Execer, dialect string, setID int) error {
	if err := LockForRebuild(ctx, tx, dialect); err != nil {
		return err
	}
	if err := rebuildByAnswer(ctx, tx, dialect, Scope{}, byAnswer{setID: setID}); err != nil {
		return fmt.Errorf("counting compliance: %w", err)
	}
	return BumpRevision(ctx, tx)
}

// setCondition limits a statement to one set's rows (none when setID is
// 0), joined to what comes before by join.
func setCondition(join string, setID int) string {
	if setID == 0 {
		return ""
	}
	return join + " set_id = " + strconv.Itoa(setID)
}
