package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Organisation is a node of the commissioning hierarchy: England, a
// region, an STP footprint or a CCG. Practices hang below CCGs.
type Organisation struct {
	ent.Schema
}

// Fields of the Organisation.
func (Organisation) Fields() []ent.Field {
	return []ent.Field{
		field.String("ods_code").
			NotEmpty().Unique().Immutable().
			Comment("ODS code, or the ONS code of an STP, or ENG for England: ENG, Y54, E54000007, 00C.").
			Annotations(entgql.OrderField("ODS_CODE")),
		field.String("name").
			NotEmpty().
			Comment("Official name in readable case.").
			Annotations(entgql.OrderField("NAME")),
		field.Enum("tier").
			Values("NATIONAL", "REGION", "STP", "CCG").
			Comment("Tier in the hierarchy: NATIONAL, REGION, STP or CCG.").
			Annotations(entgql.Type("Tier"), entgql.OrderField("TIER")),
		field.String("local_office").
			Optional().
			Comment("NHS England local office (Qxx) of a CCG; local offices are an attribute, not a tier."),
		field.String("postcode").
			Optional().
			Comment("Headquarters postcode, when known."),
		field.Enum("status").
			Values("OPEN", "CLOSED").Default("OPEN").
			Comment("OPEN, or CLOSED: absent from the last ODS release imported. A closed organisation keeps its parent, answers and past periods' figures, and drops out of the current roll-ups and of lists unless a where asks for it.").
			Annotations(entgql.Type("OrganisationStatus")),
		field.Int("parent_id").
			Optional().Nillable().
			Annotations(entgql.Skip()),
	}
}

// Edges of the Organisation.
func (Organisation) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("children", Organisation.Type).
			Comment("Organisations one tier below.").
			Annotations(entgql.RelayConnection()).
			From("parent").
			Unique().
			Field("parent_id").
			Comment("Organisation one tier above; null for England."),
		// The practice links are denormalised so that "all practices
		// beneath any tier" is one indexed lookup; GraphQL exposes them
		// through the hand-written Organisation.practices field.
		edge.To("ccg_practices", Practice.Type).Annotations(entgql.Skip()),
		edge.To("stp_practices", Practice.Type).Annotations(entgql.Skip()),
		edge.To("region_practices", Practice.Type).Annotations(entgql.Skip()),
		edge.To("responses", Response.Type).Annotations(entgql.Skip()),
	}
}

// Indexes of the Organisation.
func (Organisation) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("tier", "name"),
		index.Fields("parent_id"),
	}
}

// Annotations of the Organisation.
func (Organisation) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.RelayConnection(),
		entgql.QueryField("organisations").Description("Organisations of every tier, filterable by tier and name. Closed organisations are left out unless where names status (where: {status: CLOSED})."),
		entgql.MultiOrder(),
		entityKey("odsCode"),
	}
}
