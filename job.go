package switchboard

import (
	"context"
	"encoding/json"
	"time"
)

// Job kinds of the message pipeline: the durable steps that run after the
// transaction that asked for them. Package pipeline registers their workers
// on the job queue (package queue); other kinds of background work register
// their own.
const (
	JobBotTurn = "bot_turn" // run the conversation's bot on one inbound message
	JobSend    = "send"     // send one outbound message through its channel
)

// Job is one durable unit of background work. It is written in the same
// transaction as the change that needs it, claimed with a lease, and
// deleted in the transaction that records its outcome, so that a crash at
// any point leaves either the job (to run again) or its outcome, never both
// and never neither.
//
// A job is due when RunAt has passed and nobody holds it, or when the lease
// of whoever holds it has expired (the holder died or stalled). Claiming it
// gives it a new Lease token and LeasedUntil; only the holder of the current
// token may complete or release it.
type Job struct {
	ID          string
	WorkspaceID string
	Kind        string
	// Key groups jobs that must not run at the same time and should run in
	// order (the conversation id): one process runs one job of a key at a
	// time, oldest first.
	Key     string
	Payload json.RawMessage
	// Attempts counts the claims of the job (the runs started).
	Attempts int
	RunAt    time.Time
	// Lease is the token of the current holder, "" when nobody holds the
	// job; LeasedUntil is when the holder's claim expires.
	Lease       string
	LeasedUntil *time.Time
	// Interrupted is set by a claim that took the job from a holder whose
	// lease had expired: the previous run may have done part of its work.
	Interrupted bool
	LastError   string
	CreatedAt   time.Time
	// Trace is the W3C traceparent of the span that wrote the job ("" when
	// not tracing): the job's run continues that trace (package telemetry).
	Trace string
}

// JobQueries are the operations on jobs (package queue uses them), and the
// few reads the pipeline needs beyond the resource operations.
//
// Errors: CompleteJob, RetryJob and ReleaseJob answer ENotFound when the job
// is gone or its lease token is no longer the caller's (another process took
// it over after the lease expired).
type JobQueries interface {
	// CreateJob stores a new job. A job created with a Lease is held from
	// the start, by the process that created it, until LeasedUntil: that
	// process runs it without claiming it (its first run is counted in
	// Attempts by the creator).
	CreateJob(ctx context.Context, j *Job) error
	// ClaimJobs leases up to limit jobs of the given kinds that are due at
	// now, oldest due first, until now+lease, each with a new token and one
	// more attempt; empty kinds means every kind. A queue claims only the
	// kinds it runs, so that it never holds (nor drops) a job it cannot run.
	// On PostgreSQL concurrent claims skip each other's rows.
	ClaimJobs(ctx context.Context, now time.Time, lease time.Duration, limit int, kinds []string) ([]*Job, error)
	// ClaimJob leases one job by id, as ClaimJobs does, if it is due at
	// now; ENotFound otherwise.
	ClaimJob(ctx context.Context, id string, now time.Time, lease time.Duration) (*Job, error)
	// ClaimNewJob claims j as ClaimJob does if it is due at now, nobody
	// holds it and it has j's Attempts (as its creator wrote it), and
	// returns the claimed job without reading it back; ENotFound otherwise.
	ClaimNewJob(ctx context.Context, j *Job, now time.Time, lease time.Duration) (*Job, error)
	// CompleteJob deletes a job whose lease the caller holds.
	CompleteJob(ctx context.Context, id, lease string) error
	// RetryJob gives a held job back, to run again at runAt, remembering
	// the error.
	RetryJob(ctx context.Context, id, lease string, runAt time.Time, lastError string) error
	// ReleaseJob gives a held job back to run at once, as if it had never
	// been claimed (its attempt is not counted as interrupted); used when a
	// process stops before starting work it holds.
	ReleaseJob(ctx context.Context, id, lease string) error
	// ExpireJobLeases makes every held job due at now, as if its holder's
	// lease had expired: for a process that knows it is alone on the
	// database (SQLite) and so that every lease it finds is a dead
	// process's. It returns the number of jobs.
	ExpireJobLeases(ctx context.Context, now time.Time) (int64, error)
	// NextJobDue returns when the next job of the given kinds (of any kind
	// if kinds is empty) falls due (its run time or the expiry of its
	// lease), or the zero time if there is no such job.
	NextJobDue(ctx context.Context, kinds []string) (time.Time, error)

	// LockContact holds the contact until the transaction ends, so that
	// concurrent transactions about one contact (finding or starting its
	// open conversation) take turns. It does nothing outside a transaction,
	// and nothing on SQLite, whose write transactions already take turns.
	LockContact(ctx context.Context, workspaceID, id string) error
	// HoldContactByExternalID finds a contact by its platform id on a
	// channel and holds it as LockContact does, in one statement.
	HoldContactByExternalID(ctx context.Context, channelID, externalID string) (*Contact, error)
	// BoundLockWait makes the statements of the current transaction fail
	// rather than wait longer than d for a row another transaction holds
	// (PostgreSQL's lock_timeout), so that a transaction that could
	// deadlock with another gives up early. It does nothing outside a
	// transaction and on SQLite.
	BoundLockWait(ctx context.Context, d time.Duration) error

	// TouchConversation sets a conversation's last activity, and nothing
	// else (the pipeline's cheap write for each message).
	TouchConversation(ctx context.Context, workspaceID, id string, at time.Time) error

	// LastInboundMessage returns the newest inbound message of a
	// conversation (the one whose Thread replies follow).
	LastInboundMessage(ctx context.Context, workspaceID, conversationID string) (*Message, error)
}
