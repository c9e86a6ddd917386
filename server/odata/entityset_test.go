package odata

import (
	"net/url"
	"slices"
	"strings"
	"testing"

	"dpcma/server/dataset"

	"entgo.io/ent/dialect"
)

// A page is at most the page size and at most $top, after $skip; it reads
// one row more when a next page may follow; the next link carries the
// rest of $top, and moves $skip on when the client ordered the rows, else
// gives a $skiptoken after the last key.
func TestPagingAndNextLink(t *testing.T) {
	const base, pageSize = "http://h/odata/", 3
	last := []any{"A81003"}
	tok := encodeToken(last)
	cases := []struct {
		query                  string
		limit, qLimit, qOffset int
		more                   bool
		next                   url.Values // nil for none
	}{
		{"", 3, 4, 0, true, url.Values{"$skiptoken": {tok}}},
		{"", 3, 4, 0, false, nil},
		{"$top=2", 2, 2, 0, true, nil},
		{"$top=3", 3, 3, 0, true, nil},
		{"$top=5&$skip=4", 3, 4, 4, true, url.Values{"$skiptoken": {tok}, "$top": {"2"}}},
		{"$top=5&$skip=4&$orderby=Name", 3, 4, 4, true, url.Values{"$orderby": {"Name"}, "$skip": {"7"}, "$top": {"2"}}},
		{"$orderby=Name desc&$count=true&x=1", 3, 4, 0, true,
			url.Values{"$orderby": {"Name desc"}, "$skip": {"3"}, "x": {"1"}}}, // the count is on the first page only
		{"$skiptoken=" + tok + "&$select=Name", 3, 4, 0, true, url.Values{"$skiptoken": {tok}, "$select": {"Name"}}},
		{"$top=0&$skip=2", 0, 0, 0, false, nil},
	}
	for _, c := range cases {
		params, err := url.ParseQuery(c.query)
		if err != nil {
			t.Fatal(err)
		}
		o, err := parseOptions(dataset.Practices, params)
		if err != nil {
			t.Fatalf("%s: %v", c.query, err)
		}
		limit := o.page(pageSize)
		if limit != c.limit || o.query.Limit != c.qLimit || o.query.Offset != c.qOffset {
			t.Errorf("%s: page of %d (LIMIT %d OFFSET %d), want %d (LIMIT %d OFFSET %d)",
				c.query, limit, o.query.Limit, o.query.Offset, c.limit, c.qLimit, c.qOffset)
		}
		want := ""
		if c.next != nil {
			want = base + "Practices?" + c.next.Encode()
		}
		if got := o.nextLink(base, "Practices", limit, pageEnd{more: c.more, lastKey: last}); got != want {
			t.Errorf("%s: next link\n %s\nwant %s", c.query, got, want)
		}
	}
}

// $select picks and orders the properties shown; the key follows, unshown,
// for the next link; a $skiptoken becomes a condition after its key.
func TestSelectAndSkipToken(t *testing.T) {
	o, err := parseOptions(dataset.Practices, url.Values{"$select": {"Name, ListSize,Name"}, "$skiptoken": {encodeToken([]any{"A81003"})}})
	if err != nil {
		t.Fatal(err)
	}
	var cols []string
	for _, c := range o.query.Columns {
		cols = append(cols, c.Name)
	}
	if strings.Join(cols, ",") != "name,list_size,ods_code" || o.selected != 2 || strings.Join(o.names(), ",") != "Name,ListSize" {
		t.Errorf("columns %v, %d selected (%v)", cols, o.selected, o.names())
	}
	b := dataset.NewBuilder(dialect.Postgres)
	if o.keyset == nil || o.keyset(b) != "(p.ods_code > $1)" {
		t.Errorf("keyset %v", o.keyset)
	}
	for _, bad := range []url.Values{
		{"$skiptoken": {"nonsense!"}},
		{"$skiptoken": {encodeToken([]any{1})}},
		{"$skiptoken": {encodeToken([]any{"A"})}, "$orderby": {"Name"}},
	} {
		if _, err := parseOptions(dataset.Practices, bad); err == nil {
			t.Errorf("%v: taken", bad)
		}
	}
}

// A key predicate gives the set's key values in key order: bare for one
// key property, named in any order for several; strings quoted, a quote
// within doubled; whole numbers bare.
func TestParseKey(t *testing.T) {
	maturity := dataset.Maturity(nil)
	good := []struct {
		set  *dataset.Set
		key  string
		want []any
	}{
		{dataset.Practices, "'A81001'", []any{"A81001"}},
		{dataset.Practices, " OdsCode = 'A81001' ", []any{"A81001"}},
		{dataset.Organisations, "'it''s, (x)=y'", []any{"it's, (x)=y"}},
		{dataset.Responses, "12", []any{int64(12)}},
		{dataset.Responses, "Id=-3", []any{int64(-3)}},
		{maturity, "Period='2016-17-H1',Code='00C'", []any{"2016-17-H1", "00C"}},
		{maturity, "Code='a,b', Period='='", []any{"=", "a,b"}},
	}
	for _, c := range good {
		got, err := parseKey(c.set, c.key)
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("%s(%s): %#v %v, want %#v", c.set.EntitySet, c.key, got, err, c.want)
		}
	}
	bad := []struct {
		set      *dataset.Set
		key, msg string
	}{
		{dataset.Practices, "", "Practices: OdsCode is a string: quote it, as Practices('00C')"},
		{dataset.Practices, "A81001", "OdsCode is a string: quote it"},
		{dataset.Practices, "'A', 'B'", "Practices is keyed by OdsCode: give 1 key value(s), not 2"},
		{dataset.Practices, "Name='x'", "Name is not a key property of Practices (OdsCode)"},
		{dataset.Practices, "'it's'", "a quote within a string is written ''"},
		{dataset.Practices, "'\x00'", "is not UTF-8 text without NUL"},
		{dataset.Responses, "'12'", "Id is a whole number, not '12'"},
		{dataset.Responses, "1.5", "Id is a whole number, not 1.5"},
		{maturity, "'2016-17-H1','00C'", "Maturity is keyed by Period, Code: name each, as Maturity(Period='2016-17-H1',Code='00C')"},
		{maturity, "Period='a',Period='b'", "the key names Period, Code twice"},
		{maturity, "Period='a'", "give 2 key value(s), not 1"},
	}
	for _, c := range bad {
		if _, err := parseKey(c.set, c.key); err == nil || !strings.Contains(c.set.EntitySet+": "+err.Error(), c.msg) {
			t.Errorf("%s(%s): error %v, want %q", c.set.EntitySet, c.key, err, c.msg)
		}
	}
}

// A navigation property's name is no property's: both are keys of the
// same JSON object. Each relation's columns exist.
func TestNavigationsAreSound(t *testing.T) {
	sets := dataset.All(&dataset.Catalogue{})
	byName := map[string]*dataset.Set{}
	for _, s := range sets {
		byName[s.EntitySet] = s
	}
	for _, n := range navigations {
		from, to := byName[n.from], byName[n.to]
		if from == nil || to == nil {
			t.Fatalf("%s: no set %s or %s", n.name, n.from, n.to)
		}
		if _, ok := from.ODataColumn(n.name); ok {
			t.Errorf("%s.%s is a property and a navigation", n.from, n.name)
		}
		if _, ok := from.Column(n.fromCol); !ok {
			t.Errorf("%s has no column %s", n.from, n.fromCol)
		}
		if _, ok := to.Column(n.toCol); !ok {
			t.Errorf("%s has no column %s", n.to, n.toCol)
		}
		if p := n.partner; p != "" && navigationOf(n.to, p) == nil {
			t.Errorf("%s's partner %s.%s does not exist", n.name, n.to, p)
		}
	}
}

// A key of several properties: the token's condition bounds the first
// alone too, and the second in the token's first value, its placeholders
// bound in the order written (SQLite's are positional).
func TestSkipTokenOfACompositeKey(t *testing.T) {
	o, err := parseOptions(dataset.Maturity(nil), url.Values{"$skiptoken": {encodeToken([]any{"2016-17-H1", "00C"})}})
	if err != nil {
		t.Fatal(err)
	}
	b := dataset.NewBuilder(dialect.SQLite)
	got := o.keyset(b)
	want := "m.period >= ? AND m.code >= CASE WHEN m.period = ? THEN ? ELSE '' END AND ((m.period > ?) OR (m.period = ? AND m.code > ?))"
	if got != want || !slices.Equal(b.Args(), []any{"2016-17-H1", "2016-17-H1", "00C", "2016-17-H1", "2016-17-H1", "00C"}) {
		t.Errorf("keyset %s %v, want %s", got, b.Args(), want)
	}
}

// Every page of a read after the first is the same statement text, its
// key, $skip and page size bound as arguments, so that a cache of
// prepared statements serves them all; the first page differs only by the
// condition of $skiptoken. Maturity's page form (PostgreSQL) and the
// sorted form of an ordered read included.
func TestPagesShareTheirStatementText(t *testing.T) {
	maturity := dataset.Maturity([]string{"Patient online", "Records & interoperability"})
	for _, c := range []struct {
		set   *dataset.Set
		pages []string // each page's query options
	}{
		{maturity, []string{"$skiptoken=" + encodeToken([]any{"2016-17-H1", "00C"}), "$skiptoken=" + encodeToken([]any{"2017-18-H2", "Y99"})}},
		{maturity, []string{"$filter=Tier eq 'CCG'&$skiptoken=" + encodeToken([]any{"2016-17-H1", "00C"}), "$filter=Tier eq 'PRACTICE'&$skiptoken=" + encodeToken([]any{"2016-17-H2", "A81001"})}},
		{maturity, []string{"$orderby=Score desc", "$orderby=Score desc&$skip=1000", "$orderby=Score desc&$skip=2000&$top=7"}},
		{maturity, []string{"$top=5", "$top=7&$skip=5"}},
		{dataset.Practices, []string{"$skiptoken=" + encodeToken([]any{"A81001"}), "$skiptoken=" + encodeToken([]any{"Y00001"}) + "&$top=3"}},
		{dataset.Practices, []string{"$orderby=Name", "$orderby=Name&$skip=3"}},
	} {
		for _, d := range []string{dialect.Postgres, dialect.SQLite} {
			var first string
			for i, p := range c.pages {
				params, err := url.ParseQuery(p)
				if err != nil {
					t.Fatal(err)
				}
				o, err := parseOptions(c.set, params)
				if err != nil {
					t.Fatalf("%s: %v", p, err)
				}
				o.page(1000)
				b := dataset.NewBuilder(d)
				sql := o.query.SQL(b)
				if strings.Contains(sql, "1000") || strings.Contains(sql, "1001") || strings.Contains(sql, "2000") {
					t.Errorf("%s %s: the page size or $skip is in the text: %s", d, p, sql)
				}
				if i == 0 {
					first = sql
				} else if sql != first {
					t.Errorf("%s %s: the statement differs from the first page's (%s)\n %s\n %s", d, c.set.EntitySet, p, first, sql)
				}
			}
		}
	}
}
