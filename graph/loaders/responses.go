package loaders

import (
	"context"
	"slices"

	"dpcma/ent"
	"dpcma/ent/response"

	"github.com/99designs/gqlgen/graphql"
	"github.com/graph-gophers/dataloader/v7"
	"github.com/vektah/gqlparser/v2/ast"
)

// SubjectPeriod keys one subject's answers in one period: a practice, or
// (PracticeID 0) an organisation's CCG-level answers.
type SubjectPeriod struct {
	PracticeID, OrgID, PeriodID int
}

// HintResponses tells the responses loader which practices' answers the
// operation will ask for (see HintPractices).
func (l *Loaders) HintResponses(ids []int) { l.responseHints.add(ids) }

// SubjectResponses returns a subject's answers in a period, loaded with
// the edges that the calling responses field selects beneath each answer.
func (l *Loaders) SubjectResponses(ctx context.Context, k SubjectPeriod) ([]*ent.Response, error) {
	rl := l.responsesAt(ctx)
	// A hinted practice's answers load with the rest of its list on the
	// first ask (see Rollups.PracticeScores).
	if k.PracticeID != 0 && l.responseHints.has(k.PracticeID) {
		found, err := responsesOf(ctx, l.client, &l.responseHints, &rl.cache, []SubjectPeriod{k})
		return found[k], err
	}
	return rl.loader.Load(ctx, k)()
}

// responsesLoader serves one responses field of the document: every
// element of a list asks from the same place with the same selection, and
// two places (aliases) may select different edges beneath the answers.
type responsesLoader struct {
	loader *dataloader.Loader[SubjectPeriod, []*ent.Response]
	cache  prefetched[SubjectPeriod, []*ent.Response]
}

func (l *Loaders) responsesAt(ctx context.Context) *responsesLoader {
	var place *ast.Field
	if fc := graphql.GetFieldContext(ctx); fc != nil {
		place = fc.Field.Field
	}
	l.responsesMu.Lock()
	defer l.responsesMu.Unlock()
	if rl, ok := l.responses[place]; ok {
		return rl
	}
	rl := &responsesLoader{}
	rl.loader = dataloader.NewBatchedLoader(func(ctx context.Context, keys []SubjectPeriod) []*dataloader.Result[[]*ent.Response] {
		found, err := responsesOf(ctx, l.client, &l.responseHints, &rl.cache, keys)
		out := make([]*dataloader.Result[[]*ent.Response], len(keys))
		for i, k := range keys {
			out[i] = &dataloader.Result[[]*ent.Response]{Data: found[k], Error: err}
		}
		return out
	}, dataloader.WithWait[SubjectPeriod, []*ent.Response](wait), dataloader.WithBatchCapacity[SubjectPeriod, []*ent.Response](1000))
	if l.responses == nil {
		l.responses = map[*ast.Field]*responsesLoader{}
	}
	l.responses[place] = rl
	return rl
}

// responsesOf loads keys' answers, and those of every hinted practice in
// the same periods, in at most one statement (plus the edges it selects).
func responsesOf(ctx context.Context, client *ent.Client, hints *hintSet, cache *prefetched[SubjectPeriod, []*ent.Response], keys []SubjectPeriod) (map[SubjectPeriod][]*ent.Response, error) {
	periods := distinct(keys, func(k SubjectPeriod) int { return k.PeriodID })
	var extra []SubjectPeriod
	for _, id := range hints.union(nil) {
		for _, p := range periods {
			extra = append(extra, SubjectPeriod{PracticeID: id, PeriodID: p})
		}
	}
	// An organisation's own answers: the rest of its list joins in.
	if slices.ContainsFunc(keys, func(k SubjectPeriod) bool { return k.OrgID != 0 }) {
		for _, o := range siblingOrganisations(ctx) {
			for _, p := range periods {
				extra = append(extra, SubjectPeriod{OrgID: o.ID, PeriodID: p})
			}
		}
	}
	return cache.load(keys, extra, func(need []SubjectPeriod) (map[SubjectPeriod][]*ent.Response, error) {
		q := client.Response.Query().Where(
			response.PeriodIDIn(distinct(need, func(k SubjectPeriod) int { return k.PeriodID })...),
			response.Or(response.PracticeIDIn(distinct(need, func(k SubjectPeriod) int { return k.PracticeID })...),
				response.OrganisationIDIn(distinct(need, func(k SubjectPeriod) int { return k.OrgID })...))).
			Order(ent.Asc(response.FieldID))
		// Every key asks from the same place in the document (see
		// responsesAt), so any caller's selection says what to load.
		q, err := q.CollectFields(nodeFieldContext(ctx, "Response"))
		if err != nil {
			return nil, err
		}
		// The selection may have pruned the subject columns that group
		// rows by key: ask for every column again.
		rows, err := q.Select(response.Columns...).ResponseQuery.All(ctx)
		got := map[SubjectPeriod][]*ent.Response{}
		for _, r := range rows {
			k := SubjectPeriod{PeriodID: r.PeriodID}
			if r.PracticeID != nil {
				k.PracticeID = *r.PracticeID
			} else if r.OrganisationID != nil {
				k.OrgID = *r.OrganisationID
			}
			got[k] = append(got[k], r)
		}
		return got, err
	})
}

// nodeFieldContext moves ctx from a connection field of typeName nodes to
// its edges.node field, where ent's CollectFields looks for the fields to
// load.
func nodeFieldContext(ctx context.Context, typeName string) context.Context {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || !graphql.HasOperationContext(ctx) {
		return ctx
	}
	oc := graphql.GetOperationContext(ctx)
	for _, edges := range graphql.CollectFields(oc, fc.Field.Selections, []string{typeName + "Connection"}) {
		if edges.Name != "edges" {
			continue
		}
		for _, node := range graphql.CollectFields(oc, edges.Selections, []string{typeName + "Edge"}) {
			if node.Name == "node" {
				return graphql.WithFieldContext(ctx, &graphql.FieldContext{Parent: fc, Field: node, Object: typeName + "Edge", Args: map[string]any{}})
			}
		}
	}
	return ctx
}
