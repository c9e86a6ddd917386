package decisions

import (
	"context"
	"strings"

	"dpcma/server/answercheck"
	"dpcma/server/database"
	"dpcma/server/rollup"
	"dpcma/server/scoring"
)

// Store reads the decisions' material from the database.
type Store struct {
	DB      database.Querier
	Dialect string
}

// OrganisationPriorities ranks the priorities of organisations in one
// period and domain (scoring.AllDomains: all) from their indicator
// roll-ups and their number of practices with a score: one indexed
// statement whatever the number of organisations or practices.
func (st Store) OrganisationPriorities(ctx context.Context, cat *answercheck.Catalogue, orgs []int, periodID int, domain string) (map[int][]Priority, error) {
	out := make(map[int][]Priority, len(orgs))
	if len(orgs) == 0 {
		return out, nil
	}
	args := []any{domain, periodID}
	for _, id := range orgs {
		args = append(args, id)
	}
	cols := make([]string, 0, len(rollup.IndicatorRollups.Names()))
	for _, c := range rollup.IndicatorRollups.Names() {
		cols = append(cols, "x."+c)
	}
	rows, err := st.DB.QueryContext(ctx, database.Rebind(st.Dialect, `SELECT x.org_id, x.indicator_id, COALESCE(r.responded_count, 0), `+
		strings.Join(cols, ", ")+` FROM org_indicator_rollups x
		LEFT JOIN org_rollups r ON r.org_id = x.org_id AND r.period_id = x.period_id AND r.domain = ?
		WHERE x.period_id = ? AND x.org_id IN (`+database.Placeholders(len(orgs))+`) AND x.short_count > 0`), args...)
	if err != nil {
		return nil, err
	}
	sums, scored := map[int]map[int]scoring.IndicatorRollup{}, map[int]int{}
	err = database.EachRow(rows, func() error {
		var (
			org, ind, responded int
			r                   scoring.IndicatorRollup
		)
		if err := rows.Scan(append([]any{&org, &ind, &responded}, rollup.IndicatorRollups.Targets(&r)...)...); err != nil {
			return err
		}
		if sums[org] == nil {
			sums[org] = map[int]scoring.IndicatorRollup{}
		}
		sums[org][ind], scored[org] = r, responded
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, org := range orgs {
		out[org] = FromRollups(cat, sums[org], scored[org], domain)
	}
	return out, nil
}

// PracticeScopes reads each practice's own scope in one period, closed
// practices included (their own history): three statements.
func (st Store) PracticeScopes(ctx context.Context, practices []int, periodID int, domain string) (map[int]Scope, error) {
	args := make([]any, len(practices))
	for i, id := range practices {
		args[i] = id
	}
	placed, err := st.scopes(ctx, "p.id IN ("+database.Placeholders(len(practices))+")", args, periodID, domain)
	if err != nil {
		return nil, err
	}
	out := make(map[int]Scope, len(practices))
	for _, p := range placed.practices {
		out[p.ID] = Scope{Practices: []Practice{p}, Own: placed.own, CCG: placed.ccg}
	}
	return out, nil
}

type material struct {
	practices []Practice
	own, ccg  map[int][]Answer
}

// scopes reads the practices that match where (over practices p), their
// answers in the period and their CCGs' answers.
func (st Store) scopes(ctx context.Context, where string, args []any, periodID int, domain string) (material, error) {
	m := material{own: map[int][]Answer{}, ccg: map[int][]Answer{}}
	rows, err := st.DB.QueryContext(ctx, database.Rebind(st.Dialect,
		"SELECT p.id, p.ccg_id, p.list_size FROM practices p WHERE "+where+" ORDER BY p.id"), args...)
	if err != nil {
		return m, err
	}
	ccgs := map[int]bool{}
	err = database.EachRow(rows, func() error {
		var p Practice
		if err := rows.Scan(&p.ID, &p.CCGID, &p.ListSize); err != nil {
			return err
		}
		m.practices = append(m.practices, p)
		ccgs[p.CCGID] = true
		return nil
	})
	if err != nil || len(m.practices) == 0 {
		return m, err
	}
	inDomain, domainArgs := "", []any{}
	if domain != scoring.AllDomains {
		inDomain = " AND r.indicator_id IN (SELECT id FROM indicators WHERE domain = ?)"
		domainArgs = append(domainArgs, domain)
	}
	answers := func(subject, from, where string, args []any, into map[int][]Answer) error {
		rows, err := st.DB.QueryContext(ctx, database.Rebind(st.Dialect, "SELECT r."+subject+", r.indicator_id, r.numeric_value, r.score, r.not_applicable FROM "+
			from+" WHERE r.period_id = ? AND "+where+inDomain), append(append([]any{periodID}, args...), domainArgs...)...)
		if err != nil {
			return err
		}
		return database.EachRow(rows, func() error {
			var (
				id int
				a  Answer
			)
			if err := rows.Scan(&id, &a.IndicatorID, &a.Numeric, &a.Score, &a.NotApplicable); err != nil {
				return err
			}
			into[id] = append(into[id], a)
			return nil
		})
	}
	if err := answers("practice_id", "responses r JOIN practices p ON p.id = r.practice_id", where, args, m.own); err != nil {
		return m, err
	}
	ccgArgs := make([]any, 0, len(ccgs))
	for id := range ccgs {
		ccgArgs = append(ccgArgs, id)
	}
	err = answers("organisation_id", "responses r", "r.organisation_id IN ("+database.Placeholders(len(ccgArgs))+")", ccgArgs, m.ccg)
	return m, err
}
