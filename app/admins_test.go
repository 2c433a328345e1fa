package app_test

import (
	"context"
	"testing"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/app"
	"github.com/switchboardhq/switchboard/store/pgtest"
)

// TestWorkspaceKeepsAnAdmin: the only admin of a workspace can be neither
// demoted nor deleted (409, nothing changed); once a second admin exists,
// either can go, and agents come and go freely. Admins of another
// workspace do not count.
func TestWorkspaceKeepsAnAdmin(t *testing.T) {
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
		agent := sb.Optional[string]{Set: true, Value: sb.RoleAgent}

		if _, err := s.UpdateUser(ctx, ws.ID, ada.ID, &app.UpdateUserParams{Role: agent}); sb.ErrorCode(err) != sb.EConflict {
			t.Fatalf("demoting the only admin: %v", err)
		}
		if err := s.DeleteUser(ctx, ws.ID, ada.ID); sb.ErrorCode(err) != sb.EConflict {
			t.Fatalf("deleting the only admin: %v", err)
		}
		if u, err := s.GetUser(ctx, ws.ID, ada.ID); err != nil || u.Role != sb.RoleAdmin {
			t.Fatalf("the only admin after the refusals: %v %+v", err, u)
		}
		// Other changes of the only admin are fine.
		if _, err := s.UpdateUser(ctx, ws.ID, ada.ID, &app.UpdateUserParams{Name: sb.Optional[string]{Set: true, Value: "Ada"},
			Role: sb.Optional[string]{Set: true, Value: sb.RoleAdmin}}); err != nil {
			t.Fatalf("renaming the only admin: %v", err)
		}

		if _, err := s.UpdateUser(ctx, ws.ID, grace.ID, &app.UpdateUserParams{Role: sb.Optional[string]{Set: true, Value: sb.RoleAdmin}}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.UpdateUser(ctx, ws.ID, ada.ID, &app.UpdateUserParams{Role: agent}); err != nil {
			t.Fatalf("demoting one of two admins: %v", err)
		}
		if err := s.DeleteUser(ctx, ws.ID, grace.ID); sb.ErrorCode(err) != sb.EConflict {
			t.Fatalf("deleting the admin left: %v", err)
		}
		if err := s.DeleteUser(ctx, ws.ID, ada.ID); err != nil {
			t.Fatalf("deleting an agent: %v", err)
		}
		if err := s.DeleteUser(ctx, ws.ID, "usr_nothing"); sb.ErrorCode(err) != sb.ENotFound {
			t.Fatalf("deleting a missing user: %v", err)
		}
	})
}
