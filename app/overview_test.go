package app_test

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/app"
	"github.com/switchboardhq/switchboard/internal/testclock"
	"github.com/switchboardhq/switchboard/store"
	"github.com/switchboardhq/switchboard/store/pgtest"
	"github.com/switchboardhq/switchboard/webhook"
)

// overviewEnv is a workspace whose story is told through the operations
// (conversations started, handed off, handed back, assigned, ended) and
// the store (messages, webhook deliveries, integration runs at chosen
// times), ending at end, half a minute into a minute.
type overviewEnv struct {
	t     *testing.T
	ctx   context.Context
	db    *store.DB
	clock *testclock.Clock
	s     *app.Service
	ws    *sb.Workspace
	ch    *sb.Channel
	end   time.Time
	n     int
}

func newOverviewEnv(t *testing.T, url string) *overviewEnv {
	// Behind the system's clock, as ids are dated by it.
	end := time.Now().UTC().Truncate(time.Minute).Add(-2*time.Hour + 30*time.Second)
	e := &overviewEnv{t: t, ctx: context.Background(), db: pgtest.Open(t, url), clock: testclock.New(end.Add(-26 * time.Hour)), end: end}
	e.s = app.New(app.Config{}, app.Deps{Store: e.db, Clock: e.clock, Events: webhook.NewPublisher(nil, e.clock)})
	e.ws = &sb.Workspace{Name: "acme"}
	must(t, e.db.CreateWorkspace(e.ctx, e.ws))
	e.ch = &sb.Channel{WorkspaceID: e.ws.ID, Type: "api", Name: "web", Status: sb.ChannelConnected}
	must(t, e.db.CreateChannel(e.ctx, e.ch))
	return e
}

// at moves the clock to d from the end.
func (e *overviewEnv) at(d time.Duration) {
	e.t.Helper()
	step := e.end.Add(d).Sub(e.clock.Now())
	if step < 0 {
		e.t.Fatalf("the clock cannot go back %v", -step)
	}
	e.clock.Advance(step)
}

// start starts a conversation with a new contact.
func (e *overviewEnv) start() *sb.Conversation {
	e.t.Helper()
	e.n++
	ct := &sb.Contact{WorkspaceID: e.ws.ID, ChannelID: e.ch.ID, ExternalID: "user-" + string(rune('a'+e.n))}
	must(e.t, e.db.CreateContact(e.ctx, ct))
	conv, err := e.s.StartConversation(e.ctx, e.ws.ID, &app.StartConversationParams{ChannelID: e.ch.ID, ContactID: ct.ID})
	must(e.t, err)
	return conv
}

func (e *overviewEnv) status(conv *sb.Conversation, status string) {
	e.t.Helper()
	_, err := e.s.UpdateConversation(e.ctx, e.ws.ID, conv.ID, &app.UpdateConversationParams{Status: sb.Optional[string]{Set: true, Value: status}})
	must(e.t, err)
}

func (e *overviewEnv) assign(conv *sb.Conversation, who string) {
	e.t.Helper()
	_, err := e.s.UpdateConversation(e.ctx, e.ws.ID, conv.ID, &app.UpdateConversationParams{Assignee: sb.Optional[string]{Set: true, Value: who}})
	must(e.t, err)
}

func TestOverview(t *testing.T) {
	pgtest.EachDatabase(t, func(t *testing.T, url string) {
		e := newOverviewEnv(t, url)
		handoff, active, ended := sb.ConversationHandoff, sb.ConversationActive, sb.ConversationEnded

		// Conversations. Old ends more than 24 hours ago; A and C end
		// without a handoff (C's assignee is named "handoff"); B is handed
		// off and back before it ends, D ends in handoff; W1 and W2 wait.
		old := e.start()
		e.status(old, handoff)
		e.at(-25 * time.Hour)
		e.status(old, ended)
		e.at(-3 * time.Hour)
		a, b, c, d, w1, w2 := e.start(), e.start(), e.start(), e.start(), e.start(), e.start()
		e.at(-150 * time.Minute)
		e.status(b, handoff)
		e.status(w1, handoff)
		e.at(-2 * time.Hour)
		e.status(b, active)
		e.status(a, ended)
		e.status(b, ended)
		e.at(-90 * time.Minute)
		e.assign(c, "handoff")
		e.status(c, ended)
		e.at(-75 * time.Minute)
		e.status(w2, handoff)
		e.at(-70 * time.Minute)
		e.status(d, handoff)
		e.at(-65 * time.Minute)
		e.status(d, ended)
		e.at(-61 * time.Minute)
		e.assign(w2, "ada")
		e.at(0)

		// Messages, in the window of the last 60 minutes: since is the
		// start of the minute 59 minutes before the end's.
		since := e.end.Truncate(time.Minute).Add(-59 * time.Minute)
		message := func(direction string, at time.Time) {
			m := &sb.Message{WorkspaceID: e.ws.ID, ConversationID: a.ID, ChannelID: e.ch.ID, Direction: direction,
				Sender: sb.SenderUser, Text: "hi", Status: sb.MessageReceived, CreatedAt: at}
			must(t, e.db.CreateMessage(e.ctx, m))
		}
		in, out := sb.DirectionInbound, sb.DirectionOutbound
		message(in, since)
		message(in, since.Add(10*time.Second))
		message(out, since.Add(20*time.Second))
		for range 3 {
			message(out, since.Add(30*time.Minute+time.Second))
		}
		message(in, e.end.Add(-25*time.Second))
		message(out, e.end.Add(-time.Second))
		message(in, since.Add(-time.Microsecond)) // before the window
		message(out, e.end.Add(time.Second))      // after now

		// Webhook deliveries of the window, by outcome.
		good := &sb.WebhookEndpoint{WorkspaceID: e.ws.ID, URL: "https://good.example/h", Status: sb.EndpointEnabled,
			Secrets: []sb.EndpointSecret{{Secret: "whsec_c2VjcmV0"}}}
		bad := &sb.WebhookEndpoint{WorkspaceID: e.ws.ID, URL: "https://bad.example/h", Status: sb.EndpointEnabled,
			Secrets: []sb.EndpointSecret{{Secret: "whsec_c2VjcmV0"}}}
		reason := "410 Gone"
		gone := &sb.WebhookEndpoint{WorkspaceID: e.ws.ID, URL: "https://gone.example/h", Status: sb.EndpointDisabled,
			DisabledReason: &reason, Secrets: []sb.EndpointSecret{{Secret: "whsec_c2VjcmV0"}}}
		for _, ep := range []*sb.WebhookEndpoint{good, bad, gone} {
			must(t, e.db.CreateEndpoint(e.ctx, ep))
		}
		ev := sb.NewEvent(e.ws.ID, sb.EventMessageReceived, map[string]any{})
		must(t, e.db.CreateEvent(e.ctx, ev))
		code500 := 500
		deliver := func(ep *sb.WebhookEndpoint, status string, attempts int, created time.Time, took time.Duration, code *int, msg string) {
			dl := &sb.Delivery{WorkspaceID: e.ws.ID, EndpointID: ep.ID, EventID: ev.ID, EventType: ev.Type,
				Status: status, AttemptCount: attempts, CreatedAt: created, LastStatusCode: code}
			if attempts > 0 {
				last := created.Add(took)
				dl.LastAttemptAt = &last
			}
			if msg != "" {
				dl.LastError = &msg
			}
			must(t, e.db.CreateDeliveries(e.ctx, []*sb.Delivery{dl}))
		}
		ok, failed, pending := sb.DeliverySucceeded, sb.DeliveryFailed, sb.DeliveryPending
		deliver(good, ok, 1, since.Add(time.Minute), 150*time.Millisecond, nil, "")
		deliver(good, ok, 1, since.Add(time.Minute+10*time.Second), 250*time.Millisecond, nil, "")
		deliver(good, ok, 2, since.Add(2*time.Minute), 5300*time.Millisecond, nil, "")
		deliver(good, ok, 1, since.Add(2*time.Minute+time.Second), 100*time.Millisecond, nil, "")
		deliver(good, pending, 0, e.end.Add(-20*time.Second), 0, nil, "")
		deliver(bad, failed, 8, since.Add(3*time.Minute), 37*time.Minute, &code500, "HTTP 500")
		deliver(bad, pending, 2, since.Add(50*time.Minute), 5*time.Minute, nil, "connection refused")
		deliver(good, ok, 1, since.Add(-time.Second), time.Second, nil, "")                   // before the window
		deliver(bad, failed, 8, e.end.Add(-3*time.Hour), time.Hour, &code500, "old HTTP 500") // before the window

		// Integrations: one in error, one with a failed run in the window,
		// one healthy.
		integration := func(name, status string) *sb.Integration {
			in := &sb.Integration{WorkspaceID: e.ws.ID, Type: sb.IntegrationHTTP, Name: name, Status: status,
				Config: map[string]any{}, Secrets: map[string]string{}}
			must(t, e.db.CreateIntegration(e.ctx, in))
			return in
		}
		run := func(in *sb.Integration, status string, created time.Time, msg string) {
			r := &sb.Run{WorkspaceID: e.ws.ID, IntegrationID: in.ID, Action: "call", Status: status, Trigger: "api",
				IdempotencyKey: sb.NewID("idem"), CreatedAt: created}
			done := created.Add(time.Second)
			r.FinishedAt = &done
			if msg != "" {
				r.Error = &msg
			}
			must(t, e.db.CreateRun(e.ctx, r))
		}
		shop := integration("shop", sb.IntegrationError)
		crm := integration("crm", sb.IntegrationConnected)
		run(crm, sb.RunFailed, since.Add(5*time.Minute), "HTTP 502")
		run(crm, sb.RunSucceeded, since.Add(6*time.Minute), "")
		run(integration("fine", sb.IntegrationConnected), sb.RunSucceeded, since.Add(7*time.Minute), "")

		o, err := e.s.Overview(e.ctx, e.ws.ID, app.OverviewParams{})
		must(t, err)
		if !o.Now.Equal(e.end) || !o.Since.Equal(since) || o.Step != time.Minute || len(o.Messages) != 60 {
			t.Fatalf("window: now %v since %v step %v, %d buckets; want %v, %v, 1m, 60", o.Now, o.Since, o.Step, len(o.Messages), e.end, since)
		}
		wantMessages := map[int]app.MessageBucket{0: {Inbound: 2, Outbound: 1}, 30: {Outbound: 3}, 59: {Inbound: 1, Outbound: 1}}
		for i, got := range o.Messages {
			want := wantMessages[i]
			want.Start = since.Add(time.Duration(i) * time.Minute)
			if !got.Start.Equal(want.Start) || got.Inbound != want.Inbound || got.Outbound != want.Outbound {
				t.Errorf("messages bucket %d = %+v, want %+v", i, got, want)
			}
		}
		if o.MessagesIn != 3 || o.MessagesOut != 5 {
			t.Errorf("messages in %d, out %d; want 3, 5", o.MessagesIn, o.MessagesOut)
		}

		wantContainment := app.Containment{Since: e.end.Add(-24 * time.Hour), Ended: 4, HandedOff: 2, Contained: 2, Rate: 0.5}
		if !reflect.DeepEqual(o.Containment, wantContainment) {
			t.Errorf("containment = %+v, want %+v", o.Containment, wantContainment)
		}

		oldest := e.end.Add(-150 * time.Minute)
		wantHandoffs := app.HandoffsWaiting{Waiting: 2, Unassigned: 1, OldestID: w1.ID, OldestSince: &oldest, OldestWait: 150 * time.Minute}
		if !reflect.DeepEqual(o.Handoffs, wantHandoffs) {
			t.Errorf("handoffs = %+v (since %v), want %+v (since %v)", o.Handoffs, o.Handoffs.OldestSince, wantHandoffs, oldest)
		}
		_ = w2

		dlv := o.Deliveries
		if dlv.Total != 7 || dlv.Succeeded != 4 || dlv.Failed != 1 || dlv.Retrying != 1 || dlv.New != 1 ||
			dlv.SuccessRate != 4.0/6 || dlv.LatencyP50 != 150*time.Millisecond || dlv.LatencyP95 != 5300*time.Millisecond {
			t.Errorf("deliveries = %+v", dlv)
		}
		wantDeliveries := map[int]app.DeliveryBucket{1: {Succeeded: 2}, 2: {Succeeded: 2}, 3: {Failed: 1}, 50: {Failed: 1}, 59: {Pending: 1}}
		if len(dlv.Buckets) != 60 {
			t.Fatalf("%d delivery buckets, want 60", len(dlv.Buckets))
		}
		for i, got := range dlv.Buckets {
			want := wantDeliveries[i]
			want.Start = since.Add(time.Duration(i) * time.Minute)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("deliveries bucket %d = %+v, want %+v", i, got, want)
			}
		}

		eps := o.FailingEndpoints
		if len(eps) != 2 || eps[0].ID != bad.ID || eps[0].Failed != 1 || eps[0].Retrying != 1 ||
			eps[0].LastError == nil || *eps[0].LastError != "connection refused" || eps[0].LastStatusCode != nil ||
			eps[0].LastAttemptAt == nil || !eps[0].LastAttemptAt.Equal(since.Add(55*time.Minute)) ||
			eps[1].ID != gone.ID || eps[1].Status != sb.EndpointDisabled || eps[1].DisabledReason == nil || eps[1].LastError != nil {
			t.Errorf("failing endpoints = %+v", eps)
		}
		ins := o.FailingIntegrations
		if len(ins) != 2 || ins[0].ID != crm.ID || ins[0].FailedRuns != 1 || ins[0].LastError == nil || *ins[0].LastError != "HTTP 502" ||
			ins[1].ID != shop.ID || ins[1].FailedRuns != 0 || ins[1].Status != sb.IntegrationError {
			t.Errorf("failing integrations = %+v", ins)
		}

		// A wider window in steps of 5 minutes sums the same messages and
		// takes in the one just before the hour.
		o, err = e.s.Overview(e.ctx, e.ws.ID, app.OverviewParams{Window: 2 * time.Hour, Step: 5 * time.Minute})
		must(t, err)
		if len(o.Messages) != 24 || o.MessagesIn != 4 || o.MessagesOut != 5 || o.Deliveries.Total != 8 {
			t.Errorf("2 hours by 5 minutes: %d buckets, in %d, out %d, %d deliveries; want 24, 4, 5, 8",
				len(o.Messages), o.MessagesIn, o.MessagesOut, o.Deliveries.Total)
		}
	})
}

func TestOverviewParams(t *testing.T) {
	db := pgtest.Open(t, "sqlite://"+t.TempDir()+"/sb.db")
	s := app.New(app.Config{}, app.Deps{Store: db})
	ctx := context.Background()
	for _, tc := range []struct {
		p     app.OverviewParams
		field string
	}{
		{app.OverviewParams{Step: 30 * time.Second}, "step"},
		{app.OverviewParams{Step: 90 * time.Second}, "step"},
		{app.OverviewParams{Step: -time.Minute}, "step"},
		{app.OverviewParams{Window: 25 * time.Hour}, "window"},
		{app.OverviewParams{Window: 90 * time.Second}, "window"},
		{app.OverviewParams{Window: 30 * time.Minute, Step: time.Hour}, "window"},
		{app.OverviewParams{Window: 5 * time.Hour}, "window"}, // 300 steps
		{app.OverviewParams{Window: -time.Hour}, "window"},
	} {
		_, err := s.Overview(ctx, "ws_none", tc.p)
		if sb.ErrorCode(err) != sb.EInvalid || !errorNames(err, tc.field) {
			t.Errorf("%+v: %v, want invalid %s", tc.p, err, tc.field)
		}
	}
	o, err := s.Overview(ctx, "ws_none", app.OverviewParams{Window: 24 * time.Hour, Step: 6 * time.Minute})
	must(t, err)
	if len(o.Messages) != 240 || len(o.Deliveries.Buckets) != 240 || o.Containment.Ended != 0 || o.Handoffs.Waiting != 0 {
		t.Fatalf("an empty workspace over a day: %+v", o)
	}
	// At the first instant of a minute, that minute is the last bucket.
	minute := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	s = app.New(app.Config{}, app.Deps{Store: db, Clock: testclock.New(minute)})
	o, err = s.Overview(ctx, "ws_none", app.OverviewParams{})
	must(t, err)
	if len(o.Messages) != 60 || !o.Messages[59].Start.Equal(minute) || !o.Since.Equal(minute.Add(-59*time.Minute)) {
		t.Fatalf("at %v: %d buckets from %v", minute, len(o.Messages), o.Since)
	}
}

// errorNames reports whether err is a switchboard error naming field.
func errorNames(err error, field string) bool {
	var e *sb.Error
	if !errors.As(err, &e) {
		return false
	}
	for _, f := range e.Fields {
		if f.Field == field {
			return true
		}
	}
	return false
}
