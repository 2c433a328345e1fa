-- Outbound webhooks, SQLite flavour. It mirrors ../postgres/00002_webhooks.sql
-- column for column; only the types differ.
--
-- webhook_endpoints.secrets is the sealed JSON list of signing secrets (the
-- current one first, then former ones with their expiry).
--
-- A delivery is pending while next_attempt_at is set; it is NULL once the
-- delivery succeeded or failed, so the partial indexes on next_attempt_at
-- hold the pending deliveries only and stay small however long the log
-- grows. lease_owner and lease_expires_at record which dispatcher holds a
-- delivery; a lease that has expired is up for grabs.
--
-- Deletion rules: deleting an endpoint erases its deliveries and their
-- attempts; deleting a delivery its attempts; deleting an event (retention
-- does, once no delivery refers to it) its deliveries.

-- +goose Up
CREATE TABLE webhook_endpoints (
    id                    TEXT NOT NULL PRIMARY KEY,
    workspace_id          TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    url                   TEXT NOT NULL,
    description           TEXT NOT NULL,
    event_types           TEXT NOT NULL,
    status                TEXT NOT NULL,
    disabled_reason       TEXT,
    rate_limit_per_second INTEGER,
    secrets               BLOB NOT NULL,
    failing_since         TEXT,
    created_at            TEXT NOT NULL,
    updated_at            TEXT NOT NULL
) STRICT;
CREATE INDEX webhook_endpoints_workspace_id ON webhook_endpoints (workspace_id, id);

CREATE TABLE deliveries (
    id               TEXT NOT NULL PRIMARY KEY,
    workspace_id     TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    endpoint_id      TEXT NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    event_id         TEXT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    event_type       TEXT NOT NULL,
    status           TEXT NOT NULL,
    attempt_count    INTEGER NOT NULL,
    next_attempt_at  TEXT,
    last_attempt_at  TEXT,
    last_status_code INTEGER,
    last_error       TEXT,
    lease_owner      TEXT,
    lease_expires_at TEXT,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
) STRICT;
CREATE INDEX deliveries_endpoint_id ON deliveries (endpoint_id, id);
CREATE INDEX deliveries_endpoint_status ON deliveries (endpoint_id, status, id);
CREATE INDEX deliveries_event_id ON deliveries (event_id);
CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE next_attempt_at IS NOT NULL;
CREATE INDEX deliveries_endpoint_due ON deliveries (endpoint_id, next_attempt_at) WHERE next_attempt_at IS NOT NULL;

CREATE TABLE delivery_attempts (
    delivery_id   TEXT NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
    number        INTEGER NOT NULL,
    attempted_at  TEXT NOT NULL,
    duration_us   INTEGER NOT NULL,
    status_code   INTEGER,
    response_body TEXT NOT NULL,
    error         TEXT,
    PRIMARY KEY (delivery_id, number)
) STRICT;

-- +goose Down
DROP TABLE delivery_attempts;
DROP TABLE deliveries;
DROP TABLE webhook_endpoints;
