package graph

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/transport"
)

// GraphQL over HTTP asks two things of a refused request that gqlgen's
// transports do otherwise:
//   - under application/json, a document that fails to parse or validate,
//     or variables that cannot be coerced, still get 200 (gqlgen: 422): the
//     client reads the errors from the body;
//   - under application/graphql-response+json, such a response carries no
//     data entry at all (gqlgen writes "data": null).
type postRequests struct{ transport.POST }

func (t postRequests) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	sw := &specResponse{ResponseWriter: w}
	t.POST.Do(sw, r, exec)
	sw.finish()
}

// specResponse adjusts the status and body gqlgen writes (see above).
type specResponse struct {
	http.ResponseWriter
	// held collects the body of a refusal whose data entry must go.
	held *bytes.Buffer
}

func (w *specResponse) WriteHeader(status int) {
	ct := w.Header().Get("Content-Type")
	switch {
	case status == http.StatusUnprocessableEntity && strings.HasPrefix(ct, "application/json"):
		status = http.StatusOK
	case status >= http.StatusBadRequest && strings.HasPrefix(ct, "application/graphql-response+json"):
		w.held = &bytes.Buffer{}
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *specResponse) Write(b []byte) (int, error) {
	if w.held != nil {
		return w.held.Write(b)
	}
	return w.ResponseWriter.Write(b)
}

// finish writes a held body without its data entry.
func (w *specResponse) finish() {
	if w.held == nil {
		return
	}
	body := w.held.Bytes()
	var fields map[string]json.RawMessage
	if json.Unmarshal(body, &fields) == nil {
		delete(fields, "data")
		if out, err := json.Marshal(fields); err == nil {
			body = append(out, '\n')
		}
	}
	_, _ = w.ResponseWriter.Write(body) // the client may be gone
}
