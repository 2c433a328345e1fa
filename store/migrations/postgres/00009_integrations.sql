-- Integrations, their action runs, inbound business webhooks and
-- automations, PostgreSQL flavour (mirrors ../sqlite/00009_integrations.sql).
--
-- integrations.secrets is the sealed JSON object of the secret settings.
--
-- A run is one run of an integration action; run_attempts logs each of its
-- calls. runs.dedup_key makes "once per trigger" hold across crashes and
-- processes: an automation's run is keyed by (automation, event), an
-- intent's by (inbound message, integration, action); a second insert of
-- the same key is dropped (ON CONFLICT DO NOTHING). Runs from the API have
-- none. The idempotency key passed to the system is the same for every
-- attempt of a run.
--
-- integration_hooks keeps inbound webhooks until they are processed, once
-- per (integration, delivery id): a system repeating a webhook is answered
-- 200 and nothing more is stored. integration_notices remembers which
-- contact got which proactive message (dedup_key), so that a repeated or
-- reprocessed webhook never sends it twice.
--
-- Deleting an integration erases its runs, hooks and automations.

-- +goose Up
CREATE TABLE integrations (
    id           TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    type         TEXT NOT NULL,
    name         TEXT NOT NULL,
    status       TEXT NOT NULL,
    config       JSONB NOT NULL,
    secrets      BYTEA,
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX integrations_workspace_id ON integrations (workspace_id, id);

CREATE TABLE runs (
    id              TEXT PRIMARY KEY,
    workspace_id    TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    integration_id  TEXT NOT NULL REFERENCES integrations (id) ON DELETE CASCADE,
    action          TEXT NOT NULL,
    status          TEXT NOT NULL,
    trigger_kind    TEXT NOT NULL,
    trigger_id      TEXT NOT NULL,
    event_id        TEXT NOT NULL,
    conversation_id TEXT NOT NULL,
    dedup_key       TEXT,
    params          JSONB NOT NULL,
    idempotency_key TEXT NOT NULL,
    result          JSONB,
    error           TEXT,
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL,
    finished_at     TIMESTAMPTZ,
    UNIQUE (workspace_id, dedup_key)
);
CREATE INDEX runs_workspace_id ON runs (workspace_id, id);
CREATE INDEX runs_integration_id ON runs (integration_id, id);

CREATE TABLE run_attempts (
    run_id        TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    number        INTEGER NOT NULL,
    attempted_at  TIMESTAMPTZ NOT NULL,
    duration_ms   INTEGER NOT NULL,
    status_code   INTEGER,
    response_head TEXT NOT NULL,
    error         TEXT,
    PRIMARY KEY (run_id, number)
);

CREATE TABLE integration_hooks (
    id             TEXT PRIMARY KEY,
    workspace_id   TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    integration_id TEXT NOT NULL REFERENCES integrations (id) ON DELETE CASCADE,
    delivery_id    TEXT NOT NULL,
    topic          TEXT NOT NULL,
    body           BYTEA NOT NULL,
    received_at    TIMESTAMPTZ NOT NULL,
    processed_at   TIMESTAMPTZ,
    UNIQUE (integration_id, delivery_id)
);

CREATE TABLE integration_notices (
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    dedup_key    TEXT NOT NULL,
    contact_id   TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (workspace_id, dedup_key, contact_id)
);

CREATE TABLE automations (
    id             TEXT PRIMARY KEY,
    workspace_id   TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name           TEXT NOT NULL,
    event_types    JSONB NOT NULL,
    event_filter   JSONB NOT NULL,
    integration_id TEXT NOT NULL REFERENCES integrations (id) ON DELETE CASCADE,
    action         TEXT NOT NULL,
    params         JSONB NOT NULL,
    enabled        BOOLEAN NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL
);
CREATE INDEX automations_workspace_id ON automations (workspace_id, id);

CREATE INDEX contacts_workspace_email ON contacts (workspace_id, email) WHERE email <> '';
CREATE INDEX contacts_workspace_phone ON contacts (workspace_id, phone) WHERE phone <> '';

-- +goose Down
DROP INDEX contacts_workspace_phone;
DROP INDEX contacts_workspace_email;
DROP TABLE automations;
DROP TABLE integration_notices;
DROP TABLE integration_hooks;
DROP TABLE run_attempts;
DROP TABLE runs;
DROP TABLE integrations;
