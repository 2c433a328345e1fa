package switchboard

import (
	"context"
	"time"
)

// Webhook endpoint statuses.
const (
	EndpointEnabled  = "enabled"
	EndpointDisabled = "disabled"
)

// Delivery statuses. A delivery is pending until an attempt succeeds or its
// retry schedule is exhausted (or its endpoint is disabled); retrying or
// replaying it makes it pending again.
const (
	DeliveryPending   = "pending"
	DeliverySucceeded = "succeeded"
	DeliveryFailed    = "failed"
)

// MaxResponseHead bounds the part of a receiver's response body kept in
// the attempt log.
const MaxResponseHead = 4096

// WebhookEndpoint is a URL that receives the events of its workspace.
// EventTypes lists exact event types or prefixes ending in "*"; empty means
// every type. Secrets are the signing secrets, the current one first; the
// others are former secrets still honoured until they expire (a rotation's
// grace period). They are encrypted at rest and never returned by the API
// except the current one, once, on create and on rotate.
type WebhookEndpoint struct {
	ID                 string           `json:"id"`
	WorkspaceID        string           `json:"-"`
	URL                string           `json:"url"`
	Description        string           `json:"description"`
	EventTypes         []string         `json:"event_types"`
	Status             string           `json:"status"`
	DisabledReason     *string          `json:"disabled_reason"`
	RateLimitPerSecond *int             `json:"rate_limit_per_second"` // nil: no limit
	Secrets            []EndpointSecret `json:"-"`
	// FailingSince is when the endpoint's current run of failed attempts
	// began; nil after a success.
	FailingSince *time.Time `json:"-"`
	CreatedAt    time.Time  `json:"created_at"`
	UpdatedAt    time.Time  `json:"updated_at"`
}

// EndpointSecret is one signing secret ("whsec_" + base64 of 32 bytes).
// ExpiresAt is nil for the current secret.
type EndpointSecret struct {
	Secret    string     `json:"secret"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
}

// Matches reports whether the endpoint subscribes to events of type typ.
func (e *WebhookEndpoint) Matches(typ string) bool { return MatchesEventTypes(e.EventTypes, typ) }

// MatchesEventTypes reports whether an endpoint taking the event types
// filters (none: all) receives events of type typ.
func MatchesEventTypes(filters []string, typ string) bool {
	if len(filters) == 0 {
		return true
	}
	for _, f := range filters {
		if MatchEventType(f, typ) {
			return true
		}
	}
	return false
}

// SigningSecrets returns the secrets valid at now, the current one first.
func (e *WebhookEndpoint) SigningSecrets(now time.Time) []string {
	out := make([]string, 0, len(e.Secrets))
	for _, s := range e.Secrets {
		if s.ExpiresAt == nil || now.Before(*s.ExpiresAt) {
			out = append(out, s.Secret)
		}
	}
	return out
}

// Rotate makes secret the current secret. The former current secret stays
// valid for grace (not at all if grace is zero); former secrets that have
// expired by now are dropped.
func (e *WebhookEndpoint) Rotate(secret string, grace time.Duration, now time.Time) {
	kept := []EndpointSecret{{Secret: secret}}
	for i, s := range e.Secrets {
		if i == 0 && s.ExpiresAt == nil {
			if grace > 0 {
				until := now.Add(grace)
				kept = append(kept, EndpointSecret{Secret: s.Secret, ExpiresAt: &until})
			}
			continue
		}
		if s.ExpiresAt != nil && now.Before(*s.ExpiresAt) {
			kept = append(kept, s)
		}
	}
	e.Secrets = kept
}

// Delivery is one event on its way to one endpoint. AttemptCount attempts
// have been made; a pending delivery makes its next one at NextAttemptAt.
// LeaseOwner and LeaseExpiresAt record which dispatcher holds it: a
// dispatcher attempts a delivery only while it holds an unexpired lease.
type Delivery struct {
	ID             string     `json:"id"`
	WorkspaceID    string     `json:"-"`
	EndpointID     string     `json:"endpoint_id"`
	EventID        string     `json:"event_id"`
	EventType      string     `json:"event_type"`
	Status         string     `json:"status"`
	AttemptCount   int        `json:"attempt_count"`
	NextAttemptAt  *time.Time `json:"next_attempt_at"`
	LastAttemptAt  *time.Time `json:"last_attempt_at"`
	LastStatusCode *int       `json:"last_status_code"`
	LastError      *string    `json:"last_error"`
	CreatedAt      time.Time  `json:"created_at"`
	UpdatedAt      time.Time  `json:"updated_at"`
	LeaseOwner     string     `json:"-"`
	LeaseExpiresAt *time.Time `json:"-"`
}

// Attempt is one HTTP request of a delivery, as logged. StatusCode is nil
// when no response arrived (Error says why); ResponseBody is the head of
// the response body, at most MaxResponseHead bytes.
type Attempt struct {
	DeliveryID   string        `json:"-"`
	Number       int           `json:"number"`
	AttemptedAt  time.Time     `json:"attempted_at"`
	Duration     time.Duration `json:"-"`
	StatusCode   *int          `json:"status_code"`
	ResponseBody string        `json:"response_body"`
	Error        *string       `json:"error"`
}

// AttemptRecord is one delivery's new state and the attempt that led to
// it (nil when no request was made), for SaveAttempts.
type AttemptRecord struct {
	Delivery *Delivery
	Attempt  *Attempt
}

// DeliveryFilter narrows ListDeliveries; empty fields match all.
type DeliveryFilter struct {
	Status  string
	EventID string
}

// DeliveryClaim asks ClaimDeliveries for up to Limit deliveries that are
// pending and due at Now and that nobody holds (no lease, or an expired
// one), or that Owner holds itself; they are leased to Owner until Until.
// EndpointID, when set, restricts the claim to one endpoint.
type DeliveryClaim struct {
	Owner      string
	Now, Until time.Time
	EndpointID string
	Limit      int
}

// EndpointBacklog summarises the pending deliveries of one endpoint.
type EndpointBacklog struct {
	EndpointID string
	Pending    int
	OldestDue  time.Time // the earliest NextAttemptAt
}

// EndpointTarget is an enabled endpoint as publishing sees it: its id and
// the event types it takes (none: all).
type EndpointTarget struct {
	ID         string
	EventTypes []string
}

// WebhookQueries are the operations on webhook endpoints, deliveries and
// attempts. Which endpoints receive an event is decided by the publisher
// (package webhook), which writes the event and its deliveries in one
// transaction with EventQueries.CreateEvent and CreateDeliveries.
//
// Errors: RetryDelivery answers EConflict for a delivery being attempted;
// ExtendLease and SaveAttempt answer ENotFound when the caller no longer
// holds the delivery's lease.
type WebhookQueries interface {
	CreateEndpoint(ctx context.Context, e *WebhookEndpoint) error
	GetEndpoint(ctx context.Context, workspaceID, id string) (*WebhookEndpoint, error)
	// GetEndpointByID finds an endpoint in any workspace (for the dispatcher).
	GetEndpointByID(ctx context.Context, id string) (*WebhookEndpoint, error)
	ListEndpoints(ctx context.Context, workspaceID string, p Page) ([]*WebhookEndpoint, error)
	// UpdateEndpoint replaces every field but the id, workspace and
	// creation time, and stamps UpdatedAt.
	UpdateEndpoint(ctx context.Context, e *WebhookEndpoint) error
	// DeleteEndpoint deletes an endpoint with its deliveries and attempts.
	DeleteEndpoint(ctx context.Context, workspaceID, id string) error
	// MarkEndpointFailing records a failed attempt at t: FailingSince is set
	// to t unless already set. It returns the endpoint after the change.
	MarkEndpointFailing(ctx context.Context, id string, t time.Time) (*WebhookEndpoint, error)
	// ClearEndpointFailing records a successful attempt: FailingSince is
	// cleared.
	ClearEndpointFailing(ctx context.Context, id string) error

	// EnabledEndpoints returns the enabled endpoints of a workspace.
	EnabledEndpoints(ctx context.Context, workspaceID string) ([]EndpointTarget, error)
	// CreateDeliveries stores the new deliveries of one event (they differ
	// only by id and endpoint).
	CreateDeliveries(ctx context.Context, ds []*Delivery) error
	GetDelivery(ctx context.Context, workspaceID, id string) (*Delivery, error)
	// ListDeliveries lists the deliveries of an endpoint, newest first.
	ListDeliveries(ctx context.Context, workspaceID, endpointID string, f DeliveryFilter, p Page) ([]*Delivery, error)
	// ListAttempts returns up to limit attempts of a delivery, in order.
	ListAttempts(ctx context.Context, deliveryID string, limit int) ([]*Attempt, error)
	// RetryDelivery makes a delivery pending and due at at, unless it is
	// held by a dispatcher (EConflict).
	RetryDelivery(ctx context.Context, workspaceID, id string, at time.Time) (*Delivery, error)
	// ReplayDeliveries makes pending and due at p.Now up to p.Limit
	// deliveries of an endpoint as p selects them; it returns their ids in
	// order. Call it again with After set to the last id until it returns
	// fewer than p.Limit.
	ReplayDeliveries(ctx context.Context, p ReplayParams) ([]string, error)

	// ClaimDeliveries leases deliveries as c says, earliest due first. On
	// PostgreSQL concurrent claims skip each other's rows.
	ClaimDeliveries(ctx context.Context, c DeliveryClaim) ([]*Delivery, error)
	// ExtendLease moves the expiry of a lease owner holds to until.
	ExtendLease(ctx context.Context, id, owner string, until time.Time) error
	// ReleaseDeliveries drops every lease owner holds on pending
	// deliveries, so that others may claim them at once.
	ReleaseDeliveries(ctx context.Context, owner string) (int64, error)
	// SaveAttempt records the outcome of an attempt of a delivery that
	// owner holds: a (nil when no request was made) is appended to the
	// log, and the delivery's status, counters, next attempt and last
	// result are written from d, its lease dropped.
	SaveAttempt(ctx context.Context, d *Delivery, a *Attempt, owner string) error
	// SaveAttempts is SaveAttempt for many deliveries at once (on
	// PostgreSQL, one statement per table). It returns the ids of the
	// deliveries owner no longer held, which were not saved.
	SaveAttempts(ctx context.Context, rs []AttemptRecord, owner string) (lost []string, err error)
	// Backlog summarises the pending deliveries of every endpoint.
	Backlog(ctx context.Context) ([]EndpointBacklog, error)

	// PurgeDeliveries deletes up to limit deliveries (with their attempts)
	// created before t that are no longer pending, oldest first.
	PurgeDeliveries(ctx context.Context, before time.Time, limit int) (int64, error)
	// PurgeEvents deletes up to limit events created before t that no
	// delivery refers to any more, oldest first.
	PurgeEvents(ctx context.Context, before time.Time, limit int) (int64, error)
}

// IDAt returns the smallest id of the given kind that NewID could have
// generated at t: ids sort by creation time, so comparing with it selects
// the resources created before or after t.
func IDAt(prefix string, t time.Time) string {
	ms := uint64(min(max(t.UnixMilli(), 0), 1<<48-1))
	var out [26]byte
	for i := 9; i >= 0; i-- {
		out[i] = crockford[ms&31]
		ms >>= 5
	}
	for i := 10; i < 26; i++ {
		out[i] = '0'
	}
	return prefix + "_" + string(out[:])
}

// ReplayParams select the deliveries ReplayDeliveries makes pending again:
// those of one endpoint in status Status, created at or after Since, whose
// ids sort after After, at most Limit of them, due at Now.
type ReplayParams struct {
	WorkspaceID string
	EndpointID  string
	Status      string
	Since       time.Time
	Now         time.Time
	After       string
	Limit       int
}
