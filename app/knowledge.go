package app

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"time"
	"unicode/utf8"

	sb "github.com/switchboardhq/switchboard"
)

// Limits of a fact written through the API.
const (
	MaxFactTextLen  = 4096     // characters
	MaxFactDataSize = 64 << 10 // bytes of JSON
)

// PutFactParams are a fact to write. Its key and subject (at most one of
// contact_id, email and phone; none for the whole workspace) name it: a
// fact with the same key and subject is replaced. Text, data or both are
// required; without expires_at the fact does not expire.
type PutFactParams struct {
	Key       string          `json:"key"`
	ContactID *string         `json:"contact_id"`
	Email     *string         `json:"email"`
	Phone     *string         `json:"phone"`
	Text      *string         `json:"text"`
	Data      json.RawMessage `json:"data"`
	ExpiresAt *string         `json:"expires_at"`
}

// FactListParams filter the list of facts; empty fields match all. Key is
// a key, or a prefix of keys followed by "*" ("order.*").
type FactListParams struct {
	Key       string
	ContactID string
	Email     string
	Phone     string
	Source    string
	// WorkspaceOnly selects the facts about the whole workspace; with a
	// contact, email or phone it is invalid.
	WorkspaceOnly bool
}

// ListFacts returns a page of the workspace's unexpired facts.
func (s *Service) ListFacts(ctx context.Context, ws string, req FactListParams, p sb.Page) ([]*sb.Fact, error) {
	f := sb.FactFilter{ContactID: req.ContactID, Email: req.Email, Phone: req.Phone, Source: req.Source, LiveAt: s.now(),
		WorkspaceOnly: req.WorkspaceOnly}
	if req.WorkspaceOnly && (req.ContactID != "" || req.Email != "" || req.Phone != "") {
		return nil, sb.Invalid("subject", "is either the workspace or one contact, email or phone, not both")
	}
	if prefix, ok := strings.CutSuffix(req.Key, "*"); ok {
		if prefix != "" && !sb.ValidFactKey(strings.TrimSuffix(prefix, ".")) {
			return nil, sb.Invalid("key", `must be a key, or the start of keys followed by "*" (order.*)`)
		}
		f.KeyPrefix = prefix
	} else if req.Key != "" {
		if !sb.ValidFactKey(req.Key) {
			return nil, sb.Invalid("key", keyRule)
		}
		f.Key = req.Key
	}
	return s.store.ListFacts(ctx, ws, f, p)
}

// GetFact returns one unexpired fact.
func (s *Service) GetFact(ctx context.Context, ws, id string) (*sb.Fact, error) {
	f, err := s.store.GetFact(ctx, ws, id)
	if err != nil {
		return nil, err
	}
	if f.Expired(s.now()) {
		return nil, sb.ErrNotFound("fact")
	}
	return f, nil
}

// PutFact writes a fact from the API (source "api"), replacing the fact
// with the same key and subject, and reports whether it is new.
func (s *Service) PutFact(ctx context.Context, ws string, req *PutFactParams) (*sb.Fact, bool, error) {
	f, err := s.factFromParams(ws, req)
	if err != nil {
		return nil, false, err
	}
	type result struct {
		fact    *sb.Fact
		created bool
	}
	res, err := writeResult(ctx, s, func(q sb.Queries) (result, error) {
		if f.ContactID != "" {
			if _, err := q.GetContact(ctx, ws, f.ContactID); sb.ErrorCode(err) == sb.ENotFound {
				return result{}, sb.Invalid("contact_id", "is not a contact of this workspace")
			} else if err != nil {
				return result{}, err
			}
		}
		in := *f // the store fills in what it stores; each run starts afresh
		stored, created, err := q.UpsertFact(ctx, &in)
		return result{stored, created}, err
	})
	return res.fact, res.created, err
}

// DeleteFact deletes an unexpired fact.
func (s *Service) DeleteFact(ctx context.Context, ws, id string) error {
	return s.write(ctx, func(q sb.Queries) error {
		f, err := q.GetFact(ctx, ws, id)
		if err != nil {
			return err
		}
		if f.Expired(s.now()) {
			return sb.ErrNotFound("fact")
		}
		return q.DeleteFact(ctx, ws, id)
	})
}

// purgeBatch is how many expired facts one transaction deletes.
const purgeBatch = 500

// PurgeExpiredFacts deletes the facts of every workspace that have expired,
// a batch per transaction, and returns how many it deleted. Expired facts
// are never used even before they are purged; purging reclaims their room.
func (s *Service) PurgeExpiredFacts(ctx context.Context) (int64, error) {
	now := s.now()
	return s.purge(ctx, func(q sb.Queries) (int64, error) { return q.PurgeExpiredFacts(ctx, now, purgeBatch) })
}

// purge runs one batch of a purge per write until a batch deletes fewer
// than purgeBatch rows, and returns how many rows went.
func (s *Service) purge(ctx context.Context, batch func(q sb.Queries) (int64, error)) (int64, error) {
	var total int64
	for {
		var n int64
		err := s.write(ctx, func(q sb.Queries) error {
			var err error
			n, err = batch(q)
			return err
		})
		total += n
		if err != nil || n < purgeBatch {
			return total, err
		}
	}
}

// keyRule says what a fact's key is.
const keyRule = `must be 1 to 200 characters: letters, digits, "_", "-" and ":", in parts separated by single dots (order.latest)`

// factFromParams validates a fact written through the API.
func (s *Service) factFromParams(ws string, req *PutFactParams) (*sb.Fact, error) {
	var v sb.Validation
	f := &sb.Fact{WorkspaceID: ws, Key: req.Key, Source: sb.FactSourceAPI}
	if req.Key == "" {
		v.Add("key", "is required")
	} else if !sb.ValidFactKey(req.Key) {
		v.Add("key", keyRule)
	}

	subjects := 0
	if c := deref(req.ContactID); c != "" {
		subjects++
		if !sb.HasPrefix(c, sb.PrefixContact) {
			v.Add("contact_id", "must be a contact id (ct_…)")
		}
		f.ContactID = c
	}
	if e := deref(req.Email); e != "" {
		subjects++
		if !validEmail(e) {
			v.Add("email", "must be an email address")
		}
		f.Email = sb.NormalizeEmail(e)
	}
	if p := deref(req.Phone); p != "" {
		subjects++
		if !validPhone(p) || sb.NormalizePhone(p) == "" {
			v.Add("phone", "must be a phone number, like +15551234567")
		}
		f.Phone = sb.NormalizePhone(p)
	}
	if subjects > 1 {
		v.Add("contact_id", "a fact is about at most one subject: give one of contact_id, email and phone, or none for the whole workspace")
	}

	f.Text = deref(req.Text)
	if utf8.RuneCountInString(f.Text) > MaxFactTextLen {
		v.Addf("text", "must be at most %d characters", MaxFactTextLen)
	}
	if data := bytes.TrimSpace(req.Data); len(data) > 0 && string(data) != "null" {
		switch {
		case data[0] != '{':
			v.Add("data", "must be a JSON object")
		case len(data) > MaxFactDataSize:
			v.Addf("data", "must be at most %d bytes of JSON", MaxFactDataSize)
		default:
			f.Data = json.RawMessage(data)
		}
	} else if f.Text == "" {
		v.Add("text", "is required when there is no data: a fact holds a text, data or both")
	}

	if e := deref(req.ExpiresAt); e != "" {
		t, err := time.Parse(time.RFC3339, e)
		switch {
		case err != nil:
			v.Add("expires_at", "must be an RFC 3339 time, like 2026-01-15T10:30:00Z")
		case !t.After(s.now()):
			v.Add("expires_at", "must be in the future")
		default:
			t = t.UTC()
			f.ExpiresAt = &t
		}
	}
	return f, v.Err()
}

// deref returns *p, or "" for nil.
func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
