package storetest

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/webhook"
)

func (f *fixture) newEndpoint(t *testing.T, workspaceID string, types ...string) *switchboard.WebhookEndpoint {
	t.Helper()
	e := &switchboard.WebhookEndpoint{
		WorkspaceID: workspaceID,
		URL:         "https://hooks.example.com/" + fmt.Sprint(len(types)),
		Description: "orders système",
		EventTypes:  types,
		Status:      switchboard.EndpointEnabled,
		Secrets:     []switchboard.EndpointSecret{{Secret: "whsec_c2VjcmV0LW9uZQ=="}},
	}
	must(t, f.s.CreateEndpoint(f.ctx, e))
	return e
}

// deliveriesOf returns the deliveries of an endpoint, oldest first.
func (f *fixture) deliveriesOf(t *testing.T, e *switchboard.WebhookEndpoint, status string) []*switchboard.Delivery {
	t.Helper()
	ds, err := f.s.ListDeliveries(f.ctx, e.WorkspaceID, e.ID, switchboard.DeliveryFilter{Status: status}, switchboard.Page{Limit: 200})
	must(t, err)
	slices.Reverse(ds)
	return ds
}

func testWebhookEndpoints(t *testing.T, f *fixture) {
	rate := 25
	e := f.newEndpoint(t, f.ws.ID, "message.*", switchboard.EventConversationEnded)
	e.RateLimitPerSecond = &rate
	must(t, f.s.UpdateEndpoint(f.ctx, e))
	got, err := f.s.GetEndpoint(f.ctx, f.ws.ID, e.ID)
	must(t, err)
	same(t, got, e)
	got, err = f.s.GetEndpointByID(f.ctx, e.ID)
	must(t, err)
	same(t, got, e)

	// Rotation keeps the former secret until the grace period ends.
	now := time.Now()
	e.Rotate("whsec_c2VjcmV0LXR3bw==", time.Hour, now)
	reason := "410 Gone"
	e.Status, e.DisabledReason, e.URL, e.EventTypes = switchboard.EndpointDisabled, &reason, "https://new.example.com/h", nil
	must(t, f.s.UpdateEndpoint(f.ctx, e))
	got, err = f.s.GetEndpoint(f.ctx, f.ws.ID, e.ID)
	must(t, err)
	same(t, got, e)
	if s := got.SigningSecrets(now); !slices.Equal(s, []string{"whsec_c2VjcmV0LXR3bw==", "whsec_c2VjcmV0LW9uZQ=="}) {
		t.Fatalf("secrets during the grace period: %v", s)
	}
	if s := got.SigningSecrets(now.Add(2 * time.Hour)); !slices.Equal(s, []string{"whsec_c2VjcmV0LXR3bw=="}) {
		t.Fatalf("secrets after the grace period: %v", s)
	}

	other := f.workspace(t, "other")
	_, err = f.s.GetEndpoint(f.ctx, other.ID, e.ID)
	wantNotFound(t, err)
	wantNotFound(t, f.s.DeleteEndpoint(f.ctx, other.ID, e.ID))
	f.newEndpoint(t, other.ID)
	second := f.newEndpoint(t, f.ws.ID)
	list, err := f.s.ListEndpoints(f.ctx, f.ws.ID, switchboard.Page{Limit: 10})
	must(t, err)
	if got := ids(list, func(e *switchboard.WebhookEndpoint) string { return e.ID }); !slices.Equal(got, []string{second.ID, e.ID}) {
		t.Fatalf("ListEndpoints = %v", got)
	}

	// Failing since the first failure; cleared by a success.
	t1 := time.Now().Add(-time.Hour).UTC().Truncate(time.Microsecond)
	got, err = f.s.MarkEndpointFailing(f.ctx, e.ID, t1)
	must(t, err)
	got2, err := f.s.MarkEndpointFailing(f.ctx, e.ID, t1.Add(time.Minute))
	must(t, err)
	if got.FailingSince == nil || !got.FailingSince.Equal(t1) || !got2.FailingSince.Equal(t1) {
		t.Fatalf("failing since %v then %v, want %v", got.FailingSince, got2.FailingSince, t1)
	}
	must(t, f.s.ClearEndpointFailing(f.ctx, e.ID))
	must(t, f.s.ClearEndpointFailing(f.ctx, e.ID))
	got, err = f.s.GetEndpoint(f.ctx, f.ws.ID, e.ID)
	must(t, err)
	if got.FailingSince != nil {
		t.Fatalf("failing since %v after a success", got.FailingSince)
	}
	_, err = f.s.MarkEndpointFailing(f.ctx, "ep_missing", t1)
	wantNotFound(t, err)

	must(t, f.s.DeleteEndpoint(f.ctx, f.ws.ID, e.ID))
	_, err = f.s.GetEndpoint(f.ctx, f.ws.ID, e.ID)
	wantNotFound(t, err)
}

// recorder is a webhook.Receiver that remembers what it was told.
type recorder struct {
	mu      sync.Mutex
	lease   webhook.Lease
	created map[string][]*switchboard.Delivery // by event id
	wakes   int
}

func (r *recorder) NewLease() webhook.Lease { return r.lease }

func (r *recorder) DeliveriesCreated(e *switchboard.Event, ds []*switchboard.Delivery) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.created[e.ID] = append(r.created[e.ID], ds...)
}

func (r *recorder) Wake() {
	r.mu.Lock()
	r.wakes++
	r.mu.Unlock()
}

// notifier makes the events of the fixture publish their deliveries
// leased as the returned recorder says, and tell it about them.
func (f *fixture) notifier(t *testing.T, lease webhook.Lease) *recorder {
	t.Helper()
	r := &recorder{lease: lease, created: map[string][]*switchboard.Delivery{}}
	f.pub = webhook.NewPublisher(r, nil)
	return r
}

// publish publishes e in a transaction of its own.
func (f *fixture) publish(e *switchboard.Event) error {
	return f.s.Tx(f.ctx, func(q switchboard.Queries) error { return f.pub.Publish(f.ctx, q, e) })
}

func testEventDeliveries(t *testing.T, f *fixture) {
	all := f.newEndpoint(t, f.ws.ID)
	messages := f.newEndpoint(t, f.ws.ID, "message.*")
	exact := f.newEndpoint(t, f.ws.ID, switchboard.EventConversationEnded, switchboard.EventMessageSent)
	off := f.newEndpoint(t, f.ws.ID)
	off.Status = switchboard.EndpointDisabled
	must(t, f.s.UpdateEndpoint(f.ctx, off))
	elsewhere := f.newEndpoint(t, f.workspace(t, "other").ID)
	until := time.Now().Add(time.Minute).UTC().Truncate(time.Microsecond)
	rec := f.notifier(t, webhook.Lease{Owner: "proc-1", Until: until})

	sent := f.newEvent(t, f.ws.ID, switchboard.EventMessageSent)
	started := f.newEvent(t, f.ws.ID, switchboard.EventConversationStarted)
	for ep, want := range map[*switchboard.WebhookEndpoint][]string{
		all: {sent.ID, started.ID}, messages: {sent.ID}, exact: {sent.ID}, off: nil, elsewhere: nil,
	} {
		ds := f.deliveriesOf(t, ep, "")
		if got := ids(ds, func(d *switchboard.Delivery) string { return d.EventID }); !slices.Equal(got, want) {
			t.Errorf("endpoint %v got deliveries of %v, want %v", ep.EventTypes, got, want)
		}
		for _, d := range ds {
			if d.Status != switchboard.DeliveryPending || d.AttemptCount != 0 || d.NextAttemptAt == nil ||
				d.LeaseOwner != "proc-1" || !d.LeaseExpiresAt.Equal(until) || d.WorkspaceID != f.ws.ID {
				t.Errorf("new delivery %+v", d)
			}
			got, err := f.s.GetDelivery(f.ctx, f.ws.ID, d.ID)
			must(t, err)
			same(t, got, d)
		}
	}
	rec.mu.Lock()
	if len(rec.created[sent.ID]) != 3 || len(rec.created[started.ID]) != 1 {
		t.Errorf("notifier told of %d and %d deliveries, want 3 and 1", len(rec.created[sent.ID]), len(rec.created[started.ID]))
	}
	rec.mu.Unlock()

	// A targeted event goes to its endpoint only, whatever its types, even
	// when disabled; another workspace's endpoint is not found.
	test := switchboard.NewEvent(f.ws.ID, switchboard.EventWebhookTest, map[string]any{"message": "hi"})
	test.TargetEndpointID = exact.ID
	must(t, f.publish(test))
	if ds := f.deliveriesOf(t, exact, ""); len(ds) != 2 || ds[1].EventID != test.ID {
		t.Fatalf("targeted event: %d deliveries", len(ds))
	}
	if n := len(f.deliveriesOf(t, all, "")); n != 2 {
		t.Fatalf("a targeted event reached another endpoint: %d deliveries", n)
	}
	stray := switchboard.NewEvent(f.ws.ID, switchboard.EventWebhookTest, map[string]any{})
	stray.TargetEndpointID = elsewhere.ID
	wantNotFound(t, f.publish(stray))
	_, err := f.s.GetEvent(f.ctx, f.ws.ID, stray.ID)
	wantNotFound(t, err) // the event went with the failed delivery

	// A rolled-back event leaves no delivery and tells nobody.
	rolled := switchboard.NewEvent(f.ws.ID, switchboard.EventMessageSent, map[string]any{})
	err = f.s.Tx(f.ctx, func(q switchboard.Queries) error {
		must(t, f.pub.Publish(f.ctx, q, rolled))
		return errRollback
	})
	if err != errRollback {
		t.Fatal(err)
	}
	if n := len(f.deliveriesOf(t, all, "")); n != 2 {
		t.Fatalf("a rolled-back event left deliveries: %d", n)
	}
	rec.mu.Lock()
	if len(rec.created[rolled.ID]) != 0 {
		t.Fatal("the notifier was told of rolled-back deliveries")
	}
	rec.mu.Unlock()

	// Without a lease owner, deliveries are created unleased.
	rec.lease = webhook.Lease{}
	free := f.newEvent(t, f.ws.ID, switchboard.EventMessageSent)
	for _, d := range f.deliveriesOf(t, messages, "") {
		if d.EventID == free.ID && (d.LeaseOwner != "" || d.LeaseExpiresAt != nil) {
			t.Fatalf("delivery leased without an owner: %+v", d)
		}
	}
}

func testDeliveryClaims(t *testing.T, f *fixture) {
	f.notifier(t, webhook.Lease{}) // deliveries start unleased
	a := f.newEndpoint(t, f.ws.ID)
	b := f.newEndpoint(t, f.ws.ID)
	for range 3 {
		f.newEvent(t, f.ws.ID, switchboard.EventMessageSent)
	}
	now := time.Now().Add(time.Second)
	until := now.Add(time.Minute)

	// Not yet due: nothing.
	got, err := f.s.ClaimDeliveries(f.ctx, switchboard.DeliveryClaim{Owner: "p1", Now: now.Add(-time.Hour), Until: until, Limit: 10})
	must(t, err)
	if len(got) != 0 {
		t.Fatalf("claimed %d deliveries not yet due", len(got))
	}
	first, err := f.s.ClaimDeliveries(f.ctx, switchboard.DeliveryClaim{Owner: "p1", Now: now, Until: until, EndpointID: a.ID, Limit: 2})
	must(t, err)
	if len(first) != 2 || first[0].EndpointID != a.ID || first[0].LeaseOwner != "p1" || first[0].ID > first[1].ID {
		t.Fatalf("claimed %+v", first)
	}
	// Held deliveries are not claimed again by others until the lease
	// expires, but their holder may claim them again for an endpoint.
	rest, err := f.s.ClaimDeliveries(f.ctx, switchboard.DeliveryClaim{Owner: "p2", Now: now, Until: until, Limit: 10})
	must(t, err)
	if len(rest) != 4 {
		t.Fatalf("p2 claimed %d, want the 4 free ones", len(rest))
	}
	again, err := f.s.ClaimDeliveries(f.ctx, switchboard.DeliveryClaim{Owner: "p1", Now: now, Until: until, EndpointID: a.ID, Limit: 10})
	must(t, err)
	if len(again) != 2 {
		t.Fatalf("p1 re-claimed %d of its own for the endpoint, want 2", len(again))
	}
	none, err := f.s.ClaimDeliveries(f.ctx, switchboard.DeliveryClaim{Owner: "p3", Now: now, Until: until, Limit: 10})
	must(t, err)
	if len(none) != 0 {
		t.Fatalf("claimed %d held deliveries", len(none))
	}
	late, err := f.s.ClaimDeliveries(f.ctx, switchboard.DeliveryClaim{Owner: "p3", Now: until.Add(time.Second), Until: until.Add(time.Hour), Limit: 10})
	must(t, err)
	if len(late) != 6 {
		t.Fatalf("after the leases expired p3 claimed %d, want 6", len(late))
	}

	// Extending and releasing need the lease.
	d := late[0]
	wantNotFound(t, f.s.ExtendLease(f.ctx, d.ID, "p1", until.Add(2*time.Hour)))
	must(t, f.s.ExtendLease(f.ctx, d.ID, "p3", until.Add(2*time.Hour)))
	n, err := f.s.ReleaseDeliveries(f.ctx, "p3")
	must(t, err)
	if n != 6 {
		t.Fatalf("released %d, want 6", n)
	}
	got, err = f.s.ClaimDeliveries(f.ctx, switchboard.DeliveryClaim{Owner: "p4", Now: now, Until: until, EndpointID: b.ID, Limit: 10})
	must(t, err)
	if len(got) != 3 {
		t.Fatalf("after release claimed %d for b, want 3", len(got))
	}
}

// testConcurrentClaims: claims racing from many goroutines never hand out
// one delivery twice.
func testConcurrentClaims(t *testing.T, f *fixture) {
	f.notifier(t, webhook.Lease{})
	f.newEndpoint(t, f.ws.ID)
	f.newEndpoint(t, f.ws.ID)
	const events = 60
	for range events {
		f.newEvent(t, f.ws.ID, switchboard.EventMessageSent)
	}
	now := time.Now().Add(time.Second)
	var mu sync.Mutex
	seen := map[string]string{}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			owner := fmt.Sprint("p", g)
			for {
				ds, err := f.s.ClaimDeliveries(f.ctx, switchboard.DeliveryClaim{Owner: owner, Now: now, Until: now.Add(time.Hour), Limit: 3})
				if err != nil {
					errs <- err
					return
				}
				if len(ds) == 0 {
					return
				}
				mu.Lock()
				for _, d := range ds {
					if prev, dup := seen[d.ID]; dup {
						errs <- fmt.Errorf("%s claimed by %s and %s", d.ID, prev, owner)
					}
					seen[d.ID] = owner
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if len(seen) != 2*events {
		t.Fatalf("claimed %d deliveries, want %d", len(seen), 2*events)
	}
}

func testDeliveryAttempts(t *testing.T, f *fixture) {
	f.notifier(t, webhook.Lease{Owner: "p1", Until: time.Now().Add(time.Hour)})
	ep := f.newEndpoint(t, f.ws.ID)
	ev := f.newEvent(t, f.ws.ID, switchboard.EventMessageSent)
	d := f.deliveriesOf(t, ep, "")[0]

	at := time.Now().UTC().Truncate(time.Microsecond)
	next := at.Add(5 * time.Second)
	code, msg := 503, "Service Unavailable"
	d.AttemptCount, d.NextAttemptAt, d.LastAttemptAt, d.LastStatusCode, d.LastError = 1, &next, &at, &code, &msg
	a := &switchboard.Attempt{Number: 1, AttemptedAt: at, Duration: 1234 * time.Microsecond, StatusCode: &code,
		ResponseBody: `{"error":"busy"} – ünïcode`, Error: &msg}
	wantNotFound(t, f.s.SaveAttempt(f.ctx, d, a, "p2")) // not the holder
	must(t, f.s.SaveAttempt(f.ctx, d, a, "p1"))
	got, err := f.s.GetDelivery(f.ctx, f.ws.ID, d.ID)
	must(t, err)
	same(t, got, d)
	if got.LeaseOwner != "" || got.Status != switchboard.DeliveryPending {
		t.Fatalf("after a failed attempt: %+v", got)
	}
	wantNotFound(t, f.s.SaveAttempt(f.ctx, d, a, "p1")) // the lease is gone

	claimed, err := f.s.ClaimDeliveries(f.ctx, switchboard.DeliveryClaim{Owner: "p2", Now: next, Until: next.Add(time.Minute), Limit: 5})
	must(t, err)
	if len(claimed) != 1 || claimed[0].ID != d.ID || claimed[0].AttemptCount != 1 {
		t.Fatalf("claimed %+v", claimed)
	}
	ok := 204
	d2 := claimed[0]
	at2 := next.Add(time.Millisecond)
	d2.Status, d2.AttemptCount, d2.NextAttemptAt, d2.LastAttemptAt, d2.LastStatusCode, d2.LastError = switchboard.DeliverySucceeded, 2, nil, &at2, &ok, nil
	must(t, f.s.SaveAttempt(f.ctx, d2, &switchboard.Attempt{Number: 2, AttemptedAt: at2, StatusCode: &ok}, "p2"))

	attempts, err := f.s.ListAttempts(f.ctx, d.ID, 10)
	must(t, err)
	if len(attempts) != 2 || attempts[0].Number != 1 || attempts[1].Number != 2 {
		t.Fatalf("attempts %+v", attempts)
	}
	a.DeliveryID = d.ID
	same(t, attempts[0], a)
	if attempts[1].StatusCode == nil || *attempts[1].StatusCode != 204 || attempts[1].Error != nil {
		t.Fatalf("second attempt %+v", attempts[1])
	}
	if ds := f.deliveriesOf(t, ep, switchboard.DeliverySucceeded); len(ds) != 1 || ds[0].EventID != ev.ID {
		t.Fatalf("succeeded deliveries %v", ds)
	}
	if ds := f.deliveriesOf(t, ep, switchboard.DeliveryPending); len(ds) != 0 {
		t.Fatalf("pending deliveries %v", ds)
	}
	byEvent, err := f.s.ListDeliveries(f.ctx, f.ws.ID, ep.ID, switchboard.DeliveryFilter{EventID: ev.ID}, switchboard.Page{Limit: 10})
	must(t, err)
	if len(byEvent) != 1 || byEvent[0].ID != d.ID {
		t.Fatalf("deliveries of the event: %v", byEvent)
	}
	byEvent, err = f.s.ListDeliveries(f.ctx, f.ws.ID, ep.ID, switchboard.DeliveryFilter{EventID: "evt_other"}, switchboard.Page{Limit: 10})
	must(t, err)
	if len(byEvent) != 0 {
		t.Fatalf("deliveries of another event: %v", byEvent)
	}

	// Deleting the endpoint takes its deliveries and attempts along.
	must(t, f.s.DeleteEndpoint(f.ctx, f.ws.ID, ep.ID))
	_, err = f.s.GetDelivery(f.ctx, f.ws.ID, d.ID)
	wantNotFound(t, err)
	attempts, err = f.s.ListAttempts(f.ctx, d.ID, 10)
	must(t, err)
	if len(attempts) != 0 {
		t.Fatalf("%d attempts left after deleting the endpoint", len(attempts))
	}
}

// finish records a final attempt of d, held by owner.
func (f *fixture) finish(t *testing.T, d *switchboard.Delivery, owner, status string) {
	t.Helper()
	at := time.Now()
	code := 200
	if status == switchboard.DeliveryFailed {
		code = 500
	}
	d.Status, d.AttemptCount, d.NextAttemptAt, d.LastAttemptAt, d.LastStatusCode = status, d.AttemptCount+1, nil, &at, &code
	must(t, f.s.SaveAttempt(f.ctx, d, &switchboard.Attempt{Number: d.AttemptCount, AttemptedAt: at, StatusCode: &code}, owner))
}

func testRetryAndReplay(t *testing.T, f *fixture) {
	f.notifier(t, webhook.Lease{Owner: "p1", Until: time.Now().Add(time.Hour)})
	ep := f.newEndpoint(t, f.ws.ID)
	for range 5 {
		f.newEvent(t, f.ws.ID, switchboard.EventMessageSent)
	}
	ds := f.deliveriesOf(t, ep, "")
	wantCode(t, func() error { _, err := f.s.RetryDelivery(f.ctx, f.ws.ID, ds[0].ID, time.Now()); return err }(), switchboard.EConflict)
	_, err := f.s.RetryDelivery(f.ctx, f.workspace(t, "other").ID, ds[0].ID, time.Now())
	wantNotFound(t, err)
	for i, d := range ds {
		status := switchboard.DeliveryFailed
		if i == 2 {
			status = switchboard.DeliverySucceeded
		}
		f.finish(t, d, "p1", status)
	}

	at := time.Now().Add(time.Minute).UTC().Truncate(time.Microsecond)
	got, err := f.s.RetryDelivery(f.ctx, f.ws.ID, ds[0].ID, at)
	must(t, err)
	if got.Status != switchboard.DeliveryPending || !got.NextAttemptAt.Equal(at) || got.AttemptCount != 1 {
		t.Fatalf("retried %+v", got)
	}

	// Replay the failed ones since the second, two at a time.
	var replayed []string
	after := ""
	for {
		page, err := f.s.ReplayDeliveries(f.ctx, switchboard.ReplayParams{WorkspaceID: f.ws.ID, EndpointID: ep.ID, Status: switchboard.DeliveryFailed, Since: ds[1].CreatedAt, Now: at, After: after, Limit: 2})
		must(t, err)
		replayed = append(replayed, page...)
		if len(page) < 2 {
			break
		}
		after = page[len(page)-1]
	}
	if want := []string{ds[1].ID, ds[3].ID, ds[4].ID}; !slices.Equal(replayed, want) {
		t.Fatalf("replayed %v, want %v", replayed, want)
	}
	if n := len(f.deliveriesOf(t, ep, switchboard.DeliveryPending)); n != 4 {
		t.Fatalf("%d pending after retry and replay, want 4", n)
	}
	page, err := f.s.ReplayDeliveries(f.ctx, switchboard.ReplayParams{WorkspaceID: f.workspace(t, "third").ID, EndpointID: ep.ID, Status: switchboard.DeliverySucceeded, Now: at, Limit: 10})
	must(t, err)
	if len(page) != 0 {
		t.Fatal("replayed another workspace's deliveries")
	}
	page, err = f.s.ReplayDeliveries(f.ctx, switchboard.ReplayParams{WorkspaceID: f.ws.ID, EndpointID: ep.ID, Status: switchboard.DeliverySucceeded, Now: at, Limit: 10})
	must(t, err)
	if len(page) != 1 || page[0] != ds[2].ID {
		t.Fatalf("replayed succeeded %v", page)
	}
}

func testBacklogAndPurge(t *testing.T, f *fixture) {
	f.notifier(t, webhook.Lease{Owner: "p1", Until: time.Now().Add(time.Hour)})
	a := f.newEndpoint(t, f.ws.ID)
	b := f.newEndpoint(t, f.ws.ID, switchboard.EventMessageSent)
	f.newEvent(t, f.ws.ID, switchboard.EventConversationStarted)
	for range 3 {
		f.newEvent(t, f.ws.ID, switchboard.EventMessageSent)
	}
	lonely := f.newEvent(t, f.ws.ID, switchboard.EventBotDeployed) // goes to a only
	backlog, err := f.s.Backlog(f.ctx)
	must(t, err)
	slices.SortFunc(backlog, func(x, y switchboard.EndpointBacklog) int { return y.Pending - x.Pending })
	if len(backlog) != 2 || backlog[0].EndpointID != a.ID || backlog[0].Pending != 5 || backlog[1].Pending != 3 ||
		backlog[0].OldestDue.IsZero() {
		t.Fatalf("backlog %+v", backlog)
	}

	// Finish every delivery of b and all but one of a.
	for _, d := range f.deliveriesOf(t, b, "") {
		f.finish(t, d, "p1", switchboard.DeliverySucceeded)
	}
	as := f.deliveriesOf(t, a, "")
	for _, d := range as[:4] {
		f.finish(t, d, "p1", switchboard.DeliveryFailed)
	}
	backlog, err = f.s.Backlog(f.ctx)
	must(t, err)
	if len(backlog) != 1 || backlog[0].EndpointID != a.ID || backlog[0].Pending != 1 {
		t.Fatalf("backlog %+v", backlog)
	}

	// Nothing is older than an hour ago.
	n, err := f.s.PurgeDeliveries(f.ctx, time.Now().Add(-time.Hour), 100)
	must(t, err)
	if n != 0 {
		t.Fatalf("purged %d recent deliveries", n)
	}
	future := time.Now().Add(time.Hour)
	var total int64
	for {
		n, err := f.s.PurgeDeliveries(f.ctx, future, 3)
		must(t, err)
		if n > 3 {
			t.Fatalf("purged %d deliveries in a batch of 3", n)
		}
		total += n
		if n < 3 {
			break
		}
	}
	if total != 7 {
		t.Fatalf("purged %d deliveries, want the 7 finished ones", total)
	}
	attempts, err := f.s.ListAttempts(f.ctx, as[0].ID, 10)
	must(t, err)
	if len(attempts) != 0 {
		t.Fatal("attempts of a purged delivery remain")
	}
	if left := f.deliveriesOf(t, a, ""); len(left) != 1 || left[0].ID != as[4].ID {
		t.Fatalf("left %v, want the pending delivery", left)
	}
	// Events go once no delivery refers to them: all but lonely's.
	n, err = f.s.PurgeEvents(f.ctx, future, 100)
	must(t, err)
	if n != 4 {
		t.Fatalf("purged %d events, want 4", n)
	}
	if _, err := f.s.GetEvent(f.ctx, f.ws.ID, lonely.ID); err != nil {
		t.Fatalf("the event of a pending delivery was purged: %v", err)
	}
}

// testSaveAttempts: a batch records every delivery its owner holds and
// reports the others as lost, whatever the batch's size.
func testSaveAttempts(t *testing.T, f *fixture) {
	for _, size := range []int{3, 40} {
		rec := f.notifier(t, webhook.Lease{Owner: "p1", Until: time.Now().Add(time.Hour)})
		ep := f.newEndpoint(t, f.ws.ID)
		for range size {
			f.newEvent(t, f.ws.ID, switchboard.EventMessageSent)
		}
		rec.lease = webhook.Lease{Owner: "p2", Until: time.Now().Add(time.Hour)}
		stolen := f.newEvent(t, f.ws.ID, switchboard.EventMessageSent) // held by p2
		ds := f.deliveriesOf(t, ep, "")
		at := time.Now().UTC().Truncate(time.Microsecond)
		var rs []switchboard.AttemptRecord
		for i, d := range ds {
			code, body := 200+i%2*300, fmt.Sprint("body ", i)
			d.AttemptCount, d.LastAttemptAt, d.LastStatusCode = 1, &at, &code
			if code == 200 {
				d.Status, d.NextAttemptAt = switchboard.DeliverySucceeded, nil
			} else {
				next := at.Add(time.Minute)
				msg := "Internal Server Error"
				d.Status, d.NextAttemptAt, d.LastError = switchboard.DeliveryPending, &next, &msg
			}
			r := switchboard.AttemptRecord{Delivery: d, Attempt: &switchboard.Attempt{Number: 1, AttemptedAt: at,
				Duration: time.Duration(i) * time.Millisecond, StatusCode: &code, ResponseBody: body, Error: d.LastError}}
			if i == 1 {
				r.Attempt = nil // no request made
			}
			rs = append(rs, r)
		}
		lost, err := f.s.SaveAttempts(f.ctx, rs, "p1")
		must(t, err)
		if len(lost) != 1 || lost[0] != ds[len(ds)-1].ID || ds[len(ds)-1].EventID != stolen.ID {
			t.Fatalf("batch of %d: lost %v, want the delivery p2 holds", len(rs), lost)
		}
		for i, r := range rs[:len(rs)-1] {
			got, err := f.s.GetDelivery(f.ctx, f.ws.ID, r.Delivery.ID)
			must(t, err)
			same(t, got, r.Delivery)
			attempts, err := f.s.ListAttempts(f.ctx, r.Delivery.ID, 10)
			must(t, err)
			if r.Attempt == nil {
				if len(attempts) != 0 {
					t.Fatalf("an attempt logged for a record without one: %+v", attempts)
				}
				continue
			}
			if len(attempts) != 1 {
				t.Fatalf("delivery %d: %d attempts", i, len(attempts))
			}
			same(t, attempts[0], r.Attempt)
		}
		got, err := f.s.GetDelivery(f.ctx, f.ws.ID, ds[len(ds)-1].ID)
		must(t, err)
		if got.LeaseOwner != "p2" || got.AttemptCount != 0 {
			t.Fatalf("a lost delivery was changed: %+v", got)
		}
		must(t, f.s.DeleteEndpoint(f.ctx, f.ws.ID, ep.ID))
	}
}
