package app_test

import (
	"context"
	"testing"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/app"
	"github.com/switchboardhq/switchboard/store/pgtest"
)

// TestExpireFact: a fact expired now is no longer read nor listed, keeps
// its id, text and source until purged, and cannot be expired twice; the
// workspace's own facts are listed apart, and asking for them with a
// subject is refused naming subject.
func TestExpireFact(t *testing.T) {
	pgtest.EachDatabase(t, func(t *testing.T, url string) {
		ctx := context.Background()
		db := pgtest.Open(t, url)
		ws := &sb.Workspace{Name: "acme"}
		must(t, db.CreateWorkspace(ctx, ws))
		s := app.New(app.Config{}, app.Deps{Store: db})
		text, email := "9 to 5", "ada@example.com"
		hours, _, err := s.PutFact(ctx, ws.ID, &app.PutFactParams{Key: "hours", Text: &text})
		must(t, err)
		_, _, err = s.PutFact(ctx, ws.ID, &app.PutFactParams{Key: "hours", Email: &email, Text: &text})
		must(t, err)

		list, err := s.ListFacts(ctx, ws.ID, app.FactListParams{WorkspaceOnly: true}, sb.Page{Limit: 10})
		must(t, err)
		if len(list) != 1 || list[0].ID != hours.ID {
			t.Fatalf("the workspace's facts: %v", list)
		}
		if _, err := s.ListFacts(ctx, ws.ID, app.FactListParams{WorkspaceOnly: true, Email: email}, sb.Page{Limit: 10}); !namesField(err, "subject") {
			t.Fatalf("workspace and email: %v", err)
		}

		expired, err := s.ExpireFact(ctx, ws.ID, hours.ID)
		must(t, err)
		if expired.ID != hours.ID || expired.ExpiresAt == nil || expired.Text != text || expired.Source != sb.FactSourceAPI {
			t.Fatalf("expired fact %+v", expired)
		}
		if _, err := s.GetFact(ctx, ws.ID, hours.ID); sb.ErrorCode(err) != sb.ENotFound {
			t.Fatalf("an expired fact is read: %v", err)
		}
		if list, _ := s.ListFacts(ctx, ws.ID, app.FactListParams{Key: "hours"}, sb.Page{Limit: 10}); len(list) != 1 || list[0].Email != email {
			t.Fatalf("facts after expiry: %v", list)
		}
		if _, err := s.ExpireFact(ctx, ws.ID, hours.ID); sb.ErrorCode(err) != sb.ENotFound {
			t.Fatalf("expired twice: %v", err)
		}
		if n, err := s.PurgeExpiredFacts(ctx); err != nil || n != 1 {
			t.Fatalf("purged %d (%v)", n, err)
		}
	})
}

func namesField(err error, field string) bool {
	e, ok := err.(*sb.Error)
	return ok && e.Code == sb.EInvalid && len(e.Fields) == 1 && e.Fields[0].Field == field
}
