package httpapi

import (
	"encoding/json"
	"maps"
	"net/http"
	"strings"
	"time"

	sb "github.com/switchboardhq/switchboard"
)

type channelRequest struct {
	Type   string          `json:"type"`
	Name   string          `json:"name"`
	BotID  *string         `json:"bot_id"`
	Config json.RawMessage `json:"config"`
}

type channelPatch struct {
	Name   optional[string] `json:"name"`
	BotID  optional[string] `json:"bot_id"`
	Status optional[string] `json:"status"`
	Config json.RawMessage  `json:"config"`
}

// channelView is a channel as the API shows it.
type channelView struct {
	*sb.Channel
	WebhookURL string `json:"webhook_url"`
}

func (s *Server) view(c *sb.Channel) channelView {
	return channelView{Channel: c, WebhookURL: strings.TrimSuffix(s.cfg.PublicURL, "/") + "/hooks/channels/" + c.ID}
}

func (s *Server) listChannels(w http.ResponseWriter, r *http.Request) error {
	p, err := pageParams(r, sb.PrefixChannel)
	if err != nil {
		return err
	}
	chans, err := s.store.ListChannels(r.Context(), principal(r).WorkspaceID, p)
	if err != nil {
		return err
	}
	views := make([]channelView, len(chans))
	for i, c := range chans {
		views[i] = s.view(c)
	}
	return respondPage(w, views, p, func(v channelView) string { return v.ID })
}

func (s *Server) createChannel(w http.ResponseWriter, r *http.Request) error {
	var req channelRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	ws := principal(r).WorkspaceID
	if req.Name == "" || len(req.Name) > 200 {
		return sb.Invalid("name", "is required, at most 200 characters")
	}
	config, secrets, err := s.channels.ParseConfig(req.Type, req.Config, nil, nil)
	if err != nil {
		return err
	}
	generated := s.channels.Spec(req.Type).GenerateSecrets(secrets)
	now := time.Now().UTC()
	ch := &sb.Channel{
		ID: sb.NewID(sb.PrefixChannel), WorkspaceID: ws, Type: req.Type, Name: req.Name,
		Status: sb.ChannelConnected, Config: config, Secrets: secrets, CreatedAt: now, UpdatedAt: now,
	}
	err = s.store.Tx(r.Context(), func(q sb.Queries) error {
		if req.BotID != nil {
			if err := s.checkBot(r, q, *req.BotID); err != nil {
				return err
			}
			ch.BotID = req.BotID
		}
		return q.CreateChannel(r.Context(), ch)
	})
	if err != nil {
		return err
	}
	shown := *ch
	shown.Config = maps.Clone(ch.Config)
	for k, v := range generated {
		shown.Config[k] = v
	}
	return respond(w, http.StatusCreated, s.view(&shown))
}

// checkBot checks that a bot id in a request body names a bot of the workspace.
func (s *Server) checkBot(r *http.Request, q sb.Queries, id string) error {
	if !sb.HasPrefix(id, sb.PrefixBot) {
		return sb.Invalid("bot_id", "is not a bot id")
	}
	if _, err := q.GetBot(r.Context(), principal(r).WorkspaceID, id); sb.ErrorCode(err) == sb.ENotFound {
		return sb.Invalid("bot_id", "names no bot of this workspace")
	} else if err != nil {
		return err
	}
	return nil
}

func (s *Server) getChannel(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id", sb.PrefixChannel, "channel")
	if err != nil {
		return err
	}
	ch, err := s.store.GetChannel(r.Context(), principal(r).WorkspaceID, id)
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, s.view(ch))
}

func (s *Server) patchChannel(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id", sb.PrefixChannel, "channel")
	if err != nil {
		return err
	}
	var req channelPatch
	if err := decode(r, &req); err != nil {
		return err
	}
	var ch *sb.Channel
	err = s.store.Tx(r.Context(), func(q sb.Queries) error {
		ch, err = q.GetChannel(r.Context(), principal(r).WorkspaceID, id)
		if err != nil {
			return err
		}
		if err := s.applyChannelPatch(r, q, ch, &req); err != nil {
			return err
		}
		ch.UpdatedAt = time.Now().UTC()
		return q.UpdateChannel(r.Context(), ch)
	})
	if err != nil {
		return err
	}
	s.pipe.Forget(ch.ID)
	return respond(w, http.StatusOK, s.view(ch))
}

func (s *Server) applyChannelPatch(r *http.Request, q sb.Queries, ch *sb.Channel, req *channelPatch) error {
	if req.Name.Set {
		if req.Name.Null || req.Name.Value == "" || len(req.Name.Value) > 200 {
			return sb.Invalid("name", "must be a non-empty string of at most 200 characters")
		}
		ch.Name = req.Name.Value
	}
	if req.Status.Set {
		if v := req.Status.Value; req.Status.Null || (v != sb.ChannelConnected && v != sb.ChannelDisconnected) {
			return sb.Invalid("status", "must be connected or disconnected")
		}
		ch.Status = req.Status.Value
	}
	if req.BotID.Set {
		if req.BotID.Null {
			ch.BotID = nil
		} else {
			if err := s.checkBot(r, q, req.BotID.Value); err != nil {
				return err
			}
			ch.BotID = &req.BotID.Value
		}
	}
	if req.Config != nil {
		config, secrets, err := s.channels.ParseConfig(ch.Type, req.Config, ch.Config, ch.Secrets)
		if err != nil {
			return err
		}
		ch.Config, ch.Secrets = config, secrets
	}
	return nil
}

func (s *Server) deleteChannel(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id", sb.PrefixChannel, "channel")
	if err != nil {
		return err
	}
	if err := s.store.DeleteChannel(r.Context(), principal(r).WorkspaceID, id); err != nil {
		return err
	}
	s.pipe.Forget(id)
	w.WriteHeader(http.StatusNoContent)
	return nil
}
