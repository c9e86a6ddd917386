package graph

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"dpcma/server/refdata"
	"dpcma/tools/secondarycare/dma"
	"dpcma/tools/secondarycare/graph/model"
)

// The tests drive the subgraph's real handler over HTTP.

type gqlError struct {
	Message    string
	Extensions map[string]any
}

type response struct {
	Data   json.RawMessage
	Errors []gqlError
}

func serve(t *testing.T, d *dma.Data) string {
	t.Helper()
	s := httptest.NewServer(NewHandler(d))
	t.Cleanup(s.Close)
	return s.URL
}

func load(t *testing.T) *dma.Data {
	t.Helper()
	d, err := dma.Load()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// post sends a query and returns the whole response.
func post(t *testing.T, url, query string, vars map[string]any) response {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	res, err := http.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("HTTP %d", res.StatusCode)
	}
	var out response
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out
}

// query sends a query that must succeed and decodes its data into into.
func query(t *testing.T, url, q string, vars map[string]any, into any) {
	t.Helper()
	res := post(t, url, q, vars)
	if len(res.Errors) > 0 {
		t.Fatalf("%s: %v", q, res.Errors)
	}
	if err := json.Unmarshal(res.Data, into); err != nil {
		t.Fatal(err)
	}
}

// lookupFile reads the embedded lookup as published: trust code → STP.
func lookupFile(t *testing.T) map[string]string {
	t.Helper()
	f, err := os.Open("../dma/data/trust_stp_2017-18.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if h := rows[0]; strings.TrimPrefix(h[0], "\ufeff") != "NHS England Region" || h[2] != "code" || h[4] != "STP_code" {
		t.Fatalf("header %q", h)
	}
	out := map[string]string{}
	for _, r := range rows[1:] {
		out[r[2]] = r[4]
	}
	return out
}

type trustDMA struct {
	OdsCode string
	Name    string
	Stp     struct{ OdsCode string }
	D16     *theme
	D17     *theme
}

type theme struct {
	Round                                            int
	Readiness, Capabilities, Infrastructure, Overall float64
	CapabilityAreas                                  []struct {
		Name  string
		Score float64
	}
}

const allTrusts = `{ trusts { odsCode name stp { odsCode }
	d16: dma(round: 2016) { round readiness capabilities infrastructure overall capabilityAreas { name score } }
	d17: dma { round readiness capabilities infrastructure overall capabilityAreas { name score } } } }`

func TestTrustsAreTheLookupsWithTheirSTPs(t *testing.T) {
	url := serve(t, load(t))
	var got struct{ Trusts []trustDMA }
	query(t, url, allTrusts, nil, &got)
	want := lookupFile(t)
	if len(got.Trusts) != 137 || len(want) != 137 {
		t.Fatalf("%d trusts served, %d in the file; want 137", len(got.Trusts), len(want))
	}
	stps := map[string]bool{}
	for _, tr := range got.Trusts {
		if tr.Stp.OdsCode != want[tr.OdsCode] || tr.Name == "" {
			t.Errorf("trust %s (%q) in STP %s, the file says %q", tr.OdsCode, tr.Name, tr.Stp.OdsCode, want[tr.OdsCode])
		}
		stps[tr.Stp.OdsCode] = true
		for _, d := range []*theme{tr.D16, tr.D17} {
			if d == nil || len(d.CapabilityAreas) != 8 || d.CapabilityAreas[4].Name != "Decision support" {
				t.Fatalf("trust %s: %+v", tr.OdsCode, d)
			}
			var sum float64
			for _, a := range d.CapabilityAreas {
				sum += a.Score
			}
			// Capabilities are the mean of their areas, overall of the themes.
			if math.Abs(sum/8-d.Capabilities) > 0.051 || math.Abs((d.Readiness+d.Capabilities+d.Infrastructure)/3-d.Overall) > 0.051 {
				t.Errorf("trust %s round %d: %+v", tr.OdsCode, d.Round, d)
			}
		}
		if tr.D16.Round != 2016 || tr.D17.Round != 2017 {
			t.Errorf("trust %s: rounds %d and %d", tr.OdsCode, tr.D16.Round, tr.D17.Round)
		}
	}
	if len(stps) != 44 {
		t.Errorf("trusts in %d STPs, want 44", len(stps))
	}
	if !slices.IsSortedFunc(got.Trusts, func(a, b trustDMA) int { return strings.Compare(a.OdsCode, b.OdsCode) }) {
		t.Error("trusts not in code order")
	}

	var one struct{ Trust, Unknown *trustDMA }
	query(t, url, `{ trust(odsCode: "RM3") { odsCode name stp { odsCode } } unknown: trust(odsCode: "00C") { name } }`, nil, &one)
	if one.Trust == nil || one.Trust.Name != "Salford Royal NHS Foundation Trust" || one.Trust.Stp.OdsCode != "E54000007" || one.Unknown != nil {
		t.Errorf("RM3 and 00C: %+v %+v", one.Trust, one.Unknown)
	}
}

// The same code gets the same scores from a fresh load and another
// server; different codes get different ones.
func TestScoresAreDeterministic(t *testing.T) {
	var first, second struct{ Trusts []trustDMA }
	query(t, serve(t, load(t)), allTrusts, nil, &first)
	query(t, serve(t, load(t)), allTrusts, nil, &second)
	if !reflect.DeepEqual(first, second) {
		t.Error("two servers gave different scores")
	}
	if !reflect.DeepEqual(dma.Synthetic("RM3"), dma.Synthetic("RM3")) || reflect.DeepEqual(dma.Synthetic("RM3"), dma.Synthetic("RW6")) {
		t.Error("Synthetic is not a function of the code alone")
	}
	distinct := map[float64]bool{}
	for _, tr := range first.Trusts {
		distinct[tr.D16.Overall] = true
	}
	if len(distinct) < 100 {
		t.Errorf("only %d distinct overall scores among 137 trusts", len(distinct))
	}
}

// England's means sit on the published figures of 2016, and the 2017
// round is higher on every theme, by at most about 16%.
func TestNationalFiguresNearThePublishedOnes(t *testing.T) {
	url := serve(t, load(t))
	var got struct {
		National struct {
			SecondaryCare struct {
				TrustCount                                       int
				Readiness, Capabilities, Infrastructure, Overall float64
			}
		}
		Later struct {
			SecondaryCare struct{ Readiness, Capabilities, Infrastructure, Overall float64 }
		}
	}
	// _entities is a list: decode its single element.
	var raw struct{ National, Later []json.RawMessage }
	query(t, url, `query($r: [_Any!]!) {
		national: _entities(representations: $r) { ... on Organisation { secondaryCare(round: 2016) { trustCount readiness capabilities infrastructure overall } } }
		later: _entities(representations: $r) { ... on Organisation { secondaryCare { readiness capabilities infrastructure overall } } } }`,
		map[string]any{"r": []map[string]string{{"__typename": "Organisation", "odsCode": "ENG"}}}, &raw)
	if err := json.Unmarshal(raw.National[0], &got.National); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw.Later[0], &got.Later); err != nil {
		t.Fatal(err)
	}
	n, l := got.National.SecondaryCare, got.Later.SecondaryCare
	if n.TrustCount != 137 {
		t.Errorf("England: %d trusts", n.TrustCount)
	}
	for _, c := range []struct {
		name       string
		got, want  float64
		later      float64
		maxGrowth  float64
		tolerateBy float64
	}{
		{"readiness", n.Readiness, 73, l.Readiness, 0.17, 1.5},
		{"capabilities", n.Capabilities, 40, l.Capabilities, 0.17, 1.5},
		{"infrastructure", n.Infrastructure, 68, l.Infrastructure, 0.17, 1.5},
		{"overall", n.Overall, 60, l.Overall, 0.17, 1.5},
	} {
		if math.Abs(c.got-c.want) > c.tolerateBy {
			t.Errorf("2016 national %s %.1f, published %.0f", c.name, c.got, c.want)
		}
		if c.later <= c.got || c.later > c.got*(1+c.maxGrowth) {
			t.Errorf("2017 national %s %.1f against %.1f in 2016", c.name, c.later, c.got)
		}
	}

	var all struct{ Trusts []trustDMA }
	query(t, url, allTrusts, nil, &all)
	best, lowestReadiness := 0.0, 100.0
	for _, tr := range all.Trusts {
		best, lowestReadiness = max(best, tr.D16.Overall), min(lowestReadiness, tr.D16.Readiness)
	}
	// Published: highest overall 93, lowest readiness 28.
	if best < 88 || best > 97 || lowestReadiness < 22 || lowestReadiness > 34 {
		t.Errorf("2016: highest overall %.1f, lowest readiness %.1f", best, lowestReadiness)
	}
}

type summary struct {
	Round                                            int
	TrustCount                                       int
	Readiness, Capabilities, Infrastructure, Overall *float64
	Trusts                                           []struct {
		OdsCode                                          string
		Readiness, Capabilities, Infrastructure, Overall float64
		Trust                                            struct{ Name string }
	}
}

// entities resolves Organisation representations of codes, selecting
// only secondaryCare (a gateway never selects the key it sent).
func entities(t *testing.T, url string, codes []string, round int) []*struct{ SecondaryCare *summary } {
	t.Helper()
	reps := make([]map[string]string, len(codes))
	for i, c := range codes {
		reps[i] = map[string]string{"__typename": "Organisation", "odsCode": c}
	}
	var got struct {
		Entities []*struct{ SecondaryCare *summary } `json:"_entities"`
	}
	query(t, url, `query($r: [_Any!]!, $round: Int) { _entities(representations: $r) { ... on Organisation {
		secondaryCare(round: $round) { round trustCount readiness capabilities infrastructure overall
			trusts { odsCode readiness capabilities infrastructure overall trust { name } } } } } }`,
		map[string]any{"r": reps, "round": round}, &got)
	if len(got.Entities) != len(codes) {
		t.Fatalf("%d entities for %d representations", len(got.Entities), len(codes))
	}
	return got.Entities
}

// Every STP's and region's figures are the means of its trusts', and an
// STP counts the trusts the lookup gives it.
func TestAreasAreTheMeansOfTheirTrusts(t *testing.T) {
	h, err := refdata.England()
	if err != nil {
		t.Fatal(err)
	}
	url := serve(t, load(t))
	var all struct{ Trusts []trustDMA }
	query(t, url, allTrusts, nil, &all)
	lookup := lookupFile(t)
	regionOf := map[string]string{}
	var codes []string
	for _, s := range h.STPs {
		regionOf[s.Code] = s.Region
		codes = append(codes, s.Code)
	}
	for _, r := range h.Regions {
		codes = append(codes, r.Code)
	}
	codes = append(codes, "ENG")

	for _, round := range []int{2016, 2017} {
		got := entities(t, url, codes, round)
		for i, code := range codes {
			var members []*theme
			for _, tr := range all.Trusts {
				if code == "ENG" || tr.Stp.OdsCode == code || regionOf[tr.Stp.OdsCode] == code {
					members = append(members, map[int]*theme{2016: tr.D16, 2017: tr.D17}[round])
				}
			}
			want := 0
			for _, stp := range lookup {
				if code == "ENG" || stp == code || regionOf[stp] == code {
					want++
				}
			}
			s := got[i].SecondaryCare
			if s == nil || s.Round != round || s.TrustCount != want || len(s.Trusts) != want || want == 0 {
				t.Fatalf("%s %d: %+v, want %d trusts", code, round, s, want)
			}
			mean := func(f func(*theme) float64) float64 {
				var sum float64
				for _, m := range members {
					sum += f(m)
				}
				return sum / float64(len(members))
			}
			for _, c := range []struct {
				name string
				got  *float64
				want float64
			}{
				{"readiness", s.Readiness, mean(func(m *theme) float64 { return m.Readiness })},
				{"capabilities", s.Capabilities, mean(func(m *theme) float64 { return m.Capabilities })},
				{"infrastructure", s.Infrastructure, mean(func(m *theme) float64 { return m.Infrastructure })},
				{"overall", s.Overall, mean(func(m *theme) float64 { return m.Overall })},
			} {
				if c.got == nil || math.Abs(*c.got-c.want) > 0.051 {
					t.Errorf("%s %d %s = %v, mean of its trusts %.2f", code, round, c.name, c.got, c.want)
				}
			}
			for j := 1; j < len(s.Trusts); j++ {
				if s.Trusts[j].Overall > s.Trusts[j-1].Overall {
					t.Errorf("%s: trusts not best overall first", code)
				}
			}
			if s.Trusts[0].Trust.Name == "" {
				t.Errorf("%s: trust %s has no name", code, s.Trusts[0].OdsCode)
			}
		}
	}
}

// countingEntities counts the calls of the real entity resolver.
type countingEntities struct {
	EntityResolver
	calls *int
}

func (c countingEntities) FindManyOrganisationByOdsCodes(ctx context.Context, reps []*model.OrganisationByOdsCodesInput) ([]*model.Organisation, error) {
	*c.calls++
	return c.EntityResolver.FindManyOrganisationByOdsCodes(ctx, reps)
}

type countingRoot struct {
	*Resolver
	calls *int
}

func (r countingRoot) Entity() EntityResolver {
	return countingEntities{r.Resolver.Entity(), r.calls}
}

// Many Organisation representations resolve in one call, in input order,
// null for a CCG, a practice or a code nobody holds, whatever is selected.
func TestOrganisationEntitiesInOneBatch(t *testing.T) {
	var calls int
	s := httptest.NewServer(newServer(countingRoot{&Resolver{Data: load(t)}, &calls}))
	defer s.Close()

	codes := []string{"E54000007", "00C", "ENG", "A81001", "Y56", "ZZZ", "E54000040", "E54000007"}
	got := entities(t, s.URL, codes, 2017)
	if calls != 1 {
		t.Errorf("%d calls of the entity resolver for %d representations", calls, len(codes))
	}
	for i, code := range codes {
		area := code == "ENG" || strings.HasPrefix(code, "E54") || code == "Y56"
		if (got[i] != nil) != area {
			t.Errorf("representation %d (%s): %+v", i, code, got[i])
		}
	}
	if *got[0].SecondaryCare.Overall != *got[7].SecondaryCare.Overall || got[0].SecondaryCare.TrustCount != 7 ||
		got[6].SecondaryCare.TrustCount != 3 || got[2].SecondaryCare.TrustCount != 137 {
		t.Errorf("Greater Manchester %+v, BSW %+v, England %+v", got[0].SecondaryCare, got[6].SecondaryCare, got[2].SecondaryCare)
	}

	// Trusts too, and the subgraph's SDL carries the keys and the @link.
	res := post(t, s.URL, `query($r: [_Any!]!) { _entities(representations: $r) { ... on Trust { name } } _service { sdl } }`,
		map[string]any{"r": []map[string]string{{"__typename": "Trust", "odsCode": "RN3"}, {"__typename": "Trust", "odsCode": "E54000040"}}})
	var data struct {
		Entities []*struct{ Name string } `json:"_entities"`
		Service  struct{ SDL string }     `json:"_service"`
	}
	if err := json.Unmarshal(res.Data, &data); err != nil || len(res.Errors) > 0 {
		t.Fatal(err, res.Errors)
	}
	if len(data.Entities) != 2 || data.Entities[0] == nil || data.Entities[0].Name != "Great Western Hospitals NHS Foundation Trust" || data.Entities[1] != nil {
		t.Errorf("trust entities %+v", data.Entities)
	}
	for _, want := range []string{`@link(url: "https://specs.apollo.dev/federation/v2.7"`, `type Trust @key(fields: "odsCode")`,
		`type Organisation @key(fields: "odsCode")`, "SYNTHETIC", "data.england.nhs.uk"} {
		if !strings.Contains(data.Service.SDL, want) {
			t.Errorf("SDL lacks %q", want)
		}
	}
}

func TestUnknownRoundIsRefused(t *testing.T) {
	url := serve(t, load(t))
	for _, q := range []string{`{ trust(odsCode: "RM3") { dma(round: 2018) { overall } } }`,
		`query($r: [_Any!]!) { _entities(representations: $r) { ... on Organisation { secondaryCare(round: 2015) { overall } } } }`} {
		res := post(t, url, q, map[string]any{"r": []map[string]string{{"__typename": "Organisation", "odsCode": "ENG"}}})
		if len(res.Errors) != 1 || res.Errors[0].Extensions["code"] != "BAD_USER_INPUT" || !strings.Contains(res.Errors[0].Message, "2016 2017") {
			t.Errorf("%s: %+v", q, res.Errors)
		}
	}
}

// Real returns replace the synthetic ones: a trust without a row has no
// return, and the areas' means cover only the trusts with one.
func TestRealScoresReplaceTheSynthetic(t *testing.T) {
	file := "round,code,readiness,capabilities,infrastructure,records,transfers,orders_results,medicines,decision_support,remote_care,asset_optimisation,standards,ignored\n" +
		"2016,RM3,90,80,95,80,80,80,80,80,80,80,80,x\n" +
		"2016,RW6,70,40,60,40,40,40,40,40,40,40,40,x\n" +
		"2016,RX1,1,1,1,1,1,1,1,1,1,1,1,a trust outside the lookup\n"
	d, err := load(t).WithScores(strings.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	url := serve(t, d)
	var got struct {
		Trust struct {
			D16 *theme
			D17 *theme
		}
		Other struct{ D16 *theme }
	}
	query(t, url, `{ trust(odsCode: "RM3") { d16: dma(round: 2016) { readiness overall capabilityAreas { score } } d17: dma { overall } }
		other: trust(odsCode: "RMC") { d16: dma(round: 2016) { overall } } }`, nil, &got)
	if got.Trust.D16 == nil || got.Trust.D16.Readiness != 90 || got.Trust.D16.Overall != 88.3 || got.Trust.D17 != nil || got.Other.D16 != nil {
		t.Errorf("RM3 and RMC: %+v %+v", got.Trust, got.Other)
	}
	gm := entities(t, url, []string{"E54000007"}, 2016)[0].SecondaryCare
	if gm.TrustCount != 2 || *gm.Readiness != 80 || *gm.Overall != 72.5 {
		t.Errorf("Greater Manchester 2016: %+v", gm)
	}
	empty := entities(t, url, []string{"E54000040"}, 2016)[0].SecondaryCare
	if empty.TrustCount != 0 || empty.Overall != nil || len(empty.Trusts) != 0 {
		t.Errorf("an STP without returns: %+v", empty)
	}

	for _, bad := range []string{
		"round,code,readiness\n2016,RM3,90\n",
		strings.Replace(file, "2016,RM3,90", "2016,RM3,190", 1),
		strings.Replace(file, "2016,RW6", "2016,RM3", 1),
		strings.Replace(file, "2016,RW6", "2019,RW6", 1),
	} {
		if _, err := load(t).WithScores(strings.NewReader(bad)); err == nil {
			t.Errorf("no error for %q", bad)
		}
	}
}
