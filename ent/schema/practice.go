package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Practice is a GP practice, commissioned by one CCG.
type Practice struct {
	ent.Schema
}

// Fields of the Practice.
func (Practice) Fields() []ent.Field {
	return []ent.Field{
		field.String("ods_code").
			NotEmpty().Unique().Immutable().
			Comment("ODS practice code, e.g. A81001.").
			Annotations(entgql.OrderField("ODS_CODE")),
		field.String("name").
			NotEmpty().
			Comment("Practice name in readable case.").
			Annotations(entgql.OrderField("NAME")),
		field.String("postcode").
			Default("").
			Comment("Postcode of the practice's registered address.").
			Annotations(entgql.OrderField("POSTCODE")),
		field.Int("list_size").
			NonNegative().Default(0).
			Comment("Registered patients (NHS Digital, January-March 2016).").
			Annotations(entgql.OrderField("LIST_SIZE")),
		field.String("clinical_system").
			Default("").
			Comment("Principal clinical system: EMIS Web, SystmOne, Vision or Evolution; empty when unknown (GraphQL: null, schema/hierarchy.graphql).").
			Annotations(entgql.OrderField("CLINICAL_SYSTEM"), entgql.Skip(entgql.SkipType)),
		field.String("local_office").
			Default("").
			Comment("NHS England local office (Qxx)."),
		field.Enum("status").
			Values("ACTIVE", "CLOSED").Default("ACTIVE").
			Comment("ACTIVE, or CLOSED: closed or left England by the last ODS import. A closed practice keeps its answers and scores but counts in no organisation's figures.").
			Annotations(entgql.Type("PracticeStatus")),
		field.Enum("contract_type").
			Values("GMS", "PMS", "APMS").Optional().Nillable().
			Comment("GP contract: GMS, PMS or APMS (NHS Payments to General Practice 2016/17); null when unknown.").
			Annotations(entgql.Type("ContractType")),
		field.Bool("dispensing").
			Optional().Nillable().
			Comment("Whether the practice dispenses medicines to its patients (NHS Payments to General Practice 2016/17); null when unknown."),
		field.String("rurality").
			Optional().Nillable().
			Comment("Urban or Rural, as in NHS Payments to General Practice 2016/17; null when unknown."),
		field.Float("weighted_patients").
			Optional().Nillable().
			Comment("Weighted list size (the global sum formula's need-weighted patients), last known figure of NHS Payments to General Practice 2016/17; null when unknown.").
			Annotations(entgql.Skip(entgql.SkipWhereInput)),
		field.Int("ccg_id").Annotations(entgql.Skip()),
		field.Int("stp_id").Optional().Nillable().Annotations(entgql.Skip()),
		field.Int("region_id").Annotations(entgql.Skip()),
	}
}

// Edges of the Practice.
func (Practice) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("ccg", Organisation.Type).
			Ref("ccg_practices").Field("ccg_id").Unique().Required().
			Comment("The commissioning CCG."),
		edge.From("stp", Organisation.Type).
			Ref("stp_practices").Field("stp_id").Unique().
			Annotations(entgql.Skip()),
		edge.From("region", Organisation.Type).
			Ref("region_practices").Field("region_id").Unique().Required().
			Annotations(entgql.Skip()),
		edge.To("responses", Response.Type).Annotations(entgql.Skip()),
	}
}

// Indexes of the Practice.
func (Practice) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("ccg_id", "ods_code"),
		index.Fields("stp_id", "ods_code"),
		index.Fields("region_id", "ods_code"),
		index.Fields("clinical_system"),
		index.Fields("status"),
		index.Fields("list_size"),
		index.Fields("name"),
	}
}

// Annotations of the Practice.
func (Practice) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.RelayConnection(),
		entgql.QueryField("practices").Description("GP practices of England, filterable and ordered."),
		entgql.MultiOrder(),
		entityKey("odsCode"),
	}
}
