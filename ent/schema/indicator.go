package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Indicator is one question of the maturity catalogue.
type Indicator struct {
	ent.Schema
}

// Fields of the Indicator.
func (Indicator) Fields() []ent.Field {
	return []ent.Field{
		field.String("code").
			NotEmpty().Unique().Immutable().
			Comment("Catalogue code, e.g. PO01.").
			Annotations(entgql.OrderField("CODE")),
		field.String("title").
			NotEmpty().
			Comment("Short title, e.g. Online appointment booking enabled.").
			Annotations(entgql.OrderField("TITLE")),
		field.String("description").
			Default("").
			Comment("What the indicator asks, in a sentence or two."),
		field.String("domain").
			NotEmpty().
			Comment("One of the seven maturity domains: Patient online, Records & interoperability, Clinical systems, Infrastructure, Information governance, GP IT service, Business intelligence.").
			Annotations(entgql.OrderField("DOMAIN")),
		field.Enum("category").
			Values("CORE", "MANDATED", "ENHANCED", "TRANSFORMATIONAL").
			Comment("GP IT Operating Model service category; it sets the weight.").
			Annotations(entgql.Type("ServiceCategory"), entgql.OrderField("CATEGORY")),
		field.Enum("answer_type").
			Values("BOOL", "PCT", "ORD", "CHOICE").
			Comment("How the indicator is answered and scored.").
			Annotations(entgql.Type("AnswerType")),
		field.Float("target").
			Optional().Nillable().
			Comment("Target: for PCT the percentage from which an answer scores 1 (an answer scores value / target, at most 1); for ORD the target step (an answer still scores step / maxStep); null for BOOL (the target is yes) and CHOICE (not scored)."),
		field.Int("max_step").
			Optional().Nillable().
			Comment("Highest step of an ORD indicator (steps run from 0); null for other types."),
		field.Strings("choices").
			Optional().
			// text, not jsonb: lib/pq's binary parameters would send the
			// JSON bytes without jsonb's binary version header.
			SchemaType(map[string]string{dialect.Postgres: "text"}).
			Comment("Allowed values of a CHOICE indicator; null for other types."),
		field.Int("weight").
			Positive().
			Comment("Weight in the practice score, set by the category: core and mandated 3, enhanced 2, transformational 1.").
			Annotations(entgql.OrderField("WEIGHT")),
		field.Enum("respondent").
			Values("PRACTICE", "CCG").
			Comment("Who answers: each practice, or the CCG once for all its practices (the answer then counts for each of them).").
			Annotations(entgql.Type("Respondent")),
		field.String("source").
			Default("").
			Comment("Where the indicator comes from (data source or contract reference)."),
	}
}

// Edges of the Indicator.
func (Indicator) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("responses", Response.Type).Annotations(entgql.Skip()),
		edge.To("requirements", Requirement.Type).Annotations(entgql.Skip()),
	}
}

// Indexes of the Indicator.
func (Indicator) Indexes() []ent.Index {
	return []ent.Index{index.Fields("domain")}
}

// Annotations of the Indicator.
func (Indicator) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.RelayConnection(),
		entgql.QueryField("indicators").Description("The indicator catalogue."),
		entgql.MultiOrder(),
		entityKey("code"),
	}
}
