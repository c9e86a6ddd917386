package odata

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"dpcma/server/database"
	"dpcma/server/dataset"
)

// The decisions (Priorities, Compliance) are computed in Go for a subject
// (dataset.Set.Computed): an organisation's priorities, a requirement
// set's compliance. The feed takes the subject from the request itself,
// as an equality on a key property in $filter (Priorities?$filter=OrgCode
// eq 'E54000045'), or from a key lookup, computes the rows once, and then
// serves them as any set: the whole $filter, $orderby, $count and paging
// run over the computed rows (dataset.Materialise).

// decisionArg is a property whose equality chooses what to compute.
type decisionArg struct {
	property, param string
	required        bool
}

var decisionArgs = map[string][]decisionArg{
	"Priorities": {{"OrgCode", "org", true}, {"Period", "period", false}, {"GainDomain", "domain", false}},
	// OrgCode and Tier narrow what is computed (an organisation's subtree,
	// one tier); the filter still picks the rows.
	"Compliance": {{"Set", "set", true}, {"Period", "period", false}, {"OrgCode", "org", false}, {"Tier", "tier", false}},
}

// requiredHow says how to give a decision set's subject.
var requiredHow = map[string]string{
	"Priorities": "Priorities needs the organisation whose priorities: $filter=OrgCode eq 'E54000045' (ENG, a region, an STP or a CCG); Period eq '2017-18-H2' and GainDomain eq 'Patient online' are optional (the latest period with answers, the overall score)",
	"Compliance": "Compliance needs a requirement set: $filter=Set eq 'GMS-2017-18'; Period eq '2017-18-H2' is optional (the latest period with answers)",
}

// decisionSubject reads a decision set's arguments from the properties'
// values (from $filter's equalities or a key), checked against the
// catalogue; an error is a *badRequest.
func decisionSubject(set *dataset.Set, cat *dataset.Catalogue, values map[string]string) (map[string]string, error) {
	args := map[string]string{}
	for _, a := range decisionArgs[set.EntitySet] {
		v, ok := values[a.property]
		if !ok {
			if a.required {
				return nil, bad("%s", requiredHow[set.EntitySet])
			}
			continue
		}
		var valid bool
		var known []string
		switch a.param {
		case "org":
			_, valid = cat.Orgs[v]
			if !valid {
				return nil, bad("unknown organisation %q: give the ODS code of England (ENG), a region, STP or CCG", v)
			}
		case "period":
			valid, known = slices.Contains(cat.Periods, v), cat.Periods
		case "domain":
			valid, known = slices.Contains(cat.Domains, v), cat.Domains
		case "set":
			valid, known = slices.Contains(cat.RequirementSets, v), cat.RequirementSets
		case "tier":
			known = []string{"NATIONAL", "REGION", "STP", "CCG"}
			valid = slices.Contains(known, v)
		}
		if !valid {
			return nil, bad("unknown %s %q: use one of %s", strings.ToLower(a.property), v, strings.Join(known, ", "))
		}
		args[a.param] = v
	}
	return args, nil
}

// materialiseDecision computes a decision set's rows for the subject in
// values and returns the set over them.
func materialiseDecision(ctx context.Context, db *database.DB, cat *dataset.Catalogue, set *dataset.Set, values map[string]string) (*dataset.Set, error) {
	args, err := decisionSubject(set, cat, values)
	if err != nil {
		return nil, err
	}
	return dataset.Materialise(ctx, db, set, args)
}

// filterEqualities are the property eq 'text' comparisons a $filter
// requires: those of its top-level conjunction, parentheses opened; none
// under or and not. A filter that does not parse has none (the parser
// says why later).
func filterEqualities(params url.Values) map[string]string {
	out := map[string]string{}
	toks, err := tokenize(params.Get("$filter"))
	if err != nil {
		return out
	}
	var walk func(toks []token)
	walk = func(toks []token) {
		for len(toks) >= 2 && toks[0].kind == tLParen && closing(toks, 0) == len(toks)-1 {
			toks = toks[1 : len(toks)-1]
		}
		var terms [][]token
		depth, start := 0, 0
		for i, t := range toks {
			switch {
			case t.kind == tLParen:
				depth++
			case t.kind == tRParen:
				depth--
			case depth == 0 && t.kind == tIdent && t.text == "or":
				return // a disjunction requires none of its sides
			case depth == 0 && t.kind == tIdent && t.text == "and":
				terms = append(terms, toks[start:i])
				start = i + 1
			}
		}
		terms = append(terms, toks[start:])
		for _, term := range terms {
			switch {
			case len(term) == 3 && term[1].kind == tIdent && term[1].text == "eq" && term[0].kind == tIdent && term[2].kind == tString:
				out[term[0].text] = term[2].text
			case len(term) == 3 && term[1].kind == tIdent && term[1].text == "eq" && term[2].kind == tIdent && term[0].kind == tString:
				out[term[2].text] = term[0].text
			case len(term) > 2 && term[0].kind == tLParen && closing(term, 0) == len(term)-1:
				walk(term)
			}
		}
	}
	toks = toks[:len(toks)-1] // tEOF
	walk(toks)
	return out
}

// closing is the place of the parenthesis closing the one at open, -1 for
// none.
func closing(toks []token, open int) int {
	depth := 0
	for i := open; i < len(toks); i++ {
		switch toks[i].kind {
		case tLParen:
			depth++
		case tRParen:
			if depth--; depth == 0 {
				return i
			}
		}
	}
	return -1
}

// keyValues are a key lookup's values by property name.
func keyValues(set *dataset.Set, key []any) map[string]string {
	out := map[string]string{}
	for i, k := range set.Key {
		c, _ := set.Column(k)
		if s, ok := key[i].(string); ok {
			out[c.ODataName()] = s
		} else {
			out[c.ODataName()] = fmt.Sprint(key[i])
		}
	}
	return out
}
