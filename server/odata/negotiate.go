package odata

import (
	"mime"
	"net/http"
	"strconv"
	"strings"
)

// The forms of a resource: the service document and entity sets are JSON,
// $metadata is CSDL XML, /$count is plain text.
const (
	jsonType  = "application/json"
	xmlType   = "application/xml"
	plainType = "text/plain"
)

// metadataLevels are the values of odata.metadata a JSON answer can give:
// none (no @odata.context, no control information but the count and the
// next link), minimal (the default) and full (each entity's @odata.id and
// @odata.type too).
var metadataLevels = map[string]bool{"none": true, "minimal": true, "full": true}

// negotiate chooses the form of a resource offered as offer from what the
// client accepts: $format when given (json, xml or a media type), else the
// Accept header. It returns the odata.metadata level of a JSON answer, and
// ok false when the client accepts nothing the resource can be.
func negotiate(r *http.Request, offer string) (level string, ok bool) {
	ranges := r.Header.Values("Accept")
	if f := queryOptions(r).Get("$format"); f != "" {
		switch f {
		case "json":
			f = jsonType
		case "xml":
			f = xmlType
		}
		ranges = []string{f}
	}
	if len(ranges) == 0 {
		return "minimal", true
	}
	for _, header := range ranges {
		for _, part := range strings.Split(header, ",") {
			if strings.TrimSpace(part) == "" {
				continue
			}
			mt, params, err := mime.ParseMediaType(part)
			if err != nil {
				continue
			}
			if q, err := strconv.ParseFloat(params["q"], 64); err == nil && q <= 0 {
				continue
			}
			// /$count answers text whoever asks for JSON: clients ask
			// every URL of the feed for JSON.
			countAsJSON := offer == plainType && mt == jsonType
			if !matches(mt, offer) && !countAsJSON {
				continue
			}
			level := params["odata.metadata"]
			if level == "" {
				level = "minimal"
			}
			if offer == jsonType && !metadataLevels[level] {
				continue
			}
			return level, true
		}
	}
	return "", false
}

// matches reports whether the media range rng (*/*, type/*, type/sub)
// covers the media type offer.
func matches(rng, offer string) bool {
	if rng == "*/*" || rng == offer {
		return true
	}
	typ, _, _ := strings.Cut(offer, "/")
	return rng == typ+"/*"
}
