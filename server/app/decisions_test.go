package app_test

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"dpcma/ent/grant"
	"dpcma/server/seed"
)

// raw is the small data set as the tables hold it, read with plain SQL:
// the material of an independent recomputation of the decisions, which
// uses none of the code under test.
type raw struct {
	indicators map[int]rawIndicator
	practices  []rawPractice
	orgs       map[int]rawOrg
	own, ccg   map[int]map[int]rawAnswer // subject → indicator → answer
}

type rawIndicator struct {
	code, domain, category, typ string
	target                      *float64
	maxStep                     int
	weight                      float64
	ccgLevel                    bool
}

type rawPractice struct {
	id, ccg, stp, region, listSize int
	code                           string
	active                         bool
	attrs                          map[string]*string // by PracticeAttribute
}

type rawOrg struct {
	code, tier string
	parent     int
}

type rawAnswer struct {
	numeric, score *float64
	na             bool
}

func (e *env) readRaw(period string) raw {
	e.t.Helper()
	ctx := context.Background()
	r := raw{indicators: map[int]rawIndicator{}, orgs: map[int]rawOrg{}, own: map[int]map[int]rawAnswer{}, ccg: map[int]map[int]rawAnswer{}}
	query := func(q string, scan func(scan func(...any))) {
		e.t.Helper()
		rows, err := e.db.SQL.QueryContext(ctx, q)
		if err != nil {
			e.t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			scan(func(dest ...any) {
				if err := rows.Scan(dest...); err != nil {
					e.t.Fatal(err)
				}
			})
		}
		if err := rows.Err(); err != nil {
			e.t.Fatal(err)
		}
	}
	query("SELECT id, code, domain, category, answer_type, target, max_step, weight, respondent FROM indicators", func(scan func(...any)) {
		var (
			id         int
			i          rawIndicator
			maxStep    *int
			respondent string
		)
		scan(&id, &i.code, &i.domain, &i.category, &i.typ, &i.target, &maxStep, &i.weight, &respondent)
		if maxStep != nil {
			i.maxStep = *maxStep
		}
		i.ccgLevel = respondent == "CCG"
		r.indicators[id] = i
	})
	query(`SELECT id, ods_code, ccg_id, COALESCE(stp_id, 0), region_id, list_size, status, contract_type, rurality, dispensing, clinical_system
		FROM practices ORDER BY id`, func(scan func(...any)) {
		var (
			p                  rawPractice
			status, system     string
			contract, rurality *string
			dispensing         *bool
		)
		scan(&p.id, &p.code, &p.ccg, &p.stp, &p.region, &p.listSize, &status, &contract, &rurality, &dispensing, &system)
		p.active = status == "ACTIVE"
		p.attrs = map[string]*string{"CONTRACT_TYPE": contract, "RURALITY": rurality}
		if dispensing != nil {
			v := fmt.Sprint(*dispensing)
			p.attrs["DISPENSING"] = &v
		}
		if system != "" {
			p.attrs["CLINICAL_SYSTEM"] = &system
		}
		band := ""
		for _, b := range []struct {
			label string
			from  int
		}{{"under 3,000", 0}, {"3,000-5,999", 3000}, {"6,000-9,999", 6000}, {"10,000-14,999", 10000}, {"15,000 and over", 15000}} {
			if p.listSize >= b.from {
				band = b.label
			}
		}
		p.attrs["LIST_SIZE_BAND"] = &band
		r.practices = append(r.practices, p)
	})
	query("SELECT id, ods_code, tier, COALESCE(parent_id, 0) FROM organisations", func(scan func(...any)) {
		var (
			id int
			o  rawOrg
		)
		scan(&id, &o.code, &o.tier, &o.parent)
		r.orgs[id] = o
	})
	query(`SELECT COALESCE(r.practice_id, 0), COALESCE(r.organisation_id, 0), r.indicator_id, r.numeric_value, r.score, r.not_applicable
		FROM responses r JOIN assessment_periods ap ON ap.id = r.period_id WHERE ap.code = '`+period+`'`, func(scan func(...any)) {
		var (
			practice, org, ind int
			a                  rawAnswer
		)
		scan(&practice, &org, &ind, &a.numeric, &a.score, &a.na)
		into, id := r.own, practice
		if practice == 0 {
			into, id = r.ccg, org
		}
		if into[id] == nil {
			into[id] = map[int]rawAnswer{}
		}
		into[id][ind] = a
	})
	return r
}

// meets is the target rule, restated: yes; a percentage or step at or
// above the target.
func (i rawIndicator) meets(v float64) bool {
	if i.typ == "BOOL" {
		return v >= 1
	}
	return v >= *i.target
}

// meetingScore is the response score of the lowest answer that meets the
// target.
func (i rawIndicator) meetingScore() float64 {
	if i.typ == "ORD" {
		return *i.target / float64(i.maxStep)
	}
	return 1
}

// practiceFigures scores a practice from its answers (its own and its
// CCG's) in a domain ("" all), with one answer replaced when replace is
// given: the overall score and the gated level, restated.
func (r raw) practiceFigures(p rawPractice, domain string, replace int, replaced float64) (*float64, int) {
	type sum struct{ ws, w float64 }
	var all sum
	subsets := map[string]sum{}
	add := func(ind int, a rawAnswer) {
		i := r.indicators[ind]
		if a.na || a.score == nil || domain != "" && i.domain != domain {
			return
		}
		s := *a.score
		if ind == replace {
			s = replaced
		}
		all.ws, all.w = all.ws+i.weight*s, all.w+i.weight
		keys := []string{i.category}
		if i.category == "CORE" || i.category == "MANDATED" {
			keys = append(keys, "CORE+MANDATED")
		}
		for _, k := range keys {
			subsets[k] = sum{subsets[k].ws + i.weight*s, subsets[k].w + i.weight}
		}
	}
	for ind, a := range r.own[p.id] {
		add(ind, a)
	}
	for ind, a := range r.ccg[p.ccg] {
		add(ind, a)
	}
	if all.w == 0 {
		return nil, 0
	}
	score := 100 * all.ws / all.w
	at := func(k string, min float64) bool { s := subsets[k]; return s.w > 0 && 100*s.ws/s.w >= min }
	level := 1
	switch {
	case score >= 90 && at("CORE+MANDATED", 80) && at("ENHANCED", 60) && at("TRANSFORMATIONAL", 50):
		level = 5
	case score >= 75 && at("CORE+MANDATED", 80) && at("ENHANCED", 60):
		level = 4
	case score >= 60 && at("CORE+MANDATED", 80):
		level = 3
	case score >= 40:
		level = 2
	}
	return &score, level
}

type wantPriority struct {
	Code                                                   string
	ShortCount, UnansweredCount, PatientsAffected, LevelUp int
	ScoreGain                                              float64
}

// priorities recomputes the priorities of the active practices in
// beneath (for a practice's own, the practice alone).
func (r raw) priorities(beneath []rawPractice, domain string) []wantPriority {
	var scored int
	for _, p := range beneath {
		if s, _ := r.practiceFigures(p, domain, 0, 0); s != nil {
			scored++
		}
	}
	var out []wantPriority
	for id, ind := range r.indicators {
		if ind.typ == "CHOICE" || domain != "" && ind.domain != domain {
			continue
		}
		w := wantPriority{Code: ind.code}
		var gain float64
		affect := func(p rawPractice) {
			w.PatientsAffected += p.listSize
			before, lb := r.practiceFigures(p, domain, 0, 0)
			after, la := r.practiceFigures(p, domain, id, ind.meetingScore())
			gain += *after - *before
			if la > lb {
				w.LevelUp++
			}
		}
		isShort := func(a rawAnswer, ok bool) bool {
			switch {
			case !ok:
				w.UnansweredCount++
			case !a.na && a.numeric != nil && !ind.meets(*a.numeric):
				w.ShortCount++
				return true
			}
			return false
		}
		if ind.ccgLevel {
			var ccgs []int
			for _, p := range beneath {
				if !slices.Contains(ccgs, p.ccg) {
					ccgs = append(ccgs, p.ccg)
				}
			}
			for _, c := range ccgs {
				if a, ok := r.ccg[c][id]; isShort(a, ok) {
					for _, p := range beneath {
						if p.ccg == c {
							affect(p)
						}
					}
				}
			}
		} else {
			for _, p := range beneath {
				if a, ok := r.own[p.id][id]; isShort(a, ok) {
					affect(p)
				}
			}
		}
		if w.ShortCount > 0 {
			w.ScoreGain = gain / float64(scored)
			out = append(out, w)
		}
	}
	slices.SortFunc(out, func(a, b wantPriority) int {
		if math.Abs(a.ScoreGain-b.ScoreGain) > 1e-9 {
			return cmp.Compare(b.ScoreGain, a.ScoreGain)
		}
		return cmp.Or(cmp.Compare(b.PatientsAffected, a.PatientsAffected), cmp.Compare(a.Code, b.Code))
	})
	return out
}

// beneath lists the active practices beneath an organisation.
func (r raw) beneath(org int) []rawPractice {
	var out []rawPractice
	for _, p := range r.practices {
		o := r.orgs[org]
		if p.active && (o.tier == "NATIONAL" || p.ccg == org || p.stp == org || p.region == org) {
			out = append(out, p)
		}
	}
	return out
}

// largest returns the code of the organisation of a tier with the most
// active practices (the first code of those with as many).
func (r raw) largest(tier string) string {
	best, n := "", -1
	for id, o := range r.orgs {
		if c := len(r.beneath(id)); o.tier == tier && (c > n || c == n && o.code < best) {
			best, n = o.code, c
		}
	}
	return best
}

func (r raw) orgID(code string) int {
	for id, o := range r.orgs {
		if o.code == code {
			return id
		}
	}
	return 0
}

type gotPriority struct {
	Indicator                                                   struct{ Code string }
	ShortCount, UnansweredCount, PatientsAffected, LevelUpCount int
	ScoreGain                                                   float64
	BestPeers                                                   []struct {
		Organisation       *struct{ OdsCode string }
		Practice           *struct{ OdsCode string }
		ShareMeetingTarget float64
		AnsweredCount      int
	}
}

const priorityFields = `indicator { code } shortCount unansweredCount patientsAffected scoreGain levelUpCount
	bestPeers(first: 100) { organisation { odsCode } practice { odsCode } shareMeetingTarget answeredCount }`

func samePriorities(t *testing.T, what string, got []gotPriority, want []wantPriority) {
	t.Helper()
	if len(want) == 0 {
		t.Fatalf("%s: the recomputation finds no priority: the data set does not test them", what)
	}
	if len(got) != len(want) {
		t.Errorf("%s: %d priorities, want %d", what, len(got), len(want))
	}
	for i := range min(len(got), len(want)) {
		g, w := got[i], want[i]
		if g.Indicator.Code != w.Code || g.ShortCount != w.ShortCount || g.UnansweredCount != w.UnansweredCount ||
			g.PatientsAffected != w.PatientsAffected || g.LevelUpCount != w.LevelUp || math.Abs(g.ScoreGain-w.ScoreGain) > 1e-9 {
			t.Errorf("%s #%d: got %s short %d unanswered %d patients %d gain %.12f level-ups %d\n\twant %s short %d unanswered %d patients %d gain %.12f level-ups %d",
				what, i+1, g.Indicator.Code, g.ShortCount, g.UnansweredCount, g.PatientsAffected, g.ScoreGain, g.LevelUpCount,
				w.Code, w.ShortCount, w.UnansweredCount, w.PatientsAffected, w.ScoreGain, w.LevelUp)
		}
	}
}

// Priorities of a CCG, an STP, England and a practice, overall and in one
// domain, equal an independent recomputation from the raw answers, in
// full: order, counts, patients, gain and level rises; and so do the
// best peers' shares.
func TestPrioritiesMatchARecomputation(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		const period = "2017-18-H2"
		r := e.readRaw(period)
		ccg, stp := r.largest("CCG"), r.largest("STP")
		practice := r.beneath(r.orgID(ccg))[0]
		for _, domain := range []string{"", "Patient online"} {
			domainArg := ""
			if domain != "" {
				domainArg = fmt.Sprintf(", domain: %q", domain)
			}
			var got struct {
				CCG, STP, England struct{ Priorities []gotPriority }
				Practice          struct{ Priorities []gotPriority }
			}
			e.query(fmt.Sprintf(`{
				CCG: organisation(odsCode: %q) { priorities(period: %q%s, first: 100) { %s } }
				STP: organisation(odsCode: %q) { priorities(period: %q%s, first: 100) { %s } }
				England: national { priorities(period: %q%s, first: 100) { %s } }
				Practice: practice(odsCode: %q) { priorities(period: %q%s, first: 100) { %s } }
			}`, ccg, period, domainArg, priorityFields, stp, period, domainArg, priorityFields,
				period, domainArg, priorityFields, practice.code, period, domainArg, priorityFields), nil, &got)
			what := func(s string) string { return fmt.Sprintf("%s, domain %q", s, domain) }
			samePriorities(t, what(ccg), got.CCG.Priorities, r.priorities(r.beneath(r.orgID(ccg)), domain))
			samePriorities(t, what(stp), got.STP.Priorities, r.priorities(r.beneath(r.orgID(stp)), domain))
			samePriorities(t, what("England"), got.England.Priorities, r.priorities(r.beneath(r.orgID("ENG")), domain))
			samePriorities(t, what(practice.code), got.Practice.Priorities, r.priorities([]rawPractice{practice}, domain))
			for _, pr := range got.England.Priorities {
				if len(pr.BestPeers) != 0 {
					t.Errorf("England has peers for %s", pr.Indicator.Code)
				}
			}
			r.checkPeers(t, what(ccg), ccg, got.CCG.Priorities)
			r.checkPeers(t, what(stp), stp, got.STP.Priorities)
		}
	})
}

// checkPeers recomputes the best peers of an organisation's priorities:
// its siblings' shares of scored answers meeting the target, best first.
func (r raw) checkPeers(t *testing.T, what, code string, got []gotPriority) {
	t.Helper()
	self := r.orgs[r.orgID(code)]
	checked := 0
	for _, pr := range got {
		var ind int
		for id, i := range r.indicators {
			if i.code == pr.Indicator.Code {
				ind = id
			}
		}
		type peer struct {
			code                 string
			id, meeting, answers int
		}
		var want []peer
		for id, o := range r.orgs {
			if o.tier != self.tier || o.parent != self.parent || o.code == code {
				continue
			}
			p := peer{code: o.code, id: id}
			count := func(a rawAnswer, ok bool) {
				if ok && !a.na && a.score != nil {
					p.answers++
					if r.indicators[ind].meets(*a.numeric) {
						p.meeting++
					}
				}
			}
			if r.indicators[ind].ccgLevel {
				for cid, c := range r.orgs {
					if c.tier == "CCG" && (cid == id || c.parent == id) {
						a, ok := r.ccg[cid][ind]
						count(a, ok)
					}
				}
			} else {
				for _, p := range r.beneath(id) {
					a, ok := r.own[p.id][ind]
					count(a, ok)
				}
			}
			if p.answers > 0 {
				want = append(want, p)
			}
		}
		slices.SortFunc(want, func(a, b peer) int {
			return cmp.Or(cmp.Compare(b.meeting*a.answers, a.meeting*b.answers), cmp.Compare(b.answers, a.answers), cmp.Compare(a.id, b.id))
		})
		if len(pr.BestPeers) != len(want) {
			t.Errorf("%s %s: %d peers, want %d", what, pr.Indicator.Code, len(pr.BestPeers), len(want))
			continue
		}
		for i, w := range want {
			g := pr.BestPeers[i]
			share := float64(w.meeting) / float64(w.answers)
			if g.Organisation == nil || g.Organisation.OdsCode != w.code || g.AnsweredCount != w.answers || math.Abs(g.ShareMeetingTarget-share) > 1e-12 {
				t.Errorf("%s %s peer #%d: got %+v, want %s %d/%d", what, pr.Indicator.Code, i+1, g, w.code, w.meeting, w.answers)
			}
		}
		checked += len(want)
	}
	if checked == 0 {
		t.Errorf("%s: no peer checked", what)
	}
}

// A submission changes the priorities that depend on it at once, the
// response cache notwithstanding.
func TestSubmissionMovesPriorities(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		a := newAccountsEnv(t, e, nil)
		admin := a.operatorToken("admin@nhs.net", grant.RoleADMIN, "")
		var before struct {
			Practice struct {
				OdsCode    string
				Priorities []gotPriority
			}
		}
		q := `{ practice(odsCode: "A83005") { odsCode priorities(first: 100) { ` + priorityFields + ` } } }`
		a.ok("", q, nil, &before)
		if len(before.Practice.Priorities) == 0 {
			t.Fatal("A83005 has no priorities to move")
		}
		// The best priority a practice answers itself, yes/no or a percentage.
		var top, answerType string
		for _, p := range before.Practice.Priorities {
			var ind struct {
				Indicator struct{ AnswerType, Respondent string }
			}
			a.ok("", fmt.Sprintf(`{ indicator(code: %q) { answerType respondent } }`, p.Indicator.Code), nil, &ind)
			if ind.Indicator.Respondent == "PRACTICE" && (ind.Indicator.AnswerType == "BOOL" || ind.Indicator.AnswerType == "PCT") {
				top, answerType = p.Indicator.Code, ind.Indicator.AnswerType
				break
			}
		}
		if top == "" {
			t.Fatal("A83005 has no yes/no or percentage priority of its own")
		}
		value := map[string]string{"BOOL": "yes", "PCT": "100"}[answerType]
		a.ok(admin, fmt.Sprintf(`mutation { submitResponses(input: {practice: "A83005", period: "2017-18-H2",
			answers: [{indicator: %q, value: %q}]}) { changed } }`, top, value), nil, &struct{}{})
		var after struct {
			Practice struct{ Priorities []gotPriority }
		}
		a.ok("", q, nil, &after)
		for _, p := range after.Practice.Priorities {
			if p.Indicator.Code == top {
				t.Errorf("%s is still a priority after it was met", top)
			}
		}
		if len(after.Practice.Priorities) != len(before.Practice.Priorities)-1 {
			t.Errorf("%d priorities after meeting one of %d", len(after.Practice.Priorities), len(before.Practice.Priorities))
		}
	})
}

// Maturity by practice attribute: for every attribute, a CCG's and
// England's groups add up to the whole, and each group's score, practice
// and responded counts equal a recomputation over its practices.
func TestMaturityByMatchesARecomputation(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		const period = "2017-18-H2"
		r := e.readRaw(period)
		type group struct {
			Value    *string
			Maturity struct {
				Score                                 *float64
				PracticeCount, RespondedPracticeCount int
				PeerPercentile, Change                *float64
			}
		}
		for _, code := range []string{r.orgs[r.practices[0].ccg].code, "ENG"} {
			for _, attr := range []string{"CONTRACT_TYPE", "RURALITY", "DISPENSING", "CLINICAL_SYSTEM", "LIST_SIZE_BAND"} {
				var got struct {
					Organisation struct {
						Maturity   struct{ PracticeCount, RespondedPracticeCount int }
						MaturityBy []group
					}
				}
				e.query(fmt.Sprintf(`{ organisation(odsCode: %q) { maturity(period: %q) { practiceCount respondedPracticeCount }
					maturityBy(attribute: %s, period: %q) { value maturity { score practiceCount respondedPracticeCount peerPercentile change } } } }`,
					code, period, attr, period), nil, &got)
				want := map[string][]rawPractice{}
				for _, p := range r.beneath(r.orgID(code)) {
					k := "(unknown)"
					if v := p.attrs[attr]; v != nil {
						k = *v
					}
					want[k] = append(want[k], p)
				}
				if len(got.Organisation.MaturityBy) != len(want) {
					t.Errorf("%s by %s: %d groups, want %d", code, attr, len(got.Organisation.MaturityBy), len(want))
				}
				total, responded := 0, 0
				for _, g := range got.Organisation.MaturityBy {
					k := "(unknown)"
					if g.Value != nil {
						k = *g.Value
					}
					practices := want[k]
					var sum float64
					n := 0
					for _, p := range practices {
						if s, _ := r.practiceFigures(p, "", 0, 0); s != nil {
							sum += *s
							n++
						}
					}
					m := g.Maturity
					total, responded = total+m.PracticeCount, responded+m.RespondedPracticeCount
					if m.PracticeCount != len(practices) || m.RespondedPracticeCount != n || n > 0 && (m.Score == nil || math.Abs(*m.Score-sum/float64(n)) > 1e-9) {
						t.Errorf("%s by %s, %s: got %d practices, %d responded, score %v; want %d, %d, %v",
							code, attr, k, m.PracticeCount, m.RespondedPracticeCount, deref(m.Score), len(practices), n, sum/float64(max(n, 1)))
					}
					if m.PeerPercentile != nil || m.Change != nil {
						t.Errorf("%s by %s, %s: a group has peers or a change", code, attr, k)
					}
				}
				if total != got.Organisation.Maturity.PracticeCount || responded != got.Organisation.Maturity.RespondedPracticeCount {
					t.Errorf("%s by %s: groups add up to %d practices (%d responded), the whole has %d (%d)", code, attr,
						total, responded, got.Organisation.Maturity.PracticeCount, got.Organisation.Maturity.RespondedPracticeCount)
				}
			}
		}
		e.fails(`{ national { maturityBy(attribute: CONTRACT_TYPE, domain: "Nowhere") { value } } }`, nil, "BAD_USER_INPUT")
	})
}

// The IAF digital interactions measure of a CCG and of an STP equals a
// recomputation from the raw answers.
func TestDigitalInteractionsMatchARecomputation(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		const period = "2017-18-H2"
		r := e.readRaw(period)
		code := func(c string) int {
			for id, i := range r.indicators {
				if i.code == c {
					return id
				}
			}
			t.Fatalf("no indicator %s", c)
			return 0
		}
		mean := func(vs []float64) *float64 {
			if len(vs) == 0 {
				return nil
			}
			var s float64
			for _, v := range vs {
				s += v
			}
			m := s / float64(len(vs))
			return &m
		}
		ccgMeasures := func(ccg int) []*float64 {
			practiceMean := func(ind int, scale float64) *float64 {
				var vs []float64
				for _, p := range r.practices {
					if a, ok := r.own[p.id][ind]; p.active && p.ccg == ccg && ok && !a.na && a.numeric != nil {
						vs = append(vs, *a.numeric*scale)
					}
				}
				return mean(vs)
			}
			var shared *float64
			if a, ok := r.ccg[ccg][code("ER11")]; ok && !a.na && a.numeric != nil {
				v := *a.numeric * 100
				shared = &v
			}
			return []*float64{practiceMean(code("ER02"), 1), practiceMean(code("ER05"), 1), shared, practiceMean(code("ER09"), 100.0/3)}
		}
		score := func(ms []*float64) *float64 {
			var vs []float64
			for _, m := range ms {
				if m != nil {
					vs = append(vs, *m)
				}
			}
			return mean(vs)
		}
		type measure struct{ Score, Eps, Ers, SharedRecord, DischargeSummaries *float64 }
		check := func(org string, want []*float64) {
			var got struct {
				Organisation struct{ DigitalInteractions measure }
			}
			e.query(fmt.Sprintf(`{ organisation(odsCode: %q) { digitalInteractions(period: %q) { score eps ers sharedRecord dischargeSummaries } } }`, org, period), nil, &got)
			m := got.Organisation.DigitalInteractions
			for i, g := range []*float64{m.Score, m.Eps, m.Ers, m.SharedRecord, m.DischargeSummaries} {
				w := want[i]
				if (g == nil) != (w == nil) || g != nil && math.Abs(*g-*w) > 1e-9 {
					t.Errorf("%s measure %d: got %v, want %v", org, i, deref(g), deref(w))
				}
			}
		}
		ccg := r.practices[0].ccg
		own := ccgMeasures(ccg)
		check(r.orgs[ccg].code, append([]*float64{score(own)}, own...))
		stp := r.orgs[ccg].parent
		var perCCG [5][]float64
		for id, o := range r.orgs {
			if o.tier == "CCG" && o.parent == stp {
				ms := ccgMeasures(id)
				for i, v := range append([]*float64{score(ms)}, ms...) {
					if v != nil {
						perCCG[i] = append(perCCG[i], *v)
					}
				}
			}
		}
		var want []*float64
		for _, vs := range perCCG {
			want = append(want, mean(vs))
		}
		if want[0] == nil {
			t.Fatal("the STP has no measure: the data set does not test it")
		}
		check(r.orgs[stp].code, want)
	})
}

// Bad arguments of the decisions get a clear error naming the value, and
// first is capped like a connection's page.
func TestDecisionsRefuseBadArguments(t *testing.T) {
	e := newEnv(t, "sqlite", seed.Small)
	for doc, code := range map[string]string{
		`{ national { priorities(first: 5000) { scoreGain } } }`:                        "BAD_USER_INPUT",
		`{ national { priorities(first: -1) { scoreGain } } }`:                          "BAD_USER_INPUT",
		`{ national { priorities { bestPeers(first: 1001) { shareMeetingTarget } } } }`: "BAD_USER_INPUT",
		`{ national { priorities(domain: "Nowhere") { scoreGain } } }`:                  "BAD_USER_INPUT",
		`{ national { priorities(period: "2099-00-H1") { scoreGain } } }`:               "BAD_USER_INPUT",
		`{ practice(odsCode: "Z99999") { priorities { scoreGain } } }`:                  "NOT_FOUND",
		`{ national { digitalInteractions(period: "2099-00-H1") { score } } }`:          "BAD_USER_INPUT",
	} {
		err := e.fails(doc, nil, code)
		for _, v := range []string{"5000", "-1", "1001", "Nowhere", "2099-00-H1", "Z99999"} {
			if strings.Contains(doc, v) && !strings.Contains(err.Message, v) {
				t.Errorf("%s: %q does not name %s", doc, err.Message, v)
			}
		}
	}
}
