package dataset

import (
	"context"
	stdsql "database/sql"
	"errors"
	"fmt"
	"strings"

	"dpcma/ent"
	"dpcma/ent/practice"
	"dpcma/server/compliance"
	"dpcma/server/database"
)

// contractTypes are the contract types the compliance file has columns
// for, in column order; practices of no known type have columns of their
// own (unknown_contract_*).
var contractTypes = []practice.ContractType{practice.ContractTypeGMS, practice.ContractTypePMS, practice.ContractTypeAPMS}

// Compliance is how many practices beneath each organisation meet a
// requirement set in one period, in all and by contract type: the figures
// of the GraphQL field Organisation.compliance, read from the same
// compliance roll-ups (server/rollup). One row per organisation (every
// tier, England included), in code order. Its parameters: set (required),
// tier, org (the organisation and those beneath it) and period (default:
// the latest period with answers, as in the API). Once they are looked up
// the rows are SQL's (Set.resolve), so a filter, an order and a page of
// the feed read the roll-ups' index, not rows made beforehand.
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
	for i := range s.Columns {
		s.Columns[i].expr = `c."` + s.Columns[i].Name + `"` // quoted: set is a keyword
	}
	s.resolve = complianceFrom
	return s
}()

// complianceFrom looks up args' set and period and returns the rows of
// the organisations args ask for: their tier chain and their figures,
// summed by contract type from org_compliance_rollups.
func complianceFrom(ctx context.Context, r Reader, dialect string, args map[string]string) (func(b *Builder) string, error) {
	var (
		setID       int
		appliesFrom string
	)
	err := r.QueryRowContext(ctx, database.Rebind(dialect, "SELECT id, applies_from FROM requirement_sets WHERE code = ?"), args["set"]).
		Scan(&setID, &appliesFrom)
	if errors.Is(err, stdsql.ErrNoRows) {
		return nil, fmt.Errorf("no requirement set %q", args["set"])
	}
	if err != nil {
		return nil, err
	}
	period, err := periodRowOf(ctx, r, args["period"])
	if err != nil {
		return nil, err
	}
	set := &compliance.Set{Code: args["set"], AppliesFrom: appliesFrom}
	inForce := set.InForce(&ent.AssessmentPeriod{OpensOn: period.opensOn})
	tier, org := args["tier"], args["org"]
	return func(b *Builder) string {
		typed := func(k Kind, v Value) string {
			return "CAST(" + b.Arg(cellValue(b.Dialect(), k, v)) + " AS " + sqlTypes[k] + ")"
		}
		var sb strings.Builder
		sb.WriteString("(SELECT " + typed(String, str(period.code)) + ` AS "period", ` + typed(String, str(set.Code)) + ` AS "set", ` +
			typed(Bool, Value{Valid: true, B: inForce}) + ` AS "in_force", o.ods_code AS "org_code", o.name AS "org_name", o.tier AS "tier"`)
		for _, c := range chain("reg", "stp", "ccg") {
			sb.WriteString(", " + c.expr + ` AS "` + c.Name + `"`)
		}
		group := func(prefix string) {
			count, met := "COALESCE(t."+prefix+"practice_count, 0)", "COALESCE(t."+prefix+"met_count, 0)"
			fmt.Fprintf(&sb, `, %s AS "%spractice_count", %s AS "%smet_count"`, count, prefix, met, prefix)
			if prefix == "" {
				fmt.Fprintf(&sb, `, COALESCE(t.unknown_count, 0) AS "unknown_count"`)
			}
			// A share as Go divides: in double precision, not numeric.
			fmt.Fprintf(&sb, `, CASE WHEN %s > 0 THEN CAST(%s AS DOUBLE PRECISION) / %s END AS "%sshare_met"`, count, met, count, prefix)
		}
		group("")
		known := make([]string, len(contractTypes))
		for i, ct := range contractTypes {
			group(strings.ToLower(string(ct)) + "_")
			known[i] = "'" + string(ct) + "'"
		}
		group("unknown_contract_")
		sb.WriteString(" FROM organisations o" + orgChainJoins)
		// The figures of each organisation, its contract types side by side.
		// Sums cast back to BIGINT: PostgreSQL sums bigints as numeric,
		// which the driver hands over as text.
		sb.WriteString(" LEFT JOIN (SELECT org_id, CAST(SUM(practice_count) AS BIGINT) AS practice_count, CAST(SUM(met_count) AS BIGINT) AS met_count," +
			" CAST(SUM(unknown_count) AS BIGINT) AS unknown_count")
		sum := func(cond, prefix string) {
			fmt.Fprintf(&sb, ", CAST(SUM(CASE WHEN %s THEN practice_count ELSE 0 END) AS BIGINT) AS %spractice_count,"+
				" CAST(SUM(CASE WHEN %s THEN met_count ELSE 0 END) AS BIGINT) AS %smet_count", cond, prefix, cond, prefix)
		}
		for i, ct := range contractTypes {
			sum("contract_type = "+known[i], strings.ToLower(string(ct))+"_")
		}
		sum("contract_type NOT IN ("+strings.Join(known, ", ")+")", "unknown_contract_")
		sb.WriteString(" FROM org_compliance_rollups WHERE set_id = " + b.Arg(setID) + " AND period_id = " + b.Arg(period.id) +
			" GROUP BY org_id) t ON t.org_id = o.id")
		// A closed organisation is no longer part of the hierarchy: listed
		// only when asked for by its code.
		sb.WriteString(" WHERE (o.status = 'OPEN' OR o.ods_code = " + b.Arg(org) + ")")
		if tier != "" {
			sb.WriteString(" AND o.tier = " + b.Arg(tier))
		}
		if org != "" {
			sb.WriteString(" AND (" + b.Arg(org) + " IN (reg.ods_code, stp.ods_code, ccg.ods_code) OR EXISTS (SELECT 1 FROM organisations n WHERE n.ods_code = " +
				b.Arg(org) + " AND n.tier = 'NATIONAL'))")
		}
		sb.WriteString(") c")
		return sb.String()
	}, nil
}
