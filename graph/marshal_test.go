package graph_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"

	"dpcma/graph"
	"dpcma/server/dbtest"
)

// The patched executor (tools/gqlgenpatch, graph/marshal.go) and the direct
// writing of responses (graph/spec.go) keep what gqlgen's own code
// guarantees: valid JSON, fields in document order, a field selected twice
// written once, aliases, for lists marshalled in turn (answers) and in
// goroutines (practices) alike; errors still go through gqlgen's transport.
func TestPatchedExecutorAnswers(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, backend string) {
		f := newFixture(t, backend, graph.Options{})
		post := func(doc string) (int, []byte) {
			body, _ := json.Marshal(map[string]string{"query": doc})
			req := httptest.NewRequest(http.MethodPost, "/query", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			rec := httptest.NewRecorder()
			f.srv.ServeHTTP(rec, req)
			return rec.Code, rec.Body.Bytes()
		}
		// A leaf list (answers with their indicator, in turn), a list
		// whose elements resolve concurrently (practices with answers),
		// aliases, a repeated field and __typename.
		code, body := post(`{ organisations(first: 2, where: {tier: CCG}) { edges { node { odsCode
			practices(first: 2) { totalCount edges { node { t: __typename odsCode listSize
				responses(first: 3) { edges { node { value score notApplicable indicator { code domain c: code } value } } } } } } } } } }`)
		if code != 200 || !bytes.HasPrefix(body, []byte(`{"data":{"organisations":{"edges":[{"node":{"odsCode":`)) {
			t.Fatalf("HTTP %d: %.300s", code, body)
		}
		var got struct{ Data map[string]any }
		if err := json.Unmarshal(body, &got); err != nil {
			t.Fatalf("not JSON: %v\n%.300s", err, body)
		}
		practices := got.Data["organisations"].(map[string]any)["edges"].([]any)[0].(map[string]any)["node"].(map[string]any)["practices"].(map[string]any)
		node := practices["edges"].([]any)[0].(map[string]any)["node"].(map[string]any)
		if node["t"] != "Practice" {
			t.Errorf("alias of __typename: %v", node["t"])
		}
		answer := node["responses"].(map[string]any)["edges"].([]any)[0].(map[string]any)["node"].(map[string]any)
		keys := []string{}
		dec := json.NewDecoder(bytes.NewReader(body[bytes.Index(body, []byte(`{"value":`)):]))
		if _, err := dec.Token(); err != nil { // {
			t.Fatal(err)
		}
		for dec.More() {
			k, _ := dec.Token()
			keys = append(keys, k.(string))
			var skip json.RawMessage
			_ = dec.Decode(&skip)
		}
		if want := []string{"value", "score", "notApplicable", "indicator"}; !reflect.DeepEqual(keys, want) {
			t.Errorf("answer's fields %v, want %v (in document order, a repeated field once)", keys, want)
		}
		if ind := answer["indicator"].(map[string]any); ind["c"] != ind["code"] || ind["code"] == "" {
			t.Errorf("indicator: %v", ind)
		}
		// An error goes through gqlgen's transport, unchanged.
		code, body = post(`{ organisation(odsCode: "NOPE") { odsCode } }`)
		if code != 200 || !bytes.Contains(body, []byte(`"errors":[`)) || !bytes.Contains(body, []byte(`"data":`)) {
			t.Fatalf("error response: HTTP %d %.300s", code, body)
		}
	})
}
