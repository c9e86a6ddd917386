package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
)

// AssessmentPeriod is a half-year in which answers are collected.
type AssessmentPeriod struct {
	ent.Schema
}

// Fields of the AssessmentPeriod.
func (AssessmentPeriod) Fields() []ent.Field {
	return []ent.Field{
		field.String("code").
			NotEmpty().Unique().Immutable().
			Comment("Period code, e.g. 2016-17-H1.").
			Annotations(entgql.OrderField("CODE")),
		field.String("name").
			NotEmpty().
			Comment("Readable name, e.g. 2016/17 second half (Oct 2016-Mar 2017)."),
		field.Time("opens_on").
			Comment("First day of the period.").
			Annotations(entgql.Type("Date"), entgql.OrderField("OPENS_ON")),
		field.Time("closes_on").
			Comment("Last day of the period.").
			Annotations(entgql.Type("Date")),
		field.Enum("status").
			Values("OPEN", "CLOSED").
			Default("CLOSED").
			Comment("OPEN for the period in which answers are being collected, CLOSED once they are final.").
			Annotations(entgql.Type("PeriodStatus")),
	}
}

// Edges of the AssessmentPeriod.
func (AssessmentPeriod) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("responses", Response.Type).Annotations(entgql.Skip()),
	}
}

// Annotations of the AssessmentPeriod.
func (AssessmentPeriod) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.RelayConnection(),
		entgql.QueryField("periods").Description("Assessment periods, oldest first by default."),
		entgql.MultiOrder(),
		entityKey("code"),
	}
}
