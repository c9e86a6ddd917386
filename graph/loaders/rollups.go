package loaders

import (
	"context"
	"strings"
	"sync"

	"dpcma/ent"
	"dpcma/ent/practice"
	"dpcma/ent/practicescore"
	"dpcma/server/database"
	"dpcma/server/rollup"
	"dpcma/server/scoring"

	"entgo.io/ent/dialect/sql"
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
	client   *ent.Client
	dialect  string
	hints    hintSet // practices
	ccgHints hintSet // their CCGs, whose practices are their peers
	scores   *listLoader[PracticePeriod, map[string]*scoring.PracticeScore]
	peers    *listLoader[PeerKey, []float64]
}

func newRollups(client *ent.Client, dialect string) *Rollups {
	r := &Rollups{client: client, dialect: dialect}
	r.scores = newListLoader("practice_scores", func(k PracticePeriod) bool { return r.hints.has(k.PracticeID) }, r.extraScores, r.queryScores)
	r.peers = newListLoader("peer_scores", func(k PeerKey) bool { return r.ccgHints.has(k.CCGID) }, r.extraPeers, r.queryPeers)
	return r
}

// PracticeScores returns a practice's scores in a period, all domains.
func (r *Rollups) PracticeScores(ctx context.Context, k PracticePeriod) (map[string]*scoring.PracticeScore, error) {
	return r.scores.get(ctx, k)
}

// HintPractices tells the loader which practices (and the CCGs they belong
// to) the operation will ask for, so that the first ask loads them all;
// later asks hit the cache instead of forming batches of their own as
// resolvers trickle in.
func (r *Rollups) HintPractices(ids, ccgs []int) {
	r.hints.add(ids)
	r.ccgHints.add(ccgs)
}

// PeerScores returns the scores of every practice of a CCG in a period and
// domain (for percentiles).
func (r *Rollups) PeerScores(ctx context.Context, k PeerKey) ([]float64, error) {
	return r.peers.get(ctx, k)
}

// extraScores: every hinted practice in the keys' periods.
func (r *Rollups) extraScores(_ context.Context, keys []PracticePeriod) []PracticePeriod {
	periods := distinct(keys, func(k PracticePeriod) int { return k.PeriodID })
	var extra []PracticePeriod
	for _, id := range r.hints.union(nil) {
		for _, p := range periods {
			extra = append(extra, PracticePeriod{id, p})
		}
	}
	return extra
}

func (r *Rollups) queryScores(ctx context.Context, need []PracticePeriod) (map[PracticePeriod]map[string]*scoring.PracticeScore, error) {
	practices := distinct(need, func(k PracticePeriod) int { return k.PracticeID })
	periods := distinct(need, func(k PracticePeriod) int { return k.PeriodID })
	args := make([]any, 0, len(practices)+len(periods))
	for _, id := range append(practices, periods...) {
		args = append(args, id)
	}
	rows, err := r.client.QueryContext(ctx, database.Rebind(r.dialect, "SELECT practice_id, period_id, domain, "+
		strings.Join(rollup.Scores.Names(), ", ")+" FROM practice_scores WHERE practice_id IN ("+
		database.Placeholders(len(practices))+") AND period_id IN ("+database.Placeholders(len(periods))+")"), args...)
	if err != nil {
		return nil, err
	}
	scores, err := rollup.ScanByDomain(rows, rollup.Scores, func() ([]any, func() PracticePeriod) {
		var k PracticePeriod
		return []any{&k.PracticeID, &k.PeriodID}, func() PracticePeriod { return k }
	})
	got := make(map[PracticePeriod]map[string]*scoring.PracticeScore, len(scores))
	for k, byDomain := range scores {
		got[k] = make(map[string]*scoring.PracticeScore, len(byDomain))
		for d, s := range byDomain {
			got[k][d] = &s
		}
	}
	return got, err
}

// extraPeers: every hinted CCG in the keys' periods and domains.
func (r *Rollups) extraPeers(_ context.Context, keys []PeerKey) []PeerKey {
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
	return extra
}

func (r *Rollups) queryPeers(ctx context.Context, need []PeerKey) (map[PeerKey][]float64, error) {
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
				Where(sql.And(sql.InInts(p.C(practice.FieldCcgID), distinct(need, func(k PeerKey) int { return k.CCGID })...),
					sql.ExprP(scoring.CountsSQL(p.C(practice.FieldStatus))))). // closed practices are no one's peers
				Select(sql.As(p.C(practice.FieldCcgID), "ccg_id"), s.C(practicescore.FieldPeriodID),
					s.C(practicescore.FieldDomain), s.C(practicescore.FieldScore))
		}).Scan(ctx, &rows)
	found := map[PeerKey][]float64{}
	for _, row := range rows {
		k := PeerKey{row.CCGID, row.PeriodID, row.Domain}
		found[k] = append(found[k], row.Score)
	}
	return found, err
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
