-- Indexes of the dashboard's overview, SQLite flavour (mirrors
-- ../postgres/00014_overview.sql).
--
-- conversations_workspace_ended finds the conversations that ended in a
-- time range (bot containment) without reading every ended conversation of
-- the workspace (with their ids, which is all the count needs of them); an
-- ended_at is written once per conversation.
--
-- events_handoffs holds the conversation.updated events that handed a
-- conversation off to agents (status set to handoff), by conversation: the
-- only record of a handoff once the conversation has moved on. It is
-- partial, so the other events only cost the check of their type.

-- +goose Up
CREATE INDEX conversations_workspace_ended ON conversations (workspace_id, ended_at, id) WHERE ended_at IS NOT NULL;
CREATE INDEX events_handoffs ON events (workspace_id, json_extract(data, '$.conversation.id'), created_at)
    WHERE type = 'conversation.updated' AND json_extract(data, '$.changes.field') = 'status'
      AND json_extract(data, '$.changes.new_value') = 'handoff';

-- +goose Down
DROP INDEX events_handoffs;
DROP INDEX conversations_workspace_ended;
