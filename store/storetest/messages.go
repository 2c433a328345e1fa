package storetest

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard"
)

func testMessages(t *testing.T, f *fixture) {
	in := f.newMessage(t, f.conv, switchboard.DirectionInbound, ptr("tg-1001"))
	if !switchboard.HasPrefix(in.ID, switchboard.PrefixMessage) || !in.UpdatedAt.Equal(in.CreatedAt) {
		t.Fatalf("CreateMessage: %+v", in)
	}
	got, err := f.s.GetMessage(f.ctx, f.ws.ID, f.conv.ID, in.ID)
	must(t, err)
	same(t, got, in)
	got, err = f.s.GetMessageByExternalID(f.ctx, f.ch.ID, switchboard.DirectionInbound, "tg-1001")
	must(t, err)
	same(t, got, in)
	_, err = f.s.GetMessageByExternalID(f.ctx, f.ch.ID, switchboard.DirectionOutbound, "tg-1001")
	wantNotFound(t, err)

	out := f.newMessage(t, f.conv, switchboard.DirectionOutbound, nil)
	got, err = f.s.GetMessage(f.ctx, f.ws.ID, f.conv.ID, out.ID)
	must(t, err)
	same(t, got, out)
	if got.Raw != nil || got.ExternalID != nil || got.Error != nil {
		t.Fatalf("nil fields read back as %q %v %v", got.Raw, got.ExternalID, got.Error)
	}

	out.Status, out.ExternalID, out.Error, out.Text = switchboard.MessageFailed, ptr("tg-2002"), ptr("429 Too Many Requests"), "edited"
	must(t, f.s.UpdateMessage(f.ctx, out))
	got, err = f.s.GetMessageByExternalID(f.ctx, f.ch.ID, switchboard.DirectionOutbound, "tg-2002")
	must(t, err)
	same(t, got, out)

	otherConv := f.newConversation(t, f.ct, switchboard.ConversationActive)
	_, err = f.s.GetMessage(f.ctx, f.ws.ID, otherConv.ID, in.ID)
	wantNotFound(t, err)
	other := f.workspace(t, "other")
	_, err = f.s.GetMessage(f.ctx, other.ID, f.conv.ID, in.ID)
	wantNotFound(t, err)
	moved := *in
	moved.WorkspaceID = other.ID
	wantNotFound(t, f.s.UpdateMessage(f.ctx, &moved))
	list, err := f.s.ListMessages(f.ctx, other.ID, f.conv.ID, switchboard.Page{Limit: 10})
	must(t, err)
	if len(list) != 0 {
		t.Fatalf("other workspace lists %d messages", len(list))
	}

	list, err = f.s.ListMessages(f.ctx, f.ws.ID, f.conv.ID, switchboard.Page{Limit: 10})
	must(t, err)
	same(t, ids(list, messageID), []string{out.ID, in.ID})
	same(t, list[1], in)
}

func testMessageExternalIDs(t *testing.T, f *fixture) {
	f.newMessage(t, f.conv, switchboard.DirectionInbound, ptr("dup"))
	dup := &switchboard.Message{WorkspaceID: f.ws.ID, ConversationID: f.conv.ID, ChannelID: f.ch.ID,
		Direction: switchboard.DirectionInbound, Sender: switchboard.SenderUser, Text: "again",
		Status: switchboard.MessageReceived, ExternalID: ptr("dup")}
	wantCode(t, f.s.CreateMessage(f.ctx, dup), switchboard.EConflict)

	// Same external id: another direction, or another channel, is fine.
	f.newMessage(t, f.conv, switchboard.DirectionOutbound, ptr("dup"))
	ch2 := f.newChannel(t, f.ws.ID, nil)
	conv2 := f.newConversation(t, f.newContact(t, ch2, "user-1"), switchboard.ConversationActive)
	f.newMessage(t, conv2, switchboard.DirectionInbound, ptr("dup"))
	// Any number of messages without an external id.
	f.newMessage(t, f.conv, switchboard.DirectionOutbound, nil)
	f.newMessage(t, f.conv, switchboard.DirectionOutbound, nil)

	// Setting a taken external id on update is a conflict too.
	m := f.newMessage(t, f.conv, switchboard.DirectionInbound, nil)
	m.ExternalID = ptr("dup")
	wantCode(t, f.s.UpdateMessage(f.ctx, m), switchboard.EConflict)
}

func testEvents(t *testing.T, f *fixture) {
	e := f.newEvent(t, f.ws.ID, switchboard.EventMessageReceived)
	got, err := f.s.GetEvent(f.ctx, f.ws.ID, e.ID)
	must(t, err)
	same(t, got, e)
	var data map[string]any
	must(t, json.Unmarshal(got.Data, &data))
	if data["text"] != "héllo" {
		t.Fatalf("event data read back as %s", got.Data)
	}

	other := f.workspace(t, "other")
	_, err = f.s.GetEvent(f.ctx, other.ID, e.ID)
	wantNotFound(t, err)
	wantCode(t, f.s.CreateEvent(f.ctx, &switchboard.Event{ID: e.ID, WorkspaceID: f.ws.ID, Type: "x"}), switchboard.EConflict)

	bare := &switchboard.Event{WorkspaceID: f.ws.ID, Type: switchboard.EventWebhookTest}
	must(t, f.s.CreateEvent(f.ctx, bare))
	if bare.Version != switchboard.EventVersion || bare.Timestamp.IsZero() || !switchboard.HasPrefix(bare.ID, switchboard.PrefixEvent) {
		t.Fatalf("CreateEvent did not fill in defaults: %+v", bare)
	}
	got, err = f.s.GetEvent(f.ctx, f.ws.ID, bare.ID)
	must(t, err)
	same(t, got.Data, json.RawMessage(`{}`))
}

func testEventFilters(t *testing.T, f *fixture) {
	base := time.Now().Add(-time.Hour).UTC().Truncate(time.Microsecond)
	at := func(i int, workspaceID, typ string) *switchboard.Event {
		e := switchboard.NewEvent(workspaceID, typ, map[string]any{"i": i})
		e.Timestamp = base.Add(time.Duration(i) * time.Second)
		must(t, f.s.CreateEvent(f.ctx, e))
		return e
	}
	received := at(0, f.ws.ID, switchboard.EventMessageReceived)
	started := at(1, f.ws.ID, switchboard.EventConversationStarted)
	sent := at(2, f.ws.ID, switchboard.EventMessageSent)
	underscore := at(3, f.ws.ID, "a_b.c")
	lookalike := at(4, f.ws.ID, "axb.c")
	percent := at(5, f.ws.ID, "100%.done")
	at(6, f.workspace(t, "other").ID, switchboard.EventMessageSent)

	cases := []struct {
		filter switchboard.EventFilter
		want   []string
	}{
		{switchboard.EventFilter{}, []string{percent.ID, lookalike.ID, underscore.ID, sent.ID, started.ID, received.ID}},
		{switchboard.EventFilter{Type: "*"}, []string{percent.ID, lookalike.ID, underscore.ID, sent.ID, started.ID, received.ID}},
		{switchboard.EventFilter{Type: switchboard.EventMessageSent}, []string{sent.ID}},
		{switchboard.EventFilter{Type: "message.*"}, []string{sent.ID, received.ID}},
		{switchboard.EventFilter{Type: "message"}, []string{}},
		{switchboard.EventFilter{Type: "a_b*"}, []string{underscore.ID}},
		{switchboard.EventFilter{Type: "100%*"}, []string{percent.ID}},
		{switchboard.EventFilter{Type: "1%*"}, []string{}},
		{switchboard.EventFilter{Since: started.Timestamp}, []string{percent.ID, lookalike.ID, underscore.ID, sent.ID, started.ID}},
		{switchboard.EventFilter{Since: started.Timestamp.Add(time.Nanosecond)}, []string{percent.ID, lookalike.ID, underscore.ID, sent.ID}},
		{switchboard.EventFilter{Type: "message.*", Since: started.Timestamp}, []string{sent.ID}},
		{switchboard.EventFilter{Since: time.Now().Add(time.Hour)}, []string{}},
	}
	for _, tc := range cases {
		list, err := f.s.ListEvents(f.ctx, f.ws.ID, tc.filter, switchboard.Page{Limit: 10})
		must(t, err)
		if got := ids(list, eventID); !slices.Equal(got, tc.want) {
			t.Errorf("filter %+v: got %v, want %v", tc.filter, got, tc.want)
		}
	}
}

func messageID(m *switchboard.Message) string { return m.ID }
func eventID(e *switchboard.Event) string     { return e.ID }
