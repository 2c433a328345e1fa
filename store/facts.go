package store

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/switchboardhq/switchboard"
)

const factCols = "id, workspace_id, key, subject, contact_id, email, phone, text, data, source, expires_at, created_at, updated_at, as_of"

// Subjects of facts as the subject column encodes them; the workspace's is
// the empty string.
const (
	subjectContact = "contact:"
	subjectEmail   = "email:"
	subjectPhone   = "phone:"
)

func scanFact(s scanner) (*switchboard.Fact, error) {
	f := &switchboard.Fact{}
	var subject string
	var contactID *string
	err := s.Scan(&f.ID, &f.WorkspaceID, &f.Key, &subject, &contactID, &f.Email, &f.Phone, &f.Text,
		rawCol{&f.Data}, &f.Source, nullTimeCol{&f.ExpiresAt}, timeCol{&f.CreatedAt}, timeCol{&f.UpdatedAt}, nullTimeCol{&f.AsOf})
	if err != nil {
		return nil, err
	}
	if contactID != nil {
		f.ContactID = *contactID
	}
	return f, nil
}

// factSubject normalises the subject fields of f and returns the subject
// column's value; more than one subject is invalid.
func factSubject(f *switchboard.Fact) (string, error) {
	var v switchboard.Validation
	if f.Email != "" {
		f.Email = switchboard.NormalizeEmail(f.Email)
	}
	if f.Phone != "" {
		if f.Phone = switchboard.NormalizePhone(f.Phone); f.Phone == "" {
			v.Add("phone", "must contain digits")
		}
	}
	n, subject := 0, ""
	for _, s := range []struct{ prefix, value string }{
		{subjectContact, f.ContactID}, {subjectEmail, f.Email}, {subjectPhone, f.Phone},
	} {
		if s.value != "" {
			n, subject = n+1, s.prefix+s.value
		}
	}
	if n > 1 {
		v.Add("contact_id", "a fact has at most one subject: contact_id, email or phone")
	}
	return subject, v.Err()
}

// UpsertFact inserts f, or replaces the text, data, source and expiry of
// the fact with the same (workspace, subject, key). The replaced fact keeps
// its id and creation time unless it had expired, in which case it is
// replaced as a new fact would be.
func (q *queries) UpsertFact(ctx context.Context, f *switchboard.Fact) (*switchboard.Fact, bool, error) {
	subject, err := factSubject(f)
	if err != nil {
		return nil, false, err
	}
	data, err := encodeRaw(f.Data, "")
	if err != nil {
		return nil, false, err
	}
	if f.ID == "" {
		f.ID = switchboard.NewID(switchboard.PrefixFact)
	}
	now := q.now()
	f.CreatedAt, f.UpdatedAt, f.ExpiresAt = now, now, normPtr(f.ExpiresAt)
	var contactID *string
	if f.ContactID != "" {
		contactID = &f.ContactID
	}
	f.AsOf = normPtr(f.AsOf)
	const replaced = `facts.expires_at IS NOT NULL AND facts.expires_at <= ?`
	// A fact describing an older state than the stored one (both with
	// as_of) leaves it as it is, unless the stored one has expired.
	stored, err := getOne(ctx, q.writes(), "fact", scanFact,
		`INSERT INTO facts (`+factCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		 ON CONFLICT (workspace_id, subject, key) DO UPDATE SET
		   id = CASE WHEN `+replaced+` THEN excluded.id ELSE facts.id END,
		   created_at = CASE WHEN `+replaced+` THEN excluded.created_at ELSE facts.created_at END,
		   text = excluded.text, data = excluded.data, source = excluded.source,
		   expires_at = excluded.expires_at, updated_at = excluded.updated_at, as_of = excluded.as_of
		 WHERE excluded.as_of IS NULL OR facts.as_of IS NULL OR excluded.as_of >= facts.as_of OR `+replaced+`
		 RETURNING `+factCols,
		f.ID, f.WorkspaceID, f.Key, subject, contactID, f.Email, f.Phone, f.Text, data, f.Source,
		q.tp(f.ExpiresAt), q.t(f.CreatedAt), q.t(f.UpdatedAt), q.tp(f.AsOf), q.t(now), q.t(now), q.t(now))
	if switchboard.ErrorCode(err) == switchboard.ENotFound {
		// Not replaced: the stored fact describes a newer state.
		older, gerr := getOne(ctx, q.writes(), "fact", scanFact,
			`SELECT `+factCols+` FROM facts WHERE workspace_id = ? AND subject = ? AND key = ?`, f.WorkspaceID, subject, f.Key)
		return older, false, gerr
	}
	if err != nil {
		return nil, false, err
	}
	return stored, stored.ID == f.ID, nil
}

// GetFact finds a fact of a workspace.
func (q *queries) GetFact(ctx context.Context, workspaceID, id string) (*switchboard.Fact, error) {
	return getOne(ctx, q, "fact", scanFact,
		`SELECT `+factCols+` FROM facts WHERE workspace_id = ? AND id = ?`, workspaceID, id)
}

// ListFacts lists the facts of a workspace, newest first.
func (q *queries) ListFacts(ctx context.Context, workspaceID string, f switchboard.FactFilter, p switchboard.Page) ([]*switchboard.Fact, error) {
	var w where
	w.and("workspace_id = ?", workspaceID)
	w.eq("key", f.Key)
	if f.KeyPrefix != "" {
		// Not LIKE, which ignores case on SQLite: keys are case-sensitive.
		w.and("substr(key, 1, ?) = ?", len(f.KeyPrefix), f.KeyPrefix)
	}
	if f.ContactID != "" {
		w.and("subject = ?", subjectContact+f.ContactID)
	}
	if f.Email != "" {
		w.and("subject = ?", subjectEmail+switchboard.NormalizeEmail(f.Email))
	}
	if f.Phone != "" {
		w.and("subject = ?", subjectPhone+switchboard.NormalizePhone(f.Phone))
	}
	if f.WorkspaceOnly {
		w.and("subject = ?", "")
	}
	w.eq("source", f.Source)
	if !f.LiveAt.IsZero() {
		w.and("(expires_at IS NULL OR expires_at > ?)", q.t(f.LiveAt))
	}
	return getMany(ctx, q, "fact", scanFact, w.page(factCols, "facts", p), w.args...)
}

// DeleteFact deletes a fact of a workspace.
func (q *queries) DeleteFact(ctx context.Context, workspaceID, id string) error {
	return q.change(ctx, "delete", "fact", `DELETE FROM facts WHERE workspace_id = ? AND id = ?`, workspaceID, id)
}

// LookupFacts reads the unexpired facts of the keys about the subject, its
// email, its phone and the workspace in one query on the unique index, and
// keeps for each key the fact of the most specific subject.
func (q *queries) LookupFacts(ctx context.Context, workspaceID string, keys []string, s switchboard.FactSubject, at time.Time) (map[string]*switchboard.Fact, error) {
	out := map[string]*switchboard.Fact{}
	if len(keys) == 0 {
		return out, nil
	}
	subjects := []any{""}
	if s.ContactID != "" {
		subjects = append(subjects, subjectContact+s.ContactID)
	}
	if e := switchboard.NormalizeEmail(s.Email); e != "" {
		subjects = append(subjects, subjectEmail+e)
	}
	if p := switchboard.NormalizePhone(s.Phone); p != "" {
		subjects = append(subjects, subjectPhone+p)
	}
	args := append([]any{workspaceID}, subjects...)
	seen := make(map[string]bool, len(keys))
	for _, k := range keys {
		if !seen[k] {
			seen[k] = true
			args = append(args, k)
		}
	}
	args = append(args, q.t(at))
	facts, err := getMany(ctx, q, "fact", scanFact, lookupFactsQuery(len(subjects), len(seen)), args...)
	if err != nil {
		return nil, err
	}
	for _, f := range facts {
		if prev, ok := out[f.Key]; !ok || factRank(f) < factRank(prev) {
			out[f.Key] = f
		}
	}
	return out, nil
}

// lookupFactsQuery reads the unexpired facts of nKeys keys about
// nSubjects subjects: arguments workspace, subjects, keys, time.
func lookupFactsQuery(nSubjects, nKeys int) string {
	return `SELECT ` + factCols + ` FROM facts WHERE workspace_id = ? AND subject IN (` + marks(nSubjects) + `)
		 AND key IN (` + marks(nKeys) + `) AND (expires_at IS NULL OR expires_at > ?)`
}

// factRank orders the subjects of facts, most specific first.
func factRank(f *switchboard.Fact) int {
	switch {
	case f.ContactID != "":
		return 0
	case f.Email != "":
		return 1
	case f.Phone != "":
		return 2
	}
	return 3
}

// marks returns n comma-separated placeholders.
func marks(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// PurgeExpiredFacts deletes up to n facts that expired before the given
// time, oldest expiry first.
func (q *queries) PurgeExpiredFacts(ctx context.Context, before time.Time, n int) (int64, error) {
	if n <= 0 {
		return 0, nil
	}
	return q.changeN(ctx, "purge", "fact",
		`DELETE FROM facts WHERE id IN (SELECT id FROM facts WHERE expires_at IS NOT NULL AND expires_at < ?
		 ORDER BY expires_at LIMIT `+strconv.Itoa(n)+`)`, q.bound(before))
}
