package loaders

import (
	"context"

	"dpcma/ent"
	"dpcma/ent/organisation"
	"dpcma/server/rollup"
)

// PracticePageArgs are the arguments of an organisation's practices field,
// cursors aside: a list of organisations asks with the same arguments.
type PracticePageArgs struct {
	First, Last *int
	OrderBy     []*ent.PracticeOrder
	Where       *ent.PracticeWhereInput
}

// orgKey is an organisation whose practices are paged.
type orgKey struct {
	ID   int
	Tier organisation.Tier
}

// PracticePage returns the first (or last) page of the practices beneath a
// CCG, STP or region. The organisations asking from the same place in the
// document load together: one statement for the pages and one for the
// totals per tier, whatever the number of organisations. loaded receives
// every practice of the batch before any of them resolves, so that their
// own fields can load in one go (see HintPractices).
func (l *Loaders) PracticePage(ctx context.Context, org *ent.Organisation, args PracticePageArgs, loaded func([]*ent.Practice)) (*ent.PracticeConnection, error) {
	return l.practicePages.at(ctx, func() *listLoader[orgKey, *ent.PracticeConnection] {
		query := func(ctx context.Context, need []orgKey) (map[orgKey]*ent.PracticeConnection, error) {
			pages, err := l.loadPracticePages(ctx, need, args)
			if err != nil {
				return nil, err
			}
			var practices []*ent.Practice
			got := make(map[orgKey]*ent.PracticeConnection, len(need))
			for _, k := range need {
				got[k] = pages[k.ID]
				for _, e := range pages[k.ID].Edges {
					practices = append(practices, e.Node)
				}
			}
			loaded(practices)
			return got, nil
		}
		return newListLoader("practice_pages", nil, siblingPages, query)
	}).get(ctx, orgKey{org.ID, org.Tier})
}

// siblingPages: the rest of the asking organisation's list joins the
// batch, so a list whose members ask late still loads in one go.
func siblingPages(ctx context.Context, _ []orgKey) []orgKey {
	var extra []orgKey
	for _, o := range siblingOrganisations(ctx) {
		if o.Tier != organisation.TierNATIONAL {
			extra = append(extra, orgKey{o.ID, o.Tier})
		}
	}
	return extra
}

// loadPracticePages loads the keys' pages, one statement pair per tier.
func (l *Loaders) loadPracticePages(ctx context.Context, keys []orgKey, args PracticePageArgs) (map[int]*ent.PracticeConnection, error) {
	byTier := map[organisation.Tier][]int{}
	for _, k := range keys {
		byTier[k.Tier] = append(byTier[k.Tier], k.ID)
	}
	found := map[int]*ent.PracticeConnection{}
	for tier, ids := range byTier {
		column, groupOf := PracticeTier(tier)
		q, err := l.client.Practice.Query().CollectFields(nodeFieldContext(ctx, "Practice"))
		if err != nil {
			return nil, err
		}
		pages, err := q.PracticePages(ctx, column, ids, groupOf, args.First, args.Last,
			ent.WithPracticeOrder(args.OrderBy), ent.WithPracticeFilter(args.Where.Filter))
		if err != nil {
			return nil, err
		}
		for id, conn := range pages {
			found[id] = conn
		}
	}
	return found, nil
}

// PracticeTier names the column of practices that ties a practice to the
// organisation above it at a tier, and reads it; "" and nil for England,
// which holds every practice.
func PracticeTier(tier organisation.Tier) (column string, of func(*ent.Practice) int) {
	switch tier {
	case organisation.TierCCG:
		of = func(p *ent.Practice) int { return p.CcgID }
	case organisation.TierSTP:
		of = func(p *ent.Practice) int {
			if p.StpID == nil {
				return 0
			}
			return *p.StpID
		}
	case organisation.TierREGION:
		of = func(p *ent.Practice) int { return p.RegionID }
	}
	return rollup.PracticeColumn(tier), of
}
