package httpapi

import (
	"net/http"

	sb "github.com/switchboardhq/switchboard"
)

func (s *Server) listMessages(w http.ResponseWriter, r *http.Request) error {
	convID, err := kindConversation.id(r)
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
	convID, err := kindConversation.id(r)
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
