package store

import (
	"context"
	"strconv"
	"time"

	"github.com/switchboardhq/switchboard"
)

const contactCols = "id, workspace_id, channel_id, external_id, name, email, phone, attributes, created_at, updated_at"

func scanContact(s scanner) (*switchboard.Contact, error) {
	c := &switchboard.Contact{Attributes: map[string]any{}}
	err := s.Scan(&c.ID, &c.WorkspaceID, &c.ChannelID, &c.ExternalID, &c.Name, &c.Email, &c.Phone,
		jsonCol{&c.Attributes}, timeCol{&c.CreatedAt}, timeCol{&c.UpdatedAt})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// CreateContact stores a new contact, unique per (channel, external id).
func (q *queries) CreateContact(ctx context.Context, c *switchboard.Contact) error {
	if c.ID == "" {
		c.ID = switchboard.NewID(switchboard.PrefixContact)
	}
	c.CreatedAt = q.stamp(c.CreatedAt)
	if c.UpdatedAt.IsZero() {
		c.UpdatedAt = c.CreatedAt
	}
	c.UpdatedAt = norm(c.UpdatedAt)
	c.Attributes = orEmpty(c.Attributes)
	attrs, err := encodeJSON(c.Attributes, "{}")
	if err != nil {
		return err
	}
	return q.insert(ctx, "contact",
		`INSERT INTO contacts (`+contactCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		c.ID, c.WorkspaceID, c.ChannelID, c.ExternalID, c.Name, c.Email, c.Phone, attrs,
		q.t(c.CreatedAt), q.t(c.UpdatedAt))
}

// GetContact finds a contact of a workspace.
func (q *queries) GetContact(ctx context.Context, workspaceID, id string) (*switchboard.Contact, error) {
	return q.contact(ctx, workspaceID, id, "")
}

// HoldContact reads a contact and, on PostgreSQL in a transaction, holds it
// until the transaction ends.
func (q *queries) HoldContact(ctx context.Context, workspaceID, id string) (*switchboard.Contact, error) {
	return q.contact(ctx, workspaceID, id, q.hold())
}

// contact reads a contact by id, with lock (hold's clause, or "").
func (q *queries) contact(ctx context.Context, workspaceID, id, lock string) (*switchboard.Contact, error) {
	return getOne(ctx, q, "contact", scanContact,
		`SELECT `+contactCols+` FROM contacts WHERE workspace_id = ? AND id = ?`+lock, workspaceID, id)
}

// GetContactByExternalID finds a contact by its platform id on a channel.
func (q *queries) GetContactByExternalID(ctx context.Context, channelID, externalID string) (*switchboard.Contact, error) {
	return getOne(ctx, q, "contact", scanContact,
		`SELECT `+contactCols+` FROM contacts WHERE channel_id = ? AND external_id = ?`, channelID, externalID)
}

// ListContacts lists the contacts of a workspace, newest first.
func (q *queries) ListContacts(ctx context.Context, workspaceID string, f switchboard.ContactFilter, p switchboard.Page) ([]*switchboard.Contact, error) {
	var w where
	w.and("workspace_id = ?", workspaceID)
	w.eq("channel_id", f.ChannelID)
	return getMany(ctx, q, "contact", scanContact, w.page(contactCols, "contacts", p), w.args...)
}

// UpdateContact replaces a contact's name, email, phone and attributes, and
// stamps UpdatedAt.
func (q *queries) UpdateContact(ctx context.Context, c *switchboard.Contact) error {
	c.Attributes = orEmpty(c.Attributes)
	attrs, err := encodeJSON(c.Attributes, "{}")
	if err != nil {
		return err
	}
	c.UpdatedAt = q.now()
	return q.change(ctx, "update", "contact",
		`UPDATE contacts SET name = ?, email = ?, phone = ?, attributes = ?, updated_at = ?
		 WHERE workspace_id = ? AND id = ?`,
		c.Name, c.Email, c.Phone, attrs, q.t(c.UpdatedAt), c.WorkspaceID, c.ID)
}

const conversationCols = "id, workspace_id, channel_id, bot_id, contact_id, status, assignee, metadata, " +
	"started_at, last_activity_at, ended_at"

func scanConversation(s scanner) (*switchboard.Conversation, error) {
	c := &switchboard.Conversation{Metadata: map[string]any{}}
	err := s.Scan(&c.ID, &c.WorkspaceID, &c.ChannelID, &c.BotID, &c.ContactID, &c.Status, &c.Assignee,
		jsonCol{&c.Metadata}, timeCol{&c.StartedAt}, timeCol{&c.LastActivityAt}, nullTimeCol{&c.EndedAt})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// CreateConversation stores a new conversation.
func (q *queries) CreateConversation(ctx context.Context, c *switchboard.Conversation) error {
	if c.ID == "" {
		c.ID = switchboard.NewID(switchboard.PrefixConversation)
	}
	c.StartedAt = q.stamp(c.StartedAt)
	if c.LastActivityAt.IsZero() {
		c.LastActivityAt = c.StartedAt
	}
	c.LastActivityAt, c.EndedAt = norm(c.LastActivityAt), normPtr(c.EndedAt)
	c.Metadata = orEmpty(c.Metadata)
	meta, err := encodeJSON(c.Metadata, "{}")
	if err != nil {
		return err
	}
	return q.insert(ctx, "conversation",
		`INSERT INTO conversations (`+conversationCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		c.ID, c.WorkspaceID, c.ChannelID, c.BotID, c.ContactID, c.Status, c.Assignee, meta,
		q.t(c.StartedAt), q.t(c.LastActivityAt), q.tp(c.EndedAt))
}

// GetConversation finds a conversation of a workspace.
func (q *queries) GetConversation(ctx context.Context, workspaceID, id string) (*switchboard.Conversation, error) {
	return q.conversation(ctx, workspaceID, id, "")
}

// HoldConversation reads a conversation and, on PostgreSQL in a
// transaction, holds it until the transaction ends.
func (q *queries) HoldConversation(ctx context.Context, workspaceID, id string) (*switchboard.Conversation, error) {
	return q.conversation(ctx, workspaceID, id, q.hold())
}

// conversation reads a conversation by id, with lock (hold's clause, or "").
func (q *queries) conversation(ctx context.Context, workspaceID, id, lock string) (*switchboard.Conversation, error) {
	return getOne(ctx, q, "conversation", scanConversation,
		`SELECT `+conversationCols+` FROM conversations WHERE workspace_id = ? AND id = ?`+lock, workspaceID, id)
}

// ListConversations lists the conversations of a workspace, newest first.
func (q *queries) ListConversations(ctx context.Context, workspaceID string, f switchboard.ConversationFilter, p switchboard.Page) ([]*switchboard.Conversation, error) {
	w := conversationsWhere(workspaceID, f)
	return getMany(ctx, q, "conversation", scanConversation,
		w.page(conversationCols, "conversations", p), w.args...)
}

// conversationsWhere selects the conversations of a workspace that pass a
// filter.
func conversationsWhere(workspaceID string, f switchboard.ConversationFilter) *where {
	w := new(where)
	w.and("workspace_id = ?", workspaceID)
	w.eq("status", f.Status)
	w.eq("channel_id", f.ChannelID)
	w.eq("contact_id", f.ContactID)
	w.eq("bot_id", f.BotID)
	return w
}

// openStatuses is the SQL list of the statuses of conversations that have
// not ended.
const openStatuses = "('" + switchboard.ConversationActive + "', '" + switchboard.ConversationHandoff + "')"

// FindOpenConversation returns the newest conversation of the contact on the
// channel that has not ended.
func (q *queries) FindOpenConversation(ctx context.Context, channelID, contactID string) (*switchboard.Conversation, error) {
	return getOne(ctx, q, "conversation", scanConversation,
		`SELECT `+conversationCols+` FROM conversations
		 WHERE channel_id = ? AND contact_id = ? AND status IN `+openStatuses+`
		 ORDER BY id DESC LIMIT 1`, channelID, contactID)
}

// ListIdleConversations returns up to n open conversations, of any
// workspace, whose last activity is before the given time, oldest first.
func (q *queries) ListIdleConversations(ctx context.Context, before time.Time, n int) ([]*switchboard.Conversation, error) {
	if n <= 0 {
		return nil, nil
	}
	return getMany(ctx, q, "conversation", scanConversation,
		`SELECT `+conversationCols+` FROM conversations
		 WHERE status IN `+openStatuses+` AND last_activity_at < ?
		 ORDER BY last_activity_at, id LIMIT `+strconv.Itoa(n), q.bound(before))
}

// UpdateConversation replaces a conversation's bot, status, assignee,
// metadata, last activity and end.
func (q *queries) UpdateConversation(ctx context.Context, c *switchboard.Conversation) error {
	c.Metadata = orEmpty(c.Metadata)
	meta, err := encodeJSON(c.Metadata, "{}")
	if err != nil {
		return err
	}
	c.LastActivityAt, c.EndedAt = norm(c.LastActivityAt), normPtr(c.EndedAt)
	return q.change(ctx, "update", "conversation",
		`UPDATE conversations SET bot_id = ?, status = ?, assignee = ?, metadata = ?, last_activity_at = ?, ended_at = ?
		 WHERE workspace_id = ? AND id = ?`,
		c.BotID, c.Status, c.Assignee, meta, q.t(c.LastActivityAt), q.tp(c.EndedAt), c.WorkspaceID, c.ID)
}

// DeleteConversation erases a conversation and its messages.
func (q *queries) DeleteConversation(ctx context.Context, workspaceID, id string) error {
	return q.change(ctx, "delete", "conversation",
		`DELETE FROM conversations WHERE workspace_id = ? AND id = ?`, workspaceID, id)
}
