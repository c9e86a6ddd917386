package graph

import (
	"context"

	"dpcma/ent"
	"dpcma/graph/model"
	"dpcma/server/accounts"
)

// Helpers of graph/accounts.resolvers.go: the work is server/accounts';
// these translate between its types and the schema's.

func roleChange(in model.RoleInput) accounts.RoleChange {
	c := accounts.RoleChange{Email: in.Email, Role: in.Role}
	if in.Organisation != nil {
		c.Organisation = *in.Organisation
	}
	if in.Practice != nil {
		c.Practice = *in.Practice
	}
	return c
}

func roleGrant(g *ent.Grant) *model.RoleGrant {
	return &model.RoleGrant{Role: g.Role, Organisation: g.Edges.Organisation, Practice: g.Edges.Practice, GrantedBy: g.GrantedBy}
}

func (r *Resolver) register(ctx context.Context, email string) (*model.RegisterPayload, error) {
	reg, err := r.accounts.Register(ctx, email)
	if err != nil {
		return nil, err
	}
	return &model.RegisterPayload{Email: reg.Email, Message: reg.Message}, nil
}

func tokenPayload(t *accounts.IssuedToken, err error) (*model.TokenPayload, error) {
	if err != nil {
		return nil, err
	}
	return &model.TokenPayload{Email: t.Email, Token: t.Token, Label: t.Label}, nil
}

func (r *Resolver) grantRole(ctx context.Context, in model.RoleInput) (*model.RoleGrant, error) {
	g, err := r.accounts.GrantRole(ctx, roleChange(in))
	if err != nil {
		return nil, err
	}
	return roleGrant(g), nil
}

func (r *Resolver) viewer(ctx context.Context) (*model.Viewer, error) {
	acc, err := r.accounts.Viewer(ctx)
	if acc == nil || err != nil {
		return nil, err
	}
	v := &model.Viewer{Email: acc.Email, Roles: make([]*model.RoleGrant, len(acc.Edges.Grants))}
	for i, g := range acc.Edges.Grants {
		v.Roles[i] = roleGrant(g)
	}
	return v, nil
}

// deref is an optional argument's value, or its zero value when it is
// not given.
func deref[T any](v *T) T {
	var zero T
	if v == nil {
		return zero
	}
	return *v
}
