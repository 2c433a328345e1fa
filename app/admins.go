package app

import (
	"context"

	sb "github.com/switchboardhq/switchboard"
)

// errLastAdmin refuses an admin's change to themselves that would leave
// their workspace without an admin user: nobody could sign in to manage
// it (users, keys, channels) short of the command line or an admin API
// key.
var errLastAdmin = sb.Errorf(sb.EConflict, "You are the workspace's only admin: make another user admin first, "+
	"so that someone can still manage the workspace.")

// keepAnAdmin checks, in the transaction of an admin's change that takes
// the admin role from themselves (user id: a new role, or deletion), that
// another admin of the workspace remains. Changes made with an API key
// are not held to it: no user acts, and the key itself manages the
// workspace.
func keepAnAdmin(ctx context.Context, q sb.Queries, ws, id string) error {
	p := sb.Page{Limit: 200}
	for {
		users, err := q.ListUsers(ctx, ws, p)
		if err != nil {
			return err
		}
		for _, u := range users {
			if u.Role == sb.RoleAdmin && u.ID != id {
				return nil
			}
		}
		if len(users) < p.Limit {
			return errLastAdmin
		}
		p.After = users[len(users)-1].ID
	}
}
