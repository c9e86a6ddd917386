package app

import (
	"net/http"
	"slices"

	"dpcma/server/compression"
	"dpcma/server/database"
	"dpcma/server/export"
	"dpcma/server/odata"

	"github.com/rs/cors"
)

// BIConfig holds the settings of the BI surface: exports, the OData feed
// and CORS for dashboards on other origins.
type BIConfig struct {
	// CORSOrigins may call the API from a browser page: exact origins
	// (https://dash.example.nhs.uk), or "*" for any origin without
	// credentials. Empty: same-origin only.
	CORSOrigins []string
	// ODataPageSize is the rows of one OData page before @odata.nextLink.
	ODataPageSize int
	// Export limits (each from export.DefaultConfig when zero).
	Export export.Config
}

// DefaultBIConfig is the server's default.
var DefaultBIConfig = BIConfig{ODataPageSize: odata.DefaultPageSize, Export: export.DefaultConfig}

// mountBI adds /export/ and /odata/ to mux. They are authenticated and
// rate limited like /query, and read by access.Read as the API does.
func mountBI(mux *http.ServeMux, db *database.DB, cfg Config) {
	bi := cfg.BI
	bi.Export.AnonymousReads = !cfg.NoAnonymousReads
	wrap := func(h http.Handler) http.Handler {
		return withCORS(bi.CORSOrigins, compression.Handler(authenticate(cfg.Accounts,
			limitRate(cfg.RateLimit, cfg.RateBurst, cfg.TrustProxy, h))))
	}
	mux.Handle("/export/", wrap(export.Handler(db, bi.Export)))
	mux.Handle("/odata/", wrap(odata.Handler(db, odata.Config{PageSize: bi.ODataPageSize, Export: bi.Export})))
}

// withCORS answers preflight requests and sets the CORS headers for the
// allowed origins. rs/cors handles the corner cases (Vary, preflight
// caching, header matching) that are easy to get wrong by hand; with no
// origins listed it still answers preflights, without allowing any.
func withCORS(origins []string, h http.Handler) http.Handler {
	opts := cors.Options{
		AllowedMethods: []string{http.MethodGet, http.MethodPost, http.MethodHead},
		AllowedHeaders: []string{"Authorization", "Content-Type"},
		ExposedHeaders: []string{"ETag", "Content-Disposition", "Retry-After"},
		MaxAge:         600,
	}
	switch {
	case slices.Contains(origins, "*"):
		// Public read-only use: any page may read, none with credentials.
		opts.AllowedOrigins = []string{"*"}
	case len(origins) == 0:
		opts.AllowOriginFunc = func(string) bool { return false }
	default:
		opts.AllowedOrigins = origins
		opts.AllowCredentials = true
	}
	return cors.New(opts).Handler(h)
}
