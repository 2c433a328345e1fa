package app

import (
	"context"
	"net/mail"
	"strings"
	"time"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/auth"
)

// Lifetimes of dashboard credentials.
const (
	SessionTTL   = 12 * time.Hour
	SetupLinkTTL = time.Hour
)

// IdentityCache is told about deleted users and OAuth clients, so that
// their cached access tokens stop working at once. The key cache given in
// Deps.Keys implements it when the process verifies access tokens.
type IdentityCache interface {
	ForgetUser(userID string)
	ForgetClient(clientID string)
}

// CreateUserParams describe a new dashboard user.
type CreateUserParams struct {
	Email    string `json:"email"`
	Name     string `json:"name"`
	Role     string `json:"role"`
	Password string `json:"password"`
}

// UpdateUserParams change a user; absent fields stay.
type UpdateUserParams struct {
	Email    sb.Optional[string] `json:"email"`
	Name     sb.Optional[string] `json:"name"`
	Role     sb.Optional[string] `json:"role"`
	Password sb.Optional[string] `json:"password"`
}

func checkEmail(v *sb.Validation, email string) {
	a, err := mail.ParseAddress(email)
	if err != nil || a.Address != email || len(email) > 254 {
		v.Add("email", "must be an email address like name@example.com")
	}
}

func checkPassword(v *sb.Validation, pw string) {
	if len(pw) < auth.MinPasswordLength || len(pw) > 1024 {
		v.Addf("password", "must be %d to 1024 characters", auth.MinPasswordLength)
	}
}

func checkRole(v *sb.Validation, role string) {
	if !sb.ValidRole(role) {
		v.Addf("role", "must be %s or %s", sb.RoleAdmin, sb.RoleAgent)
	}
}

func checkUserName(v *sb.Validation, name string) {
	if len(name) > 200 {
		v.Add("name", "is at most 200 characters")
	}
}

// ValidateUser checks a new user's fields.
func ValidateUser(req *CreateUserParams) error {
	var v sb.Validation
	req.Email = strings.ToLower(strings.TrimSpace(req.Email))
	checkEmail(&v, req.Email)
	checkUserName(&v, req.Name)
	checkRole(&v, req.Role)
	checkPassword(&v, req.Password)
	return v.Err()
}

// ListUsers returns a page of the workspace's users.
func (s *Service) ListUsers(ctx context.Context, ws string, p sb.Page) ([]*sb.User, error) {
	return s.store.ListUsers(ctx, ws, p)
}

// GetUser returns one user.
func (s *Service) GetUser(ctx context.Context, ws, id string) (*sb.User, error) {
	return s.store.GetUser(ctx, ws, id)
}

// CreateUser creates a user; the password is kept only as an argon2id
// hash. An email already used (in any workspace) is a conflict.
func (s *Service) CreateUser(ctx context.Context, ws string, req *CreateUserParams) (*sb.User, error) {
	if err := ValidateUser(req); err != nil {
		return nil, err
	}
	u := &sb.User{ID: sb.NewID(sb.PrefixUser), WorkspaceID: ws, Email: req.Email, Name: req.Name, Role: req.Role,
		PasswordHash: auth.HashPassword(req.Password), CreatedAt: s.now()}
	return u, s.write(ctx, func(q sb.Queries) error { return q.CreateUser(ctx, u) })
}

// UpdateUser changes a user's email, name, role or password. A changed
// role applies to their access tokens at once.
func (s *Service) UpdateUser(ctx context.Context, ws, id string, req *UpdateUserParams) (*sb.User, error) {
	return s.updateUser(ctx, ws, "", id, req)
}

// UpdateUserBy is UpdateUser on behalf of the signed-in user actor (the
// dashboard's admin): an admin cannot take the admin role from
// themselves when no other admin of the workspace remains (keepAnAdmin).
func (s *Service) UpdateUserBy(ctx context.Context, ws, actor, id string, req *UpdateUserParams) (*sb.User, error) {
	return s.updateUser(ctx, ws, actor, id, req)
}

func (s *Service) updateUser(ctx context.Context, ws, actor, id string, req *UpdateUserParams) (*sb.User, error) {
	var v sb.Validation
	if req.Email.Set {
		req.Email.Value = strings.ToLower(strings.TrimSpace(req.Email.Value))
		checkEmail(&v, req.Email.Value)
	}
	if req.Name.Set {
		checkUserName(&v, req.Name.Value)
	}
	if req.Role.Set {
		checkRole(&v, req.Role.Value)
	}
	hash := ""
	if req.Password.Set {
		checkPassword(&v, req.Password.Value)
		if v.Err() == nil {
			hash = auth.HashPassword(req.Password.Value)
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	u, err := writeResult(ctx, s, func(q sb.Queries) (*sb.User, error) {
		u, err := q.GetUser(ctx, ws, id)
		if err != nil {
			return nil, err
		}
		if req.Email.Set {
			u.Email = req.Email.Value
		}
		if req.Name.Set {
			u.Name = req.Name.Value
		}
		if req.Role.Set {
			if actor == id && u.Role == sb.RoleAdmin && req.Role.Value != sb.RoleAdmin {
				if err := keepAnAdmin(ctx, q, ws, id); err != nil {
					return nil, err
				}
			}
			u.Role = req.Role.Value
		}
		if hash != "" {
			u.PasswordHash = hash
		}
		return u, q.UpdateUser(ctx, u)
	})
	if err != nil {
		return nil, err
	}
	s.forgetUser(id)
	return u, nil
}

// DeleteUser deletes a user: their dashboard sessions and access tokens
// stop working at once.
func (s *Service) DeleteUser(ctx context.Context, ws, id string) error {
	return s.deleteUser(ctx, ws, "", id)
}

// DeleteUserBy is DeleteUser on behalf of the signed-in user actor (the
// dashboard's admin): an admin cannot delete themselves when no other
// admin of the workspace remains (keepAnAdmin).
func (s *Service) DeleteUserBy(ctx context.Context, ws, actor, id string) error {
	return s.deleteUser(ctx, ws, actor, id)
}

func (s *Service) deleteUser(ctx context.Context, ws, actor, id string) error {
	err := s.write(ctx, func(q sb.Queries) error {
		u, err := q.GetUser(ctx, ws, id)
		if err != nil {
			return err
		}
		if actor == id && u.Role == sb.RoleAdmin {
			if err := keepAnAdmin(ctx, q, ws, id); err != nil {
				return err
			}
		}
		return q.DeleteUser(ctx, ws, id)
	})
	if err != nil {
		return err
	}
	s.forgetUser(id)
	return nil
}

func (s *Service) forgetUser(id string) {
	if c, ok := s.keys.(IdentityCache); ok {
		c.ForgetUser(id)
	}
}

var errSignIn = sb.Errorf(sb.EUnauthorized, "The email or the password is wrong.")

// SignIn checks an email and password. An unknown email and a wrong
// password get the same error after the same work (a password hash is
// checked either way), so that the answer tells nothing of who has an
// account.
func (s *Service) SignIn(ctx context.Context, email, password string) (*sb.User, error) {
	u, err := s.store.GetUserByEmail(ctx, strings.TrimSpace(email))
	if sb.ErrorCode(err) == sb.ENotFound {
		auth.CheckNoUser(password)
		return nil, errSignIn
	} else if err != nil {
		return nil, err
	}
	if !auth.CheckPassword(u.PasswordHash, password) {
		return nil, errSignIn
	}
	now := s.now()
	if err := s.write(ctx, func(q sb.Queries) error { return q.TouchUserLogin(ctx, u.ID, now) }); err != nil {
		return nil, err
	}
	u.LastLoginAt = &now
	return u, nil
}

// StartSession opens a dashboard session for a signed-in user and returns
// the cookie value (shown once; only its hash is stored).
func (s *Service) StartSession(ctx context.Context, u *sb.User) (string, *sb.DashboardSession, error) {
	cookie := auth.RandomToken()
	sess := &sb.DashboardSession{Hash: auth.Hash(cookie), UserID: u.ID, WorkspaceID: u.WorkspaceID,
		CSRFToken: auth.RandomToken(), CreatedAt: s.now(), ExpiresAt: s.now().Add(SessionTTL)}
	if err := s.write(ctx, func(q sb.Queries) error { return q.CreateDashboardSession(ctx, sess) }); err != nil {
		return "", nil, err
	}
	return cookie, sess, nil
}

// Session returns the session of a cookie and its user; ENotFound if the
// session ended, expired, or its user was deleted.
func (s *Service) Session(ctx context.Context, cookie string) (*sb.DashboardSession, *sb.User, error) {
	sess, err := s.store.GetDashboardSession(ctx, auth.Hash(cookie))
	if err != nil {
		return nil, nil, err
	}
	u, err := s.store.GetUser(ctx, sess.WorkspaceID, sess.UserID)
	if err != nil {
		return nil, nil, err
	}
	return sess, u, nil
}

// EndSession signs a browser out: its session record is erased.
func (s *Service) EndSession(ctx context.Context, cookie string) error {
	return s.write(ctx, func(q sb.Queries) error { return q.DeleteDashboardSession(ctx, auth.Hash(cookie)) })
}

// CreateSetupLink returns a new one-time setup token if no user exists
// ("" otherwise). It works once, for SetupLinkTTL.
func (s *Service) CreateSetupLink(ctx context.Context) (string, error) {
	n, err := s.store.CountUsers(ctx)
	if err != nil || n > 0 {
		return "", err
	}
	token := auth.RandomToken()
	t := &sb.SetupToken{Hash: auth.Hash(token), CreatedAt: s.now(), ExpiresAt: s.now().Add(SetupLinkTTL)}
	return token, s.write(ctx, func(q sb.Queries) error { return q.CreateSetupToken(ctx, t) })
}

// SetupAdmin creates the first admin of a fresh install in the workspace
// ws with a setup token: the token works once, before it expires, and
// only while no user exists.
func (s *Service) SetupAdmin(ctx context.Context, ws, token string, req *CreateUserParams) (*sb.User, error) {
	req.Role = sb.RoleAdmin
	if err := ValidateUser(req); err != nil {
		return nil, err
	}
	hash := auth.HashPassword(req.Password)
	return writeResult(ctx, s, func(q sb.Queries) (*sb.User, error) {
		if err := q.UseSetupToken(ctx, auth.Hash(token), s.now()); sb.ErrorCode(err) == sb.ENotFound {
			return nil, sb.Errorf(sb.EForbidden, "This setup link has been used or has expired. Restart the server without users to get a new one.")
		} else if err != nil {
			return nil, err
		}
		if n, err := q.CountUsers(ctx); err != nil {
			return nil, err
		} else if n > 0 {
			return nil, sb.Errorf(sb.EForbidden, "An admin already exists: sign in instead.")
		}
		u := &sb.User{ID: sb.NewID(sb.PrefixUser), WorkspaceID: ws, Email: req.Email, Name: req.Name, Role: sb.RoleAdmin,
			PasswordHash: hash, CreatedAt: s.now()}
		return u, q.CreateUser(ctx, u)
	})
}
