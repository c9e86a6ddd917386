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
		field.String("title").NotEmpty().Annotations(entgql.OrderField("TITLE")),
		field.String("description").Default(""),
		field.String("domain").
			NotEmpty().
			Comment("One of the seven maturity domains, e.g. Patient online.").
			Annotations(entgql.OrderField("DOMAIN")),
		field.Enum("category").
			Values("CORE", "MANDATED", "ENHANCED", "TRANSFORMATIONAL").
			Comment("GP IT Operating Model service category.").
			Annotations(entgql.Type("ServiceCategory"), entgql.OrderField("CATEGORY")),
		field.Enum("answer_type").
			Values("BOOL", "PCT", "ORD", "CHOICE").
			Annotations(entgql.Type("AnswerType")),
		field.Float("target").
			Optional().Nillable().
			Comment("Target value: a percentage for PCT, a step for ORD; null for BOOL (yes) and CHOICE."),
		field.Int("max_step").
			Optional().Nillable().
			Comment("Highest step of an ORD indicator."),
		field.Strings("choices").
			Optional().
			// text, not jsonb: lib/pq's binary parameters would send the
			// JSON bytes without jsonb's binary version header.
			SchemaType(map[string]string{dialect.Postgres: "text"}).
			Comment("Allowed values of a CHOICE indicator."),
		field.Int("weight").
			Positive().
			Comment("Weight in the practice score (core and mandated 3, enhanced 2, transformational 1).").
			Annotations(entgql.OrderField("WEIGHT")),
		field.Enum("respondent").
			Values("PRACTICE", "CCG").
			Comment("Who answers: each practice, or the CCG once for all its practices.").
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
