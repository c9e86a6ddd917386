// Package odata serves dpcma's data sets (server/dataset) as a read-only
// OData v4 feed for Power BI, Excel and Tableau: the service document,
// $metadata, and each entity set with $select, $filter (a subset, see
// filter.go), $orderby, $top, $skip, $count, server-driven paging, key
// lookups (entity.go) and $expand over the navigation properties
// (expand.go); the decisions are sets whose $filter names their subject
// (decisions.go).
package odata

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"dpcma/server/access"
	"dpcma/server/database"
	"dpcma/server/dataset"
	"dpcma/server/export"
	"dpcma/server/fault"
)

// DefaultPageSize is the rows of one page before @odata.nextLink.
const DefaultPageSize = 5000

// Config holds the feed's settings.
type Config struct {
	PageSize int
	// Export gives who may read (AnonymousReads) and the time limit of
	// one request (Timeout).
	Export export.Config
}

// Handler serves /odata/.
func Handler(db *database.DB, cfg Config) http.Handler {
	if cfg.PageSize <= 0 {
		cfg.PageSize = DefaultPageSize
	}
	cfg.Export = cfg.Export.WithDefaults()
	catalogues := &dataset.Catalogues{}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("OData-Version", "4.0")
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			fault.WriteError(w, http.StatusMethodNotAllowed, fault.MethodNotAllowed, "the feed is read-only: use GET")
			return
		}
		if err := access.Read(access.From(r.Context()), cfg.Export.AnonymousReads); err != nil {
			fault.WriteFault(w, err)
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), cfg.Export.Timeout)
		defer cancel()
		cat, _, err := catalogues.Load(ctx, db)
		if err != nil {
			fault.WriteInternal(ctx, w, err, "OData request", database.Unavailable(err))
			return
		}
		sets := dataset.All(cat)
		base := baseURL(r)
		path := strings.TrimPrefix(r.URL.Path, "/odata")
		offer := jsonType
		switch {
		case path == "/$metadata":
			offer = xmlType
		case strings.HasSuffix(path, "/$count"):
			offer = plainType
		}
		level, ok := negotiate(r, offer)
		if !ok {
			what := offer
			if offer == jsonType {
				what += " (odata.metadata none, minimal or full)"
			}
			fault.WriteError(w, http.StatusNotAcceptable, fault.NotAcceptable,
				fmt.Sprintf("this resource is given only as %s, which the request's Accept or $format does not take", what))
			return
		}
		switch path {
		case "", "/":
			serviceDocument(w, base, sets, level)
			return
		case "/$metadata":
			metadata(w, sets)
			return
		}
		name, count := strings.TrimPrefix(path, "/"), false
		if n, ok := strings.CutSuffix(name, "/$count"); ok {
			name, count = n, true
		}
		segments := splitOutsideQuotes(name, '/', 0)
		setName, key, isEntity := splitKeyPath(segments[0])
		if !isEntity {
			setName = segments[0]
		}
		set := setNamed(sets, setName)
		if set == nil {
			fault.WriteError(w, http.StatusNotFound, fault.NotFound, fmt.Sprintf("no entity set %q: use %s", setName, setNames(sets)))
			return
		}
		switch {
		case len(segments) == 1 && !isEntity:
			serveSet(ctx, w, r, db, cfg, base, cat, sets, set, scope{path: set.EntitySet}, count, level)
		case len(segments) == 1 && count:
			fault.WriteError(w, http.StatusBadRequest, fault.BadUserInput, fmt.Sprintf("/$count counts a collection, not one entity: use /odata/%s/$count", set.EntitySet))
		case len(segments) == 1:
			serveEntity(ctx, w, r, db, base, cat, sets, set, key, level)
		case len(segments) == 2 && isEntity:
			serveNavigation(ctx, w, r, db, cfg, base, cat, sets, set, key, segments[1], count, level)
		case !isEntity:
			fault.WriteError(w, http.StatusNotFound, fault.NotFound, fmt.Sprintf("%s/%s: a navigation property follows one entity's key, as %s/%s",
				set.EntitySet, segments[1], keyExample(set), segments[1]))
		default:
			fault.WriteError(w, http.StatusNotImplemented, fault.NotImplemented, fmt.Sprintf("%s: paths of more than one navigation are not implemented: follow one (%s), with $expand for the next level",
				name, segments[0]+"/"+segments[1]))
		}
	})
}

// setNamed is the set of an OData entity set name, nil for none.
func setNamed(sets []*dataset.Set, name string) *dataset.Set {
	for _, s := range sets {
		if s.EntitySet == name {
			return s
		}
	}
	return nil
}

func setNames(sets []*dataset.Set) string {
	names := make([]string, len(sets))
	for i, s := range sets {
		names[i] = s.EntitySet
	}
	return strings.Join(names, ", ")
}

// baseURL is the feed's root as the client reached it.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + "/odata/"
}

func serviceDocument(w http.ResponseWriter, base string, sets []*dataset.Set, level string) {
	value := make([]map[string]string, len(sets))
	for i, s := range sets {
		value[i] = map[string]string{"name": s.EntitySet, "kind": "EntitySet", "url": s.EntitySet}
	}
	doc := map[string]any{"value": value}
	if level != "none" {
		doc["@odata.context"] = base + "$metadata"
	}
	w.Header().Set("Content-Type", jsonContentType(level))
	_ = json.NewEncoder(w).Encode(doc)
}

var edmTypes = map[dataset.Kind]string{dataset.String: "Edm.String", dataset.Int: "Edm.Int64", dataset.Float: "Edm.Double",
	dataset.Bool: "Edm.Boolean", dataset.DateTime: "Edm.DateTimeOffset"}

func metadata(w http.ResponseWriter, sets []*dataset.Set) {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?>
<edmx:Edmx xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx" Version="4.0">
<edmx:Reference Uri="https://oasis-tcs.github.io/odata-vocabularies/vocabularies/Org.OData.Capabilities.V1.xml">
<edmx:Include Namespace="Org.OData.Capabilities.V1" Alias="Capabilities"/>
</edmx:Reference>
<edmx:DataServices>
<Schema xmlns="http://docs.oasis-open.org/odata/ns/edm" Namespace="dpcma">
`)
	for _, s := range sets {
		fmt.Fprintf(&b, "<EntityType Name=\"%s\">\n<Key>", s.EntityType)
		for _, k := range s.Key {
			c, _ := s.Column(k)
			fmt.Fprintf(&b, "<PropertyRef Name=\"%s\"/>", c.ODataName())
		}
		b.WriteString("</Key>\n")
		for _, c := range s.Columns {
			// Descriptions stay in the docs: a Core.Description annotation
			// would need one more vocabulary reference for clients to fetch.
			fmt.Fprintf(&b, "<Property Name=\"%s\" Type=\"%s\" Nullable=\"%t\"/>\n", c.ODataName(), edmTypes[c.Kind], c.Nullable)
		}
		for _, n := range navigationsOf(s.EntitySet) {
			writeNavigationProperty(&b, s, sets, n)
		}
		b.WriteString("</EntityType>\n")
	}
	b.WriteString("<EntityContainer Name=\"Container\">\n")
	for _, s := range sets {
		navs := navigationsOf(s.EntitySet)
		if len(navs) == 0 {
			fmt.Fprintf(&b, "<EntitySet Name=\"%s\" EntityType=\"dpcma.%s\"/>\n", s.EntitySet, s.EntityType)
			continue
		}
		fmt.Fprintf(&b, "<EntitySet Name=\"%s\" EntityType=\"dpcma.%s\">\n", s.EntitySet, s.EntityType)
		for _, n := range navs {
			fmt.Fprintf(&b, "<NavigationPropertyBinding Path=\"%s\" Target=\"%s\"/>\n", n.name, n.to)
		}
		b.WriteString("</EntitySet>\n")
	}
	b.WriteString("</EntityContainer>\n")
	// Out of line (Annotations with a target), the form more clients read
	// than annotations inside the elements.
	b.WriteString("<Annotations Target=\"dpcma.Container\">\n" + containerCapabilities + "</Annotations>\n")
	for _, s := range sets {
		fmt.Fprintf(&b, "<Annotations Target=\"dpcma.Container/%s\">\n%s%s%s</Annotations>\n", s.EntitySet, filterRestrictions(s), setCapabilities, expandRestrictions(s.EntitySet))
	}
	b.WriteString("</Schema>\n</edmx:DataServices>\n</edmx:Edmx>\n")
	w.Header().Set("Content-Type", "application/xml;charset=utf-8")
	_, _ = w.Write([]byte(b.String()))
}

// FilterFunctions are the $filter functions the feed has (filter.go).
var FilterFunctions = []string{"contains", "startswith", "endswith", "tolower", "toupper", "year"}

// containerCapabilities and setCapabilities tell a client, in the OData
// Capabilities vocabulary, what the feed does: which $filter functions it
// has, that every set can be filtered, sorted, counted, paged with $top
// and $skip (every property filterable and sortable), and that none can
// be searched (501); expandRestrictions says which can be expanded.
var (
	containerCapabilities = func() string {
		var b strings.Builder
		b.WriteString(`<Annotation Term="Capabilities.FilterFunctions"><Collection>`)
		for _, f := range FilterFunctions {
			b.WriteString("<String>" + f + "</String>")
		}
		b.WriteString("</Collection></Annotation>\n")
		return b.String()
	}()
	setCapabilities = `<Annotation Term="Capabilities.SortRestrictions"><Record><PropertyValue Property="Sortable" Bool="true"/></Record></Annotation>
<Annotation Term="Capabilities.CountRestrictions"><Record><PropertyValue Property="Countable" Bool="true"/></Record></Annotation>
<Annotation Term="Capabilities.TopSupported" Bool="true"/>
<Annotation Term="Capabilities.SkipSupported" Bool="true"/>
<Annotation Term="Capabilities.SearchRestrictions"><Record><PropertyValue Property="Searchable" Bool="false"/></Record></Annotation>
`
)

// writeNavigationProperty declares a navigation of set: a single one with
// the referential constraint that relates it (a client can join on the
// two properties), a collection without (the constraint belongs to the
// single side); Partner where the relation is walked both ways.
func writeNavigationProperty(b *strings.Builder, set *dataset.Set, sets []*dataset.Set, n *navigation) {
	var target *dataset.Set
	for _, s := range sets {
		if s.EntitySet == n.to {
			target = s
		}
	}
	if target == nil {
		return
	}
	partner := ""
	if n.partner != "" {
		partner = fmt.Sprintf(" Partner=\"%s\"", n.partner)
	}
	if n.collection {
		fmt.Fprintf(b, "<NavigationProperty Name=\"%s\" Type=\"Collection(dpcma.%s)\"%s/>\n", n.name, target.EntityType, partner)
		return
	}
	from, _ := set.Column(n.fromCol)
	to, _ := target.Column(n.toCol)
	fmt.Fprintf(b, "<NavigationProperty Name=\"%s\" Type=\"dpcma.%s\" Nullable=\"%t\"%s><ReferentialConstraint Property=\"%s\" ReferencedProperty=\"%s\"/></NavigationProperty>\n",
		n.name, target.EntityType, n.nullable, partner, from.ODataName(), to.ODataName())
}

// expandRestrictions is a set's Capabilities.ExpandRestrictions: the sets
// with navigation properties expand them one level deep (MaxLevels 1;
// nested $expand, $top, $skip and $count are 501), the others expand
// nothing.
func expandRestrictions(set string) string {
	if len(navigationsOf(set)) == 0 {
		return `<Annotation Term="Capabilities.ExpandRestrictions"><Record><PropertyValue Property="Expandable" Bool="false"/></Record></Annotation>` + "\n"
	}
	return `<Annotation Term="Capabilities.ExpandRestrictions"><Record><PropertyValue Property="Expandable" Bool="true"/><PropertyValue Property="MaxLevels" Int="1"/></Record></Annotation>` + "\n"
}

// filterRestrictions is a set's Capabilities.FilterRestrictions: every
// property filterable; a decision set requires a filter naming its subject
// (decisionArgs).
func filterRestrictions(s *dataset.Set) string {
	var required []string
	for _, a := range decisionArgs[s.EntitySet] {
		if a.required {
			required = append(required, "<PropertyPath>"+a.property+"</PropertyPath>")
		}
	}
	if len(required) == 0 {
		return `<Annotation Term="Capabilities.FilterRestrictions"><Record><PropertyValue Property="Filterable" Bool="true"/></Record></Annotation>` + "\n"
	}
	return `<Annotation Term="Capabilities.FilterRestrictions"><Record><PropertyValue Property="Filterable" Bool="true"/>` +
		`<PropertyValue Property="RequiresFilter" Bool="true"/><PropertyValue Property="RequiredProperties"><Collection>` +
		strings.Join(required, "") + `</Collection></PropertyValue></Record></Annotation>` + "\n"
}

// queryOptions are the request's query options. OData separates them with
// & only: a semicolon is text, and separates the options nested in
// $expand (Maturity($filter=...;$select=...)), which clients send
// unescaped. Go's URL.Query drops a pair holding one.
func queryOptions(r *http.Request) url.Values {
	out := url.Values{}
	for _, pair := range strings.Split(r.URL.RawQuery, "&") {
		if pair == "" {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		key, err := url.QueryUnescape(k)
		if err != nil {
			key = k
		}
		val, err := url.QueryUnescape(v)
		if err != nil {
			val = v
		}
		out.Add(key, val)
	}
	return out
}
