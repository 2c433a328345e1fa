package storetest

import (
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard"
)

// overviewBase is a minute boundary in the recent past: rows are stored
// with times after it, and ids made now (which sort after it).
func overviewBase() time.Time {
	return time.Now().UTC().Truncate(time.Minute).Add(-30 * time.Minute)
}

func testCountMessages(t *testing.T, f *fixture) {
	base := overviewBase()
	at := func(conv *switchboard.Conversation, direction string, d time.Duration) {
		m := &switchboard.Message{WorkspaceID: conv.WorkspaceID, ConversationID: conv.ID, ChannelID: conv.ChannelID,
			Direction: direction, Sender: switchboard.SenderUser, Text: "hi", Status: switchboard.MessageReceived,
			CreatedAt: base.Add(d)}
		must(t, f.s.CreateMessage(f.ctx, m))
	}
	in, out := switchboard.DirectionInbound, switchboard.DirectionOutbound
	at(f.conv, in, 0) // the first instant of bucket 0
	at(f.conv, in, 59*time.Second+999999*time.Microsecond)
	at(f.conv, out, 59*time.Second)
	at(f.conv, out, time.Minute) // bucket 1
	at(f.conv, in, 150*time.Second)
	at(f.conv, out, 179*time.Second)
	at(f.conv, in, -time.Microsecond) // before the span
	at(f.conv, in, 3*time.Minute)     // at Until: after the span
	second := f.newConversation(t, f.ct, switchboard.ConversationActive)
	at(second, out, 170*time.Second) // bucket 2, another conversation
	other := f.workspace(t, "other")
	ch := f.newChannel(t, other.ID, nil)
	at(f.newConversation(t, f.newContact(t, ch, "u"), switchboard.ConversationActive), in, 10*time.Second)

	got, err := f.s.CountMessages(f.ctx, f.ws.ID, switchboard.Span{Since: base, Until: base.Add(3 * time.Minute), Step: time.Minute})
	must(t, err)
	want := []switchboard.MessageCount{
		{Bucket: 0, Direction: in, Count: 2}, {Bucket: 0, Direction: out, Count: 1},
		{Bucket: 1, Direction: out, Count: 1},
		{Bucket: 2, Direction: in, Count: 1}, {Bucket: 2, Direction: out, Count: 2},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("CountMessages = %+v\nwant %+v", got, want)
	}
	// Buckets of two minutes from the second minute.
	got, err = f.s.CountMessages(f.ctx, f.ws.ID, switchboard.Span{Since: base.Add(time.Minute), Until: base.Add(5 * time.Minute), Step: 2 * time.Minute})
	must(t, err)
	want = []switchboard.MessageCount{{Bucket: 0, Direction: in, Count: 1}, {Bucket: 0, Direction: out, Count: 3},
		{Bucket: 1, Direction: in, Count: 1}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("CountMessages by 2 minutes = %+v\nwant %+v", got, want)
	}
	got, err = f.s.CountMessages(f.ctx, other.ID, switchboard.Span{Since: base.Add(time.Hour), Until: base.Add(2 * time.Hour), Step: time.Minute})
	must(t, err)
	if len(got) != 0 {
		t.Fatalf("CountMessages of an empty span = %+v", got)
	}
}

// handoff records that conv was handed off at at, as the lifecycle does.
func (f *fixture) handoff(t *testing.T, conv *switchboard.Conversation, field, value string, at time.Time) {
	t.Helper()
	c := *conv
	c.Status = switchboard.ConversationHandoff
	e := switchboard.ConversationEvent(switchboard.EventConversationUpdated, &c,
		&switchboard.Change{Field: field, OldValue: switchboard.ConversationActive, NewValue: value})
	e.Timestamp = at
	must(t, f.s.CreateEvent(f.ctx, e))
}

// endAt ends conv at at.
func (f *fixture) endAt(t *testing.T, conv *switchboard.Conversation, at time.Time) {
	t.Helper()
	conv.Status, conv.EndedAt = switchboard.ConversationEnded, &at
	must(t, f.s.UpdateConversation(f.ctx, conv))
}

func testConversationOutcomes(t *testing.T, f *fixture) {
	base := overviewBase()
	since, until := base.Add(-24*time.Hour), base
	status := "status"
	contained := f.conv // ends without a handoff
	f.endAt(t, contained, base.Add(-time.Hour))
	twice := f.newConversation(t, f.ct, switchboard.ConversationActive) // handed off twice, then ended
	f.handoff(t, twice, status, switchboard.ConversationHandoff, base.Add(-3*time.Hour))
	f.handoff(t, twice, status, switchboard.ConversationHandoff, base.Add(-2*time.Hour))
	f.endAt(t, twice, base.Add(-time.Minute))
	assigned := f.newConversation(t, f.ct, switchboard.ConversationActive) // an assignee named "handoff" is no handoff
	f.handoff(t, assigned, "assignee", switchboard.ConversationHandoff, base.Add(-time.Hour))
	f.endAt(t, assigned, since) // the first instant of the range
	early := f.newConversation(t, f.ct, switchboard.ConversationActive)
	f.handoff(t, early, status, switchboard.ConversationHandoff, base.Add(-26*time.Hour))
	f.endAt(t, early, since.Add(-time.Microsecond)) // before the range
	late := f.newConversation(t, f.ct, switchboard.ConversationActive)
	f.endAt(t, late, until)                                                // after the range
	waiting := f.newConversation(t, f.ct, switchboard.ConversationHandoff) // handed off, not ended
	f.handoff(t, waiting, status, switchboard.ConversationHandoff, base.Add(-time.Hour))
	other := f.workspace(t, "other")
	otherConv := f.newConversation(t, f.newContact(t, f.newChannel(t, other.ID, nil), "u"), switchboard.ConversationActive)
	f.handoff(t, otherConv, status, switchboard.ConversationHandoff, base.Add(-time.Hour))
	f.endAt(t, otherConv, base.Add(-time.Minute))

	got, err := f.s.ConversationOutcomes(f.ctx, f.ws.ID, since, until)
	must(t, err)
	if want := (switchboard.ConversationOutcomes{Ended: 3, HandedOff: 1}); got != want {
		t.Fatalf("ConversationOutcomes = %+v, want %+v", got, want)
	}
	got, err = f.s.ConversationOutcomes(f.ctx, other.ID, since, until)
	must(t, err)
	if want := (switchboard.ConversationOutcomes{Ended: 1, HandedOff: 1}); got != want {
		t.Fatalf("ConversationOutcomes of the other workspace = %+v, want %+v", got, want)
	}
	got, err = f.s.ConversationOutcomes(f.ctx, f.ws.ID, until.Add(time.Hour), until.Add(2*time.Hour))
	must(t, err)
	if got != (switchboard.ConversationOutcomes{}) {
		t.Fatalf("ConversationOutcomes of an empty range = %+v", got)
	}
}

func testHandoffQueue(t *testing.T, f *fixture) {
	base := overviewBase()
	got, err := f.s.HandoffQueue(f.ctx, f.ws.ID)
	must(t, err)
	if got != (switchboard.HandoffQueue{}) {
		t.Fatalf("HandoffQueue without handoffs = %+v", got)
	}
	// Handed off, back to the bot, handed off again: waiting since the
	// last handoff.
	again := f.newConversation(t, f.ct, switchboard.ConversationHandoff)
	f.handoff(t, again, "status", switchboard.ConversationHandoff, base.Add(-5*time.Hour))
	f.handoff(t, again, "status", switchboard.ConversationHandoff, base.Add(-time.Hour))
	agent := "ada"
	again.Assignee = &agent
	must(t, f.s.UpdateConversation(f.ctx, again))
	oldest := f.newConversation(t, f.ct, switchboard.ConversationHandoff)
	f.handoff(t, oldest, "status", switchboard.ConversationHandoff, base.Add(-2*time.Hour))
	f.newConversation(t, f.ct, switchboard.ConversationHandoff) // no event: waiting since its start (now)
	back := f.newConversation(t, f.ct, switchboard.ConversationActive)
	f.handoff(t, back, "status", switchboard.ConversationHandoff, base.Add(-10*time.Hour)) // handed back since
	other := f.workspace(t, "other")
	otherConv := f.newConversation(t, f.newContact(t, f.newChannel(t, other.ID, nil), "u"), switchboard.ConversationHandoff)
	f.handoff(t, otherConv, "status", switchboard.ConversationHandoff, base.Add(-20*time.Hour))

	got, err = f.s.HandoffQueue(f.ctx, f.ws.ID)
	must(t, err)
	since := base.Add(-2 * time.Hour)
	want := switchboard.HandoffQueue{Waiting: 3, Unassigned: 2, OldestID: oldest.ID, OldestSince: &since}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("HandoffQueue = %+v (oldest since %v), want %+v (%v)", got, got.OldestSince, want, since)
	}
}

func testDeliveryOutcomes(t *testing.T, f *fixture) {
	base := overviewBase()
	healthy := f.newEndpoint(t, f.ws.ID)
	failing := f.newEndpoint(t, f.ws.ID, "message.*")
	disabled := f.newEndpoint(t, f.ws.ID, "conversation.*")
	reason := "410 Gone"
	disabled.Status, disabled.DisabledReason = switchboard.EndpointDisabled, &reason
	must(t, f.s.UpdateEndpoint(f.ctx, disabled))
	quiet := f.newEndpoint(t, f.ws.ID, "bot.*") // disabled by hand, never failed
	quiet.Status = switchboard.EndpointDisabled
	must(t, f.s.UpdateEndpoint(f.ctx, quiet))
	ev := f.newEvent(t, f.ws.ID, "test.overview")
	code500, code410 := 500, 410
	deliver := func(e *switchboard.WebhookEndpoint, status string, attempts int, created, last time.Duration, code *int, msg string) {
		d := &switchboard.Delivery{WorkspaceID: e.WorkspaceID, EndpointID: e.ID, EventID: ev.ID, EventType: ev.Type,
			Status: status, AttemptCount: attempts, CreatedAt: base.Add(created), LastStatusCode: code}
		if attempts > 0 {
			at := base.Add(last)
			d.LastAttemptAt = &at
		}
		if msg != "" {
			d.LastError = &msg
		}
		if status == switchboard.DeliveryPending {
			next := base.Add(time.Hour)
			d.NextAttemptAt = &next
		}
		must(t, f.s.CreateDeliveries(f.ctx, []*switchboard.Delivery{d}))
	}
	ok, pending, failed := switchboard.DeliverySucceeded, switchboard.DeliveryPending, switchboard.DeliveryFailed
	deliver(healthy, ok, 1, 0, 200*time.Millisecond, nil, "")
	deliver(healthy, ok, 2, 30*time.Second, 40*time.Second, nil, "")
	deliver(healthy, pending, 0, 90*time.Second, 0, nil, "")
	deliver(healthy, ok, 1, -time.Second, 0, nil, "") // before the range
	deliver(failing, failed, 8, time.Minute, 2*time.Minute, &code500, "HTTP 500")
	deliver(failing, pending, 2, 2*time.Minute, 3*time.Minute, &code500, "HTTP 500 again")
	deliver(failing, failed, 8, -time.Hour, -time.Minute, &code500, "old failure") // before the range
	deliver(disabled, failed, 1, -2*time.Hour, -2*time.Hour, &code410, "HTTP 410: gone")
	// A failing endpoint with no failed delivery in the range.
	stale := f.newEndpoint(t, f.ws.ID, "message.received")
	_, err := f.s.MarkEndpointFailing(f.ctx, stale.ID, base.Add(-time.Hour))
	must(t, err)
	other := f.workspace(t, "other")
	otherEv := f.newEvent(t, other.ID, "test.overview")
	otherEp := f.newEndpoint(t, other.ID)
	must(t, f.s.CreateDeliveries(f.ctx, []*switchboard.Delivery{{WorkspaceID: other.ID, EndpointID: otherEp.ID,
		EventID: otherEv.ID, EventType: otherEv.Type, Status: failed, AttemptCount: 1, CreatedAt: base.Add(time.Second)}}))

	got, err := f.s.DeliveryOutcomes(f.ctx, f.ws.ID, base, base.Add(3*time.Minute))
	must(t, err)
	type outcome struct {
		ep, status string
		attempts   int
		created    time.Duration
		latency    time.Duration
	}
	var gotOut []outcome
	for _, d := range got {
		o := outcome{d.EndpointID, d.Status, d.AttemptCount, d.CreatedAt.Sub(base), -1}
		if d.LastAttemptAt != nil {
			o.latency = d.LastAttemptAt.Sub(d.CreatedAt)
		}
		gotOut = append(gotOut, o)
	}
	wantOut := []outcome{
		{healthy.ID, ok, 1, 0, 200 * time.Millisecond},
		{healthy.ID, ok, 2, 30 * time.Second, 10 * time.Second},
		{healthy.ID, pending, 0, 90 * time.Second, -1},
		{failing.ID, failed, 8, time.Minute, time.Minute},
		{failing.ID, pending, 2, 2 * time.Minute, time.Minute},
	}
	if !reflect.DeepEqual(gotOut, wantOut) {
		t.Fatalf("DeliveryOutcomes = %+v\nwant %+v", gotOut, wantOut)
	}

	eps, err := f.s.FailingEndpoints(f.ctx, f.ws.ID, base)
	must(t, err)
	type failingEP struct {
		id, status       string
		failed, retrying int
		lastError        string
		code             int
		failingSince     bool
	}
	var gotEP []failingEP
	for _, e := range eps {
		fe := failingEP{id: e.ID, status: e.Status, failed: e.Failed, retrying: e.Retrying, failingSince: e.FailingSince != nil}
		if e.LastError != nil {
			fe.lastError = *e.LastError
		}
		if e.LastStatusCode != nil {
			fe.code = *e.LastStatusCode
		}
		gotEP = append(gotEP, fe)
	}
	ids := []string{disabled.ID, quiet.ID, stale.ID}
	wantEP := []failingEP{
		{failing.ID, switchboard.EndpointEnabled, 1, 1, "HTTP 500 again", 500, false},
	}
	// The others failed nothing in the range: by id.
	slices.Sort(ids)
	for _, id := range ids {
		switch id {
		case disabled.ID:
			wantEP = append(wantEP, failingEP{disabled.ID, switchboard.EndpointDisabled, 0, 0, "HTTP 410: gone", 410, false})
		case quiet.ID:
			wantEP = append(wantEP, failingEP{quiet.ID, switchboard.EndpointDisabled, 0, 0, "", 0, false})
		case stale.ID:
			wantEP = append(wantEP, failingEP{stale.ID, switchboard.EndpointEnabled, 0, 0, "", 0, true})
		}
	}
	if !reflect.DeepEqual(gotEP, wantEP) {
		t.Fatalf("FailingEndpoints = %+v\nwant %+v", gotEP, wantEP)
	}
	if eps[1].DisabledReason == nil || *eps[1].DisabledReason != reason || eps[0].URL != failing.URL {
		t.Fatalf("FailingEndpoints lost the URL or the reason: %+v", eps[:2])
	}
}

func testFailingIntegrations(t *testing.T, f *fixture) {
	base := overviewBase()
	integration := func(ws, name, status string) *switchboard.Integration {
		in := &switchboard.Integration{WorkspaceID: ws, Type: switchboard.IntegrationHTTP, Name: name, Status: status,
			Config: map[string]any{}, Secrets: map[string]string{}}
		must(t, f.s.CreateIntegration(f.ctx, in))
		return in
	}
	run := func(in *switchboard.Integration, status string, created time.Duration, msg string) {
		r := &switchboard.Run{WorkspaceID: in.WorkspaceID, IntegrationID: in.ID, Action: "call", Status: status,
			Trigger: "api", IdempotencyKey: switchboard.NewID("idem"), CreatedAt: base.Add(created)}
		if msg != "" {
			r.Error = &msg
			done := base.Add(created + time.Second)
			r.FinishedAt = &done
		}
		must(t, f.s.CreateRun(f.ctx, r))
	}
	healthy := integration(f.ws.ID, "fine", switchboard.IntegrationConnected)
	run(healthy, switchboard.RunSucceeded, time.Minute, "")
	run(healthy, switchboard.RunFailed, -time.Minute, "long ago") // before the range
	broken := integration(f.ws.ID, "broken", switchboard.IntegrationError)
	flaky := integration(f.ws.ID, "flaky", switchboard.IntegrationConnected)
	run(flaky, switchboard.RunFailed, time.Minute, "HTTP 502")
	run(flaky, switchboard.RunSucceeded, 2*time.Minute, "")
	run(flaky, switchboard.RunFailed, 3*time.Minute, "HTTP 503")
	other := f.workspace(t, "other")
	run(integration(other.ID, "elsewhere", switchboard.IntegrationError), switchboard.RunFailed, time.Minute, "x")

	got, err := f.s.FailingIntegrations(f.ctx, f.ws.ID, base)
	must(t, err)
	if len(got) != 2 || got[0].ID != flaky.ID || got[0].FailedRuns != 2 || got[0].LastError == nil ||
		*got[0].LastError != "HTTP 503" || got[0].LastFailed == nil || !got[0].LastFailed.Equal(base.Add(3*time.Minute+time.Second)) ||
		got[1].ID != broken.ID || got[1].FailedRuns != 0 || got[1].LastError != nil || got[1].Status != switchboard.IntegrationError ||
		got[0].Name != "flaky" || got[0].Type != switchboard.IntegrationHTTP {
		t.Fatalf("FailingIntegrations = %+v", got)
	}
}
