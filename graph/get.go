package graph

import (
	"encoding/json"
	"net/http"

	"dpcma/graph/apperr"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/transport"
)

// getQueries is gqlgen's GET transport answering a mutation (or a
// subscription) with 405 Method Not Allowed and Allow: POST, as GraphQL
// over HTTP asks, instead of gqlgen's 406. The operation is known only
// once gqlgen has parsed the document (or found it among the persisted
// queries), so the refusal is made where gqlgen writes its 406; nothing
// has run by then.
type getQueries struct{ transport.GET }

func (t getQueries) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	sw := &specResponse{ResponseWriter: w}
	t.GET.Do(&refuseNonQuery{ResponseWriter: sw}, r, exec)
	sw.finish()
}

// refuseNonQuery replaces the 406 gqlgen's GET transport writes for an
// operation other than a query (and the body that follows) with a 405.
type refuseNonQuery struct {
	http.ResponseWriter
	refused bool
}

// methodNotAllowed is the body of the refusal.
var methodNotAllowed, _ = json.Marshal(map[string]any{"errors": []map[string]any{{
	"message":    "GET runs queries only: send mutations with POST",
	"extensions": map[string]string{"code": apperr.MethodNotAllowed},
}}})

func (w *refuseNonQuery) WriteHeader(status int) {
	if status != http.StatusNotAcceptable {
		w.ResponseWriter.WriteHeader(status)
		return
	}
	w.refused = true
	h := w.Header()
	h.Set("Allow", http.MethodPost)
	h.Set("Content-Type", "application/json")
	w.ResponseWriter.WriteHeader(http.StatusMethodNotAllowed)
	_, _ = w.ResponseWriter.Write(append(methodNotAllowed, '\n')) // the client may be gone
}

func (w *refuseNonQuery) Write(b []byte) (int, error) {
	if w.refused {
		return len(b), nil
	}
	return w.ResponseWriter.Write(b)
}
