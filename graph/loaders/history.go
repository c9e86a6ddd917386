package loaders

import (
	"context"

	"dpcma/ent"
	"dpcma/ent/auditevent"
)

// ResponseHistory returns the audit events of an answer, oldest first. The
// answers of the list it belongs to load with it, in one statement, so a
// list of answers with their history costs one query however gqlgen
// schedules the fields.
func (l *Loaders) ResponseHistory(ctx context.Context, responseID int) ([]*ent.AuditEvent, error) {
	return l.history.at(ctx, func() *listLoader[int, []*ent.AuditEvent] {
		// Every answer counts as hinted: its list loads on the first ask,
		// one statement per list, without waiting for a batch to gather.
		return newListLoader("response_history", func(int) bool { return true }, siblingResponses, l.queryHistory)
	}).get(ctx, responseID)
}

// siblingResponses: the rest of the asking answer's list joins the batch.
func siblingResponses(ctx context.Context, _ []int) []int {
	var ids []int
	for _, r := range siblingsOf(ctx, func(e *ent.ResponseEdge) *ent.Response { return e.Node }) {
		ids = append(ids, r.ID)
	}
	return ids
}

func (l *Loaders) queryHistory(ctx context.Context, ids []int) (map[int][]*ent.AuditEvent, error) {
	rows, err := l.client.AuditEvent.Query().Where(auditevent.ResponseIDIn(ids...)).
		Order(ent.Asc(auditevent.FieldAt), ent.Asc(auditevent.FieldID)).All(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[int][]*ent.AuditEvent, len(ids))
	for _, id := range ids {
		out[id] = []*ent.AuditEvent{}
	}
	for _, r := range rows {
		out[*r.ResponseID] = append(out[*r.ResponseID], r)
	}
	return out, nil
}
