-- The responses of idempotency records are sealed with the master key from
-- now on (store/idempotency.go): they carry the new secrets of the
-- creations that answered them (API keys, webhook signing secrets,
-- generated channel secrets). The records completed before held them in
-- plain text; they are deleted rather than kept for the rest of their
-- 24 hours (a repeat of one of those requests runs again). Records in
-- progress hold no response and stay. secure_delete overwrites the deleted
-- rows with zeros, so that their text is not left in the file's free pages.

-- +goose Up
PRAGMA secure_delete = ON;
DELETE FROM idempotency_records WHERE status <> 0 OR body IS NOT NULL;
PRAGMA secure_delete = OFF;

-- +goose Down
DELETE FROM idempotency_records WHERE status <> 0 OR body IS NOT NULL;
