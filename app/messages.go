package app

import (
	"context"
	"fmt"
	"unicode/utf8"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/pipeline"
)

// MaxTextLength bounds the text of a message sent through the API, in
// characters.
const MaxTextLength = 4096

// ReplyParams are a message from an agent or the bot to the contact of a
// conversation.
type ReplyParams struct {
	Text   string `json:"text"`
	Sender string `json:"sender"`
}

// SendParams are a proactive message to a platform user of a channel.
type SendParams struct {
	ChannelID string `json:"channel_id"`
	UserID    string `json:"user_id"`
	Text      string `json:"text"`
}

// RenderMessages returns a page of a conversation's messages, as the API
// shows them.
func (s *Service) RenderMessages(ctx context.Context, ws, conversationID string, p sb.Page) ([]sb.Rendered, error) {
	msgs, err := s.store.RenderMessages(ctx, ws, conversationID, p)
	if err != nil {
		return nil, err
	}
	if len(msgs) == 0 { // messages name their conversation; only an empty page must check it exists
		if _, err := s.store.GetConversation(ctx, ws, conversationID); err != nil {
			return nil, err
		}
	}
	return msgs, nil
}

// GetMessage returns one message of a conversation.
func (s *Service) GetMessage(ctx context.Context, ws, conversationID, id string) (*sb.Message, error) {
	return s.store.GetMessage(ctx, ws, conversationID, id)
}

// Reply queues a message to the contact of an open conversation: it is
// stored as queued and sent through the channel afterwards.
func (s *Service) Reply(ctx context.Context, ws, conversationID string, req *ReplyParams) (*sb.Message, error) {
	var v sb.Validation
	checkText(&v, req.Text)
	if req.Sender != sb.SenderAgent && req.Sender != sb.SenderBot {
		v.Add("sender", "must be agent or bot")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	return writeResultKey(ctx, s, conversationID, func(q sb.Queries) (*sb.Message, error) {
		conv, err := q.GetConversation(ctx, ws, conversationID)
		if err != nil {
			return nil, err
		}
		if conv.Status == sb.ConversationEnded {
			return nil, sb.Errorf(sb.EConflict, "The conversation has ended; start a new one to write to the contact.")
		}
		if sb.TextLength(req.Text) > s.minTextLimit() { // long enough to matter: the channel says
			ch, err := q.GetChannel(ctx, conv.WorkspaceID, conv.ChannelID)
			if err != nil {
				return nil, err
			}
			if err := s.checkChannelText(ch.Type, req.Text); err != nil {
				return nil, err
			}
		}
		return s.queue(ctx, q, conv, req.Sender, req.Text)
	})
}

// Send sends a proactive message to a platform user: it reuses the user's
// open conversation on the channel or starts one.
func (s *Service) Send(ctx context.Context, ws string, req *SendParams) (*sb.Message, error) {
	var v sb.Validation
	if req.ChannelID == "" {
		v.Add("channel_id", "is required")
	}
	if req.UserID == "" {
		v.Add("user_id", "is required")
	}
	checkText(&v, req.Text)
	if err := v.Err(); err != nil {
		return nil, err
	}
	return writeResult(ctx, s, func(q sb.Queries) (*sb.Message, error) {
		ch, err := bodyChannel(ctx, q, ws, req.ChannelID)
		if err != nil {
			return nil, err
		}
		if err := s.checkChannelText(ch.Type, req.Text); err != nil {
			return nil, err
		}
		contact, err := s.bodyContact(ctx, q, ch, "", req.UserID)
		if err != nil {
			return nil, err
		}
		conv, err := q.FindOpenConversation(ctx, ch.ID, contact.ID)
		if sb.ErrorCode(err) == sb.ENotFound {
			conv, err = pipeline.StartConversation(ctx, q, s.events, pipeline.NewConversation{Channel: ch, Contact: contact, Now: s.now()})
		}
		if err != nil {
			return nil, err
		}
		return s.queue(ctx, q, conv, sb.SenderAgent, req.Text)
	})
}

// queue stores a queued outbound message and its send job with q; without
// a pipeline in this process the job waits for another's poller.
func (s *Service) queue(ctx context.Context, q sb.Queries, conv *sb.Conversation, sender, text string) (*sb.Message, error) {
	o := pipeline.Outgoing{Conversation: conv, Sender: sender, Text: text, Now: s.now()}
	if s.pipe == nil {
		return (*pipeline.Pipeline)(nil).QueueMessage(ctx, q, o)
	}
	return s.pipe.QueueMessage(ctx, q, o)
}

// minTextLimit is the smallest of the registered platforms' limits: a
// shorter text fits every channel.
func (s *Service) minTextLimit() int {
	n := MaxTextLength * 2 // UTF-16 code units of the longest text accepted
	for _, a := range s.channels {
		if l := a.Spec().TextLimit; l > 0 {
			n = min(n, l)
		}
	}
	return n
}

// checkChannelText refuses a text longer than a channel's platform takes
// in one message (its spec's TextLimit).
func (s *Service) checkChannelText(channelType, text string) error {
	if limit := s.channels.Spec(channelType).TextLimit; limit > 0 && sb.TextLength(text) > limit {
		return sb.Invalid("text", fmt.Sprintf("must be at most %d characters (UTF-16 code units) on a %s channel", limit, channelType))
	}
	return nil
}

func checkText(v *sb.Validation, text string) {
	switch {
	case text == "":
		v.Add("text", "is required")
	case !utf8.ValidString(text):
		v.Add("text", "must be valid UTF-8")
	case utf8.RuneCountInString(text) > MaxTextLength:
		v.Addf("text", "must be at most %d characters", MaxTextLength)
	}
}
