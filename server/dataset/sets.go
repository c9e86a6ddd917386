package dataset

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode"

	"entgo.io/ent/dialect"

	"dpcma/server/rollup"
	"dpcma/server/scoring"
)

// DomainColumn is the name of a domain's score column: score_ and the
// domain in snake case ("Records & interoperability" →
// score_records_interoperability).
func DomainColumn(domain string) string {
	var b strings.Builder
	b.WriteString("score")
	sep := true
	for _, r := range strings.ToLower(domain) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if sep {
				b.WriteByte('_')
			}
			b.WriteRune(r)
			sep = false
		} else {
			sep = true
		}
	}
	return b.String()
}

// The sets. Tier-chain columns (region, STP, CCG) name the row's own code
// at its own tier, so "region_code = Y56" is Y56's whole subtree.

func col(name string, k Kind, nullable bool, expr, doc string) Column {
	return Column{Name: name, Kind: k, Nullable: nullable, expr: expr, Doc: doc}
}

// chain returns the tier-chain columns over table aliases holding the
// region, STP and CCG (each may be NULL).
func chain(region, stp, ccg string) []Column {
	return []Column{
		col("region_code", String, true, region+".ods_code", "Region (Yxx) the row belongs to."),
		col("region_name", String, true, region+".name", "Its name."),
		col("stp_code", String, true, stp+".ods_code", "STP footprint (E54...) the row belongs to."),
		col("stp_name", String, true, stp+".name", "Its name."),
		col("ccg_code", String, true, ccg+".ods_code", "CCG the row belongs to."),
		col("ccg_name", String, true, ccg+".name", "Its name."),
	}
}

// orgChainJoins joins, for an organisation o, aliases reg, stp and ccg
// holding o itself or its ancestors at those tiers.
const orgChainJoins = ` LEFT JOIN organisations p1 ON p1.id = o.parent_id
 LEFT JOIN organisations p2 ON p2.id = p1.parent_id
 LEFT JOIN organisations p3 ON p3.id = p2.parent_id
 LEFT JOIN organisations reg ON reg.id = CASE o.tier WHEN 'REGION' THEN o.id WHEN 'STP' THEN p1.id WHEN 'CCG' THEN p2.id END
 LEFT JOIN organisations stp ON stp.id = CASE o.tier WHEN 'STP' THEN o.id WHEN 'CCG' THEN p1.id END
 LEFT JOIN organisations ccg ON ccg.id = CASE o.tier WHEN 'CCG' THEN o.id END`

// Organisations lists every organisation.
var Organisations = &Set{
	Name: "organisations", EntitySet: "Organisations", EntityType: "Organisation",
	Key:    []string{"ods_code"},
	Params: []string{"tier", "org", "status"},
	Columns: append([]Column{
		col("ods_code", String, false, "o.ods_code", "ODS code (ONS code for an STP, ENG for England)."),
		col("name", String, false, "o.name", "Name."),
		col("tier", String, false, "o.tier", "NATIONAL, REGION, STP or CCG."),
		col("parent_code", String, true, "p1.ods_code", "The organisation one tier above; null for England."),
		// Not applicable or not known is null, never "": the exports and
		// the feed say the same, and DuckDB reads one null.
		col("local_office", String, true, "NULLIF(o.local_office, '')", "NHS England local office (Qxx) of a CCG; null for other tiers."),
		col("postcode", String, true, "NULLIF(o.postcode, '')", "Headquarters postcode; null when not known."),
	}, append(chain("reg", "stp", "ccg"),
		// Added after the chain: columns keep their places once published.
		col("status", String, false, "o.status", "OPEN, or CLOSED: absent from the last ODS release imported. Closed organisations are left out unless the request filters on status or ods_code (status=CLOSED or status=ALL; OData $filter=Status eq 'CLOSED')."),
	)...),
	from: func(*Builder, string, bool) string { return "organisations o" + orgChainJoins },
	// Closed organisations keep their history but are no longer part of
	// the hierarchy: a list leaves them out unless it asks for them, as
	// the API's lists do.
	openByDefault: &openByDefault{status: "status", naming: []string{"status", "ods_code"}},
}

// Practices lists every practice.
var Practices = &Set{
	Name: "practices", EntitySet: "Practices", EntityType: "Practice",
	Key:    []string{"ods_code"},
	Params: []string{"org"},
	Columns: append([]Column{
		col("ods_code", String, false, "p.ods_code", "ODS practice code."),
		col("name", String, false, "p.name", "Name."),
		col("postcode", String, false, "p.postcode", "Postcode."),
		col("list_size", Int, false, "p.list_size", "Registered patients (January-March 2016)."),
		col("clinical_system", String, true, "NULLIF(p.clinical_system, '')", "Principal clinical system: EMIS Web, SystmOne, Vision or Evolution; null when not known."),
		col("local_office", String, false, "p.local_office", "NHS England local office (Qxx)."),
	}, append(chain("reg", "stp", "ccg"),
		// Added after the chain: columns keep their places once published.
		col("status", String, false, "p.status", "ACTIVE, or CLOSED: closed or left England by the last ODS import (a closed practice counts in no organisation's figures)."),
		col("contract_type", String, true, "p.contract_type", "GP contract: GMS, PMS or APMS; null when not known."),
		col("dispensing", Bool, true, "p.dispensing", "Whether the practice dispenses medicines to its patients; null when not known."),
		col("rurality", String, true, "p.rurality", "Urban or Rural; null when not known."),
		col("weighted_patients", Float, true, "p.weighted_patients", "Weighted list size (the global sum formula's need-weighted patients); null when not known."),
	)...),
	from: func(*Builder, string, bool) string {
		return `practices p JOIN organisations ccg ON ccg.id = p.ccg_id
 LEFT JOIN organisations stp ON stp.id = p.stp_id
 JOIN organisations reg ON reg.id = p.region_id`
	},
}

// Responses lists every answer: a practice's, or a CCG's to a CCG-level
// indicator.
var Responses = &Set{
	Name: "responses", EntitySet: "Responses", EntityType: "Response",
	Key:    []string{"id"},
	Params: []string{"tier", "org", "period", "domain", "indicator"},
	Columns: append([]Column{
		col("id", Int, false, "r.id", "The answer's number, stable while it exists."),
		col("period", String, false, "ap.code", "Period code, e.g. 2016-17-H1."),
		col("respondent", String, false, "CASE WHEN r.practice_id IS NULL THEN 'CCG' ELSE 'PRACTICE' END", "PRACTICE, or CCG for a CCG-level answer."),
		col("practice_code", String, true, "p.ods_code", "The answering practice; empty for a CCG-level answer."),
		col("indicator", String, false, "i.code", "Indicator code, e.g. PO01."),
		col("domain", String, false, "i.domain", "The indicator's domain."),
		col("category", String, false, "i.category", "CORE, MANDATED, ENHANCED or TRANSFORMATIONAL."),
		col("answer_type", String, false, "i.answer_type", "BOOL, PCT, ORD or CHOICE."),
		col("value", String, true, "r.value", "The answer (yes/no, 73.5, 2, EMIS Web); empty when not applicable."),
		col("numeric_value", Float, true, "r.numeric_value", "The answer as a number; empty for CHOICE and not applicable."),
		col("not_applicable", Bool, false, "r.not_applicable", "The indicator does not apply."),
		col("score", Float, true, "r.score", "Response score 0-1; empty when unscored."),
		col("submitted_at", DateTime, false, "r.submitted_at", "When it was submitted (UTC)."),
		col("submitted_by", String, false, "r.submitted_by", "Who submitted it."),
	}, chain("reg", "stp", "ccg")...),
	from: func(*Builder, string, bool) string {
		return `responses r JOIN indicators i ON i.id = r.indicator_id
 JOIN assessment_periods ap ON ap.id = r.period_id
 LEFT JOIN practices p ON p.id = r.practice_id
 JOIN organisations ccg ON ccg.id = COALESCE(p.ccg_id, r.organisation_id)
 LEFT JOIN organisations stp ON stp.id = ccg.parent_id
 LEFT JOIN organisations reg ON reg.id = stp.parent_id`
	},
}

// Maturity returns the maturity set for the catalogue's domains: one row
// per organisation or practice and period.
func Maturity(domains []string) *Set {
	s := &Set{
		Name: "maturity", EntitySet: "Maturity", EntityType: "MaturityRow",
		Key:    []string{"period", "code"},
		Params: []string{"tier", "org", "period", "domain"},
		Columns: []Column{
			col("period", String, false, "m.period", "Period code."),
			col("code", String, false, "m.code", "ODS code of the organisation or practice."),
			col("name", String, false, "m.name", "Its name."),
			col("tier", String, false, "m.tier", "NATIONAL, REGION, STP, CCG or PRACTICE."),
			col("region_code", String, true, "m.region_code", "Region (Yxx) the row belongs to."),
			col("region_name", String, true, "m.region_name", "Its name."),
			col("stp_code", String, true, "m.stp_code", "STP footprint the row belongs to."),
			col("stp_name", String, true, "m.stp_name", "Its name."),
			col("ccg_code", String, true, "m.ccg_code", "CCG the row belongs to."),
			col("ccg_name", String, true, "m.ccg_name", "Its name."),
			col("domain", String, true, "m.domain", "The domain the figures are restricted to; null for all domains."),
			col("score", Float, true, "m.score", "Score 0-100 (Maturity.score)."),
			col("level", Int, true, "m.level", "Maturity level 1-5."),
			col("level_name", String, true, "m.level_name", "Its name."),
			col("completion", Float, false, "m.completion", "Completion 0-1."),
			col("practice_count", Int, false, "m.practice_count", "Practices beneath (1 for a practice)."),
			col("responded_practice_count", Int, false, "m.responded_practice_count", "Those with a score."),
			col("patient_weighted_score", Float, true, "m.patient_weighted_score", "Score weighted by list size."),
		},
	}
	for _, d := range domains {
		s.Columns = append(s.Columns, col(DomainColumn(d), Float, true, "m."+DomainColumn(d), "Score in the domain "+d+"."))
	}
	s.from = func(b *Builder, domain string, paged bool) string {
		if paged {
			return maturityPageFrom(b, domain, domains, false, true)
		}
		return maturityFrom(b, domain, domains)
	}
	s.page = func(b *Builder, q *Query) (string, bool) { return maturityPage(b, q, domains) }
	return s
}

// maturityPage is a page of Maturity in key order (period, code) on
// PostgreSQL without sorting the 48,000 rows of England's six periods
// (SQLite, which has no LATERAL, reads maturityPageFrom's rows sorted).
// Its parts:
//   - the page's keys: for each period in code order (the index of
//     assessment_periods.code), a LATERAL subquery takes that period's
//     codes, filtered, in code order up to the page's size; the outer
//     sort is incremental, one period at a time, so a page reads the
//     periods it shows and the next, not all six;
//   - for those keys only, the tier chain by id (sorted then, before the
//     figures, so that the statement needs no final sort), and every
//     figure from one indexed read of the organisation's org_rollups
//     rows of the period, all domains at once, or from one entry of
//     practice_scores' index for a practice (its all-domains row, which
//     INCLUDEs its figures and the copy of its domain scores,
//     rollup.CopyDomainScores), where maturityPageFrom reads one derived
//     row per figure.
//
// A filter on a figure still works it out, in the subquery, for every row
// it tests. A batch of keys (Query.Paged without a LIMIT: an OData
// $expand of practices' or organisations' maturity) reads every row the
// filter leaves in the same way, in q.OrderBy's order. TestODataMaturityPagesMatchTheExport holds the rows equal to
// the export's.
func maturityPage(b *Builder, q *Query, domains []string) (string, bool) {
	if b.Dialect() != dialect.Postgres {
		return "", false
	}
	var sb strings.Builder
	sb.WriteString("SELECT ")
	for i, c := range q.Columns {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString(c.expr)
	}
	// The figures of the requested domain ("" for all) and of each domain,
	// from all the derived rows of one subject and period.
	all := b.Arg(q.Domain)
	inDomain := func(d, expr string) string { return "MAX(CASE WHEN r.domain = " + d + " THEN " + expr + " END)" }
	orgScore := scoring.MeanSQL("r.score_sum", "r.responded_count")
	orgLevel := scoring.LevelSQL(orgScore, func(s scoring.Subset) string {
		return scoring.MeanSQL("r."+s.Name()+"_sum", "r."+s.Name()+"_count")
	})
	var orgFigures, practiceFigures strings.Builder
	fmt.Fprintf(&orgFigures, "SELECT %s AS score, %s AS level, %s AS completion, %s AS practice_count, %s AS responded, %s AS weighted",
		inDomain(all, orgScore), inDomain(all, orgLevel), inDomain(all, scoring.MeanSQL("r.completion_sum", "r.practice_count")),
		inDomain(all, "r.practice_count"), inDomain(all, "r.responded_count"), inDomain(all, scoring.MeanSQL("r.weighted_score_sum", "r.patients")))
	// A practice's figures: its row of the requested domain, and the
	// domain scores copied onto its all-domains row (one row when no
	// domain is requested).
	practiceFigures.WriteString("SELECT r.score, r.level, r.completion")
	for i, d := range domains {
		arg := b.Arg(d)
		fmt.Fprintf(&orgFigures, ", %s AS d%d", inDomain(arg, orgScore), i)
		fmt.Fprintf(&practiceFigures, ", %s AS d%d", rollup.DomainScoreSQL("w", arg), i)
	}
	practiceFigures.WriteString(" FROM practice_scores w")
	if q.Domain == "" {
		practiceFigures.WriteString(" CROSS JOIN LATERAL (SELECT w.score, w.level, w.completion) r")
	} else {
		fmt.Fprintf(&practiceFigures, " LEFT JOIN practice_scores r ON r.practice_id = w.practice_id AND r.period_id = w.period_id AND r.domain = %s", all)
	}
	// Each column: the organisation's value, or the practice's.
	either := func(org, practice, as string) {
		fmt.Fprintf(&sb, ", CASE WHEN x.practice_id IS NULL THEN %s ELSE %s END AS %s", org, practice, as)
	}
	sb.WriteString(" FROM (SELECT x.period, x.code, x.name, x.tier, x.region_code, x.region_name,")
	sb.WriteString(" x.stp_code, x.stp_name, x.ccg_code, x.ccg_name")
	fmt.Fprintf(&sb, ", NULLIF(CAST(%s AS TEXT), '') AS domain", b.Arg(q.Domain))
	either("ro.score", "rp.score", "score")
	either("ro.level", "rp.level", "level")
	either(scoring.LevelNameSQL("ro.level"), scoring.LevelNameSQL("rp.level"), "level_name")
	either("COALESCE(ro.completion, 0)", "COALESCE(rp.completion, 0)", "completion")
	either("COALESCE(ro.practice_count, 0)", "1", "practice_count")
	either("COALESCE(ro.responded, 0)", "CASE WHEN rp.score IS NULL THEN 0 ELSE 1 END", "responded_practice_count")
	either("ro.weighted", "rp.score", "patient_weighted_score")
	for i, d := range domains {
		either(fmt.Sprintf("ro.d%d", i), fmt.Sprintf("rp.d%d", i), DomainColumn(d))
	}
	// The page's keys and their tier chains, sorted before the figures
	// (OFFSET 0 keeps the sort in its subquery): the figures' nested loops
	// keep that order, so PostgreSQL sends each row as soon as it has its
	// figures, while the service writes the rows before, instead of
	// sorting all the page's rows at the end.
	sb.WriteString(" FROM (SELECT keys.*, reg.ods_code AS region_code, reg.name AS region_name,")
	sb.WriteString(" stp.ods_code AS stp_code, stp.name AS stp_name, ccg.ods_code AS ccg_code, ccg.name AS ccg_name")
	sb.WriteString(" FROM (SELECT ap.code AS period, ap.id AS period_id, k.*")
	sb.WriteString(" FROM assessment_periods ap CROSS JOIN LATERAL (SELECT m.code, m.name, m.tier, m.org_id, m.practice_id, m.region_id, m.stp_id, m.ccg_id FROM ")
	sb.WriteString(maturityPageFrom(b, q.Domain, domains, true, filtersFigures(b.Dialect(), q)))
	inner := Query{Set: q.Set, Where: q.Where}
	inner.tail(b, &sb, false)
	if q.Limit > 0 {
		// Bound, not written in: every page's statement is the same text.
		sb.WriteString(" ORDER BY m.code LIMIT " + b.Arg(q.Limit+q.Offset) + ") k ORDER BY ap.code, k.code")
		q.limits(b, &sb)
	} else {
		sb.WriteString(") k") // a batch of keys (Query.Paged): all its rows
	}
	sb.WriteString(`) keys LEFT JOIN organisations reg ON reg.id = keys.region_id
 LEFT JOIN organisations stp ON stp.id = keys.stp_id
 LEFT JOIN organisations ccg ON ccg.id = keys.ccg_id`)
	sb.WriteString(" ORDER BY keys.period, keys.code OFFSET 0) x")
	// Their figures.
	// Each row reads the derived rows of its own kind only: the test of
	// the outer row spares the other kind's index probe (a practice has no
	// org_rollups rows, but looking costs a page of practices a millisecond).
	fmt.Fprintf(&sb, " LEFT JOIN LATERAL (%s FROM org_rollups r WHERE x.practice_id IS NULL AND r.org_id = x.org_id AND r.period_id = x.period_id) ro ON TRUE", orgFigures.String())
	fmt.Fprintf(&sb, " LEFT JOIN LATERAL (%s WHERE x.practice_id IS NOT NULL AND w.practice_id = x.practice_id AND w.period_id = x.period_id AND w.domain = '') rp ON TRUE", practiceFigures.String())
	order := append(append([]string(nil), q.OrderBy...), "m.period", "m.code")
	sb.WriteString(") m ORDER BY " + strings.Join(order, ", "))
	return sb.String(), true
}

// maturityCheapColumns are Maturity's columns that need no figure.
var maturityCheapColumns = []string{"period", "code", "name", "tier", "region_code", "region_name", "stp_code", "stp_name", "ccg_code", "ccg_name", "domain"}

// filtersFigures reports whether q's conditions test a figure: they are
// written out, and searched for any other column of the set.
func filtersFigures(d string, q *Query) bool {
	if len(q.Where) == 0 {
		return false
	}
	var sb strings.Builder
	(&Query{Set: q.Set, Where: q.Where}).tail(NewBuilder(d), &sb, false)
	sql := sb.String()
	for _, c := range q.Set.Columns {
		if !slices.Contains(maturityCheapColumns, c.Name) && figureReference(c.expr).MatchString(sql) {
			return true
		}
	}
	return false
}

// figureReference matches a column expression (m.score) as a whole word.
func figureReference(expr string) *regexp.Regexp {
	return regexp.MustCompile(regexp.QuoteMeta(expr) + `\b`)
}

// maturityPageFrom is maturityFrom's rows for a page or a count: a union
// of cheap columns (the period, the organisation or practice and its tier
// chain, with their ids), where every figure is a
// subquery of one derived row by those ids, in the outer SELECT. A page
// (ORDER BY the key, LIMIT) is so sorted on the cheap columns and
// PostgreSQL works the figures out only for the rows it returns (it puts
// off costly output columns past a sort and limit), not for all 48,000
// rows of England's six periods: a page costs what a Practices page
// does. A filter on a figure still works it out for every row it tests.
//
// lateral reads one period, that of an assessment_periods ap outside
// (maturityPage), instead of every period; without withFigures the rows
// have the cheap columns only (a page's keys, filtered by those), which
// spares the planner the figures' subqueries.
func maturityPageFrom(b *Builder, domain string, domains []string, lateral, withFigures bool) string {
	orgScore := scoring.MeanSQL("r.score_sum", "r.responded_count")
	orgLevel := scoring.LevelSQL(orgScore, func(s scoring.Subset) string {
		return scoring.MeanSQL("r."+s.Name()+"_sum", "r."+s.Name()+"_count")
	})
	var sb strings.Builder
	// figure writes one figure: expr over the organisation's roll-up r, or
	// over the practice's score ps, for the domain d; orElse stands for a
	// missing derived row ("" for NULL).
	figure := func(orgExpr, practiceExpr, d, orElse, as string) {
		open, end := "", ""
		if orElse != "" {
			open, end = "COALESCE(", ", "+orElse+")"
		}
		fmt.Fprintf(&sb, ", CASE WHEN u.practice_id IS NULL THEN %s(SELECT %s FROM org_rollups r WHERE r.org_id = u.org_id AND r.period_id = u.period_id AND r.domain = %s)%s",
			open, orgExpr, b.Arg(d), end)
		fmt.Fprintf(&sb, " ELSE %s(SELECT %s FROM practice_scores ps WHERE ps.practice_id = u.practice_id AND ps.period_id = u.period_id AND ps.domain = %s)%s END AS %s",
			open, practiceExpr, b.Arg(d), end, as)
	}
	sb.WriteString("(SELECT u.period, u.code, u.name, u.tier, reg.ods_code AS region_code, reg.name AS region_name, stp.ods_code AS stp_code, stp.name AS stp_name,")
	sb.WriteString(" ccg.ods_code AS ccg_code, ccg.name AS ccg_name, u.org_id, u.practice_id, u.region_id, u.stp_id, u.ccg_id")
	fmt.Fprintf(&sb, ", NULLIF(CAST(%s AS TEXT), '') AS domain", b.Arg(domain))
	if withFigures {
		figure(orgScore, "ps.score", domain, "", "score")
		figure(orgLevel, "ps.level", domain, "", "level")
		figure(scoring.LevelNameSQL(orgLevel), scoring.LevelNameSQL("ps.level"), domain, "", "level_name")
		figure(scoring.MeanSQL("r.completion_sum", "r.practice_count"), "ps.completion", domain, "0", "completion")
		// A practice counts itself, with or without a derived row.
		fmt.Fprintf(&sb, ", CASE WHEN u.practice_id IS NULL THEN COALESCE((SELECT r.practice_count FROM org_rollups r WHERE r.org_id = u.org_id AND r.period_id = u.period_id AND r.domain = %s), 0) ELSE 1 END AS practice_count", b.Arg(domain))
		figure("r.responded_count", "CASE WHEN ps.score IS NULL THEN 0 ELSE 1 END", domain, "0", "responded_practice_count")
		figure(scoring.MeanSQL("r.weighted_score_sum", "r.patients"), "ps.score", domain, "", "patient_weighted_score")
		for _, d := range domains {
			figure(scoring.MeanSQL("r.score_sum", "r.responded_count"), "ps.score", d, "", DomainColumn(d))
		}
	}
	// The union holds ids only; the tier chain is joined to it by id, so
	// that a statement not using the chain's names (a page's keys, a
	// count) does not join it at all: the planner drops unused LEFT joins
	// on a key.
	sb.WriteString(" FROM (SELECT ap.code AS period, ap.id AS period_id, o.ods_code AS code, o.name AS name, o.tier AS tier,")
	sb.WriteString(" o.id AS org_id, CAST(NULL AS BIGINT) AS practice_id,")
	sb.WriteString(" CASE o.tier WHEN 'REGION' THEN o.id WHEN 'STP' THEN p1.id WHEN 'CCG' THEN p2.id END AS region_id,")
	sb.WriteString(" CASE o.tier WHEN 'STP' THEN o.id WHEN 'CCG' THEN p1.id END AS stp_id, CASE o.tier WHEN 'CCG' THEN o.id END AS ccg_id")
	periods := " CROSS JOIN assessment_periods ap"
	if lateral {
		periods = ""
	}
	sb.WriteString(" FROM organisations o" + periods)
	sb.WriteString(" LEFT JOIN organisations p1 ON p1.id = o.parent_id LEFT JOIN organisations p2 ON p2.id = p1.parent_id")
	sb.WriteString(" UNION ALL SELECT ap.code, ap.id, p.ods_code, p.name, 'PRACTICE', NULL, p.id, p.region_id, p.stp_id, p.ccg_id")
	sb.WriteString(" FROM practices p" + periods)
	sb.WriteString(`) u LEFT JOIN organisations reg ON reg.id = u.region_id
 LEFT JOIN organisations stp ON stp.id = u.stp_id
 LEFT JOIN organisations ccg ON ccg.id = u.ccg_id) m`)
	return sb.String()
}

// maturityFrom is the maturity of every organisation (from org_rollups,
// by scoring.Rollup's rules) and practice (from practice_scores) in every
// period; a missing derived row gives what the API gives for it. This
// form, joining the derived rows, reads every row fastest (an export:
// 1.0 s of PostgreSQL's time for England's 48,084 rows against 2.1 s for
// maturityPageFrom's); a page or a count reads maturityPageFrom's. The
// two give the same rows (the tests read both).
func maturityFrom(b *Builder, domain string, domains []string) string {
	orgScore := scoring.MeanSQL("r.score_sum", "r.responded_count")
	orgLevel := scoring.LevelSQL(orgScore, func(s scoring.Subset) string {
		return scoring.MeanSQL("r."+s.Name()+"_sum", "r."+s.Name()+"_count")
	})
	var sb strings.Builder
	sb.WriteString("(SELECT ap.code AS period, o.ods_code AS code, o.name AS name, o.tier AS tier,")
	sb.WriteString(" reg.ods_code AS region_code, reg.name AS region_name, stp.ods_code AS stp_code, stp.name AS stp_name, ccg.ods_code AS ccg_code, ccg.name AS ccg_name,")
	fmt.Fprintf(&sb, " NULLIF(CAST(%s AS TEXT), '') AS domain,", b.Arg(domain))
	fmt.Fprintf(&sb, " %s AS score, %s AS level, %s AS level_name,", orgScore, orgLevel, scoring.LevelNameSQL(orgLevel))
	fmt.Fprintf(&sb, " COALESCE(%s, 0) AS completion,", scoring.MeanSQL("r.completion_sum", "r.practice_count"))
	sb.WriteString(" COALESCE(r.practice_count, 0) AS practice_count, COALESCE(r.responded_count, 0) AS responded_practice_count,")
	fmt.Fprintf(&sb, " %s AS patient_weighted_score", scoring.MeanSQL("r.weighted_score_sum", "r.patients"))
	for _, d := range domains {
		fmt.Fprintf(&sb, ", (SELECT %s FROM org_rollups d WHERE d.org_id = o.id AND d.period_id = ap.id AND d.domain = %s) AS %s",
			scoring.MeanSQL("d.score_sum", "d.responded_count"), b.Arg(d), DomainColumn(d))
	}
	sb.WriteString(" FROM organisations o CROSS JOIN assessment_periods ap")
	fmt.Fprintf(&sb, " LEFT JOIN org_rollups r ON r.org_id = o.id AND r.period_id = ap.id AND r.domain = %s", b.Arg(domain))
	sb.WriteString(orgChainJoins)
	sb.WriteString(" UNION ALL SELECT ap.code, p.ods_code, p.name, 'PRACTICE',")
	sb.WriteString(" reg.ods_code, reg.name, stp.ods_code, stp.name, ccg.ods_code, ccg.name,")
	fmt.Fprintf(&sb, " NULLIF(CAST(%s AS TEXT), ''), ps.score, ps.level, %s, COALESCE(ps.completion, 0), 1,", b.Arg(domain), scoring.LevelNameSQL("ps.level"))
	sb.WriteString(" CASE WHEN ps.score IS NULL THEN 0 ELSE 1 END, ps.score")
	for _, d := range domains {
		fmt.Fprintf(&sb, ", (SELECT d.score FROM practice_scores d WHERE d.practice_id = p.id AND d.period_id = ap.id AND d.domain = %s)", b.Arg(d))
	}
	sb.WriteString(" FROM practices p CROSS JOIN assessment_periods ap")
	fmt.Fprintf(&sb, " LEFT JOIN practice_scores ps ON ps.practice_id = p.id AND ps.period_id = ap.id AND ps.domain = %s", b.Arg(domain))
	sb.WriteString(` JOIN organisations ccg ON ccg.id = p.ccg_id
 LEFT JOIN organisations stp ON stp.id = p.stp_id
 JOIN organisations reg ON reg.id = p.region_id`)
	sb.WriteString(") m")
	return sb.String()
}
