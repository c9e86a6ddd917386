package loaders

import (
	"context"
	"strings"
	"sync"

	"dpcma/ent"
	"dpcma/ent/assessmentperiod"
	"dpcma/ent/organisation"
	"dpcma/ent/orgrollup"
	"dpcma/server/compliance"
	"dpcma/server/database"
	"dpcma/server/decisions"
	"dpcma/server/rollup"
	"dpcma/server/scoring"

	"entgo.io/ent/dialect/sql"
)

// Shared caches, across operations, the small tables that change only
// when data is written: periods, domains, the tier tree and organisation
// roll-ups (a few thousand rows in all). It is valid for one data
// revision; each operation reads the revision once (one tiny statement)
// and starts a fresh snapshot when it has moved.
type Shared struct {
	mu      sync.Mutex
	current *snapshot
}

// NewShared returns an empty cache.
func NewShared() *Shared { return &Shared{} }

// snapshot is the reference data of one revision. Its parts load lazily,
// once each, whichever operation asks first; a failed load (a cancelled
// request, say) is not kept, so the next operation tries again.
type snapshot struct {
	revision int64

	baseMu sync.Mutex
	base   *reference

	catalogue catalogueOnce // of the decisions, loaded when first asked

	sharesMu sync.Mutex
	shares   map[tierPeriod]map[int]map[int]decisions.Share // organisation → indicator, per tier and period

	rollupsMu sync.Mutex
	rollups   map[int]map[int]map[string]scoring.Rollup // period → org → domain

	setsMu sync.Mutex
	sets   []*compliance.Set // requirement sets, nil until asked for
}

type reference struct {
	periods []*ent.AssessmentPeriod // oldest first
	latest  *ent.AssessmentPeriod   // latest with answers, or nil
	domains []string
	orgs    map[int]*ent.Organisation
}

func (s *Shared) at(revision int64) *snapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.current != nil && s.current.revision == revision {
		return s.current
	}
	fresh := &snapshot{revision: revision, rollups: map[int]map[int]map[string]scoring.Rollup{}}
	// A reader that raced a write gets a snapshot of its own: the newer
	// one stays.
	if s.current == nil || revision > s.current.revision {
		s.current = fresh
	}
	return fresh
}

func (sn *snapshot) reference(ctx context.Context, client *ent.Client) (*reference, error) {
	sn.baseMu.Lock()
	defer sn.baseMu.Unlock()
	if sn.base == nil {
		ref, err := loadReference(ctx, client)
		if err != nil {
			return nil, err
		}
		sn.base = ref
	}
	return sn.base, nil
}

func loadReference(ctx context.Context, client *ent.Client) (*reference, error) {
	ref := &reference{}
	// Every period, and whether it has answers, in one statement. England's
	// roll-up says so in one indexed row: some practice answered when the
	// summed completion is above 0. (Asking the answers themselves costs a
	// scan of half a second on England: the planner expects a match early
	// in a table whose rows are in period order.)
	q := client.AssessmentPeriod.Query().Order(ent.Asc(assessmentperiod.FieldOpensOn))
	q.Modify(func(s *sql.Selector) {
		r, o := sql.Table(orgrollup.Table), sql.Table(organisation.Table)
		s.AppendSelectExprAs(sql.Exists(sql.Select(r.C(orgrollup.FieldID)).From(r).
			Join(o).On(o.C(organisation.FieldID), r.C(orgrollup.FieldOrgID)).
			Where(sql.And(
				sql.ColumnsEQ(r.C(orgrollup.FieldPeriodID), s.C(assessmentperiod.FieldID)),
				sql.EQ(o.C(organisation.FieldTier), organisation.TierNATIONAL),
				sql.EQ(r.C(orgrollup.FieldDomain), ""),
				sql.GT(r.C(orgrollup.FieldCompletionSum), 0),
			))), periodAnswered)
	})
	var err error
	if ref.periods, err = q.All(ctx); err != nil {
		return nil, err
	}
	for _, p := range ref.periods {
		if answered(p) {
			ref.latest = p
		}
	}
	if ref.domains, err = client.Indicator.Query().Unique(true).Order(ent.Asc("domain")).Select("domain").Strings(ctx); err != nil {
		return nil, err
	}
	orgs, err := client.Organisation.Query().All(ctx)
	if err != nil {
		return nil, err
	}
	ref.orgs = make(map[int]*ent.Organisation, len(orgs))
	for _, o := range orgs {
		ref.orgs[o.ID] = o
	}
	return ref, nil
}

// periodAnswered names the selected column saying a period has answers.
const periodAnswered = "answered"

// answered reads periodAnswered: a boolean on PostgreSQL, 0 or 1 on SQLite.
func answered(p *ent.AssessmentPeriod) bool {
	v, _ := p.Value(periodAnswered)
	switch v := v.(type) {
	case bool:
		return v
	case int64:
		return v != 0
	}
	return false
}

// rollupsFor returns every organisation's roll-ups for a period.
func (sn *snapshot) rollupsFor(ctx context.Context, client *ent.Client, dialect string, periodID int) (map[int]map[string]scoring.Rollup, error) {
	sn.rollupsMu.Lock()
	defer sn.rollupsMu.Unlock()
	if m, ok := sn.rollups[periodID]; ok {
		return m, nil
	}
	rows, err := client.QueryContext(ctx, database.Rebind(dialect,
		"SELECT org_id, domain, "+strings.Join(rollup.Rollups.Names(), ", ")+" FROM org_rollups WHERE period_id = ?"), periodID)
	if err != nil {
		return nil, err
	}
	m, err := rollup.ScanRollups(rows)
	if err != nil {
		return nil, err
	}
	sn.rollups[periodID] = m
	return m, nil
}

// tierPeriod keys the shares of every organisation of a tier in a period.
type tierPeriod struct {
	tier   organisation.Tier
	period int
}

// sharesFor returns, loading them on first ask, the shares meeting each
// indicator's target of every organisation of a tier in a period: the
// peers of any of them, read once per data revision, as the roll-ups are.
func (sn *snapshot) sharesFor(tier organisation.Tier, period int, load func() (map[int]map[int]decisions.Share, error)) (map[int]map[int]decisions.Share, error) {
	sn.sharesMu.Lock()
	defer sn.sharesMu.Unlock()
	k := tierPeriod{tier, period}
	if m, ok := sn.shares[k]; ok {
		return m, nil
	}
	m, err := load()
	if err != nil {
		return nil, err
	}
	if sn.shares == nil {
		sn.shares = map[tierPeriod]map[int]map[int]decisions.Share{}
	}
	sn.shares[k] = m
	return m, nil
}
