-- The message pipeline, SQLite flavour (mirrors ../postgres/00003_jobs.sql).
--
-- jobs holds the durable steps of the pipeline that run after the
-- transaction that asked for them (a bot turn, an outbound send). A job is
-- deleted in the transaction that records its outcome. due_at is when it can
-- next be claimed: its run time while nobody holds it, the expiry of the
-- holder's lease while somebody does; claiming looks at due_at alone, so one
-- index serves it. interrupted is set by a claim that took the job from a
-- holder whose lease had expired. jobs has no index on workspace_id: jobs
-- are short-lived and reached by id or due time; deleting a workspace, which
-- is rare, scans them.
--
-- messages.thread remembers where replies to an inbound message go on its
-- platform (a Slack thread, a Telegram group or topic).

-- +goose Up
CREATE TABLE jobs (
    id           TEXT NOT NULL PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    kind         TEXT NOT NULL,
    key          TEXT NOT NULL,
    payload      TEXT NOT NULL,
    attempts     INTEGER NOT NULL,
    run_at       TEXT NOT NULL,
    due_at       TEXT NOT NULL,
    lease        TEXT,
    leased_until TEXT,
    interrupted  INTEGER NOT NULL,
    last_error   TEXT NOT NULL,
    created_at   TEXT NOT NULL
) STRICT;
CREATE INDEX jobs_due_at ON jobs (due_at, id);

ALTER TABLE messages ADD COLUMN thread TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE messages DROP COLUMN thread;
DROP TABLE jobs;
