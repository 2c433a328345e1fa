package app

import (
	"context"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/pipeline"
)

// StartConversationParams name the channel and the contact of a new
// conversation: the contact by its id, or by the platform user id (a new
// user becomes a contact).
type StartConversationParams struct {
	ChannelID string         `json:"channel_id"`
	ContactID string         `json:"contact_id"`
	UserID    string         `json:"user_id"`
	Metadata  map[string]any `json:"metadata"`
}

// UpdateConversationParams are the changes to a conversation.
type UpdateConversationParams struct {
	Status   sb.Optional[string]         `json:"status"`
	Metadata sb.Optional[map[string]any] `json:"metadata"`
	Assignee sb.Optional[string]         `json:"assignee"`
}

// RenderConversations returns a page of the workspace's conversations, as
// the API shows them.
func (s *Service) RenderConversations(ctx context.Context, ws string, f sb.ConversationFilter, p sb.Page) ([]sb.Rendered, error) {
	if f.Status != "" && !sb.ValidConversationStatus(f.Status) {
		return nil, sb.Invalid("status", "must be active, handoff or ended")
	}
	return s.store.RenderConversations(ctx, ws, f, p)
}

// GetConversation returns one conversation.
func (s *Service) GetConversation(ctx context.Context, ws, id string) (*sb.Conversation, error) {
	return s.store.GetConversation(ctx, ws, id)
}

// StartConversation starts a conversation with a contact. A contact has at
// most one open conversation per channel (EConflict otherwise).
func (s *Service) StartConversation(ctx context.Context, ws string, req *StartConversationParams) (*sb.Conversation, error) {
	var v sb.Validation
	if req.ChannelID == "" {
		v.Add("channel_id", "is required")
	}
	if (req.ContactID == "") == (req.UserID == "") {
		v.Add("contact_id", "give exactly one of contact_id and user_id")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	return writeResult(ctx, s, func(q sb.Queries) (*sb.Conversation, error) {
		ch, err := bodyChannel(ctx, q, ws, req.ChannelID)
		if err != nil {
			return nil, err
		}
		contact, err := s.bodyContact(ctx, q, ch, req.ContactID, req.UserID)
		if err != nil {
			return nil, err
		}
		if open, err := q.FindOpenConversation(ctx, ch.ID, contact.ID); err == nil {
			return nil, sb.Errorf(sb.EConflict, "The contact already has an open conversation on this channel: %s.", open.ID)
		} else if sb.ErrorCode(err) != sb.ENotFound {
			return nil, err
		}
		return pipeline.StartConversation(ctx, q, s.events, pipeline.NewConversation{Channel: ch, Contact: contact, Metadata: req.Metadata, Now: s.now()})
	})
}

// UpdateConversation changes status, metadata or assignee with the
// lifecycle's rules: each changed field yields one conversation.updated
// event, ending also conversation.ended; an ended conversation cannot
// change status.
func (s *Service) UpdateConversation(ctx context.Context, ws, id string, req *UpdateConversationParams) (*sb.Conversation, error) {
	if req.Status.Set && (req.Status.Null || !sb.ValidConversationStatus(req.Status.Value)) {
		return nil, sb.Invalid("status", "must be active, handoff or ended")
	}
	if len(req.Assignee.Value) > 200 {
		return nil, sb.Invalid("assignee", "must be at most 200 characters")
	}
	patch := sb.ConversationPatch{Status: req.Status.Value, SetMetadata: req.Metadata.Set, Metadata: req.Metadata.Value,
		SetAssignee: req.Assignee.Set}
	if req.Assignee.Set && !req.Assignee.Null {
		patch.Assignee = &req.Assignee.Value
	}
	return writeResultKey(ctx, s, id, func(q sb.Queries) (*sb.Conversation, error) {
		conv, err := q.HoldConversation(ctx, ws, id)
		if err != nil {
			return nil, err
		}
		return conv, pipeline.UpdateConversation(ctx, q, s.events, conv, patch, s.now())
	})
}

// DeleteConversation erases a conversation and its messages.
func (s *Service) DeleteConversation(ctx context.Context, ws, id string) error {
	return s.writeKey(ctx, id, func(q sb.Queries) error { return q.DeleteConversation(ctx, ws, id) })
}

// bodyChannel finds a channel named in a request body.
func bodyChannel(ctx context.Context, q sb.Queries, ws, id string) (*sb.Channel, error) {
	if !sb.HasPrefix(id, sb.PrefixChannel) {
		return nil, sb.Invalid("channel_id", "is not a channel id")
	}
	ch, err := q.GetChannel(ctx, ws, id)
	if sb.ErrorCode(err) == sb.ENotFound {
		return nil, sb.Invalid("channel_id", "names no channel of this workspace")
	}
	return ch, err
}

// bodyContact finds the contact named by id, or by the platform user id on
// the channel, creating it then if it is new.
func (s *Service) bodyContact(ctx context.Context, q sb.Queries, ch *sb.Channel, contactID, userID string) (*sb.Contact, error) {
	if contactID != "" {
		if !sb.HasPrefix(contactID, sb.PrefixContact) {
			return nil, sb.Invalid("contact_id", "is not a contact id")
		}
		c, err := q.GetContact(ctx, ch.WorkspaceID, contactID)
		if sb.ErrorCode(err) == sb.ENotFound {
			return nil, sb.Invalid("contact_id", "names no contact of this workspace")
		} else if err != nil {
			return nil, err
		}
		if c.ChannelID != ch.ID {
			return nil, sb.Invalid("contact_id", "belongs to another channel")
		}
		return c, nil
	}
	if len(userID) > 255 {
		return nil, sb.Invalid("user_id", "must be at most 255 characters")
	}
	c, err := q.GetContactByExternalID(ctx, ch.ID, userID)
	if sb.ErrorCode(err) != sb.ENotFound {
		return c, err
	}
	now := s.now()
	c = &sb.Contact{ID: sb.NewID(sb.PrefixContact), WorkspaceID: ch.WorkspaceID, ChannelID: ch.ID, ExternalID: userID,
		Attributes: map[string]any{}, CreatedAt: now, UpdatedAt: now}
	return c, q.CreateContact(ctx, c)
}
