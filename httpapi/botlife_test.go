package httpapi_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/bot/bottest"
	"github.com/switchboardhq/switchboard/channel/telegram"
	"github.com/switchboardhq/switchboard/channel/telegram/telegramtest"
	"github.com/switchboardhq/switchboard/store/pgtest"
)

// lifecycleBot is a bot whose greeting says which draft it comes from.
func lifecycleBot(greeting string) map[string]any {
	return map[string]any{"name": "Support", "engine": "builtin", "config": greetConfig(greeting)}
}

func greetConfig(greeting string) map[string]any {
	return map[string]any{
		"intents": []any{
			map[string]any{"name": "greet", "examples": []any{"hello"}, "responses": []any{"Hi {{knowledge.no_such_fact}}!", greeting}},
			map[string]any{"name": "order", "examples": []any{"where is my order"}, "responses": []any{"On its way."}},
		},
		"fallback": "Sorry?",
	}
}

// trainerEnv is an env whose builtin engine trains (bottest).
func trainerEnv(t *testing.T, url string) (*env, *bottest.Engine) {
	eng := bottest.New()
	o := platformsOnLoopback
	o.engines = []sb.BotEngine{eng}
	return newEnv(t, url, o), eng
}

// parse asks the bot what it makes of text (on version, if not 0).
func (e *env) parse(t *testing.T, botID, text string, version int) map[string]any {
	t.Helper()
	body := map[string]any{"text": text}
	if version > 0 {
		body["version"] = version
	}
	return e.must(200, "POST", "/api/v1/bots/"+botID+"/parse", e.reader, body).obj(t)
}

// replies are the replies of a parse, joined.
func replies(p map[string]any) string {
	var out []string
	for _, r := range p["replies"].([]any) {
		out = append(out, r.(string))
	}
	return strings.Join(out, "|")
}

// botEvents are the workspace's bot.* events, oldest first.
func (e *env) botEvents(t *testing.T) []map[string]any {
	t.Helper()
	evs := e.must(200, "GET", "/api/v1/events?type=bot.*&limit=100", e.admin, nil).data(t)
	for i, j := 0, len(evs)-1; i < j; i, j = i+1, j-1 {
		evs[i], evs[j] = evs[j], evs[i]
	}
	return evs
}

func num(v any) int {
	f, _ := v.(float64)
	return int(f)
}

// TestBotLifecycle: a bot answers with version 1 as soon as it is created;
// a new draft is trained into version 2 in the background and answers only
// once deployed; deploying version 1 again rolls back; a draft that cannot
// be trained ends in status error, and the deployed version keeps
// answering throughout.
func TestBotLifecycle(t *testing.T) {
	pgtest.EachDatabase(t, func(t *testing.T, url string) {
		e, eng := trainerEnv(t, url)
		b := e.must(201, "POST", "/api/v1/bots", e.admin, lifecycleBot("Hello from v1")).obj(t)
		id := b["id"].(string)
		tr, _ := b["training"].(map[string]any)
		if b["status"] != "deployed" || num(b["version"]) != 1 || num(b["deployed_version"]) != 1 ||
			tr["status"] != "succeeded" || num(tr["version"]) != 1 || tr["error"] != nil || eng.Trains() != 1 {
			t.Fatalf("created bot %v after %d trainings", b, eng.Trains())
		}
		// Version 1 is trained and deployed as the bot is created.
		evs := e.botEvents(t)
		if len(evs) != 2 || evs[0]["event"] != "bot.trained" || evs[1]["event"] != "bot.deployed" {
			t.Fatalf("creating a bot emitted %v", evs)
		}
		for _, ev := range evs {
			d := ev["data"].(map[string]any)
			if num(d["version"].(map[string]any)["version"]) != 1 || d["previous_version"] != nil {
				t.Fatalf("creating a bot emitted %v", ev)
			}
		}
		// No fact fills the placeholder: the other response answers.
		p := e.parse(t, id, "Hello", 0)
		intent, _ := p["intent"].(map[string]any)
		if replies(p) != "Hello from v1" || intent["name"] != "greet" || intent["confidence"] != 1.0 || num(p["version"]) != 1 ||
			p["out_of_scope"] != false || p["handoff"] != false || len(p["ranking"].([]any)) != 1 {
			t.Fatalf("parse: %v", p)
		}
		if p := e.parse(t, id, "what?", 0); p["intent"] != nil || p["out_of_scope"] != true || replies(p) != "Sorry?" {
			t.Fatalf("parse out of scope: %v", p)
		}

		// A new draft: version 1 keeps answering.
		d := e.must(200, "PUT", "/api/v1/bots/"+id+"/config", e.admin, greetConfig("Hello from v2")).obj(t)
		if d["status"] != "draft" || num(d["deployed_version"]) != 1 || num(d["version"]) != 1 {
			t.Fatalf("new draft: %v", d)
		}
		if got := replies(e.parse(t, id, "hello", 0)); got != "Hello from v1" {
			t.Fatalf("after a new draft the bot answers %q", got)
		}

		// Training: 202 at once, 409 while it runs, done by the job.
		tb := e.must(202, "POST", "/api/v1/bots/"+id+"/train", e.admin, nil).obj(t)
		if tb["status"] != "training" || tb["training"].(map[string]any)["status"] != "running" {
			t.Fatalf("train: %v", tb)
		}
		e.call("POST", "/api/v1/bots/"+id+"/train", e.admin, nil).problem(t, 409, sb.EConflict, "")
		e.runJobs()
		got := e.must(200, "GET", "/api/v1/bots/"+id, e.reader, nil).obj(t)
		tr = got["training"].(map[string]any)
		if got["status"] != "trained" || num(got["version"]) != 2 || num(got["deployed_version"]) != 1 ||
			tr["status"] != "succeeded" || num(tr["version"]) != 2 || tr["finished_at"] == nil {
			t.Fatalf("trained bot: %v", got)
		}
		evs = e.botEvents(t)[2:]
		if len(evs) != 1 || evs[0]["event"] != "bot.trained" {
			t.Fatalf("events after training: %v", evs)
		}
		v := evs[0]["data"].(map[string]any)["version"].(map[string]any)
		if num(v["version"]) != 2 || num(v["metrics"].(map[string]any)["intents"]) != 2 || num(v["model_size"]) == 0 || v["deployed_at"] != nil {
			t.Fatalf("bot.trained version: %v", v)
		}
		if got := replies(e.parse(t, id, "hello", 0)); got != "Hello from v1" {
			t.Fatalf("trained, not deployed: the bot answers %q", got)
		}
		if p := e.parse(t, id, "hello", 2); replies(p) != "Hello from v2" || num(p["version"]) != 2 {
			t.Fatalf("parse of version 2: %v", p)
		}

		// Deploy the newest (an empty body), then roll back to version 1.
		dep := e.must(200, "POST", "/api/v1/bots/"+id+"/deploy", e.admin, "").obj(t)
		if dep["status"] != "deployed" || num(dep["deployed_version"]) != 2 {
			t.Fatalf("deploy: %v", dep)
		}
		if got := replies(e.parse(t, id, "hello", 0)); got != "Hello from v2" {
			t.Fatalf("after deploying version 2 the bot answers %q", got)
		}
		back := e.must(200, "POST", "/api/v1/bots/"+id+"/deploy", e.admin, map[string]any{"version": 1}).obj(t)
		if back["status"] != "trained" || num(back["deployed_version"]) != 1 || num(back["version"]) != 2 {
			t.Fatalf("rollback: %v", back)
		}
		if got := replies(e.parse(t, id, "hello", 0)); got != "Hello from v1" {
			t.Fatalf("after the rollback the bot answers %q", got)
		}
		evs = e.botEvents(t)[2:]
		if len(evs) != 3 || evs[1]["event"] != "bot.deployed" || evs[2]["event"] != "bot.deployed" {
			t.Fatalf("events: %v", evs)
		}
		for i, want := range [][2]int{{2, 1}, {1, 2}} {
			data := evs[i+1]["data"].(map[string]any)
			if num(data["version"].(map[string]any)["version"]) != want[0] || num(data["previous_version"]) != want[1] {
				t.Fatalf("bot.deployed %d: %v", i, data)
			}
		}
		e.call("POST", "/api/v1/bots/"+id+"/deploy", e.admin, map[string]any{"version": 3}).problem(t, 400, sb.EInvalid, "version")
		e.call("POST", "/api/v1/bots/"+id+"/parse", e.admin, map[string]any{"text": "hello", "version": 3}).problem(t, 400, sb.EInvalid, "version")

		// Versions: newest first, page by page.
		page := e.must(200, "GET", "/api/v1/bots/"+id+"/versions?limit=1", e.reader, nil)
		first := page.data(t)
		next, _ := page.obj(t)["next_cursor"].(string)
		if len(first) != 1 || num(first[0]["version"]) != 2 || next == "" {
			t.Fatalf("first page: %s", page.body)
		}
		page = e.must(200, "GET", "/api/v1/bots/"+id+"/versions?limit=1&cursor="+next, e.reader, nil)
		second := page.data(t)
		if len(second) != 1 || num(second[0]["version"]) != 1 || page.obj(t)["next_cursor"] != nil ||
			second[0]["deployed_at"] == nil || num(second[0]["metrics"].(map[string]any)["intents"]) != 2 {
			t.Fatalf("second page: %s", page.body)
		}
		e.call("GET", "/api/v1/bots/"+id+"/versions?cursor=Ym90XzE", e.reader, nil).problem(t, 400, sb.EInvalid, "cursor")
		e.call("GET", "/api/v1/bots/"+id+"/versions", e.other, nil).problem(t, 404, sb.ENotFound, "")

		// A draft that cannot be trained: status error, bot.error, and
		// version 1 still answers.
		bad := greetConfig("Hello from v3")
		bad["fallback"] = bottest.Untrainable
		e.must(200, "PUT", "/api/v1/bots/"+id+"/config", e.admin, bad)
		e.must(202, "POST", "/api/v1/bots/"+id+"/train", e.admin, nil)
		e.runJobs()
		got = e.must(200, "GET", "/api/v1/bots/"+id, e.reader, nil).obj(t)
		tr = got["training"].(map[string]any)
		if got["status"] != "error" || tr["status"] != "failed" || !strings.Contains(fmt.Sprint(tr["error"]), "config.fallback") ||
			num(got["version"]) != 2 || num(got["deployed_version"]) != 1 {
			t.Fatalf("failed training: %v", got)
		}
		evs = e.botEvents(t)[2:]
		last := evs[len(evs)-1]
		if last["event"] != "bot.error" || last["data"].(map[string]any)["version"] != nil ||
			!strings.HasPrefix(last["data"].(map[string]any)["error"].(string), "training failed: config.fallback") {
			t.Fatalf("bot.error: %v", last)
		}
		if got := replies(e.parse(t, id, "hello", 0)); got != "Hello from v1" {
			t.Fatalf("after a failed training the bot answers %q", got)
		}
		// A training again once the draft is fixed.
		e.must(200, "PUT", "/api/v1/bots/"+id+"/config", e.admin, greetConfig("Hello from v3"))
		e.must(202, "POST", "/api/v1/bots/"+id+"/train", e.admin, nil)
		e.runJobs()
		if got := e.must(200, "GET", "/api/v1/bots/"+id, e.reader, nil).obj(t); got["status"] != "trained" || num(got["version"]) != 3 {
			t.Fatalf("trained again: %v", got)
		}
	})
}

// TestBotCreateTrainingRefused: POST /bots of a configuration that cannot
// be trained is 400 naming the field, and creates nothing.
func TestBotCreateTrainingRefused(t *testing.T) {
	e, _ := trainerEnv(t, "sqlite://"+t.TempDir()+"/sb.db")
	bad := lifecycleBot("hi")
	bad["config"].(map[string]any)["fallback"] = bottest.Untrainable
	e.call("POST", "/api/v1/bots", e.admin, bad).problem(t, 400, sb.EInvalid, "config.fallback")
	if bots := e.must(200, "GET", "/api/v1/bots", e.admin, nil).data(t); len(bots) != 0 {
		t.Fatalf("bots: %v", bots)
	}
}

// TestIntentActionsChecked: an intent's action is checked when a builtin
// configuration is set: its shape, then that it names an integration of
// the workspace and one of that integration's actions.
func TestIntentActionsChecked(t *testing.T) {
	e, _ := trainerEnv(t, "sqlite://"+t.TempDir()+"/sb.db")
	desk := e.must(201, "POST", "/api/v1/integrations", e.admin, map[string]any{"type": "http", "name": "Desk",
		"config": map[string]any{"url": "https://1.2.3.4/tickets"}}).str(t, "id")
	withAction := func(action any) map[string]any {
		c := greetConfig("hi")
		c["intents"].([]any)[1].(map[string]any)["action"] = action
		return c
	}
	for _, tc := range []struct {
		action any
		field  string
	}{
		{map[string]any{"integration_id": "shopify", "action": "lookup_order"}, "config.intents[1].action.integration_id"},
		{map[string]any{"integration_id": "int_01ARZ3NDEKTSV4RRFFQ69G5FAV", "action": ""}, "config.intents[1].action.action"},
		{map[string]any{"integration_id": "int_01ARZ3NDEKTSV4RRFFQ69G5FAV", "action": "look up"}, "config.intents[1].action.action"},
		{map[string]any{"integration_id": "int_01ARZ3NDEKTSV4RRFFQ69G5FAV", "action": "lookup_order", "params": []any{1}}, "config.intents[1].action.params"},
		{map[string]any{"integration_id": "int_01ARZ3NDEKTSV4RRFFQ69G5FAV", "action": "lookup_order", "run": true}, "config.intents[1].action.run"},
		{"lookup_order", "config.intents[1].action"},
		{map[string]any{"integration_id": "int_01ARZ3NDEKTSV4RRFFQ69G5FAV", "action": "call"}, "config.intents[1].action.integration_id"},
		{map[string]any{"integration_id": desk, "action": "lookup_order"}, "config.intents[1].action.action"},
	} {
		body := map[string]any{"name": "b", "engine": "builtin", "config": withAction(tc.action)}
		e.call("POST", "/api/v1/bots", e.admin, body).problem(t, 400, sb.EInvalid, tc.field)
	}
	id := e.must(201, "POST", "/api/v1/bots", e.admin, lifecycleBot("hi")).str(t, "id")
	e.call("PUT", "/api/v1/bots/"+id+"/config", e.admin, withAction(map[string]any{"integration_id": "x", "action": "a"})).
		problem(t, 400, sb.EInvalid, "config.intents[1].action.integration_id")
	e.must(200, "PUT", "/api/v1/bots/"+id+"/config", e.admin, withAction(map[string]any{"integration_id": desk, "action": "call"}))
}

// TestParseWebhookBotRefused: a webhook bot's answer is its service's,
// which parse does not call.
func TestParseWebhookBotRefused(t *testing.T) {
	e := newEnv(t, "sqlite://"+t.TempDir()+"/sb.db")
	id := e.must(201, "POST", "/api/v1/bots", e.admin, map[string]any{"name": "Hook", "engine": "webhook",
		"config": map[string]any{"url": "https://bots.example.com/hook"}}).obj(t)["id"].(string)
	e.call("POST", "/api/v1/bots/"+id+"/parse", e.admin, map[string]any{"text": "hi"}).problem(t, 400, sb.EInvalid, "engine")
	versions := e.must(200, "GET", "/api/v1/bots/"+id+"/versions", e.admin, nil).data(t)
	if len(versions) != 1 || num(versions[0]["model_size"]) != 0 || len(versions[0]["metrics"].(map[string]any)) != 0 {
		t.Fatalf("a webhook bot versions its configuration only: %v", versions)
	}
	e.call("POST", "/api/v1/bots/"+id+"/parse", e.admin, map[string]any{"text": ""}).problem(t, 400, sb.EInvalid, "text")
}

// TestTwoProcessesServeTheDeployedVersion: two processes on one PostgreSQL
// database answer a channel's messages with the version deployed through
// either, each seeing a deploy made through the other within a second.
func TestTwoProcessesServeTheDeployedVersion(t *testing.T) {
	url := pgtest.URL(t)
	a, _ := trainerEnv(t, url)
	b := a.peer(t, url)
	tg := telegramtest.NewServer()
	defer tg.Close()
	id := a.must(201, "POST", "/api/v1/bots", a.admin, lifecycleBot("Hello from v1")).str(t, "id")
	ch := a.must(201, "POST", "/api/v1/channels", a.admin, map[string]any{
		"type": "telegram", "name": "Support", "bot_id": id,
		"config": map[string]any{"bot_token": "123:TEST", "api_base_url": tg.URL},
	}).obj(t)
	chID, token := ch["id"].(string), ch["config"].(map[string]any)["secret_token"].(string)
	update := 0
	ask := func(p *env) string { // a user says hello through p's hook; the reply
		t.Helper()
		update++
		p.must(200, "POST", hookPath(chID), "", string(telegramtest.Update(int64(update), 42, "Ada", "hello")), telegram.HeaderSecretToken, token)
		p.runJobs()
		sent := tg.Calls("sendMessage")
		if len(sent) != update {
			t.Fatalf("%d replies to %d messages", len(sent), update)
		}
		return sent[update-1].Text()
	}
	if got := [2]string{ask(a), ask(b)}; got != [2]string{"Hello from v1", "Hello from v1"} {
		t.Fatalf("version 1: %v", got)
	}
	// Trained and deployed through b: b answers with version 2 at once, a
	// within a second.
	b.must(200, "PUT", "/api/v1/bots/"+id+"/config", b.admin, greetConfig("Hello from v2"))
	b.must(202, "POST", "/api/v1/bots/"+id+"/train", b.admin, nil)
	b.runJobs()
	if got := ask(a); got != "Hello from v1" {
		t.Fatalf("trained, not deployed: %q", got)
	}
	b.must(200, "POST", "/api/v1/bots/"+id+"/deploy", b.admin, map[string]any{})
	if got := ask(b); got != "Hello from v2" {
		t.Fatalf("the deploying process answers %q", got)
	}
	time.Sleep(1100 * time.Millisecond) // the other process's cache of the bot expires
	if got := ask(a); got != "Hello from v2" {
		t.Fatalf("the other process answers %q", got)
	}
	// Rolled back through a.
	a.must(200, "POST", "/api/v1/bots/"+id+"/deploy", a.admin, map[string]any{"version": 1})
	if got := ask(a); got != "Hello from v1" {
		t.Fatalf("after the rollback the deploying process answers %q", got)
	}
	time.Sleep(1100 * time.Millisecond)
	if got := ask(b); got != "Hello from v1" {
		t.Fatalf("after the rollback the other process answers %q", got)
	}
}

// TestTemplatesFilled: responses are filled from knowledge and the
// contact in a conversation, from the workspace's knowledge only in a
// parse (a response needing a contact gives way to the next one).
func TestTemplatesFilled(t *testing.T) {
	pgtest.EachDatabase(t, func(t *testing.T, url string) {
		e, _ := trainerEnv(t, url)
		cfg := map[string]any{
			"intents": []any{
				map[string]any{"name": "greet", "examples": []any{"hello"}, "responses": []any{"Hi {{contact.name}}!", "Hello!"}},
				map[string]any{"name": "hours", "examples": []any{"opening hours"}, "responses": []any{"We open {{ knowledge.hours }}.", "Ask us."}},
			},
			"fallback": "Sorry?",
		}
		id := e.must(201, "POST", "/api/v1/bots", e.admin, map[string]any{"name": "T", "engine": "builtin", "config": cfg}).str(t, "id")
		if got := replies(e.parse(t, id, "opening hours", 0)); got != "Ask us." {
			t.Fatalf("without the fact: %q", got)
		}
		e.must(201, "POST", "/api/v1/knowledge", e.admin, map[string]any{"key": "hours", "text": "9-5"})
		if got := replies(e.parse(t, id, "opening hours", 0)); got != "We open 9-5." {
			t.Fatalf("with the fact: %q", got)
		}
		if got := replies(e.parse(t, id, "hello", 0)); got != "Hello!" {
			t.Fatalf("parse has no contact: %q", got)
		}

		tg := telegramtest.NewServer()
		defer tg.Close()
		ch := e.must(201, "POST", "/api/v1/channels", e.admin, map[string]any{"type": "telegram", "name": "S", "bot_id": id,
			"config": map[string]any{"bot_token": "123:TEST", "api_base_url": tg.URL}}).obj(t)
		token := ch["config"].(map[string]any)["secret_token"].(string)
		for i, text := range []string{"hello", "opening hours"} {
			e.must(200, "POST", hookPath(ch["id"].(string)), "", string(telegramtest.Update(int64(i+1), 42, "Ada", text)), telegram.HeaderSecretToken, token)
			e.runJobs()
		}
		var sent []string
		for _, c := range tg.Calls("sendMessage") {
			sent = append(sent, c.Text())
		}
		if strings.Join(sent, "|") != "Hi Ada!|We open 9-5." {
			t.Fatalf("sent %q", sent)
		}
	})
}
