// Package export streams dpcma's data as flat tables for BI tools: the
// files under /export/ (CSV or NDJSON) and, through server/odata, the
// OData feed. Both read the same data sets defined here, each a SQL query
// with named, typed columns, so a column means the same in every form.
// Maturity figures are worked out in SQL from the derived tables by the
// rules of server/scoring, as the GraphQL API works them out in Go; tests
// hold the two equal.
package export

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"unicode"

	"dpcma/server/database"
	"dpcma/server/scoring"

	"entgo.io/ent/dialect"
)

// Kind is a column's type.
type Kind int

// The kinds of column.
const (
	String Kind = iota
	Int
	Float
	Bool
	DateTime
)

// Column is one column of a data set.
type Column struct {
	// Name is the CSV header and NDJSON key, in snake case; OData uses
	// ODataName.
	Name string
	Kind Kind
	// Nullable says whether the column may be empty.
	Nullable bool
	// Doc says what the column holds, for $metadata and the docs.
	Doc string
	// expr is the column's SQL over the set's FROM clause.
	expr string
}

// ODataName is the column's OData property name: Name in Pascal case
// (ods_code → OdsCode).
func (c Column) ODataName() string {
	var b strings.Builder
	for _, part := range strings.Split(c.Name, "_") {
		if part == "" {
			continue
		}
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String()
}

// Expr is the column's SQL expression.
func (c Column) Expr() string { return c.expr }

// Set is a data set: a table of typed columns from one SQL query.
type Set struct {
	// Name is the file name (practices) and EntitySet its OData name
	// (Practices).
	Name, EntitySet, EntityType string
	Columns                     []Column
	// Key names the columns that identify a row; rows come in key order.
	Key []string
	// Params are the export query parameters the set accepts.
	Params []string
	// from builds the FROM clause; domain is the maturity domain ("" for
	// all).
	from func(b *Builder, domain string) string
}

// Column returns the column named name (snake case), or false.
func (s *Set) Column(name string) (Column, bool) {
	for _, c := range s.Columns {
		if c.Name == name {
			return c, true
		}
	}
	return Column{}, false
}

// ODataColumn returns the column of an OData property name, or false.
func (s *Set) ODataColumn(name string) (Column, bool) {
	for _, c := range s.Columns {
		if c.ODataName() == name {
			return c, true
		}
	}
	return Column{}, false
}

// Builder assembles a statement with its arguments in the dialect's
// placeholder style.
type Builder struct {
	dialect string
	args    []any
}

// NewBuilder returns a builder for dialect (dialect.SQLite or
// dialect.Postgres).
func NewBuilder(d string) *Builder { return &Builder{dialect: d} }

// Arg adds an argument and returns its placeholder.
func (b *Builder) Arg(v any) string {
	b.args = append(b.args, v)
	if b.dialect == dialect.Postgres {
		return "$" + strconv.Itoa(len(b.args))
	}
	return "?"
}

// Args returns the arguments in placeholder order.
func (b *Builder) Args() []any { return b.args }

// Cond is an SQL condition over a set's columns, its arguments added
// through b.
type Cond func(b *Builder) string

// Query is a statement over a set.
type Query struct {
	Set     *Set
	Domain  string
	Columns []Column // selected, in order
	Where   []Cond   // ANDed
	OrderBy []string // SQL order terms; the key is appended
	Limit   int      // 0: no limit
	Offset  int
}

// SQL returns the statement; its arguments are b's.
func (q *Query) SQL(b *Builder) string {
	from := q.Set.from(b, q.Domain)
	var sb strings.Builder
	sb.WriteString("SELECT ")
	for i, c := range q.Columns {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString(c.expr)
	}
	sb.WriteString(" FROM ")
	sb.WriteString(from)
	q.tail(b, &sb, true)
	return sb.String()
}

// CountSQL returns a statement counting the rows the query's conditions
// leave, whatever its order and limits.
func (q *Query) CountSQL(b *Builder) string {
	var sb strings.Builder
	sb.WriteString("SELECT COUNT(*) FROM ")
	sb.WriteString(q.Set.from(b, q.Domain))
	q.tail(b, &sb, false)
	return sb.String()
}

func (q *Query) tail(b *Builder, sb *strings.Builder, ordered bool) {
	if len(q.Where) > 0 {
		sb.WriteString(" WHERE ")
		for i, w := range q.Where {
			if i > 0 {
				sb.WriteString(" AND ")
			}
			sb.WriteString("(" + w(b) + ")")
		}
	}
	if !ordered {
		return
	}
	order := append([]string(nil), q.OrderBy...)
	for _, k := range q.Set.Key {
		c, _ := q.Set.Column(k)
		order = append(order, c.expr)
	}
	sb.WriteString(" ORDER BY " + strings.Join(order, ", "))
	if q.Limit > 0 {
		fmt.Fprintf(sb, " LIMIT %d", q.Limit)
	}
	if q.Offset > 0 {
		if q.Limit <= 0 {
			sb.WriteString(" LIMIT -1") // SQLite needs a LIMIT before OFFSET
		}
		fmt.Fprintf(sb, " OFFSET %d", q.Offset)
	}
}

// Catalogue is what the sets depend on in the data: the domains (one
// maturity column each) and the periods, organisations and indicators
// that parameters name.
type Catalogue struct {
	Domains    []string
	Periods    []string          // codes, oldest first
	Orgs       map[string]string // ODS code → tier
	Indicators []string          // codes
}

// Catalogues keeps the catalogue of the latest data revision: every
// export and every OData page needs it, and it changes only with the data
// (each change moves the revision on). The zero value is ready to use.
type Catalogues struct {
	mu  sync.Mutex
	rev int64
	cat *Catalogue
}

// Load returns the catalogue with the data revision read before it, from
// memory while the revision is the one it was read at. A catalogue is
// never changed once read, so callers share it.
func (c *Catalogues) Load(ctx context.Context, db *database.DB) (*Catalogue, int64, error) {
	rev, err := Revision(ctx, db)
	if err != nil {
		return nil, 0, err
	}
	c.mu.Lock()
	cat := c.cat
	if c.rev != rev {
		cat = nil
	}
	c.mu.Unlock()
	if cat != nil {
		return cat, rev, nil
	}
	if cat, err = loadCatalogue(ctx, db); err != nil {
		return nil, 0, err
	}
	c.mu.Lock()
	if c.cat == nil || rev >= c.rev {
		c.rev, c.cat = rev, cat
	}
	c.mu.Unlock()
	return cat, rev, nil
}

// loadCatalogue reads the catalogue from the database.
func loadCatalogue(ctx context.Context, db *database.DB) (*Catalogue, error) {
	c := &Catalogue{Orgs: map[string]string{}}
	var err error
	if c.Domains, err = strings1(ctx, db, "SELECT DISTINCT domain FROM indicators ORDER BY domain"); err != nil {
		return nil, err
	}
	if c.Periods, err = strings1(ctx, db, "SELECT code FROM assessment_periods ORDER BY opens_on"); err != nil {
		return nil, err
	}
	if c.Indicators, err = strings1(ctx, db, "SELECT code FROM indicators ORDER BY code"); err != nil {
		return nil, err
	}
	rows, err := db.SQL.QueryContext(ctx, "SELECT ods_code, tier FROM organisations")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var code, tier string
		if err := rows.Scan(&code, &tier); err != nil {
			return nil, err
		}
		c.Orgs[code] = tier
	}
	return c, rows.Err()
}

func strings1(ctx context.Context, db *database.DB, query string) ([]string, error) {
	rows, err := db.SQL.QueryContext(ctx, query)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// Revision reads the data revision (see ent/schema DataRevision).
func Revision(ctx context.Context, db *database.DB) (int64, error) {
	var rev int64
	err := db.SQL.QueryRowContext(ctx, "SELECT COALESCE(MAX(revision), 0) FROM data_revisions").Scan(&rev)
	return rev, err
}

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
	Params: []string{"tier", "org"},
	Columns: append([]Column{
		col("ods_code", String, false, "o.ods_code", "ODS code (ONS code for an STP, ENG for England)."),
		col("name", String, false, "o.name", "Name."),
		col("tier", String, false, "o.tier", "NATIONAL, REGION, STP or CCG."),
		col("parent_code", String, true, "p1.ods_code", "The organisation one tier above; empty for England."),
		col("local_office", String, true, "o.local_office", "NHS England local office (Qxx) of a CCG."),
		col("postcode", String, true, "o.postcode", "Headquarters postcode, when known."),
	}, chain("reg", "stp", "ccg")...),
	from: func(*Builder, string) string { return "organisations o" + orgChainJoins },
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
		col("clinical_system", String, false, "p.clinical_system", "Principal clinical system."),
		col("local_office", String, false, "p.local_office", "NHS England local office (Qxx)."),
	}, chain("reg", "stp", "ccg")...),
	from: func(*Builder, string) string {
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
	from: func(*Builder, string) string {
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
			col("domain", String, false, "m.domain", "The domain the figures are restricted to; empty for all."),
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
	s.from = func(b *Builder, domain string) string { return maturityFrom(b, domain, domains) }
	return s
}

// maturityFrom is the maturity of every organisation (from org_rollups,
// by scoring.Rollup's rules) and practice (from practice_scores) in every
// period; a missing derived row gives what the API gives for it.
func maturityFrom(b *Builder, domain string, domains []string) string {
	orgScore := scoring.MeanSQL("r.score_sum", "r.responded_count")
	orgLevel := scoring.LevelSQL(orgScore, func(s scoring.Subset) string {
		return scoring.MeanSQL("r."+s.Name()+"_sum", "r."+s.Name()+"_count")
	})
	var sb strings.Builder
	sb.WriteString("(SELECT ap.code AS period, o.ods_code AS code, o.name AS name, o.tier AS tier,")
	sb.WriteString(" reg.ods_code AS region_code, reg.name AS region_name, stp.ods_code AS stp_code, stp.name AS stp_name, ccg.ods_code AS ccg_code, ccg.name AS ccg_name,")
	fmt.Fprintf(&sb, " CAST(%s AS TEXT) AS domain,", b.Arg(domain))
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
	fmt.Fprintf(&sb, " CAST(%s AS TEXT), ps.score, ps.level, %s, COALESCE(ps.completion, 0), 1,", b.Arg(domain), scoring.LevelNameSQL("ps.level"))
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
