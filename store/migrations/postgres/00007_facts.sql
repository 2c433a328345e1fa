-- Knowledge facts, PostgreSQL flavour (see ../sqlite/00007_facts.sql for
-- the design).

-- +goose Up
CREATE TABLE facts (
    id           TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    key          TEXT NOT NULL,
    subject      TEXT NOT NULL,
    contact_id   TEXT REFERENCES contacts (id) ON DELETE CASCADE,
    email        TEXT NOT NULL,
    phone        TEXT NOT NULL,
    text         TEXT NOT NULL,
    data         JSONB,
    source       TEXT NOT NULL,
    expires_at   TIMESTAMPTZ,
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX facts_workspace_subject ON facts (workspace_id, subject, key);
CREATE INDEX facts_workspace_id ON facts (workspace_id, id);
CREATE INDEX facts_workspace_key_id ON facts (workspace_id, key, id);
CREATE INDEX facts_contact_id ON facts (contact_id);
CREATE INDEX facts_expires_at ON facts (expires_at) WHERE expires_at IS NOT NULL;

-- +goose Down
DROP TABLE facts;
