-- Users, dashboard sessions, the setup link, OAuth 2.0 clients and tokens,
-- and the keys that sign JWT access tokens. It mirrors
-- ../sqlite/00008_identity.sql column for column.
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
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL,
    last_login_at TIMESTAMPTZ
);
CREATE INDEX users_workspace_id ON users (workspace_id, id);

CREATE TABLE dashboard_sessions (
    hash         BYTEA NOT NULL PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    workspace_id TEXT NOT NULL,
    csrf_token   TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    expires_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX dashboard_sessions_user_id ON dashboard_sessions (user_id);

CREATE TABLE setup_tokens (
    hash       BYTEA NOT NULL PRIMARY KEY,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    used_at    TIMESTAMPTZ
);

CREATE TABLE oauth_clients (
    id            TEXT NOT NULL PRIMARY KEY,
    workspace_id  TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    redirect_uris JSONB NOT NULL,
    grant_types   JSONB NOT NULL,
    scopes        JSONB NOT NULL,
    confidential  INTEGER NOT NULL,
    secret_hash   BYTEA,
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX oauth_clients_workspace_id ON oauth_clients (workspace_id, id);

CREATE TABLE oauth_tokens (
    kind         TEXT NOT NULL,
    signature    TEXT NOT NULL,
    request_id   TEXT NOT NULL,
    client_id    TEXT NOT NULL REFERENCES oauth_clients (id) ON DELETE CASCADE,
    workspace_id TEXT NOT NULL,
    user_id      TEXT REFERENCES users (id) ON DELETE CASCADE,
    active       INTEGER NOT NULL,
    request      BYTEA NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    expires_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (kind, signature)
);
CREATE INDEX oauth_tokens_request_id ON oauth_tokens (request_id);
CREATE INDEX oauth_tokens_client_id ON oauth_tokens (client_id);
CREATE INDEX oauth_tokens_user_id ON oauth_tokens (user_id);
CREATE INDEX oauth_tokens_expires_at ON oauth_tokens (expires_at);

CREATE TABLE signing_keys (
    id          TEXT NOT NULL PRIMARY KEY,
    algorithm   TEXT NOT NULL,
    private_key BYTEA NOT NULL,
    public_jwk  JSONB NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    retired_at  TIMESTAMPTZ
);
-- A handful of rows, but the reads and the retirement go through the index.
CREATE INDEX signing_keys_retired_at ON signing_keys (retired_at);

-- +goose Down
DROP TABLE signing_keys;
DROP TABLE oauth_tokens;
DROP TABLE oauth_clients;
DROP TABLE setup_tokens;
DROP TABLE dashboard_sessions;
DROP TABLE users;
