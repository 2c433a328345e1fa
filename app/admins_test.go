package app_test

import (
	"context"
	"testing"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/app"
	"github.com/switchboardhq/switchboard/store/pgtest"
)

// TestAdminKeepsTheWorkspaceAnAdmin: the only admin of a workspace can
// neither demote nor delete themselves (409, nothing changed); once a
// second admin exists, they can; admins of another workspace do not
// count; an admin may still act on others, and a change made with an API
// key (no acting user) is not held to the rule.
func TestAdminKeepsTheWorkspaceAnAdmin(t *testing.T) {
	pgtest.EachDatabase(t, func(t *testing.T, url string) {
		ctx := context.Background()
		db := pgtest.Open(t, url)
		ws, other := &sb.Workspace{Name: "acme"}, &sb.Workspace{Name: "other"}
		must(t, db.CreateWorkspace(ctx, ws))
		must(t, db.CreateWorkspace(ctx, other))
		s := app.New(app.Config{}, app.Deps{Store: db})
		user := func(ws, email, role string) *sb.User {
			u, err := s.CreateUser(ctx, ws, &app.CreateUserParams{Email: email, Role: role, Password: "correct horse battery"})
			must(t, err)
			return u
		}
		ada := user(ws.ID, "ada@example.com", sb.RoleAdmin)
		grace := user(ws.ID, "grace@example.com", sb.RoleAgent)
		user(other.ID, "alan@example.com", sb.RoleAdmin)
		role := func(r string) *app.UpdateUserParams {
			return &app.UpdateUserParams{Role: sb.Optional[string]{Set: true, Value: r}}
		}

		if _, err := s.UpdateUserBy(ctx, ws.ID, ada.ID, ada.ID, role(sb.RoleAgent)); sb.ErrorCode(err) != sb.EConflict {
			t.Fatalf("the only admin demoting themselves: %v", err)
		}
		if err := s.DeleteUserBy(ctx, ws.ID, ada.ID, ada.ID); sb.ErrorCode(err) != sb.EConflict {
			t.Fatalf("the only admin deleting themselves: %v", err)
		}
		if u, err := s.GetUser(ctx, ws.ID, ada.ID); err != nil || u.Role != sb.RoleAdmin {
			t.Fatalf("the only admin after the refusals: %v %+v", err, u)
		}
		// Other changes of their own are fine, and so are changes to others.
		if _, err := s.UpdateUserBy(ctx, ws.ID, ada.ID, ada.ID, &app.UpdateUserParams{Name: sb.Optional[string]{Set: true, Value: "Ada"},
			Role: sb.Optional[string]{Set: true, Value: sb.RoleAdmin}}); err != nil {
			t.Fatalf("the only admin renaming themselves: %v", err)
		}
		if _, err := s.UpdateUserBy(ctx, ws.ID, ada.ID, grace.ID, role(sb.RoleAdmin)); err != nil {
			t.Fatal(err)
		}
		// Two admins: either may step down, not both.
		if _, err := s.UpdateUserBy(ctx, ws.ID, ada.ID, ada.ID, role(sb.RoleAgent)); err != nil {
			t.Fatalf("one of two admins stepping down: %v", err)
		}
		if err := s.DeleteUserBy(ctx, ws.ID, grace.ID, grace.ID); sb.ErrorCode(err) != sb.EConflict {
			t.Fatalf("the admin left deleting themselves: %v", err)
		}
		if err := s.DeleteUserBy(ctx, ws.ID, grace.ID, ada.ID); err != nil {
			t.Fatalf("an admin deleting an agent: %v", err)
		}
		if err := s.DeleteUserBy(ctx, ws.ID, grace.ID, "usr_nothing"); sb.ErrorCode(err) != sb.ENotFound {
			t.Fatalf("deleting a missing user: %v", err)
		}
		// With an API key no user acts: the key manages the workspace.
		if err := s.DeleteUser(ctx, ws.ID, grace.ID); err != nil {
			t.Fatalf("deleting the last admin user with an API key: %v", err)
		}
	})
}
