package httpapi

import (
	"bytes"
	"io"
	"net/http"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/app"
)

// attemptView is an attempt as the API shows it.
type attemptView struct {
	*sb.Attempt
	DurationMS float64 `json:"duration_ms"`
}

// deliveryView is a delivery with its attempts.
type deliveryView struct {
	*sb.Delivery
	Attempts []attemptView `json:"attempts"`
}

// decodeObject is decode for bodies that must be a JSON object.
func decodeObject(r *http.Request, v any) error {
	body, err := readBody(r)
	if err != nil {
		return err
	}
	if string(bytes.TrimSpace(body)) == "null" {
		return sb.Invalid("body", "must be a JSON object")
	}
	return sb.DecodeStrict(body, v, "")
}

// decodeOptions is decodeObject for the bodies of actions whose fields are
// all optional: an empty body takes every default.
func decodeOptions(r *http.Request, v any) error {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return bodyError(err)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	return decodeObject(r, v)
}

func (s *Server) listWebhooks(w http.ResponseWriter, r *http.Request) error {
	p, err := pageParams(r, sb.PrefixEndpoint)
	if err != nil {
		return err
	}
	eps, err := s.app.ListWebhooks(r.Context(), workspace(r), p)
	if err != nil {
		return err
	}
	return respondPage(w, eps, p, func(e *sb.WebhookEndpoint) string { return e.ID })
}

func (s *Server) createWebhook(w http.ResponseWriter, r *http.Request) error {
	var req app.CreateWebhookParams
	if err := decodeObject(r, &req); err != nil {
		return err
	}
	ep, err := s.app.CreateWebhook(r.Context(), workspace(r), &req)
	if err != nil {
		return err
	}
	return respond(w, http.StatusCreated, ep)
}

func (s *Server) getWebhook(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id", sb.PrefixEndpoint, "webhook endpoint")
	if err != nil {
		return err
	}
	ep, err := s.app.GetWebhook(r.Context(), workspace(r), id)
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, ep)
}

func (s *Server) patchWebhook(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id", sb.PrefixEndpoint, "webhook endpoint")
	if err != nil {
		return err
	}
	var req app.UpdateWebhookParams
	if err := decodeObject(r, &req); err != nil {
		return err
	}
	ep, err := s.app.UpdateWebhook(r.Context(), workspace(r), id, &req)
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, ep)
}

func (s *Server) deleteWebhook(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id", sb.PrefixEndpoint, "webhook endpoint")
	if err != nil {
		return err
	}
	if err := s.app.DeleteWebhook(r.Context(), workspace(r), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) rotateWebhookSecret(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id", sb.PrefixEndpoint, "webhook endpoint")
	if err != nil {
		return err
	}
	var req app.RotateSecretParams
	if err := decodeOptions(r, &req); err != nil {
		return err
	}
	ep, err := s.app.RotateWebhookSecret(r.Context(), workspace(r), id, &req)
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, ep)
}

// testWebhook sends a webhook.test event to one endpoint, whatever its
// event types.
func (s *Server) testWebhook(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id", sb.PrefixEndpoint, "webhook endpoint")
	if err != nil {
		return err
	}
	var req app.TestWebhookParams
	if err := decodeOptions(r, &req); err != nil {
		return err
	}
	d, err := s.app.TestWebhook(r.Context(), workspace(r), id, &req)
	if err != nil {
		return err
	}
	return respond(w, http.StatusAccepted, d)
}

func (s *Server) replayWebhook(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id", sb.PrefixEndpoint, "webhook endpoint")
	if err != nil {
		return err
	}
	var req app.ReplayParams
	if err := decodeObject(r, &req); err != nil {
		return err
	}
	n, err := s.app.ReplayWebhook(r.Context(), workspace(r), id, &req)
	if err != nil {
		return err
	}
	return respond(w, http.StatusAccepted, map[string]int{"replayed": n})
}

func (s *Server) listDeliveries(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id", sb.PrefixEndpoint, "webhook endpoint")
	if err != nil {
		return err
	}
	p, err := pageParams(r, sb.PrefixDelivery)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := sb.DeliveryFilter{Status: q.Get("status"), EventID: q.Get("event_id")}
	ds, err := s.app.ListDeliveries(r.Context(), workspace(r), id, f, p)
	if err != nil {
		return err
	}
	return respondPage(w, ds, p, func(d *sb.Delivery) string { return d.ID })
}

func (s *Server) getDelivery(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id", sb.PrefixDelivery, "delivery")
	if err != nil {
		return err
	}
	d, err := s.app.GetDelivery(r.Context(), workspace(r), id)
	if err != nil {
		return err
	}
	view := deliveryView{Delivery: d.Delivery, Attempts: make([]attemptView, len(d.Attempts))}
	for i, a := range d.Attempts {
		view.Attempts[i] = attemptView{a, float64(a.Duration.Microseconds()) / 1000}
	}
	return respond(w, http.StatusOK, view)
}

func (s *Server) retryDelivery(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id", sb.PrefixDelivery, "delivery")
	if err != nil {
		return err
	}
	var req struct{}
	if err := decodeOptions(r, &req); err != nil {
		return err
	}
	d, err := s.app.RetryDelivery(r.Context(), workspace(r), id)
	if err != nil {
		return err
	}
	return respond(w, http.StatusAccepted, d)
}
