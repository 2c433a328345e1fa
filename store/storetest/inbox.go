package storetest

import (
	"testing"
	"time"

	"github.com/switchboardhq/switchboard"
)

// testInbox: conversations by newest activity, filtered by status,
// channel and assignee, paged with a conversation id as the cursor.
func testInbox(t *testing.T, f *fixture) {
	base := time.Now().Add(-time.Hour).UTC().Truncate(time.Microsecond)
	ann := "ann@example.com"
	var convs []*switchboard.Conversation
	for i := range 6 {
		ct := f.newContact(t, f.ch, "inbox-"+string(rune('a'+i)))
		c := f.newConversation(t, ct, switchboard.ConversationActive)
		// Activity in an order unlike the ids': 3, 0, 5, 1, 4, 2 newest last.
		c.LastActivityAt = base.Add(time.Duration([]int{1, 3, 5, 0, 4, 2}[i]) * time.Minute)
		if i%2 == 0 {
			c.Assignee = &ann
		}
		if i == 5 {
			c.Status = switchboard.ConversationHandoff
		}
		must(t, f.s.UpdateConversation(f.ctx, c))
		convs = append(convs, c)
	}
	f.conv.LastActivityAt = base.Add(-time.Hour) // the fixture's, oldest
	must(t, f.s.UpdateConversation(f.ctx, f.conv))
	other := f.workspace(t, "elsewhere")
	otherCh := f.newChannel(t, other.ID, nil)
	f.newConversation(t, f.newContact(t, otherCh, "x"), switchboard.ConversationActive)

	id := func(c *switchboard.Conversation) string { return c.ID }
	list := func(fl switchboard.InboxFilter, p switchboard.Page) []string {
		t.Helper()
		got, err := f.s.ListInbox(f.ctx, f.ws.ID, fl, p)
		must(t, err)
		return ids(got, id)
	}
	want := []string{convs[2].ID, convs[4].ID, convs[1].ID, convs[5].ID, convs[0].ID, convs[3].ID, f.conv.ID}
	same(t, list(switchboard.InboxFilter{}, switchboard.Page{Limit: 10}), want)

	// Pages of two, each after the last conversation of the one before.
	var paged []string
	after := ""
	for {
		page := list(switchboard.InboxFilter{}, switchboard.Page{Limit: 2, After: after})
		if len(page) > 2 {
			paged = append(paged, page[:2]...)
			after = page[1]
			continue
		}
		paged = append(paged, page...)
		break
	}
	same(t, paged, want)

	same(t, list(switchboard.InboxFilter{Assignee: ann}, switchboard.Page{Limit: 10}), []string{convs[2].ID, convs[4].ID, convs[0].ID})
	same(t, list(switchboard.InboxFilter{Unassigned: true}, switchboard.Page{Limit: 10}), []string{convs[1].ID, convs[5].ID, convs[3].ID, f.conv.ID})
	same(t, list(switchboard.InboxFilter{Status: switchboard.ConversationHandoff}, switchboard.Page{Limit: 10}), []string{convs[5].ID})
	same(t, list(switchboard.InboxFilter{ChannelID: otherCh.ID}, switchboard.Page{Limit: 10}), []string{})
	same(t, list(switchboard.InboxFilter{ChannelID: f.ch.ID, Unassigned: true, Status: switchboard.ConversationActive}, switchboard.Page{Limit: 10}),
		[]string{convs[1].ID, convs[3].ID, f.conv.ID})
}

// testReadMarks: unread counts are the inbound messages after a user's
// mark; marks are per user, never move back, and stay in their workspace.
func testReadMarks(t *testing.T, f *fixture) {
	ada := f.newUser(t, f.ws.ID, "ada.reads@example.com", switchboard.RoleAgent)
	bob := f.newUser(t, f.ws.ID, "bob.reads@example.com", switchboard.RoleAgent)
	second := f.newConversation(t, f.newContact(t, f.ch, "reader-2"), switchboard.ConversationActive)
	in1 := f.newMessage(t, f.conv, switchboard.DirectionInbound, nil)
	f.newMessage(t, f.conv, switchboard.DirectionOutbound, nil)
	in2 := f.newMessage(t, f.conv, switchboard.DirectionInbound, nil)
	f.newMessage(t, second, switchboard.DirectionInbound, nil)
	convIDs := []string{f.conv.ID, second.ID}

	count := func(u *switchboard.User) map[string]int {
		t.Helper()
		got, err := f.s.CountUnread(f.ctx, f.ws.ID, u.ID, convIDs)
		must(t, err)
		return got
	}
	same(t, count(ada), map[string]int{f.conv.ID: 2, second.ID: 1})

	must(t, f.s.MarkConversationRead(f.ctx, f.ws.ID, ada.ID, f.conv.ID, in1.ID, time.Now()))
	same(t, count(ada), map[string]int{f.conv.ID: 1, second.ID: 1})
	must(t, f.s.MarkConversationRead(f.ctx, f.ws.ID, ada.ID, f.conv.ID, in2.ID, time.Now()))
	same(t, count(ada), map[string]int{second.ID: 1})
	// An older mark (a page opened before) does not move the mark back.
	must(t, f.s.MarkConversationRead(f.ctx, f.ws.ID, ada.ID, f.conv.ID, in1.ID, time.Now()))
	same(t, count(ada), map[string]int{second.ID: 1})
	same(t, count(bob), map[string]int{f.conv.ID: 2, second.ID: 1})

	f.newMessage(t, f.conv, switchboard.DirectionInbound, nil)
	same(t, count(ada), map[string]int{f.conv.ID: 1, second.ID: 1})

	other := f.workspace(t, "unread-elsewhere")
	wantNotFound(t, f.s.MarkConversationRead(f.ctx, other.ID, ada.ID, f.conv.ID, in2.ID, time.Now()))
	got, err := f.s.CountUnread(f.ctx, other.ID, ada.ID, convIDs)
	must(t, err)
	same(t, got, map[string]int{})
	got, err = f.s.CountUnread(f.ctx, f.ws.ID, ada.ID, nil)
	must(t, err)
	same(t, got, map[string]int{})
}

// testEventsAfter: a workspace's events after an id, oldest first, bounded.
func testEventsAfter(t *testing.T, f *fixture) {
	var evs []*switchboard.Event
	for range 5 {
		evs = append(evs, f.newEvent(t, f.ws.ID, switchboard.EventMessageReceived))
	}
	f.newEvent(t, f.workspace(t, "after-elsewhere").ID, switchboard.EventMessageReceived)
	id := func(e *switchboard.Event) string { return e.ID }
	got, err := f.s.ListEventsAfter(f.ctx, f.ws.ID, "", 10)
	must(t, err)
	same(t, ids(got, id), ids(evs, id))
	got, err = f.s.ListEventsAfter(f.ctx, f.ws.ID, evs[1].ID, 2)
	must(t, err)
	same(t, ids(got, id), []string{evs[2].ID, evs[3].ID})
	same(t, got[0], evs[2])
	got, err = f.s.ListEventsAfter(f.ctx, f.ws.ID, evs[4].ID, 10)
	must(t, err)
	if len(got) != 0 {
		t.Fatalf("after the last event: %d events", len(got))
	}
}
