package graph

import (
	"context"

	"dpcma/ent"
	"dpcma/ent/predicate"
	"dpcma/ent/response"
	"dpcma/graph/loaders"

	"entgo.io/contrib/entgql"
)

// responses pages through one subject's answers for one period. A plain
// first page in the default order (what a drill-down asks of every
// practice in a list) goes through a batched loader, so a whole list costs
// one query; anything else pages in SQL per subject.
func (r *Resolver) responses(ctx context.Context, subject loaders.SubjectPeriod, periodCode *string,
	after *entgql.Cursor[int], first *int, before *entgql.Cursor[int], last *int,
	orderBy []*ent.ResponseOrder, where *ent.ResponseWhereInput) (*ent.ResponseConnection, error) {
	p, err := r.period(ctx, periodCode)
	if err != nil {
		return nil, err
	}
	subject.PeriodID = p.ID
	if after == nil && before == nil && last == nil && len(orderBy) == 0 && where == nil && (first == nil || *first >= 0) {
		rows, err := loaders.For(ctx).SubjectResponses(ctx, subject)
		if err != nil {
			return nil, err
		}
		return firstPage(rows, first), nil
	}
	var who predicate.Response
	if subject.PracticeID != 0 {
		who = response.PracticeID(subject.PracticeID)
	} else {
		who = response.OrganisationID(subject.OrgID)
	}
	return r.client.Response.Query().
		Where(who, response.PeriodID(p.ID)).
		Paginate(ctx, after, first, before, last, ent.WithResponseOrder(orderBy), ent.WithResponseFilter(where.Filter))
}

// firstPage builds the connection ent's pager would return for the first
// page in ID order, with cursors it accepts for the next page.
func firstPage(rows []*ent.Response, first *int) *ent.ResponseConnection {
	conn := &ent.ResponseConnection{TotalCount: len(rows), Edges: []*ent.ResponseEdge{}}
	n := len(rows)
	if first != nil && *first < n {
		n = *first
		conn.PageInfo.HasNextPage = true
	}
	for _, row := range rows[:n] {
		conn.Edges = append(conn.Edges, &ent.ResponseEdge{Node: row, Cursor: ent.Cursor{ID: row.ID, Value: []any{}}})
	}
	if n > 0 {
		conn.PageInfo.StartCursor = &conn.Edges[0].Cursor
		conn.PageInfo.EndCursor = &conn.Edges[n-1].Cursor
	}
	return conn
}
