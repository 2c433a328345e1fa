package pipeline_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/bot/builtin"
	botwebhook "github.com/switchboardhq/switchboard/bot/webhook"
	"github.com/switchboardhq/switchboard/channel/api"
	"github.com/switchboardhq/switchboard/channel/slack"
	"github.com/switchboardhq/switchboard/channel/telegram"
	"github.com/switchboardhq/switchboard/channel/telegram/telegramtest"
	"github.com/switchboardhq/switchboard/egress"
	"github.com/switchboardhq/switchboard/internal/testclock"
	"github.com/switchboardhq/switchboard/pipeline"
	"github.com/switchboardhq/switchboard/store"
	"github.com/switchboardhq/switchboard/store/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// env is a store with a workspace, a builtin bot and a Telegram channel
// pointing at a fake Bot API, and a pipeline driven by a fake clock.
type env struct {
	t     testing.TB
	ctx   context.Context
	db    *store.DB
	clock *testclock.Clock
	tg    *telegramtest.Server
	ws    *sb.Workspace
	bot   *sb.Bot
	ch    *sb.Channel
	p     *pipeline.Pipeline
	cfg   pipeline.Config
}

const secretToken = "tg-secret-token-for-tests"

// supportBot is a builtin bot with a greeting and a handoff intent.
const supportBot = `{"intents":[
	{"name":"greet","examples":["hello","hi there","good morning"],"responses":["Hello! How can I help?"]},
	{"name":"order","examples":["where is my order","track my parcel"],"responses":["Your order is on its way."]},
	{"name":"human","examples":["talk to a human","I want a person","agent please"],"responses":["Connecting you to a person."]}],
	"fallback":"Sorry, I did not get that.","handoff_intent":"human"}`

func newEnv(t testing.TB, url string) *env {
	t.Helper()
	ctx := context.Background()
	db := pgtest.Open(t, url)
	e := &env{t: t, ctx: ctx, db: db, clock: testclock.New(time.Now().UTC().Truncate(time.Millisecond)), tg: telegramtest.NewServer()}
	t.Cleanup(e.tg.Close)
	e.ws = &sb.Workspace{Name: "acme"}
	must(t, db.CreateWorkspace(ctx, e.ws))
	e.bot = e.newBot(sb.EngineBuiltin, supportBot, nil)
	e.ch = e.newChannel(sb.ChannelTelegram, &e.bot.ID, map[string]any{"api_base_url": e.tg.URL},
		map[string]string{"bot_token": "123:TEST", "secret_token": secretToken})
	e.cfg = pipeline.Config{Lease: time.Minute, CallTimeout: 10 * time.Second, Committers: 3}
	e.p = e.pipeline()
	return e
}

// pipeline builds a pipeline on the env's store and clock (another
// "process" when called again).
func (e *env) pipeline() *pipeline.Pipeline {
	p := pipeline.New(e.cfg, pipeline.Deps{
		Store:    e.db,
		Adapters: sb.NewChannels(telegram.New(nil), slack.New(nil), api.New(egress.NewClient(egress.Policy{AllowPrivate: true}, 5*time.Second), "test")),
		Engines: sb.NewEngines(
			builtin.New(),
			botwebhook.New(egress.NewClient(egress.Policy{AllowPrivate: true}, 5*time.Second), "test"),
		),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Now:    e.clock.Now,
		Jitter: func() float64 { return 0.5 }, // no jitter: exact schedules
	})
	e.t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = p.Stop(ctx)
	})
	return p
}

func (e *env) newBot(engine, config string, secrets map[string]string) *sb.Bot {
	e.t.Helper()
	engines := sb.NewEngines(builtin.New(), botwebhook.New(nil, "test"))
	cfg, sec, err := engines.ParseConfig(engine, json.RawMessage(config))
	must(e.t, err)
	for k, v := range secrets {
		if sec == nil {
			sec = map[string]string{}
		}
		sec[k] = v
	}
	one := 1
	b := &sb.Bot{WorkspaceID: e.ws.ID, Name: "bot", Engine: engine, Config: cfg, Secrets: sec, Status: sb.BotDeployed,
		Version: 1, DeployedVersion: &one}
	must(e.t, e.db.CreateBot(e.ctx, b))
	must(e.t, e.db.CreateBotVersion(e.ctx, &sb.BotVersion{BotID: b.ID, WorkspaceID: b.WorkspaceID, Version: 1,
		Engine: engine, Config: cfg, Secrets: sec}))
	return b
}

func (e *env) newChannel(typ string, botID *string, config map[string]any, secrets map[string]string) *sb.Channel {
	e.t.Helper()
	c := &sb.Channel{WorkspaceID: e.ws.ID, Type: typ, Name: typ, BotID: botID, Status: sb.ChannelConnected,
		Config: config, Secrets: secrets}
	must(e.t, e.db.CreateChannel(e.ctx, c))
	return c
}

// hook makes an update from a user into a verified HookResult, through
// the Telegram adapter, and ingests it.
func (e *env) hook(p *pipeline.Pipeline, updateID, userID int64, text string) pipeline.IngestResult {
	e.t.Helper()
	res, err := e.ingest(p, e.ch, telegramtest.Update(updateID, userID, "Ada", text),
		http.Header{telegram.HeaderSecretToken: {secretToken}})
	must(e.t, err)
	return res
}

func (e *env) ingest(p *pipeline.Pipeline, ch *sb.Channel, body []byte, h http.Header) (pipeline.IngestResult, error) {
	ad, _ := p.Adapters().Lookup(ch.Type)
	got, err := e.db.GetChannelByID(e.ctx, ch.ID) // with its secrets, as the hook handler reads it
	if err != nil {
		return pipeline.IngestResult{}, err
	}
	hr, err := ad.HandleHook(e.ctx, got, &sb.HookRequest{Method: "POST", Header: h, Body: body, Now: e.clock.Now()})
	if err != nil {
		return pipeline.IngestResult{}, err
	}
	return p.Ingest(e.ctx, got, hr)
}

// run runs every due job with the env's pipeline.
func (e *env) run() int {
	e.t.Helper()
	n, err := e.p.RunDue(e.ctx)
	must(e.t, err)
	return n
}

// events returns the types of the workspace's events, oldest first.
func (e *env) events() []string {
	e.t.Helper()
	list, err := e.db.ListEvents(e.ctx, e.ws.ID, sb.EventFilter{}, sb.Page{Limit: 200})
	must(e.t, err)
	out := make([]string, len(list))
	for i, ev := range list {
		out[len(list)-1-i] = ev.Type
	}
	return out
}

// conversation returns the open conversation of a Telegram user.
func (e *env) conversations(userID int64) []*sb.Conversation {
	e.t.Helper()
	ct, err := e.db.GetContactByExternalID(e.ctx, e.ch.ID, fmt.Sprint(userID))
	must(e.t, err)
	list, err := e.db.ListConversations(e.ctx, e.ws.ID, sb.ConversationFilter{ContactID: ct.ID}, sb.Page{Limit: 50})
	must(e.t, err)
	return list
}

// messages returns a conversation's messages, oldest first.
func (e *env) messages(convID string) []*sb.Message {
	e.t.Helper()
	list, err := e.db.ListMessages(e.ctx, e.ws.ID, convID, sb.Page{Limit: 200})
	must(e.t, err)
	out := make([]*sb.Message, len(list))
	for i, m := range list {
		out[len(list)-1-i] = m
	}
	return out
}

// texts returns the texts of the fake Bot API's sendMessage calls.
func (e *env) sent() []string {
	var out []string
	for _, c := range e.tg.Calls("sendMessage") {
		out = append(out, c.Text())
	}
	return out
}

// noJobsLeft fails if any job is still stored.
func (e *env) noJobsLeft() {
	e.t.Helper()
	next, err := e.db.NextJobDue(e.ctx, nil)
	must(e.t, err)
	if !next.IsZero() {
		e.t.Fatalf("a job is still stored (due %s)", next)
	}
}

// hookRequest is an inbound POST as the hook handler builds it.
func hookRequest(h http.Header, body []byte) *sb.HookRequest {
	return &sb.HookRequest{Method: "POST", Header: h, Body: body, Now: time.Now()}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func equal[T comparable](t *testing.T, what string, got, want []T) {
	t.Helper()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("%s:\n got %v\nwant %v", what, got, want)
	}
}
