package httpapi

import (
	"net/http"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/app"
)

func (s *Server) listChannels(w http.ResponseWriter, r *http.Request) error {
	p, err := pageParams(r, sb.PrefixChannel)
	if err != nil {
		return err
	}
	views, err := s.app.ListChannels(r.Context(), workspace(r), p)
	if err != nil {
		return err
	}
	return respondPage(w, views, p, func(v app.ChannelView) string { return v.ID })
}

func (s *Server) createChannel(w http.ResponseWriter, r *http.Request) error {
	var req app.CreateChannelParams
	if err := decode(r, &req); err != nil {
		return err
	}
	ch, err := s.app.CreateChannel(r.Context(), workspace(r), &req)
	if err != nil {
		return err
	}
	return respond(w, http.StatusCreated, ch)
}

func (s *Server) getChannel(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id", sb.PrefixChannel, "channel")
	if err != nil {
		return err
	}
	ch, err := s.app.GetChannel(r.Context(), workspace(r), id)
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, ch)
}

func (s *Server) patchChannel(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id", sb.PrefixChannel, "channel")
	if err != nil {
		return err
	}
	var req app.UpdateChannelParams
	if err := decode(r, &req); err != nil {
		return err
	}
	ch, err := s.app.UpdateChannel(r.Context(), workspace(r), id, &req)
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, ch)
}

func (s *Server) deleteChannel(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id", sb.PrefixChannel, "channel")
	if err != nil {
		return err
	}
	if err := s.app.DeleteChannel(r.Context(), workspace(r), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// registerChannel registers the channel's webhook_url with its platform.
// A refusal by the platform is 422 (nothing changed; try again).
func (s *Server) registerChannel(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id", sb.PrefixChannel, "channel")
	if err != nil {
		return err
	}
	ch, err := s.app.RegisterChannel(r.Context(), workspace(r), id)
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, ch)
}
