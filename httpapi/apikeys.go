package httpapi

import (
	"net/http"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/app"
)

func (s *Server) listAPIKeys(w http.ResponseWriter, r *http.Request) error {
	p, err := pageParams(r, sb.PrefixAPIKey)
	if err != nil {
		return err
	}
	keys, err := s.app.ListAPIKeys(r.Context(), workspace(r), p)
	if err != nil {
		return err
	}
	return respondPage(w, keys, p, func(k *sb.APIKey) string { return k.ID })
}

func (s *Server) createAPIKey(w http.ResponseWriter, r *http.Request) error {
	var req app.CreateAPIKeyParams
	if err := decode(r, &req); err != nil {
		return err
	}
	key, err := s.app.CreateAPIKey(r.Context(), workspace(r), &req)
	if err != nil {
		return err
	}
	return respond(w, http.StatusCreated, key)
}

func (s *Server) getAPIKey(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id", sb.PrefixAPIKey, "API key")
	if err != nil {
		return err
	}
	key, err := s.app.GetAPIKey(r.Context(), workspace(r), id)
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, key)
}

func (s *Server) revokeAPIKey(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id", sb.PrefixAPIKey, "API key")
	if err != nil {
		return err
	}
	if err := s.app.RevokeAPIKey(r.Context(), workspace(r), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
