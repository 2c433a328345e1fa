package httpapi

import (
	"net/http"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/app"
)

func (s *Server) listConversations(w http.ResponseWriter, r *http.Request) error {
	p, err := pageParams(r, sb.PrefixConversation)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := sb.ConversationFilter{Status: q.Get("status"), ChannelID: q.Get("channel_id"), ContactID: q.Get("contact_id"), BotID: q.Get("bot_id")}
	convs, err := s.app.RenderConversations(r.Context(), workspace(r), f, p)
	if err != nil {
		return err
	}
	return respondRendered(w, convs, p)
}

func (s *Server) createConversation(w http.ResponseWriter, r *http.Request) error {
	var req app.StartConversationParams
	if err := decode(r, &req); err != nil {
		return err
	}
	conv, err := s.app.StartConversation(r.Context(), workspace(r), &req)
	if err != nil {
		return err
	}
	return respond(w, http.StatusCreated, conv)
}

func (s *Server) getConversation(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id", sb.PrefixConversation, "conversation")
	if err != nil {
		return err
	}
	c, err := s.app.GetConversation(r.Context(), workspace(r), id)
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, c)
}

func (s *Server) putConversation(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id", sb.PrefixConversation, "conversation")
	if err != nil {
		return err
	}
	var req app.UpdateConversationParams
	if err := decode(r, &req); err != nil {
		return err
	}
	conv, err := s.app.UpdateConversation(r.Context(), workspace(r), id, &req)
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, conv)
}

func (s *Server) deleteConversation(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id", sb.PrefixConversation, "conversation")
	if err != nil {
		return err
	}
	if err := s.app.DeleteConversation(r.Context(), workspace(r), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
