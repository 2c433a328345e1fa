package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/switchboardhq/switchboard"
)

// The queries of the dashboard's overview. Each reads through an index:
// messages and deliveries by their ids (which sort by creation time) from
// the start of the range, conversations that ended by
// conversations_workspace_ended, handoffs by the partial index
// events_handoffs (migration 00014), endpoints and integrations by
// workspace.

// epochSeconds is the SQL of the unix time, in whole seconds, of the
// stored time in column col.
func (q *queries) epochSeconds(col string) string {
	if q.dialect == DialectPostgres {
		return "floor(extract(epoch FROM " + col + "))::bigint"
	}
	return "unixepoch(" + col + ")"
}

// handoffEvents is the SQL of the events table, as e, read through the
// partial index events_handoffs: SQLite's planner would otherwise prefer
// events_workspace_type and read every conversation.updated event.
func (q *queries) handoffEvents(e string) string {
	if q.dialect == DialectPostgres {
		return "events " + e
	}
	return "events " + e + " INDEXED BY events_handoffs"
}

// handedOff is the SQL condition "the event e handed conversation c off":
// the terms of the partial index events_handoffs, written as its
// expressions are, so that the planners can use it.
func (q *queries) handedOff(e, c string) string {
	// On SQLite, "+" strips the text affinity of c.id, which would
	// otherwise keep the comparison off the index's expression.
	conv, field, value, id := "json_extract("+e+".data, '$.conversation.id')",
		"json_extract("+e+".data, '$.changes.field')", "json_extract("+e+".data, '$.changes.new_value')", "+"+c+".id"
	if q.dialect == DialectPostgres {
		conv, field, value, id = "("+e+".data -> 'conversation' ->> 'id')",
			e+".data -> 'changes' ->> 'field'", e+".data -> 'changes' ->> 'new_value'", c+".id"
	}
	return e + ".workspace_id = " + c + ".workspace_id AND " + conv + " = " + id + " AND " +
		e + ".type = '" + switchboard.EventConversationUpdated + "' AND " + field + " = 'status' AND " +
		value + " = '" + switchboard.ConversationHandoff + "'"
}

// CountMessages counts the messages created in the span by bucket and
// direction. The span's start and step are taken in whole seconds.
func (q *queries) CountMessages(ctx context.Context, workspaceID string, s switchboard.Span) ([]switchboard.MessageCount, error) {
	step := int64(s.Step / time.Second)
	if step <= 0 {
		return nil, errors.New("store: count messages: the step must be at least a second")
	}
	since := s.Since.UTC().Truncate(time.Second)
	return getMany(ctx, q, "message", func(r scanner) (switchboard.MessageCount, error) {
		var c switchboard.MessageCount
		err := r.Scan(&c.Bucket, &c.Direction, &c.Count)
		return c, err
	}, `SELECT (`+q.epochSeconds("created_at")+` - ?) / ?, direction, count(*) FROM messages
		WHERE id >= ? AND workspace_id = ? AND created_at >= ? AND created_at < ?
		GROUP BY 1, 2 ORDER BY 1, 2`,
		since.Unix(), step, switchboard.IDAt(switchboard.PrefixMessage, since), workspaceID, q.bound(since), q.bound(s.Until))
}

// ConversationOutcomes counts the conversations that ended in [since,
// until), and those of them that were handed off.
func (q *queries) ConversationOutcomes(ctx context.Context, workspaceID string, since, until time.Time) (switchboard.ConversationOutcomes, error) {
	return getOne(ctx, q, "conversation", func(r scanner) (switchboard.ConversationOutcomes, error) {
		var o switchboard.ConversationOutcomes
		err := r.Scan(&o.Ended, &o.HandedOff)
		return o, err
	}, `SELECT count(*), coalesce(sum(CASE WHEN EXISTS (SELECT 1 FROM `+q.handoffEvents("e")+` WHERE `+q.handedOff("e", "c")+`)
		THEN 1 ELSE 0 END), 0)
		FROM conversations c WHERE c.workspace_id = ? AND c.ended_at IS NOT NULL AND c.ended_at >= ? AND c.ended_at < ?`,
		workspaceID, q.bound(since), q.bound(until))
}

// HandoffQueue describes the conversations in status handoff: the one
// waiting longest is the one whose last handoff is oldest.
func (q *queries) HandoffQueue(ctx context.Context, workspaceID string) (switchboard.HandoffQueue, error) {
	type waiting struct {
		id         string
		unassigned bool
		since      time.Time
	}
	rows, err := getMany(ctx, q, "conversation", func(r scanner) (waiting, error) {
		var (
			w       waiting
			started time.Time
			handoff *time.Time
		)
		err := r.Scan(&w.id, &w.unassigned, timeCol{&started}, nullTimeCol{&handoff})
		w.since = started
		if handoff != nil {
			w.since = *handoff
		}
		return w, err
	}, `SELECT c.id, c.assignee IS NULL, c.started_at, (SELECT max(e.created_at) FROM `+q.handoffEvents("e")+` WHERE `+q.handedOff("e", "c")+`)
		FROM conversations c WHERE c.workspace_id = ? AND c.status = ?`, workspaceID, switchboard.ConversationHandoff)
	var hq switchboard.HandoffQueue
	if err != nil {
		return hq, err
	}
	for _, w := range rows {
		hq.Waiting++
		if w.unassigned {
			hq.Unassigned++
		}
		if hq.OldestSince == nil || w.since.Before(*hq.OldestSince) || w.since.Equal(*hq.OldestSince) && w.id < hq.OldestID {
			since := w.since
			hq.OldestID, hq.OldestSince = w.id, &since
		}
	}
	return hq, nil
}

// DeliveryOutcomes returns the deliveries created in [since, until),
// oldest first.
func (q *queries) DeliveryOutcomes(ctx context.Context, workspaceID string, since, until time.Time) ([]switchboard.DeliveryOutcome, error) {
	return getMany(ctx, q, "delivery", func(r scanner) (switchboard.DeliveryOutcome, error) {
		var d switchboard.DeliveryOutcome
		err := r.Scan(&d.EndpointID, &d.Status, &d.AttemptCount, timeCol{&d.CreatedAt}, nullTimeCol{&d.LastAttemptAt})
		return d, err
	}, `SELECT endpoint_id, status, attempt_count, created_at, last_attempt_at FROM deliveries
		WHERE id >= ? AND workspace_id = ? AND created_at >= ? AND created_at < ? ORDER BY id`,
		switchboard.IDAt(switchboard.PrefixDelivery, since), workspaceID, q.bound(since), q.bound(until))
}

// FailingEndpoints returns the endpoints that are disabled or failing, or
// that have deliveries created since the given time that failed or are
// being retried.
func (q *queries) FailingEndpoints(ctx context.Context, workspaceID string, since time.Time) ([]switchboard.FailingEndpoint, error) {
	from, at := switchboard.IDAt(switchboard.PrefixDelivery, since), q.bound(since)
	list, err := getMany(ctx, q, "webhook endpoint", func(r scanner) (switchboard.FailingEndpoint, error) {
		var e switchboard.FailingEndpoint
		err := r.Scan(&e.ID, &e.URL, &e.Description, &e.Status, &e.DisabledReason, nullTimeCol{&e.FailingSince},
			&e.Failed, &e.Retrying)
		return e, err
	}, `SELECT id, url, description, status, disabled_reason, failing_since, failed, retrying FROM (
		SELECT e.id, e.url, e.description, e.status, e.disabled_reason, e.failing_since,
		(SELECT count(*) FROM deliveries d WHERE d.endpoint_id = e.id AND d.status = 'failed'
		 AND d.id >= ? AND d.created_at >= ?) AS failed,
		(SELECT count(*) FROM deliveries d WHERE d.endpoint_id = e.id AND d.status = 'pending' AND d.attempt_count > 0
		 AND d.id >= ? AND d.created_at >= ?) AS retrying
		FROM webhook_endpoints e WHERE e.workspace_id = ?) x
		WHERE status = 'disabled' OR failing_since IS NOT NULL OR failed > 0 OR retrying > 0
		ORDER BY failed + retrying DESC, id`,
		from, at, from, at, workspaceID)
	if err != nil {
		return nil, err
	}
	for i := range list {
		e := &list[i]
		if err := q.lastError(ctx, e); err != nil {
			return nil, err
		}
	}
	return list, nil
}

// lastError sets the last error of a failing endpoint: that of its newest
// failed or its newest pending delivery with an error, whichever was
// attempted last. Each is found through deliveries_endpoint_status: a query
// on endpoint_id alone, ordered by id, gets a generic plan on PostgreSQL
// that walks the primary key backwards through every endpoint's
// deliveries, the whole table for an endpoint that has none.
func (q *queries) lastError(ctx context.Context, e *switchboard.FailingEndpoint) error {
	for _, status := range []string{switchboard.DeliveryFailed, switchboard.DeliveryPending} {
		var (
			msg  *string
			code *int
			at   *time.Time
		)
		err := q.r.QueryRowContext(ctx, q.sql(`SELECT last_error, last_status_code, last_attempt_at FROM deliveries
			WHERE endpoint_id = ? AND status = ? AND last_error IS NOT NULL ORDER BY id DESC LIMIT 1`), e.ID, status).
			Scan(&msg, &code, nullTimeCol{&at})
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return translate(err, "get", "delivery")
		}
		if e.LastError == nil || at != nil && (e.LastAttemptAt == nil || at.After(*e.LastAttemptAt)) {
			e.LastError, e.LastStatusCode, e.LastAttemptAt = msg, code, at
		}
	}
	return nil
}

// FailingIntegrations returns the integrations in status error or with
// runs created since the given time that failed.
func (q *queries) FailingIntegrations(ctx context.Context, workspaceID string, since time.Time) ([]switchboard.FailingIntegration, error) {
	from, at := switchboard.IDAt(switchboard.PrefixRun, since), q.bound(since)
	list, err := getMany(ctx, q, "integration", func(r scanner) (switchboard.FailingIntegration, error) {
		var in switchboard.FailingIntegration
		err := r.Scan(&in.ID, &in.Type, &in.Name, &in.Status, &in.FailedRuns)
		return in, err
	}, `SELECT id, type, name, status, failed FROM (
		SELECT i.id, i.type, i.name, i.status,
		(SELECT count(*) FROM runs r WHERE r.integration_id = i.id AND r.status = ? AND r.id >= ? AND r.created_at >= ?) AS failed
		FROM integrations i WHERE i.workspace_id = ?) x
		WHERE status = ? OR failed > 0 ORDER BY failed DESC, id`,
		switchboard.RunFailed, from, at, workspaceID, switchboard.IntegrationError)
	if err != nil {
		return nil, err
	}
	for i := range list {
		in := &list[i]
		if in.FailedRuns == 0 {
			continue
		}
		err := q.r.QueryRowContext(ctx, q.sql(`SELECT error, coalesce(finished_at, updated_at) FROM runs
			WHERE integration_id = ? AND status = ? AND id >= ? AND created_at >= ? ORDER BY id DESC LIMIT 1`),
			in.ID, switchboard.RunFailed, from, at).
			Scan(&in.LastError, nullTimeCol{&in.LastFailed})
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, translate(err, "get", "run")
		}
	}
	return list, nil
}
