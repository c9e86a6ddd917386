package schema

import (
	"time"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Roles, lowest first. Every account may read; the others write within a
// scope (see server/access).
var roles = []string{"VIEWER", "PRACTICE", "CCG", "REGION", "ADMIN"}

// Account is a person known by an email address. Registering makes a
// PENDING account that the emailed link confirms; roles come from grants.
type Account struct {
	ent.Schema
}

// Fields of the Account.
func (Account) Fields() []ent.Field {
	return []ent.Field{
		field.String("email").NotEmpty().Unique().Comment("Lower-cased email address."),
		field.Enum("status").Values("PENDING", "ACTIVE", "DISABLED").Default("PENDING"),
		field.String("confirm_hash").Optional().Nillable().Sensitive().
			Comment("SHA-256 of the secret in the confirmation link, while pending."),
		field.Time("confirm_expires_at").Optional().Nillable(),
		field.Time("created_at").Default(time.Now).Immutable(),
		field.Time("confirmed_at").Optional().Nillable(),
	}
}

// Edges of the Account.
func (Account) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("grants", Grant.Type),
		edge.To("tokens", Token.Type),
	}
}

// Annotations of the Account.
func (Account) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}

// Grant gives an account a role over a scope: PRACTICE over a practice,
// CCG and REGION over an organisation of that tier; VIEWER and ADMIN have
// no scope.
type Grant struct {
	ent.Schema
}

// Fields of the Grant.
func (Grant) Fields() []ent.Field {
	return []ent.Field{
		field.Int("account_id"),
		field.Enum("role").Values(roles...),
		field.Int("organisation_id").Optional().Nillable().Comment("The CCG or region of a CCG or REGION grant."),
		field.Int("practice_id").Optional().Nillable().Comment("The practice of a PRACTICE grant."),
		field.String("granted_by").Default("").Comment("Who granted it: an email address, or cli."),
		field.Time("created_at").Default(time.Now).Immutable(),
	}
}

// Edges of the Grant.
func (Grant) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("account", Account.Type).Ref("grants").Field("account_id").Unique().Required(),
		edge.To("organisation", Organisation.Type).Field("organisation_id").Unique(),
		edge.To("practice", Practice.Type).Field("practice_id").Unique(),
	}
}

// Indexes of the Grant.
func (Grant) Indexes() []ent.Index {
	return []ent.Index{index.Fields("account_id")}
}

// Annotations of the Grant.
func (Grant) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}

// Token is a bearer token of an account. Only its SHA-256 is stored: the
// token itself is shown once, when it is made.
type Token struct {
	ent.Schema
}

// Fields of the Token.
func (Token) Fields() []ent.Field {
	return []ent.Field{
		field.Int("account_id"),
		field.String("hash").NotEmpty().Unique().Sensitive(),
		field.String("label").Default("").Comment("What the token is for, as its owner named it."),
		field.Time("created_at").Default(time.Now).Immutable(),
		field.Time("last_used_at").Optional().Nillable(),
		field.Time("revoked_at").Optional().Nillable(),
	}
}

// Edges of the Token.
func (Token) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("account", Account.Type).Ref("tokens").Field("account_id").Unique().Required(),
	}
}

// Annotations of the Token.
func (Token) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}
