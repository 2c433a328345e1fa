package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard"
)

func testIdempotency(t *testing.T, f *fixture) {
	r := &switchboard.IdempotencyRecord{Scope: "key_1", Key: "req-1", RequestHash: "abc123"}
	must(t, f.s.CreateIdempotencyRecord(f.ctx, r))
	got, err := f.s.GetIdempotencyRecord(f.ctx, "key_1", "req-1")
	must(t, err)
	if got.Status != 0 || got.Body != nil || got.Header == nil || len(got.Header) != 0 {
		t.Fatalf("in-progress record read back as %+v", got)
	}
	same(t, got.CreatedAt, r.CreatedAt)

	wantCode(t, f.s.CreateIdempotencyRecord(f.ctx, &switchboard.IdempotencyRecord{Scope: "key_1", Key: "req-1", RequestHash: "other"}),
		switchboard.EConflict)
	must(t, f.s.CreateIdempotencyRecord(f.ctx, &switchboard.IdempotencyRecord{Scope: "key_2", Key: "req-1", RequestHash: "x"}))
	_, err = f.s.GetIdempotencyRecord(f.ctx, "key_3", "req-1")
	wantNotFound(t, err)

	r.Status, r.Header = 201, map[string]string{"Content-Type": "application/json", "Location": "/api/v1/bots/bot_1"}
	r.Body = []byte(`{"id":"bot_1"}` + "\x00\xff")
	must(t, f.s.CompleteIdempotencyRecord(f.ctx, r))
	got, err = f.s.GetIdempotencyRecord(f.ctx, "key_1", "req-1")
	must(t, err)
	same(t, got, r)
	wantNotFound(t, f.s.CompleteIdempotencyRecord(f.ctx, &switchboard.IdempotencyRecord{Scope: "nope", Key: "nope", Status: 200}))

	must(t, f.s.DeleteIdempotencyRecord(f.ctx, "key_1", "req-1"))
	_, err = f.s.GetIdempotencyRecord(f.ctx, "key_1", "req-1")
	wantNotFound(t, err)
	wantNotFound(t, f.s.DeleteIdempotencyRecord(f.ctx, "key_1", "req-1"))

	old := time.Now().Add(-25 * time.Hour)
	for i := range 3 {
		must(t, f.s.CreateIdempotencyRecord(f.ctx, &switchboard.IdempotencyRecord{Scope: "old", Key: fmt.Sprint(i),
			RequestHash: "h", CreatedAt: old.Add(time.Duration(i) * time.Minute)}))
	}
	n, err := f.s.DeleteIdempotencyRecordsBefore(f.ctx, old.Add(90*time.Second))
	must(t, err)
	if n != 2 {
		t.Fatalf("purged %d records, want 2", n)
	}
	_, err = f.s.GetIdempotencyRecord(f.ctx, "old", "2")
	must(t, err)
	_, err = f.s.GetIdempotencyRecord(f.ctx, "key_2", "req-1")
	must(t, err)
}

// paginate follows a list from page to page as a client would, checking the
// Limit+1 convention, and returns the ids in the order seen and the number
// of pages.
func paginate[T any](t *testing.T, limit int, list func(switchboard.Page) ([]T, error), id func(T) string) ([]string, int) {
	t.Helper()
	var all []string
	p := switchboard.Page{Limit: limit}
	for pages := 1; ; pages++ {
		items, err := list(p)
		must(t, err)
		if len(items) > limit+1 {
			t.Fatalf("page of limit %d has %d items", limit, len(items))
		}
		more := len(items) > limit
		if more {
			items = items[:limit]
		}
		all = append(all, ids(items, id)...)
		if !more || pages > 100 {
			return all, pages
		}
		p.After = id(items[len(items)-1])
	}
}

// wantPages checks that paginating with limit 4 yields exactly want, newest
// first, in more than two pages.
func wantPages[T any](t *testing.T, name string, want []string, list func(switchboard.Page) ([]T, error), id func(T) string) {
	t.Helper()
	want = slices.Clone(want)
	slices.Reverse(want)
	got, pages := paginate(t, 4, list, id)
	if !slices.Equal(got, want) {
		t.Fatalf("%s: paginated ids\n got %v\nwant %v", name, got, want)
	}
	if pages < 3 {
		t.Fatalf("%s: %d pages, want at least 3", name, pages)
	}
	all, err := list(switchboard.Page{}) // Limit 0: the default page size
	must(t, err)
	if len(all) != len(want) {
		t.Fatalf("%s: default page has %d items, want %d", name, len(all), len(want))
	}
}

func testPagination(t *testing.T, f *fixture) {
	const n = 10
	keys, bots, chans, contacts := []string{}, []string{f.bot.ID}, []string{f.ch.ID}, []string{f.ct.ID}
	convs, msgs, events := []string{f.conv.ID}, []string{}, []string{}
	for i := range n {
		keys = append(keys, newKey(f, t, f.ws.ID, fmt.Sprintf("sbk_secret_%03d", i)).ID)
		bots = append(bots, f.newBot(t, f.ws.ID).ID)
		chans = append(chans, f.newChannel(t, f.ws.ID, nil).ID)
		contacts = append(contacts, f.newContact(t, f.ch, fmt.Sprint("u", i)).ID)
		convs = append(convs, f.newConversation(t, f.ct, switchboard.ConversationActive).ID)
		msgs = append(msgs, f.newMessage(t, f.conv, switchboard.DirectionInbound, ptr(fmt.Sprint("m", i))).ID)
		events = append(events, f.newEvent(t, f.ws.ID, switchboard.EventMessageReceived).ID)
	}
	ctx, ws := f.ctx, f.ws.ID
	wantPages(t, "api keys", keys, func(p switchboard.Page) ([]*switchboard.APIKey, error) { return f.s.ListAPIKeys(ctx, ws, p) }, keyID)
	wantPages(t, "bots", bots, func(p switchboard.Page) ([]*switchboard.Bot, error) { return f.s.ListBots(ctx, ws, p) }, botID)
	wantPages(t, "channels", chans, func(p switchboard.Page) ([]*switchboard.Channel, error) { return f.s.ListChannels(ctx, ws, p) }, channelID)
	wantPages(t, "contacts", contacts, func(p switchboard.Page) ([]*switchboard.Contact, error) {
		return f.s.ListContacts(ctx, ws, switchboard.ContactFilter{ChannelID: f.ch.ID}, p)
	}, contactID)
	wantPages(t, "conversations", convs, func(p switchboard.Page) ([]*switchboard.Conversation, error) {
		return f.s.ListConversations(ctx, ws, switchboard.ConversationFilter{Status: switchboard.ConversationActive}, p)
	}, conversationID)
	wantPages(t, "messages", msgs, func(p switchboard.Page) ([]*switchboard.Message, error) {
		return f.s.ListMessages(ctx, ws, f.conv.ID, p)
	}, messageID)
	wantPages(t, "events", events, func(p switchboard.Page) ([]*switchboard.Event, error) {
		return f.s.ListEvents(ctx, ws, switchboard.EventFilter{Type: "message.*"}, p)
	}, eventID)
}

// testWorkspaceIsolation: every workspace-scoped read and write of another
// workspace's resource is not_found.
func testWorkspaceIsolation(t *testing.T, f *fixture) {
	m := f.newMessage(t, f.conv, switchboard.DirectionInbound, ptr("x"))
	e := f.newEvent(t, f.ws.ID, switchboard.EventMessageReceived)
	k := newKey(f, t, f.ws.ID, "sbk_isolated_secret")
	o := f.workspace(t, "other").ID
	ctx := f.ctx
	reads := map[string]func() error{
		"GetAPIKey":       func() error { _, err := f.s.GetAPIKey(ctx, o, k.ID); return err },
		"GetBot":          func() error { _, err := f.s.GetBot(ctx, o, f.bot.ID); return err },
		"GetChannel":      func() error { _, err := f.s.GetChannel(ctx, o, f.ch.ID); return err },
		"GetContact":      func() error { _, err := f.s.GetContact(ctx, o, f.ct.ID); return err },
		"GetConversation": func() error { _, err := f.s.GetConversation(ctx, o, f.conv.ID); return err },
		"GetMessage":      func() error { _, err := f.s.GetMessage(ctx, o, f.conv.ID, m.ID); return err },
		"GetEvent":        func() error { _, err := f.s.GetEvent(ctx, o, e.ID); return err },
		"RevokeAPIKey":    func() error { return f.s.RevokeAPIKey(ctx, o, k.ID, time.Now()) },
		"DeleteBot":       func() error { return f.s.DeleteBot(ctx, o, f.bot.ID) },
		"DeleteChannel":   func() error { return f.s.DeleteChannel(ctx, o, f.ch.ID) },
		"DeleteConv":      func() error { return f.s.DeleteConversation(ctx, o, f.conv.ID) },
	}
	for name, fn := range reads {
		if code := switchboard.ErrorCode(fn()); code != switchboard.ENotFound {
			t.Errorf("%s across workspaces: code %q, want not_found", name, code)
		}
	}
	counts := map[string]func() (int, error){
		"ListAPIKeys":  func() (int, error) { l, err := f.s.ListAPIKeys(ctx, o, switchboard.Page{}); return len(l), err },
		"ListBots":     func() (int, error) { l, err := f.s.ListBots(ctx, o, switchboard.Page{}); return len(l), err },
		"ListChannels": func() (int, error) { l, err := f.s.ListChannels(ctx, o, switchboard.Page{}); return len(l), err },
		"ListMessages": func() (int, error) {
			l, err := f.s.ListMessages(ctx, o, f.conv.ID, switchboard.Page{})
			return len(l), err
		},
		"ListEvents": func() (int, error) {
			l, err := f.s.ListEvents(ctx, o, switchboard.EventFilter{}, switchboard.Page{})
			return len(l), err
		},
		"ListConversations": func() (int, error) {
			l, err := f.s.ListConversations(ctx, o, switchboard.ConversationFilter{}, switchboard.Page{})
			return len(l), err
		},
		"ListContacts": func() (int, error) {
			l, err := f.s.ListContacts(ctx, o, switchboard.ContactFilter{}, switchboard.Page{})
			return len(l), err
		},
	}
	for name, fn := range counts {
		if n, err := fn(); err != nil || n != 0 {
			t.Errorf("%s of an empty workspace: %d items, error %v", name, n, err)
		}
	}
	// Nothing was deleted by the attempts above.
	_, err := f.s.GetMessage(ctx, f.ws.ID, f.conv.ID, m.ID)
	must(t, err)
}

// testTimes: times round-trip exactly at microsecond precision, in UTC,
// whatever their zone and finer precision on the way in.
func testTimes(t *testing.T, f *fixture) {
	zone := time.FixedZone("UTC-7", -7*3600)
	for _, in := range []time.Time{
		time.Date(2025, 6, 30, 23, 59, 59, 123456789, zone),
		time.Date(1999, 12, 31, 23, 59, 59, 999999999, time.UTC),
		time.Date(2100, 1, 1, 0, 0, 0, 1000, time.UTC),
		time.Date(2024, 2, 29, 12, 0, 0, 0, time.UTC),
	} {
		want := in.UTC().Truncate(time.Microsecond)
		c := &switchboard.Conversation{WorkspaceID: f.ws.ID, ChannelID: f.ch.ID, ContactID: f.ct.ID,
			Status: switchboard.ConversationEnded, StartedAt: in, LastActivityAt: in, EndedAt: &in}
		must(t, f.s.CreateConversation(f.ctx, c))
		got, err := f.s.GetConversation(f.ctx, f.ws.ID, c.ID)
		must(t, err)
		same(t, got.StartedAt, want)
		same(t, got.LastActivityAt, want)
		same(t, *got.EndedAt, want)
		same(t, got, c) // Create normalised the struct it was given
	}
}
