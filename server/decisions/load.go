package decisions

import (
	"context"
	stdsql "database/sql"

	"dpcma/ent/organisation"
	"dpcma/server/database"
	"dpcma/server/rollup"
	"dpcma/server/scoring"
)

// Store reads the decisions' material from the database.
type Store struct {
	DB      database.Querier
	Dialect string
}

// OrganisationScopes reads the scope of each organisation of one tier in
// one period, restricted to a domain's answers (scoring.AllDomains: all):
// three statements whatever the number of organisations.
func (st Store) OrganisationScopes(ctx context.Context, tier organisation.Tier, orgs []int, periodID int, domain string) (map[int]Scope, error) {
	where, args := scoring.CountsSQL("p.status"), []any{}
	col := rollup.PracticeColumn(tier)
	if col != "" {
		where += " AND p." + col + " IN (" + database.Placeholders(len(orgs)) + ")"
		for _, id := range orgs {
			args = append(args, id)
		}
	}
	placed, err := st.scopes(ctx, where, args, periodID, domain)
	if err != nil {
		return nil, err
	}
	out := make(map[int]Scope, len(orgs))
	for _, o := range orgs {
		out[o] = Scope{Own: placed.own, CCG: placed.ccg}
	}
	for _, p := range placed.practices {
		org := orgs[0] // England
		switch tier {
		case organisation.TierCCG:
			org = p.CCGID
		case organisation.TierSTP:
			org = p.stpID
		case organisation.TierREGION:
			org = p.regionID
		}
		s := out[org]
		s.Practices = append(s.Practices, p.Practice)
		out[org] = s
	}
	if col == "" {
		for _, o := range orgs[1:] {
			out[o] = out[orgs[0]]
		}
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
		out[p.ID] = Scope{Practices: []Practice{p.Practice}, Own: placed.own, CCG: placed.ccg}
	}
	return out, nil
}

type placedPractice struct {
	Practice
	stpID, regionID int
}

type material struct {
	practices []placedPractice
	own, ccg  map[int][]Answer
}

// scopes reads the practices that match where (over practices p), their
// answers in the period and their CCGs' answers.
func (st Store) scopes(ctx context.Context, where string, args []any, periodID int, domain string) (material, error) {
	m := material{own: map[int][]Answer{}, ccg: map[int][]Answer{}}
	rows, err := st.DB.QueryContext(ctx, database.Rebind(st.Dialect,
		"SELECT p.id, p.ccg_id, COALESCE(p.stp_id, 0), p.region_id, p.list_size FROM practices p WHERE "+where+" ORDER BY p.id"), args...)
	if err != nil {
		return m, err
	}
	ccgs := map[int]bool{}
	err = scanAll(rows, func() error {
		var p placedPractice
		if err := rows.Scan(&p.ID, &p.CCGID, &p.stpID, &p.regionID, &p.ListSize); err != nil {
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
		return scanAll(rows, func() error {
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

// scanAll calls scan for each row and closes the rows.
func scanAll(rows *stdsql.Rows, scan func() error) error {
	defer rows.Close()
	for rows.Next() {
		if err := scan(); err != nil {
			return err
		}
	}
	return rows.Err()
}
