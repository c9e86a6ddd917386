package loaders

import (
	"context"

	"dpcma/ent"
	"dpcma/ent/response"

	"github.com/99designs/gqlgen/graphql"
	"github.com/graph-gophers/dataloader/v7"
)

// SubjectPeriod keys one subject's answers in one period: a practice, or
// (PracticeID 0) an organisation's CCG-level answers.
type SubjectPeriod struct {
	PracticeID, OrgID, PeriodID int
}

// HintResponses tells the responses loader which practices' answers the
// operation will ask for (see HintPractices).
func (l *Loaders) HintResponses(ids []int) { l.responseHints.add(ids) }

func newResponsesLoader(client *ent.Client, hints *hintSet) *dataloader.Loader[SubjectPeriod, []*ent.Response] {
	var loader *dataloader.Loader[SubjectPeriod, []*ent.Response]
	loader = dataloader.NewBatchedLoader(func(ctx context.Context, keys []SubjectPeriod) []*dataloader.Result[[]*ent.Response] {
		practices := hints.union(distinct(keys, func(k SubjectPeriod) int { return k.PracticeID }))
		orgs := distinct(keys, func(k SubjectPeriod) int { return k.OrgID })
		periods := distinct(keys, func(k SubjectPeriod) int { return k.PeriodID })
		q := client.Response.Query().Where(response.PeriodIDIn(periods...),
			response.Or(response.PracticeIDIn(practices...), response.OrganisationIDIn(orgs...))).
			Order(ent.Asc(response.FieldID))
		// Every key asks from the same place in the document, so the
		// first caller's selection says what to load beneath each node.
		q, err := q.CollectFields(nodeFieldContext(ctx))
		var rows []*ent.Response
		if err == nil {
			// The selection may have pruned the subject columns that group
			// rows by key: ask for every column again.
			rows, err = q.Select(response.Columns...).ResponseQuery.All(ctx)
		}
		found := map[SubjectPeriod][]*ent.Response{}
		for _, r := range rows {
			k := SubjectPeriod{PeriodID: r.PeriodID}
			if r.PracticeID != nil {
				k.PracticeID = *r.PracticeID
			} else if r.OrganisationID != nil {
				k.OrgID = *r.OrganisationID
			}
			found[k] = append(found[k], r)
		}
		out := make([]*dataloader.Result[[]*ent.Response], len(keys))
		requested := map[SubjectPeriod]bool{}
		for i, k := range keys {
			requested[k] = true
			out[i] = &dataloader.Result[[]*ent.Response]{Data: found[k], Error: err}
		}
		if err == nil {
			for _, id := range practices {
				for _, p := range periods {
					if k := (SubjectPeriod{PracticeID: id, PeriodID: p}); id != 0 && !requested[k] {
						loader.Prime(ctx, k, found[k])
					}
				}
			}
		}
		return out
	}, dataloader.WithWait[SubjectPeriod, []*ent.Response](wait), dataloader.WithBatchCapacity[SubjectPeriod, []*ent.Response](1000))
	return loader
}

// nodeFieldContext moves ctx from a connection field to its edges.node
// field, where ent's CollectFields looks for the fields to load.
func nodeFieldContext(ctx context.Context) context.Context {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || !graphql.HasOperationContext(ctx) {
		return ctx
	}
	oc := graphql.GetOperationContext(ctx)
	for _, edges := range graphql.CollectFields(oc, fc.Field.Selections, []string{"ResponseConnection"}) {
		if edges.Name != "edges" {
			continue
		}
		for _, node := range graphql.CollectFields(oc, edges.Selections, []string{"ResponseEdge"}) {
			if node.Name == "node" {
				return graphql.WithFieldContext(ctx, &graphql.FieldContext{Parent: fc, Field: node, Object: "ResponseEdge", Args: map[string]any{}})
			}
		}
	}
	return ctx
}
