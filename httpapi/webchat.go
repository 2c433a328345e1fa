package httpapi

import (
	"net/http"

	sb "github.com/switchboardhq/switchboard"
)

// Webchat serves the web chat widget and its WebSocket (channel/webchat's
// Handler). Errors returned before the WebSocket upgrade are written as
// problem+json; after it, the handler owns the connection and returns nil.
type Webchat interface {
	ServeWidget(w http.ResponseWriter, r *http.Request) error
	ServeWS(w http.ResponseWriter, r *http.Request) error
}

func (s *Server) webchatWidget(w http.ResponseWriter, r *http.Request) error {
	if s.webchat == nil {
		return sb.Errorf(sb.ENotFound, "The web chat is not enabled on this server.")
	}
	return s.webchat.ServeWidget(w, r)
}

// webchatWS upgrades to the widget's WebSocket; connection attempts count
// against the client address's rate limit.
func (s *Server) webchatWS(w http.ResponseWriter, r *http.Request) error {
	if !s.allow(w, r, nil) {
		return nil
	}
	if s.webchat == nil {
		return sb.Errorf(sb.ENotFound, "The web chat is not enabled on this server.")
	}
	return s.webchat.ServeWS(w, r)
}
