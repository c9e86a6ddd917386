package decisions

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"dpcma/ent/organisation"
	"dpcma/server/database"
	"dpcma/server/rollup"
	"dpcma/server/scoring"
)

// Attribute is a practice attribute that the practices beneath an
// organisation can be grouped by (docs/domain.md §10.2).
type Attribute string

// The attributes, as GraphQL's PracticeAttribute names them.
const (
	ContractType   Attribute = "CONTRACT_TYPE"
	Rurality       Attribute = "RURALITY"
	Dispensing     Attribute = "DISPENSING"
	ClinicalSystem Attribute = "CLINICAL_SYSTEM"
	ListSizeBand   Attribute = "LIST_SIZE_BAND"
)

// ListSizeBands are the list-size bands, smallest first: each band's
// label and its lowest list size.
var ListSizeBands = []struct {
	Label string
	From  int
}{{"under 3,000", 0}, {"3,000-5,999", 3000}, {"6,000-9,999", 6000}, {"10,000-14,999", 10000}, {"15,000 and over", 15000}}

// groupSQL is an attribute's value as SQL over practices p, NULL when
// unknown; order lists its values in display order (the rest follow
// alphabetically, unknown last).
func groupSQL(a Attribute) (expr string, order []string, err error) {
	switch a {
	case ContractType:
		return "p.contract_type", []string{"GMS", "PMS", "APMS"}, nil
	case Rurality:
		return "p.rurality", nil, nil
	case Dispensing:
		return "CASE WHEN p.dispensing THEN 'true' WHEN NOT p.dispensing THEN 'false' END", []string{"true", "false"}, nil
	case ClinicalSystem:
		return "NULLIF(p.clinical_system, '')", nil, nil
	case ListSizeBand:
		var b strings.Builder
		b.WriteString("CASE")
		for i := len(ListSizeBands) - 1; i >= 0; i-- {
			fmt.Fprintf(&b, " WHEN p.list_size >= %d THEN '%s'", ListSizeBands[i].From, ListSizeBands[i].Label)
		}
		b.WriteString(" END")
		for _, band := range ListSizeBands {
			order = append(order, band.Label)
		}
		return b.String(), order, nil
	}
	return "", nil, fmt.Errorf("unknown practice attribute %q", a)
}

// Group is the practices beneath an organisation that share an
// attribute's value (nil: unknown), with their roll-ups by domain.
type Group struct {
	Value   *string
	Rollups map[string]scoring.Rollup
}

// Breakdown groups the counting practices beneath each organisation of a
// tier by an attribute and sums their scores in a period, by domain: one
// statement. The groups of an organisation add up to its whole.
func (st Store) Breakdown(ctx context.Context, a Attribute, tier organisation.Tier, orgs []int, periodID int) (map[int][]Group, error) {
	expr, order, err := groupSQL(a)
	if err != nil {
		return nil, err
	}
	// England groups every practice under the constant 0, which GROUP BY
	// would read as a column position.
	org, groupBy, where, args := "0", "", "", []any{periodID}
	if col := rollup.PracticeColumn(tier); col != "" {
		org = "p." + col
		groupBy = org + ", "
		where = " AND " + org + " IN (" + database.Placeholders(len(orgs)) + ")"
		for _, id := range orgs {
			args = append(args, id)
		}
	}
	sums := rollup.PracticeSums(func(name string) string { return "ps." + name })
	rows, err := st.DB.QueryContext(ctx, database.Rebind(st.Dialect, `SELECT `+org+`, `+expr+`, ps.domain, `+strings.Join(sums, ", ")+`
		FROM practices p JOIN practice_scores ps ON ps.practice_id = p.id AND ps.period_id = ?
		WHERE `+scoring.CountsSQL("p.status")+where+`
		GROUP BY `+groupBy+expr+`, ps.domain`), args...)
	if err != nil {
		return nil, err
	}
	byOrg := map[int]map[string]*Group{}
	err = database.EachRow(rows, func() error {
		var (
			id     int
			value  *string
			domain string
			sums   scoring.Rollup
		)
		if err := rows.Scan(append([]any{&id, &value, &domain}, rollup.Rollups.Targets(&sums)...)...); err != nil {
			return err
		}
		if tier == organisation.TierNATIONAL {
			id = orgs[0]
		}
		key := "\x00" // unknown
		if value != nil {
			key = *value
		}
		if byOrg[id] == nil {
			byOrg[id] = map[string]*Group{}
		}
		g := byOrg[id][key]
		if g == nil {
			g = &Group{Value: value, Rollups: map[string]scoring.Rollup{}}
			byOrg[id][key] = g
		}
		g.Rollups[domain] = sums
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := make(map[int][]Group, len(orgs))
	for _, o := range orgs {
		id := o
		if tier == organisation.TierNATIONAL {
			id = orgs[0]
		}
		out[o] = ordered(byOrg[id], order)
	}
	return out, nil
}

// ordered lists groups in display order: the known values in order, then
// the others alphabetically, then unknown.
func ordered(groups map[string]*Group, order []string) []Group {
	rank := func(key string) int {
		if i := slices.Index(order, key); i >= 0 {
			return i
		}
		if key == "\x00" {
			return len(order) + 1
		}
		return len(order)
	}
	keys := slices.Collect(maps.Keys(groups))
	slices.SortFunc(keys, func(a, b string) int { return cmp.Or(cmp.Compare(rank(a), rank(b)), strings.Compare(a, b)) })
	out := make([]Group, len(keys))
	for i, k := range keys {
		out[i] = *groups[k]
	}
	return out
}
