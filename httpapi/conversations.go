package httpapi

import (
	"context"
	"net/http"
	"time"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/pipeline"
)

type conversationRequest struct {
	ChannelID string         `json:"channel_id"`
	ContactID string         `json:"contact_id"`
	UserID    string         `json:"user_id"`
	Metadata  map[string]any `json:"metadata"`
}

type conversationUpdate struct {
	Status   optional[string]         `json:"status"`
	Metadata optional[map[string]any] `json:"metadata"`
	Assignee optional[string]         `json:"assignee"`
}

func (s *Server) listConversations(w http.ResponseWriter, r *http.Request) error {
	p, err := pageParams(r, sb.PrefixConversation)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := sb.ConversationFilter{Status: q.Get("status"), ChannelID: q.Get("channel_id"), ContactID: q.Get("contact_id"), BotID: q.Get("bot_id")}
	if f.Status != "" && !sb.ValidConversationStatus(f.Status) {
		return sb.Invalid("status", "must be active, handoff or ended")
	}
	convs, err := s.store.RenderConversations(r.Context(), principal(r).WorkspaceID, f, p)
	if err != nil {
		return err
	}
	return respondRendered(w, convs, p)
}

// createConversation starts a conversation with a contact, named by its id
// or by the platform user id (creating the contact if new). A contact has at
// most one open conversation per channel.
func (s *Server) createConversation(w http.ResponseWriter, r *http.Request) error {
	var req conversationRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	var v sb.Validation
	if req.ChannelID == "" {
		v.Add("channel_id", "is required")
	}
	if (req.ContactID == "") == (req.UserID == "") {
		v.Add("contact_id", "give exactly one of contact_id and user_id")
	}
	if err := v.Err(); err != nil {
		return err
	}
	var conv *sb.Conversation
	err := s.write(r.Context(), func(q sb.Queries) error {
		ch, err := s.bodyChannel(r.Context(), q, principal(r).WorkspaceID, req.ChannelID)
		if err != nil {
			return err
		}
		contact, err := s.bodyContact(r.Context(), q, ch, req.ContactID, req.UserID)
		if err != nil {
			return err
		}
		if open, err := q.FindOpenConversation(r.Context(), ch.ID, contact.ID); err == nil {
			return sb.Errorf(sb.EConflict, "The contact already has an open conversation on this channel: %s.", open.ID)
		} else if sb.ErrorCode(err) != sb.ENotFound {
			return err
		}
		conv, err = pipeline.StartConversation(r.Context(), q, ch, contact, req.Metadata, time.Now())
		return err
	})
	if err != nil {
		return err
	}
	return respond(w, http.StatusCreated, conv)
}

// bodyChannel finds a channel named in a request body.
func (s *Server) bodyChannel(ctx context.Context, q sb.Queries, ws, id string) (*sb.Channel, error) {
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
func (s *Server) bodyContact(ctx context.Context, q sb.Queries, ch *sb.Channel, contactID, userID string) (*sb.Contact, error) {
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
	now := time.Now().UTC()
	c = &sb.Contact{ID: sb.NewID(sb.PrefixContact), WorkspaceID: ch.WorkspaceID, ChannelID: ch.ID, ExternalID: userID,
		Attributes: map[string]any{}, CreatedAt: now, UpdatedAt: now}
	return c, q.CreateContact(ctx, c)
}

func (s *Server) getConversation(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id", sb.PrefixConversation, "conversation")
	if err != nil {
		return err
	}
	c, err := s.store.GetConversation(r.Context(), principal(r).WorkspaceID, id)
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, c)
}

// putConversation changes status, metadata or assignee. Each changed field
// yields one conversation.updated event; ending also yields
// conversation.ended. Ended conversations cannot change status.
func (s *Server) putConversation(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id", sb.PrefixConversation, "conversation")
	if err != nil {
		return err
	}
	var req conversationUpdate
	if err := decode(r, &req); err != nil {
		return err
	}
	if req.Status.Set && (req.Status.Null || !sb.ValidConversationStatus(req.Status.Value)) {
		return sb.Invalid("status", "must be active, handoff or ended")
	}
	if len(req.Assignee.Value) > 200 {
		return sb.Invalid("assignee", "must be at most 200 characters")
	}
	var conv *sb.Conversation
	err = s.write(r.Context(), func(q sb.Queries) error {
		conv, err = q.GetConversation(r.Context(), principal(r).WorkspaceID, id)
		if err != nil {
			return err
		}
		return updateConversation(r.Context(), q, conv, &req)
	})
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, conv)
}

// updateConversation applies a PUT to a conversation with the pipeline's
// lifecycle rules (events, transitions).
func updateConversation(ctx context.Context, q sb.Queries, conv *sb.Conversation, req *conversationUpdate) error {
	patch := sb.ConversationPatch{Status: req.Status.Value, SetMetadata: req.Metadata.Set, Metadata: req.Metadata.Value,
		SetAssignee: req.Assignee.Set}
	if req.Assignee.Set && !req.Assignee.Null {
		patch.Assignee = &req.Assignee.Value
	}
	return pipeline.UpdateConversation(ctx, q, conv, patch, time.Now())
}

func (s *Server) deleteConversation(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id", sb.PrefixConversation, "conversation")
	if err != nil {
		return err
	}
	if err := s.store.DeleteConversation(r.Context(), principal(r).WorkspaceID, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
