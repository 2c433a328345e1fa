package httpapi

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/egress"
	"github.com/switchboardhq/switchboard/webhook/signature"
)

// Limits of webhook endpoint settings.
const (
	maxEndpointURL         = 2048
	maxEndpointDescription = 1000
	maxEndpointEventTypes  = 100
	maxEndpointRate        = 10000
	maxGracePeriod         = 7 * 24 * 60 * 60
	defaultGracePeriod     = 24 * 60 * 60
	maxTestMessage         = 1000
	replayChunk            = 500
)

type endpointRequest struct {
	URL                string           `json:"url"`
	Description        string           `json:"description"`
	EventTypes         []string         `json:"event_types"`
	RateLimitPerSecond *int             `json:"rate_limit_per_second"`
	Status             optional[string] `json:"status"`
}

type endpointPatch struct {
	URL                optional[string]   `json:"url"`
	Description        optional[string]   `json:"description"`
	EventTypes         optional[[]string] `json:"event_types"`
	RateLimitPerSecond optional[int]      `json:"rate_limit_per_second"`
	Status             optional[string]   `json:"status"`
}

// endpointWithSecret is an endpoint with its current secret, shown on
// create and rotate only.
type endpointWithSecret struct {
	*sb.WebhookEndpoint
	Secret string `json:"secret"`
}

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

func (s *Server) listWebhooks(w http.ResponseWriter, r *http.Request) error {
	p, err := pageParams(r, sb.PrefixEndpoint)
	if err != nil {
		return err
	}
	eps, err := s.store.ListEndpoints(r.Context(), principal(r).WorkspaceID, p)
	if err != nil {
		return err
	}
	return respondPage(w, eps, p, func(e *sb.WebhookEndpoint) string { return e.ID })
}

func (s *Server) createWebhook(w http.ResponseWriter, r *http.Request) error {
	var req endpointRequest
	if err := decodeObject(r, &req); err != nil {
		return err
	}
	var v sb.Validation
	s.checkEndpointURL(r.Context(), &v, req.URL)
	checkDescription(&v, req.Description)
	checkEventTypes(&v, req.EventTypes)
	checkRate(&v, req.RateLimitPerSecond)
	status := sb.EndpointEnabled
	if req.Status.Set {
		status = req.Status.Value
		checkEndpointStatus(&v, req.Status)
	}
	if err := v.Err(); err != nil {
		return err
	}
	now := time.Now().UTC()
	ep := &sb.WebhookEndpoint{
		ID: sb.NewID(sb.PrefixEndpoint), WorkspaceID: principal(r).WorkspaceID, URL: req.URL, Description: req.Description,
		EventTypes: orNone(req.EventTypes), Status: status, RateLimitPerSecond: req.RateLimitPerSecond,
		Secrets: []sb.EndpointSecret{{Secret: signature.NewSecret()}}, CreatedAt: now, UpdatedAt: now,
	}
	if status == sb.EndpointDisabled {
		ep.DisabledReason = ptr("disabled through the API")
	}
	if err := s.store.CreateEndpoint(r.Context(), ep); err != nil {
		return err
	}
	return respond(w, http.StatusCreated, endpointWithSecret{ep, ep.Secrets[0].Secret})
}

func (s *Server) getWebhook(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id", sb.PrefixEndpoint, "webhook endpoint")
	if err != nil {
		return err
	}
	ep, err := s.store.GetEndpoint(r.Context(), principal(r).WorkspaceID, id)
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
	var req endpointPatch
	if err := decodeObject(r, &req); err != nil {
		return err
	}
	var v sb.Validation
	if req.URL.Set {
		if req.URL.Null {
			v.Add("url", "must be an absolute http or https URL, not null")
		} else {
			s.checkEndpointURL(r.Context(), &v, req.URL.Value)
		}
	}
	if req.Description.Set {
		checkDescription(&v, req.Description.Value)
	}
	if req.EventTypes.Set {
		checkEventTypes(&v, req.EventTypes.Value)
	}
	if req.RateLimitPerSecond.Set && !req.RateLimitPerSecond.Null {
		checkRate(&v, &req.RateLimitPerSecond.Value)
	}
	if req.Status.Set {
		checkEndpointStatus(&v, req.Status)
	}
	if err := v.Err(); err != nil {
		return err
	}
	var ep *sb.WebhookEndpoint
	err = s.store.Tx(r.Context(), func(q sb.Queries) error {
		ep, err = q.GetEndpoint(r.Context(), principal(r).WorkspaceID, id)
		if err != nil {
			return err
		}
		applyEndpointPatch(ep, &req)
		return q.UpdateEndpoint(r.Context(), ep)
	})
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, ep)
}

// applyEndpointPatch changes the fields given. Enabling an endpoint clears
// its disabled reason and its record of failures.
func applyEndpointPatch(ep *sb.WebhookEndpoint, req *endpointPatch) {
	if req.URL.Set {
		ep.URL = req.URL.Value
	}
	if req.Description.Set {
		ep.Description = req.Description.Value
	}
	if req.EventTypes.Set {
		ep.EventTypes = orNone(req.EventTypes.Value)
	}
	if req.RateLimitPerSecond.Set {
		ep.RateLimitPerSecond = nil
		if !req.RateLimitPerSecond.Null {
			ep.RateLimitPerSecond = &req.RateLimitPerSecond.Value
		}
	}
	if req.Status.Set && req.Status.Value != ep.Status {
		ep.Status = req.Status.Value
		ep.DisabledReason, ep.FailingSince = nil, nil
		if ep.Status == sb.EndpointDisabled {
			ep.DisabledReason = ptr("disabled through the API")
		}
	}
}

func (s *Server) deleteWebhook(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id", sb.PrefixEndpoint, "webhook endpoint")
	if err != nil {
		return err
	}
	if err := s.store.DeleteEndpoint(r.Context(), principal(r).WorkspaceID, id); err != nil {
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
	var req struct {
		GracePeriodSeconds *int `json:"grace_period_seconds"`
	}
	if err := decodeObject(r, &req); err != nil {
		return err
	}
	grace := defaultGracePeriod
	if req.GracePeriodSeconds != nil {
		grace = *req.GracePeriodSeconds
	}
	if grace < 0 || grace > maxGracePeriod {
		return sb.Invalid("grace_period_seconds", "must be an integer from 0 to 604800 (7 days)")
	}
	secret := signature.NewSecret()
	var ep *sb.WebhookEndpoint
	err = s.store.Tx(r.Context(), func(q sb.Queries) error {
		ep, err = q.GetEndpoint(r.Context(), principal(r).WorkspaceID, id)
		if err != nil {
			return err
		}
		ep.Rotate(secret, time.Duration(grace)*time.Second, time.Now())
		return q.UpdateEndpoint(r.Context(), ep)
	})
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, endpointWithSecret{ep, secret})
}

// testWebhook sends a webhook.test event to one endpoint, whatever its
// event types.
func (s *Server) testWebhook(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id", sb.PrefixEndpoint, "webhook endpoint")
	if err != nil {
		return err
	}
	var req struct {
		Message *string `json:"message"`
	}
	if err := decodeObject(r, &req); err != nil {
		return err
	}
	msg := "This is a test event from Switchboard."
	if req.Message != nil {
		msg = *req.Message
		if n := utf8.RuneCountInString(msg); n == 0 || n > maxTestMessage {
			return sb.Invalid("message", "must be 1 to 1000 characters")
		}
	}
	ws := principal(r).WorkspaceID
	var d *sb.Delivery
	err = s.store.Tx(r.Context(), func(q sb.Queries) error {
		if err := enabledEndpoint(r.Context(), q, ws, id); err != nil {
			return err
		}
		ev := sb.NewEvent(ws, sb.EventWebhookTest, map[string]any{"message": msg})
		ev.TargetEndpointID = id
		if err := q.CreateEvent(r.Context(), ev); err != nil {
			return err
		}
		ds, err := q.ListDeliveries(r.Context(), ws, id, sb.DeliveryFilter{EventID: ev.ID}, sb.Page{Limit: 1})
		if err != nil || len(ds) == 0 {
			return errors.Join(err, errors.New("httpapi: the test event made no delivery"))
		}
		d = ds[0]
		return nil
	})
	if err != nil {
		return err
	}
	return respond(w, http.StatusAccepted, d)
}

// enabledEndpoint checks that an endpoint exists and is enabled: a
// disabled endpoint gets nothing.
func enabledEndpoint(ctx context.Context, q sb.Queries, ws, id string) error {
	ep, err := q.GetEndpoint(ctx, ws, id)
	if err != nil {
		return err
	}
	if ep.Status != sb.EndpointEnabled {
		return sb.Errorf(sb.EConflict, "The webhook endpoint is disabled; enable it (PATCH status: enabled) first.")
	}
	return nil
}

func (s *Server) replayWebhook(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id", sb.PrefixEndpoint, "webhook endpoint")
	if err != nil {
		return err
	}
	var req struct {
		Since  *string `json:"since"`
		Status *string `json:"status"`
	}
	if err := decodeObject(r, &req); err != nil {
		return err
	}
	if req.Since == nil {
		return sb.Invalid("since", "is required: an RFC 3339 time, like 2026-01-15T10:30:00Z")
	}
	since, err := time.Parse(time.RFC3339, *req.Since)
	if err != nil {
		return sb.Invalid("since", "must be an RFC 3339 time, like 2026-01-15T10:30:00Z")
	}
	status := sb.DeliveryFailed
	if req.Status != nil {
		status = *req.Status
		if status != sb.DeliveryFailed && status != sb.DeliverySucceeded {
			return sb.Invalid("status", "must be failed or succeeded")
		}
	}
	ws := principal(r).WorkspaceID
	if err := enabledEndpoint(r.Context(), s.store, ws, id); err != nil {
		return err
	}
	// In chunks, each its own statement, so that a large replay never
	// holds the database for long.
	n, after, now := 0, "", time.Now()
	for {
		ids, err := s.store.ReplayDeliveries(r.Context(), ws, id, status, since, now, after, replayChunk)
		if err != nil {
			return err
		}
		n += len(ids)
		if len(ids) < replayChunk {
			break
		}
		after = ids[len(ids)-1]
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
	switch f.Status {
	case "", sb.DeliveryPending, sb.DeliverySucceeded, sb.DeliveryFailed:
	default:
		return sb.Invalid("status", "must be pending, succeeded or failed")
	}
	if f.EventID != "" && !sb.HasPrefix(f.EventID, sb.PrefixEvent) {
		return sb.Invalid("event_id", "is not an event id")
	}
	ws := principal(r).WorkspaceID
	ds, err := s.store.ListDeliveries(r.Context(), ws, id, f, p)
	if err != nil {
		return err
	}
	if len(ds) == 0 { // an empty page must tell a missing endpoint apart
		if _, err := s.store.GetEndpoint(r.Context(), ws, id); err != nil {
			return err
		}
	}
	return respondPage(w, ds, p, func(d *sb.Delivery) string { return d.ID })
}

func (s *Server) getDelivery(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id", sb.PrefixDelivery, "delivery")
	if err != nil {
		return err
	}
	d, err := s.store.GetDelivery(r.Context(), principal(r).WorkspaceID, id)
	if err != nil {
		return err
	}
	attempts, err := s.store.ListAttempts(r.Context(), d.ID, 100)
	if err != nil {
		return err
	}
	view := deliveryView{Delivery: d, Attempts: make([]attemptView, len(attempts))}
	for i, a := range attempts {
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
	if err := decodeObject(r, &req); err != nil {
		return err
	}
	ws := principal(r).WorkspaceID
	d, err := s.store.GetDelivery(r.Context(), ws, id)
	if err != nil {
		return err
	}
	if err := enabledEndpoint(r.Context(), s.store, ws, d.EndpointID); err != nil {
		return err
	}
	d, err = s.store.RetryDelivery(r.Context(), ws, id, time.Now())
	if err != nil {
		return err
	}
	return respond(w, http.StatusAccepted, d)
}

// checkEndpointURL checks a target URL as egress will: an absolute http(s)
// URL whose host does not resolve to an address the policy refuses. A host
// that does not resolve yet is accepted (the check is repeated on every
// connection).
func (s *Server) checkEndpointURL(ctx context.Context, v *sb.Validation, u string) {
	if u == "" {
		v.Add("url", "is required: the absolute http or https URL that receives the events")
		return
	}
	if len(u) > maxEndpointURL {
		v.Add("url", "must be at most 2048 characters")
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	err := egress.CheckURL(ctx, s.cfg.WebhookPolicy, u, nil)
	switch {
	case err == nil, errors.Is(err, egress.ErrUnresolvable):
	case errors.Is(err, egress.ErrBlocked):
		v.Add("url", "is not allowed: "+err.Error()+" (loopback, private, link-local and metadata addresses are refused unless the server sets SWITCHBOARD_WEBHOOK_ALLOW_PRIVATE=true)")
	default:
		v.Add("url", "must be an absolute http or https URL without credentials ("+strings.TrimPrefix(err.Error(), "invalid url: ")+")")
	}
}

func checkDescription(v *sb.Validation, d string) {
	if utf8.RuneCountInString(d) > maxEndpointDescription {
		v.Add("description", "must be at most 1000 characters")
	}
}

func checkEventTypes(v *sb.Validation, types []string) {
	if len(types) > maxEndpointEventTypes {
		v.Add("event_types", "must list at most 100 types")
		return
	}
	for i, t := range types {
		if !sb.ValidEventFilter(t) {
			v.Addf("event_types["+strconv.Itoa(i)+"]", "%q is not an event type or a prefix like message.*", t)
		}
	}
}

func checkRate(v *sb.Validation, rate *int) {
	if rate != nil && (*rate < 1 || *rate > maxEndpointRate) {
		v.Add("rate_limit_per_second", "must be an integer from 1 to 10000, or null for no limit")
	}
}

func checkEndpointStatus(v *sb.Validation, status optional[string]) {
	if status.Null || (status.Value != sb.EndpointEnabled && status.Value != sb.EndpointDisabled) {
		v.Add("status", "must be enabled or disabled")
	}
}

// orNone returns types, or an empty list for nil.
func orNone(types []string) []string {
	if types == nil {
		return []string{}
	}
	return types
}

func ptr[T any](v T) *T { return &v }
