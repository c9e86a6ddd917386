package dataset

import (
	"context"
	stdsql "database/sql"
	"fmt"
	"strings"

	"dpcma/ent"
	"dpcma/ent/organisation"
	"dpcma/ent/practice"
	"dpcma/server/compliance"
	"dpcma/server/database"

	entsql "entgo.io/ent/dialect/sql"
)

// contractTypes are the contract types the compliance file has columns
// for, in column order; practices of no known type have columns of their
// own (unknown_contract_*).
var contractTypes = []practice.ContractType{practice.ContractTypeGMS, practice.ContractTypePMS, practice.ContractTypeAPMS}

// Compliance is how many practices beneath each organisation meet a
// requirement set in one period, in all and by contract type: the figures
// of the GraphQL field Organisation.compliance, from the same
// server/compliance code. One row per organisation (every tier, England
// included), in code order. Its parameters: set (required), tier, org
// (the organisation and those beneath it) and period (default: the latest
// period with answers, as in the API).
var Compliance = func() *Set {
	s := &Set{
		Name: "compliance", EntitySet: "Compliance", EntityType: "ComplianceRow",
		Key:      []string{"period", "set", "org_code"},
		Params:   []string{"set", "tier", "org", "period"},
		Required: []string{"set"},
		Columns: append([]Column{
			col("period", String, false, "", "Period code: the `period` parameter, or the latest period with answers."),
			col("set", String, false, "", "Requirement set code, e.g. GMS-2017-18 (the `set` parameter)."),
			col("in_force", Bool, false, "", "false when the period is before the set applies (OrganisationCompliance.inForce): the figures then show readiness."),
			col("org_code", String, false, "", "ODS code of the organisation."),
			col("org_name", String, false, "", "Its name."),
			col("tier", String, false, "", "NATIONAL, REGION, STP or CCG."),
		}, chain("reg", "stp", "ccg")...),
	}
	s.Columns = append(s.Columns,
		col("practice_count", Int, false, "", "Practices counted: the open practices beneath (OrganisationCompliance.practiceCount)."),
		col("met_count", Int, false, "", "Those meeting every requirement (metCount)."),
		col("unknown_count", Int, false, "", "Those that missed none but left one unanswered: neither met nor failed (unknownCount)."),
		col("share_met", Float, true, "", "met_count / practice_count, 0-1 (shareMet); empty when there are no practices."))
	for _, ct := range contractTypes {
		p := strings.ToLower(string(ct))
		s.Columns = append(s.Columns,
			col(p+"_practice_count", Int, false, "", "Practices counted whose contract type is "+string(ct)+" (byContractType)."),
			col(p+"_met_count", Int, false, "", "Those meeting every requirement."),
			col(p+"_share_met", Float, true, "", "Their share meeting it, 0-1; empty when there are none."))
	}
	s.Columns = append(s.Columns,
		col("unknown_contract_practice_count", Int, false, "", "Practices counted whose contract type is unknown (byContractType's contractType null)."),
		col("unknown_contract_met_count", Int, false, "", "Those meeting every requirement."),
		col("unknown_contract_share_met", Float, true, "", "Their share meeting it, 0-1; empty when there are none."))
	s.compute = complianceRows
	return s
}()

// complianceOrg is an organisation with its tier chain, as a row names it.
type complianceOrg struct {
	id         int
	code, name string
	tier       organisation.Tier
	chain      [6]stdsql.NullString // region, STP and CCG: code and name
}

// complianceRows computes the compliance of args' organisations with
// args' set in its period.
func complianceRows(ctx context.Context, r Reader, dialect string, args map[string]string, each func(Row) error) error {
	// server/compliance reads through ent: a client over the export's
	// reader keeps its statements in the export's snapshot.
	client := ent.NewClient(ent.Driver(entsql.NewDriver(dialect, entsql.Conn{ExecQuerier: r})))
	sets, err := compliance.Sets(ctx, client)
	if err != nil {
		return err
	}
	var set *compliance.Set
	for _, s := range sets {
		if s.Code == args["set"] {
			set = s
		}
	}
	if set == nil {
		return fmt.Errorf("no requirement set %q", args["set"])
	}
	periodID, periodCode, err := periodOf(ctx, r, args["period"])
	if err != nil {
		return err
	}
	period, err := client.AssessmentPeriod.Get(ctx, periodID)
	if err != nil {
		return err
	}
	orgs, err := complianceOrgs(ctx, r, dialect, args["tier"], args["org"])
	if err != nil {
		return err
	}
	byTier := map[organisation.Tier][]int{}
	for _, o := range orgs {
		byTier[o.tier] = append(byTier[o.tier], o.id)
	}
	var scopes []compliance.Scope
	for tier, ids := range byTier {
		scopes = append(scopes, compliance.Scope{Column: practiceColumn[tier], OrgIDs: ids})
	}
	figures, err := compliance.Organisations(ctx, client, dialect, set, periodID, nil, scopes...)
	if err != nil {
		return err
	}
	var row Row
	for _, o := range orgs {
		f := figures[o.id]
		row = append(row[:0], str(periodCode), str(set.Code), Value{Valid: true, B: set.InForce(period)},
			str(o.code), str(o.name), str(string(o.tier)))
		for _, n := range o.chain {
			row = append(row, Value{Valid: n.Valid, S: n.String})
		}
		row = append(row, integer(f.PracticeCount), integer(f.MetCount), integer(f.UnknownCount), share(f.MetCount, f.PracticeCount))
		for _, ct := range contractTypes {
			row = appendGroup(row, f, &ct)
		}
		row = appendGroup(row, f, nil)
		if err := each(row); err != nil {
			return err
		}
	}
	return nil
}

// appendGroup appends the counts of f's practices of a contract type
// (nil: unknown), zero when there are none.
func appendGroup(row Row, f *compliance.Figures, ct *practice.ContractType) Row {
	var c compliance.ContractFigures
	for _, g := range f.ByContractType {
		if g.ContractType == nil && ct == nil || g.ContractType != nil && ct != nil && *g.ContractType == *ct {
			c = g
		}
	}
	return append(row, integer(c.PracticeCount), integer(c.MetCount), share(c.MetCount, c.PracticeCount))
}

// practiceColumn is the practices' column placing a practice beneath an
// organisation of a tier; England holds every practice.
var practiceColumn = map[organisation.Tier]string{organisation.TierREGION: "region_id", organisation.TierSTP: "stp_id", organisation.TierCCG: "ccg_id"}

// complianceOrgs reads the open organisations of a tier ("" every tier)
// beneath an organisation ("" England), itself included, in code order,
// with their tier chains as the organisations file gives them.
func complianceOrgs(ctx context.Context, r Reader, dialect, tier, org string) ([]complianceOrg, error) {
	// A closed organisation is no longer part of the hierarchy: listed
	// only when asked for by its code.
	where, args := "(o.status = 'OPEN' OR o.ods_code = ?)", []any{org}
	if tier != "" {
		where += " AND o.tier = ?"
		args = append(args, tier)
	}
	if org != "" {
		where += " AND (? IN (reg.ods_code, stp.ods_code, ccg.ods_code) OR EXISTS (SELECT 1 FROM organisations n WHERE n.ods_code = ? AND n.tier = 'NATIONAL'))"
		args = append(args, org, org)
	}
	var out []complianceOrg
	err := scanRows(ctx, r, database.Rebind(dialect, `SELECT o.id, o.tier, o.ods_code, o.name, reg.ods_code, reg.name, stp.ods_code, stp.name, ccg.ods_code, ccg.name
		FROM organisations o`+orgChainJoins+` WHERE `+where+` ORDER BY o.ods_code`), args, func(rows *stdsql.Rows) error {
		var o complianceOrg
		dest := []any{&o.id, &o.tier, &o.code, &o.name}
		for i := range o.chain {
			dest = append(dest, &o.chain[i])
		}
		err := rows.Scan(dest...)
		out = append(out, o)
		return err
	})
	return out, err
}

// share is n / of, null when of is 0 (the API's shareMet).
func share(n, of int) Value {
	if of == 0 {
		return Value{}
	}
	return Value{Valid: true, F: float64(n) / float64(of)}
}
