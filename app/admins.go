package app

import (
	"context"

	sb "github.com/switchboardhq/switchboard"
)

// errLastAdmin refuses a change that would leave a workspace without an
// admin: nobody could manage it any more (users, keys, channels) short of
// the command line.
var errLastAdmin = sb.Errorf(sb.EConflict, "This is the workspace's only admin: make another user admin first, "+
	"so that someone can still manage the workspace.")

// keepAnAdmin checks, in the transaction of a change that takes the admin
// role from user id (a new role, or deletion), that another admin of the
// workspace remains.
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
