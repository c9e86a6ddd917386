// Package profile serves a practice's digital profile: one printable HTML
// page per practice and period (GET /practices/{odsCode}/profile), for a
// CQC inspection or a practice's own records. Every figure comes from the
// code behind the GraphQL fields: the derived tables through rollup's
// column maps, levels and percent ranks from scoring, priorities from
// decisions; this package only reads and lays them out.
package profile

import (
	"context"
	"slices"
	"sort"
	"strings"
	"time"

	"dpcma/ent"
	"dpcma/ent/assessmentperiod"
	"dpcma/ent/auditevent"
	"dpcma/ent/indicator"
	"dpcma/ent/organisation"
	"dpcma/ent/practice"
	"dpcma/ent/response"
	"dpcma/server/answercheck"
	"dpcma/server/compliance"
	"dpcma/server/database"
	"dpcma/server/decisions"
	"dpcma/server/fault"
	"dpcma/server/rollup"
	"dpcma/server/scoring"
)

// Profile is everything the page shows, for one practice and period.
type Profile struct {
	Practice Identity
	Period   Period
	// Periods are every period, oldest first: the valid ?period= values.
	Periods []Period
	// Score, Level and Completion are Practice.maturity's, over every
	// domain; Change is the score minus the period before's.
	Score      *float64
	Level      *int
	LevelName  string
	Completion float64
	Change     *float64
	// CCGPercentile is Maturity.peerPercentile (among the counting
	// practices of its CCG); NationalPercentile the same rank among every
	// counting practice of England.
	CCGPercentile, NationalPercentile *float64
	// CCGScore and EnglandScore are the organisations' scores (means over
	// their practices with a score).
	CCGScore, EnglandScore *float64
	Trend                  []TrendPoint
	Domains                []DomainRow
	// Priorities are the first MaxPriorities of Practice.priorities, of
	// PriorityCount in all.
	Priorities    []Priority
	PriorityCount int
	// Compliance is Practice.compliance for every requirement set, in
	// code order.
	Compliance []SetCompliance
	Answers    []Answer
	periods    []*ent.AssessmentPeriod // as Periods, for compliance.Set.InForce
}

// MaxPriorities is how many priorities the page lists: the GraphQL
// field's default, and what fits on paper.
const MaxPriorities = 10

// Identity is who the practice is.
type Identity struct {
	ID                           int
	Code, Name, Postcode         string
	ListSize                     int
	ContractType, ClinicalSystem string
	Closed                       bool
	CCG, STP                     Org
	ccgID, nationalID            int
}

// Org is an organisation above the practice.
type Org struct{ Code, Name string }

// Period is an assessment period.
type Period struct {
	ID         int
	Code, Name string
}

// TrendPoint is the practice's score in one period beside its CCG's and
// England's.
type TrendPoint struct {
	Period              Period
	Score, CCG, England *float64
	Level               *int
	Selected            bool
}

// DomainRow is one domain's score for the practice, its CCG and England.
type DomainRow struct {
	Domain                 string
	Practice, CCG, England *float64
}

// Priority is one of the practice's priorities.
type Priority struct {
	Code, Title, Domain, Category string
	ByCCG                         bool
	ScoreGain                     float64
	LevelUp                       bool
}

// SetCompliance is the practice's compliance with one requirement set.
type SetCompliance struct {
	Code, Name, AppliesFrom string
	// InForce is false before the set applies: the figures show readiness.
	InForce bool
	// Met is nil when unknown: none missed, one unanswered.
	Met *bool
	// Passed, Missed and Unanswered split the requirements by their
	// outcome, each in the set's order (a not-applicable answer passes).
	Passed, Missed, Unanswered []RequirementCheck
}

// Total is the number of requirements in the set.
func (s SetCompliance) Total() int { return len(s.Passed) + len(s.Missed) + len(s.Unanswered) }

// RequirementCheck is one requirement checked against the practice's
// answer (its CCG's for a CCG-answered indicator).
type RequirementCheck struct {
	Code, Title, Rule string
	Value             string
	NotApplicable     bool
}

// Answer is one answer that counts for the practice in the period: its
// own, or its CCG's to a CCG-level indicator.
type Answer struct {
	Code, Title, Domain string
	ByCCG               bool
	Value               string // "" when not applicable
	NotApplicable       bool
	Score               *float64
	SubmittedBy         string
	SubmittedAt         time.Time
	// Source is API, IMPORT or CLI from the answer's last audit event; ""
	// when the answer has none (loaded with the data set). File is the
	// imported file when the import recorded it.
	Source, File string
}

// errNoPeriods: a database without periods has no profile to show.
var errNoPeriods = fault.NotFoundf("there are no assessment periods yet")

// Load reads the profile of the practice with an ODS code in a period
// (the latest period with answers when periodCode is ""). An unknown
// practice is a NOT_FOUND *fault.Error, an unknown period BAD_USER_INPUT
// naming the valid ones (as the GraphQL fields say).
func Load(ctx context.Context, db *database.DB, odsCode, periodCode string) (*Profile, error) {
	p, err := resolve(ctx, db, odsCode, periodCode)
	if err != nil {
		return nil, err
	}
	return p, p.fill(ctx, db)
}

// resolve reads the practice, its organisations and the periods, and
// picks the period: enough to refuse a bad request cheaply.
func resolve(ctx context.Context, db *database.DB, odsCode, periodCode string) (*Profile, error) {
	pr, err := db.Client.Practice.Query().Where(practice.OdsCode(odsCode)).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, fault.NotFoundf("no practice has the ODS code %q", odsCode)
	}
	if err != nil {
		return nil, err
	}
	p := &Profile{Practice: Identity{ID: pr.ID, Code: pr.OdsCode, Name: pr.Name, Postcode: pr.Postcode, ListSize: pr.ListSize,
		ClinicalSystem: pr.ClinicalSystem, Closed: pr.Status == practice.StatusCLOSED, ccgID: pr.CcgID}}
	if pr.ContractType != nil {
		p.Practice.ContractType = string(*pr.ContractType)
	}
	ids := []int{pr.CcgID}
	if pr.StpID != nil {
		ids = append(ids, *pr.StpID)
	}
	orgs, err := db.Client.Organisation.Query().
		Where(organisation.Or(organisation.IDIn(ids...), organisation.TierEQ(organisation.TierNATIONAL))).All(ctx)
	if err != nil {
		return nil, err
	}
	for _, o := range orgs {
		switch {
		case o.ID == pr.CcgID:
			p.Practice.CCG = Org{o.OdsCode, o.Name}
		case pr.StpID != nil && o.ID == *pr.StpID:
			p.Practice.STP = Org{o.OdsCode, o.Name}
		case o.Tier == organisation.TierNATIONAL:
			p.Practice.nationalID = o.ID
		}
	}
	periods, err := db.Client.AssessmentPeriod.Query().Order(ent.Asc(assessmentperiod.FieldOpensOn)).All(ctx)
	if err != nil {
		return nil, err
	}
	if len(periods) == 0 {
		return nil, errNoPeriods
	}
	p.periods = periods
	codes := make([]string, len(periods))
	for i, pe := range periods {
		p.Periods = append(p.Periods, Period{pe.ID, pe.Code, pe.Name})
		codes[i] = pe.Code
	}
	if periodCode != "" {
		i := slices.Index(codes, periodCode)
		if i < 0 {
			return nil, fault.BadInputf("unknown period %q: valid periods are %s", periodCode, strings.Join(codes, ", ")).
				With("periods", p.Periods)
		}
		p.Period = p.Periods[i]
	}
	return p, nil
}

// fill reads the figures.
func (p *Profile) fill(ctx context.Context, db *database.DB) error {
	scores, err := p.practiceScores(ctx, db)
	if err != nil {
		return err
	}
	rollups, err := p.orgRollups(ctx, db)
	if err != nil {
		return err
	}
	if p.Period.ID == 0 {
		// The latest period with answers, as the GraphQL fields default:
		// England's roll-up shows some completion.
		p.Period = p.Periods[len(p.Periods)-1]
		for _, pe := range p.Periods {
			if rollups[orgPeriod{p.Practice.nationalID, pe.ID}][scoring.AllDomains].CompletionSum > 0 {
				p.Period = pe
			}
		}
	}
	score := func(pe int, domain string) *float64 {
		if s := scores[pe][domain]; s != nil {
			return s.Score
		}
		return nil
	}
	ccg, england := rollups[orgPeriod{p.Practice.ccgID, p.Period.ID}], rollups[orgPeriod{p.Practice.nationalID, p.Period.ID}]
	for i, pe := range p.Periods {
		t := TrendPoint{Period: pe, Score: score(pe.ID, scoring.AllDomains), Selected: pe.ID == p.Period.ID,
			CCG:     rollups[orgPeriod{p.Practice.ccgID, pe.ID}][scoring.AllDomains].Score(),
			England: rollups[orgPeriod{p.Practice.nationalID, pe.ID}][scoring.AllDomains].Score()}
		if s := scores[pe.ID][scoring.AllDomains]; s != nil {
			t.Level = s.Level
		}
		p.Trend = append(p.Trend, t)
		if pe.ID == p.Period.ID && i > 0 && t.Score != nil {
			if before := score(p.Periods[i-1].ID, scoring.AllDomains); before != nil {
				d := *t.Score - *before
				p.Change = &d
			}
		}
	}
	if s := scores[p.Period.ID][scoring.AllDomains]; s != nil {
		p.Score, p.Level, p.Completion = s.Score, s.Level, s.Completion
		if s.Level != nil {
			p.LevelName = scoring.LevelName(*s.Level)
		}
	}
	p.CCGScore, p.EnglandScore = ccg[scoring.AllDomains].Score(), england[scoring.AllDomains].Score()
	if err := p.percentiles(ctx, db); err != nil {
		return err
	}
	cat, err := answercheck.Load(ctx, db.SQL)
	if err != nil {
		return err
	}
	domains := make([]string, 0, 8)
	for d := range cat.Domains() {
		if d != scoring.AllDomains {
			domains = append(domains, d)
		}
	}
	sort.Strings(domains) // the catalogue order of Maturity.byDomain
	for _, d := range domains {
		var own *float64
		if s := scores[p.Period.ID][d]; s != nil {
			own = s.Score
		}
		p.Domains = append(p.Domains, DomainRow{Domain: d, Practice: own, CCG: ccg[d].Score(), England: england[d].Score()})
	}
	titles, err := db.Client.Indicator.Query().Select(indicator.FieldID, indicator.FieldCode, indicator.FieldTitle).All(ctx)
	if err != nil {
		return err
	}
	title := make(map[int]string, len(titles))
	for _, ind := range titles {
		title[ind.ID] = ind.Title
	}
	if err := p.priorities(ctx, db, cat, title); err != nil {
		return err
	}
	if err := p.compliance(ctx, db); err != nil {
		return err
	}
	return p.answers(ctx, db, cat, title)
}

// practiceScores reads the practice's rows of practice_scores in every
// period, by period and domain, through rollup.Scores as the GraphQL
// loaders do.
func (p *Profile) practiceScores(ctx context.Context, db *database.DB) (map[int]map[string]*scoring.PracticeScore, error) {
	rows, err := db.SQL.QueryContext(ctx, database.Rebind(db.Dialect, "SELECT period_id, domain, "+
		strings.Join(rollup.Scores.Names(), ", ")+" FROM practice_scores WHERE practice_id = ?"), p.Practice.ID)
	if err != nil {
		return nil, err
	}
	scores, err := rollup.ScanByDomain(rows, rollup.Scores, func() ([]any, func() int) {
		var period int
		return []any{&period}, func() int { return period }
	})
	out := make(map[int]map[string]*scoring.PracticeScore, len(scores))
	for period, byDomain := range scores {
		out[period] = make(map[string]*scoring.PracticeScore, len(byDomain))
		for d, s := range byDomain {
			out[period][d] = &s
		}
	}
	return out, err
}

type orgPeriod struct{ org, period int }

// orgRollups reads the CCG's and England's org_rollups in every period
// through rollup.Rollups.
func (p *Profile) orgRollups(ctx context.Context, db *database.DB) (map[orgPeriod]map[string]scoring.Rollup, error) {
	rows, err := db.SQL.QueryContext(ctx, database.Rebind(db.Dialect, "SELECT org_id, period_id, domain, "+
		strings.Join(rollup.Rollups.Names(), ", ")+" FROM org_rollups WHERE org_id IN (?, ?)"), p.Practice.ccgID, p.Practice.nationalID)
	if err != nil {
		return nil, err
	}
	return rollup.ScanByDomain(rows, rollup.Rollups, func() ([]any, func() orgPeriod) {
		var k orgPeriod
		return []any{&k.org, &k.period}, func() orgPeriod { return k }
	})
}

// percentiles ranks the practice's score among the scores of the
// counting practices of its CCG (Maturity.peerPercentile) and of England,
// with scoring.PercentRank.
func (p *Profile) percentiles(ctx context.Context, db *database.DB) error {
	if p.Score == nil {
		return nil
	}
	rows, err := db.SQL.QueryContext(ctx, database.Rebind(db.Dialect, `SELECT p.ccg_id, s.score FROM practice_scores s
		JOIN practices p ON p.id = s.practice_id
		WHERE s.period_id = ? AND s.domain = ? AND s.score IS NOT NULL AND `+scoring.CountsSQL("p.status")),
		p.Period.ID, scoring.AllDomains)
	if err != nil {
		return err
	}
	defer rows.Close()
	var ccg, all []float64
	for rows.Next() {
		var (
			id    int
			score float64
		)
		if err := rows.Scan(&id, &score); err != nil {
			return err
		}
		all = append(all, score)
		if id == p.Practice.ccgID {
			ccg = append(ccg, score)
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	p.CCGPercentile, p.NationalPercentile = scoring.PercentRank(*p.Score, ccg), scoring.PercentRank(*p.Score, all)
	return nil
}

// priorities ranks the practice's own priorities with decisions, as
// Practice.priorities does.
func (p *Profile) priorities(ctx context.Context, db *database.DB, cat *answercheck.Catalogue, title map[int]string) error {
	scopes, err := decisions.Store{DB: db.SQL, Dialect: db.Dialect}.PracticeScopes(ctx, []int{p.Practice.ID}, p.Period.ID, scoring.AllDomains)
	if err != nil {
		return err
	}
	all := decisions.Priorities(cat, scopes[p.Practice.ID], scoring.AllDomains)
	p.PriorityCount = len(all)
	for _, pr := range all[:min(MaxPriorities, len(all))] {
		p.Priorities = append(p.Priorities, Priority{Code: pr.Indicator.Code, Title: title[pr.Indicator.ID], Domain: pr.Indicator.Domain,
			Category: strings.ToLower(string(pr.Indicator.Category)), ByCCG: pr.Indicator.ByCCG(), ScoreGain: pr.ScoreGain,
			LevelUp: pr.LevelUpCount > 0})
	}
	return nil
}

// compliance checks the practice against every requirement set with
// compliance.Practices, as Practice.compliance does: one statement a set.
func (p *Profile) compliance(ctx context.Context, db *database.DB) error {
	sets, err := compliance.Sets(ctx, db.Client)
	if err != nil {
		return err
	}
	var period *ent.AssessmentPeriod
	for _, pe := range p.periods {
		if pe.ID == p.Period.ID {
			period = pe
		}
	}
	for _, set := range sets {
		res, err := compliance.Practices(ctx, db.SQL, set, p.Period.ID, []compliance.Practice{{ID: p.Practice.ID, CCGID: p.Practice.ccgID}})
		if err != nil {
			return err
		}
		sc := SetCompliance{Code: set.Code, Name: set.Name, AppliesFrom: set.AppliesFrom, InForce: set.InForce(period)}
		if r := res[p.Practice.ID]; r != nil {
			sc.Met = r.Met
			for _, o := range r.Outcomes {
				rc := RequirementCheck{Code: o.Requirement.Indicator, Rule: o.Requirement.RuleText()}
				if o.Requirement.Loaded != nil {
					rc.Title = o.Requirement.Loaded.Title
				}
				if o.Answer != nil {
					rc.Value, rc.NotApplicable = o.Answer.Value, o.Answer.NotApplicable
				}
				switch {
				case o.Met == nil:
					sc.Unanswered = append(sc.Unanswered, rc)
				case *o.Met:
					sc.Passed = append(sc.Passed, rc)
				default:
					sc.Missed = append(sc.Missed, rc)
				}
			}
		}
		p.Compliance = append(p.Compliance, sc)
	}
	return nil
}

// answers reads the answers that count for the practice in the period
// (its own, and its CCG's to CCG-level indicators) with the last audit
// event of each, which says through what it came (Response.history).
func (p *Profile) answers(ctx context.Context, db *database.DB, cat *answercheck.Catalogue, title map[int]string) error {
	rs, err := db.Client.Response.Query().Where(response.PeriodID(p.Period.ID),
		response.Or(response.PracticeID(p.Practice.ID), response.OrganisationID(p.Practice.ccgID))).All(ctx)
	if err != nil {
		return err
	}
	ids := make([]int, 0, len(rs))
	for _, r := range rs {
		if ind := cat.ByID(r.IndicatorID); ind != nil && (r.PracticeID != nil) != ind.ByCCG() {
			ids = append(ids, r.ID)
		}
	}
	last := map[int]*ent.AuditEvent{}
	if len(ids) > 0 {
		events, err := db.Client.AuditEvent.Query().Where(auditevent.ResponseIDIn(ids...), auditevent.ActionEQ("answer.set")).
			Order(ent.Asc(auditevent.FieldAt), ent.Asc(auditevent.FieldID)).All(ctx)
		if err != nil {
			return err
		}
		for _, ev := range events {
			last[*ev.ResponseID] = ev
		}
	}
	for _, r := range rs {
		ind := cat.ByID(r.IndicatorID)
		if ind == nil || (r.PracticeID != nil) == ind.ByCCG() {
			continue
		}
		a := Answer{Code: ind.Code, Title: title[ind.ID], Domain: ind.Domain, ByCCG: ind.ByCCG(), NotApplicable: r.NotApplicable,
			Score: r.Score, SubmittedBy: r.SubmittedBy, SubmittedAt: r.SubmittedAt}
		if r.Value != nil {
			a.Value = *r.Value
		}
		if ev := last[r.ID]; ev != nil {
			a.Source = string(ev.Source)
			if ev.Source == auditevent.SourceIMPORT {
				// Imports name themselves "import:<kind> <file>".
				_, a.File, _ = strings.Cut(ev.Actor, " ")
			}
		}
		p.Answers = append(p.Answers, a)
	}
	sort.Slice(p.Answers, func(i, j int) bool { return p.Answers[i].Code < p.Answers[j].Code })
	return nil
}
