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

// RequirementSet is a named list of requirements a practice is checked
// against: the GP IT Operating Model's core services or a year's GP
// contract duties (docs/domain.md, "Requirement sets and compliance").
// Held as data so that an ADMIN can add next year's contract without a
// release. Served by hand-written GraphQL (schema/compliance.graphql).
type RequirementSet struct {
	ent.Schema
}

// Fields of the RequirementSet.
func (RequirementSet) Fields() []ent.Field {
	return []ent.Field{
		field.String("code").NotEmpty().Unique().Immutable().
			Comment("Set code, e.g. GMS-2017-18."),
		field.String("name").NotEmpty().
			Comment("Readable name, e.g. GP contract digital requirements 2017/18."),
		field.String("applies_from").NotEmpty().
			Comment("Code of the half-year period from which the set is in force, e.g. 2017-18-H1."),
	}
}

// Edges of the RequirementSet.
func (RequirementSet) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("requirements", Requirement.Type).
			Annotations(entsql.OnDelete(entsql.Cascade)),
	}
}

// Annotations of the RequirementSet.
func (RequirementSet) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}

// Requirement is one indicator of a set with its rule: "yes" for a BOOL
// indicator, ">= minimum" for a PCT value or an ORD step.
type Requirement struct {
	ent.Schema
}

// Fields of the Requirement.
func (Requirement) Fields() []ent.Field {
	return []ent.Field{
		field.Int("set_id"),
		field.Int("indicator_id"),
		field.Float("minimum").
			Comment("The least numeric answer that meets the rule: 1 (yes) for a BOOL indicator, N of >= N otherwise."),
	}
}

// Edges of the Requirement.
func (Requirement) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("set", RequirementSet.Type).Ref("requirements").Field("set_id").Unique().Required(),
		edge.From("indicator", Indicator.Type).Ref("requirements").Field("indicator_id").Unique().Required(),
	}
}

// Indexes of the Requirement: an indicator appears once in a set.
func (Requirement) Indexes() []ent.Index {
	return []ent.Index{index.Fields("set_id", "indicator_id").Unique()}
}

// Annotations of the Requirement.
func (Requirement) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}
