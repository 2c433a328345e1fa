// Package queue runs Switchboard's durable jobs (switchboard.Job): bot
// turns, sends, and every later kind of background work.
//
// A kind of job is registered with a typed worker (Register): P is its
// payload, stored as JSON in the job's row, and H its hint, what the step
// that wrote the job already knows (the rows the job will need), handed to
// the worker in the process that wrote it so that the job does not read
// them again. A job read back from the database, in this process or
// another, comes without a hint.
//
// A job is written in the transaction of the change that needs it
// (Kind.Enqueue, or Create where no queue runs) and deleted in the
// transaction that records its outcome (Finish), so that a crash at any
// point leaves either the job, to run again, or its outcome, never both and
// never neither. After the transaction commits, the job is handed to this
// process's runner at once (no polling delay); a poller claims, with
// leases, whatever is due and not held: jobs of a process that died, retries
// whose time has come, jobs written by other processes sharing a
// PostgreSQL database. A process alone on its database (SingleProcess, as on
// SQLite) takes over at start the jobs its previous run held. The poller
// claims only jobs of the kinds registered on the queue: a job of a kind
// this process does not run (written by a newer version, during a rolling
// upgrade) is left untouched for a process that runs it, never deleted.
//
// A job runs only while this process holds its lease: it is claimed just
// before it runs (one more attempt, written down), unless it was written
// held by this process (NewJob.Hold: one attempt counted from the start)
// and its lease has time to spare. A claim that takes a job from a holder
// whose lease expired marks it Interrupted: the previous run may have done
// part of its work. An outcome is written with the job's deletion in one
// transaction that fails if the lease was lost (another process took the
// job over), so the outcome of a run that lost its job is dropped.
//
// Jobs of one key run one at a time in a process, oldest first; at most
// Concurrency jobs run at once. A worker retries a failed attempt with
// Retry, at a time Backoff computes from a retry.Schedule with jitter.
// Stop starts no new job, lets running ones finish and gives back at once
// the jobs held here that did not start.
//
// Claims and outcomes go through the group committer (package
// groupcommit), so that they share transactions with each other and with
// the other writes of the process.
package queue

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/groupcommit"
	"github.com/switchboardhq/switchboard/retry"
	"github.com/switchboardhq/switchboard/telemetry"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
)

// Defaults of Config.
const (
	DefaultLease        = time.Minute
	DefaultConcurrency  = 64
	DefaultPollInterval = time.Second
)

// MaxRetryWait caps the wait a worker asks for before a retry (a
// platform's Retry-After) in Backoff.
const MaxRetryWait = time.Hour

// Config tunes a queue. Zero fields take the defaults.
type Config struct {
	// Lease is how long a claimed job is held before another process may
	// take it over; it must exceed the longest run of a job.
	Lease time.Duration
	// Concurrency bounds the jobs running at once in this process.
	Concurrency int
	// PollInterval is the longest wait between two looks for due jobs.
	PollInterval time.Duration
	// SingleProcess says that no other process uses the database (SQLite):
	// leases held when the queue starts belong to a process that is gone,
	// and are taken over at once instead of after they expire.
	SingleProcess bool
}

func (c *Config) fill() {
	if c.Lease <= 0 {
		c.Lease = DefaultLease
	}
	if c.Concurrency <= 0 {
		c.Concurrency = DefaultConcurrency
	}
	if c.PollInterval <= 0 {
		c.PollInterval = DefaultPollInterval
	}
}

// Store is what the queue reads and writes outside its transactions
// (switchboard.JobQueries has it).
type Store interface {
	ReleaseJob(ctx context.Context, id, lease string) error
	ExpireJobLeases(ctx context.Context, now time.Time) (int64, error)
	NextJobDue(ctx context.Context, kinds []string) (time.Time, error)
}

// Committer runs a function in a transaction, perhaps shared with others
// (groupcommit.Committer). The function may run more than once.
// DoKey groups by key: a job's outcome is written under the job's Key, so
// that the outcomes of one conversation's jobs never wait across writers
// for each other's row locks.
type Committer interface {
	Do(ctx context.Context, fn func(q sb.Queries) error) error
	DoKey(ctx context.Context, key string, fn func(q sb.Queries) error) error
}

// Deps are the queue's collaborators.
type Deps struct {
	Store  Store
	Commit Committer
	Logger *slog.Logger
	// Now is the clock (default time.Now); Jitter spreads retries (default
	// retry.RandomJitter; tests fix it).
	Now    func() time.Time
	Jitter func() float64
	// Tracer traces each run of a job as a span "job KIND" that continues
	// the trace of the span that wrote the job (default: off).
	Tracer trace.Tracer
}

// Queue runs the jobs of the kinds registered on it. Create it with New,
// register its kinds, then Start it (or drive it with RunDue in tests).
type Queue struct {
	cfg    Config
	store  Store
	commit Committer
	log    *slog.Logger
	tracer trace.Tracer
	now    func() time.Time
	jitter func() float64

	mu    sync.RWMutex
	kinds map[string]work // the worker of each kind, for jobs without a hint
	names []string        // the kinds' names, sorted; replaced, never changed

	run      *runner
	stopOnce sync.Once
	cancel   context.CancelFunc // of the poller
	poller   sync.WaitGroup
}

// work runs a claimed job, with the hint it came with if any.
type work func(ctx context.Context, j *sb.Job)

// New builds a queue.
func New(cfg Config, d Deps) *Queue {
	cfg.fill()
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Jitter == nil {
		d.Jitter = retry.RandomJitter
	}
	if d.Tracer == nil {
		d.Tracer = telemetry.Off
	}
	qu := &Queue{
		cfg: cfg, store: d.Store, commit: d.Commit, log: d.Logger, tracer: d.Tracer,
		now: func() time.Time { return d.Now().UTC() }, jitter: d.Jitter,
		kinds: map[string]work{},
	}
	qu.run = newRunner(qu)
	return qu
}

// Job is a job of a kind as its worker gets it: the stored job, its
// payload decoded, and the hint it was handed over with (nil when it was
// read from the database).
type Job[P, H any] struct {
	*sb.Job
	Args P
	Hint *H
}

// Worker runs one job of a kind. It ends the job with Finish (done, with
// its outcome) or Retry (to run again later); a job it leaves without
// either runs again when its lease expires.
type Worker[P, H any] func(ctx context.Context, j *Job[P, H])

// Kind is a kind of job registered on a queue, with its payload type P and
// its hint type H.
type Kind[P, H any] struct {
	qu   *Queue
	name string
	work Worker[P, H]
}

// Register makes w the worker of the jobs of kind name. The queue claims
// only the jobs of the kinds registered on it. Register every kind before
// Start; registering a kind twice panics.
func Register[P, H any](qu *Queue, name string, w Worker[P, H]) *Kind[P, H] {
	k := &Kind[P, H]{qu: qu, name: name, work: w}
	qu.mu.Lock()
	defer qu.mu.Unlock()
	if _, dup := qu.kinds[name]; dup {
		panic("queue: kind " + name + " registered twice")
	}
	qu.kinds[name] = k.with(nil)
	names := append(slices.Clone(qu.names), name)
	slices.Sort(names)
	qu.names = names
	return k
}

// kindNames returns the names of the kinds registered, sorted: the only
// kinds the queue claims.
func (qu *Queue) kindNames() []string {
	qu.mu.RLock()
	defer qu.mu.RUnlock()
	return qu.names
}

// Name is the kind's name, the Kind of its jobs.
func (k *Kind[P, H]) Name() string { return k.name }

// with returns the work of a job of the kind handed over with hint: decode
// the payload, call the worker. A payload that cannot be decoded never
// will be: the job is dropped.
func (k *Kind[P, H]) with(hint *H) work {
	return func(ctx context.Context, j *sb.Job) {
		ctx, span := k.qu.tracer.Start(telemetry.Continue(ctx, j.Trace), "job "+j.Kind,
			trace.WithAttributes(attribute.String("job.id", j.ID), attribute.Int("job.attempt", j.Attempts)))
		defer span.End()
		var args P
		if err := json.Unmarshal(j.Payload, &args); err != nil {
			k.qu.log.Error("queue: bad payload; dropping the job", "job", j.ID, "kind", j.Kind, "error", err)
			k.qu.Finish(ctx, j, nil)
			return
		}
		k.work(ctx, &Job[P, H]{Job: j, Args: args, Hint: hint})
	}
}

// NewJob is a job to write.
type NewJob[P any] struct {
	WorkspaceID string
	// Key groups jobs that must not run at the same time and should run in
	// order (a conversation id); "" makes the job a key of its own.
	Key  string
	Args P
	// RunAt is when the job falls due (default now).
	RunAt time.Time
	// Hold writes the job held by this process, claimed from the start (one
	// attempt counted): it runs here right after the commit, whatever
	// RunAt says, without a claim of its own; if this process dies first,
	// it is taken over as interrupted when its lease expires.
	Hold bool
}

// Creator writes jobs (switchboard.Queries does).
type Creator interface {
	CreateJob(ctx context.Context, j *sb.Job) error
}

// Tx is a transaction that writes jobs and runs functions after it
// commits (switchboard.Queries is one).
type Tx interface {
	Creator
	AfterCommit(fn func())
}

// Enqueue writes a job of the kind with tx and, once tx commits, hands it
// to this process's runner with hint (which may be nil), so that it runs at
// once (when due) without being read back. The worker must not change what
// the hint points to unless nothing else uses it.
func (k *Kind[P, H]) Enqueue(ctx context.Context, tx Tx, nj NewJob[P], hint *H) (*sb.Job, error) {
	now := k.qu.now()
	if nj.RunAt.IsZero() {
		nj.RunAt = now
	}
	j, err := newJob(ctx, k.name, &nj, now)
	if err != nil {
		return nil, err
	}
	if nj.Hold {
		until := now.Add(k.qu.cfg.Lease)
		j.Lease, j.LeasedUntil, j.Attempts = newLease(), &until, 1
	}
	if err := tx.CreateJob(ctx, j); err != nil {
		return nil, err
	}
	w := k.with(hint)
	tx.AfterCommit(func() { k.qu.run.submit(task{job: j, work: w}) })
	return j, nil
}

// Create writes a job of kind with c, due at nj.RunAt (default the store's
// now), for the poller of whichever process runs the kind: for writers
// that have no queue running. It cannot write a job held (nj.Hold).
func Create[P any](ctx context.Context, c Creator, kind string, nj NewJob[P]) (*sb.Job, error) {
	if nj.Hold {
		return nil, errors.New("queue: only a queue's Enqueue writes a job held")
	}
	j, err := newJob(ctx, kind, &nj, nj.RunAt)
	if err != nil {
		return nil, err
	}
	return j, c.CreateJob(ctx, j)
}

// newJob builds the row of a new job, unheld, in the trace of ctx's span.
func newJob[P any](ctx context.Context, kind string, nj *NewJob[P], now time.Time) (*sb.Job, error) {
	payload, err := json.Marshal(nj.Args)
	if err != nil {
		return nil, fmt.Errorf("queue: payload of a %s job: %w", kind, err)
	}
	j := &sb.Job{
		ID: sb.NewID(sb.PrefixJob), WorkspaceID: nj.WorkspaceID, Kind: kind, Key: nj.Key,
		Payload: payload, RunAt: nj.RunAt, CreatedAt: now, Trace: telemetry.Traceparent(ctx),
	}
	if j.Key == "" {
		j.Key = j.ID
	}
	return j, nil
}

// newLease returns a token for a job this process creates held.
func newLease() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Start runs the jobs handed over and the poller until Stop.
func (qu *Queue) Start(ctx context.Context) {
	ctx, qu.cancel = context.WithCancel(ctx)
	qu.run.start()
	qu.poller.Add(1)
	go func() {
		defer qu.poller.Done()
		qu.poll(ctx, qu.cfg.SingleProcess)
	}()
}

// Stop ends the queue's work: no new job starts, running jobs finish
// (until ctx ends; a job cut short is run again later), and jobs held but
// not started are given back at once, due for any process.
func (qu *Queue) Stop(ctx context.Context) error {
	var err error
	qu.stopOnce.Do(func() {
		if qu.cancel != nil {
			qu.cancel()
		}
		err = qu.run.stop(ctx)
		qu.poller.Wait()
	})
	return err
}

// Len is the number of jobs handed to this process, waiting or running.
func (qu *Queue) Len() int { return qu.run.load() }

// Backoff returns the wait before the next attempt of a job that made
// attempts attempts, on schedule s with the queue's jitter, or ok=false
// when the schedule is exhausted. A wait the job's work asked for (a
// platform's Retry-After) wins over the schedule, capped at MaxRetryWait.
func (qu *Queue) Backoff(s retry.Schedule, attempts int, wait time.Duration) (time.Duration, bool) {
	d, ok := s.Next(attempts, qu.jitter)
	if !ok {
		return 0, false
	}
	if wait > 0 {
		d = min(wait, MaxRetryWait)
	}
	return d, true
}

// Finish deletes a job in the transaction that records its outcome (write,
// which may be nil; it may run more than once, see groupcommit). A failed
// write (a database out of room, a lost connection) is tried again, backing
// off from 100 ms to 2 s, for as long as the job's lease lasts: the work is
// done, and only its record is missing. It returns false if nothing was
// written: the job was lost (its lease expired and another process took it
// over), the queue stopped, or the lease ran out while the database kept
// failing (the job then runs again, as interrupted).
func (qu *Queue) Finish(ctx context.Context, j *sb.Job, write func(q sb.Queries) error) bool {
	var err error
	wait := 100 * time.Millisecond
	for try := 0; ; try++ {
		if try > 0 {
			if j.LeasedUntil != nil && !qu.now().Add(wait).Before(*j.LeasedUntil) {
				break // the lease would run out: leave the job to whoever takes it
			}
			if try == 1 {
				qu.log.Warn("queue: recording a job's outcome failed; trying again while the job's lease lasts",
					"job", j.ID, "kind", j.Kind, "error", err)
			}
			select {
			case <-ctx.Done():
				return false
			case <-time.After(wait):
			}
			wait = min(2*wait, 2*time.Second)
		}
		err = qu.commit.DoKey(ctx, j.Key, func(q sb.Queries) error {
			if err := q.CompleteJob(ctx, j.ID, j.Lease); err != nil {
				if sb.ErrorCode(err) == sb.ENotFound {
					return errLost
				}
				return err
			}
			if write == nil {
				return nil
			}
			return write(q)
		})
		if err == nil {
			return true
		}
		if errors.Is(err, errLost) {
			qu.log.Warn("queue: a job was taken over elsewhere before it finished here; this outcome is dropped",
				"job", j.ID, "kind", j.Kind)
			return false
		}
		if ctx.Err() != nil || errors.Is(err, groupcommit.ErrStopped) {
			break
		}
	}
	qu.log.Error("queue: recording a job's outcome failed; it will run again", "job", j.ID, "kind", j.Kind, "error", err)
	return false
}

// Retry gives a job back to run again at the given time, remembering the
// error. A job whose lease was lost meanwhile is left to its new holder.
func (qu *Queue) Retry(ctx context.Context, j *sb.Job, at time.Time, lastError string) {
	err := qu.commit.DoKey(ctx, j.Key, func(q sb.Queries) error {
		return ignoreNotFound(q.RetryJob(ctx, j.ID, j.Lease, at, lastError))
	})
	if err != nil {
		qu.log.Error("queue: rescheduling a job", "job", j.ID, "error", err)
	}
	qu.run.nudge()
}

// errLost rolls back the outcome of a job whose lease was lost.
var errLost = errors.New("queue: job lease lost")

func ignoreNotFound(err error) error {
	if sb.ErrorCode(err) == sb.ENotFound {
		return nil
	}
	return err
}
