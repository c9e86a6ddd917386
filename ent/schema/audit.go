package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// AuditEvent records one accepted change: who, when, through what, and
// the value before and after. Answers, periods, indicators, requirement
// sets, roles and tokens are audited; rows are only ever added.
type AuditEvent struct {
	ent.Schema
}

// Fields of the AuditEvent.
func (AuditEvent) Fields() []ent.Field {
	return []ent.Field{
		field.Time("at").Immutable().
			Comment("When the change was made.").
			Annotations(entgql.OrderField("AT")),
		field.String("actor").Immutable().
			Comment("Who made it: an email address, or the import or command that did (import:pomi, cli)."),
		field.Enum("source").Values("API", "IMPORT", "CLI").Immutable().
			Comment("Through what the change came: the GraphQL API, a bulk import or an operator command.").
			Annotations(entgql.Type("AuditSource")),
		field.String("action").Immutable().
			Comment("What changed: answer.set, answer.removed, period.opened, period.closed, period.created, indicator.created, indicator.updated, requirementset.created, requirementset.updated, requirementset.deleted, role.granted, role.revoked, token.created, token.revoked, account.registered, account.confirmed."),
		field.Int("response_id").Optional().Nillable().Immutable().Annotations(entgql.Skip()),
		field.Int("practice_id").Optional().Nillable().Immutable().Annotations(entgql.Skip()),
		field.Int("organisation_id").Optional().Nillable().Immutable().Annotations(entgql.Skip()),
		field.Int("indicator_id").Optional().Nillable().Immutable().Annotations(entgql.Skip()),
		field.Int("period_id").Optional().Nillable().Immutable().Annotations(entgql.Skip()),
		field.String("subject").Default("").Immutable().
			Comment("The ODS code or code of what changed (a practice, CCG, indicator, period, requirement set or account)."),
		field.String("old_value").Optional().Nillable().Immutable().
			Comment("The value before the change; null when there was none."),
		field.String("new_value").Optional().Nillable().Immutable().
			Comment("The value after the change; null when it was removed."),
	}
}

// Indexes of the AuditEvent.
func (AuditEvent) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("response_id"),
		index.Fields("at"),
	}
}

// Annotations of the AuditEvent.
func (AuditEvent) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.RelayConnection(),
		entgql.MultiOrder(),
	}
}

// RegionalPeriodStatus opens or closes a period for the practices and CCGs
// of one region, overriding the period's national status there.
type RegionalPeriodStatus struct {
	ent.Schema
}

// Fields of the RegionalPeriodStatus.
func (RegionalPeriodStatus) Fields() []ent.Field {
	return []ent.Field{
		field.Int("period_id"),
		field.Int("region_id"),
		field.Enum("status").Values("OPEN", "CLOSED"),
	}
}

// Indexes of the RegionalPeriodStatus.
func (RegionalPeriodStatus) Indexes() []ent.Index {
	return []ent.Index{index.Fields("period_id", "region_id").Unique()}
}

// Annotations of the RegionalPeriodStatus.
func (RegionalPeriodStatus) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}
