-- +goose Up
-- The inbox: where each dashboard user last read each conversation (the
-- newest message they were shown), for the unread counts; and the order
-- of the inbox, newest activity first.
CREATE TABLE conversation_reads (
    user_id         TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    workspace_id    TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    message_id      TEXT NOT NULL,
    read_at         TEXT NOT NULL,
    PRIMARY KEY (user_id, conversation_id)
) STRICT;
CREATE INDEX conversation_reads_conversation_id ON conversation_reads (conversation_id);
CREATE INDEX conversations_workspace_activity ON conversations (workspace_id, last_activity_at, id);

-- +goose Down
DROP INDEX conversations_workspace_activity;
DROP TABLE conversation_reads;
