package storetest

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard"
)

func testBotTurns(t *testing.T, f *fixture) {
	msg := f.newMessage(t, f.conv, switchboard.DirectionInbound, nil)
	failed := "the model did not answer"
	first := &switchboard.TurnRecord{WorkspaceID: f.ws.ID, BotID: f.bot.ID, Version: 2, ConversationID: f.conv.ID,
		MessageID: msg.ID, Engine: "builtin", Intent: "greet", Confidence: 0.875, Replies: 1}
	must(t, f.s.CreateBotTurn(f.ctx, first))
	if !switchboard.HasPrefix(first.ID, switchboard.PrefixTurn) || first.CreatedAt.IsZero() {
		t.Fatalf("created %+v", first)
	}
	second := &switchboard.TurnRecord{WorkspaceID: f.ws.ID, BotID: f.bot.ID, Version: 2, ConversationID: f.conv.ID,
		MessageID: msg.ID, Engine: "llm", OutOfScope: true, Handoff: true, Model: "small", PromptTokens: 120,
		CompletionTokens: 7, Error: &failed, ToolCalls: []switchboard.ToolCall{
			{Name: "knowledge", Arguments: json.RawMessage(`{"key":"order.latest"}`), Result: json.RawMessage(`{"facts":[{"key":"order.latest","text":"shipped"}]}`)},
			{Name: "handoff", Arguments: json.RawMessage(`{"reason":"angry"}`), Error: "bad arguments", DryRun: true},
		}}
	must(t, f.s.CreateBotTurn(f.ctx, second))
	wantCode(t, f.s.CreateBotTurn(f.ctx, second), switchboard.EConflict)

	// Another conversation's turn is not listed with these.
	other := f.newConversation(t, f.ct, switchboard.ConversationActive)
	must(t, f.s.CreateBotTurn(f.ctx, &switchboard.TurnRecord{WorkspaceID: f.ws.ID, BotID: f.bot.ID, Version: 1,
		ConversationID: other.ID, MessageID: msg.ID, Engine: "builtin"}))

	list, err := f.s.ListBotTurns(f.ctx, f.ws.ID, f.conv.ID, switchboard.Page{Limit: 10})
	must(t, err)
	if len(list) != 2 {
		t.Fatalf("listed %d turns, want 2", len(list))
	}
	same(t, list[0], second)
	same(t, list[1], first)
	if list[1].ToolCalls == nil || len(list[1].ToolCalls) != 0 {
		t.Fatalf("tool calls of a turn without: %#v", list[1].ToolCalls)
	}
	page, err := f.s.ListBotTurns(f.ctx, f.ws.ID, f.conv.ID, switchboard.Page{Limit: 1, After: second.ID})
	must(t, err)
	if len(page) != 1 || page[0].ID != first.ID {
		t.Fatalf("second page: %+v", page)
	}

	// A turn of a conversation that is gone is not recorded, without error.
	must(t, f.s.CreateBotTurn(f.ctx, &switchboard.TurnRecord{WorkspaceID: f.ws.ID, BotID: f.bot.ID, Version: 1,
		ConversationID: "conv_01ARZ3NDEKTSV4RRFFQ69G5FAV", MessageID: msg.ID, Engine: "builtin"}))

	// Other workspaces see none; the conversation's deletion takes its turns.
	ws2 := f.workspace(t, "other")
	if l, err := f.s.ListBotTurns(f.ctx, ws2.ID, f.conv.ID, switchboard.Page{Limit: 10}); err != nil || len(l) != 0 {
		t.Fatalf("other workspace: %d turns, %v", len(l), err)
	}
	must(t, f.s.DeleteConversation(f.ctx, f.ws.ID, f.conv.ID))
	if l, err := f.s.ListBotTurns(f.ctx, f.ws.ID, f.conv.ID, switchboard.Page{Limit: 10}); err != nil || len(l) != 0 {
		t.Fatalf("after the conversation's deletion: %d turns, %v", len(l), err)
	}
}

func testGetRunByDedupKey(t *testing.T, f *fixture) {
	in := &switchboard.Integration{WorkspaceID: f.ws.ID, Type: "http", Name: "CRM", Status: "connected",
		Config: map[string]any{}}
	must(t, f.s.CreateIntegration(f.ctx, in))
	run := &switchboard.Run{WorkspaceID: f.ws.ID, IntegrationID: in.ID, Action: "request", Status: switchboard.RunQueued,
		Trigger: switchboard.TriggerIntent, DedupKey: "llm:msg_1:0", Params: json.RawMessage(`{"a":1}`), IdempotencyKey: "k"}
	must(t, f.s.CreateRun(f.ctx, run))
	got, err := f.s.GetRunByDedupKey(f.ctx, f.ws.ID, "llm:msg_1:0")
	must(t, err)
	if got.ID != run.ID || got.Action != "request" || got.Attempts == nil {
		t.Fatalf("found %+v", got)
	}
	_, err = f.s.GetRunByDedupKey(f.ctx, f.ws.ID, "llm:msg_1:1")
	wantCode(t, err, switchboard.ENotFound)
	ws2 := f.workspace(t, "other")
	_, err = f.s.GetRunByDedupKey(f.ctx, ws2.ID, "llm:msg_1:0")
	wantCode(t, err, switchboard.ENotFound)
}

// testTopIntents: turns since a time counted by intent, most frequent
// first, ties by name, without turns that recognised none, other
// workspaces' or older ones.
func testTopIntents(t *testing.T, f *fixture) {
	msg := f.newMessage(t, f.conv, switchboard.DirectionInbound, nil)
	at := time.Now().UTC().Add(-time.Hour)
	turn := func(ws, intent string, created time.Time) {
		must(t, f.s.CreateBotTurn(f.ctx, &switchboard.TurnRecord{WorkspaceID: ws, BotID: f.bot.ID, Version: 1,
			ConversationID: f.conv.ID, MessageID: msg.ID, Engine: "builtin", Intent: intent, CreatedAt: created}))
	}
	for range 3 {
		turn(f.ws.ID, "order_status", at)
	}
	turn(f.ws.ID, "greet", at)
	turn(f.ws.ID, "refund", at)
	turn(f.ws.ID, "", at)                        // out of scope: no intent
	turn(f.ws.ID, "greet", at.Add(-2*time.Hour)) // before the range
	other := f.workspace(t, "other")
	otherCh := f.newChannel(t, other.ID, nil)
	otherConv := f.newConversation(t, f.newContact(t, otherCh, "u"), switchboard.ConversationActive)
	must(t, f.s.CreateBotTurn(f.ctx, &switchboard.TurnRecord{WorkspaceID: other.ID, BotID: f.bot.ID, Version: 1,
		ConversationID: otherConv.ID, MessageID: msg.ID, Engine: "builtin", Intent: "refund", CreatedAt: at}))

	got, err := f.s.TopIntents(f.ctx, f.ws.ID, at.Add(-time.Minute), 10)
	must(t, err)
	want := []switchboard.IntentCount{{Intent: "order_status", Turns: 3}, {Intent: "greet", Turns: 1}, {Intent: "refund", Turns: 1}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("top intents %v, want %v", got, want)
	}
	if got, _ := f.s.TopIntents(f.ctx, f.ws.ID, at.Add(-time.Minute), 1); len(got) != 1 || got[0].Intent != "order_status" {
		t.Fatalf("limited to one: %v", got)
	}
}
