package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard"
)

func testContacts(t *testing.T, f *fixture) {
	c := f.ct
	if !switchboard.HasPrefix(c.ID, switchboard.PrefixContact) {
		t.Fatalf("CreateContact: %+v", c)
	}
	got, err := f.s.GetContact(f.ctx, f.ws.ID, c.ID)
	must(t, err)
	same(t, got, c)
	got, err = f.s.GetContactByExternalID(f.ctx, f.ch.ID, "user-1")
	must(t, err)
	same(t, got, c)
	// HoldContact and HoldConversation read as their Get twins, in a
	// transaction (where PostgreSQL holds the row) and outside.
	must(t, f.s.Tx(f.ctx, func(q switchboard.Queries) error {
		got, err := q.HoldContact(f.ctx, f.ws.ID, c.ID)
		must(t, err)
		same(t, got, c)
		conv, err := q.HoldConversation(f.ctx, f.ws.ID, f.conv.ID)
		must(t, err)
		want, err := q.GetConversation(f.ctx, f.ws.ID, f.conv.ID)
		must(t, err)
		same(t, conv, want)
		_, err = q.HoldContact(f.ctx, f.ws.ID, "ct_01ARZ3NDEKTSV4RRFFQ69G5FAV")
		wantNotFound(t, err)
		_, err = q.HoldConversation(f.ctx, f.ws.ID, "conv_01ARZ3NDEKTSV4RRFFQ69G5FAV")
		wantNotFound(t, err)
		return nil
	}))
	got, err = f.s.HoldContact(f.ctx, f.ws.ID, c.ID)
	must(t, err)
	same(t, got, c)
	_, err = f.s.GetContactByExternalID(f.ctx, f.ch.ID, "user-2")
	wantNotFound(t, err)

	dup := &switchboard.Contact{WorkspaceID: f.ws.ID, ChannelID: f.ch.ID, ExternalID: "user-1", Name: "Twin"}
	wantCode(t, f.s.CreateContact(f.ctx, dup), switchboard.EConflict)
	ch2 := f.newChannel(t, f.ws.ID, nil)
	sameExternal := f.newContact(t, ch2, "user-1") // unique per channel only

	c.Name, c.Email, c.Phone = "Ada King", "ada@king.example", ""
	c.Attributes = map[string]any{"plan": "enterprise", "nested": map[string]any{"a": []any{1.0, "two"}}}
	must(t, f.s.UpdateContact(f.ctx, c))
	got, err = f.s.GetContact(f.ctx, f.ws.ID, c.ID)
	must(t, err)
	same(t, got, c)

	list, err := f.s.ListContacts(f.ctx, f.ws.ID, switchboard.ContactFilter{}, switchboard.Page{Limit: 10})
	must(t, err)
	same(t, ids(list, contactID), []string{sameExternal.ID, c.ID})
	list, err = f.s.ListContacts(f.ctx, f.ws.ID, switchboard.ContactFilter{ChannelID: f.ch.ID}, switchboard.Page{Limit: 10})
	must(t, err)
	same(t, ids(list, contactID), []string{c.ID})

	other := f.workspace(t, "other")
	_, err = f.s.GetContact(f.ctx, other.ID, c.ID)
	wantNotFound(t, err)
	moved := *c
	moved.WorkspaceID = other.ID
	wantNotFound(t, f.s.UpdateContact(f.ctx, &moved))
	list, err = f.s.ListContacts(f.ctx, other.ID, switchboard.ContactFilter{}, switchboard.Page{Limit: 10})
	must(t, err)
	if len(list) != 0 {
		t.Fatalf("other workspace lists %d contacts", len(list))
	}

	bare := &switchboard.Contact{WorkspaceID: f.ws.ID, ChannelID: f.ch.ID, ExternalID: "bare"}
	must(t, f.s.CreateContact(f.ctx, bare))
	got, err = f.s.GetContact(f.ctx, f.ws.ID, bare.ID)
	must(t, err)
	if got.Attributes == nil || len(got.Attributes) != 0 {
		t.Fatalf("nil attributes read back as %#v, want an empty map", got.Attributes)
	}
}

func testConversations(t *testing.T, f *fixture) {
	c := f.conv
	if !switchboard.HasPrefix(c.ID, switchboard.PrefixConversation) || !c.LastActivityAt.Equal(c.StartedAt) {
		t.Fatalf("CreateConversation: %+v", c)
	}
	got, err := f.s.GetConversation(f.ctx, f.ws.ID, c.ID)
	must(t, err)
	same(t, got, c)

	end := time.Now().Add(time.Minute)
	c.Status, c.Assignee, c.EndedAt, c.BotID = switchboard.ConversationEnded, ptr("agent@acme.example"), &end, nil
	c.LastActivityAt = end
	c.Metadata = map[string]any{"resolved": true}
	must(t, f.s.UpdateConversation(f.ctx, c))
	got, err = f.s.GetConversation(f.ctx, f.ws.ID, c.ID)
	must(t, err)
	same(t, got, c)

	other := f.workspace(t, "other")
	_, err = f.s.GetConversation(f.ctx, other.ID, c.ID)
	wantNotFound(t, err)
	moved := *c
	moved.WorkspaceID = other.ID
	wantNotFound(t, f.s.UpdateConversation(f.ctx, &moved))
	wantNotFound(t, f.s.DeleteConversation(f.ctx, other.ID, c.ID))
	wantCode(t, f.s.CreateConversation(f.ctx, &switchboard.Conversation{ID: c.ID, WorkspaceID: f.ws.ID,
		ChannelID: f.ch.ID, ContactID: f.ct.ID, Status: switchboard.ConversationActive}), switchboard.EConflict)
}

func testConversationFilters(t *testing.T, f *fixture) {
	ch2 := f.newChannel(t, f.ws.ID, nil)
	ct2 := f.newContact(t, ch2, "user-2")
	handoff := f.newConversation(t, ct2, switchboard.ConversationHandoff) // has f.bot
	ended := f.newConversation(t, f.ct, switchboard.ConversationEnded)
	noBot := &switchboard.Conversation{WorkspaceID: f.ws.ID, ChannelID: ch2.ID, ContactID: ct2.ID, Status: switchboard.ConversationActive}
	must(t, f.s.CreateConversation(f.ctx, noBot))

	cases := []struct {
		filter switchboard.ConversationFilter
		want   []string
	}{
		{switchboard.ConversationFilter{}, []string{noBot.ID, ended.ID, handoff.ID, f.conv.ID}},
		{switchboard.ConversationFilter{Status: switchboard.ConversationActive}, []string{noBot.ID, f.conv.ID}},
		{switchboard.ConversationFilter{Status: switchboard.ConversationHandoff}, []string{handoff.ID}},
		{switchboard.ConversationFilter{ChannelID: ch2.ID}, []string{noBot.ID, handoff.ID}},
		{switchboard.ConversationFilter{ContactID: f.ct.ID}, []string{ended.ID, f.conv.ID}},
		{switchboard.ConversationFilter{BotID: f.bot.ID}, []string{ended.ID, handoff.ID, f.conv.ID}},
		{switchboard.ConversationFilter{ChannelID: ch2.ID, Status: switchboard.ConversationActive}, []string{noBot.ID}},
		{switchboard.ConversationFilter{ContactID: ct2.ID, BotID: f.bot.ID, Status: switchboard.ConversationHandoff, ChannelID: ch2.ID}, []string{handoff.ID}},
		{switchboard.ConversationFilter{ChannelID: f.ch.ID, ContactID: ct2.ID}, []string{}},
	}
	for _, tc := range cases {
		list, err := f.s.ListConversations(f.ctx, f.ws.ID, tc.filter, switchboard.Page{Limit: 10})
		must(t, err)
		if got := ids(list, conversationID); !slices.Equal(got, tc.want) {
			t.Errorf("filter %+v: got %v, want %v", tc.filter, got, tc.want)
		}
	}
	other := f.workspace(t, "other")
	list, err := f.s.ListConversations(f.ctx, other.ID, switchboard.ConversationFilter{}, switchboard.Page{Limit: 10})
	must(t, err)
	if len(list) != 0 {
		t.Fatalf("other workspace lists %d conversations", len(list))
	}
}

func testFindOpenConversation(t *testing.T, f *fixture) {
	got, err := f.s.FindOpenConversation(f.ctx, f.ch.ID, f.ct.ID)
	must(t, err)
	same(t, got, f.conv)

	newer := f.newConversation(t, f.ct, switchboard.ConversationHandoff)
	f.newConversation(t, f.ct, switchboard.ConversationEnded) // newest, but ended
	got, err = f.s.FindOpenConversation(f.ctx, f.ch.ID, f.ct.ID)
	must(t, err)
	same(t, got, newer)

	ct2 := f.newContact(t, f.ch, "user-2")
	f.newConversation(t, ct2, switchboard.ConversationEnded)
	_, err = f.s.FindOpenConversation(f.ctx, f.ch.ID, ct2.ID)
	wantNotFound(t, err)
	ch2 := f.newChannel(t, f.ws.ID, nil)
	_, err = f.s.FindOpenConversation(f.ctx, ch2.ID, f.ct.ID)
	wantNotFound(t, err)
}

func testListIdleConversations(t *testing.T, f *fixture) {
	base := time.Now().Add(-48 * time.Hour).UTC().Truncate(time.Microsecond)
	other := f.workspace(t, "other")
	otherCh := f.newChannel(t, other.ID, nil)
	otherCt := f.newContact(t, otherCh, "u")
	idle := func(ct *switchboard.Contact, status string, last time.Time) *switchboard.Conversation {
		c := &switchboard.Conversation{WorkspaceID: ct.WorkspaceID, ChannelID: ct.ChannelID, ContactID: ct.ID,
			Status: status, StartedAt: base, LastActivityAt: last}
		must(t, f.s.CreateConversation(f.ctx, c))
		return c
	}
	c3 := idle(f.ct, switchboard.ConversationActive, base.Add(3*time.Hour))
	c1 := idle(otherCt, switchboard.ConversationHandoff, base.Add(1*time.Hour))
	idle(f.ct, switchboard.ConversationEnded, base) // ended: never idle
	c2 := idle(f.ct, switchboard.ConversationActive, base.Add(2*time.Hour))
	edge := idle(f.ct, switchboard.ConversationActive, base.Add(4*time.Hour))

	list, err := f.s.ListIdleConversations(f.ctx, base.Add(4*time.Hour), 10) // strictly before
	must(t, err)
	same(t, ids(list, conversationID), []string{c1.ID, c2.ID, c3.ID})
	same(t, list[0], c1)
	list, err = f.s.ListIdleConversations(f.ctx, base.Add(4*time.Hour+time.Nanosecond), 10)
	must(t, err)
	same(t, ids(list, conversationID), []string{c1.ID, c2.ID, c3.ID, edge.ID})
	list, err = f.s.ListIdleConversations(f.ctx, base.Add(4*time.Hour), 2)
	must(t, err)
	same(t, ids(list, conversationID), []string{c1.ID, c2.ID})
	list, err = f.s.ListIdleConversations(f.ctx, base, 10)
	must(t, err)
	if len(list) != 0 {
		t.Fatalf("nothing is idle before %s, got %d", base, len(list))
	}
}

func testDeleteConversation(t *testing.T, f *fixture) {
	in := f.newMessage(t, f.conv, switchboard.DirectionInbound, ptr("ext-1"))
	out := f.newMessage(t, f.conv, switchboard.DirectionOutbound, nil)
	keepConv := f.newConversation(t, f.ct, switchboard.ConversationActive)
	keep := f.newMessage(t, keepConv, switchboard.DirectionInbound, ptr("ext-2"))

	must(t, f.s.DeleteConversation(f.ctx, f.ws.ID, f.conv.ID))
	_, err := f.s.GetConversation(f.ctx, f.ws.ID, f.conv.ID)
	wantNotFound(t, err)
	for _, m := range []*switchboard.Message{in, out} {
		_, err = f.s.GetMessage(f.ctx, f.ws.ID, f.conv.ID, m.ID)
		wantNotFound(t, err)
	}
	_, err = f.s.GetMessageByExternalID(f.ctx, f.ch.ID, switchboard.DirectionInbound, "ext-1")
	wantNotFound(t, err)
	list, err := f.s.ListMessages(f.ctx, f.ws.ID, f.conv.ID, switchboard.Page{Limit: 10})
	must(t, err)
	if len(list) != 0 {
		t.Fatalf("deleted conversation still lists %d messages", len(list))
	}
	_, err = f.s.GetMessage(f.ctx, f.ws.ID, keepConv.ID, keep.ID)
	must(t, err)
	wantNotFound(t, f.s.DeleteConversation(f.ctx, f.ws.ID, f.conv.ID))

	// The external id of an erased message can be received again.
	f.newMessage(t, keepConv, switchboard.DirectionInbound, ptr("ext-1"))
}

func contactID(c *switchboard.Contact) string           { return c.ID }
func conversationID(c *switchboard.Conversation) string { return c.ID }
