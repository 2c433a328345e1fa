-- Knowledge facts, SQLite flavour (mirrors ../postgres/00007_facts.sql).
--
-- A fact is about one subject, at most one per (workspace, subject, key).
-- subject encodes it in one column: '' for the workspace,
-- 'contact:' || contact_id, 'email:' || email (lower case) or
-- 'phone:' || phone (+digits). contact_id, email and phone repeat it for
-- the API ('' when not the subject). The unique index serves the upsert and
-- the lookup of templates, which asks for a few keys of up to four subjects
-- in one query (workspace_id = ? AND subject IN (...) AND key IN (...)).
-- facts_workspace_key_id serves the key filters of the list, facts_expires_at
-- the purge of expired facts. Deleting a contact (with its channel) erases
-- its facts; facts about an email or phone stay.

-- +goose Up
CREATE TABLE facts (
    id           TEXT NOT NULL PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    key          TEXT NOT NULL,
    subject      TEXT NOT NULL,
    contact_id   TEXT REFERENCES contacts (id) ON DELETE CASCADE,
    email        TEXT NOT NULL,
    phone        TEXT NOT NULL,
    text         TEXT NOT NULL,
    data         TEXT,
    source       TEXT NOT NULL,
    expires_at   TEXT,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
) STRICT;
CREATE UNIQUE INDEX facts_workspace_subject ON facts (workspace_id, subject, key);
CREATE INDEX facts_workspace_id ON facts (workspace_id, id);
CREATE INDEX facts_workspace_key_id ON facts (workspace_id, key, id);
CREATE INDEX facts_contact_id ON facts (contact_id);
CREATE INDEX facts_expires_at ON facts (expires_at) WHERE expires_at IS NOT NULL;

-- +goose Down
DROP TABLE facts;
