package app

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"strings"

	sb "github.com/switchboardhq/switchboard"
)

// CreateChannelParams are a new channel's type, name, bot and settings.
type CreateChannelParams struct {
	Type   string          `json:"type"`
	Name   string          `json:"name"`
	BotID  *string         `json:"bot_id"`
	Config json.RawMessage `json:"config"`
}

// UpdateChannelParams are the changes to a channel; Config is merged over
// the stored settings (a field given as null is removed).
type UpdateChannelParams struct {
	Name   sb.Optional[string] `json:"name"`
	BotID  sb.Optional[string] `json:"bot_id"`
	Status sb.Optional[string] `json:"status"`
	Config json.RawMessage     `json:"config"`
}

// ChannelView is a channel as the API shows it, with the URL its platform
// must call.
type ChannelView struct {
	*sb.Channel
	WebhookURL string `json:"webhook_url"`
}

// View returns a channel with its inbound webhook URL.
func (s *Service) View(c *sb.Channel) ChannelView {
	return ChannelView{Channel: c, WebhookURL: strings.TrimSuffix(s.cfg.PublicURL, "/") + "/hooks/channels/" + c.ID}
}

// ListChannels returns a page of the workspace's channels.
func (s *Service) ListChannels(ctx context.Context, ws string, p sb.Page) ([]ChannelView, error) {
	chans, err := s.store.ListChannels(ctx, ws, p)
	if err != nil {
		return nil, err
	}
	views := make([]ChannelView, len(chans))
	for i, c := range chans {
		views[i] = s.View(c)
	}
	return views, nil
}

// GetChannel returns one channel.
func (s *Service) GetChannel(ctx context.Context, ws, id string) (ChannelView, error) {
	ch, err := s.store.GetChannel(ctx, ws, id)
	if err != nil {
		return ChannelView{}, err
	}
	return s.View(ch), nil
}

// CreateChannel creates a channel, connected. The secrets Switchboard
// generates for it are in the returned view's config, this once.
func (s *Service) CreateChannel(ctx context.Context, ws string, req *CreateChannelParams) (ChannelView, error) {
	if req.Name == "" || len(req.Name) > 200 {
		return ChannelView{}, sb.Invalid("name", "is required, at most 200 characters")
	}
	config, secrets, err := s.channels.ParseConfig(req.Type, req.Config, nil, nil)
	if err != nil {
		return ChannelView{}, err
	}
	if err := s.checkChannelURLs(ctx, req.Config, s.channels.Spec(req.Type).URLFields()); err != nil {
		return ChannelView{}, err
	}
	generated := s.channels.Spec(req.Type).GenerateSecrets(secrets)
	now := s.now()
	ch := &sb.Channel{
		ID: sb.NewID(sb.PrefixChannel), WorkspaceID: ws, Type: req.Type, Name: req.Name,
		Status: sb.ChannelConnected, Config: config, Secrets: secrets, CreatedAt: now, UpdatedAt: now,
	}
	err = s.write(ctx, func(q sb.Queries) error {
		ch.BotID = nil
		if req.BotID != nil {
			if err := checkBot(ctx, q, ws, *req.BotID); err != nil {
				return err
			}
			ch.BotID = req.BotID
		}
		return q.CreateChannel(ctx, ch)
	})
	if err != nil {
		return ChannelView{}, err
	}
	shown := *ch
	shown.Config = maps.Clone(ch.Config)
	for k, v := range generated {
		shown.Config[k] = v
	}
	return s.View(&shown), nil
}

// checkBot checks that a bot id in a request body names a bot of the
// workspace.
func checkBot(ctx context.Context, q sb.Queries, ws, id string) error {
	if !sb.HasPrefix(id, sb.PrefixBot) {
		return sb.Invalid("bot_id", "is not a bot id")
	}
	if _, err := q.GetBot(ctx, ws, id); sb.ErrorCode(err) == sb.ENotFound {
		return sb.Invalid("bot_id", "names no bot of this workspace")
	} else if err != nil {
		return err
	}
	return nil
}

// UpdateChannel changes a channel's name, status, bot or settings.
func (s *Service) UpdateChannel(ctx context.Context, ws, id string, req *UpdateChannelParams) (ChannelView, error) {
	if req.Config != nil { // before the write: the check may ask DNS
		var fields []string
		for _, typ := range s.channels.Types() {
			fields = append(fields, s.channels.Spec(typ).URLFields()...)
		}
		if err := s.checkChannelURLs(ctx, req.Config, fields); err != nil {
			return ChannelView{}, err
		}
	}
	ch, err := writeResult(ctx, s, func(q sb.Queries) (*sb.Channel, error) {
		ch, err := q.GetChannel(ctx, ws, id)
		if err != nil {
			return nil, err
		}
		if err := s.applyChannelPatch(ctx, q, ch, req); err != nil {
			return nil, err
		}
		ch.UpdatedAt = s.now()
		return ch, q.UpdateChannel(ctx, ch)
	})
	if err != nil {
		return ChannelView{}, err
	}
	s.forget(ch.ID)
	return s.View(ch), nil
}

func (s *Service) applyChannelPatch(ctx context.Context, q sb.Queries, ch *sb.Channel, req *UpdateChannelParams) error {
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
			if err := checkBot(ctx, q, ch.WorkspaceID, req.BotID.Value); err != nil {
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

// checkChannelURLs checks the URL settings named by fields that raw, a
// channel configuration as sent, gives, against the outbound address
// policy (checkOutboundURL). Values that are not absolute http(s) URLs are
// left to ParseConfig.
func (s *Service) checkChannelURLs(ctx context.Context, raw json.RawMessage, fields []string) error {
	in := map[string]any{}
	if json.Unmarshal(raw, &in) != nil {
		return nil
	}
	var v sb.Validation
	for _, name := range slices.Compact(slices.Sorted(slices.Values(fields))) {
		if u, ok := in[name].(string); ok && sb.CheckHTTPURL(u) == "" {
			s.checkOutboundURL(ctx, &v, "config."+name, u)
		}
	}
	return v.Err()
}

// DeleteChannel deletes a channel with its contacts and conversations.
func (s *Service) DeleteChannel(ctx context.Context, ws, id string) error {
	return s.writeForget(ctx, id, func(q sb.Queries) error { return q.DeleteChannel(ctx, ws, id) })
}

// RegisterChannel registers the channel's webhook URL with its platform,
// where the platform's API allows it (Telegram setWebhook with the secret
// token). On success the channel is connected and integration.connected is
// emitted. A refusal by the platform is EUnprocessable with its reason
// (nothing changed; try again); a type without registration is EInvalid.
func (s *Service) RegisterChannel(ctx context.Context, ws, id string) (ChannelView, error) {
	ch, err := s.store.GetChannel(ctx, ws, id)
	if err != nil {
		return ChannelView{}, err
	}
	var reg sb.Registrar
	if ad, ok := s.channels.Lookup(ch.Type); ok {
		reg, _ = ad.(sb.Registrar)
	}
	if reg == nil {
		return ChannelView{}, sb.Invalid("type", "a "+ch.Type+" channel cannot be registered through the API: "+
			"give its webhook_url to the platform yourself (see the channel type's documentation)")
	}
	if err := reg.Register(ctx, ch, s.View(ch).WebhookURL); err != nil {
		var se *sb.SendError
		if errors.As(err, &se) {
			if !se.Retryable { // the address policy refused the api_base_url, or a redirect: trying again cannot help
				return ChannelView{}, sb.Errorf(sb.EUnprocessable, "The platform could not register the webhook: %s. Nothing changed.", se.Text())
			}
			return ChannelView{}, sb.Errorf(sb.EUnprocessable, "The platform could not register the webhook: %s. Nothing changed; try again.", se.Text())
		}
		return ChannelView{}, err
	}
	err = s.write(ctx, func(q sb.Queries) error {
		ch, err = q.GetChannel(ctx, ws, id)
		if err != nil {
			return err
		}
		ch.Status, ch.UpdatedAt = sb.ChannelConnected, s.now()
		if err := q.UpdateChannel(ctx, ch); err != nil {
			return err
		}
		return s.events.Publish(ctx, q, sb.NewEvent(ws, sb.EventIntegrationConnected, map[string]any{
			"integration": map[string]string{"id": ch.ID, "type": ch.Type, "name": ch.Name, "status": ch.Status},
		}))
	})
	if err != nil {
		return ChannelView{}, err
	}
	s.forget(ch.ID)
	return s.View(ch), nil
}
