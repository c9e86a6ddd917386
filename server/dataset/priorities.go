package dataset

import (
	"context"
	stdsql "database/sql"
	"fmt"
	"time"

	"dpcma/ent/organisation"
	"dpcma/server/answercheck"
	"dpcma/server/database"
	"dpcma/server/decisions"
)

// Priorities is an organisation's investment priorities in one period
// (docs/domain.md §10.1), one row per priority in rank order, with the
// best peer to learn from: the figures of the GraphQL field
// Organisation.priorities, computed by the same server/decisions code.
// Its parameters: org (required), period (default: the latest period with
// answers, as in the API) and domain.
var Priorities = &Set{
	Name: "priorities", EntitySet: "Priorities", EntityType: "Priority",
	Key:      []string{"period", "org_code", "rank"},
	Params:   []string{"org", "period", "domain"},
	Required: []string{"org"},
	Columns: []Column{
		col("period", String, false, "", "Period code, e.g. 2017-18-H2: the `period` parameter, or the latest period with answers."),
		col("org_code", String, false, "", "ODS code of the organisation whose priorities these are (the `org` parameter)."),
		col("org_name", String, false, "", "Its name."),
		col("tier", String, false, "", "Its tier: NATIONAL, REGION, STP or CCG."),
		col("rank", Int, false, "", "1 for the priority with the highest score gain (then most patients affected, then indicator code)."),
		col("indicator", String, false, "", "Indicator code, e.g. PO01."),
		col("indicator_title", String, false, "", "Its title."),
		col("domain", String, false, "", "Its domain."),
		col("category", String, false, "", "CORE, MANDATED, ENHANCED or TRANSFORMATIONAL."),
		col("respondent", String, false, "", "PRACTICE, or CCG for a CCG-level indicator: what short_count and unanswered_count count."),
		col("short_count", Int, false, "", "Practices (CCGs for a CCG-level indicator) whose scored answer misses the target (Priority.shortCount)."),
		col("unanswered_count", Int, false, "", "Practices (CCGs) with no answer in the period (Priority.unansweredCount)."),
		col("patients_affected", Int, false, "", "Registered patients of the short practices; of every practice of a short CCG (Priority.patientsAffected)."),
		col("score_gain", Float, false, "", "Score points the organisation would gain if every short answer met the target (Priority.scoreGain)."),
		col("gain_domain", String, true, "", "The domain whose score score_gain is measured on (the `domain` parameter); empty for the overall score."),
		col("level_up_count", Int, false, "", "Affected practices whose maturity level would rise (Priority.levelUpCount)."),
		col("best_peer_code", String, true, "", "The organisation of the same tier under the same parent with the highest share meeting the target (Priority.bestPeers' first); empty for England and when no peer answered."),
		col("best_peer_name", String, true, "", "Its name; empty when there is no peer."),
		col("best_peer_share", Float, true, "", "Its share of scored answers meeting the target, 0-1; empty when there is no peer."),
		col("best_peer_answered_count", Int, true, "", "Its scored answers to the indicator; empty when there is no peer."),
	},
	compute: priorityRows,
}

// orgRow is an organisation as the computed sets name it.
type orgRow struct {
	id         int
	code, name string
	tier       organisation.Tier
	parent     *int
}

// priorityRows computes the priorities of args' org in its period and
// domain, in rank order.
func priorityRows(ctx context.Context, r Reader, dialect string, args map[string]string, each func(Row) error) error {
	var org orgRow
	if err := r.QueryRowContext(ctx, database.Rebind(dialect, "SELECT id, ods_code, name, tier, parent_id FROM organisations WHERE ods_code = ?"),
		args["org"]).Scan(&org.id, &org.code, &org.name, &org.tier, &org.parent); err != nil {
		return fmt.Errorf("organisation %q: %w", args["org"], err)
	}
	periodID, period, err := periodOf(ctx, r, args["period"])
	if err != nil {
		return err
	}
	cat, err := answercheck.Load(ctx, r)
	if err != nil {
		return err
	}
	titles := map[int]string{}
	if err := scanRows(ctx, r, "SELECT id, title FROM indicators", nil, func(rows *stdsql.Rows) error {
		var (
			id    int
			title string
		)
		err := rows.Scan(&id, &title)
		titles[id] = title
		return err
	}); err != nil {
		return err
	}
	domain := args["domain"] // scoring.AllDomains when not given
	st := decisions.Store{DB: r, Dialect: dialect}
	priorities, err := st.OrganisationPriorities(ctx, cat, []int{org.id}, periodID, domain)
	if err != nil {
		return err
	}
	// The peers are the organisation's siblings, as the API's bestPeers
	// reads them; England has none.
	siblings := map[int]orgRow{}
	var shares map[int]map[int]decisions.Share
	if org.parent != nil {
		if err := scanRows(ctx, r, database.Rebind(dialect, "SELECT id, ods_code, name FROM organisations WHERE tier = ? AND parent_id = ?"),
			[]any{org.tier, *org.parent}, func(rows *stdsql.Rows) error {
				var o orgRow
				err := rows.Scan(&o.id, &o.code, &o.name)
				siblings[o.id] = o
				return err
			}); err != nil {
			return err
		}
		ids := make([]int, 0, len(siblings))
		for id := range siblings {
			ids = append(ids, id)
		}
		if shares, err = st.OrganisationShares(ctx, org.tier, ids, periodID); err != nil {
			return err
		}
	}
	var row Row // reused: each must not keep it
	for i, p := range priorities[org.id] {
		ind := p.Indicator
		row = append(row[:0], str(period), str(org.code), str(org.name), str(string(org.tier)), integer(i+1),
			str(ind.Code), str(titles[ind.ID]), str(ind.Domain), str(string(ind.Category)), str(string(ind.Respondent)),
			integer(p.ShortCount), integer(p.UnansweredCount), integer(p.PatientsAffected), Value{Valid: true, F: p.ScoreGain},
			Value{Valid: domain != "", S: domain}, integer(p.LevelUpCount))
		if peers := decisions.BestPeers(shares, org.id, ind.ID); len(peers) > 0 {
			best := siblings[peers[0].ID]
			row = append(row, str(best.code), str(best.name), Value{Valid: true, F: peers[0].Share.Value()}, integer(peers[0].Share.Scored))
		} else {
			row = append(row, Value{}, Value{}, Value{}, Value{})
		}
		if err := each(row); err != nil {
			return err
		}
	}
	return nil
}

// periodOf returns the period of a code, or without one the latest period
// with answers (the API's default: some practice's completion in
// England's roll-up is above 0), or the last period when none has any.
func periodOf(ctx context.Context, r Reader, code string) (int, string, error) {
	p, err := periodRowOf(ctx, r, code)
	return p.id, p.code, err
}

// periodRow is an assessment period as the decision sets name it.
type periodRow struct {
	id       int
	code     string
	opensOn  time.Time
	answered bool
}

// periodRowOf is periodOf's period with the day it opens.
func periodRowOf(ctx context.Context, r Reader, code string) (periodRow, error) {
	var all []periodRow
	err := scanRows(ctx, r, `SELECT ap.id, ap.code, ap.opens_on, EXISTS (SELECT 1 FROM org_rollups ru JOIN organisations o ON o.id = ru.org_id
		WHERE ru.period_id = ap.id AND o.tier = 'NATIONAL' AND ru.domain = '' AND ru.completion_sum > 0)
		FROM assessment_periods ap ORDER BY ap.opens_on`, nil, func(rows *stdsql.Rows) error {
		var p periodRow
		err := rows.Scan(&p.id, &p.code, &p.opensOn, &p.answered)
		all = append(all, p)
		return err
	})
	if err != nil {
		return periodRow{}, err
	}
	var found *periodRow
	for i, p := range all {
		if code != "" && p.code == code || code == "" && (p.answered || found == nil && i == len(all)-1) {
			found = &all[i]
		}
	}
	if found == nil {
		return periodRow{}, fmt.Errorf("no period %q", code)
	}
	return *found, nil
}

func scanRows(ctx context.Context, r Reader, query string, args []any, scan func(*stdsql.Rows) error) error {
	rows, err := r.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

func str(s string) Value  { return Value{Valid: true, S: s} }
func integer(i int) Value { return Value{Valid: true, I: int64(i)} }
