package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/switchboardhq/switchboard"
)

// The response of an idempotency record (its header and body) is what the
// first request answered, and for the creations of API keys, webhook
// endpoints and channels that answer carries a new secret (sbk_…, whsec_…,
// a generated channel secret). It is therefore sealed at rest with the
// Sealer, like the Secrets maps: the header column stays "{}" and the body
// column holds the sealed JSON envelope {"header":…,"body":…}. The scope,
// key, request hash, status and creation time stay in the clear, as the
// lookups and the purge need them. An in-progress record (status 0) has no
// response and stores NULL.
//
// Records written before responses were sealed held them in plain text.
// Migration 00005 deletes every completed record of that time instead of
// converting them (SQL cannot seal, and they expire after 24 hours anyway):
// a repeat of such a request runs again rather than being replayed. Records
// still in progress then carry no response and are completed sealed. A
// completed record whose body does not open (sealed under another master
// key) is an error, never answered as if it were plain.
const idempotencyCols = "scope, key, request_hash, status, header, body, created_at"

// idempotencyResponse is the sealed part of a record.
type idempotencyResponse struct {
	Header map[string]string `json:"header"`
	Body   []byte            `json:"body"`
}

func (q *queries) scanIdempotencyRecord(s scanner) (*switchboard.IdempotencyRecord, error) {
	r := &switchboard.IdempotencyRecord{Header: map[string]string{}}
	var header map[string]string // "{}": the header is in the sealed body
	var sealed []byte
	err := s.Scan(&r.Scope, &r.Key, &r.RequestHash, &r.Status, jsonCol{&header}, &sealed, timeCol{&r.CreatedAt})
	if err != nil {
		return nil, err
	}
	if len(sealed) == 0 {
		return r, nil
	}
	if q.sealer == nil {
		return nil, errors.New("store: no sealer configured to open an idempotent response")
	}
	plain, err := q.sealer.Open(sealed)
	if err != nil {
		return nil, fmt.Errorf("store: open idempotent response: %w", err)
	}
	var resp idempotencyResponse
	if err := json.Unmarshal(plain, &resp); err != nil {
		return nil, fmt.Errorf("store: decode idempotent response: %w", err)
	}
	r.Header, r.Body = orEmpty(resp.Header), resp.Body
	return r, nil
}

// sealResponse seals the header and body of a record; a record without a
// response (in progress) is NULL.
func (q *queries) sealResponse(r *switchboard.IdempotencyRecord) (any, error) {
	r.Header = orEmpty(r.Header)
	if r.Status == 0 && len(r.Header) == 0 && r.Body == nil {
		return nil, nil
	}
	if q.sealer == nil {
		return nil, errors.New("store: no sealer configured to seal an idempotent response")
	}
	plain, err := json.Marshal(idempotencyResponse{Header: r.Header, Body: r.Body})
	if err != nil {
		return nil, fmt.Errorf("store: encode idempotent response: %w", err)
	}
	sealed, err := q.sealer.Seal(plain)
	if err != nil {
		return nil, fmt.Errorf("store: seal idempotent response: %w", err)
	}
	return sealed, nil
}

// CreateIdempotencyRecord stores a record, unique per (scope, key).
func (q *queries) CreateIdempotencyRecord(ctx context.Context, r *switchboard.IdempotencyRecord) error {
	r.CreatedAt = q.stamp(r.CreatedAt)
	sealed, err := q.sealResponse(r)
	if err != nil {
		return err
	}
	return q.insert(ctx, "idempotency record",
		`INSERT INTO idempotency_records (`+idempotencyCols+`) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		r.Scope, r.Key, r.RequestHash, r.Status, "{}", sealed, q.t(r.CreatedAt))
}

// GetIdempotencyRecord finds the record of a key.
func (q *queries) GetIdempotencyRecord(ctx context.Context, scope, key string) (*switchboard.IdempotencyRecord, error) {
	return getOne(ctx, q, "idempotency record", q.scanIdempotencyRecord,
		`SELECT `+idempotencyCols+` FROM idempotency_records WHERE scope = ? AND key = ?`, scope, key)
}

// CompleteIdempotencyRecord stores the response (status, header, body) of a
// record, sealed.
func (q *queries) CompleteIdempotencyRecord(ctx context.Context, r *switchboard.IdempotencyRecord) error {
	sealed, err := q.sealResponse(r)
	if err != nil {
		return err
	}
	return q.change(ctx, "complete", "idempotency record",
		`UPDATE idempotency_records SET status = ?, header = ?, body = ? WHERE scope = ? AND key = ?`,
		r.Status, "{}", sealed, r.Scope, r.Key)
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
