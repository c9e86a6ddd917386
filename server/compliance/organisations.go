package compliance

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"dpcma/ent"
	"dpcma/ent/indicator"
	"dpcma/ent/practice"
	"dpcma/ent/predicate"
	"dpcma/server/database"
	"dpcma/server/scoring"

	entsql "entgo.io/ent/dialect/sql"
)

// Scope is the organisations of one tier whose practices are counted:
// those that count (scoring.Counting) beneath each organisation.
type Scope struct {
	// Column is the practices' column naming the organisation (ccg_id,
	// stp_id or region_id); "" for England, which counts every practice.
	Column string
	OrgIDs []int
}

// Figures is an organisation's compliance with a set.
type Figures struct {
	// PracticeCount counts the practices in scope, MetCount those that
	// meet the set, UnknownCount those with none failed but one
	// unanswered.
	PracticeCount, MetCount, UnknownCount int
	ByRequirement                         []RequirementFigures // in the set's order
	// ByContractType has GMS, PMS and APMS, and then the practices whose
	// contract type is unknown (ContractType nil) when there are any.
	ByContractType []ContractFigures
}

// RequirementFigures counts practices by one requirement: AnsweredCount
// those with an answer (not applicable included), MetCount those meeting
// it.
type RequirementFigures struct {
	Requirement             Requirement
	MetCount, AnsweredCount int
}

// ContractFigures counts the practices of one contract type.
type ContractFigures struct {
	ContractType            *practice.ContractType
	PracticeCount, MetCount int
}

// Organisations counts the practices beneath the organisations of each
// scope (a tier each) by their compliance with a set in a period. All of
// them (filter nil) are counted already, in the compliance roll-ups
// (server/rollup): two index reads, whatever the number of organisations.
// Those passing a filter are checked on request, in one statement whatever
// the number of tiers, organisations and practices: each practice is
// checked once however many tiers count it. That check is MeetsRuleSQL,
// the twin of the Go check of Practices and of the roll-ups.
func Organisations(ctx context.Context, client *ent.Client, dialect string, set *Set, periodID int, filter predicate.Practice, scopes ...Scope) (map[int]*Figures, error) {
	out := emptyFigures(set, scopes)
	scopes = slices.DeleteFunc(slices.Clone(scopes), func(s Scope) bool { return len(s.OrgIDs) == 0 })
	if len(scopes) == 0 || len(set.Requirements) == 0 {
		return out, nil
	}
	if filter == nil {
		return out, fromRollups(ctx, client, set, periodID, scopes, out)
	}
	return out, checkFiltered(ctx, client, dialect, set, periodID, filter, scopes, out)
}

// emptyFigures are zero figures for every organisation of the scopes.
func emptyFigures(set *Set, scopes []Scope) map[int]*Figures {
	out := map[int]*Figures{}
	for _, scope := range scopes {
		for _, id := range scope.OrgIDs {
			f := &Figures{}
			for _, r := range set.Requirements {
				f.ByRequirement = append(f.ByRequirement, RequirementFigures{Requirement: r})
			}
			for _, ct := range []practice.ContractType{practice.ContractTypeGMS, practice.ContractTypePMS, practice.ContractTypeAPMS} {
				f.ByContractType = append(f.ByContractType, ContractFigures{ContractType: &ct})
			}
			out[id] = f
		}
	}
	return out
}

// fromRollups reads the figures of every practice beneath the scopes'
// organisations from the compliance roll-ups.
func fromRollups(ctx context.Context, client *ent.Client, set *Set, periodID int, scopes []Scope, out map[int]*Figures) error {
	var orgs []string
	for _, scope := range scopes {
		for _, id := range scope.OrgIDs {
			orgs = append(orgs, strconv.Itoa(id))
		}
	}
	// IDs are integers of ours, written in the statement: no bind
	// parameter limit to split on.
	where := " WHERE set_id = " + strconv.Itoa(set.ID) + " AND period_id = " + strconv.Itoa(periodID) +
		" AND org_id IN (" + strings.Join(orgs, ", ") + ")"
	// One statement: the sets' rows (indicator 0) and the requirements'.
	rows, err := client.QueryContext(ctx, "SELECT org_id, contract_type, 0, practice_count, met_count, unknown_count FROM org_compliance_rollups"+
		where+" UNION ALL SELECT org_id, '', indicator_id, 0, met_count, answered_count FROM org_requirement_rollups"+where)
	if err != nil {
		return err
	}
	position := requirementPositions(set)
	// Scanned into any: database/sql converts other targets by
	// reflection, most of the time of a few thousand rows.
	var (
		vals [6]any
		ptrs [6]any
	)
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	return database.EachRow(rows, func() error {
		if err := rows.Scan(ptrs[:]...); err != nil {
			return err
		}
		org, ind, count, met, n := database.Int(vals[0]), database.Int(vals[2]), database.Int(vals[3]), database.Int(vals[4]), database.Int(vals[5])
		contractType := database.String(vals[1])
		f := out[org]
		if f == nil {
			return fmt.Errorf("compliance roll-ups: organisation %d was not asked for", org)
		}
		if ind != 0 {
			if i, ok := position[ind]; ok {
				rf := &f.ByRequirement[i]
				rf.MetCount, rf.AnsweredCount = met, n
			}
			return nil
		}
		f.PracticeCount += count
		f.MetCount += met
		f.UnknownCount += n
		var ct *practice.ContractType
		if contractType != "" {
			v := practice.ContractType(contractType)
			ct = &v
		}
		if g := f.group(ct, count > 0); g != nil {
			g.PracticeCount += count
			g.MetCount += met
		}
		return nil
	})
}

// group is the figures of a contract type (nil: unknown). The model's
// three are always there; another group is added when it has practices
// (add), else nil.
func (f *Figures) group(ct *practice.ContractType, add bool) *ContractFigures {
	for i, c := range f.ByContractType {
		if c.ContractType == nil && ct == nil || c.ContractType != nil && ct != nil && *c.ContractType == *ct {
			return &f.ByContractType[i]
		}
	}
	if !add {
		return nil
	}
	// Not one of ent's values, or unknown: kept apart rather than lost.
	f.ByContractType = append(f.ByContractType, ContractFigures{ContractType: ct})
	return &f.ByContractType[len(f.ByContractType)-1]
}

func requirementPositions(set *Set) map[int]int {
	position := map[int]int{}
	for i, r := range set.Requirements {
		position[r.IndicatorID] = i
	}
	return position
}

// checkFiltered checks the practices passing filter beneath the scopes'
// organisations, in one statement.
func checkFiltered(ctx context.Context, client *ent.Client, dialect string, set *Set, periodID int, filter predicate.Practice, scopes []Scope, out map[int]*Figures) error {
	query, args := statement(dialect, set.ID, periodID, filter, scopes)
	rows, err := client.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	position := requirementPositions(set)
	for rows.Next() {
		var (
			scope, org, ind int
			contractType    sql.NullString
			count, met, n   int
		)
		if err := rows.Scan(&scope, &org, &contractType, &ind, &count, &met, &n); err != nil {
			return err
		}
		if scopes[scope].Column == "" { // England: every practice, under 0
			org = scopes[scope].OrgIDs[0]
		}
		f := out[org]
		if f == nil {
			continue
		}
		if ind != 0 {
			rf := &f.ByRequirement[position[ind]]
			rf.MetCount, rf.AnsweredCount = met, n
			continue
		}
		f.PracticeCount += count
		f.MetCount += met
		f.UnknownCount += n
		var ct *practice.ContractType
		if contractType.Valid {
			v := practice.ContractType(contractType.String)
			ct = &v
		}
		g := f.group(ct, true)
		g.PracticeCount += count
		g.MetCount += met
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for _, scope := range scopes {
		if scope.Column == "" {
			for _, id := range scope.OrgIDs[1:] {
				out[id] = out[scope.OrgIDs[0]]
			}
		}
	}
	return nil
}

// statement builds the query of Organisations. Each practice in any
// scope is paired with every requirement of the set and its answer (its
// own, or its CCG's for a CCG-answered indicator); state is 0 when
// unanswered, 1 when met (not applicable, or meeting the rule), 2 when
// failed. The rows, of each scope (its place in scopes first), come in
// two kinds: by organisation and contract type (indicator 0: practices,
// met, unknown), and by organisation and requirement (0, met, answered).
func statement(dialect string, setID, periodID int, filter predicate.Practice, scopes []Scope) (string, []any) {
	s := entsql.Dialect(dialect).Select().From(entsql.Table(practice.Table))
	scoring.Counting()(s)
	if filter != nil {
		filter(s)
	}
	var within []*entsql.Predicate
	for _, scope := range scopes {
		if scope.Column == "" { // England: every practice
			within = nil
			break
		}
		within = append(within, entsql.InInts(s.C(scope.Column), scope.OrgIDs...))
	}
	if len(within) > 0 {
		s.Where(entsql.Or(within...))
	}
	s.Select(entsql.As(s.C(practice.FieldID), "pid"), entsql.As(s.C(practice.FieldCcgID), "ccg_id"),
		entsql.As(s.C(practice.FieldStpID), "stp_id"), entsql.As(s.C(practice.FieldRegionID), "region_id"),
		entsql.As(s.C(practice.FieldContractType), "contract_type"))
	inner, args := s.Query()

	period, set := strconv.Itoa(periodID), strconv.Itoa(setID)
	answered := func(r string) string {
		return " LEFT JOIN responses " + r + " ON " + r + ".period_id = " + period + " AND " + r + ".indicator_id = q.indicator_id AND "
	}
	meets := scoring.MeetsRuleSQL(scoring.RuleColumns{Type: "i.answer_type", Min: "q.minimum",
		Numeric: "COALESCE(rp.numeric_value, rc.numeric_value)"})
	var sb strings.Builder
	sb.WriteString(`WITH s AS (
			SELECT p.pid, p.ccg_id, p.stp_id, p.region_id, p.contract_type, q.indicator_id,
				CASE WHEN rp.id IS NULL AND rc.id IS NULL THEN 0
					WHEN COALESCE(rp.not_applicable, rc.not_applicable) OR ` + meets + ` THEN 1
					ELSE 2 END AS state
			FROM (` + inner + `) p
			JOIN requirements q ON q.set_id = ` + set + `
			JOIN indicators i ON i.id = q.indicator_id` +
		answered("rp") + "i.respondent = '" + string(indicator.RespondentPRACTICE) + "' AND rp.practice_id = p.pid" +
		answered("rc") + "i.respondent = '" + string(indicator.RespondentCCG) + "' AND rc.organisation_id = p.ccg_id" + `
		), by_practice AS (
			SELECT ccg_id, stp_id, region_id, contract_type,
				SUM(CASE WHEN state = 0 THEN 1 ELSE 0 END) AS unanswered,
				SUM(CASE WHEN state = 2 THEN 1 ELSE 0 END) AS failed
			FROM s GROUP BY pid, ccg_id, stp_id, region_id, contract_type
		)`)
	for k, scope := range scopes {
		// Each organisation of the tier is a group of its column (England,
		// every practice, the constant 0); groups of organisations not
		// asked for (practices beneath another scope's) are skipped as
		// they are read, and practices without one (stp_id is nullable)
		// are left out.
		org, by, where := "0", "", ""
		if scope.Column != "" {
			org, by, where = scope.Column, scope.Column+", ", " WHERE "+scope.Column+" IS NOT NULL"
		}
		if k > 0 {
			sb.WriteString("\n\t\tUNION ALL")
		}
		fmt.Fprintf(&sb, `
		SELECT %d, %s, contract_type, 0, COUNT(*),
			SUM(CASE WHEN failed = 0 AND unanswered = 0 THEN 1 ELSE 0 END),
			SUM(CASE WHEN failed = 0 AND unanswered > 0 THEN 1 ELSE 0 END)
		FROM by_practice%s GROUP BY %scontract_type
		UNION ALL
		SELECT %d, %s, NULL, indicator_id, 0,
			SUM(CASE WHEN state = 1 THEN 1 ELSE 0 END),
			SUM(CASE WHEN state > 0 THEN 1 ELSE 0 END)
		FROM s%s GROUP BY %sindicator_id`, k, org, where, by, k, org, where, by)
	}
	return sb.String(), args
}
