package httpapi

import (
	"errors"
	"net/http"
	"time"

	sb "github.com/switchboardhq/switchboard"
)

// registerChannel registers the channel's webhook_url with its platform,
// where the platform's API allows it (Telegram setWebhook with the secret
// token). On success the channel is connected and integration.connected is
// emitted. A refusal by the platform is 400 with its reason; a platform that
// cannot be reached is 422 (nothing changed; try again).
func (s *Server) registerChannel(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id", sb.PrefixChannel, "channel")
	if err != nil {
		return err
	}
	ws := principal(r).WorkspaceID
	ch, err := s.store.GetChannel(r.Context(), ws, id)
	if err != nil {
		return err
	}
	var reg sb.Registrar
	if s.pipe != nil {
		if ad, ok := s.channels.Lookup(ch.Type); ok {
			reg, _ = ad.(sb.Registrar)
		}
	}
	if reg == nil {
		return sb.Invalid("type", "a "+ch.Type+" channel cannot be registered through the API: "+
			"give its webhook_url to the platform yourself (see the channel type's documentation)")
	}
	if err := reg.Register(r.Context(), ch, s.view(ch).WebhookURL); err != nil {
		var se *sb.SendError
		if errors.As(err, &se) {
			return sb.Errorf(sb.EUnprocessable, "The platform could not register the webhook: %s. Nothing changed; try again.", se.Message)
		}
		return err
	}
	err = s.store.Tx(r.Context(), func(q sb.Queries) error {
		ch, err = q.GetChannel(r.Context(), ws, id)
		if err != nil {
			return err
		}
		ch.Status, ch.UpdatedAt = sb.ChannelConnected, time.Now().UTC()
		if err := q.UpdateChannel(r.Context(), ch); err != nil {
			return err
		}
		return q.CreateEvent(r.Context(), sb.NewEvent(ws, sb.EventIntegrationConnected, map[string]any{
			"integration": map[string]string{"id": ch.ID, "type": ch.Type, "name": ch.Name, "status": ch.Status},
		}))
	})
	if err != nil {
		return err
	}
	s.pipe.Forget(ch.ID)
	return respond(w, http.StatusOK, s.view(ch))
}
