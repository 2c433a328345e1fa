package httpapi

import (
	"fmt"
	"net/http"
	"time"
	"unicode/utf8"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/pipeline"
)

// MaxTextLength bounds the text of a message sent through the API.
const MaxTextLength = 4096

type conversationMessageRequest struct {
	Text   string `json:"text"`
	Sender string `json:"sender"`
}

type messageRequest struct {
	ChannelID string `json:"channel_id"`
	UserID    string `json:"user_id"`
	Text      string `json:"text"`
}

func (s *Server) listMessages(w http.ResponseWriter, r *http.Request) error {
	convID, err := pathID(r, "id", sb.PrefixConversation, "conversation")
	if err != nil {
		return err
	}
	p, err := pageParams(r, sb.PrefixMessage)
	if err != nil {
		return err
	}
	ws := principal(r).WorkspaceID
	msgs, err := s.store.RenderMessages(r.Context(), ws, convID, p)
	if err != nil {
		return err
	}
	if len(msgs) == 0 { // messages name their conversation; only an empty page must check it exists
		if _, err := s.store.GetConversation(r.Context(), ws, convID); err != nil {
			return err
		}
	}
	return respondRendered(w, msgs, p)
}

func (s *Server) getMessage(w http.ResponseWriter, r *http.Request) error {
	convID, err := pathID(r, "id", sb.PrefixConversation, "conversation")
	if err != nil {
		return err
	}
	id, err := pathID(r, "message_id", sb.PrefixMessage, "message")
	if err != nil {
		return err
	}
	m, err := s.store.GetMessage(r.Context(), principal(r).WorkspaceID, convID, id)
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, m)
}

// postConversationMessage queues a message from an agent or the bot to the
// contact of a conversation. It answers 202: the message is stored as
// queued and sent through the channel afterwards.
func (s *Server) postConversationMessage(w http.ResponseWriter, r *http.Request) error {
	convID, err := pathID(r, "id", sb.PrefixConversation, "conversation")
	if err != nil {
		return err
	}
	var req conversationMessageRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	var v sb.Validation
	checkText(&v, req.Text)
	if req.Sender != sb.SenderAgent && req.Sender != sb.SenderBot {
		v.Add("sender", "must be agent or bot")
	}
	if err := v.Err(); err != nil {
		return err
	}
	var msg *sb.Message
	err = s.write(r.Context(), func(q sb.Queries) error {
		conv, err := q.GetConversation(r.Context(), principal(r).WorkspaceID, convID)
		if err != nil {
			return err
		}
		if conv.Status == sb.ConversationEnded {
			return sb.Errorf(sb.EConflict, "The conversation has ended; start a new one to write to the contact.")
		}
		if sb.TextLength(req.Text) > minTextLimit(s.channels) { // long enough to matter: the channel says
			ch, err := q.GetChannel(r.Context(), conv.WorkspaceID, conv.ChannelID)
			if err != nil {
				return err
			}
			if err := checkChannelText(s.channels.Spec(ch.Type), req.Text); err != nil {
				return err
			}
		}
		msg, err = s.pipe.QueueMessage(r.Context(), q, conv, req.Sender, req.Text)
		return err
	})
	if err != nil {
		return err
	}
	return respond(w, http.StatusAccepted, msg)
}

// postMessage sends a proactive message to a platform user: it reuses the
// user's open conversation on the channel or starts one.
func (s *Server) postMessage(w http.ResponseWriter, r *http.Request) error {
	var req messageRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	var v sb.Validation
	if req.ChannelID == "" {
		v.Add("channel_id", "is required")
	}
	if req.UserID == "" {
		v.Add("user_id", "is required")
	}
	checkText(&v, req.Text)
	if err := v.Err(); err != nil {
		return err
	}
	var msg *sb.Message
	err := s.write(r.Context(), func(q sb.Queries) error {
		ch, err := s.bodyChannel(r.Context(), q, principal(r).WorkspaceID, req.ChannelID)
		if err != nil {
			return err
		}
		if err := checkChannelText(s.channels.Spec(ch.Type), req.Text); err != nil {
			return err
		}
		contact, err := s.bodyContact(r.Context(), q, ch, "", req.UserID)
		if err != nil {
			return err
		}
		conv, err := q.FindOpenConversation(r.Context(), ch.ID, contact.ID)
		if sb.ErrorCode(err) == sb.ENotFound {
			conv, err = pipeline.StartConversation(r.Context(), q, ch, contact, nil, time.Now())
		}
		if err != nil {
			return err
		}
		msg, err = s.pipe.QueueMessage(r.Context(), q, conv, sb.SenderAgent, req.Text)
		return err
	})
	if err != nil {
		return err
	}
	return respond(w, http.StatusAccepted, msg)
}

// minTextLimit is the smallest of the platforms' limits: a shorter text
// fits every channel.
func minTextLimit(channels sb.Channels) int {
	n := MaxTextLength * 2 // UTF-16 code units of the longest text accepted
	for typ := range channels {
		if l := channels.Spec(typ).TextLimit; l > 0 {
			n = min(n, l)
		}
	}
	return n
}

// checkChannelText refuses a text longer than a channel's platform takes
// in one message.
func checkChannelText(spec sb.ChannelSpec, text string) error {
	if limit := spec.TextLimit; limit > 0 && sb.TextLength(text) > limit {
		return sb.Invalid("text", fmt.Sprintf("must be at most %d characters (UTF-16 code units) on a %s channel", limit, spec.Type))
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
