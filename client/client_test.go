package client_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/app"
	"github.com/switchboardhq/switchboard/auth"
	"github.com/switchboardhq/switchboard/bot/builtin"
	"github.com/switchboardhq/switchboard/channel/api"
	"github.com/switchboardhq/switchboard/client"
	"github.com/switchboardhq/switchboard/httpapi"
	"github.com/switchboardhq/switchboard/store/pgtest"
)

// server runs the real API on SQLite and returns a client with an admin key.
func server(t *testing.T) *client.Client {
	ctx := context.Background()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	db := pgtest.Open(t, "sqlite://"+filepath.Join(t.TempDir(), "sb.db"))
	ws := &sb.Workspace{ID: sb.NewID(sb.PrefixWorkspace), Name: "default", CreatedAt: time.Now().UTC()}
	secretValue, _ := auth.NewKey()
	if err := db.CreateWorkspace(ctx, ws); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateAPIKey(ctx, auth.NewAPIKey(ws.ID, "t", []string{sb.ScopeAdmin}, secretValue)); err != nil {
		t.Fatal(err)
	}
	authn := auth.New(db, logger, nil)
	api := httpapi.New(httpapi.Config{PublicURL: "http://sb.test", RateLimit: 1000, RateBurst: 1000},
		httpapi.Deps{App: app.New(app.Config{PublicURL: "http://sb.test"}, app.Deps{Store: db, Keys: authn,
			Channels: sb.NewChannels(api.New(nil, "test")), Engines: sb.NewEngines(builtin.New())}), Idempotency: db,
			Auth: authn, Logger: logger, Registry: prometheus.NewRegistry()})
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	return client.New(srv.URL, secretValue)
}

func TestClient(t *testing.T) {
	ctx := context.Background()
	c := server(t)
	bot, err := c.CreateBot(ctx, client.BotInput{Name: "Support", Engine: "builtin"}, client.IdempotencyKey("b-1"))
	if err != nil || bot.Status != sb.BotDeployed || bot.DeployedVersion == nil || *bot.DeployedVersion != 1 {
		t.Fatalf("CreateBot: %+v %v", bot, err)
	}
	again, err := c.CreateBot(ctx, client.BotInput{Name: "Support", Engine: "builtin"}, client.IdempotencyKey("b-1"))
	if err != nil || again.ID != bot.ID {
		t.Fatalf("an idempotent repeat must return the same bot: %v %v", again, err)
	}
	ch, err := c.CreateChannel(ctx, client.ChannelInput{Type: "api", Name: "App", BotID: &bot.ID})
	if err != nil || ch.WebhookURL != "http://sb.test/hooks/channels/"+ch.ID || !strings.HasPrefix(ch.Config["secret"].(string), "whsec_") {
		t.Fatalf("CreateChannel: %+v %v", ch, err)
	}
	conv, err := c.CreateConversation(ctx, client.ConversationInput{ChannelID: ch.ID, UserID: "u1"})
	if err != nil || conv.BotID == nil || *conv.BotID != bot.ID {
		t.Fatalf("CreateConversation: %+v %v", conv, err)
	}
	msg, err := c.SendMessage(ctx, conv.ID, "agent", "hello")
	if err != nil || msg.Status != sb.MessageQueued {
		t.Fatalf("SendMessage: %+v %v", msg, err)
	}
	page, err := c.ListMessages(ctx, conv.ID, &client.ListOptions{Limit: 10})
	if err != nil || len(page.Data) != 1 || page.Data[0].ID != msg.ID || page.NextCursor != nil {
		t.Fatalf("ListMessages: %+v %v", page, err)
	}
	if _, err := c.UpdateConversation(ctx, conv.ID, map[string]any{"status": "ended"}); err != nil {
		t.Fatal(err)
	}
	events, err := c.ListEvents(ctx, &client.ListOptions{Filter: map[string]string{"type": "conversation.ended"}})
	if err != nil || len(events.Data) != 1 {
		t.Fatalf("ListEvents: %+v %v", events, err)
	}

	_, err = c.CreateBot(ctx, client.BotInput{Name: "x", Engine: "gpt"})
	var apiErr *client.Error
	if !errors.As(err, &apiErr) || apiErr.Status != 400 || apiErr.Fields[0].Field != "engine" || sb.ErrorCode(err) != sb.EInvalid {
		t.Fatalf("a bad engine: %v", err)
	}
	if _, err := c.GetBot(ctx, "bot_01ARZ3NDEKTSV4RRFFQ69G5FAV"); sb.ErrorCode(err) != sb.ENotFound {
		t.Fatalf("a missing bot: %v", err)
	}
	k, err := c.CreateAPIKey(ctx, "reader", []string{sb.ScopeReadBots})
	if err != nil || !strings.HasPrefix(k.Key, "sbk_") {
		t.Fatalf("CreateAPIKey: %+v %v", k, err)
	}
	reader := client.New(strings.TrimSuffix(c.BaseURL(), "/api/v1"), k.Key)
	if _, err := reader.ListBots(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := reader.ListChannels(ctx, nil); sb.ErrorCode(err) != sb.EForbidden {
		t.Fatalf("a key without the scope: %v", err)
	}
	if err := c.RevokeAPIKey(ctx, k.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := reader.ListBots(ctx, nil); sb.ErrorCode(err) != sb.EUnauthorized {
		t.Fatalf("a revoked key: %v", err)
	}
}
