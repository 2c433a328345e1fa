-- The last message of a conversation in one direction (the pipeline asks
-- for the last inbound message, to reply in its thread, each time a message
-- is queued) is found through this index; without it, a conversation of
-- outbound messages only was scanned whole on every send.

-- +goose Up
CREATE INDEX messages_conversation_direction ON messages (conversation_id, direction, id);

-- +goose Down
DROP INDEX messages_conversation_direction;
