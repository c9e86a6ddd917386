//go:build ignore

// entc generates the ent client and the entgql GraphQL schema
// (schema/ent.graphql). It runs before gqlgen; see generate.go.
package main

import (
	"fmt"
	"log"

	"entgo.io/contrib/entgql"
	"entgo.io/ent/entc"
	"entgo.io/ent/entc/gen"
	"github.com/vektah/gqlparser/v2/ast"
)

func main() {
	ex, err := entgql.NewExtension(
		entgql.WithConfigPath("./gqlgen.yml"),
		entgql.WithSchemaGenerator(),
		entgql.WithSchemaPath("./schema/ent.graphql"),
		entgql.WithWhereInputs(true),
		entgql.WithSchemaHook(describe),
	)
	if err != nil {
		log.Fatalf("creating entgql extension: %v", err)
	}
	err = entc.Generate("./ent/schema", &gen.Config{
		Target:  "./ent",
		Package: "dpcma/ent",
		Features: []gen.Feature{
			gen.FeatureGlobalID,
			gen.FeatureModifier,
			gen.FeatureExecQuery,
			gen.FeatureUpsert,
			gen.FeatureLock,
			gen.FeatureVersionedMigration,
		},
	}, entc.Extensions(ex), entc.TemplateDir("./ent/template"))
	if err != nil {
		log.Fatalf("running ent codegen: %v", err)
	}
}

// description is what a client reads about a type entgql generates, and
// about its fields and enum values where ent schema comments cannot say it
// (entgql gives types no description and enums a fixed one).
type description struct {
	text   string
	fields map[string]string // fields or enum values
}

var descriptions = map[string]description{
	"Organisation": {text: "A commissioning organisation: England, an NHS England region, an STP footprint or a " +
		"clinical commissioning group (CCG). Organisations form a tree from England down to the CCGs; GP " +
		"practices sit beneath CCGs.", fields: map[string]string{
		"children": "The organisations one tier below: England's regions, a region's STPs, an STP's CCGs. " +
			"A CCG has none; its GP practices are in practices. Closed organisations are left out unless where names status " +
			"(where: {status: CLOSED}, or statusIn: [OPEN, CLOSED] for all).",
	}},
	"Practice": {text: "A GP practice, commissioned by one CCG. Its maturity is scored from its own answers " +
		"and from its CCG's answers to CCG-level indicators."},
	"Indicator": {text: "One question of the maturity catalogue (50 indicators in seven domains). Each period, " +
		"every practice answers it or, for a CCG-level indicator (respondent CCG), each CCG answers it once " +
		"for all its practices."},
	"AssessmentPeriod": {text: "A half-year of the NHS financial year for which answers are collected: H1 runs " +
		"from 1 April to 30 September, H2 from 1 October to 31 March (2016-17-H2 is October 2016 to March 2017)."},
	"Response": {text: "One answer to one indicator for one period, given by a practice or, for a CCG-level " +
		"indicator, by a CCG."},
	"Tier": {text: "The tier of an organisation in the commissioning hierarchy.", fields: map[string]string{
		"NATIONAL": "England, the root of the hierarchy (code ENG).",
		"REGION":   "An NHS England commissioning region of 2016 (Y54 to Y57).",
		"STP":      "A Sustainability and Transformation Partnership footprint (ONS code E54000005 to E54000048).",
		"CCG":      "A clinical commissioning group; GP practices sit beneath it.",
	}},
	"ServiceCategory": {text: "The GP IT Operating Model service category of an indicator. It sets the " +
		"indicator's weight, and the maturity levels gate on category scores.", fields: map[string]string{
		"CORE":             "Services every practice must have. Weight 3; with MANDATED, the level 3 gate.",
		"MANDATED":         "GP contract and national requirements. Weight 3; with CORE, the level 3 gate.",
		"ENHANCED":         "Services beyond the core offer. Weight 2; the level 4 gate.",
		"TRANSFORMATIONAL": "Services for new models of care and working at scale. Weight 1; the level 5 gate.",
	}},
	"AnswerType": {text: "How an indicator is answered and how an answer scores (0 to 1).", fields: map[string]string{
		"BOOL":   "Yes or no. Scores 1 for yes, 0 for no.",
		"PCT":    "A percentage from 0 to 100. Scores value / target, at most 1.",
		"ORD":    "A whole step from 0 to maxStep. Scores step / maxStep.",
		"CHOICE": "One of choices. Recorded, not scored.",
	}},
	"Respondent": {text: "Who answers an indicator.", fields: map[string]string{
		"PRACTICE": "Each practice answers for itself.",
		"CCG":      "The CCG answers once; its answer counts for every practice of the CCG.",
	}},
	"PeriodStatus": {text: "Whether answers for a period are still being collected.", fields: map[string]string{
		"OPEN":   "Answers are being collected (the latest period).",
		"CLOSED": "Answers are final.",
	}},
	"OrganisationStatus": {text: "Whether an organisation is in the current hierarchy. A closed organisation keeps its " +
		"history and drops out of roll-ups and of lists unless a where asks for it.", fields: map[string]string{
		"OPEN":   "In the last ODS release imported: listed, and rolled up in the current figures.",
		"CLOSED": "Absent from the last ODS release imported (merged, abolished or split). It keeps its answers and past periods' figures and is still found by organisation(odsCode:).",
	}},
}

// openByDefault are the lists of organisations whose where argument
// defaults to {status: OPEN}: closed organisations stay out unless a where
// names status. A where that does not name status gets OPEN added by the
// resolvers (graph/organisations.go); the default lets the eager loading
// of nested lists apply the same rule.
var openByDefault = []struct{ typ, field string }{{"Organisation", "children"}, {"Query", "organisations"}}

// describe sets the descriptions above on the generated schema, and the
// default where of openByDefault.
func describe(_ *gen.Graph, s *ast.Schema) error {
	for _, l := range openByDefault {
		f := s.Types[l.typ].Fields.ForName(l.field)
		if f == nil || f.Arguments.ForName("where") == nil {
			return fmt.Errorf("describe: no %s.%s(where:) in the generated schema", l.typ, l.field)
		}
		f.Arguments.ForName("where").DefaultValue = &ast.Value{Kind: ast.ObjectValue, Children: ast.ChildValueList{
			{Name: "status", Value: &ast.Value{Kind: ast.EnumValue, Raw: "OPEN"}}}}
	}
	for name, d := range descriptions {
		def := s.Types[name]
		if def == nil {
			return fmt.Errorf("describe: no type %s in the generated schema", name)
		}
		def.Description = d.text
		for f, text := range d.fields {
			switch {
			case def.Kind == ast.Enum && def.EnumValues.ForName(f) != nil:
				def.EnumValues.ForName(f).Description = text
			case def.Fields.ForName(f) != nil:
				def.Fields.ForName(f).Description = text
			default:
				return fmt.Errorf("describe: %s has no field or value %s", name, f)
			}
		}
	}
	return nil
}
