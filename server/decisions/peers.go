package decisions

import (
	"cmp"
	"context"
	"slices"

	"dpcma/ent/organisation"
	"dpcma/server/database"
	"dpcma/server/scoring"
)

// Share is how one organisation's (or practice's) scored answers to an
// indicator meet its target (docs/domain.md §5.5).
type Share struct {
	Meeting, Scored int
}

// Value is the share from 0 to 1.
func (s Share) Value() float64 {
	if s.Scored == 0 {
		return 0
	}
	return float64(s.Meeting) / float64(s.Scored)
}

// Peer is one peer's share.
type Peer struct {
	ID    int
	Share Share
}

// BestPeers ranks the peers (shares by peer and indicator) with scored answers to an indicator by their
// share meeting its target, most first (then most answers, then id), the
// subject itself left out: who to learn from.
func BestPeers(shares map[int]map[int]Share, subject, indicatorID int) []Peer {
	var out []Peer
	for id, byIndicator := range shares {
		if s := byIndicator[indicatorID]; id != subject && s.Scored > 0 {
			out = append(out, Peer{id, s})
		}
	}
	slices.SortFunc(out, func(a, b Peer) int {
		// Cross-multiplied so that equal shares compare equal.
		return cmp.Or(cmp.Compare(b.Share.Meeting*a.Share.Scored, a.Share.Meeting*b.Share.Scored),
			cmp.Compare(b.Share.Scored, a.Share.Scored), cmp.Compare(a.ID, b.ID))
	})
	return out
}

// meetingSQL counts the scored answers that meet their indicator's target.
var meetingSQL = "COUNT(r.score), SUM(CASE WHEN r.score IS NOT NULL AND " + scoring.MeetsTargetSQL(scoring.AnswerColumns{
	Type: "i.answer_type", Target: "i.target", Numeric: "r.numeric_value", Score: "r.score"}) + " THEN 1 ELSE 0 END)"

// OrganisationShares returns the shares of the given organisations of one
// tier in a period, by organisation and indicator, from their indicator
// roll-ups (one indexed statement): their counting practices' answers to
// practice-level indicators and their open CCGs' answers to CCG-level
// ones (the CCGs beneath them in the tree).
func (st Store) OrganisationShares(ctx context.Context, tier organisation.Tier, orgs []int, periodID int) (map[int]map[int]Share, error) {
	if len(orgs) == 0 || tier == organisation.TierNATIONAL {
		return map[int]map[int]Share{}, nil
	}
	args := []any{periodID}
	for _, id := range orgs {
		args = append(args, id)
	}
	rows, err := st.DB.QueryContext(ctx, database.Rebind(st.Dialect, `SELECT org_id, indicator_id, scored_count, meeting_count
		FROM org_indicator_rollups WHERE period_id = ? AND org_id IN (`+database.Placeholders(len(orgs))+`) AND scored_count > 0`), args...)
	if err != nil {
		return nil, err
	}
	out := map[int]map[int]Share{}
	err = database.EachRow(rows, func() error {
		var (
			id, ind int
			s       Share
		)
		if err := rows.Scan(&id, &ind, &s.Scored, &s.Meeting); err != nil {
			return err
		}
		if out[id] == nil {
			out[id] = map[int]Share{}
		}
		out[id][ind] = s
		return nil
	})
	return out, err
}

// PracticeShares returns the shares of every counting practice of the
// given CCGs in a period, by CCG, practice and indicator, for their
// practice-level indicators (a CCG-level answer is the same for every
// practice of the CCG, so practices are no peers on it).
func (st Store) PracticeShares(ctx context.Context, ccgs []int, periodID int) (map[int]map[int]map[int]Share, error) {
	out := map[int]map[int]map[int]Share{}
	if len(ccgs) == 0 {
		return out, nil
	}
	args := []any{periodID}
	for _, id := range ccgs {
		args = append(args, id)
	}
	rows, err := st.DB.QueryContext(ctx, database.Rebind(st.Dialect, `SELECT p.ccg_id, p.id, r.indicator_id, `+meetingSQL+`
		FROM responses r JOIN practices p ON p.id = r.practice_id AND `+scoring.CountsSQL("p.status")+`
		JOIN indicators i ON i.id = r.indicator_id
		WHERE r.period_id = ? AND r.score IS NOT NULL AND p.ccg_id IN (`+database.Placeholders(len(ccgs))+`)
		GROUP BY p.ccg_id, p.id, r.indicator_id`), args...)
	if err != nil {
		return nil, err
	}
	err = database.EachRow(rows, func() error {
		var (
			ccg, id, ind int
			s            Share
		)
		if err := rows.Scan(&ccg, &id, &ind, &s.Scored, &s.Meeting); err != nil {
			return err
		}
		if out[ccg] == nil {
			out[ccg] = map[int]map[int]Share{}
		}
		if out[ccg][id] == nil {
			out[ccg][id] = map[int]Share{}
		}
		out[ccg][id][ind] = s
		return nil
	})
	return out, err
}
