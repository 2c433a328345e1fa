package store

import (
	"context"
	"strings"
	"time"

	"github.com/switchboardhq/switchboard"
)

const userCols = "id, workspace_id, email, name, role, password_hash, created_at, updated_at, last_login_at"

func scanUser(s scanner) (*switchboard.User, error) {
	u := new(switchboard.User)
	err := s.Scan(&u.ID, &u.WorkspaceID, &u.Email, &u.Name, &u.Role, &u.PasswordHash,
		timeCol{&u.CreatedAt}, timeCol{&u.UpdatedAt}, nullTimeCol{&u.LastLoginAt})
	if err != nil {
		return nil, err
	}
	return u, nil
}

// CreateUser stores a new user; the email, kept in lower case, is unique
// across workspaces.
func (q *queries) CreateUser(ctx context.Context, u *switchboard.User) error {
	if u.ID == "" {
		u.ID = switchboard.NewID(switchboard.PrefixUser)
	}
	u.Email = strings.ToLower(u.Email)
	u.CreatedAt = q.stamp(u.CreatedAt)
	u.UpdatedAt = u.CreatedAt
	u.LastLoginAt = normPtr(u.LastLoginAt)
	return q.insert(ctx, "user",
		`INSERT INTO users (`+userCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		u.ID, u.WorkspaceID, u.Email, u.Name, u.Role, u.PasswordHash, q.t(u.CreatedAt), q.t(u.UpdatedAt), q.tp(u.LastLoginAt))
}

// GetUser finds a user of a workspace.
func (q *queries) GetUser(ctx context.Context, workspaceID, id string) (*switchboard.User, error) {
	return getOne(ctx, q, "user", scanUser,
		`SELECT `+userCols+` FROM users WHERE workspace_id = ? AND id = ?`, workspaceID, id)
}

// GetUserByID finds a user in any workspace.
func (q *queries) GetUserByID(ctx context.Context, id string) (*switchboard.User, error) {
	return getOne(ctx, q, "user", scanUser, `SELECT `+userCols+` FROM users WHERE id = ?`, id)
}

// GetUserByEmail finds a user by email, in any workspace, ignoring case.
func (q *queries) GetUserByEmail(ctx context.Context, email string) (*switchboard.User, error) {
	return getOne(ctx, q, "user", scanUser,
		`SELECT `+userCols+` FROM users WHERE email = ?`, strings.ToLower(email))
}

// ListUsers lists the users of a workspace, newest first.
func (q *queries) ListUsers(ctx context.Context, workspaceID string, p switchboard.Page) ([]*switchboard.User, error) {
	var w where
	w.and("workspace_id = ?", workspaceID)
	return getMany(ctx, q, "user", scanUser, w.page(userCols, "users", p), w.args...)
}

// UpdateUser saves the email, name, role and password hash of a user.
func (q *queries) UpdateUser(ctx context.Context, u *switchboard.User) error {
	u.Email = strings.ToLower(u.Email)
	u.UpdatedAt = q.now()
	return q.change(ctx, "update", "user",
		`UPDATE users SET email = ?, name = ?, role = ?, password_hash = ?, updated_at = ? WHERE workspace_id = ? AND id = ?`,
		u.Email, u.Name, u.Role, u.PasswordHash, q.t(u.UpdatedAt), u.WorkspaceID, u.ID)
}

// DeleteUser erases a user; their sessions and tokens go with them.
func (q *queries) DeleteUser(ctx context.Context, workspaceID, id string) error {
	return q.change(ctx, "delete", "user", `DELETE FROM users WHERE workspace_id = ? AND id = ?`, workspaceID, id)
}

// CountUsers counts the users of every workspace.
func (q *queries) CountUsers(ctx context.Context) (int, error) {
	var n int
	err := q.r.QueryRowContext(ctx, q.sql(`SELECT COUNT(*) FROM users`)).Scan(&n)
	return n, translate(err, "count", "user")
}

// TouchUserLogin records a sign-in.
func (q *queries) TouchUserLogin(ctx context.Context, id string, at time.Time) error {
	return q.change(ctx, "touch", "user", `UPDATE users SET last_login_at = ? WHERE id = ?`, q.t(q.stamp(at)), id)
}

const sessionCols = "hash, user_id, workspace_id, csrf_token, created_at, expires_at"

func scanSession(s scanner) (*switchboard.DashboardSession, error) {
	d := new(switchboard.DashboardSession)
	if err := s.Scan(&d.Hash, &d.UserID, &d.WorkspaceID, &d.CSRFToken, timeCol{&d.CreatedAt}, timeCol{&d.ExpiresAt}); err != nil {
		return nil, err
	}
	return d, nil
}

// CreateDashboardSession stores a signed-in browser's session.
func (q *queries) CreateDashboardSession(ctx context.Context, d *switchboard.DashboardSession) error {
	d.CreatedAt = q.stamp(d.CreatedAt)
	d.ExpiresAt = norm(d.ExpiresAt)
	return q.insert(ctx, "session",
		`INSERT INTO dashboard_sessions (`+sessionCols+`) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		d.Hash, d.UserID, d.WorkspaceID, d.CSRFToken, q.t(d.CreatedAt), q.t(d.ExpiresAt))
}

// GetDashboardSession finds a session that has not expired.
func (q *queries) GetDashboardSession(ctx context.Context, hash []byte) (*switchboard.DashboardSession, error) {
	return getOne(ctx, q, "session", scanSession,
		`SELECT `+sessionCols+` FROM dashboard_sessions WHERE hash = ? AND expires_at > ?`, hash, q.bound(q.clock.Now()))
}

// DeleteDashboardSession ends a session.
func (q *queries) DeleteDashboardSession(ctx context.Context, hash []byte) error {
	_, err := q.changeN(ctx, "delete", "session", `DELETE FROM dashboard_sessions WHERE hash = ?`, hash)
	return err
}

// CreateSetupToken stores a one-time setup link.
func (q *queries) CreateSetupToken(ctx context.Context, t *switchboard.SetupToken) error {
	t.CreatedAt = q.stamp(t.CreatedAt)
	t.ExpiresAt = norm(t.ExpiresAt)
	return q.insert(ctx, "setup token",
		`INSERT INTO setup_tokens (hash, created_at, expires_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
		t.Hash, q.t(t.CreatedAt), q.t(t.ExpiresAt))
}

// UseSetupToken consumes a setup token once, before it expires.
func (q *queries) UseSetupToken(ctx context.Context, hash []byte, at time.Time) error {
	return q.change(ctx, "use", "setup token",
		`UPDATE setup_tokens SET used_at = ? WHERE hash = ? AND used_at IS NULL AND expires_at > ?`,
		q.t(q.stamp(at)), hash, q.bound(at))
}
