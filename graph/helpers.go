package graph

import (
	"context"
	"fmt"
	"strings"

	"dpcma/ent"
	"dpcma/ent/organisation"
	"dpcma/graph/apperr"
	"dpcma/graph/loaders"

	"entgo.io/contrib/entgql"
	"entgo.io/ent/dialect/sql"
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

// organisationPractices pages the practices beneath an organisation. In a
// list of organisations, a first or last page of a CCG, STP or region
// loads with the other organisations of the list; a single organisation,
// cursors and England page on their own.
func (r *Resolver) organisationPractices(ctx context.Context, obj *ent.Organisation, after *entgql.Cursor[int], first *int,
	before *entgql.Cursor[int], last *int, orderBy []*ent.PracticeOrder, where *ent.PracticeWhereInput) (*ent.PracticeConnection, error) {
	if after == nil && before == nil && obj.Tier != organisation.TierNATIONAL && loaders.InList(ctx) {
		fields := connectionNodeFields(ctx, "Practice")
		return loaders.For(ctx).PracticePage(ctx, obj, loaders.PracticePageArgs{First: first, Last: last, OrderBy: orderBy, Where: where},
			func(practices []*ent.Practice) { hintPractices(ctx, practices, fields) })
	}
	conn, err := r.practicesBeneath(obj).Paginate(ctx, after, first, before, last, ent.WithPracticeOrder(orderBy), ent.WithPracticeFilter(where.Filter))
	hintPracticePage(ctx, conn)
	return conn, err
}

// practicesBeneath returns the query of every practice beneath o, at any
// depth, through the denormalised tier links on practice.
func (r *Resolver) practicesBeneath(o *ent.Organisation) *ent.PracticeQuery {
	q := r.client.Practice.Query()
	if column, _ := loaders.PracticeTier(o.Tier); column != "" { // England holds them all
		q.Where(sql.FieldEQ(column, o.ID))
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

// practiceAncestors are a practice's CCG and then its own STP and up: the
// practices of a CCG split between STPs (docs/domain.md §2) reach the
// region through their own STP, whatever the CCG's parent.
func (r *Resolver) practiceAncestors(ctx context.Context, p *ent.Practice) ([]*ent.Organisation, error) {
	ccg, err := r.ancestorsOf(ctx, &p.CcgID)
	if err != nil || len(ccg) == 0 || p.StpID == nil {
		return ccg, err
	}
	up, err := r.ancestorsOf(ctx, p.StpID)
	return append(ccg[:1], up...), err
}

// hintPractices tells the loaders about a list of practices about to be
// resolved, for the fields selected beneath them, so each field loads the
// whole list in its first batch. fields are the practices' selected fields.
func hintPractices(ctx context.Context, practices []*ent.Practice, fields []graphql.CollectedField) {
	if len(practices) == 0 {
		return
	}
	ids := make([]int, 0, len(practices))
	var ccgs []int
	for _, p := range practices {
		if p == nil { // an unknown key in _entities
			continue
		}
		ids = append(ids, p.ID)
		if p.CcgID != 0 {
			ccgs = append(ccgs, p.CcgID)
		}
	}
	l := loaders.For(ctx)
	for _, f := range fields {
		switch f.Name {
		case "maturity":
			l.Rollups.HintPractices(ids, ccgs)
		case "responses":
			l.HintResponses(ids)
		case "priorities":
			l.Decisions.HintPractices(ids, ccgs)
		case "compliance":
			ccgOf := make(map[int]int, len(practices))
			for _, p := range practices {
				if p != nil {
					ccgOf[p.ID] = p.CcgID
				}
			}
			l.Compliance.HintPractices(ccgOf)
		}
	}
}

// connectionNodeFields returns the fields selected on the nodes of the
// connection the current field returns.
func connectionNodeFields(ctx context.Context, typeName string) []graphql.CollectedField {
	node, ok := loaders.NodeSelection(ctx, typeName)
	if !ok {
		return nil
	}
	return graphql.CollectFields(graphql.GetOperationContext(ctx), node.Selections, []string{typeName})
}

// hintPracticePage hints the practices of a page of a connection.
func hintPracticePage(ctx context.Context, conn *ent.PracticeConnection) {
	if conn == nil {
		return
	}
	practices := make([]*ent.Practice, len(conn.Edges))
	for i, e := range conn.Edges {
		practices[i] = e.Node
	}
	hintPractices(ctx, practices, connectionNodeFields(ctx, "Practice"))
}
