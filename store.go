package switchboard

import (
	"context"
	"time"
)

// Page selects one page of a list, newest first: at most Limit items whose
// ids sort before After ("" for the first page). Stores return up to Limit+1
// items so that callers can tell whether a next page exists.
type Page struct {
	Limit int
	After string
}

// Rendered is an item of a list as the API shows it: its JSON document,
// equal to what encoding/json makes of the item, but written by the
// database, so that reading a page does not scan each column of each row
// into Go to encode it again. ID is the item's id, for the page's cursor.
type Rendered struct {
	ID   string
	JSON string
}

// ConversationFilter narrows ListConversations; empty fields match all.
type ConversationFilter struct {
	Status    string
	ChannelID string
	ContactID string
	BotID     string
}

// ContactFilter narrows ListContacts; empty fields match all.
type ContactFilter struct {
	ChannelID string
}

// EventFilter narrows ListEvents; zero fields match all. Type may be an exact
// type or a prefix filter ending in "*".
type EventFilter struct {
	Type  string
	Since time.Time
}

// IdempotencyRecord remembers the response to a POST carrying an
// Idempotency-Key. A record with Status 0 is in progress.
type IdempotencyRecord struct {
	Scope       string // the credential (API key id) the key belongs to
	Key         string
	RequestHash string // hash of method, path and body
	Status      int
	Header      map[string]string
	Body        []byte
	CreatedAt   time.Time
}

// Sealer encrypts secrets at rest. Stores seal every Secrets map before
// writing it and open it after reading.
type Sealer interface {
	Seal(plaintext []byte) ([]byte, error)
	Open(ciphertext []byte) ([]byte, error)
}

// Store persists Switchboard's state. Each method of Queries called on the
// Store runs on its own; Tx runs a function with a Queries whose methods all
// share one transaction, committed if fn returns nil and rolled back otherwise.
//
// Errors: a missing row is ENotFound; a uniqueness violation is EConflict;
// anything else is internal.
type Store interface {
	Queries
	Tx(ctx context.Context, fn func(q Queries) error) error
	Ping(ctx context.Context) error
	Close() error
}

// Queries are the operations on stored state, grouped by area. Methods that
// take a workspace id find nothing in other workspaces. List methods return
// up to Page.Limit+1 items, newest first. A package that needs a few of
// them declares its own interface with those (consumers name what they
// use); Queries is what a transaction offers.
type Queries interface {
	WorkspaceQueries
	APIKeyQueries
	BotQueries
	BotVersionQueries
	ChannelQueries
	ContactQueries
	ConversationQueries
	MessageQueries
	EventQueries
	IntegrationQueries
	IdempotencyQueries
	WebhookQueries
	JobQueries
	FactQueries
	UserQueries
	OAuthQueries
	InboxQueries
	TurnQueries
	OverviewQueries
	// AfterCommit runs fn after the transaction of these Queries commits
	// (at once outside a transaction; never if it rolls back). Work that
	// must start only once its rows are visible, like handing new deliveries
	// to the dispatcher, registers here.
	AfterCommit(fn func())
}

// WorkspaceQueries store workspaces.
type WorkspaceQueries interface {
	CreateWorkspace(ctx context.Context, w *Workspace) error
	GetWorkspace(ctx context.Context, id string) (*Workspace, error)
	GetWorkspaceByName(ctx context.Context, name string) (*Workspace, error)
}

// APIKeyQueries store API keys (their secrets only as SHA-256 hashes).
type APIKeyQueries interface {
	CreateAPIKey(ctx context.Context, k *APIKey) error
	// GetAPIKeyByHash finds a key by the SHA-256 of its secret, revoked or not.
	GetAPIKeyByHash(ctx context.Context, hash []byte) (*APIKey, error)
	GetAPIKey(ctx context.Context, workspaceID, id string) (*APIKey, error)
	ListAPIKeys(ctx context.Context, workspaceID string, p Page) ([]*APIKey, error)
	RevokeAPIKey(ctx context.Context, workspaceID, id string, at time.Time) error
	TouchAPIKey(ctx context.Context, id string, at time.Time) error
}

// BotQueries store bots.
type BotQueries interface {
	CreateBot(ctx context.Context, b *Bot) error
	GetBot(ctx context.Context, workspaceID, id string) (*Bot, error)
	ListBots(ctx context.Context, workspaceID string, p Page) ([]*Bot, error)
	UpdateBot(ctx context.Context, b *Bot) error
	DeleteBot(ctx context.Context, workspaceID, id string) error
}

// ChannelQueries store channels.
type ChannelQueries interface {
	CreateChannel(ctx context.Context, c *Channel) error
	GetChannel(ctx context.Context, workspaceID, id string) (*Channel, error)
	// GetChannelByID finds a channel in any workspace (for inbound hooks,
	// which carry no credentials but the platform's signature).
	GetChannelByID(ctx context.Context, id string) (*Channel, error)
	ListChannels(ctx context.Context, workspaceID string, p Page) ([]*Channel, error)
	UpdateChannel(ctx context.Context, c *Channel) error
	DeleteChannel(ctx context.Context, workspaceID, id string) error
}

// ContactQueries store contacts.
type ContactQueries interface {
	// CreateContact fails with EConflict if the channel already has a contact
	// with the same external id.
	CreateContact(ctx context.Context, c *Contact) error
	GetContact(ctx context.Context, workspaceID, id string) (*Contact, error)
	// HoldContact is GetContact for a read-modify-write: in a transaction
	// on PostgreSQL it holds the row until the transaction ends (FOR
	// UPDATE), so that another process's change in between is never
	// undone. SQLite's write transactions already take turns.
	HoldContact(ctx context.Context, workspaceID, id string) (*Contact, error)
	GetContactByExternalID(ctx context.Context, channelID, externalID string) (*Contact, error)
	ListContacts(ctx context.Context, workspaceID string, f ContactFilter, p Page) ([]*Contact, error)
	UpdateContact(ctx context.Context, c *Contact) error
}

// ConversationQueries store conversations.
type ConversationQueries interface {
	CreateConversation(ctx context.Context, c *Conversation) error
	GetConversation(ctx context.Context, workspaceID, id string) (*Conversation, error)
	// HoldConversation is GetConversation for a read-modify-write, holding
	// the row as HoldContact does.
	HoldConversation(ctx context.Context, workspaceID, id string) (*Conversation, error)
	// GetConversationStatus returns a conversation's status and last
	// activity only.
	GetConversationStatus(ctx context.Context, workspaceID, id string) (status string, lastActivity time.Time, err error)
	ListConversations(ctx context.Context, workspaceID string, f ConversationFilter, p Page) ([]*Conversation, error)
	// RenderConversations is ListConversations with each conversation as the
	// API shows it.
	RenderConversations(ctx context.Context, workspaceID string, f ConversationFilter, p Page) ([]Rendered, error)
	// FindOpenConversation returns the newest conversation of the contact on
	// the channel that has not ended.
	FindOpenConversation(ctx context.Context, channelID, contactID string) (*Conversation, error)
	// ListIdleConversations returns up to limit open conversations whose last
	// activity is before the given time, oldest first.
	ListIdleConversations(ctx context.Context, before time.Time, limit int) ([]*Conversation, error)
	UpdateConversation(ctx context.Context, c *Conversation) error
	// DeleteConversation erases the conversation and all its messages.
	DeleteConversation(ctx context.Context, workspaceID, id string) error
}

// MessageQueries store messages.
type MessageQueries interface {
	// CreateMessage fails with EConflict if the message has an external id
	// and the channel already has a message with the same direction and
	// external id.
	CreateMessage(ctx context.Context, m *Message) error
	GetMessage(ctx context.Context, workspaceID, conversationID, id string) (*Message, error)
	GetMessageByExternalID(ctx context.Context, channelID, direction, externalID string) (*Message, error)
	ListMessages(ctx context.Context, workspaceID, conversationID string, p Page) ([]*Message, error)
	// RenderMessages is ListMessages with each message as the API shows it.
	RenderMessages(ctx context.Context, workspaceID, conversationID string, p Page) ([]Rendered, error)
	UpdateMessage(ctx context.Context, m *Message) error
}

// EventQueries store events.
type EventQueries interface {
	CreateEvent(ctx context.Context, e *Event) error
	GetEvent(ctx context.Context, workspaceID, id string) (*Event, error)
	ListEvents(ctx context.Context, workspaceID string, f EventFilter, p Page) ([]*Event, error)
	// RenderEvents is ListEvents with each event as the API shows it.
	RenderEvents(ctx context.Context, workspaceID string, f EventFilter, p Page) ([]Rendered, error)
}

// IdempotencyQueries keep the responses of POSTs that carry an Idempotency-Key.
type IdempotencyQueries interface {
	// CreateIdempotencyRecord fails with EConflict if (scope, key) exists.
	CreateIdempotencyRecord(ctx context.Context, r *IdempotencyRecord) error
	GetIdempotencyRecord(ctx context.Context, scope, key string) (*IdempotencyRecord, error)
	// CompleteIdempotencyRecord stores the response of an in-progress record.
	CompleteIdempotencyRecord(ctx context.Context, r *IdempotencyRecord) error
	DeleteIdempotencyRecord(ctx context.Context, scope, key string) error
	// DeleteIdempotencyRecordsBefore purges records created before t.
	DeleteIdempotencyRecordsBefore(ctx context.Context, t time.Time) (int64, error)
}
