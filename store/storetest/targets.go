package storetest

import (
	"errors"
	"slices"
	"testing"

	"github.com/switchboardhq/switchboard"
)

// testDeliveryTargetsFollowEndpoints: each event goes to the endpoints
// enabled when it is created, however often they change (SQLite caches the
// list of a workspace's endpoints): an endpoint created outside or inside a
// transaction, one created in a transaction that rolled back (never
// reached), one disabled, one deleted.
func testDeliveryTargetsFollowEndpoints(t *testing.T, f *fixture) {
	event := func(q switchboard.Queries) *switchboard.Event {
		e := switchboard.NewEvent(f.ws.ID, switchboard.EventMessageSent, map[string]any{"n": 1})
		must(t, f.pub.Publish(f.ctx, q, e))
		return e
	}
	newEndpoint := func(q switchboard.Queries) *switchboard.WebhookEndpoint {
		e := &switchboard.WebhookEndpoint{WorkspaceID: f.ws.ID, URL: "https://hooks.example.com/t", Status: switchboard.EndpointEnabled,
			Secrets: []switchboard.EndpointSecret{{Secret: "whsec_c2VjcmV0LW9uZQ=="}}}
		must(t, q.CreateEndpoint(f.ctx, e))
		return e
	}
	reached := func(ep *switchboard.WebhookEndpoint) []string {
		return ids(f.deliveriesOf(t, ep, ""), func(d *switchboard.Delivery) string { return d.EventID })
	}

	e0 := event(f.s) // no endpoint yet
	a := newEndpoint(f.s)
	e1 := event(f.s)
	var b *switchboard.WebhookEndpoint
	var e2 *switchboard.Event
	must(t, f.s.Tx(f.ctx, func(q switchboard.Queries) error {
		event(q)
		b = newEndpoint(q)
		e2 = event(q) // sees b, in its own transaction
		return nil
	}))
	errUndo := errors.New("undo")
	var c *switchboard.WebhookEndpoint
	err := f.s.Tx(f.ctx, func(q switchboard.Queries) error {
		event(q)
		c = newEndpoint(q)
		event(q)
		return errUndo
	})
	if !errors.Is(err, errUndo) {
		t.Fatalf("rolled-back transaction: %v", err)
	}
	e3 := event(f.s) // a and b, and not the endpoint that was never created
	a.Status = switchboard.EndpointDisabled
	must(t, f.s.UpdateEndpoint(f.ctx, a))
	e4 := event(f.s)
	must(t, f.s.DeleteEndpoint(f.ctx, f.ws.ID, b.ID))
	e5 := event(f.s)
	a.Status = switchboard.EndpointEnabled
	must(t, f.s.Tx(f.ctx, func(q switchboard.Queries) error { return q.UpdateEndpoint(f.ctx, a) }))
	e6 := event(f.s)

	if got := reached(a); !slices.Contains(got, e1.ID) || !slices.Contains(got, e2.ID) || !slices.Contains(got, e3.ID) ||
		slices.Contains(got, e0.ID) || slices.Contains(got, e4.ID) || slices.Contains(got, e5.ID) || !slices.Contains(got, e6.ID) {
		t.Errorf("endpoint a reached by %v; want e1 %s, e2 %s, e3 %s, e6 %s only", got, e1.ID, e2.ID, e3.ID, e6.ID)
	}
	if _, err := f.s.GetEndpoint(f.ctx, f.ws.ID, c.ID); switchboard.ErrorCode(err) != switchboard.ENotFound {
		t.Fatalf("the endpoint of the rolled-back transaction: %v", err)
	}
	if ds, err := f.s.ListDeliveries(f.ctx, f.ws.ID, b.ID, switchboard.DeliveryFilter{}, switchboard.Page{Limit: 10}); err == nil && len(ds) > 0 {
		t.Errorf("deleted endpoint b still has %d deliveries", len(ds))
	}
	for _, e := range []*switchboard.Event{e5} {
		for _, ep := range []*switchboard.WebhookEndpoint{a} {
			if slices.Contains(reached(ep), e.ID) {
				t.Errorf("event %s created with no enabled endpoint reached %s", e.ID, ep.ID)
			}
		}
	}
}
