package httpapi

import (
	"net/http"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/app"
)

func (s *Server) listBots(w http.ResponseWriter, r *http.Request) error {
	p, err := pageParams(r, sb.PrefixBot)
	if err != nil {
		return err
	}
	bots, err := s.app.ListBots(r.Context(), workspace(r), p)
	if err != nil {
		return err
	}
	return respondPage(w, bots, p, func(b *sb.Bot) string { return b.ID })
}

func (s *Server) createBot(w http.ResponseWriter, r *http.Request) error {
	var req app.CreateBotParams
	if err := decode(r, &req); err != nil {
		return err
	}
	bot, err := s.app.CreateBot(r.Context(), workspace(r), &req)
	if err != nil {
		return err
	}
	return respond(w, http.StatusCreated, bot)
}

func (s *Server) getBot(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id", sb.PrefixBot, "bot")
	if err != nil {
		return err
	}
	bot, err := s.app.GetBot(r.Context(), workspace(r), id)
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, bot)
}

func (s *Server) deleteBot(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id", sb.PrefixBot, "bot")
	if err != nil {
		return err
	}
	if err := s.app.DeleteBot(r.Context(), workspace(r), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// putBotConfig replaces the engine configuration; secret fields left out
// keep their stored value.
func (s *Server) putBotConfig(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id", sb.PrefixBot, "bot")
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
