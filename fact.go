package switchboard

import (
	"context"
	"encoding/json"
	"strings"
	"time"
)

// FactSourceAPI is the source of the facts written through the API; facts
// an integration keeps carry the integration's id instead.
const FactSourceAPI = "api"

// MaxFactKeyLen bounds the length of a fact's key.
const MaxFactKeyLen = 200

// Fact is a piece of knowledge that bot responses and integration templates
// can use ({{knowledge.KEY}}, {{knowledge.KEY.FIELD}}): a text, structured
// data, or both, under a key, about one subject. The subject is at most one
// of ContactID, Email and Phone (a fact about whoever has that email or
// phone, on any channel), or none (the whole workspace). A workspace has at
// most one fact per (key, subject). Emails are stored in lower case and
// phones as a "+" followed by digits (NormalizeEmail, NormalizePhone).
//
// A fact whose ExpiresAt has passed is never used, and is purged.
type Fact struct {
	ID          string          `json:"id"`
	WorkspaceID string          `json:"-"`
	Key         string          `json:"key"`
	ContactID   string          `json:"contact_id,omitempty"`
	Email       string          `json:"email,omitempty"`
	Phone       string          `json:"phone,omitempty"`
	Text        string          `json:"text"`
	Data        json.RawMessage `json:"data"` // a JSON object, or nil (null)
	Source      string          `json:"source"`
	ExpiresAt   *time.Time      `json:"expires_at,omitempty"`
	CreatedAt   time.Time       `json:"created_at"`
	UpdatedAt   time.Time       `json:"updated_at"`
	// AsOf is the time of the outside state the fact describes, when its
	// source says (a Shopify order's updated_at): UpsertFact does not
	// replace a fact with one that describes an older state, so a webhook
	// delivered late cannot undo a newer one. Nil for API facts.
	AsOf *time.Time `json:"-"`
}

// Expired reports whether the fact has expired at t.
func (f *Fact) Expired(t time.Time) bool {
	return f.ExpiresAt != nil && !f.ExpiresAt.After(t)
}

// FactSubject is whom a lookup of facts is for: a contact, with its email
// and phone (each may be empty). Facts of the contact win over facts of its
// email, which win over facts of its phone, which win over the workspace's.
type FactSubject struct {
	ContactID string
	Email     string
	Phone     string
}

// SubjectOf returns the subject of a contact's lookups (the workspace's
// alone for nil).
func SubjectOf(c *Contact) FactSubject {
	if c == nil {
		return FactSubject{}
	}
	return FactSubject{ContactID: c.ID, Email: NormalizeEmail(c.Email), Phone: NormalizePhone(c.Phone)}
}

// FactFilter narrows ListFacts; empty fields match all. ContactID, Email
// and Phone select the facts about that subject only (not the workspace's);
// Key matches exactly and KeyPrefix the keys that start with it. A non-zero
// LiveAt leaves out the facts expired at that time.
type FactFilter struct {
	Key       string
	KeyPrefix string
	ContactID string
	Email     string
	Phone     string
	Source    string
	LiveAt    time.Time
	// WorkspaceOnly selects the workspace's own facts (no subject).
	WorkspaceOnly bool
}

// FactQueries store knowledge facts.
type FactQueries interface {
	// UpsertFact stores f, replacing the fact with the same workspace, key
	// and subject if there is one (which keeps its id and creation time,
	// unless it had expired). Email and Phone are normalised first. It
	// returns the fact as stored and whether it is new. A ContactID of no
	// contact is EInvalid (callers check that it is of the workspace).
	UpsertFact(ctx context.Context, f *Fact) (stored *Fact, created bool, err error)
	// GetFact finds a fact of a workspace, expired or not.
	GetFact(ctx context.Context, workspaceID, id string) (*Fact, error)
	ListFacts(ctx context.Context, workspaceID string, f FactFilter, p Page) ([]*Fact, error)
	DeleteFact(ctx context.Context, workspaceID, id string) error
	// LookupFacts returns, for each of keys, the fact that answers for the
	// subject at time at: the unexpired fact of that key about the contact,
	// else its email, else its phone, else the workspace. Keys without such
	// a fact are absent from the map. It is one indexed query.
	LookupFacts(ctx context.Context, workspaceID string, keys []string, s FactSubject, at time.Time) (map[string]*Fact, error)
	// PurgeExpiredFacts deletes up to limit facts, of any workspace, that
	// expired before the given time, and returns how many it deleted.
	PurgeExpiredFacts(ctx context.Context, before time.Time, limit int) (int64, error)
}

// NormalizeEmail returns an email address as facts store it: trimmed and in
// lower case.
func NormalizeEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// NormalizePhone returns a phone number as facts store it: its digits after
// a "+" ("+1 (555) 010-9999" and "15550109999" are both "+15550109999"), or
// "" if it has no digit.
func NormalizePhone(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 1)
	b.WriteByte('+')
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= '0' && c <= '9' {
			b.WriteByte(c)
		}
	}
	if b.Len() == 1 {
		return ""
	}
	return b.String()
}

// ValidFactKey reports whether key can name a fact: 1 to MaxFactKeyLen
// characters among ASCII letters, digits, "_", "-" and ":", in segments
// separated by single dots ("order.latest", "product.blue-shirt").
func ValidFactKey(key string) bool {
	if key == "" || len(key) > MaxFactKeyLen {
		return false
	}
	for _, seg := range strings.Split(key, ".") {
		if !validKeySegment(seg) {
			return false
		}
	}
	return true
}

// validKeySegment reports whether s is a non-empty run of ASCII letters,
// digits, "_", "-" and ":".
func validKeySegment(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == ':') {
			return false
		}
	}
	return true
}
