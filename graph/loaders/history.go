package loaders

import (
	"context"

	"dpcma/ent"
	"dpcma/ent/auditevent"

	"github.com/graph-gophers/dataloader/v7"
)

// newHistoryLoader loads the audit events of answers, oldest first, for
// many answers in one statement: a list of answers with their history
// costs one query, not one per answer.
func newHistoryLoader(client *ent.Client) *dataloader.Loader[int, []*ent.AuditEvent] {
	return dataloader.NewBatchedLoader(func(ctx context.Context, ids []int) []*dataloader.Result[[]*ent.AuditEvent] {
		rows, err := client.AuditEvent.Query().Where(auditevent.ResponseIDIn(ids...)).
			Order(ent.Asc(auditevent.FieldAt), ent.Asc(auditevent.FieldID)).All(ctx)
		byID := map[int][]*ent.AuditEvent{}
		for _, r := range rows {
			byID[*r.ResponseID] = append(byID[*r.ResponseID], r)
		}
		out := make([]*dataloader.Result[[]*ent.AuditEvent], len(ids))
		for i, id := range ids {
			out[i] = &dataloader.Result[[]*ent.AuditEvent]{Data: byID[id], Error: err}
			if out[i].Data == nil && err == nil {
				out[i].Data = []*ent.AuditEvent{}
			}
		}
		return out
	}, dataloader.WithWait[int, []*ent.AuditEvent](wait), dataloader.WithBatchCapacity[int, []*ent.AuditEvent](batchCapacity))
}
