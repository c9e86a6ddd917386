package loaders

// Internals under test in gqlctx_test.go.
var (
	SiblingOrganisations = siblingOrganisations
	PlaceOf              = placeOf
	NodeFieldContext     = nodeFieldContext
)
