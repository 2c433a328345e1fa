// Package app holds Switchboard's business operations: every rule about
// what may change and every write that a change makes, once, whoever asks
// for it. The REST API (httpapi), the inbound hooks, and later the
// dashboard, the CLI and the integrations call the same functions here;
// they decode, call, and encode, and hold no rules of their own.
//
// One file per area: api keys, bots, channels, contacts, conversations,
// messages, events, webhooks, hooks (inbound platform requests).
//
// # Writes
//
// Every write goes through Service.write, one rule for all: when a
// message pipeline runs in the process, through its group committer, so
// that API writes share commits with the message flow (SQLite has a single
// writer, and a commit is synced); otherwise in a transaction of its own.
// A function given to write may therefore run more than once (a grouped
// transaction that fails is retried alone), so it sets its results afresh
// on each run. Reads go to the store directly.
package app

import (
	"context"
	"time"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/egress"
	"github.com/switchboardhq/switchboard/pipeline"
	"github.com/switchboardhq/switchboard/queue"
	"github.com/switchboardhq/switchboard/webhook"
)

// Store is what the business operations read and write: the store's reads
// outside a transaction, and Tx for writes when no pipeline runs.
type Store interface {
	sb.Queries
	Tx(ctx context.Context, fn func(q sb.Queries) error) error
}

// Pipeline is the message flow the operations hand work to: queued
// messages to send, inbound requests to store, and the caches of channels
// and bots to drop when they change.
type Pipeline interface {
	WriteKey(ctx context.Context, key string, fn func(q sb.Queries) error) error
	QueueMessage(ctx context.Context, q sb.Queries, o pipeline.Outgoing) (*sb.Message, error)
	Channel(ctx context.Context, id string) (*sb.Channel, error)
	Ingest(ctx context.Context, ch *sb.Channel, res *sb.HookResult) (pipeline.IngestResult, error)
	Forget(id string)
	// Jobs is the job queue, where bot training registers its worker.
	Jobs() *queue.Queue
}

// KeyCache is told about revoked API keys, so that a cached key stops
// working at once.
type KeyCache interface {
	Forget(keyID string)
}

// Config is what the operations need to know of the configuration.
type Config struct {
	// PublicURL is the base of the inbound webhook URLs of channels.
	PublicURL string
	// WebhookPolicy is the address policy webhook endpoint URLs are
	// checked against when they are set (the dispatcher enforces it again
	// on every connection).
	WebhookPolicy egress.Policy
}

// Deps are the collaborators of the operations.
type Deps struct {
	Store Store
	// Pipeline runs the message flow; nil in processes and tests without
	// one (inbound hooks then answer 404, queued sends wait for a
	// pipeline's poller).
	Pipeline Pipeline
	// Channels are the channel adapters of this build, by type: their
	// specs validate channel settings and text lengths, they register and
	// verify inbound hooks. Engines are the bot engines, by name: they
	// validate bot configurations. A type or engine missing here is
	// refused.
	Channels sb.Channels
	Engines  sb.Engines
	// Events publishes events with their webhook deliveries (nil: written
	// unleased, for any dispatcher's recovery loop).
	Events *webhook.Publisher
	Keys   KeyCache
	Clock  sb.Clock
	// Integrations are the integration providers and what their runs
	// need (integrations.go).
	Integrations IntegrationDeps
}

// Service runs the business operations. Its methods take the workspace
// they act in; they find nothing of other workspaces.
type Service struct {
	cfg      Config
	store    Store
	pipe     Pipeline
	channels sb.Channels
	engines  sb.Engines
	events   *webhook.Publisher
	keys     KeyCache
	clock    sb.Clock

	jobs  *queue.Queue                     // the pipeline's (nil without one)
	train *queue.Kind[trainArgs, struct{}] // training jobs (training.go)
	integ *integrations
}

// New returns the operations on the given collaborators. With a
// pipeline, it registers the worker of training jobs on the pipeline's
// queue: call it before the pipeline starts.
func New(cfg Config, d Deps) *Service {
	if d.Clock == nil {
		d.Clock = sb.SystemClock{}
	}
	s := &Service{cfg: cfg, store: d.Store, pipe: d.Pipeline,
		channels: d.Channels, engines: d.Engines, events: d.Events, keys: d.Keys, clock: d.Clock}
	s.registerTraining()
	s.integ = newIntegrations(s, cfg, d.Integrations)
	return s
}

// write runs fn in one transaction: through the pipeline's group committer
// when there is a pipeline, else on its own (see the package comment). fn
// may run more than once and must set its results afresh each time.
func (s *Service) write(ctx context.Context, fn func(q sb.Queries) error) error {
	return s.writeKey(ctx, "", fn)
}

// writeKey is write for a change of one conversation's rows (key is its
// id): the group committer writes the changes of one conversation with one
// writer, so that they never wait for each other's row locks.
func (s *Service) writeKey(ctx context.Context, key string, fn func(q sb.Queries) error) error {
	if s.pipe != nil {
		return s.pipe.WriteKey(ctx, key, fn)
	}
	return s.store.Tx(ctx, fn)
}

// writeResult runs fn through write and returns the result of its last
// run: as fn may run more than once, each run returns its own result.
func writeResult[T any](ctx context.Context, s *Service, fn func(q sb.Queries) (T, error)) (T, error) {
	return writeResultKey(ctx, s, "", fn)
}

// writeResultKey is writeResult through writeKey.
func writeResultKey[T any](ctx context.Context, s *Service, key string, fn func(q sb.Queries) (T, error)) (T, error) {
	var result T
	err := s.writeKey(ctx, key, func(q sb.Queries) error {
		var err error
		result, err = fn(q)
		return err
	})
	if err != nil {
		var zero T
		return zero, err
	}
	return result, nil
}

// now is the current time, in UTC.
func (s *Service) now() time.Time { return s.clock.Now().UTC() }

// forget drops a changed channel or bot from the pipeline's caches.
func (s *Service) forget(id string) {
	if s.pipe != nil {
		s.pipe.Forget(id)
	}
}

// writeForget runs fn through write and, once it has committed, drops the
// channel or bot id from the pipeline's caches.
func (s *Service) writeForget(ctx context.Context, id string, fn func(q sb.Queries) error) error {
	if err := s.write(ctx, fn); err != nil {
		return err
	}
	s.forget(id)
	return nil
}
