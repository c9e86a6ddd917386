package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// The schemas below hold derived data: the scoring model of
// docs/domain.md §5 computed ahead of time so that maturity at any tier is
// a lookup, not an aggregation over millions of answers. The seed rebuilds
// them (server/rollup) in the transaction that loads the answers; anything
// that later changes answers must keep them exact in its own transaction.
// They are not part of the GraphQL schema.

// AllDomains is the domain value of rows that cover every domain.
const AllDomains = ""

// PracticeScore is one practice's figures for one period, over all domains
// (domain "") or restricted to one domain.
type PracticeScore struct {
	ent.Schema
}

// Fields of the PracticeScore.
func (PracticeScore) Fields() []ent.Field {
	return []ent.Field{
		field.Int("practice_id"),
		field.Int("period_id"),
		field.String("domain").Default(AllDomains),
		field.Int("answered").Comment("Applicable answers given, CCG-level answers included."),
		field.Int("applicable").Comment("Indicators in scope less those answered not applicable."),
		field.Float("completion").Comment("answered / applicable."),
		field.Float("weighted_sum").Comment("Σ weight × response score over scored answers."),
		field.Float("weight_sum").Comment("Σ weight over scored answers."),
		field.Float("score").Optional().Nillable().Comment("100 × weighted_sum / weight_sum."),
		field.Int("level").Optional().Nillable(),
		field.Float("core_score").Optional().Nillable(),
		field.Float("mandated_score").Optional().Nillable(),
		field.Float("core_mandated_score").Optional().Nillable(),
		field.Float("enhanced_score").Optional().Nillable(),
		field.Float("transformational_score").Optional().Nillable(),
		field.Int("list_size").Comment("The practice's list size, copied for patient-weighted means."),
		// A copy of the domain rows' scores on the all-domains row, so that
		// a Maturity page reads a practice's figures in one index probe,
		// not by folding its eight rows (server/dataset). Kept on
		// PostgreSQL only, the one database whose pages read it.
		field.String("domain_scores").Optional().Nillable().
			SchemaType(map[string]string{dialect.Postgres: "double precision[]"}).
			Comment("On the all-domains row (PostgreSQL): the score in each domain, in the order of the domains' names; NULL elsewhere."),
	}
}

// Indexes of the PracticeScore.
func (PracticeScore) Indexes() []ent.Index {
	return []ent.Index{
		// The figures a Maturity page shows are in the index (PostgreSQL's
		// INCLUDE): the page reads a practice's domain rows from the
		// index alone, not from eight scattered heap pages.
		index.Fields("practice_id", "period_id", "domain").Unique().
			Annotations(entsql.IncludeColumns("score", "level", "completion", "domain_scores")),
		index.Fields("period_id", "domain"),
	}
}

// Annotations of the PracticeScore.
func (PracticeScore) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}

// OrgRollup sums the practice scores beneath one organisation for one
// period and domain. Only sums and counts are stored, so a change to one
// practice updates every ancestor by a delta; means are derived on read.
type OrgRollup struct {
	ent.Schema
}

// Fields of the OrgRollup.
func (OrgRollup) Fields() []ent.Field {
	sumAndCount := func(name string) []ent.Field {
		return []ent.Field{field.Float(name + "_sum").Default(0), field.Int(name + "_count").Default(0)}
	}
	fields := []ent.Field{
		field.Int("org_id"),
		field.Int("period_id"),
		field.String("domain").Default(AllDomains),
		field.Int("practice_count").Default(0).Comment("All practices beneath, answered or not."),
		field.Int("responded_count").Default(0).Comment("Practices with a score."),
		field.Float("score_sum").Default(0),
		field.Float("weighted_score_sum").Default(0).Comment("Σ score × list size."),
		field.Float("patients").Default(0).Comment("Σ list size of responded practices."),
		field.Float("completion_sum").Default(0),
		field.Int("level1").Default(0),
		field.Int("level2").Default(0),
		field.Int("level3").Default(0),
		field.Int("level4").Default(0),
		field.Int("level5").Default(0),
	}
	for _, c := range []string{"core", "mandated", "core_mandated", "enhanced", "transformational"} {
		fields = append(fields, sumAndCount(c)...)
	}
	return fields
}

// Indexes of the OrgRollup.
func (OrgRollup) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("org_id", "period_id", "domain").Unique(),
		index.Fields("period_id", "domain"),
	}
}

// Annotations of the OrgRollup.
func (OrgRollup) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}

// OrgIndicatorRollup sums, for one organisation, period and indicator
// with a target, how the answers beneath it stand against the target and
// what meeting it everywhere would bring: the material of its investment
// priorities and of its peers' shares (docs/domain.md §10.1). Every column
// is a sum over the counting practices beneath (or over its CCGs, for the
// counts of a CCG-level indicator), so a write changes it by a delta.
type OrgIndicatorRollup struct {
	ent.Schema
}

// Fields of the OrgIndicatorRollup.
func (OrgIndicatorRollup) Fields() []ent.Field {
	return []ent.Field{
		field.Int("org_id"),
		field.Int("period_id"),
		field.Int("indicator_id"),
		field.Int("short_count").Default(0).Comment("Practices (CCGs for a CCG-level indicator) whose scored answer misses the target."),
		field.Int("unanswered_count").Default(0).Comment("Practices (CCGs) with no answer."),
		field.Int("patients_affected").Default(0).Comment("Σ list size of the practices a short answer counts for."),
		field.Float("gain_sum").Default(0).Comment("Σ change in those practices' overall scores if the answers met the target."),
		field.Int("level_ups").Default(0).Comment("Those practices whose overall level would rise."),
		field.Float("domain_gain_sum").Default(0).Comment("gain_sum in the indicator's domain's scores."),
		field.Int("domain_level_ups").Default(0).Comment("level_ups in the indicator's domain."),
		field.Int("meeting_count").Default(0).Comment("Scored answers meeting the target (a CCG-level one counts for its CCG and the organisations above it)."),
		field.Int("scored_count").Default(0).Comment("Scored answers."),
	}
}

// Indexes of the OrgIndicatorRollup.
func (OrgIndicatorRollup) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("org_id", "period_id", "indicator_id").Unique(),
	}
}

// Annotations of the OrgIndicatorRollup.
func (OrgIndicatorRollup) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}

// OrgComplianceRollup counts, for one organisation, period, requirement
// set and contract type, the counting practices beneath it and how they
// stand against the set (docs/domain.md, "Requirement sets and
// compliance"). Every column is a count of practices, so a write changes
// it by a delta; the figures of Organisation.compliance, the compliance
// export and the Compliance feed are read from it.
type OrgComplianceRollup struct {
	ent.Schema
}

// Fields of the OrgComplianceRollup.
func (OrgComplianceRollup) Fields() []ent.Field {
	return []ent.Field{
		field.Int("org_id"),
		field.Int("period_id"),
		field.Int("set_id"),
		field.String("contract_type").Default("").Comment("GMS, PMS or APMS; empty for practices whose contract type is unknown."),
		field.Int("practice_count").Default(0).Comment("Counting practices of the contract type beneath the organisation."),
		field.Int("met_count").Default(0).Comment("Those meeting every requirement of the set."),
		field.Int("unknown_count").Default(0).Comment("Those failing none but leaving one unanswered."),
	}
}

// Indexes of the OrgComplianceRollup: a set's figures in a period are
// read for a list of organisations.
func (OrgComplianceRollup) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("set_id", "period_id", "org_id", "contract_type").Unique(),
	}
}

// Annotations of the OrgComplianceRollup.
func (OrgComplianceRollup) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}

// OrgRequirementRollup counts, for one organisation, period and
// requirement of a set, the counting practices beneath it that answered
// the requirement's indicator (their own answer, or their CCG's for a
// CCG-level indicator) and those meeting its rule.
type OrgRequirementRollup struct {
	ent.Schema
}

// Fields of the OrgRequirementRollup.
func (OrgRequirementRollup) Fields() []ent.Field {
	return []ent.Field{
		field.Int("org_id"),
		field.Int("period_id"),
		field.Int("set_id"),
		field.Int("indicator_id"),
		field.Int("met_count").Default(0).Comment("Practices meeting the rule (not applicable counts as met)."),
		field.Int("answered_count").Default(0).Comment("Practices with an answer, not applicable included."),
	}
}

// Indexes of the OrgRequirementRollup.
func (OrgRequirementRollup) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("set_id", "period_id", "org_id", "indicator_id").Unique(),
	}
}

// Annotations of the OrgRequirementRollup.
func (OrgRequirementRollup) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}

// DataRevision holds one number that every change to answers, the
// catalogue or the hierarchy increases in the same transaction (today the
// seed, through rollup.Rebuild). Servers
// keep the small, slowly changing tables (periods, domains, the tier tree,
// organisation roll-ups) in memory and re-read them when it moves, so a
// request checks one integer instead of reloading them.
type DataRevision struct {
	ent.Schema
}

// Fields of the DataRevision.
func (DataRevision) Fields() []ent.Field {
	return []ent.Field{field.Int64("revision").Default(0)}
}

// Annotations of the DataRevision.
func (DataRevision) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}
