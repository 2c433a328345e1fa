package store

import (
	"context"
	"strings"

	"github.com/switchboardhq/switchboard"
)

const messageCols = "id, workspace_id, conversation_id, channel_id, direction, sender, text, status, " +
	"external_id, error, raw, created_at, updated_at, thread"

func scanMessage(s scanner) (*switchboard.Message, error) {
	m := new(switchboard.Message)
	err := s.Scan(&m.ID, &m.WorkspaceID, &m.ConversationID, &m.ChannelID, &m.Direction, &m.Sender, &m.Text,
		&m.Status, &m.ExternalID, &m.Error, rawCol{&m.Raw}, timeCol{&m.CreatedAt}, timeCol{&m.UpdatedAt}, &m.Thread)
	if err != nil {
		return nil, err
	}
	return m, nil
}

// CreateMessage stores a new message; one with an external id is unique per
// (channel, direction, external id).
func (q *queries) CreateMessage(ctx context.Context, m *switchboard.Message) error {
	if m.ID == "" {
		m.ID = switchboard.NewID(switchboard.PrefixMessage)
	}
	m.CreatedAt = q.stamp(m.CreatedAt)
	if m.UpdatedAt.IsZero() {
		m.UpdatedAt = m.CreatedAt
	}
	m.UpdatedAt = norm(m.UpdatedAt)
	raw, err := encodeRaw(m.Raw, "")
	if err != nil {
		return err
	}
	return q.insert(ctx, "message",
		`INSERT INTO messages (`+messageCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		m.ID, m.WorkspaceID, m.ConversationID, m.ChannelID, m.Direction, m.Sender, m.Text, m.Status,
		m.ExternalID, m.Error, raw, q.t(m.CreatedAt), q.t(m.UpdatedAt), m.Thread)
}

// GetMessage finds a message of a conversation of a workspace.
func (q *queries) GetMessage(ctx context.Context, workspaceID, conversationID, id string) (*switchboard.Message, error) {
	return getOne(ctx, q, "message", scanMessage,
		`SELECT `+messageCols+` FROM messages WHERE workspace_id = ? AND conversation_id = ? AND id = ?`,
		workspaceID, conversationID, id)
}

// GetMessageByExternalID finds a message by its platform id on a channel.
func (q *queries) GetMessageByExternalID(ctx context.Context, channelID, direction, externalID string) (*switchboard.Message, error) {
	return getOne(ctx, q, "message", scanMessage,
		`SELECT `+messageCols+` FROM messages WHERE channel_id = ? AND direction = ? AND external_id = ?`,
		channelID, direction, externalID)
}

// ListMessages lists the messages of a conversation, newest first.
func (q *queries) ListMessages(ctx context.Context, workspaceID, conversationID string, p switchboard.Page) ([]*switchboard.Message, error) {
	w := messagesWhere(workspaceID, conversationID)
	return getMany(ctx, q, "message", scanMessage, w.page(messageCols, "messages", p), w.args...)
}

// messagesWhere selects the messages of a conversation of a workspace.
func messagesWhere(workspaceID, conversationID string) *where {
	w := new(where)
	w.and("conversation_id = ?", conversationID)
	w.and("workspace_id = ?", workspaceID)
	return w
}

// UpdateMessage replaces a message's text, status, external id and error,
// and stamps UpdatedAt.
func (q *queries) UpdateMessage(ctx context.Context, m *switchboard.Message) error {
	m.UpdatedAt = q.now()
	return q.change(ctx, "update", "message",
		`UPDATE messages SET text = ?, status = ?, external_id = ?, error = ?, updated_at = ?
		 WHERE workspace_id = ? AND id = ?`,
		m.Text, m.Status, m.ExternalID, m.Error, q.t(m.UpdatedAt), m.WorkspaceID, m.ID)
}

const eventCols = "id, workspace_id, type, version, data, created_at, trace"

func scanEvent(s scanner) (*switchboard.Event, error) {
	e := new(switchboard.Event)
	err := s.Scan(&e.ID, &e.WorkspaceID, &e.Type, &e.Version, rawCol{&e.Data}, timeCol{&e.Timestamp}, &e.Trace)
	if err != nil {
		return nil, err
	}
	return e, nil
}

// CreateEvent stores a new event (its deliveries are the publisher's:
// package webhook).
func (q *queries) CreateEvent(ctx context.Context, e *switchboard.Event) error {
	if e.ID == "" {
		e.ID = switchboard.NewID(switchboard.PrefixEvent)
	}
	if e.Version == "" {
		e.Version = switchboard.EventVersion
	}
	e.Timestamp = q.stamp(e.Timestamp)
	e.Data = orEmptyObject(e.Data)
	data, err := encodeRaw(e.Data, "{}")
	if err != nil {
		return err
	}
	return q.insert(ctx, "event",
		`INSERT INTO events (`+eventCols+`) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		e.ID, e.WorkspaceID, e.Type, e.Version, data, q.t(e.Timestamp), e.Trace)
}

// GetEvent finds an event of a workspace.
func (q *queries) GetEvent(ctx context.Context, workspaceID, id string) (*switchboard.Event, error) {
	return getOne(ctx, q, "event", scanEvent,
		`SELECT `+eventCols+` FROM events WHERE workspace_id = ? AND id = ?`, workspaceID, id)
}

// ListEvents lists the events of a workspace, newest first. The type filter
// is an exact type or a prefix ending in "*"; Since keeps events that
// happened at or after it.
func (q *queries) ListEvents(ctx context.Context, workspaceID string, f switchboard.EventFilter, p switchboard.Page) ([]*switchboard.Event, error) {
	w := q.eventsWhere(workspaceID, f)
	return getMany(ctx, q, "event", scanEvent, w.page(eventCols, "events", p), w.args...)
}

// eventsWhere selects the events of a workspace that pass a filter.
func (q *queries) eventsWhere(workspaceID string, f switchboard.EventFilter) *where {
	w := new(where)
	w.and("workspace_id = ?", workspaceID)
	if prefix, ok := strings.CutSuffix(f.Type, "*"); ok {
		w.and(`type LIKE ? ESCAPE '\'`, escapeLike(prefix)+"%")
	} else {
		w.eq("type", f.Type)
	}
	if !f.Since.IsZero() {
		w.and("created_at >= ?", q.bound(f.Since))
	}
	return w
}

// escapeLike escapes the LIKE wildcards of s with backslashes.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
