package switchboard

import (
	"context"
	"time"
)

// Span is a time range [Since, Until) cut into buckets of Step from Since,
// for the figures of the dashboard's overview.
type Span struct {
	Since, Until time.Time
	Step         time.Duration
}

// Buckets returns the number of buckets of the span, the last one holding
// Until (which may be its first instant).
func (s Span) Buckets() int {
	if s.Step <= 0 || s.Until.Before(s.Since) {
		return 0
	}
	return int(s.Until.Sub(s.Since)/s.Step) + 1
}

// MessageCount is the number of messages of one direction created in one
// bucket of a span (Bucket counts from 0 at Since).
type MessageCount struct {
	Bucket    int
	Direction string
	Count     int
}

// ConversationOutcomes count the conversations that ended in a time range,
// and those of them that were handed off to agents at some point.
type ConversationOutcomes struct {
	Ended     int
	HandedOff int
}

// HandoffQueue describes the conversations of a workspace waiting for
// agents (in status handoff) now.
type HandoffQueue struct {
	Waiting    int
	Unassigned int
	// OldestID and OldestSince name the conversation that has waited
	// longest and when it was handed off (its start, if the event that
	// recorded the handoff is no longer kept); empty without a waiting
	// conversation.
	OldestID    string
	OldestSince *time.Time
}

// DeliveryOutcome is one webhook delivery, as the overview counts it.
type DeliveryOutcome struct {
	EndpointID    string
	Status        string
	AttemptCount  int
	CreatedAt     time.Time
	LastAttemptAt *time.Time
}

// FailingEndpoint is a webhook endpoint that is disabled, failing (its last
// attempt failed), or that has deliveries created since a time that failed
// for good (Failed) or are being retried (Retrying). LastError,
// LastStatusCode and LastAttemptAt are those of its newest failed or its
// newest pending delivery with an error, whichever was attempted last.
type FailingEndpoint struct {
	ID             string
	URL            string
	Description    string
	Status         string
	DisabledReason *string
	FailingSince   *time.Time
	Failed         int
	Retrying       int
	LastError      *string
	LastStatusCode *int
	LastAttemptAt  *time.Time
}

// FailingIntegration is an integration in status error, or with runs
// created since a time that failed. LastError and LastFailed are those of
// the newest of those failed runs.
type FailingIntegration struct {
	ID         string
	Type       string
	Name       string
	Status     string
	FailedRuns int
	LastError  *string
	LastFailed *time.Time
}

// OverviewQueries read the figures of the dashboard's overview. Times are
// the stored ones (creation, end, last activity). Deliveries and runs are
// also dated by their ids, which sort by creation time (IDAt), as
// ReplayDeliveries does: one stored with a creation time in the range but
// an id made before the range began (a clock ahead of the system's) is not
// counted.
type OverviewQueries interface {
	// CountMessages counts the workspace's messages created in the span,
	// by bucket and direction; buckets without messages are absent.
	CountMessages(ctx context.Context, workspaceID string, s Span) ([]MessageCount, error)
	// ConversationOutcomes counts the conversations that ended in
	// [since, until), and those of them with a conversation.updated event
	// that set their status to handoff.
	ConversationOutcomes(ctx context.Context, workspaceID string, since, until time.Time) (ConversationOutcomes, error)
	// HandoffQueue describes the conversations in status handoff.
	HandoffQueue(ctx context.Context, workspaceID string) (HandoffQueue, error)
	// DeliveryOutcomes returns the workspace's deliveries created in
	// [since, until), oldest first.
	DeliveryOutcomes(ctx context.Context, workspaceID string, since, until time.Time) ([]DeliveryOutcome, error)
	// FailingEndpoints returns the endpoints that are disabled or failing,
	// or that have deliveries created since the given time that failed or
	// are being retried; most failed first.
	FailingEndpoints(ctx context.Context, workspaceID string, since time.Time) ([]FailingEndpoint, error)
	// FailingIntegrations returns the integrations in status error or with
	// runs created since the given time that failed; most failed first.
	FailingIntegrations(ctx context.Context, workspaceID string, since time.Time) ([]FailingIntegration, error)
}
