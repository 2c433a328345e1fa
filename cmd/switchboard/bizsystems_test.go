package main

import (
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/channel/telegram"
	"github.com/switchboardhq/switchboard/channel/telegram/telegramtest"
	"github.com/switchboardhq/switchboard/integration/hubspot/hubspottest"
	"github.com/switchboardhq/switchboard/integration/salesforce/salesforcetest"
	"github.com/switchboardhq/switchboard/integration/shopify/shopifytest"
)

const shopSecret = "shpss_e2e_webhook_secret"

func shopifySample(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("../../integration/shopify/testdata/webhooks/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// deliver POSTs a Shopify webhook to the integration's URL, signed with
// secret, and returns the status answered.
func deliver(t *testing.T, hookURL, secret, topic, webhookID string, body []byte) int {
	t.Helper()
	st, err := shopifytest.Deliver(http.DefaultClient, hookURL, shopifytest.Headers(secret, topic, webhookID, "hoodies-and-co.myshopify.com", body), body)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// contactOf returns the only contact of a channel.
func (p *process) contactOf(t *testing.T, channelID string) map[string]any {
	t.Helper()
	st, got := p.json(t, "GET", "/api/v1/contacts?channel_id="+channelID, nil)
	data, _ := got["data"].([]any)
	if st != 200 || len(data) != 1 {
		t.Fatalf("contacts of %s: %d %v", channelID, st, got)
	}
	return data[0].(map[string]any)
}

// fact waits for the fact key (of the subject query, such as
// "email=a@b.c") whose data satisfies ok, and returns it.
func (p *process) fact(t *testing.T, key, subject string, ok func(data map[string]any) bool) map[string]any {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		_, got := p.json(t, "GET", "/api/v1/knowledge?key="+url.QueryEscape(key)+"&"+subject, nil)
		if data, _ := got["data"].([]any); len(data) == 1 {
			f := data[0].(map[string]any)
			if d, _ := f["data"].(map[string]any); ok(d) {
				return f
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no fact %s for %s as wanted: %v", key, subject, got)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// TestShopifyFulfilledOrderEndToEnd: a Telegram contact with an email,
// a Shopify integration registered with the fake shop; a signed
// orders/fulfilled keeps the order's facts and sends the contact one
// message with the tracking number and URL, once, however often Shopify
// repeats the webhook (or sends orders/updated for the same order), a
// SIGKILL and a restart in between included. A bad signature stores
// nothing; an unknown topic and a malformed body are acknowledged and
// change nothing, and later webhooks still go through.
func TestShopifyFulfilledOrderEndToEnd(t *testing.T) {
	forDialects(t, func(t *testing.T, env []string) {
		tg := telegramtest.NewServer()
		defer tg.Close()
		shop := shopifytest.NewServer("shpat_e2e")
		defer shop.Close()
		env = append(env, integrationEnv...)
		p := serve(t, env...)
		hookURL, token := telegramChannel(t, p, tg, greeter)
		channelID := hookURL[strings.LastIndex(hookURL, "/")+1:]
		p.post(t, hookURL, "", telegramtest.Update(7001, 4242, "María", "hello"), telegram.HeaderSecretToken, token)
		tg.Wait("sendMessage", 1, 60*time.Second)
		ct := p.contactOf(t, channelID)
		if st, got := p.json(t, "PATCH", "/api/v1/contacts/"+ct["id"].(string), map[string]any{"email": "Maria.Lopez@Example.org"}); st != 200 {
			t.Fatalf("PATCH contact: %d %v", st, got)
		}

		for field, config := range map[string]map[string]any{
			"config.shop_domain":              {"shop_domain": "https://hoodies-and-co.myshopify.com", "webhook_secret": shopSecret},
			"config.webhook_secret":           {"shop_domain": "hoodies-and-co.myshopify.com"},
			"config.messages.order_fulfilled": {"shop_domain": "h.myshopify.com", "webhook_secret": "x", "messages": map[string]any{"order_fulfilled": "Hi {{contact.name}}"}},
			"config.messages.order_cancelled": {"shop_domain": "h.myshopify.com", "webhook_secret": "x", "messages": map[string]any{"order_cancelled": "Sorry"}},
		} {
			st, got := p.json(t, "POST", "/api/v1/integrations", map[string]any{"type": "shopify", "name": "Bad", "config": config})
			errs, _ := got["errors"].([]any)
			if st != 400 || len(errs) == 0 || errs[0].(map[string]any)["field"] != field {
				t.Fatalf("create with %v: %d %v, want 400 naming %s", config, st, got, field)
			}
		}
		in := p.create(t, "/api/v1/integrations", map[string]any{"type": "shopify", "name": "Hoodies & Co", "config": map[string]any{
			"shop_domain": "hoodies-and-co.myshopify.com", "webhook_secret": shopSecret, "access_token": "shpat_e2e",
			"notify_channel_id": channelID, "api_base_url": shop.URL}})
		cfg := in["config"].(map[string]any)
		if cfg["webhook_secret"] != nil || cfg["access_token"] != nil || in["status"] != "connected" {
			t.Fatalf("created: %v (secrets are write-only)", in)
		}
		orderHook := in["webhook_url"].(string)
		if orderHook != p.base+"/hooks/integrations/"+in["id"].(string) {
			t.Fatalf("webhook_url %q", orderHook)
		}
		if st, got := p.json(t, "POST", "/api/v1/integrations/"+in["id"].(string)+"/register", nil); st != 200 {
			t.Fatalf("register: %d %v", st, got)
		}
		subs := shop.Subscriptions()
		for _, topic := range []string{"orders/create", "orders/updated", "orders/fulfilled", "products/update"} {
			if len(subs[topic]) != 1 || subs[topic][0] != orderHook {
				t.Fatalf("subscriptions %v", subs)
			}
		}

		fulfilled := shopifySample(t, "orders_fulfilled.json")
		if st := deliver(t, orderHook, "not the secret", "orders/fulfilled", "wh-forged", fulfilled); st != 401 {
			t.Fatalf("a forged webhook answered %d, want 401", st)
		}
		if st := deliver(t, orderHook, shopSecret, "orders/fulfilled", "wh-0001", fulfilled); st != 200 {
			t.Fatalf("orders/fulfilled answered %d", st)
		}
		calls := tg.Wait("sendMessage", 2, 60*time.Second)
		if len(calls) != 2 || calls[1].ChatID() != "4242" || !strings.Contains(calls[1].Text(), "JD014600006281230704") ||
			!strings.Contains(calls[1].Text(), "https://www.dhl.com/es-en/home/tracking/tracking-express.html?submit=1&tracking-id=JD014600006281230704") {
			t.Fatalf("sendMessage: %+v", calls)
		}
		f := p.fact(t, "order.1042", "email=maria.lopez@example.org", func(d map[string]any) bool { return d["status"] == "fulfilled" })
		if d := f["data"].(map[string]any); d["tracking_number"] != "JD014600006281230704" || d["financial_status"] != "paid" || f["source"] != in["id"] {
			t.Fatalf("fact %v", f)
		}
		p.fact(t, "order.latest", "email=maria.lopez@example.org", func(d map[string]any) bool { return d["number"] == 1042.0 })

		// Shopify repeats the webhook; the process is killed; Shopify
		// repeats it again and sends orders/updated for the same order.
		if st := deliver(t, orderHook, shopSecret, "orders/fulfilled", "wh-0001", fulfilled); st != 200 {
			t.Fatalf("repeat answered %d", st)
		}
		if err := p.cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		<-p.done
		p = serve(t, env...)
		orderHook = p.base + "/hooks/integrations/" + in["id"].(string) // a new port
		for _, d := range []struct{ topic, id string }{{"orders/fulfilled", "wh-0001"}, {"orders/updated", "wh-0002"}} {
			if st := deliver(t, orderHook, shopSecret, d.topic, d.id, fulfilled); st != 200 {
				t.Fatalf("%s after the restart answered %d", d.topic, st)
			}
		}
		// An unknown topic and a malformed order are acknowledged.
		if st := deliver(t, orderHook, shopSecret, "customers/create", "wh-0003", []byte(`{"id":1,"email":"x@example.org"}`)); st != 200 {
			t.Fatalf("unknown topic answered %d", st)
		}
		if st := deliver(t, orderHook, shopSecret, "orders/updated", "wh-0004", []byte(`{"id":5832014970963,"order_number":`)); st != 200 {
			t.Fatalf("malformed order answered %d", st)
		}
		// Hooks of an integration are processed in order: once the
		// product's fact is kept, every webhook before it was processed.
		if st := deliver(t, orderHook, shopSecret, "products/update", "wh-0005", shopifySample(t, "products_update.json")); st != 200 {
			t.Fatalf("products/update answered %d", st)
		}
		prod := p.fact(t, "product.merino-hoodie", "", func(d map[string]any) bool { return d["stock"] == 7.0 })
		if !strings.Contains(prod["text"].(string), "Merino Hoodie") {
			t.Fatalf("product fact %v", prod)
		}
		if n := len(tg.Calls("sendMessage")); n != 2 {
			t.Fatalf("%d messages sent, want 2 (the greeting and one shipped message)", n)
		}
		f = p.fact(t, "order.1042", "email=maria.lopez@example.org", func(map[string]any) bool { return true })
		if f["data"].(map[string]any)["status"] != "fulfilled" {
			t.Fatalf("the malformed order changed the fact: %v", f)
		}
		p.stop(t)
	})
}

// TestCRMEndToEnd: a conversation that ends runs an automation that
// pushes a Lead with the transcript to the fake Salesforce; the next
// conversation of the same contact updates that Lead (one Lead), through
// a 503 (retried) and an expired token (refreshed once). A refresh token
// Salesforce revoked fails the run and puts the integration in error.
// HubSpot: upsert_contact through a 429 (its Retry-After) and a 502,
// the same contact updated on the second run, a revoked token refused.
// On SQLite and PostgreSQL.
func TestCRMEndToEnd(t *testing.T) {
	forDialects(t, func(t *testing.T, env []string) {
		tg := telegramtest.NewServer()
		defer tg.Close()
		sf := salesforcetest.NewServer("3MVG9e2e", "cs-e2e", "5Aep861e2e")
		defer sf.Close()
		hs := hubspottest.NewServer("pat-e2e")
		defer hs.Close()
		p := serve(t, append(env, integrationEnv...)...)
		hookURL, token := telegramChannel(t, p, tg, greeter)
		channelID := hookURL[strings.LastIndex(hookURL, "/")+1:]

		sfIn := p.create(t, "/api/v1/integrations", map[string]any{"type": "salesforce", "name": "Sales", "config": map[string]any{
			"client_id": "3MVG9e2e", "client_secret": "cs-e2e", "refresh_token": "5Aep861e2e", "api_base_url": sf.URL}})
		sfID := sfIn["id"].(string)
		p.create(t, "/api/v1/automations", map[string]any{"name": "Leads", "event_types": []string{"conversation.ended"},
			"integration_id": sfID, "action": "upsert_lead", "params": map[string]any{"company": "Analytical Engines"}})

		converse := func(updateID int64, text string, replies int) {
			t.Helper()
			p.post(t, hookURL, "", telegramtest.Update(updateID, 815, "Ada", text), telegram.HeaderSecretToken, token)
			tg.Wait("sendMessage", replies, 60*time.Second)
			_, convs := p.json(t, "GET", "/api/v1/conversations?status=active&channel_id="+channelID, nil)
			data := convs["data"].([]any)
			if len(data) != 1 {
				t.Fatalf("open conversations: %v", convs)
			}
			id := data[0].(map[string]any)["id"].(string)
			if st, got := p.json(t, "PUT", "/api/v1/conversations/"+id, map[string]any{"status": "ended"}); st != 200 {
				t.Fatalf("end: %d %v", st, got)
			}
		}
		runs := func(n int) []map[string]any {
			t.Helper()
			deadline := time.Now().Add(60 * time.Second)
			for {
				_, got := p.json(t, "GET", "/api/v1/integrations/"+sfID+"/runs", nil)
				data, _ := got["data"].([]any)
				done := 0
				var out []map[string]any
				for _, r := range data {
					run := r.(map[string]any)
					out = append(out, run)
					if run["status"] == "succeeded" || run["status"] == "failed" {
						done++
					}
				}
				if done >= n {
					return out // newest first
				}
				if time.Now().After(deadline) {
					t.Fatalf("runs: %v", got)
				}
				time.Sleep(50 * time.Millisecond)
			}
		}

		// The contact gives their email; the conversation ends.
		p.post(t, hookURL, "", telegramtest.Update(8000, 815, "Ada", "hello"), telegram.HeaderSecretToken, token)
		tg.Wait("sendMessage", 1, 60*time.Second)
		ct := p.contactOf(t, channelID)
		p.json(t, "PATCH", "/api/v1/contacts/"+ct["id"].(string), map[string]any{"email": "ada@example.org"})
		_, convs := p.json(t, "GET", "/api/v1/conversations?channel_id="+channelID, nil)
		p.json(t, "PUT", "/api/v1/conversations/"+convs["data"].([]any)[0].(map[string]any)["id"].(string), map[string]any{"status": "ended"})
		first := runs(1)[0]
		leads := sf.Leads()
		if first["status"] != "succeeded" || len(leads) != 1 {
			t.Fatalf("first run %v, leads %+v", first, leads)
		}
		l := leads[0].Fields
		if l["Email"] != "ada@example.org" || l["LeadSource"] != "Chatbot" || l["Company"] != "Analytical Engines" || l["LastName"] != "Ada" ||
			!strings.Contains(l["Description"].(string), "hello") || !strings.Contains(l["Description"].(string), "Hello! How can I help?") {
			t.Fatalf("lead %v", l)
		}

		// The next conversation: Salesforce answers 503 once, and the token
		// has expired meanwhile.
		sf.ExpireTokens()
		sf.FailNext(1, salesforcetest.ErrorUnavailable)
		converse(8001, "I would like a quote for 20 machines", 2)
		second := runs(2)[0]
		leads = sf.Leads()
		if second["status"] != "succeeded" || len(attempts(second)) != 2 || attempts(second)[0]["status_code"] != 503.0 || len(leads) != 1 {
			t.Fatalf("second run %v, %d leads", second, len(leads))
		}
		if d := leads[0].Fields["Description"].(string); !strings.Contains(d, "20 machines") || strings.Contains(d, "hello") {
			t.Fatalf("the Lead's description is not the second conversation's: %q", d)
		}
		if n := len(sf.Calls("/services/oauth2/token")); n != 2 {
			t.Fatalf("%d token requests, want 2 (the first, one refresh)", n)
		}

		// Salesforce revokes the refresh token: the run fails at once, the
		// integration is in error.
		sf.RevokeRefreshToken()
		converse(8002, "thanks", 3)
		third := runs(3)[0]
		if third["status"] != "failed" || len(attempts(third)) != 1 || !strings.Contains(third["error"].(string), "invalid_grant") {
			t.Fatalf("third run %v", third)
		}
		p.event(t, "integration.disconnected", sfID)
		if _, got := p.json(t, "GET", "/api/v1/integrations/"+sfID, nil); got["status"] != "error" {
			t.Fatalf("integration %v", got)
		}
		if len(sf.Leads()) != 1 {
			t.Fatalf("leads %+v", sf.Leads())
		}

		// HubSpot.
		hsIn := p.create(t, "/api/v1/integrations", map[string]any{"type": "hubspot", "name": "Marketing", "config": map[string]any{
			"access_token": "pat-e2e", "api_base_url": hs.URL}})
		hsID := hsIn["id"].(string)
		upsert := func(params map[string]any) map[string]any {
			t.Helper()
			st, run := p.json(t, "POST", "/api/v1/integrations/"+hsID+"/actions/upsert_contact", map[string]any{"params": params})
			if st != 202 {
				t.Fatalf("run: %d %v", st, run)
			}
			return p.waitRun(t, run["id"].(string))
		}
		hs.FailNext(1, hubspottest.Error429(10000, 1))
		hs.FailNext(1, hubspottest.Error502)
		run := upsert(map[string]any{"email": "ada@example.org", "first_name": "Ada", "last_name": "Lovelace"})
		as := attempts(run)
		if run["status"] != "succeeded" || len(as) != 3 || as[0]["status_code"] != 429.0 || as[1]["status_code"] != 502.0 || as[2]["status_code"] != 200.0 {
			t.Fatalf("hubspot run %v", run)
		}
		run = upsert(map[string]any{"email": "ada@example.org", "phone": "+44 20 7946 0000"})
		contacts := hs.Contacts()
		c := contacts["ada@example.org"]
		if run["status"] != "succeeded" || len(contacts) != 1 || c.Properties["lastname"] != "Lovelace" || c.Properties["phone"] != "+44 20 7946 0000" {
			t.Fatalf("run %v, contacts %+v", run, contacts)
		}
		if n := len(hs.Calls()); n != 4 {
			t.Fatalf("%d calls to HubSpot, want 4", n)
		}
		hs.Token = "pat-rotated"
		if run = upsert(map[string]any{"email": "ada@example.org"}); run["status"] != "failed" || len(attempts(run)) != 1 {
			t.Fatalf("revoked token: %v", run)
		}
		p.event(t, "integration.disconnected", hsID)
		p.stop(t)
	})
}

// TestSalesforceRunKilledMidCreate kills the server (SIGKILL) after the
// fake Salesforce created the Lead but before it answered; the restarted
// server runs the action again, finds the Lead by its email and updates
// it: one Lead, never two.
func TestSalesforceRunKilledMidCreate(t *testing.T) {
	sf := salesforcetest.NewServer("3MVG9e2e", "cs-e2e", "5Aep861e2e")
	defer sf.Close()
	arrived, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	sf.AfterCall(func(c salesforcetest.Call) {
		if c.Method == "POST" && strings.HasSuffix(c.Path, "/sobjects/Lead") {
			once.Do(func() {
				close(arrived)
				<-release
			})
		}
	})
	defer close(release)
	env := append([]string{"SWITCHBOARD_DATA_DIR=" + t.TempDir()}, integrationEnv...)
	p := serve(t, env...)
	in := p.create(t, "/api/v1/integrations", map[string]any{"type": "salesforce", "name": "Sales", "config": map[string]any{
		"client_id": "3MVG9e2e", "client_secret": "cs-e2e", "refresh_token": "5Aep861e2e", "api_base_url": sf.URL}})
	st, run := p.json(t, "POST", "/api/v1/integrations/"+in["id"].(string)+"/actions/upsert_lead",
		map[string]any{"params": map[string]any{"email": "grace@example.org", "last_name": "Hopper", "company": "US Navy"}})
	if st != 202 {
		t.Fatalf("run: %d %v", st, run)
	}
	select {
	case <-arrived:
	case <-time.After(60 * time.Second):
		t.Fatal("the Lead was never created")
	}
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-p.done

	again := serve(t, env...)
	done := again.waitRun(t, run["id"].(string))
	leads := sf.Leads()
	if done["status"] != "succeeded" || len(leads) != 1 || leads[0].Fields["LastName"] != "Hopper" {
		t.Fatalf("after the restart: run %v, leads %+v", done, leads)
	}
	if res, _ := done["result"].(map[string]any); res["id"] != leads[0].ID || res["created"] != false {
		t.Fatalf("result %v: want the Lead found and updated", done["result"])
	}
	creates, updates := 0, 0
	for _, c := range sf.Calls("/sobjects/Lead") {
		switch c.Method {
		case "POST":
			creates++
		case "PATCH":
			updates++
		}
	}
	if creates != 1 || updates != 1 {
		t.Fatalf("%d creates and %d updates, want 1 and 1", creates, updates)
	}
	again.stop(t)
}
