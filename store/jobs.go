package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/switchboardhq/switchboard"
)

const jobCols = "id, workspace_id, kind, key, payload, attempts, run_at, lease, leased_until, interrupted, last_error, created_at, trace"

func scanJob(s scanner) (*switchboard.Job, error) {
	j := new(switchboard.Job)
	var lease *string
	err := s.Scan(&j.ID, &j.WorkspaceID, &j.Kind, &j.Key, rawCol{&j.Payload}, &j.Attempts, timeCol{&j.RunAt},
		&lease, nullTimeCol{&j.LeasedUntil}, &j.Interrupted, &j.LastError, timeCol{&j.CreatedAt}, &j.Trace)
	if err != nil {
		return nil, err
	}
	if lease != nil {
		j.Lease = *lease
	}
	return j, nil
}

// newLease returns a fresh lease token.
func newLease() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// CreateJob stores a new job. A job given a Lease and LeasedUntil is held
// from the start; otherwise it is due at RunAt (now if zero).
func (q *queries) CreateJob(ctx context.Context, j *switchboard.Job) error {
	if j.ID == "" {
		j.ID = switchboard.NewID(switchboard.PrefixJob)
	}
	j.CreatedAt = q.stamp(j.CreatedAt)
	if j.RunAt.IsZero() {
		j.RunAt = j.CreatedAt
	}
	j.RunAt, j.LeasedUntil = norm(j.RunAt), normPtr(j.LeasedUntil)
	j.Payload = orEmptyObject(j.Payload)
	payload, err := encodeRaw(j.Payload, "{}")
	if err != nil {
		return err
	}
	due := j.RunAt
	var lease any
	if j.Lease != "" {
		if j.LeasedUntil == nil {
			return switchboard.Invalid("leased_until", "is required for a job created with a lease")
		}
		due, lease = *j.LeasedUntil, j.Lease
	} else {
		j.LeasedUntil = nil
	}
	return q.insert(ctx, "job",
		`INSERT INTO jobs (`+jobCols+`, due_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		j.ID, j.WorkspaceID, j.Kind, j.Key, payload, j.Attempts, q.t(j.RunAt), lease, q.tp(j.LeasedUntil),
		j.Interrupted, j.LastError, q.t(j.CreatedAt), j.Trace, q.t(due))
}

// claimSet is the SET clause of a claim. Every expression on the right of
// SET reads the row as it was before the update, so interrupted records
// whether somebody held the job when it was taken.
const claimSet = `SET lease = ?, leased_until = ?, due_at = ?, attempts = attempts + 1, interrupted = (lease IS NOT NULL)`

// ClaimJobs leases up to limit due jobs of the given kinds (every kind if
// kinds is empty), oldest due first. On PostgreSQL the candidates are
// locked with FOR UPDATE SKIP LOCKED, so concurrent claimers take different
// jobs instead of waiting for each other.
func (q *queries) ClaimJobs(ctx context.Context, now time.Time, lease time.Duration, limit int, kinds []string) ([]*switchboard.Job, error) {
	if limit <= 0 {
		return nil, nil
	}
	token, until := newLease(), norm(now.Add(lease))
	pick := `SELECT id FROM jobs WHERE due_at <= ?`
	kindCond, kindArgs := kindIn(kinds)
	if kindCond != "" {
		pick += ` AND ` + kindCond
	}
	pick += ` ORDER BY due_at, id LIMIT ` + strconv.Itoa(limit)
	if q.dialect == DialectPostgres {
		pick += ` FOR UPDATE SKIP LOCKED`
	}
	args := append([]any{token, q.t(until), q.t(until), q.bound(now)}, kindArgs...)
	jobs, err := getMany(ctx, q.writes(), "job", scanJob,
		`UPDATE jobs `+claimSet+` WHERE id IN (`+pick+`) RETURNING `+jobCols, args...)
	if err != nil {
		return nil, err
	}
	sort.Slice(jobs, func(i, k int) bool { return jobs[i].ID < jobs[k].ID })
	return jobs, nil
}

// kindIn returns the condition that keeps the jobs of kinds ("kind IN
// (?, …)", the same on every dialect) and its arguments; "" for no kinds.
func kindIn(kinds []string) (string, []any) {
	if len(kinds) == 0 {
		return "", nil
	}
	args := make([]any, len(kinds))
	for i, k := range kinds {
		args[i] = k
	}
	return `kind IN (?` + strings.Repeat(`, ?`, len(kinds)-1) + `)`, args
}

// ClaimJob leases one job by id if it is due.
func (q *queries) ClaimJob(ctx context.Context, id string, now time.Time, lease time.Duration) (*switchboard.Job, error) {
	token, until := newLease(), norm(now.Add(lease))
	return getOne(ctx, q.writes(), "job", scanJob,
		`UPDATE jobs `+claimSet+` WHERE id = ? AND due_at <= ? RETURNING `+jobCols,
		token, q.t(until), q.t(until), id, q.bound(now))
}

// CompleteJob deletes a job whose lease the caller holds.
func (q *queries) CompleteJob(ctx context.Context, id, lease string) error {
	return q.change(ctx, "complete", "job", `DELETE FROM jobs WHERE id = ? AND lease = ?`, id, lease)
}

// RetryJob gives a held job back, due at runAt.
func (q *queries) RetryJob(ctx context.Context, id, lease string, runAt time.Time, lastError string) error {
	runAt = norm(runAt)
	return q.change(ctx, "retry", "job",
		`UPDATE jobs SET lease = NULL, leased_until = NULL, run_at = ?, due_at = ?, last_error = ?
		 WHERE id = ? AND lease = ?`,
		q.t(runAt), q.t(runAt), lastError, id, lease)
}

// ReleaseJob gives a held job back, due at once, its last claim uncounted.
func (q *queries) ReleaseJob(ctx context.Context, id, lease string) error {
	return q.change(ctx, "release", "job",
		`UPDATE jobs SET lease = NULL, leased_until = NULL, due_at = run_at, interrupted = ?,
		 attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END
		 WHERE id = ? AND lease = ?`,
		false, id, lease)
}

// ExpireJobLeases makes every held job due at now (those whose lease
// already expired are due already).
func (q *queries) ExpireJobLeases(ctx context.Context, now time.Time) (int64, error) {
	now = norm(now)
	return q.changeN(ctx, "expire", "job", `UPDATE jobs SET due_at = ? WHERE due_at > ? AND lease IS NOT NULL`,
		q.t(now), q.t(now))
}

// NextJobDue returns the earliest due time of any job of the given kinds
// (of any kind if kinds is empty), or zero. min() lets both databases walk
// the due_at index up to the first job of a kind asked for, where ORDER BY
// … LIMIT 1 with a condition on kind has SQLite scan and sort the table.
func (q *queries) NextJobDue(ctx context.Context, kinds []string) (time.Time, error) {
	query := `SELECT min(due_at) FROM jobs`
	kindCond, kindArgs := kindIn(kinds)
	if kindCond != "" {
		query += ` WHERE ` + kindCond
	}
	var due *time.Time
	err := q.r.QueryRowContext(ctx, q.sql(query), kindArgs...).Scan(nullTimeCol{&due})
	if err != nil {
		return time.Time{}, translate(err, "get", "job")
	}
	if due == nil { // no job
		return time.Time{}, nil
	}
	return *due, nil
}

// LockContact locks the contact's row until the transaction ends
// (PostgreSQL only; SQLite's write transactions are serialised already).
func (q *queries) LockContact(ctx context.Context, workspaceID, id string) error {
	return q.lockRow(ctx, "contacts", "contact", workspaceID, id)
}

// HoldContactByExternalID finds a contact by its platform id on a channel
// and, on PostgreSQL in a transaction, holds it until the transaction ends
// (FOR UPDATE), as LockContact does.
func (q *queries) HoldContactByExternalID(ctx context.Context, channelID, externalID string) (*switchboard.Contact, error) {
	return getOne(ctx, q, "contact", scanContact,
		`SELECT `+contactCols+` FROM contacts WHERE channel_id = ? AND external_id = ?`+q.hold(), channelID, externalID)
}

// hold is the clause that makes a read of one row hold it until the
// transaction ends: FOR UPDATE on PostgreSQL in a transaction; nothing on
// SQLite, whose write transactions already take turns, nor outside a
// transaction.
func (q *queries) hold() string {
	if q.dialect == DialectPostgres && q.committed != nil {
		return " FOR UPDATE"
	}
	return ""
}

// TouchConversation sets a conversation's last activity.
func (q *queries) TouchConversation(ctx context.Context, workspaceID, id string, at time.Time) error {
	return q.change(ctx, "update", "conversation",
		`UPDATE conversations SET last_activity_at = ? WHERE workspace_id = ? AND id = ?`, q.t(norm(at)), workspaceID, id)
}

// BoundLockWait sets lock_timeout for the rest of the transaction
// (PostgreSQL only).
func (q *queries) BoundLockWait(ctx context.Context, d time.Duration) error {
	if q.dialect != DialectPostgres || q.committed == nil {
		return nil
	}
	_, err := q.w.ExecContext(ctx, "SET LOCAL lock_timeout = "+strconv.FormatInt(max(d.Milliseconds(), 1), 10))
	return translate(err, "set", "lock timeout")
}

// LastInboundMessage returns the newest inbound message of a conversation.
//
// On PostgreSQL it is planned for its values each time: the generic plan of
// a cached statement, costed for an average conversation, walks the whole
// messages table backwards by id to find the first match, which never comes
// in a conversation of outbound messages only (4 ms at 8,000 messages, and
// growing with the table, where the conversation's index takes 0.1 ms).
func (q *queries) LastInboundMessage(ctx context.Context, workspaceID, conversationID string) (*switchboard.Message, error) {
	return getOne(ctx, q, "message", scanMessage,
		`SELECT `+messageCols+` FROM messages WHERE conversation_id = ? AND direction = ? AND workspace_id = ?
		 ORDER BY id DESC LIMIT 1`, q.planEach(conversationID, switchboard.DirectionInbound, workspaceID)...)
}

// writes returns the queries to run a statement that writes and returns
// rows (UPDATE … RETURNING): it must go to the writer even though it reads.
func (q *queries) writes() *queries {
	if q.r == q.w {
		return q
	}
	c := *q
	c.r = c.w
	return &c
}
