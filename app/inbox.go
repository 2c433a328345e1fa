package app

import (
	"context"

	sb "github.com/switchboardhq/switchboard"
)

// The inbox: the conversations the people of a workspace answer, with
// what each of them has not read yet; and the stream of the workspace's
// events that keeps their pages live.

// Assignee filters of the inbox.
const (
	AssigneeMe         = "me"
	AssigneeUnassigned = "unassigned"
)

// InboxParams filter the inbox; empty fields match all. Assignee is "me"
// (assigned to the person asking), "unassigned" or "" (anyone).
type InboxParams struct {
	Status    string
	ChannelID string
	Assignee  string
}

// InboxItem is one conversation of the inbox with its contact and the
// number of its inbound messages the person has not read.
type InboxItem struct {
	Conversation *sb.Conversation
	Contact      *sb.Contact
	Unread       int
}

// MaxEventsAfter bounds one read of the event stream.
const MaxEventsAfter = 1000

// ListInbox returns a page of the workspace's conversations for a person,
// the newest activity first, with their unread counts.
func (s *Service) ListInbox(ctx context.Context, ws string, u *sb.User, req InboxParams, p sb.Page) ([]InboxItem, error) {
	var v sb.Validation
	f := sb.InboxFilter{Status: req.Status, ChannelID: req.ChannelID}
	if f.Status != "" && !sb.ValidConversationStatus(f.Status) {
		v.Add("status", "must be active, handoff or ended")
	}
	if f.ChannelID != "" && !sb.HasPrefix(f.ChannelID, sb.PrefixChannel) {
		v.Add("channel_id", "is not a channel id")
	}
	switch req.Assignee {
	case "":
	case AssigneeMe:
		f.Assignee = u.Email
	case AssigneeUnassigned:
		f.Unassigned = true
	default:
		v.Add("assignee", "must be me or unassigned")
	}
	if p.After != "" && !sb.HasPrefix(p.After, sb.PrefixConversation) {
		v.Add("after", "is not a conversation id")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	convs, err := s.store.ListInbox(ctx, ws, f, p)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(convs))
	for i, c := range convs {
		ids[i] = c.ID
	}
	unread, err := s.store.CountUnread(ctx, ws, u.ID, ids)
	if err != nil {
		return nil, err
	}
	items := make([]InboxItem, len(convs))
	contacts := map[string]*sb.Contact{}
	for i, c := range convs {
		ct, ok := contacts[c.ContactID]
		if !ok {
			if ct, err = s.store.GetContact(ctx, ws, c.ContactID); err != nil {
				return nil, err
			}
			contacts[c.ContactID] = ct
		}
		items[i] = InboxItem{Conversation: c, Contact: ct, Unread: unread[c.ID]}
	}
	return items, nil
}

// ListMessages returns a page of a conversation's messages, newest first.
func (s *Service) ListMessages(ctx context.Context, ws, conversationID string, p sb.Page) ([]*sb.Message, error) {
	if _, err := s.store.GetConversation(ctx, ws, conversationID); err != nil {
		return nil, err
	}
	return s.store.ListMessages(ctx, ws, conversationID, p)
}

// MarkRead records that a person has read a conversation up to a message
// (its newest shown): its unread count starts again after it.
func (s *Service) MarkRead(ctx context.Context, ws, userID, conversationID, messageID string) error {
	if !sb.HasPrefix(messageID, sb.PrefixMessage) {
		return sb.Invalid("message_id", "is not a message id")
	}
	return s.store.MarkConversationRead(ctx, ws, userID, conversationID, messageID, s.now())
}

// AssignConversation assigns a conversation to a user of the workspace
// (its assignee becomes the user's email), or to nobody when userID is
// empty.
func (s *Service) AssignConversation(ctx context.Context, ws, conversationID, userID string) (*sb.Conversation, error) {
	req := &UpdateConversationParams{Assignee: sb.Optional[string]{Set: true, Null: userID == ""}}
	if userID != "" {
		u, err := s.store.GetUser(ctx, ws, userID)
		if sb.ErrorCode(err) == sb.ENotFound {
			return nil, sb.Invalid("assignee", "names no user of this workspace")
		} else if err != nil {
			return nil, err
		}
		req.Assignee.Value = u.Email
	}
	return s.UpdateConversation(ctx, ws, conversationID, req)
}

// ListEventsAfter returns up to limit (at most MaxEventsAfter) of the
// workspace's events whose id is after the given one, oldest first: the
// stream the dashboard's live pages follow.
func (s *Service) ListEventsAfter(ctx context.Context, ws, after string, limit int) ([]*sb.Event, error) {
	if after != "" && !sb.HasPrefix(after, sb.PrefixEvent) {
		return nil, sb.Invalid("after", "is not an event id")
	}
	return s.store.ListEventsAfter(ctx, ws, after, min(max(limit, 1), MaxEventsAfter))
}
