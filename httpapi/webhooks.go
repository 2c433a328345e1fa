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

func (s *Server) replayWebhook(w http.ResponseWriter, r *http.Request) error {
	id, err := kindEndpoint.id(r)
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
	id, err := kindEndpoint.id(r)
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
	id, err := kindDelivery.id(r)
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
	id, err := kindDelivery.id(r)
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
