// Package pipeline is the conversation flow of Switchboard: what happens to
// a message between a platform's inbound hook and the bot's reply arriving
// on the platform.
//
//	hook ─► Ingest ─────────────► bot turn ───────────► send
//	        one transaction:      (a job)               (a job)
//	        contact, conversation engine.Reply;         adapter.Send, with
//	        (started/ended),      one transaction:      retries; one
//	        message, events,      replies queued,       transaction: sent or
//	        the bot-turn job      send jobs, handoff    failed, event
//
// Every arrow is a durable job (switchboard.Job) written in the transaction
// of the step before it and deleted in the transaction that records its
// outcome, so a crash between any two steps leaves the job to be run again
// and never runs a finished step twice. The bot turn and the send are kinds
// registered on the job queue (package queue): after a transaction
// commits, its jobs are handed to this process's runner at once (no polling
// delay) with the rows the step before read, so that they are not read
// again; a poller claims, with leases, whatever is due and not held: jobs
// of a process that died, retries whose time has come, jobs written by
// other processes sharing a PostgreSQL database.
//
// Exactly once, where it can be had: the bot turn stores its replies and
// deletes its job in one transaction that fails if another process took the
// job over, so a reply is queued once even if the engine had to be asked
// twice. A send is claimed (one more attempt, written down) immediately
// before the platform is called and recorded immediately after. A send whose
// holder vanished in between (the one window where Switchboard cannot know
// whether the platform got the message) is not repeated on platforms that
// cannot drop repeats: it ends failed with an explicit error, so no contact
// ever receives a reply twice. The api channel, whose receivers drop
// repeats by webhook-id, is retried instead, and so is any channel whose
// config says "send_guarantee": "at_least_once" (a crash may then repeat a
// reply, but never loses one).
//
// Writes of the pipeline go through a group committer (package
// groupcommit): concurrent ingests, claims and outcomes are written in one
// transaction when they arrive together, which is what lets SQLite's single
// writer keep up.
//
// Jobs of one conversation run one at a time and in order within a
// process, so replies leave in the order of the messages they answer
// (unless a send has to wait for a retry).
package pipeline

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/groupcommit"
	"github.com/switchboardhq/switchboard/queue"
	"github.com/switchboardhq/switchboard/retry"
	"github.com/switchboardhq/switchboard/telemetry"
	"github.com/switchboardhq/switchboard/webhook"
	"go.opentelemetry.io/otel/trace"
)

// Defaults of Config.
const (
	DefaultLease         = queue.DefaultLease
	DefaultConcurrency   = queue.DefaultConcurrency
	DefaultPollInterval  = queue.DefaultPollInterval
	DefaultSweepInterval = time.Minute
	DefaultMaxBatch      = groupcommit.DefaultMaxBatch
	// DefaultCallTimeout bounds one bot or platform call.
	DefaultCallTimeout = 20 * time.Second
)

// DefaultSendRetry is the schedule of outbound sends: retries after 1 s,
// 5 s, 30 s, 2 min and 10 min (6 attempts), unless the platform asks for a
// longer wait.
var DefaultSendRetry = retry.Schedule{time.Second, 5 * time.Second, 30 * time.Second, 2 * time.Minute, 10 * time.Minute}

// DefaultBotRetry is the schedule of calls to a bot's own service (the
// webhook engine): retries after 1 s, 5 s, 30 s and 2 min (5 attempts).
var DefaultBotRetry = retry.Schedule{time.Second, 5 * time.Second, 30 * time.Second, 2 * time.Minute}

// Config tunes the pipeline. Zero fields take the defaults.
type Config struct {
	// InactivityTimeout ends a conversation nobody wrote in for this long
	// (default 24 h).
	InactivityTimeout time.Duration
	SendRetry         retry.Schedule
	BotRetry          retry.Schedule
	// Lease is how long a claimed job is held before another process may
	// take it over; it must exceed CallTimeout.
	Lease       time.Duration
	CallTimeout time.Duration
	// Concurrency bounds the jobs running at once in this process.
	Concurrency   int
	PollInterval  time.Duration
	SweepInterval time.Duration
	// SingleProcess says that no other process uses the database (SQLite):
	// leases held when the pipeline starts belong to a process that is
	// gone, and are taken over at once instead of after they expire.
	SingleProcess bool
	// Committers is the number of concurrent group-commit writers (1 on
	// SQLite, which has one writer; more on PostgreSQL, where they overlap
	// their round trips).
	Committers int
	MaxBatch   int
	// SlowTurns bounds the turns of slow engines (the llm engine) waiting
	// on their service at once, outside the Concurrency places (turns.go).
	SlowTurns int
}

func (c *Config) fill() {
	if c.InactivityTimeout <= 0 {
		c.InactivityTimeout = sb.DefaultInactivityTimeout
	}
	if len(c.SendRetry) == 0 {
		c.SendRetry = DefaultSendRetry
	}
	if len(c.BotRetry) == 0 {
		c.BotRetry = DefaultBotRetry
	}
	if c.CallTimeout <= 0 {
		c.CallTimeout = DefaultCallTimeout
	}
	if c.Lease <= 0 {
		c.Lease = DefaultLease
	}
	if c.Lease < 2*c.CallTimeout {
		c.Lease = 2 * c.CallTimeout
	}
	if c.Concurrency <= 0 {
		c.Concurrency = DefaultConcurrency
	}
	if c.PollInterval <= 0 {
		c.PollInterval = DefaultPollInterval
	}
	if c.SweepInterval <= 0 {
		c.SweepInterval = DefaultSweepInterval
	}
	if c.Committers <= 0 {
		c.Committers = 1
	}
	if c.MaxBatch <= 0 {
		c.MaxBatch = DefaultMaxBatch
	}
	if c.SlowTurns <= 0 {
		c.SlowTurns = DefaultSlowTurns
	}
}

// Deps are the pipeline's collaborators.
type Deps struct {
	Store sb.Store
	// Adapters by channel type; a channel whose type has none can neither
	// receive nor send. Their specs say how long a reply may be and
	// whether an interrupted send may be repeated.
	Adapters sb.Channels
	// Engines by bot engine name; a bot whose engine has none fails its
	// turns with bot.error.
	Engines sb.Engines
	// Events publishes the events of the flow with their webhook
	// deliveries (nil: deliveries are written unleased, for any
	// dispatcher's recovery loop).
	Events *webhook.Publisher
	Logger *slog.Logger
	// Now is the clock (default time.Now); Jitter spreads retries (default
	// retry.RandomJitter; tests fix it).
	Now    func() time.Time
	Jitter func() float64
	// Tracer traces the flow (default: off): a span for each ingest, and
	// one for each run of a job (package queue), in the trace of the
	// inbound request that caused them.
	Tracer trace.Tracer
}

// Pipeline runs the conversation flow. Create it with New; Ingest works at
// once, Start runs the background work, Stop ends it.
type Pipeline struct {
	cfg      Config
	store    sb.Store
	adapters sb.Channels
	engines  sb.Engines
	events   *webhook.Publisher
	log      *slog.Logger
	tracer   trace.Tracer
	now      func() time.Time

	commit  *groupcommit.Committer
	jobs    *queue.Queue
	turns   *queue.Kind[botTurnPayload, turnInput]
	sends   *queue.Kind[sendPayload, sendInput]
	metrics *metrics

	channels cache[*sb.Channel]
	bots     cache[*sb.Bot]
	contacts kept[*sb.Contact]
	versions kept[*sb.BotVersion]

	stopOnce sync.Once
	cancel   context.CancelFunc
	bg       sync.WaitGroup

	actions   atomic.Pointer[actionQueuer] // actions.go
	toolMaker atomic.Pointer[toolMaker]    // turns.go
	slow      chan struct{}                // places of slow engines' turns (turns.go)
}

// New builds a pipeline and starts its group committer.
func New(cfg Config, d Deps) *Pipeline {
	cfg.fill()
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Tracer == nil {
		d.Tracer = telemetry.Off
	}
	p := &Pipeline{
		cfg: cfg, store: d.Store, adapters: d.Adapters, engines: d.Engines, events: d.Events, log: d.Logger, tracer: d.Tracer,
		now:  func() time.Time { return d.Now().UTC() },
		slow: make(chan struct{}, cfg.SlowTurns),
	}
	p.metrics = newMetrics(p)
	p.commit = groupcommit.New(d.Store, groupcommit.Options{
		Writers: cfg.Committers, MaxBatch: cfg.MaxBatch, Logger: d.Logger, Observe: p.metrics.batchSize.Observe,
		Split: func(int) { p.metrics.splits.Inc() },
	})
	p.jobs = queue.New(queue.Config{
		Lease: cfg.Lease, Concurrency: cfg.Concurrency, PollInterval: cfg.PollInterval, SingleProcess: cfg.SingleProcess,
	}, queue.Deps{Store: d.Store, Commit: p.commit, Logger: d.Logger, Now: p.now, Jitter: d.Jitter, Tracer: d.Tracer})
	p.turns = queue.Register(p.jobs, sb.JobBotTurn, func(ctx context.Context, j *queue.Job[botTurnPayload, turnInput]) {
		p.botTurn(ctx, j.Job, &j.Args, j.Hint)
	})
	p.sends = queue.Register(p.jobs, sb.JobSend, func(ctx context.Context, j *queue.Job[sendPayload, sendInput]) {
		p.send(ctx, j.Job, &j.Args, j.Hint)
	})
	return p
}

// Adapters returns the channel adapters.
func (p *Pipeline) Adapters() sb.Channels { return p.adapters }

// Start runs the background work until Stop: the job queue's runner, its
// poller that picks up due jobs (at once for jobs left by a crash when the
// process is alone on its database) and the inactivity sweeper.
func (p *Pipeline) Start(ctx context.Context) {
	ctx, p.cancel = context.WithCancel(ctx)
	p.jobs.Start(ctx)
	p.bg.Add(1)
	go func() {
		defer p.bg.Done()
		p.sweep(ctx)
	}()
}

// Stop ends the background work: no new job starts, running jobs finish
// (until ctx ends; a job cut short is run again later), jobs held but not
// started are given back at once, and the committer stops.
func (p *Pipeline) Stop(ctx context.Context) error {
	var err error
	p.stopOnce.Do(func() {
		if p.cancel != nil {
			p.cancel() // the sweeper
		}
		err = p.jobs.Stop(ctx)
		p.bg.Wait()
		p.commit.Close()
	})
	return err
}

// ErrStopped is returned by writes attempted after Stop.
var ErrStopped = groupcommit.ErrStopped

// Write runs fn in a transaction through the group committer, so that the
// API's frequent writes (messages, conversation changes) share commits with
// each other and with the pipeline's. fn may run more than once (see
// groupcommit.Committer) and must set its results afresh on each run.
func (p *Pipeline) Write(ctx context.Context, fn func(q sb.Queries) error) error {
	return p.commit.Do(ctx, fn)
}

// WriteKey is Write for a change of one conversation's rows (key is its
// id; see groupcommit.Committer.DoKey).
func (p *Pipeline) WriteKey(ctx context.Context, key string, fn func(q sb.Queries) error) error {
	return p.commit.DoKey(ctx, key, fn)
}

// RunDue runs, in the calling goroutine, every job handed over and not yet
// run, then every job due at the pipeline's clock, until none is left. It is
// for tests and tools that drive the pipeline step by step instead of
// calling Start; it returns the number of jobs it ran.
func (p *Pipeline) RunDue(ctx context.Context) (int, error) { return p.jobs.RunDue(ctx) }

// retryDelay is the wait before the next attempt after attempts attempts,
// or ok=false when the schedule is exhausted. A platform's own request to
// wait (retryAfter) wins over the schedule, capped at queue.MaxRetryWait.
func (p *Pipeline) retryDelay(s retry.Schedule, attempts int, retryAfter time.Duration) (time.Duration, bool) {
	return p.jobs.Backoff(s, attempts, retryAfter)
}

// finish deletes a job in the transaction that records its outcome (see
// queue.Queue.Finish); false if nothing was written.
func (p *Pipeline) finish(ctx context.Context, j *sb.Job, write func(q sb.Queries) error) bool {
	return p.jobs.Finish(ctx, j, write)
}

// retry gives a job back to run at the given time.
func (p *Pipeline) retry(ctx context.Context, j *sb.Job, at time.Time, lastError string) {
	p.jobs.Retry(ctx, j, at, lastError)
}

func ignoreNotFound(err error) error {
	if sb.ErrorCode(err) == sb.ENotFound {
		return nil
	}
	return err
}
