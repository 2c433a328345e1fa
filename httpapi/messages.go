package httpapi

import (
	"net/http"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/app"
)

func (s *Server) listMessages(w http.ResponseWriter, r *http.Request) error {
	convID, err := pathID(r, "id", sb.PrefixConversation, "conversation")
	if err != nil {
		return err
	}
	p, err := pageParams(r, sb.PrefixMessage)
	if err != nil {
		return err
	}
	msgs, err := s.app.RenderMessages(r.Context(), workspace(r), convID, p)
	if err != nil {
		return err
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
	m, err := s.app.GetMessage(r.Context(), workspace(r), convID, id)
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, m)
}

// postConversationMessage queues a message from an agent or the bot to the
// contact of a conversation: 202, sent through the channel afterwards.
func (s *Server) postConversationMessage(w http.ResponseWriter, r *http.Request) error {
	convID, err := pathID(r, "id", sb.PrefixConversation, "conversation")
	if err != nil {
		return err
	}
	var req app.ReplyParams
	if err := decode(r, &req); err != nil {
		return err
	}
	msg, err := s.app.Reply(r.Context(), workspace(r), convID, &req)
	if err != nil {
		return err
	}
	return respond(w, http.StatusAccepted, msg)
}

// postMessage sends a proactive message to a platform user.
func (s *Server) postMessage(w http.ResponseWriter, r *http.Request) error {
	var req app.SendParams
	if err := decode(r, &req); err != nil {
		return err
	}
	msg, err := s.app.Send(r.Context(), workspace(r), &req)
	if err != nil {
		return err
	}
	return respond(w, http.StatusAccepted, msg)
}
