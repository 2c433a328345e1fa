package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/store"
	"github.com/switchboardhq/switchboard/store/pgtest"
)

// routeEnv is a workspace with an integration, read through one DB and
// changed through another (or the same).
type routeEnv struct {
	ctx    context.Context
	ws     *switchboard.Workspace
	integr *switchboard.Integration
}

func newRouteEnv(t *testing.T, db *store.DB) *routeEnv {
	ctx := context.Background()
	ws := &switchboard.Workspace{Name: "acme"}
	if err := db.CreateWorkspace(ctx, ws); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	in := &switchboard.Integration{ID: switchboard.NewID(switchboard.PrefixIntegration), WorkspaceID: ws.ID, Type: "http",
		Name: "crm", Status: "connected", Config: map[string]any{}, CreatedAt: now, UpdatedAt: now}
	if err := db.CreateIntegration(ctx, in); err != nil {
		t.Fatal(err)
	}
	return &routeEnv{ctx: ctx, ws: ws, integr: in}
}

// lists reads the enabled endpoints and automations as the publication of
// an event does: in a transaction.
func (e *routeEnv) lists(t *testing.T, db *store.DB) (endpoints, automations int) {
	t.Helper()
	err := db.Tx(e.ctx, func(q switchboard.Queries) error {
		eps, err := q.EnabledEndpoints(e.ctx, e.ws.ID)
		if err != nil {
			return err
		}
		autos, err := q.EnabledAutomations(e.ctx, e.ws.ID)
		endpoints, automations = len(eps), len(autos)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return endpoints, automations
}

func (e *routeEnv) addEndpoint(t *testing.T, q switchboard.Queries) *switchboard.WebhookEndpoint {
	t.Helper()
	ep := &switchboard.WebhookEndpoint{WorkspaceID: e.ws.ID, URL: "https://hooks.example.com/x", EventTypes: []string{},
		Status: switchboard.EndpointEnabled, Secrets: []switchboard.EndpointSecret{{Secret: "whsec_c2VjcmV0LW9uZQ=="}}}
	if err := q.CreateEndpoint(e.ctx, ep); err != nil {
		t.Fatal(err)
	}
	return ep
}

func (e *routeEnv) addAutomation(t *testing.T, q switchboard.Queries) *switchboard.Automation {
	t.Helper()
	a := &switchboard.Automation{WorkspaceID: e.ws.ID, Name: "sync", EventTypes: []string{"conversation.ended"},
		IntegrationID: e.integr.ID, Action: "request", Enabled: true}
	if err := q.CreateAutomation(e.ctx, a); err != nil {
		t.Fatal(err)
	}
	return a
}

// TestRouteCachesFollowChanges: the cached endpoints and automations of a
// workspace follow every change made through the same DB at once (in a
// transaction too: the transaction reads its own writes, and a rolled back
// one leaves the cache right).
func TestRouteCachesFollowChanges(t *testing.T) {
	pgtest.EachDatabase(t, func(t *testing.T, url string) {
		db := pgtest.OpenWith(t, url, store.Options{Sealer: newSealer(), SharedCaches: true})
		if db.Dialect() == store.DialectPostgres {
			store.WaitListening(t, db)
		}
		e := newRouteEnv(t, db)
		if eps, autos := e.lists(t, db); eps != 0 || autos != 0 {
			t.Fatalf("lists %d %d", eps, autos)
		}
		ep := e.addEndpoint(t, db)
		a := e.addAutomation(t, db)
		if eps, autos := e.lists(t, db); eps != 1 || autos != 1 {
			t.Fatalf("after adding: %d endpoints, %d automations", eps, autos)
		}
		err := db.Tx(e.ctx, func(q switchboard.Queries) error {
			e.addEndpoint(t, q)
			eps, err := q.EnabledEndpoints(e.ctx, e.ws.ID)
			if err != nil || len(eps) != 2 {
				t.Errorf("the transaction does not see its own endpoint: %d", len(eps))
			}
			if err := q.DeleteAutomation(e.ctx, e.ws.ID, a.ID); err != nil {
				return err
			}
			autos, _ := q.EnabledAutomations(e.ctx, e.ws.ID)
			if len(autos) != 0 {
				t.Errorf("the transaction sees its deleted automation")
			}
			return context.Canceled // roll back
		})
		if err != context.Canceled {
			t.Fatal(err)
		}
		if eps, autos := e.lists(t, db); eps != 1 || autos != 1 {
			t.Fatalf("after a rollback: %d endpoints, %d automations", eps, autos)
		}
		ep.Status = switchboard.EndpointDisabled
		if err := db.UpdateEndpoint(e.ctx, ep); err != nil {
			t.Fatal(err)
		}
		if err := db.DeleteIntegration(e.ctx, e.ws.ID, e.integr.ID); err != nil { // its automations go with it
			t.Fatal(err)
		}
		if eps, autos := e.lists(t, db); eps != 0 || autos != 0 {
			t.Fatalf("after disabling and deleting: %d endpoints, %d automations", eps, autos)
		}
	})
}

// TestRouteCachesAcrossProcesses: on PostgreSQL a change made by another
// process reaches this one's caches by notification, long before the
// caches would expire, and still does after the listening connection was
// cut and came back.
func TestRouteCachesAcrossProcesses(t *testing.T) {
	url := pgtest.URL(t)
	a := pgtest.OpenWith(t, url, store.Options{Sealer: newSealer(), SharedCaches: true})
	b := pgtest.OpenWith(t, url, store.Options{Sealer: newSealer(), SharedCaches: true})
	store.WaitListening(t, a)
	e := newRouteEnv(t, a)
	seen := func(endpoints, automations int) {
		t.Helper()
		// Well inside the caches' 10 s: without the notification the old
		// lists would still be served.
		deadline := time.Now().Add(5 * time.Second)
		for {
			eps, autos := e.lists(t, a)
			if eps == endpoints && autos == automations {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("process a sees %d endpoints and %d automations, want %d and %d", eps, autos, endpoints, automations)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	seen(0, 0) // cached
	e.addEndpoint(t, b)
	seen(1, 0)
	e.addAutomation(t, b)
	seen(1, 1)

	// Cut a's listening connection: it reconnects, and changes made
	// meanwhile or after are not missed.
	if cut := store.RawColumn(t, b, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE query = 'LISTEN switchboard_routes' AND datname = current_database()`); len(cut) != 2 {
		t.Fatalf("cut %d listening connections, want a's and b's", len(cut))
	}
	e.addEndpoint(t, b)
	seen(2, 1)
	if err := b.DeleteIntegration(e.ctx, e.ws.ID, e.integr.ID); err != nil {
		t.Fatal(err)
	}
	seen(2, 0)
}
