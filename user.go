package switchboard

import (
	"context"
	"time"
)

// PrefixUser starts the id of a dashboard user.
const PrefixUser = "usr"

// Roles of a user in their workspace. An agent sees and answers
// conversations; an admin manages everything in the workspace.
const (
	RoleAdmin = "admin"
	RoleAgent = "agent"
)

// AgentScopes are the rights of a user with the role agent: reading and
// answering conversations. A token issued for an agent never holds more.
var AgentScopes = []string{ScopeReadConversations, ScopeWriteConversations, ScopeReadMessages, ScopeWriteMessages}

// RoleScopes returns the scopes a role may hold (nil for an unknown role).
func RoleScopes(role string) []string {
	switch role {
	case RoleAdmin:
		return []string{ScopeAdmin}
	case RoleAgent:
		return AgentScopes
	}
	return nil
}

// ValidRole reports whether r is a role.
func ValidRole(r string) bool { return r == RoleAdmin || r == RoleAgent }

// User is a person who signs in to the dashboard. Emails are unique across
// workspaces (the sign-in form asks for no workspace) and stored in lower
// case. Only an argon2id hash of the password is kept.
type User struct {
	ID           string     `json:"id"`
	WorkspaceID  string     `json:"-"`
	Email        string     `json:"email"`
	Name         string     `json:"name"`
	Role         string     `json:"role"`
	CreatedAt    time.Time  `json:"created_at"`
	UpdatedAt    time.Time  `json:"updated_at"`
	LastLoginAt  *time.Time `json:"last_login_at"`
	PasswordHash string     `json:"-"`
}

// Scopes are the rights of the user's role.
func (u *User) Scopes() []string { return RoleScopes(u.Role) }

// DashboardSession is a signed-in browser. The cookie carries a random
// value; only its SHA-256 is stored, with the CSRF token of the session's
// forms.
type DashboardSession struct {
	Hash        []byte
	UserID      string
	WorkspaceID string
	CSRFToken   string
	CreatedAt   time.Time
	ExpiresAt   time.Time
}

// SetupToken is the one-time link that creates the first admin of a fresh
// install. Only its SHA-256 is stored.
type SetupToken struct {
	Hash      []byte
	CreatedAt time.Time
	ExpiresAt time.Time
}

// UserQueries store users, their dashboard sessions and the setup links.
type UserQueries interface {
	// CreateUser fails with EConflict if the email is taken (in any
	// workspace).
	CreateUser(ctx context.Context, u *User) error
	GetUser(ctx context.Context, workspaceID, id string) (*User, error)
	// GetUserByID finds a user in any workspace.
	GetUserByID(ctx context.Context, id string) (*User, error)
	GetUserByEmail(ctx context.Context, email string) (*User, error)
	ListUsers(ctx context.Context, workspaceID string, p Page) ([]*User, error)
	UpdateUser(ctx context.Context, u *User) error
	// DeleteUser erases a user with their dashboard sessions and every
	// OAuth token issued to them.
	DeleteUser(ctx context.Context, workspaceID, id string) error
	// CountUsers counts the users of every workspace.
	CountUsers(ctx context.Context) (int, error)
	TouchUserLogin(ctx context.Context, id string, at time.Time) error

	CreateDashboardSession(ctx context.Context, s *DashboardSession) error
	// GetDashboardSession finds a session by the hash of its cookie; an
	// expired one is ENotFound.
	GetDashboardSession(ctx context.Context, hash []byte) (*DashboardSession, error)
	DeleteDashboardSession(ctx context.Context, hash []byte) error

	CreateSetupToken(ctx context.Context, t *SetupToken) error
	// UseSetupToken consumes a setup token that has not expired: it works
	// once; ENotFound otherwise.
	UseSetupToken(ctx context.Context, hash []byte, at time.Time) error
}
