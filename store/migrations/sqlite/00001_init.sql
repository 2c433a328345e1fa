-- The initial schema, SQLite flavour. It mirrors ../postgres/00001_init.sql
-- column for column; only the types differ. Times are TEXT in the fixed-width
-- form 2006-01-02T15:04:05.000000Z (UTC, microseconds), so that comparing the
-- strings compares the times. JSON documents are TEXT; secrets are sealed
-- BLOBs.
--
-- Deletion rules:
--   * deleting a workspace erases everything in it;
--   * deleting a channel erases its contacts, their conversations and the
--     messages: a conversation exists only through its channel, and a
--     channel's history would otherwise be left unreachable (users who want to
--     keep it disconnect the channel instead of deleting it);
--   * deleting a conversation erases its messages;
--   * deleting a bot detaches it from its channels and conversations;
--   * events are a log: they go only with their workspace.
--
-- Indexes serve the list filters and lookups of the store. messages has no
-- index of its own on workspace_id: messages are always reached through
-- their conversation, and one more index would cost every inbound message a
-- page write (and tempt the PostgreSQL planner away from the conversation
-- index); deleting a workspace, which is rare, scans messages instead.

-- +goose Up
CREATE TABLE workspaces (
    id         TEXT NOT NULL PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
) STRICT;

CREATE TABLE api_keys (
    id           TEXT NOT NULL PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    prefix       TEXT NOT NULL,
    hash         BLOB NOT NULL UNIQUE,
    scopes       TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at   TEXT
) STRICT;
CREATE INDEX api_keys_workspace_id ON api_keys (workspace_id, id);

CREATE TABLE bots (
    id           TEXT NOT NULL PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    engine       TEXT NOT NULL,
    config       TEXT NOT NULL,
    secrets      BLOB,
    status       TEXT NOT NULL,
    version      INTEGER NOT NULL,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
) STRICT;
CREATE INDEX bots_workspace_id ON bots (workspace_id, id);

CREATE TABLE channels (
    id           TEXT NOT NULL PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    type         TEXT NOT NULL,
    name         TEXT NOT NULL,
    bot_id       TEXT REFERENCES bots (id) ON DELETE SET NULL,
    status       TEXT NOT NULL,
    config       TEXT NOT NULL,
    secrets      BLOB,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
) STRICT;
CREATE INDEX channels_workspace_id ON channels (workspace_id, id);
CREATE INDEX channels_bot_id ON channels (bot_id);

CREATE TABLE contacts (
    id           TEXT NOT NULL PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    channel_id   TEXT NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    external_id  TEXT NOT NULL,
    name         TEXT NOT NULL,
    email        TEXT NOT NULL,
    phone        TEXT NOT NULL,
    attributes   TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    UNIQUE (channel_id, external_id)
) STRICT;
CREATE INDEX contacts_workspace_id ON contacts (workspace_id, id);
CREATE INDEX contacts_channel_id ON contacts (channel_id, id);

CREATE TABLE conversations (
    id               TEXT NOT NULL PRIMARY KEY,
    workspace_id     TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    channel_id       TEXT NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    bot_id           TEXT REFERENCES bots (id) ON DELETE SET NULL,
    contact_id       TEXT NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    status           TEXT NOT NULL,
    assignee         TEXT,
    metadata         TEXT NOT NULL,
    started_at       TEXT NOT NULL,
    last_activity_at TEXT NOT NULL,
    ended_at         TEXT
) STRICT;
CREATE INDEX conversations_workspace_id ON conversations (workspace_id, id);
CREATE INDEX conversations_workspace_status ON conversations (workspace_id, status, id);
CREATE INDEX conversations_channel_id ON conversations (channel_id, id);
CREATE INDEX conversations_channel_contact_status ON conversations (channel_id, contact_id, status);
CREATE INDEX conversations_contact_id ON conversations (contact_id, id);
CREATE INDEX conversations_bot_id ON conversations (bot_id, id);
CREATE INDEX conversations_status_last_activity ON conversations (status, last_activity_at);

CREATE TABLE messages (
    id              TEXT NOT NULL PRIMARY KEY,
    workspace_id    TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    channel_id      TEXT NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    direction       TEXT NOT NULL,
    sender          TEXT NOT NULL,
    text            TEXT NOT NULL,
    status          TEXT NOT NULL,
    external_id     TEXT,
    error           TEXT,
    raw             TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
) STRICT;
CREATE INDEX messages_conversation_id ON messages (conversation_id, id);
-- Unique among the messages that have an external id: NULLs are distinct in a
-- unique index, so any number of messages may have none. Not partial, so
-- that it also serves the channel_id lookups of deleting a channel.
CREATE UNIQUE INDEX messages_external_id ON messages (channel_id, direction, external_id);

CREATE TABLE events (
    id           TEXT NOT NULL PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    type         TEXT NOT NULL,
    version      TEXT NOT NULL,
    data         TEXT NOT NULL,
    created_at   TEXT NOT NULL
) STRICT;
CREATE INDEX events_workspace_id ON events (workspace_id, id);
CREATE INDEX events_workspace_type ON events (workspace_id, type, id);

CREATE TABLE idempotency_records (
    scope        TEXT NOT NULL,
    key          TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status       INTEGER NOT NULL,
    header       TEXT NOT NULL,
    body         BLOB,
    created_at   TEXT NOT NULL,
    PRIMARY KEY (scope, key)
) STRICT;
CREATE INDEX idempotency_records_created_at ON idempotency_records (created_at);

-- +goose Down
DROP TABLE idempotency_records;
DROP TABLE events;
DROP TABLE messages;
DROP TABLE conversations;
DROP TABLE contacts;
DROP TABLE channels;
DROP TABLE bots;
DROP TABLE api_keys;
DROP TABLE workspaces;
