-- +goose Up
-- The time of the outside state a fact describes (a Shopify order's
-- updated_at), when its source says: a fact is not replaced by one that
-- describes an older state, so a webhook delivered late cannot undo a newer
-- one. NULL for facts written through the API.
ALTER TABLE facts ADD COLUMN as_of TIMESTAMPTZ;

-- +goose Down
ALTER TABLE facts DROP COLUMN as_of;
