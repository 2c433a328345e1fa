package httpapi

import (
	"encoding/base64"
	"net/http"
	"strconv"

	sb "github.com/switchboardhq/switchboard"
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

// trainBot starts a training of the draft: 202 with the bot, training. It
// takes no body (one sent is ignored).
func (s *Server) trainBot(w http.ResponseWriter, r *http.Request) error {
	id, err := kindBot.id(r)
	if err != nil {
		return err
	}
	bot, err := s.app.TrainBot(r.Context(), workspace(r), id)
	if err != nil {
		return err
	}
	return respond(w, http.StatusAccepted, bot)
}

// listBotVersions serves a page of a bot's versions, newest first. The
// cursor is the opaque form of the last version number of the page.
func (s *Server) listBotVersions(w http.ResponseWriter, r *http.Request) error {
	id, err := kindBot.id(r)
	if err != nil {
		return err
	}
	p, err := versionPage(r)
	if err != nil {
		return err
	}
	versions, err := s.app.ListBotVersions(r.Context(), workspace(r), id, p)
	if err != nil {
		return err
	}
	return respondPage(w, versions, p, func(v *sb.BotVersion) string { return strconv.Itoa(v.Version) })
}

// versionPage reads limit and cursor of a list of versions.
func versionPage(r *http.Request) (sb.Page, error) {
	c := r.URL.Query().Get("cursor")
	if c != "" {
		r = r.Clone(r.Context())
		q := r.URL.Query()
		q.Del("cursor")
		r.URL.RawQuery = q.Encode()
	}
	p, err := pageParams(r, sb.PrefixBot)
	if err != nil || c == "" {
		return p, err
	}
	after, err := base64.RawURLEncoding.DecodeString(c)
	if n, nerr := strconv.Atoi(string(after)); err != nil || nerr != nil || n < 1 {
		return p, sb.Invalid("cursor", "is not a cursor this list returned")
	}
	p.After = string(after)
	return p, nil
}
