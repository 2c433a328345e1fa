package app_test

import (
	"context"
	"testing"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/app"
	"github.com/switchboardhq/switchboard/store/pgtest"
)

// TestTurnToolsFactsAndHistory: a turn's fact lookups by prefix see the
// contact's facts (over its email's, its phone's and the workspace's of
// the same key) and never another contact's; a turn's history is the
// messages up to its own, oldest first; a contact change merges
// attributes and is validated like the API's.
func TestTurnToolsFactsAndHistory(t *testing.T) {
	pgtest.EachDatabase(t, func(t *testing.T, url string) {
		ctx := context.Background()
		db := pgtest.Open(t, url)
		s := app.New(app.Config{}, app.Deps{Store: db})
		ws := &sb.Workspace{Name: "acme"}
		must(t, db.CreateWorkspace(ctx, ws))
		ch := &sb.Channel{WorkspaceID: ws.ID, Type: sb.ChannelTelegram, Name: "tg", Status: sb.ChannelConnected, Config: map[string]any{}}
		must(t, db.CreateChannel(ctx, ch))
		ada := &sb.Contact{WorkspaceID: ws.ID, ChannelID: ch.ID, ExternalID: "1", Email: "ada@example.com", Attributes: map[string]any{"plan": "pro"}}
		bob := &sb.Contact{WorkspaceID: ws.ID, ChannelID: ch.ID, ExternalID: "2", Email: "bob@example.com"}
		must(t, db.CreateContact(ctx, ada))
		must(t, db.CreateContact(ctx, bob))
		conv := &sb.Conversation{WorkspaceID: ws.ID, ChannelID: ch.ID, ContactID: ada.ID, Status: sb.ConversationActive}
		must(t, db.CreateConversation(ctx, conv))
		for _, f := range []*sb.Fact{
			{Key: "order.latest", Text: "workspace default"},
			{Key: "order.latest", Email: "ada@example.com", Text: "ada's order"},
			{Key: "order.1001", ContactID: ada.ID, Text: "ada's 1001"},
			{Key: "order.2002", ContactID: bob.ID, Text: "bob's 2002"},
			{Key: "hours", Text: "9 to 5"},
		} {
			f.WorkspaceID, f.Source = ws.ID, sb.FactSourceAPI
			_, _, err := db.UpsertFact(ctx, f)
			must(t, err)
		}
		var msgs []*sb.Message
		for i, text := range []string{"one", "two", "three", "four"} {
			m := &sb.Message{WorkspaceID: ws.ID, ConversationID: conv.ID, ChannelID: ch.ID, Direction: sb.DirectionInbound,
				Sender: sb.SenderUser, Text: text, Status: sb.MessageReceived}
			if i == 1 {
				m.Direction, m.Sender, m.Status = sb.DirectionOutbound, sb.SenderBot, sb.MessageSent
			}
			must(t, db.CreateMessage(ctx, m))
			msgs = append(msgs, m)
		}
		tools := s.TurnTools(conv, ada, msgs[2]) // answering "three"; "four" came later

		facts, err := tools.Facts(ctx, "order.", true, 20)
		must(t, err)
		got := map[string]string{}
		for _, f := range facts {
			got[f.Key] = f.Text
		}
		if len(got) != 2 || got["order.latest"] != "ada's order" || got["order.1001"] != "ada's 1001" {
			t.Fatalf("facts by prefix: %v", got)
		}
		one, err := tools.Facts(ctx, "hours", false, 20)
		must(t, err)
		if len(one) != 1 || one[0].Text != "9 to 5" {
			t.Fatalf("fact by key: %+v", one)
		}

		history, err := tools.History(ctx, 20)
		must(t, err)
		var texts []string
		for _, m := range history {
			texts = append(texts, m.Text)
		}
		if len(texts) != 3 || texts[0] != "one" || texts[1] != "two" || texts[2] != "three" {
			t.Fatalf("history: %v", texts)
		}
		if h, _ := tools.History(ctx, 2); len(h) != 2 || h[0].Text != "two" {
			t.Fatalf("history of 2: %+v", h)
		}

		name, bad := "Ada Lovelace", "not-an-email"
		if _, err := tools.UpdateContact(ctx, sb.ContactUpdate{Email: &bad}); sb.ErrorCode(err) != sb.EInvalid {
			t.Fatalf("a bad email: %v", err)
		}
		c, err := tools.UpdateContact(ctx, sb.ContactUpdate{Name: &name, Attributes: map[string]any{"vip": true}})
		must(t, err)
		stored, err := db.GetContact(ctx, ws.ID, ada.ID)
		must(t, err)
		if c.Name != name || stored.Name != name || stored.Attributes["plan"] != "pro" || stored.Attributes["vip"] != true {
			t.Fatalf("contact after the change: %+v", stored)
		}
	})
}
