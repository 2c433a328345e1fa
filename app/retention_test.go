package app_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/app"
	"github.com/switchboardhq/switchboard/internal/testclock"
	"github.com/switchboardhq/switchboard/store/pgtest"
)

// TestPurgeIntegrationHistory: finished runs older than the retention go;
// processed hooks stay at least HookRetentionFloor, so that a system's
// late repeat of a delivery is still recognised.
func TestPurgeIntegrationHistory(t *testing.T) {
	pgtest.EachDatabase(t, func(t *testing.T, url string) {
		ctx := context.Background()
		db := pgtest.Open(t, url)
		ws := &sb.Workspace{Name: "acme"}
		must(t, db.CreateWorkspace(ctx, ws))
		now := time.Now().UTC()
		in := &sb.Integration{ID: sb.NewID(sb.PrefixIntegration), WorkspaceID: ws.ID, Type: "http", Name: "crm",
			Status: "connected", Config: map[string]any{}, CreatedAt: now, UpdatedAt: now}
		must(t, db.CreateIntegration(ctx, in))
		run := &sb.Run{ID: sb.NewID(sb.PrefixRun), WorkspaceID: ws.ID, IntegrationID: in.ID, Action: "request",
			Status: sb.RunSucceeded, Trigger: "api", Params: json.RawMessage(`{}`), IdempotencyKey: "k", CreatedAt: now, UpdatedAt: now}
		must(t, db.CreateRun(ctx, run))
		hook := &sb.IntegrationHook{ID: sb.NewID(sb.PrefixIntegrationHook), WorkspaceID: ws.ID, IntegrationID: in.ID,
			DeliveryID: "d1", Topic: "orders/updated", Body: json.RawMessage(`{}`), ReceivedAt: now}
		must(t, db.CreateIntegrationHook(ctx, hook))
		must(t, db.MarkIntegrationHookProcessed(ctx, ws.ID, hook.ID, now))

		clock := testclock.New(now.Add(2 * time.Hour))
		svc := app.New(app.Config{}, app.Deps{Store: db, Clock: clock})
		if n, err := svc.PurgeIntegrationHistory(ctx, time.Hour); err != nil || n != 1 {
			t.Fatalf("purged %d (%v), want the run only", n, err)
		}
		if _, err := db.GetRun(ctx, ws.ID, run.ID); sb.ErrorCode(err) != sb.ENotFound {
			t.Fatalf("the run outlived its retention: %v", err)
		}
		if _, err := db.GetIntegrationHook(ctx, ws.ID, hook.ID); err != nil {
			t.Fatalf("the hook went before %s: %v", app.HookRetentionFloor, err)
		}
		clock.Advance(app.HookRetentionFloor)
		if n, err := svc.PurgeIntegrationHistory(ctx, time.Hour); err != nil || n != 1 {
			t.Fatalf("purged %d (%v), want the hook", n, err)
		}
	})
}
