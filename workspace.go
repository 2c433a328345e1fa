package switchboard

import "time"

// DefaultWorkspace is the name of the workspace created on first start.
const DefaultWorkspace = "default"

// Workspace isolates one tenant: every resource belongs to exactly one.
type Workspace struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
}

// Scopes an API key or token can hold. ScopeAdmin implies all others within
// its workspace.
const (
	ScopeReadBots           = "read:bots"
	ScopeWriteBots          = "write:bots"
	ScopeReadChannels       = "read:channels"
	ScopeWriteChannels      = "write:channels"
	ScopeReadConversations  = "read:conversations"
	ScopeWriteConversations = "write:conversations"
	ScopeReadMessages       = "read:messages"
	ScopeWriteMessages      = "write:messages"
	ScopeReadWebhooks       = "read:webhooks"
	ScopeWriteWebhooks      = "write:webhooks"
	ScopeReadIntegrations   = "read:integrations"
	ScopeWriteIntegrations  = "write:integrations"
	ScopeReadKnowledge      = "read:knowledge"
	ScopeWriteKnowledge     = "write:knowledge"
	ScopeAdmin              = "admin"
)

// AllScopes lists every scope an operation of this build requires, in the
// order of the contract: the scopes an API key can be given.
var AllScopes = []string{
	ScopeReadBots, ScopeWriteBots, ScopeReadChannels, ScopeWriteChannels,
	ScopeReadConversations, ScopeWriteConversations, ScopeReadMessages, ScopeWriteMessages,
	ScopeReadWebhooks, ScopeWriteWebhooks, ScopeReadIntegrations, ScopeWriteIntegrations,
	ScopeReadKnowledge, ScopeWriteKnowledge,
	ScopeAdmin,
}

// ValidScope reports whether s is a known scope.
func ValidScope(s string) bool {
	for _, k := range AllScopes {
		if k == s {
			return true
		}
	}
	return false
}

// APIKeyPrefix starts every API key's secret value.
const APIKeyPrefix = "sbk_"

// APIKey is a long-lived credential of one workspace. Only the SHA-256 of its
// secret is stored; Prefix is the secret's first characters, kept so that a
// person can tell keys apart.
type APIKey struct {
	ID          string     `json:"id"`
	WorkspaceID string     `json:"-"`
	Name        string     `json:"name"`
	Prefix      string     `json:"prefix"`
	Scopes      []string   `json:"scopes"`
	CreatedAt   time.Time  `json:"created_at"`
	LastUsedAt  *time.Time `json:"last_used_at"`
	RevokedAt   *time.Time `json:"revoked_at"`
	Hash        []byte     `json:"-"`
}

// Allows reports whether the key grants scope.
func (k *APIKey) Allows(scope string) bool { return ScopesAllow(k.Scopes, scope) }

// ScopesAllow reports whether a set of granted scopes includes scope.
func ScopesAllow(granted []string, scope string) bool {
	for _, s := range granted {
		if s == scope || s == ScopeAdmin {
			return true
		}
	}
	return false
}
