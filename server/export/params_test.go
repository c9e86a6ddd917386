package export

import (
	"maps"
	"net/url"
	"slices"
	"strings"
	"testing"

	"dpcma/server/dataset"

	"entgo.io/ent/dialect"
)

// The export parameters become conditions on the set's columns, or a 400
// naming what is wrong.
func TestParseParams(t *testing.T) {
	cat := &dataset.Catalogue{Domains: []string{"Records"}, Periods: []string{"2016-17-H1"}, Indicators: []string{"PO01"},
		RequirementSets: []string{"GMS-2017-18", "GPIT-CORE"},
		Orgs:            map[string]string{"ENG": "NATIONAL", "Y54": "REGION", "E54000048": "STP", "01H": "CCG"}}
	cases := []struct {
		set           *dataset.Set
		query, format string
		where         string // the conditions' SQL
		args          []any
		bom           bool
		domain        string
		computed      map[string]string // Query.Args of a computed set
		err           string
	}{
		{set: dataset.Practices, format: "csv"},
		{set: dataset.Practices, query: "org=y54&bom=1", format: "csv", where: "(reg.ods_code = $1)", args: []any{"Y54"}, bom: true},
		{set: dataset.Practices, query: "org=ENG", format: "json"},
		{set: dataset.Organisations, query: "tier=stp", format: "json", where: "(o.tier = $1)", args: []any{"STP"}},
		{set: dataset.Responses, query: "tier=ccg", format: "json",
			where: "(CASE WHEN r.practice_id IS NULL THEN 'CCG' ELSE 'PRACTICE' END = $1)", args: []any{"CCG"}},
		{set: dataset.Responses, query: "indicator=po01", format: "csv", where: "(i.code = $1)", args: []any{"PO01"}},
		{set: dataset.Responses, query: "domain=Records", format: "csv", where: "(i.domain = $1)", args: []any{"Records"}},
		{set: dataset.Maturity(cat.Domains), query: "domain=Records", format: "csv", domain: "Records"},
		{set: dataset.Practices, query: "bom=1", format: "json", err: "bom applies to CSV only"},
		{set: dataset.Practices, query: "bom=yes", format: "csv", err: `bom must be 1 or 0, not "yes"`},
		{set: dataset.Practices, query: "org=a&org=b", format: "csv", err: "parameter org is given 2 times"},
		{set: dataset.Practices, query: "period=2016-17-H1", format: "csv", err: `unknown parameter "period" for practices: use bom, org`},
		{set: dataset.Practices, query: "x=1", format: "json", err: `unknown parameter "x" for practices: use org`},
		{set: dataset.Practices, query: "org=Q74", format: "csv", err: `unknown organisation "Q74"`},
		{set: dataset.Organisations, query: "tier=practice", format: "csv", err: `unknown tier "practice": use NATIONAL, REGION, STP, CCG`},
		{set: dataset.Responses, query: "period=2030", format: "csv", err: `unknown period "2030": valid periods are 2016-17-H1`},
		{set: dataset.Responses, query: "indicator=zz", format: "csv", err: `unknown indicator "zz"`},
		{set: dataset.Priorities, query: "org=01h", format: "csv", computed: map[string]string{"org": "01H"}},
		{set: dataset.Priorities, query: "org=ENG&period=2016-17-H1&domain=Records", format: "json", domain: "Records",
			computed: map[string]string{"org": "ENG", "period": "2016-17-H1", "domain": "Records"}},
		{set: dataset.Priorities, query: "period=2016-17-H1", format: "csv", err: "parameter org is required for priorities"},
		{set: dataset.Priorities, query: "org=ENG&tier=CCG", format: "csv", err: `unknown parameter "tier" for priorities: use bom, org, period, domain`},
		{set: dataset.Priorities, query: "org=A81001", format: "csv", err: `unknown organisation "A81001"`},
		{set: dataset.Compliance, query: "set=GPIT-CORE&tier=stp&org=y54&period=2016-17-H1", format: "csv",
			computed: map[string]string{"set": "GPIT-CORE", "tier": "STP", "org": "Y54", "period": "2016-17-H1"}},
		{set: dataset.Compliance, query: "tier=CCG", format: "json", err: "parameter set is required for compliance"},
		{set: dataset.Compliance, query: "set=gpit-core", format: "csv", err: `unknown requirement set "gpit-core": the sets are GMS-2017-18, GPIT-CORE`},
		{set: dataset.Compliance, query: "set=GPIT-CORE&tier=PRACTICE", format: "csv", err: `unknown tier "PRACTICE": use NATIONAL, REGION, STP, CCG`},
		{set: dataset.Compliance, query: "set=GPIT-CORE&domain=Records", format: "csv", err: `unknown parameter "domain" for compliance: use bom, set, tier, org, period`},
	}
	for _, c := range cases {
		params, err := url.ParseQuery(c.query)
		if err != nil {
			t.Fatal(err)
		}
		q, bom, err := ParseParams(c.set, cat, params, c.format)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s %s: error %v, want %q", c.set.Name, c.query, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s %s: %v", c.set.Name, c.query, err)
			continue
		}
		b := dataset.NewBuilder(dialect.Postgres)
		var where []string
		for _, w := range q.Where {
			where = append(where, "("+w(b)+")")
		}
		if got := strings.Join(where, " AND "); got != c.where || !slices.Equal(b.Args(), c.args) || bom != c.bom || q.Domain != c.domain ||
			!maps.Equal(q.Args, c.computed) {
			t.Errorf("%s %s: WHERE %s %v, bom %v, domain %q, args %v", c.set.Name, c.query, got, b.Args(), bom, q.Domain, q.Args)
		}
	}
}
