package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Response is one answer to one indicator for one period, given either by
// a practice or, for CCG-level indicators, by a CCG.
type Response struct {
	ent.Schema
}

// Fields of the Response.
func (Response) Fields() []ent.Field {
	return []ent.Field{
		field.Int("practice_id").Optional().Nillable().Annotations(entgql.Skip()),
		field.Int("organisation_id").Optional().Nillable().Annotations(entgql.Skip()),
		field.Int("indicator_id").Annotations(entgql.Skip()),
		field.Int("period_id").Annotations(entgql.Skip()),
		field.String("value").
			Optional().Nillable().
			Comment("The answer in canonical form (yes/no, 73.5, 2, EMIS Web); null when not applicable."),
		field.Float("numeric_value").
			Optional().Nillable().
			Comment("The answer as a number (yes 1, no 0, a percentage, a step); null for CHOICE and not applicable."),
		field.Bool("not_applicable").
			Default(false).
			Comment("The indicator does not apply; excluded from scores and completion."),
		field.Float("score").
			Optional().Nillable().
			Comment("Response score from 0 to 1: BOOL yes 1, no 0; PCT value / target, at most 1; ORD step / maxStep. Null when unscored (CHOICE) or not applicable.").
			Annotations(entgql.OrderField("SCORE")),
		field.Time("submitted_at").
			Comment("When the answer was submitted.").
			Annotations(entgql.OrderField("SUBMITTED_AT")),
		field.String("submitted_by").
			Default("").
			Comment("Who submitted the answer: an email address, or the loader that wrote it (import:demo for the demo data)."),
	}
}

// Edges of the Response.
func (Response) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("practice", Practice.Type).
			Ref("responses").Field("practice_id").Unique().
			Comment("The answering practice; null for a CCG-level answer."),
		edge.From("organisation", Organisation.Type).
			Ref("responses").Field("organisation_id").Unique().
			Comment("The answering CCG for a CCG-level answer; null for a practice answer."),
		edge.From("indicator", Indicator.Type).
			Ref("responses").Field("indicator_id").Unique().Required().
			Comment("The indicator answered."),
		edge.From("period", AssessmentPeriod.Type).
			Ref("responses").Field("period_id").Unique().Required().
			Comment("The period the answer is for."),
	}
}

// Indexes of the Response: one answer per subject, period and indicator.
func (Response) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("practice_id", "period_id", "indicator_id").
			Unique().
			Annotations(entsql.IndexWhere("practice_id IS NOT NULL")),
		index.Fields("organisation_id", "period_id", "indicator_id").
			Unique().
			Annotations(entsql.IndexWhere("organisation_id IS NOT NULL")),
		index.Fields("period_id", "indicator_id"),
	}
}

// Annotations of the Response.
func (Response) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.RelayConnection(),
		entgql.MultiOrder(),
		entsql.Checks(map[string]string{
			"response_one_subject": "((practice_id IS NULL) <> (organisation_id IS NULL))",
		}),
	}
}
