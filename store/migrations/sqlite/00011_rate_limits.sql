-- +goose Up
-- Token buckets of the API's rate limits shared by every process on one
-- PostgreSQL database (store/ratelimits.go). Processes take tokens in
-- small batches, so a bucket row is written once every few requests.
-- On SQLite (one process) the buckets stay in memory and this table is
-- not used.
CREATE TABLE rate_limits (
    name TEXT PRIMARY KEY,
    tokens REAL NOT NULL,
    updated_at REAL NOT NULL, -- unix seconds
    taken INTEGER NOT NULL -- the tokens of the last take
);

-- +goose Down
DROP TABLE rate_limits;
