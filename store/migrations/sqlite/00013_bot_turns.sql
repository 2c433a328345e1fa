-- +goose Up
-- Every bot turn, whatever the engine, recorded with its outcome: the
-- intent and confidence, out of scope, handoff, the tools a model called
-- with their results (tool_calls, a JSON array), the model and the tokens
-- it spent, the error of a turn that ended in bot.error. They show a
-- conversation's turns (GET /conversations/{id}/turns) and serve
-- statistics by workspace and time. bot_id is not a reference: a bot's
-- turns outlive it in the statistics; a conversation's go with it.
CREATE TABLE bot_turns (
    id                TEXT NOT NULL PRIMARY KEY,
    workspace_id      TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    bot_id            TEXT NOT NULL,
    version           INTEGER NOT NULL,
    conversation_id   TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    message_id        TEXT NOT NULL,
    engine            TEXT NOT NULL,
    intent            TEXT NOT NULL,
    confidence        REAL NOT NULL,
    out_of_scope      INTEGER NOT NULL,
    handoff           INTEGER NOT NULL,
    tool_calls        TEXT NOT NULL,
    model             TEXT NOT NULL,
    prompt_tokens     INTEGER NOT NULL,
    completion_tokens INTEGER NOT NULL,
    replies           INTEGER NOT NULL,
    error             TEXT,
    created_at        TEXT NOT NULL
) STRICT;
CREATE INDEX bot_turns_workspace_created ON bot_turns (workspace_id, created_at);
CREATE INDEX bot_turns_conversation ON bot_turns (conversation_id, id);

-- +goose Down
DROP TABLE bot_turns;
