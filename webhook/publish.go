package webhook

import (
	"context"
	"time"

	sb "github.com/switchboardhq/switchboard"
)

// Lease is what a Receiver asks new deliveries to be stamped with. An empty
// Owner leaves them unleased, for any dispatcher to claim.
type Lease struct {
	Owner string
	Until time.Time
}

// Receiver takes the deliveries a Publisher creates: the Dispatcher of this
// process. NewLease says whom new deliveries are leased to; once their
// transaction commits they are handed over with DeliveriesCreated. Wake
// says that deliveries fell due (a retry, a replay).
type Receiver interface {
	NewLease() Lease
	DeliveriesCreated(e *sb.Event, ds []*sb.Delivery)
	Wake()
}

// PublishQueries are what publishing writes with, in the caller's
// transaction: sb.Queries has them.
type PublishQueries interface {
	CreateEvent(ctx context.Context, e *sb.Event) error
	GetEndpoint(ctx context.Context, workspaceID, id string) (*sb.WebhookEndpoint, error)
	EnabledEndpoints(ctx context.Context, workspaceID string) ([]sb.EndpointTarget, error)
	CreateDeliveries(ctx context.Context, ds []*sb.Delivery) error
	AfterCommit(fn func())
}

// Publisher decides which endpoints receive an event and writes the event
// with its deliveries, in the caller's transaction: one pending delivery
// per enabled endpoint of the workspace whose event types match, or, for
// an event with TargetEndpointID, one to that endpoint whatever its types
// (ENotFound if the workspace has no such endpoint).
//
// A nil *Publisher, or one without a receiver, writes the deliveries
// unleased: a dispatcher's recovery loop finds them. With a receiver (the
// Dispatcher of this process), they are leased to it and handed over once
// committed, so that they go out without a poll.
type Publisher struct {
	to        Receiver
	clock     sb.Clock
	observers []EventObserver
}

// EventObserver is told of every event published, in the publishing
// transaction, once the event is written: the automations start their
// runs there, so that an event and the work it causes commit together.
type EventObserver interface {
	EventPublished(ctx context.Context, q PublishQueries, e *sb.Event) error
}

// Observe makes o see every event published. Call it before the publisher
// is used.
func (p *Publisher) Observe(o EventObserver) { p.observers = append(p.observers, o) }

// NewPublisher returns a publisher that hands new deliveries to r (nil:
// none), stamping them with the clock's time.
func NewPublisher(r Receiver, clock sb.Clock) *Publisher {
	if clock == nil {
		clock = sb.SystemClock{}
	}
	return &Publisher{to: r, clock: clock}
}

// Publish writes e and its deliveries with q. An event without a
// Timestamp is stamped with the publisher's clock, to the millisecond.
func (p *Publisher) Publish(ctx context.Context, q PublishQueries, e *sb.Event) error {
	now := p.now()
	if e.Timestamp.IsZero() {
		e.Timestamp = now.Truncate(time.Millisecond)
	}
	if err := q.CreateEvent(ctx, e); err != nil {
		return err
	}
	if p != nil {
		for _, o := range p.observers {
			if err := o.EventPublished(ctx, q, e); err != nil {
				return err
			}
		}
	}
	targets, err := p.targets(ctx, q, e)
	if err != nil || len(targets) == 0 {
		return err
	}
	var lease Lease
	if p.receiver() != nil {
		lease = p.to.NewLease()
	}
	ds := make([]*sb.Delivery, len(targets))
	for i, endpointID := range targets {
		d := &sb.Delivery{
			ID: sb.NewID(sb.PrefixDelivery), WorkspaceID: e.WorkspaceID, EndpointID: endpointID,
			EventID: e.ID, EventType: e.Type, Status: sb.DeliveryPending, NextAttemptAt: &now,
			CreatedAt: now, UpdatedAt: now,
		}
		if lease.Owner != "" {
			until := lease.Until
			d.LeaseOwner, d.LeaseExpiresAt = lease.Owner, &until
		}
		ds[i] = d
	}
	if err := q.CreateDeliveries(ctx, ds); err != nil {
		return err
	}
	if r := p.receiver(); r != nil {
		q.AfterCommit(func() { r.DeliveriesCreated(e, ds) })
	}
	return nil
}

// DeliveriesDue tells the receiver, once q's transaction commits, that
// deliveries fell due (a retry or a replay wrote them with q).
func (p *Publisher) DeliveriesDue(q interface{ AfterCommit(func()) }) {
	if r := p.receiver(); r != nil {
		q.AfterCommit(r.Wake)
	}
}

// targets returns the ids of the endpoints that e goes to.
func (p *Publisher) targets(ctx context.Context, q PublishQueries, e *sb.Event) ([]string, error) {
	if e.TargetEndpointID != "" {
		ep, err := q.GetEndpoint(ctx, e.WorkspaceID, e.TargetEndpointID)
		if err != nil {
			return nil, err
		}
		return []string{ep.ID}, nil
	}
	all, err := q.EnabledEndpoints(ctx, e.WorkspaceID)
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, t := range all {
		if sb.MatchesEventTypes(t.EventTypes, e.Type) {
			ids = append(ids, t.ID)
		}
	}
	return ids, nil
}

func (p *Publisher) receiver() Receiver {
	if p == nil {
		return nil
	}
	return p.to
}

// now is the time new deliveries are stamped with, to the microsecond, as
// stored.
func (p *Publisher) now() time.Time {
	if p == nil || p.clock == nil {
		return time.Now().UTC().Truncate(time.Microsecond)
	}
	return p.clock.Now().UTC().Truncate(time.Microsecond)
}
