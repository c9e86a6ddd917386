package dataset

// Indicators lists the catalogue's indicators: what each answer of
// Responses answers (the feed's Response → Indicator relation).
var Indicators = &Set{
	Name: "indicators", EntitySet: "Indicators", EntityType: "Indicator",
	Key:    []string{"code"},
	Params: []string{"domain"},
	Columns: []Column{
		col("code", String, false, "i.code", "Indicator code, e.g. PO01."),
		col("title", String, false, "i.title", "Its title."),
		col("domain", String, false, "i.domain", "Its domain."),
		col("category", String, false, "i.category", "CORE, MANDATED, ENHANCED or TRANSFORMATIONAL."),
		col("answer_type", String, false, "i.answer_type", "BOOL, PCT, ORD or CHOICE."),
		col("respondent", String, false, "i.respondent", "PRACTICE, or CCG for an indicator a CCG answers for all its practices."),
		col("target", Float, true, "i.target", "For PCT the percentage from which an answer scores 1; for ORD the target step; null for BOOL (the target is yes) and CHOICE (not scored)."),
		col("weight", Int, false, "i.weight", "Its weight in the domain's and the overall score."),
		col("description", String, true, "NULLIF(i.description, '')", "What it asks; null when the catalogue gives none."),
	},
	from: func(*Builder, string, bool) string { return "indicators i" },
}
