package app

import (
	"context"
	"errors"
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

// CreateWebhookParams are the settings of a new webhook endpoint.
type CreateWebhookParams struct {
	URL                string              `json:"url"`
	Description        string              `json:"description"`
	EventTypes         []string            `json:"event_types"`
	RateLimitPerSecond *int                `json:"rate_limit_per_second"`
	Status             sb.Optional[string] `json:"status"`
}

// UpdateWebhookParams are the settings to change; absent fields keep theirs.
type UpdateWebhookParams struct {
	URL                sb.Optional[string]   `json:"url"`
	Description        sb.Optional[string]   `json:"description"`
	EventTypes         sb.Optional[[]string] `json:"event_types"`
	RateLimitPerSecond sb.Optional[int]      `json:"rate_limit_per_second"`
	Status             sb.Optional[string]   `json:"status"`
}

// RotateSecretParams say how long the previous secret keeps signing.
type RotateSecretParams struct {
	GracePeriodSeconds *int `json:"grace_period_seconds"`
}

// TestWebhookParams are the text of a test event.
type TestWebhookParams struct {
	Message *string `json:"message"`
}

// ReplayParams select the deliveries of an endpoint to send again.
type ReplayParams struct {
	Since  *string `json:"since"`
	Status *string `json:"status"`
}

// EndpointWithSecret is an endpoint with its current secret, shown on
// create and rotate only.
type EndpointWithSecret struct {
	*sb.WebhookEndpoint
	Secret string `json:"secret"`
}

// DeliveryWithAttempts is a delivery with its attempts, newest first.
type DeliveryWithAttempts struct {
	*sb.Delivery
	Attempts []*sb.Attempt
}

// ListWebhooks returns a page of the workspace's endpoints.
func (s *Service) ListWebhooks(ctx context.Context, ws string, p sb.Page) ([]*sb.WebhookEndpoint, error) {
	return s.store.ListEndpoints(ctx, ws, p)
}

// GetWebhook returns one endpoint.
func (s *Service) GetWebhook(ctx context.Context, ws, id string) (*sb.WebhookEndpoint, error) {
	return s.store.GetEndpoint(ctx, ws, id)
}

// CreateWebhook creates an endpoint with a new signing secret.
func (s *Service) CreateWebhook(ctx context.Context, ws string, req *CreateWebhookParams) (*EndpointWithSecret, error) {
	var v sb.Validation
	s.checkEndpointURL(ctx, &v, req.URL)
	checkDescription(&v, req.Description)
	checkEventTypes(&v, req.EventTypes)
	checkRate(&v, req.RateLimitPerSecond)
	status := sb.EndpointEnabled
	if req.Status.Set {
		status = req.Status.Value
		checkEndpointStatus(&v, req.Status)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	now := s.now()
	ep := &sb.WebhookEndpoint{
		ID: sb.NewID(sb.PrefixEndpoint), WorkspaceID: ws, URL: req.URL, Description: req.Description,
		EventTypes: orNone(req.EventTypes), Status: status, RateLimitPerSecond: req.RateLimitPerSecond,
		Secrets: []sb.EndpointSecret{{Secret: signature.NewSecret()}}, CreatedAt: now, UpdatedAt: now,
	}
	if status == sb.EndpointDisabled {
		ep.DisabledReason = ptr("disabled through the API")
	}
	err := s.write(ctx, func(q sb.Queries) error { return q.CreateEndpoint(ctx, ep) })
	if err != nil {
		return nil, err
	}
	return &EndpointWithSecret{ep, ep.Secrets[0].Secret}, nil
}

// UpdateWebhook changes the settings given. Enabling an endpoint clears
// its disabled reason and its record of failures.
func (s *Service) UpdateWebhook(ctx context.Context, ws, id string, req *UpdateWebhookParams) (*sb.WebhookEndpoint, error) {
	var v sb.Validation
	if req.URL.Set {
		if req.URL.Null {
			v.Add("url", "must be an absolute http or https URL, not null")
		} else {
			s.checkEndpointURL(ctx, &v, req.URL.Value)
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
		return nil, err
	}
	return s.changeEndpoint(ctx, ws, id, func(ep *sb.WebhookEndpoint) { applyEndpointPatch(ep, req) })
}

// changeEndpoint reads an endpoint, changes it and stores it, in one write.
func (s *Service) changeEndpoint(ctx context.Context, ws, id string, change func(ep *sb.WebhookEndpoint)) (*sb.WebhookEndpoint, error) {
	return writeResult(ctx, s, func(q sb.Queries) (*sb.WebhookEndpoint, error) {
		ep, err := q.GetEndpoint(ctx, ws, id)
		if err != nil {
			return nil, err
		}
		change(ep)
		return ep, q.UpdateEndpoint(ctx, ep)
	})
}

func applyEndpointPatch(ep *sb.WebhookEndpoint, req *UpdateWebhookParams) {
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

// DeleteWebhook deletes an endpoint and its deliveries.
func (s *Service) DeleteWebhook(ctx context.Context, ws, id string) error {
	return s.write(ctx, func(q sb.Queries) error { return q.DeleteEndpoint(ctx, ws, id) })
}

// RotateWebhookSecret makes a new secret current; the previous one keeps
// signing (beside it) for the grace period, 24 hours unless given.
func (s *Service) RotateWebhookSecret(ctx context.Context, ws, id string, req *RotateSecretParams) (*EndpointWithSecret, error) {
	grace := defaultGracePeriod
	if req.GracePeriodSeconds != nil {
		grace = *req.GracePeriodSeconds
	}
	if grace < 0 || grace > maxGracePeriod {
		return nil, sb.Invalid("grace_period_seconds", "must be an integer from 0 to 604800 (7 days)")
	}
	secret := signature.NewSecret()
	ep, err := s.changeEndpoint(ctx, ws, id, func(ep *sb.WebhookEndpoint) {
		ep.Rotate(secret, time.Duration(grace)*time.Second, s.now())
	})
	if err != nil {
		return nil, err
	}
	return &EndpointWithSecret{ep, secret}, nil
}

// TestWebhook sends a webhook.test event to one endpoint, whatever its
// event types, and returns its delivery.
func (s *Service) TestWebhook(ctx context.Context, ws, id string, req *TestWebhookParams) (*sb.Delivery, error) {
	msg := "This is a test event from Switchboard."
	if req.Message != nil {
		msg = *req.Message
		if n := utf8.RuneCountInString(msg); n == 0 || n > maxTestMessage {
			return nil, sb.Invalid("message", "must be 1 to 1000 characters")
		}
	}
	return writeResult(ctx, s, func(q sb.Queries) (*sb.Delivery, error) {
		if err := enabledEndpoint(ctx, q, ws, id); err != nil {
			return nil, err
		}
		ev := sb.NewEvent(ws, sb.EventWebhookTest, map[string]any{"message": msg})
		ev.TargetEndpointID = id
		if err := s.events.Publish(ctx, q, ev); err != nil {
			return nil, err
		}
		ds, err := q.ListDeliveries(ctx, ws, id, sb.DeliveryFilter{EventID: ev.ID}, sb.Page{Limit: 1})
		if err != nil || len(ds) == 0 {
			return nil, errors.Join(err, errors.New("app: the test event made no delivery"))
		}
		return ds[0], nil
	})
}

// endpointGetter is the one read enabledEndpoint needs, in a transaction
// or not.
type endpointGetter interface {
	GetEndpoint(ctx context.Context, workspaceID, id string) (*sb.WebhookEndpoint, error)
}

// enabledEndpoint checks that an endpoint exists and is enabled: a
// disabled endpoint gets nothing.
func enabledEndpoint(ctx context.Context, q endpointGetter, ws, id string) error {
	ep, err := q.GetEndpoint(ctx, ws, id)
	if err != nil {
		return err
	}
	if ep.Status != sb.EndpointEnabled {
		return sb.Errorf(sb.EConflict, "The webhook endpoint is disabled; enable it (PATCH status: enabled) first.")
	}
	return nil
}

// ReplayWebhook makes the endpoint's deliveries of the given status
// (failed unless given) created since a time pending again, and returns
// how many.
func (s *Service) ReplayWebhook(ctx context.Context, ws, id string, req *ReplayParams) (int, error) {
	if req.Since == nil {
		return 0, sb.Invalid("since", "is required: an RFC 3339 time, like 2026-01-15T10:30:00Z")
	}
	since, err := time.Parse(time.RFC3339, *req.Since)
	if err != nil {
		return 0, sb.Invalid("since", "must be an RFC 3339 time, like 2026-01-15T10:30:00Z")
	}
	status := sb.DeliveryFailed
	if req.Status != nil {
		status = *req.Status
		if status != sb.DeliveryFailed && status != sb.DeliverySucceeded {
			return 0, sb.Invalid("status", "must be failed or succeeded")
		}
	}
	if err := enabledEndpoint(ctx, s.store, ws, id); err != nil {
		return 0, err
	}
	// In chunks, each a write of its own, so that a large replay never
	// holds the database for long.
	n, now := 0, s.now()
	params := sb.ReplayParams{WorkspaceID: ws, EndpointID: id, Status: status, Since: since, Now: now, Limit: replayChunk}
	for {
		var ids []string
		err := s.write(ctx, func(q sb.Queries) error {
			var err error
			ids, err = q.ReplayDeliveries(ctx, params)
			if len(ids) > 0 {
				s.events.DeliveriesDue(q)
			}
			return err
		})
		if err != nil {
			return n, err
		}
		n += len(ids)
		if len(ids) < replayChunk {
			return n, nil
		}
		params.After = ids[len(ids)-1]
	}
}

// ListDeliveries returns a page of an endpoint's deliveries.
func (s *Service) ListDeliveries(ctx context.Context, ws, endpointID string, f sb.DeliveryFilter, p sb.Page) ([]*sb.Delivery, error) {
	switch f.Status {
	case "", sb.DeliveryPending, sb.DeliverySucceeded, sb.DeliveryFailed:
	default:
		return nil, sb.Invalid("status", "must be pending, succeeded or failed")
	}
	if f.EventID != "" && !sb.HasPrefix(f.EventID, sb.PrefixEvent) {
		return nil, sb.Invalid("event_id", "is not an event id")
	}
	ds, err := s.store.ListDeliveries(ctx, ws, endpointID, f, p)
	if err != nil {
		return nil, err
	}
	if len(ds) == 0 { // an empty page must tell a missing endpoint apart
		if _, err := s.store.GetEndpoint(ctx, ws, endpointID); err != nil {
			return nil, err
		}
	}
	return ds, nil
}

// GetDelivery returns a delivery with its last 100 attempts.
func (s *Service) GetDelivery(ctx context.Context, ws, id string) (*DeliveryWithAttempts, error) {
	d, err := s.store.GetDelivery(ctx, ws, id)
	if err != nil {
		return nil, err
	}
	attempts, err := s.store.ListAttempts(ctx, d.ID, 100)
	if err != nil {
		return nil, err
	}
	return &DeliveryWithAttempts{Delivery: d, Attempts: attempts}, nil
}

// RetryDelivery makes a finished delivery pending and due at once.
func (s *Service) RetryDelivery(ctx context.Context, ws, id string) (*sb.Delivery, error) {
	d, err := s.store.GetDelivery(ctx, ws, id)
	if err != nil {
		return nil, err
	}
	if err := enabledEndpoint(ctx, s.store, ws, d.EndpointID); err != nil {
		return nil, err
	}
	err = s.write(ctx, func(q sb.Queries) error {
		var err error
		d, err = q.RetryDelivery(ctx, ws, id, s.now())
		if err == nil {
			s.events.DeliveriesDue(q)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return d, nil
}

// checkEndpointURL checks a target URL as egress will: an absolute http(s)
// URL whose host does not resolve to an address the policy refuses. A host
// that does not resolve yet is accepted (the check is repeated on every
// connection).
func (s *Service) checkEndpointURL(ctx context.Context, v *sb.Validation, u string) {
	if u == "" {
		v.Add("url", "is required: the absolute http or https URL that receives the events")
		return
	}
	if len(u) > maxEndpointURL {
		v.Add("url", "must be at most 2048 characters")
		return
	}
	s.checkOutboundURL(ctx, v, "url", u)
}

// checkOutboundURL checks u, a URL Switchboard will call (a webhook
// endpoint, a channel's api_base_url or callback_url, a webhook bot's
// url), as egress will when connecting: an absolute http(s) URL without
// credentials whose host is not, and does not resolve to, an address the
// policy refuses (legacy numeric spellings and localhost names included).
// A host that does not resolve yet is accepted: the check is repeated on
// every connection. A refusal is a field error on field.
func (s *Service) checkOutboundURL(ctx context.Context, v *sb.Validation, field, u string) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	err := egress.CheckURL(ctx, s.cfg.WebhookPolicy, u, nil)
	switch {
	case err == nil, errors.Is(err, egress.ErrUnresolvable):
	case errors.Is(err, egress.ErrBlocked):
		v.Add(field, "is not allowed: "+err.Error()+" (loopback, private, link-local and metadata addresses are refused unless the server sets SWITCHBOARD_WEBHOOK_ALLOW_PRIVATE=true)")
	default:
		v.Add(field, "must be an absolute http or https URL without credentials ("+strings.TrimPrefix(err.Error(), "invalid url: ")+")")
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

func checkEndpointStatus(v *sb.Validation, status sb.Optional[string]) {
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
