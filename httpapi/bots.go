package httpapi

import (
	"net/http"
)

// putBotConfig replaces the engine configuration; secret fields left out
// keep their stored value.
func (s *Server) putBotConfig(w http.ResponseWriter, r *http.Request) error {
	id, err := kindBot.id(r)
	if err != nil {
		return err
	}
	body, err := readBody(r)
	if err != nil {
		return err
	}
	bot, err := s.app.ReplaceBotConfig(r.Context(), workspace(r), id, body)
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, bot)
}
