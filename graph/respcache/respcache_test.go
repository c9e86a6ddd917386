package respcache

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/99designs/gqlgen/graphql"
)

func keyN(n byte) key { var k key; k[0] = n; return k }

// The cache keeps at most maxBytes, evicting the least recently used, and
// refuses an entry above an eighth of it.
func TestBoundedLeastRecentlyUsed(t *testing.T) {
	c := New(800, nil, nil)
	data := json.RawMessage(bytes.Repeat([]byte("x"), 100))
	for i := range 8 {
		c.put(keyN(byte(i)), 1, data)
	}
	if _, ok := c.get(keyN(0), 1); !ok { // 0 is now the most recently used
		t.Fatal("entry 0 missing while the cache is within its bound")
	}
	c.put(keyN(8), 1, data)
	if _, ok := c.get(keyN(1), 1); ok {
		t.Error("entry 1, the least recently used, survived an insert beyond the bound")
	}
	for _, k := range []byte{0, 2, 7, 8} {
		if _, ok := c.get(keyN(k), 1); !ok {
			t.Errorf("entry %d evicted out of turn", k)
		}
	}
	if c.size != 800 {
		t.Errorf("size %d, want 800", c.size)
	}
	c.put(keyN(9), 1, json.RawMessage(bytes.Repeat([]byte("x"), 101)))
	if _, ok := c.get(keyN(9), 1); ok {
		t.Error("an entry above an eighth of the cache was kept")
	}
}

// A newer revision drops every entry; a request that read an older one
// (it raced a write) neither reads nor stores.
func TestRevisions(t *testing.T) {
	c := New(1<<20, nil, nil)
	c.put(keyN(1), 5, json.RawMessage(`{"a":1}`))
	if _, ok := c.get(keyN(1), 4); ok {
		t.Error("served an entry of revision 5 to a reader at revision 4")
	}
	c.put(keyN(2), 4, json.RawMessage(`{"b":1}`))
	if _, ok := c.get(keyN(2), 5); ok {
		t.Error("kept an entry computed at an older revision")
	}
	if _, ok := c.get(keyN(1), 5); !ok {
		t.Error("lost the current entry after a stale reader")
	}
	if _, ok := c.get(keyN(1), 6); ok || c.size != 0 || len(c.entries) != 0 {
		t.Errorf("revision 6 kept entries of revision 5 (size %d)", c.size)
	}
}

// Callers in different scopes never share a key.
func TestScopeIsPartOfTheKey(t *testing.T) {
	oc := &graphql.OperationContext{RawQuery: "{ viewer { email } }", Variables: map[string]any{}}
	a, _ := keyOf(oc, []byte{1})
	b, _ := keyOf(oc, []byte{2})
	anon, _ := keyOf(oc, nil)
	if a == b || a == anon || b == anon {
		t.Error("the caller's scope does not change the key")
	}
}
