package httpapi

import (
	"net/http"
	"time"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/auth"
)

type apiKeyRequest struct {
	Name   string   `json:"name"`
	Scopes []string `json:"scopes"`
}

// apiKeyWithSecret is the create response: the only time the secret is shown.
type apiKeyWithSecret struct {
	*sb.APIKey
	Key string `json:"key"`
}

func (s *Server) listAPIKeys(w http.ResponseWriter, r *http.Request) error {
	p, err := pageParams(r, sb.PrefixAPIKey)
	if err != nil {
		return err
	}
	keys, err := s.store.ListAPIKeys(r.Context(), principal(r).WorkspaceID, p)
	if err != nil {
		return err
	}
	return respondPage(w, keys, p, func(k *sb.APIKey) string { return k.ID })
}

func (s *Server) createAPIKey(w http.ResponseWriter, r *http.Request) error {
	var req apiKeyRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	if err := auth.ValidateKey(req.Name, req.Scopes); err != nil {
		return err
	}
	secret, _ := auth.NewKey()
	key := auth.NewAPIKey(principal(r).WorkspaceID, req.Name, req.Scopes, secret)
	if err := s.store.CreateAPIKey(r.Context(), key); err != nil {
		return err
	}
	return respond(w, http.StatusCreated, apiKeyWithSecret{APIKey: key, Key: secret})
}

func (s *Server) getAPIKey(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id", sb.PrefixAPIKey, "API key")
	if err != nil {
		return err
	}
	key, err := s.store.GetAPIKey(r.Context(), principal(r).WorkspaceID, id)
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
	if err := s.store.RevokeAPIKey(r.Context(), principal(r).WorkspaceID, id, time.Now().UTC()); err != nil {
		return err
	}
	s.auth.Forget(id)
	w.WriteHeader(http.StatusNoContent)
	return nil
}
