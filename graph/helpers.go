package graph

import (
	"context"
	"fmt"
	"strings"

	"dpcma/ent"
	"dpcma/ent/organisation"
	"dpcma/ent/practice"
	"dpcma/graph/apperr"
	"dpcma/graph/loaders"

	"github.com/99designs/gqlgen/graphql"
)

// This file holds resolver helpers; gqlgen rewrites *.resolvers.go, so
// nothing but resolver bodies lives there.

// period resolves a period argument: a code, or the latest period with
// answers when omitted.
func (r *Resolver) period(ctx context.Context, code *string) (*ent.AssessmentPeriod, error) {
	all, latest, err := loaders.For(ctx).Periods(ctx)
	if err != nil {
		return nil, err
	}
	if code == nil {
		if latest != nil {
			return latest, nil
		}
		if len(all) > 0 {
			return all[len(all)-1], nil
		}
		return nil, apperr.NotFoundf("there are no assessment periods yet")
	}
	codes := make([]string, len(all))
	for i, p := range all {
		if p.Code == *code {
			return p, nil
		}
		codes[i] = p.Code
	}
	return nil, apperr.BadInputf("unknown period %q: valid periods are %s", *code, strings.Join(codes, ", "))
}

// organisationByCode looks up an organisation, collecting the fields the
// query selects beneath it so nested connections load in bulk.
func (r *Resolver) organisationByCode(ctx context.Context, code string) (*ent.Organisation, error) {
	q, err := r.client.Organisation.Query().Where(organisation.OdsCode(code)).CollectFields(ctx)
	if err != nil {
		return nil, err
	}
	o, err := q.Only(ctx)
	if ent.IsNotFound(err) {
		return nil, apperr.NotFoundf("no organisation has the code %q", code)
	}
	return o, err
}

// practicesBeneath returns the query of every practice beneath o, at any
// depth, through the denormalised tier links on practice.
func (r *Resolver) practicesBeneath(o *ent.Organisation) *ent.PracticeQuery {
	q := r.client.Practice.Query()
	switch o.Tier {
	case organisation.TierCCG:
		q.Where(practice.CcgID(o.ID))
	case organisation.TierSTP:
		q.Where(practice.StpID(o.ID))
	case organisation.TierREGION:
		q.Where(practice.RegionID(o.ID))
	case organisation.TierNATIONAL:
		// All practices of England.
	}
	return q
}

// ancestorsOf follows parent links up to England through the operation's
// organisation cache.
func (r *Resolver) ancestorsOf(ctx context.Context, parentID *int) ([]*ent.Organisation, error) {
	orgs, err := loaders.For(ctx).Organisations(ctx)
	if err != nil {
		return nil, err
	}
	var out []*ent.Organisation
	for parentID != nil {
		o, ok := orgs[*parentID]
		if !ok {
			return nil, fmt.Errorf("organisation %d is missing from the tree", *parentID)
		}
		out = append(out, o)
		parentID = o.ParentID
	}
	return out, nil
}

// inKeyOrder places rows at the index of their key, as gqlgen's multi
// entity resolvers require; unknown keys stay nil (null, no error).
func inKeyOrder[T any](keys []string, rows []*T, key func(*T) string) []*T {
	byKey := make(map[string]*T, len(rows))
	for _, row := range rows {
		byKey[key(row)] = row
	}
	out := make([]*T, len(keys))
	for i, k := range keys {
		out[i] = byKey[k]
	}
	return out
}

// hintPractices tells the loaders about a list of practices about to be
// resolved, for the fields selected beneath them, so each field loads the
// whole list in its first batch. fields are the practices' selected fields.
func hintPractices(ctx context.Context, ids []int, fields []graphql.CollectedField) {
	if len(ids) == 0 {
		return
	}
	l := loaders.For(ctx)
	for _, f := range fields {
		switch f.Name {
		case "maturity":
			l.Rollups.HintPractices(ids)
		case "responses":
			l.HintResponses(ids)
		}
	}
}

// connectionNodeFields returns the fields selected on the nodes of the
// connection the current field returns.
func connectionNodeFields(ctx context.Context, typeName string) []graphql.CollectedField {
	oc := graphql.GetOperationContext(ctx)
	for _, edges := range graphql.CollectFields(oc, graphql.GetFieldContext(ctx).Field.Selections, []string{typeName + "Connection"}) {
		if edges.Name != "edges" {
			continue
		}
		for _, node := range graphql.CollectFields(oc, edges.Selections, []string{typeName + "Edge"}) {
			if node.Name == "node" {
				return graphql.CollectFields(oc, node.Selections, []string{typeName})
			}
		}
	}
	return nil
}

// hintPracticePage hints the practices of a page of a connection.
func hintPracticePage(ctx context.Context, conn *ent.PracticeConnection) {
	if conn == nil {
		return
	}
	ids := make([]int, 0, len(conn.Edges))
	for _, e := range conn.Edges {
		ids = append(ids, e.Node.ID)
	}
	hintPractices(ctx, ids, connectionNodeFields(ctx, "Practice"))
}
