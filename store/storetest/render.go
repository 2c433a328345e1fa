package storetest

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard"
)

// testRendered: the Render methods list the same items as the List
// methods, page by page, each document equal to what encoding/json makes of
// the listed struct, whatever the text, the times and the JSON documents
// hold.
func testRendered(t *testing.T, f *fixture) {
	ctx, ws := f.ctx, f.ws.ID
	texts := []string{"plain", `<b>"quoted" & \back\slashed</b>`, "line\nbreak\ttab\x01\x1f", "héllo ✓ 😀 \u2028", ""}
	times := []time.Time{
		time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC),           // no fraction
		time.Date(2026, 3, 1, 12, 0, 0, 120_000_000, time.UTC), // trailing zeros
		time.Date(2026, 3, 1, 12, 0, 0, 123_456_000, time.UTC),
		time.Date(2026, 3, 1, 12, 0, 0, 1_000, time.UTC),
		time.Date(2026, 3, 1, 12, 0, 10, 0, time.UTC), // a zero ending the seconds
	}
	conv := f.newConversation(t, f.ct, switchboard.ConversationActive)
	for i, text := range texts {
		m := f.newMessage(t, conv, switchboard.DirectionOutbound, nil)
		m.Text, m.CreatedAt = text, times[i]
		if i%2 == 1 {
			m.ExternalID, m.Error, m.Status = ptr(fmt.Sprint("ext-", i)), ptr("429 "+text), switchboard.MessageFailed
		}
		m.ID = ""
		must(t, f.s.CreateMessage(ctx, m))
	}
	wantRendered(t, "messages", func(p switchboard.Page) ([]*switchboard.Message, error) {
		return f.s.ListMessages(ctx, ws, conv.ID, p)
	}, func(p switchboard.Page) ([]switchboard.Rendered, error) {
		return f.s.RenderMessages(ctx, ws, conv.ID, p)
	}, messageID, len(texts))

	for i, status := range []string{switchboard.ConversationActive, switchboard.ConversationEnded, switchboard.ConversationHandoff} {
		c := f.newConversation(t, f.ct, status)
		c.Metadata = map[string]any{"n": 1e21, "f": 0.5, "nested": map[string]any{"a": []any{1.0, "<x>", nil, true}}, "text": texts[i]}
		c.Assignee = ptr("agent@example.com")
		c.StartedAt, c.LastActivityAt = times[i], times[i+1]
		if i == 2 {
			c.BotID = nil
		}
		must(t, f.s.UpdateConversation(ctx, c))
	}
	wantRendered(t, "conversations", func(p switchboard.Page) ([]*switchboard.Conversation, error) {
		return f.s.ListConversations(ctx, ws, switchboard.ConversationFilter{}, p)
	}, func(p switchboard.Page) ([]switchboard.Rendered, error) {
		return f.s.RenderConversations(ctx, ws, switchboard.ConversationFilter{}, p)
	}, conversationID, 5)
	active := switchboard.ConversationFilter{Status: switchboard.ConversationActive, ContactID: f.ct.ID}
	wantRendered(t, "active conversations", func(p switchboard.Page) ([]*switchboard.Conversation, error) {
		return f.s.ListConversations(ctx, ws, active, p)
	}, func(p switchboard.Page) ([]switchboard.Rendered, error) {
		return f.s.RenderConversations(ctx, ws, active, p)
	}, conversationID, 3)

	for i, text := range texts {
		e := switchboard.NewEvent(ws, switchboard.EventMessageReceived, map[string]any{"text": text, "n": i, "list": []any{1.5, nil}})
		e.Timestamp = times[i]
		must(t, f.s.CreateEvent(ctx, e))
	}
	f.newEvent(t, ws, switchboard.EventConversationStarted)
	for _, filter := range []switchboard.EventFilter{{}, {Type: "message.*"}, {Since: times[2]}} {
		wantRendered(t, fmt.Sprintf("events %+v", filter), func(p switchboard.Page) ([]*switchboard.Event, error) {
			return f.s.ListEvents(ctx, ws, filter, p)
		}, func(p switchboard.Page) ([]switchboard.Rendered, error) {
			return f.s.RenderEvents(ctx, ws, filter, p)
		}, eventID, 2)
	}

	other := f.workspace(t, "other")
	got, err := f.s.RenderMessages(ctx, other.ID, conv.ID, switchboard.Page{})
	must(t, err)
	if len(got) != 0 {
		t.Fatalf("another workspace renders %d messages", len(got))
	}
}

// wantRendered pages through list and render with a limit of 2 and checks
// that they give the same ids, at least min of them, and that each
// rendered document is the JSON of the listed item.
func wantRendered[T any](t *testing.T, name string, list func(switchboard.Page) ([]T, error),
	render func(switchboard.Page) ([]switchboard.Rendered, error), id func(T) string, min int) {
	t.Helper()
	want, _ := paginate(t, 2, list, id)
	got, _ := paginate(t, 2, render, func(r switchboard.Rendered) string { return r.ID })
	if !slices.Equal(got, want) || len(want) < min {
		t.Fatalf("%s: rendered ids\n got %v\nwant %v (at least %d)", name, got, want, min)
	}
	items, err := list(switchboard.Page{Limit: 200})
	must(t, err)
	docs, err := render(switchboard.Page{Limit: 200})
	must(t, err)
	for i, it := range items {
		b, err := json.Marshal(it)
		must(t, err)
		var w, g any
		must(t, json.Unmarshal(b, &w))
		if !json.Valid([]byte(docs[i].JSON)) {
			t.Fatalf("%s: %s is not JSON: %s", name, docs[i].ID, docs[i].JSON)
		}
		must(t, json.Unmarshal([]byte(docs[i].JSON), &g))
		if !reflect.DeepEqual(g, w) || docs[i].ID != id(it) {
			t.Fatalf("%s: %s rendered\n%s\nencoding/json\n%s", name, docs[i].ID, docs[i].JSON, b)
		}
	}
}
