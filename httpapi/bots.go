package httpapi

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	sb "github.com/switchboardhq/switchboard"
)

type botRequest struct {
	Name   string          `json:"name"`
	Engine string          `json:"engine"`
	Config json.RawMessage `json:"config"`
}

func (s *Server) listBots(w http.ResponseWriter, r *http.Request) error {
	p, err := pageParams(r, sb.PrefixBot)
	if err != nil {
		return err
	}
	bots, err := s.store.ListBots(r.Context(), principal(r).WorkspaceID, p)
	if err != nil {
		return err
	}
	return respondPage(w, bots, p, func(b *sb.Bot) string { return b.ID })
}

func (s *Server) createBot(w http.ResponseWriter, r *http.Request) error {
	var req botRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	var v sb.Validation
	if req.Name == "" || len(req.Name) > 200 {
		v.Add("name", "is required, at most 200 characters")
	}
	engine, ok := s.engines.Lookup(req.Engine)
	if !ok {
		v.Add("engine", "must be one of "+strings.Join(s.engines.Names(), ", "))
	}
	if err := v.Err(); err != nil {
		return err
	}
	config, secrets, err := engine.ParseConfig(req.Config)
	if err != nil {
		return err
	}
	var generated map[string]string
	if g, ok := engine.(sb.SecretGenerator); ok {
		if secrets == nil {
			secrets = map[string]string{}
		}
		generated = g.GenerateSecrets(secrets)
	}
	now := time.Now().UTC()
	bot := &sb.Bot{
		ID: sb.NewID(sb.PrefixBot), WorkspaceID: principal(r).WorkspaceID, Name: req.Name, Engine: req.Engine,
		Config: config, Secrets: secrets, Status: sb.BotDraft, Version: 1, CreatedAt: now, UpdatedAt: now,
	}
	if err := s.store.CreateBot(r.Context(), bot); err != nil {
		return err
	}
	if len(generated) > 0 { // shown once, in this response
		shown := *bot
		shown.Config = withFields(bot.Config, generated)
		return respond(w, http.StatusCreated, &shown)
	}
	return respond(w, http.StatusCreated, bot)
}

// withFields returns a JSON object with more string fields.
func withFields(obj json.RawMessage, fields map[string]string) json.RawMessage {
	m := map[string]any{}
	_ = json.Unmarshal(obj, &m)
	for name, value := range fields {
		m[name] = value
	}
	out, _ := json.Marshal(m)
	return out
}

func (s *Server) getBot(w http.ResponseWriter, r *http.Request) error {
	bot, err := s.bot(r)
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, bot)
}

func (s *Server) bot(r *http.Request) (*sb.Bot, error) {
	id, err := pathID(r, "id", sb.PrefixBot, "bot")
	if err != nil {
		return nil, err
	}
	return s.store.GetBot(r.Context(), principal(r).WorkspaceID, id)
}

func (s *Server) deleteBot(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id", sb.PrefixBot, "bot")
	if err != nil {
		return err
	}
	if err := s.store.DeleteBot(r.Context(), principal(r).WorkspaceID, id); err != nil {
		return err
	}
	s.pipe.Forget(id)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// putBotConfig replaces the engine configuration, validated by the engine.
// Secret fields left out keep their stored value, so a client can change
// the url of a webhook bot without sending its secret again. The bot goes
// back to draft: the new configuration must be trained and deployed.
func (s *Server) putBotConfig(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id", sb.PrefixBot, "bot")
	if err != nil {
		return err
	}
	body, err := readBody(r)
	if err != nil {
		return err
	}
	if err := requireJSONObject(body); err != nil {
		return err
	}
	var bot *sb.Bot
	err = s.store.Tx(r.Context(), func(q sb.Queries) error {
		bot, err = q.GetBot(r.Context(), principal(r).WorkspaceID, id)
		if err != nil {
			return err
		}
		config, secrets, err := s.engines.ParseConfig(bot.Engine, body)
		if err != nil {
			return err
		}
		for k, v := range bot.Secrets {
			if _, ok := secrets[k]; !ok {
				if secrets == nil {
					secrets = map[string]string{}
				}
				secrets[k] = v
			}
		}
		bot.Config, bot.Secrets, bot.Status, bot.UpdatedAt = config, secrets, sb.BotDraft, time.Now().UTC()
		return q.UpdateBot(r.Context(), bot)
	})
	if err != nil {
		return err
	}
	s.pipe.Forget(bot.ID)
	return respond(w, http.StatusOK, bot)
}

// requireJSONObject checks that a body is a JSON object.
func requireJSONObject(body []byte) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil || m == nil {
		return sb.Invalid("body", "must be a JSON object")
	}
	return nil
}
