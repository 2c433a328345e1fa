package storetest

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard"
)

// testPurgeIntegrationHistory: finished runs (with their attempts) and
// processed hooks created before the cutoff go, oldest first, in batches;
// queued and running runs, unprocessed hooks and anything newer stay.
func testPurgeIntegrationHistory(t *testing.T, f *fixture) {
	now := time.Now().UTC()
	in := &switchboard.Integration{ID: switchboard.NewID(switchboard.PrefixIntegration), WorkspaceID: f.ws.ID, Type: "http",
		Name: "crm", Status: "connected", Config: map[string]any{}, CreatedAt: now, UpdatedAt: now}
	must(t, f.s.CreateIntegration(f.ctx, in))
	run := func(status string) *switchboard.Run {
		r := &switchboard.Run{ID: switchboard.NewID(switchboard.PrefixRun), WorkspaceID: f.ws.ID, IntegrationID: in.ID,
			Action: "request", Status: status, Trigger: "api", Params: json.RawMessage(`{}`), IdempotencyKey: "k",
			CreatedAt: now, UpdatedAt: now}
		must(t, f.s.CreateRun(f.ctx, r))
		code := 200
		must(t, f.s.AddRunAttempt(f.ctx, r.ID, &switchboard.RunAttempt{Number: 1, AttemptedAt: now, StatusCode: &code}))
		return r
	}
	hook := func(processed bool) *switchboard.IntegrationHook {
		h := &switchboard.IntegrationHook{ID: switchboard.NewID(switchboard.PrefixIntegrationHook), WorkspaceID: f.ws.ID,
			IntegrationID: in.ID, DeliveryID: switchboard.NewID("d"), Topic: "orders/updated", Body: json.RawMessage(`{}`), ReceivedAt: now}
		must(t, f.s.CreateIntegrationHook(f.ctx, h))
		if processed {
			must(t, f.s.MarkIntegrationHookProcessed(f.ctx, f.ws.ID, h.ID, now))
		}
		return h
	}
	oldDone := []*switchboard.Run{run(switchboard.RunSucceeded), run(switchboard.RunFailed), run(switchboard.RunSucceeded)}
	oldQueued, oldRunning := run(switchboard.RunQueued), run(switchboard.RunRunning)
	oldProcessed, oldWaiting := hook(true), hook(false)
	time.Sleep(3 * time.Millisecond) // ids carry the millisecond of their creation
	cutoff := time.Now()
	time.Sleep(3 * time.Millisecond)
	newDone, newProcessed := run(switchboard.RunSucceeded), hook(true)

	n, err := f.s.PurgeRuns(f.ctx, cutoff, 2)
	must(t, err)
	if n != 2 {
		t.Fatalf("purged %d runs, want a batch of 2", n)
	}
	_, err = f.s.GetRun(f.ctx, f.ws.ID, oldDone[0].ID)
	wantNotFound(t, err)
	if r, err := f.s.GetRun(f.ctx, f.ws.ID, oldDone[2].ID); err != nil || len(r.Attempts) != 1 {
		t.Fatalf("the newest of the old runs went in the first batch: %v", err)
	}
	n, err = f.s.PurgeRuns(f.ctx, cutoff, 100)
	must(t, err)
	if n != 1 {
		t.Fatalf("purged %d runs, want 1", n)
	}
	for _, r := range []*switchboard.Run{oldQueued, oldRunning, newDone} {
		if _, err := f.s.GetRun(f.ctx, f.ws.ID, r.ID); err != nil {
			t.Fatalf("run %s (%s) was purged: %v", r.ID, r.Status, err)
		}
	}

	n, err = f.s.PurgeIntegrationHooks(f.ctx, cutoff, 100)
	must(t, err)
	if n != 1 {
		t.Fatalf("purged %d hooks, want 1", n)
	}
	_, err = f.s.GetIntegrationHook(f.ctx, f.ws.ID, oldProcessed.ID)
	wantNotFound(t, err)
	for _, h := range []*switchboard.IntegrationHook{oldWaiting, newProcessed} {
		if _, err := f.s.GetIntegrationHook(f.ctx, f.ws.ID, h.ID); err != nil {
			t.Fatalf("hook %s was purged: %v", h.ID, err)
		}
	}
}
