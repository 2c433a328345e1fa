package storetest

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard"
)

func testBots(t *testing.T, f *fixture) {
	b := f.bot
	if !switchboard.HasPrefix(b.ID, switchboard.PrefixBot) || !b.UpdatedAt.Equal(b.CreatedAt) {
		t.Fatalf("CreateBot: %+v", b)
	}
	got, err := f.s.GetBot(f.ctx, f.ws.ID, b.ID)
	must(t, err)
	same(t, got, b)

	before := b.UpdatedAt
	time.Sleep(2 * time.Millisecond)
	b.Name, b.Status, b.Version = "Helper 2", switchboard.BotDeployed, 2
	b.Config = json.RawMessage(`{"base_url":"https://llm.example/v2","model":"large"}`)
	b.Secrets = map[string]string{"api_key": "sk-rotated"}
	must(t, f.s.UpdateBot(f.ctx, b))
	if !b.UpdatedAt.After(before) {
		t.Fatalf("UpdateBot left UpdatedAt at %s", b.UpdatedAt)
	}
	got, err = f.s.GetBot(f.ctx, f.ws.ID, b.ID)
	must(t, err)
	same(t, got, b)

	other := f.workspace(t, "other")
	_, err = f.s.GetBot(f.ctx, other.ID, b.ID)
	wantNotFound(t, err)
	moved := *b
	moved.WorkspaceID = other.ID
	wantNotFound(t, f.s.UpdateBot(f.ctx, &moved))
	wantNotFound(t, f.s.DeleteBot(f.ctx, other.ID, b.ID))
	wantCode(t, f.s.CreateBot(f.ctx, &switchboard.Bot{ID: b.ID, WorkspaceID: f.ws.ID, Name: "x", Engine: "builtin"}), switchboard.EConflict)

	second := f.newBot(t, f.ws.ID)
	list, err := f.s.ListBots(f.ctx, f.ws.ID, switchboard.Page{Limit: 10})
	must(t, err)
	same(t, ids(list, botID), []string{second.ID, b.ID})
	same(t, list[1], b)

	must(t, f.s.DeleteBot(f.ctx, f.ws.ID, second.ID))
	_, err = f.s.GetBot(f.ctx, f.ws.ID, second.ID)
	wantNotFound(t, err)
	wantNotFound(t, f.s.DeleteBot(f.ctx, f.ws.ID, second.ID))
	wantNotFound(t, f.s.UpdateBot(f.ctx, second))
}

func testBotDeleteDetaches(t *testing.T, f *fixture) {
	must(t, f.s.DeleteBot(f.ctx, f.ws.ID, f.bot.ID))
	ch, err := f.s.GetChannel(f.ctx, f.ws.ID, f.ch.ID)
	must(t, err)
	if ch.BotID != nil {
		t.Fatalf("channel keeps deleted bot %s", *ch.BotID)
	}
	conv, err := f.s.GetConversation(f.ctx, f.ws.ID, f.conv.ID)
	must(t, err)
	if conv.BotID != nil {
		t.Fatalf("conversation keeps deleted bot %s", *conv.BotID)
	}
}

func testChannels(t *testing.T, f *fixture) {
	c := f.ch
	if !switchboard.HasPrefix(c.ID, switchboard.PrefixChannel) {
		t.Fatalf("CreateChannel: %+v", c)
	}
	got, err := f.s.GetChannel(f.ctx, f.ws.ID, c.ID)
	must(t, err)
	same(t, got, c)
	got, err = f.s.GetChannelByID(f.ctx, c.ID)
	must(t, err)
	same(t, got, c)

	c.Name, c.Status, c.BotID = "Sales", switchboard.ChannelError, nil
	c.Config = map[string]any{"api_base_url": "https://tg2.example"}
	c.Secrets = map[string]string{"bot_token": "456:DEF"}
	must(t, f.s.UpdateChannel(f.ctx, c))
	got, err = f.s.GetChannelByID(f.ctx, c.ID)
	must(t, err)
	same(t, got, c)

	other := f.workspace(t, "other")
	_, err = f.s.GetChannel(f.ctx, other.ID, c.ID)
	wantNotFound(t, err)
	moved := *c
	moved.WorkspaceID = other.ID
	wantNotFound(t, f.s.UpdateChannel(f.ctx, &moved))
	wantNotFound(t, f.s.DeleteChannel(f.ctx, other.ID, c.ID))
	_, err = f.s.GetChannelByID(f.ctx, switchboard.NewID(switchboard.PrefixChannel))
	wantNotFound(t, err)

	second := f.newChannel(t, f.ws.ID, nil)
	list, err := f.s.ListChannels(f.ctx, f.ws.ID, switchboard.Page{Limit: 10})
	must(t, err)
	same(t, ids(list, channelID), []string{second.ID, c.ID})
	same(t, list[0], second)
	must(t, f.s.DeleteChannel(f.ctx, f.ws.ID, second.ID))
	_, err = f.s.GetChannelByID(f.ctx, second.ID)
	wantNotFound(t, err)
}

// testChannelDeleteCascades: deleting a channel erases its contacts,
// conversations and messages, and nothing of other channels.
func testChannelDeleteCascades(t *testing.T, f *fixture) {
	m := f.newMessage(t, f.conv, switchboard.DirectionInbound, ptr("ext-1"))
	keep := f.newChannel(t, f.ws.ID, nil)
	keepContact := f.newContact(t, keep, "user-1")
	keepConv := f.newConversation(t, keepContact, switchboard.ConversationActive)

	must(t, f.s.DeleteChannel(f.ctx, f.ws.ID, f.ch.ID))
	_, err := f.s.GetContact(f.ctx, f.ws.ID, f.ct.ID)
	wantNotFound(t, err)
	_, err = f.s.GetConversation(f.ctx, f.ws.ID, f.conv.ID)
	wantNotFound(t, err)
	_, err = f.s.GetMessage(f.ctx, f.ws.ID, f.conv.ID, m.ID)
	wantNotFound(t, err)
	_, err = f.s.GetConversation(f.ctx, f.ws.ID, keepConv.ID)
	must(t, err)
}

func testSecrets(t *testing.T, f *fixture) {
	b := &switchboard.Bot{WorkspaceID: f.ws.ID, Name: "plain", Engine: switchboard.EngineBuiltin, Status: switchboard.BotDraft}
	must(t, f.s.CreateBot(f.ctx, b))
	got, err := f.s.GetBot(f.ctx, f.ws.ID, b.ID)
	must(t, err)
	if got.Secrets == nil || len(got.Secrets) != 0 {
		t.Fatalf("nil secrets read back as %#v, want an empty map", got.Secrets)
	}
	if string(got.Config) == "" {
		t.Fatal("empty config read back empty, want {}")
	}

	got.Secrets = map[string]string{"api_key": `sk-"quoted" ünïcode \ key`, "other": ""}
	must(t, f.s.UpdateBot(f.ctx, got))
	again, err := f.s.GetBot(f.ctx, f.ws.ID, b.ID)
	must(t, err)
	same(t, again.Secrets, got.Secrets)

	again.Secrets = nil
	must(t, f.s.UpdateBot(f.ctx, again))
	cleared, err := f.s.GetBot(f.ctx, f.ws.ID, b.ID)
	must(t, err)
	if len(cleared.Secrets) != 0 {
		t.Fatalf("cleared secrets read back as %#v", cleared.Secrets)
	}

	ch, err := f.s.GetChannelByID(f.ctx, f.ch.ID)
	must(t, err)
	same(t, ch.Secrets, map[string]string{"bot_token": "123:ABC-telegram-token", "secret_token": "s3cr3t"})
}

func botID(b *switchboard.Bot) string         { return b.ID }
func channelID(c *switchboard.Channel) string { return c.ID }
