package store

import (
	"context"
	"time"

	"github.com/switchboardhq/switchboard"
)

const idempotencyCols = "scope, key, request_hash, status, header, body, created_at"

func scanIdempotencyRecord(s scanner) (*switchboard.IdempotencyRecord, error) {
	r := &switchboard.IdempotencyRecord{Header: map[string]string{}}
	err := s.Scan(&r.Scope, &r.Key, &r.RequestHash, &r.Status, jsonCol{&r.Header}, &r.Body, timeCol{&r.CreatedAt})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// CreateIdempotencyRecord stores a record, unique per (scope, key).
func (q *queries) CreateIdempotencyRecord(ctx context.Context, r *switchboard.IdempotencyRecord) error {
	r.CreatedAt = q.stamp(r.CreatedAt)
	r.Header = orEmpty(r.Header)
	header, err := encodeJSON(r.Header, "{}")
	if err != nil {
		return err
	}
	return q.insert(ctx, "idempotency record",
		`INSERT INTO idempotency_records (`+idempotencyCols+`) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		r.Scope, r.Key, r.RequestHash, r.Status, header, blob(r.Body), q.t(r.CreatedAt))
}

// GetIdempotencyRecord finds the record of a key.
func (q *queries) GetIdempotencyRecord(ctx context.Context, scope, key string) (*switchboard.IdempotencyRecord, error) {
	return getOne(ctx, q, "idempotency record", scanIdempotencyRecord,
		`SELECT `+idempotencyCols+` FROM idempotency_records WHERE scope = ? AND key = ?`, scope, key)
}

// CompleteIdempotencyRecord stores the response (status, header, body) of a
// record.
func (q *queries) CompleteIdempotencyRecord(ctx context.Context, r *switchboard.IdempotencyRecord) error {
	r.Header = orEmpty(r.Header)
	header, err := encodeJSON(r.Header, "{}")
	if err != nil {
		return err
	}
	return q.change(ctx, "complete", "idempotency record",
		`UPDATE idempotency_records SET status = ?, header = ?, body = ? WHERE scope = ? AND key = ?`,
		r.Status, header, blob(r.Body), r.Scope, r.Key)
}

// DeleteIdempotencyRecord deletes the record of a key.
func (q *queries) DeleteIdempotencyRecord(ctx context.Context, scope, key string) error {
	return q.change(ctx, "delete", "idempotency record",
		`DELETE FROM idempotency_records WHERE scope = ? AND key = ?`, scope, key)
}

// DeleteIdempotencyRecordsBefore purges the records created before t and
// returns how many there were.
func (q *queries) DeleteIdempotencyRecordsBefore(ctx context.Context, t time.Time) (int64, error) {
	return q.changeN(ctx, "purge", "idempotency record",
		`DELETE FROM idempotency_records WHERE created_at < ?`, q.bound(t))
}

// blob encodes a byte slice for a nullable BLOB/BYTEA column: nil is NULL.
func blob(b []byte) any {
	if b == nil {
		return nil
	}
	return b
}
