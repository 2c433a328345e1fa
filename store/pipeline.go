package store

import (
	"context"
	"time"

	"github.com/switchboardhq/switchboard"
)

// Reads and writes of the message pipeline that are cheaper variants of
// the general ones, for its transactions on the single SQLite writer (and
// PostgreSQL's round trips).

// GetConversationStatus returns a conversation's status and last activity
// without reading the rest of it.
func (q *queries) GetConversationStatus(ctx context.Context, workspaceID, id string) (string, time.Time, error) {
	var status string
	var last time.Time
	err := q.r.QueryRowContext(ctx, q.sql(`SELECT status, last_activity_at FROM conversations WHERE workspace_id = ? AND id = ?`),
		workspaceID, id).Scan(&status, timeCol{&last})
	if err != nil {
		return "", time.Time{}, translate(err, "get", "conversation")
	}
	return status, last, nil
}

// ClaimNewJob claims j as ClaimJob does, if it is due at now, nobody holds
// it and it has the attempts j has: a job as its creator wrote it (or given
// back since, uncounted), whose row is then known without reading it back.
// It returns the claimed job, or ENotFound if the job is not in that state
// (ClaimJob then says whether it can be claimed at all).
func (q *queries) ClaimNewJob(ctx context.Context, j *switchboard.Job, now time.Time, lease time.Duration) (*switchboard.Job, error) {
	token, until := newLease(), norm(now.Add(lease))
	err := q.change(ctx, "claim", "job",
		`UPDATE jobs SET lease = ?, leased_until = ?, due_at = ?, attempts = attempts + 1, interrupted = ?
		 WHERE id = ? AND lease IS NULL AND attempts = ? AND due_at <= ?`,
		token, q.t(until), q.t(until), false, j.ID, j.Attempts, q.bound(now))
	if err != nil {
		return nil, err
	}
	c := *j
	c.Lease, c.LeasedUntil, c.Attempts, c.Interrupted = token, &until, j.Attempts+1, false
	return &c, nil
}
