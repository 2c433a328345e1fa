-- Bots are trained into numbered versions and answer with the one deployed.
-- bots keeps the draft (config, secrets, status) and gains deployed_version
-- (NULL until the first deploy) and training (a JSON document: the state of
-- the last training). bot_versions holds each version's configuration and
-- secrets as they were trained, the engine's model (read only when a turn
-- needs it) and its metrics. Bots that existed before answered with their
-- configuration in any status: each becomes version 1, deployed, so that it
-- keeps answering.

-- +goose Up
ALTER TABLE bots ADD COLUMN deployed_version INTEGER;
ALTER TABLE bots ADD COLUMN training JSONB;

CREATE TABLE bot_versions (
    bot_id       TEXT NOT NULL REFERENCES bots (id) ON DELETE CASCADE,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    version      INTEGER NOT NULL,
    engine       TEXT NOT NULL,
    config       JSONB NOT NULL,
    secrets      BYTEA,
    model        BYTEA,
    model_size   INTEGER NOT NULL,
    metrics      JSONB NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    deployed_at  TIMESTAMPTZ,
    PRIMARY KEY (bot_id, version)
);

INSERT INTO bot_versions (bot_id, workspace_id, version, engine, config, secrets, model, model_size, metrics, created_at, deployed_at)
SELECT id, workspace_id, 1, engine, config, secrets, NULL, 0, '{}', updated_at, updated_at FROM bots;
UPDATE bots SET version = 1, deployed_version = 1, status = 'deployed';

-- +goose Down
DROP TABLE bot_versions;
ALTER TABLE bots DROP COLUMN training;
ALTER TABLE bots DROP COLUMN deployed_version;
