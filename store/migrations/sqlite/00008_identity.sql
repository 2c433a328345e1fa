-- Users, dashboard sessions, the setup link, OAuth 2.0 clients and tokens,
-- and the keys that sign JWT access tokens. It mirrors
-- ../postgres/00008_identity.sql column for column.
--
-- Deletion rules:
--   * deleting a user erases their dashboard sessions and every OAuth token
--     issued to them, so that they stop working at once;
--   * deleting an OAuth client erases every token issued to it;
--   * oauth_tokens keeps the signature of each token, never the token.

-- +goose Up
CREATE TABLE users (
    id            TEXT NOT NULL PRIMARY KEY,
    workspace_id  TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    email         TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    role          TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    last_login_at TEXT
) STRICT;
CREATE INDEX users_workspace_id ON users (workspace_id, id);

CREATE TABLE dashboard_sessions (
    hash         BLOB NOT NULL PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    workspace_id TEXT NOT NULL,
    csrf_token   TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    expires_at   TEXT NOT NULL
) STRICT;
CREATE INDEX dashboard_sessions_user_id ON dashboard_sessions (user_id);

CREATE TABLE setup_tokens (
    hash       BLOB NOT NULL PRIMARY KEY,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at    TEXT
) STRICT;

CREATE TABLE oauth_clients (
    id            TEXT NOT NULL PRIMARY KEY,
    workspace_id  TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    redirect_uris TEXT NOT NULL,
    grant_types   TEXT NOT NULL,
    scopes        TEXT NOT NULL,
    confidential  INTEGER NOT NULL,
    secret_hash   BLOB,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
) STRICT;
CREATE INDEX oauth_clients_workspace_id ON oauth_clients (workspace_id, id);

CREATE TABLE oauth_tokens (
    kind         TEXT NOT NULL,
    signature    TEXT NOT NULL,
    request_id   TEXT NOT NULL,
    client_id    TEXT NOT NULL REFERENCES oauth_clients (id) ON DELETE CASCADE,
    workspace_id TEXT NOT NULL,
    user_id      TEXT REFERENCES users (id) ON DELETE CASCADE,
    active       INTEGER NOT NULL,
    request      BLOB NOT NULL,
    created_at   TEXT NOT NULL,
    expires_at   TEXT NOT NULL,
    PRIMARY KEY (kind, signature)
) STRICT;
CREATE INDEX oauth_tokens_request_id ON oauth_tokens (request_id);
CREATE INDEX oauth_tokens_client_id ON oauth_tokens (client_id);
CREATE INDEX oauth_tokens_user_id ON oauth_tokens (user_id);
CREATE INDEX oauth_tokens_expires_at ON oauth_tokens (expires_at);

CREATE TABLE signing_keys (
    id          TEXT NOT NULL PRIMARY KEY,
    algorithm   TEXT NOT NULL,
    private_key BLOB NOT NULL,
    public_jwk  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    retired_at  TEXT
) STRICT;
-- A handful of rows, but the reads and the retirement go through the index.
CREATE INDEX signing_keys_retired_at ON signing_keys (retired_at);

-- +goose Down
DROP TABLE signing_keys;
DROP TABLE oauth_tokens;
DROP TABLE oauth_clients;
DROP TABLE setup_tokens;
DROP TABLE dashboard_sessions;
DROP TABLE users;
