package loaders

import (
	"context"
	"sync"

	"dpcma/ent"
	"dpcma/ent/practice"
	"dpcma/ent/practicescore"

	"entgo.io/ent/dialect/sql"
	"github.com/graph-gophers/dataloader/v7"
)

// PracticePeriod keys a practice's scores in one period.
type PracticePeriod struct{ PracticeID, PeriodID int }

// PeerKey keys the scores of every practice of a CCG in one period and domain.
type PeerKey struct {
	CCGID, PeriodID int
	Domain          string
}

// Rollups are the maturity loaders of one operation.
type Rollups struct {
	// Practice loads practices' scores, all domains, batched.
	Practice *dataloader.Loader[PracticePeriod, map[string]*ent.PracticeScore]
	// Peers loads the scores of all practices of a CCG (for percentiles).
	Peers *dataloader.Loader[PeerKey, []float64]

	client   *ent.Client
	hints    hintSet // practices
	ccgHints hintSet // their CCGs, whose practices are their peers
	scores   prefetched[PracticePeriod, map[string]*ent.PracticeScore]
	peers    prefetched[PeerKey, []float64]
}

func newRollups(client *ent.Client) *Rollups {
	r := &Rollups{client: client}
	r.Practice = dataloader.NewBatchedLoader(r.loadPractice,
		dataloader.WithWait[PracticePeriod, map[string]*ent.PracticeScore](wait),
		dataloader.WithBatchCapacity[PracticePeriod, map[string]*ent.PracticeScore](batchCapacity))
	r.Peers = dataloader.NewBatchedLoader(r.loadPeers,
		dataloader.WithWait[PeerKey, []float64](wait),
		dataloader.WithBatchCapacity[PeerKey, []float64](batchCapacity))
	return r
}

// PracticeScores returns a practice's scores in a period, all domains.
func (r *Rollups) PracticeScores(ctx context.Context, k PracticePeriod) (map[string]*ent.PracticeScore, error) {
	// A hinted practice belongs to a list being resolved, whose scores load
	// together on the first ask: no need to wait for a batch to gather.
	if r.hints.has(k.PracticeID) {
		found, err := r.scoresOf(ctx, []PracticePeriod{k})
		return found[k], err
	}
	return r.Practice.Load(ctx, k)()
}

// HintPractices tells the loader which practices (and the CCGs they belong
// to) the operation will ask for, so that the first batch loads them all;
// later asks hit the cache instead of forming batches of their own as
// resolvers trickle in.
func (r *Rollups) HintPractices(ids, ccgs []int) {
	r.hints.add(ids)
	r.ccgHints.add(ccgs)
}

// PeerScores returns the scores of every practice of a CCG in a period and
// domain (for percentiles).
func (r *Rollups) PeerScores(ctx context.Context, k PeerKey) ([]float64, error) {
	if r.ccgHints.has(k.CCGID) {
		found, err := r.peersOf(ctx, []PeerKey{k})
		return found[k], err
	}
	return r.Peers.Load(ctx, k)()
}

func (r *Rollups) loadPractice(ctx context.Context, keys []PracticePeriod) []*dataloader.Result[map[string]*ent.PracticeScore] {
	found, err := r.scoresOf(ctx, keys)
	out := make([]*dataloader.Result[map[string]*ent.PracticeScore], len(keys))
	for i, k := range keys {
		out[i] = &dataloader.Result[map[string]*ent.PracticeScore]{Data: found[k], Error: err}
	}
	return out
}

// scoresOf loads keys' scores, and those of every hinted practice in the
// same periods, in at most one statement.
func (r *Rollups) scoresOf(ctx context.Context, keys []PracticePeriod) (map[PracticePeriod]map[string]*ent.PracticeScore, error) {
	periods := distinct(keys, func(k PracticePeriod) int { return k.PeriodID })
	var extra []PracticePeriod
	for _, id := range r.hints.union(nil) {
		for _, p := range periods {
			extra = append(extra, PracticePeriod{id, p})
		}
	}
	return r.scores.load(keys, extra, func(need []PracticePeriod) (map[PracticePeriod]map[string]*ent.PracticeScore, error) {
		rows, err := r.client.PracticeScore.Query().Where(
			practicescore.PracticeIDIn(distinct(need, func(k PracticePeriod) int { return k.PracticeID })...),
			practicescore.PeriodIDIn(distinct(need, func(k PracticePeriod) int { return k.PeriodID })...)).All(ctx)
		got := map[PracticePeriod]map[string]*ent.PracticeScore{}
		for _, row := range rows {
			k := PracticePeriod{row.PracticeID, row.PeriodID}
			if got[k] == nil {
				got[k] = map[string]*ent.PracticeScore{}
			}
			got[k][row.Domain] = row
		}
		return got, err
	})
}

func (r *Rollups) loadPeers(ctx context.Context, keys []PeerKey) []*dataloader.Result[[]float64] {
	found, err := r.peersOf(ctx, keys)
	out := make([]*dataloader.Result[[]float64], len(keys))
	for i, k := range keys {
		out[i] = &dataloader.Result[[]float64]{Data: found[k], Error: err}
	}
	return out
}

// peersOf loads keys' peer scores, and those of every hinted CCG in the
// same periods and domains, in at most one statement.
func (r *Rollups) peersOf(ctx context.Context, keys []PeerKey) (map[PeerKey][]float64, error) {
	periods := distinct(keys, func(k PeerKey) int { return k.PeriodID })
	domains := distinct(keys, func(k PeerKey) string { return k.Domain })
	var extra []PeerKey
	for _, ccg := range r.ccgHints.union(nil) {
		for _, p := range periods {
			for _, d := range domains {
				extra = append(extra, PeerKey{ccg, p, d})
			}
		}
	}
	return r.peers.load(keys, extra, func(need []PeerKey) (map[PeerKey][]float64, error) {
		var rows []struct {
			CCGID    int     `json:"ccg_id"`
			PeriodID int     `json:"period_id"`
			Domain   string  `json:"domain"`
			Score    float64 `json:"score"`
		}
		err := r.client.PracticeScore.Query().
			Where(practicescore.PeriodIDIn(distinct(need, func(k PeerKey) int { return k.PeriodID })...),
				practicescore.DomainIn(distinct(need, func(k PeerKey) string { return k.Domain })...), practicescore.ScoreNotNil()).
			Modify(func(s *sql.Selector) {
				p := sql.Table(practice.Table)
				s.Join(p).On(s.C(practicescore.FieldPracticeID), p.C(practice.FieldID)).
					Where(sql.InInts(p.C(practice.FieldCcgID), distinct(need, func(k PeerKey) int { return k.CCGID })...)).
					Select(sql.As(p.C(practice.FieldCcgID), "ccg_id"), s.C(practicescore.FieldPeriodID),
						s.C(practicescore.FieldDomain), s.C(practicescore.FieldScore))
			}).Scan(ctx, &rows)
		found := map[PeerKey][]float64{}
		for _, row := range rows {
			k := PeerKey{row.CCGID, row.PeriodID, row.Domain}
			found[k] = append(found[k], row.Score)
		}
		return found, err
	})
}

func distinct[K any, V comparable](keys []K, f func(K) V) []V {
	seen := map[V]bool{}
	var out []V
	for _, k := range keys {
		if v := f(k); !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

// hintSet collects IDs an operation is known to need.
type hintSet struct {
	mu  sync.Mutex
	ids map[int]bool
}

func (h *hintSet) add(ids []int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.ids == nil {
		h.ids = map[int]bool{}
	}
	for _, id := range ids {
		h.ids[id] = true
	}
}

func (h *hintSet) has(id int) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.ids[id]
}

// union returns ids followed by the hinted IDs not among them.
func (h *hintSet) union(ids []int) []int {
	h.mu.Lock()
	defer h.mu.Unlock()
	seen := make(map[int]bool, len(ids))
	for _, id := range ids {
		seen[id] = true
	}
	for id := range h.ids {
		if !seen[id] {
			ids = append(ids, id)
		}
	}
	return ids
}
