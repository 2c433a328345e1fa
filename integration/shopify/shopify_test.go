package shopify

import (
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/integration/shopify/shopifytest"
)

const secret = "shpss_test_secret"

func integration(t *testing.T, raw string) *sb.Integration {
	t.Helper()
	config, secrets, err := New().Spec().ParseConfig(json.RawMessage(raw), nil, nil)
	if err != nil {
		t.Fatalf("ParseConfig(%s): %v", raw, err)
	}
	return &sb.Integration{ID: "int_1", Type: sb.IntegrationShopify, Config: config, Secrets: secrets}
}

func process(t *testing.T, in *sb.Integration, topic string, body []byte) (*sb.HookEffects, error) {
	t.Helper()
	p := New()
	h := shopifytest.Headers(in.Setting("webhook_secret"), topic, "wh-1", "hoodies-and-co.myshopify.com", body)
	v, err := p.VerifyHook(in, h, body)
	if err != nil {
		t.Fatalf("VerifyHook: %v", err)
	}
	if v.DeliveryID != "wh-1" || v.Topic != topic {
		t.Fatalf("VerifyHook = %+v", v)
	}
	return p.ProcessHook(context.Background(), &sb.HookCall{Integration: in,
		Hook: &sb.IntegrationHook{ID: "ih_1", IntegrationID: in.ID, DeliveryID: v.DeliveryID, Topic: v.Topic, Body: body},
		Now:  time.Now()})
}

func TestVerifyHookRefusesBadSignatures(t *testing.T) {
	in := integration(t, `{"shop_domain":"hoodies-and-co.myshopify.com","webhook_secret":"`+secret+`"}`)
	body := readFile(t, "webhooks/orders_create.json")
	h := shopifytest.Headers("another secret", TopicOrdersCreate, "wh-1", "x", body)
	if _, err := New().VerifyHook(in, h, body); sb.ErrorCode(err) != sb.EUnauthorized {
		t.Fatalf("VerifyHook with another secret = %v", err)
	}
	h.Del(HeaderHmac)
	if _, err := New().VerifyHook(in, h, body); sb.ErrorCode(err) != sb.EUnauthorized {
		t.Fatalf("VerifyHook unsigned = %v", err)
	}
}

func TestOrderHookFacts(t *testing.T) {
	in := integration(t, `{"shop_domain":"hoodies-and-co.myshopify.com","webhook_secret":"`+secret+`","notify_channel_id":"ch_01JHF3Q8R5ZK7M2W9XN4T6B0CD"}`)
	for _, topic := range []string{TopicOrdersCreate, TopicOrdersUpdated} {
		fx, err := process(t, in, topic, readFile(t, "webhooks/orders_create.json"))
		if err != nil {
			t.Fatal(err)
		}
		if len(fx.Messages) != 0 {
			t.Errorf("%s: an open order sends %d messages", topic, len(fx.Messages))
		}
		if len(fx.Facts) != 2 || fx.Facts[0].Key != "order.1042" || fx.Facts[1].Key != "order.latest" {
			t.Fatalf("%s: facts %+v", topic, fx.Facts)
		}
		for _, f := range fx.Facts {
			if f.Email != "maria.lopez@example.org" || f.Phone != "" || f.ContactID != "" || !strings.HasPrefix(f.Text, "Order #1042: 2 items, 89.90 EUR, paid, open.") {
				t.Errorf("%s: fact %+v", topic, f)
			}
			// The order's updated_at: a late webhook of an older state
			// does not replace these facts.
			if f.AsOf == nil || f.AsOf.IsZero() {
				t.Errorf("%s: fact without as_of: %+v", topic, f)
			}
			var data map[string]any
			if err := json.Unmarshal(f.Data, &data); err != nil {
				t.Fatal(err)
			}
			for _, k := range []string{"number", "status", "financial_status", "fulfillment_status", "total", "currency", "items", "tracking_number", "tracking_url", "order_status_url", "updated_at"} {
				if _, ok := data[k]; !ok {
					t.Errorf("%s: fact data lacks %s: %s", topic, k, f.Data)
				}
			}
		}
	}
}

func TestFulfilledOrderSendsOneMessagePerOrder(t *testing.T) {
	in := integration(t, `{"shop_domain":"hoodies-and-co.myshopify.com","webhook_secret":"`+secret+`","notify_channel_id":"ch_01JHF3Q8R5ZK7M2W9XN4T6B0CD"}`)
	fulfilled := readFile(t, "webhooks/orders_fulfilled.json")
	fx, err := process(t, in, TopicOrdersFulfilled, fulfilled)
	if err != nil {
		t.Fatal(err)
	}
	want := "Good news: your order #1042 has shipped! Tracking number JD014600006281230704, follow it here: " +
		"https://www.dhl.com/es-en/home/tracking/tracking-express.html?submit=1&tracking-id=JD014600006281230704"
	if len(fx.Messages) != 2 {
		t.Fatalf("messages %+v, want one to the email and one to the phone", fx.Messages)
	}
	if m := fx.Messages[0]; m != (sb.ProactiveMessage{ChannelID: "ch_01JHF3Q8R5ZK7M2W9XN4T6B0CD", Email: "maria.lopez@example.org", Text: want, DedupKey: "shopify:order_fulfilled:5832014970963"}) {
		t.Errorf("email message %+v", m)
	}
	if m := fx.Messages[1]; m.Phone != "+34612345678" || m.Email != "" || m.DedupKey != fx.Messages[0].DedupKey || m.Text != want {
		t.Errorf("phone message %+v", m)
	}
	if fx.Facts[0].Key != "order.1042" || !strings.Contains(fx.Facts[0].Text, "JD014600006281230704") {
		t.Errorf("facts %+v", fx.Facts)
	}
	// The orders/updated Shopify sends with it says the same: the same
	// messages under the same key, which the app sends once per contact.
	again, err := process(t, in, TopicOrdersUpdated, fulfilled)
	if err != nil || !reflect.DeepEqual(again, fx) {
		t.Fatalf("orders/updated of the fulfilled order = %+v, %v; want the same effects", again, err)
	}
}

func TestFulfilledTemplate(t *testing.T) {
	in := integration(t, `{"shop_domain":"s.myshopify.com","webhook_secret":"x","notify_channel_id":"ch_01JHF3Q8R5ZK7M2W9XN4T6B0CD",
		"messages":{"order_fulfilled":"Hi! {{ knowledge.order.latest.name }} is on its way with {{knowledge.order.latest.tracking_company}}: {{knowledge.order.latest.tracking_url}}"}}`)
	fx, err := process(t, in, TopicOrdersFulfilled, readFile(t, "webhooks/orders_fulfilled.json"))
	if err != nil {
		t.Fatal(err)
	}
	if got := fx.Messages[0].Text; got != "Hi! #1042 is on its way with DHL Express: https://www.dhl.com/es-en/home/tracking/tracking-express.html?submit=1&tracking-id=JD014600006281230704" {
		t.Errorf("text = %q", got)
	}
	// Fulfilled without tracking: the sentence that needs none.
	var o map[string]any
	_ = json.Unmarshal(readFile(t, "webhooks/orders_fulfilled.json"), &o)
	o["fulfillments"] = []any{map[string]any{"status": "success", "tracking_number": nil}}
	body, _ := json.Marshal(o)
	fx, err = process(t, in, TopicOrdersFulfilled, body)
	if err != nil {
		t.Fatal(err)
	}
	if got := fx.Messages[0].Text; got != "Good news: your order #1042 has shipped!" {
		t.Errorf("text without tracking = %q", got)
	}
	// A number without a URL: the sentence with the number.
	o["fulfillments"] = []any{map[string]any{"status": "success", "tracking_number": "1Z999"}}
	body, _ = json.Marshal(o)
	fx, err = process(t, in, TopicOrdersFulfilled, body)
	if err != nil {
		t.Fatal(err)
	}
	if got := fx.Messages[0].Text; got != "Good news: your order #1042 has shipped! Tracking number 1Z999." {
		t.Errorf("text without a tracking URL = %q", got)
	}
	// The summary and nested fields fill too.
	in = integration(t, `{"shop_domain":"s.myshopify.com","webhook_secret":"x","notify_channel_id":"ch_01JHF3Q8R5ZK7M2W9XN4T6B0CD",
		"messages":{"order_fulfilled":"{{knowledge.order.latest}} First item: {{knowledge.order.latest.items.0.title}} ({{knowledge.order.latest.number}})"}}`)
	fx, err = process(t, in, TopicOrdersFulfilled, readFile(t, "webhooks/orders_fulfilled.json"))
	if err != nil {
		t.Fatal(err)
	}
	if got := fx.Messages[0].Text; !strings.HasPrefix(got, "Order #1042: 2 items") || !strings.HasSuffix(got, "First item: Merino Hoodie (1042)") {
		t.Errorf("text = %q", got)
	}
}

func TestNoNotifyChannelNoMessages(t *testing.T) {
	in := integration(t, `{"shop_domain":"s.myshopify.com","webhook_secret":"x"}`)
	fx, err := process(t, in, TopicOrdersFulfilled, readFile(t, "webhooks/orders_fulfilled.json"))
	if err != nil || len(fx.Messages) != 0 || len(fx.Facts) != 2 {
		t.Fatalf("effects %+v, %v", fx, err)
	}
}

func TestOrderWithoutEmailKeepsFactsForThePhone(t *testing.T) {
	in := integration(t, `{"shop_domain":"s.myshopify.com","webhook_secret":"x"}`)
	fx, err := process(t, in, TopicOrdersCreate, []byte(`{"id":9,"order_number":1009,"name":"#1009","phone":"+1 (415) 555-0100"}`))
	if err != nil || len(fx.Facts) != 2 || fx.Facts[0].Phone != "+14155550100" || fx.Facts[0].Email != "" {
		t.Fatalf("effects %+v, %v", fx, err)
	}
	fx, err = process(t, in, TopicOrdersCreate, []byte(`{"id":9,"order_number":1009,"name":"#1009"}`))
	if err != nil || len(fx.Facts) != 0 {
		t.Fatalf("an order without email or phone keeps %+v, %v; want nothing", fx, err)
	}
}

func TestProductHook(t *testing.T) {
	in := integration(t, `{"shop_domain":"s.myshopify.com","webhook_secret":"x"}`)
	fx, err := process(t, in, TopicProductsUpdate, readFile(t, "webhooks/products_update.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(fx.Facts) != 1 || len(fx.Messages) != 0 {
		t.Fatalf("effects %+v", fx)
	}
	f := fx.Facts[0]
	if f.Key != "product.merino-hoodie" || f.Email != "" || f.Phone != "" || f.ContactID != "" {
		t.Errorf("fact %+v: want a workspace fact", f)
	}
	var data ProductFact
	if err := json.Unmarshal(f.Data, &data); err != nil || data.Title != "Merino Hoodie" || data.Price != "59.00" || data.Stock != 7 {
		t.Errorf("data %s, %v", f.Data, err)
	}
}

func TestUnknownTopicAndMalformedBodies(t *testing.T) {
	in := integration(t, `{"shop_domain":"s.myshopify.com","webhook_secret":"x"}`)
	fx, err := process(t, in, "customers/create", []byte(`{"id":1}`))
	if e, ok := err.(*sb.ActionError); !ok || e.Retryable || fx != nil || !strings.Contains(e.Message, `"customers/create" is not one Switchboard handles`) {
		t.Fatalf("unknown topic: %+v, %#v; want no effects and a permanent error to log", fx, err)
	}
	for _, tc := range []struct{ topic, body string }{
		{TopicOrdersFulfilled, `{"id":1,`},
		{TopicOrdersUpdated, `{"order_number":"x"}`},
		{TopicProductsUpdate, `[]`},
	} {
		_, err := process(t, in, tc.topic, []byte(tc.body))
		e, ok := err.(*sb.ActionError)
		if !ok || e.Retryable || e.CredentialsRefused || !strings.Contains(e.Message, "malformed") {
			t.Errorf("%s %s: %#v, want a permanent error", tc.topic, tc.body, err)
		}
	}
}

func TestSpecConfig(t *testing.T) {
	spec := New().Spec()
	for raw, field := range map[string]string{
		`{"webhook_secret":"x"}`:                                                                                   "config.shop_domain",
		`{"shop_domain":"s.myshopify.com"}`:                                                                        "config.webhook_secret",
		`{"shop_domain":"https://s.myshopify.com","webhook_secret":"x"}`:                                           "config.shop_domain",
		`{"shop_domain":"s.myshopify.com","webhook_secret":"x","x":"y"}`:                                           "config.x",
		`{"shop_domain":"s.myshopify.com","webhook_secret":"x","messages":{"order_cancelled":"y"}}`:                "config.messages.order_cancelled",
		`{"shop_domain":"s.myshopify.com","webhook_secret":"x","messages":{"order_fulfilled":"{{contact.name}}"}}`: "config.messages.order_fulfilled",
		`{"shop_domain":"s.myshopify.com","webhook_secret":"x","messages":{"order_fulfilled":"  "}}`:               "config.messages.order_fulfilled",
		`{"shop_domain":"s.myshopify.com","webhook_secret":"x","api_base_url":"ftp://x"}`:                          "config.api_base_url",
		`{"shop_domain":"s.myshopify.com","webhook_secret":"x","notify_channel_id":"telegram"}`:                    "config.notify_channel_id",
	} {
		_, _, err := spec.ParseConfig(json.RawMessage(raw), nil, nil)
		e, ok := err.(*sb.Error)
		if !ok || e.Code != sb.EInvalid || e.Fields[0].Field != field {
			t.Errorf("ParseConfig(%s) = %v, want invalid %s", raw, err, field)
		}
	}
	config, secrets, err := spec.ParseConfig(json.RawMessage(`{"shop_domain":"s.myshopify.com","webhook_secret":"w","access_token":"shpat_1","notify_channel_id":"ch_01JHF3Q8R5ZK7M2W9XN4T6B0CD"}`), nil, nil)
	if err != nil || secrets["webhook_secret"] != "w" || secrets["access_token"] != "shpat_1" || config["webhook_secret"] != nil || config["shop_domain"] != "s.myshopify.com" {
		t.Fatalf("ParseConfig = %v %v %v", config, secrets, err)
	}
	if urls := spec.URLs(config, secrets); urls["config.shop_domain"] != "https://s.myshopify.com" {
		t.Errorf("URLs = %v", urls)
	}
	if _, ok := spec.Action(ActionLookupOrder); !ok || !spec.Inbound {
		t.Errorf("spec %+v", spec)
	}
	var schema map[string]any
	if err := json.Unmarshal(spec.Actions[0].Params, &schema); err != nil || schema["type"] != "object" {
		t.Errorf("params schema %s: %v", spec.Actions[0].Params, err)
	}
}

func TestRegister(t *testing.T) {
	shop := shopifytest.NewServer("shpat_1")
	defer shop.Close()
	in := integration(t, `{"shop_domain":"s.myshopify.com","webhook_secret":"x","access_token":"shpat_1","api_base_url":"`+shop.URL+`"}`)
	call := &sb.RegisterCall{Integration: in, WebhookURL: "https://sb.example/hooks/integrations/int_1", Client: http.DefaultClient}
	for range 2 {
		if err := New().Register(context.Background(), call); err != nil {
			t.Fatal(err)
		}
	}
	subs := shop.Subscriptions()
	for _, topic := range Topics {
		if len(subs[topic]) != 1 || subs[topic][0] != call.WebhookURL {
			t.Errorf("%s: %v", topic, subs[topic])
		}
	}
	if len(subs) != len(Topics) {
		t.Errorf("subscriptions %v", subs)
	}
	if posts := len(shop.Calls("webhooks.json")) - 2; posts != len(Topics) {
		t.Errorf("%d creates, want %d (the second register makes none)", posts, len(Topics))
	}
	in.Secrets["access_token"] = "revoked"
	err := New().Register(context.Background(), call)
	if e, ok := err.(*sb.ActionError); !ok || !e.CredentialsRefused {
		t.Fatalf("revoked token: %#v", err)
	}
	delete(in.Secrets, "access_token")
	if err := New().Register(context.Background(), call); sb.ErrorCode(err) != sb.EInvalid {
		t.Fatalf("no token: %v", err)
	}
}

func TestLookupOrder(t *testing.T) {
	shop := shopifytest.NewServer("shpat_1")
	defer shop.Close()
	shop.AddOrder(readFile(t, "webhooks/orders_fulfilled.json"))
	in := integration(t, `{"shop_domain":"s.myshopify.com","webhook_secret":"x","access_token":"shpat_1","api_base_url":"`+shop.URL+`"}`)
	var facts []sb.FactUpsert
	run := func(params string) (map[string]any, error) {
		res, err := New().Run(context.Background(), &sb.ActionCall{Integration: in, Action: ActionLookupOrder,
			Params: json.RawMessage(params), Client: http.DefaultClient, Attempt: 1})
		if err != nil {
			return nil, err
		}
		facts = res.Facts
		var out map[string]any
		if err := json.Unmarshal(res.Output, &out); err != nil {
			t.Fatal(err)
		}
		return out, nil
	}
	out, err := run(`{"number":"#1042","email":"maria.lopez@example.org"}`)
	if err != nil || out["found"] != true || !strings.Contains(out["text"].(string), "JD014600006281230704") {
		t.Fatalf("lookup = %v, %v", out, err)
	}
	if order := out["order"].(map[string]any); order["tracking_number"] != "JD014600006281230704" || order["status"] != "fulfilled" {
		t.Errorf("order %v", order)
	}
	if len(facts) != 1 || facts[0].Key != "order.1042" || facts[0].Email != "maria.lopez@example.org" {
		t.Errorf("facts %+v, want order.1042 for the email", facts)
	}
	out, err = run(`{"number":1042,"email":"intruder@example.org"}`)
	if err != nil || out["found"] != false || len(out) != 1 || len(facts) != 0 {
		t.Fatalf("lookup with another email = %v, %v", out, err)
	}
	for _, params := range []string{`{"number":"1042"}`, `[]`, `{"email":"a@b.c"}`} {
		_, err := run(params)
		if e, ok := err.(*sb.ActionError); !ok || e.Retryable {
			t.Errorf("params %s: %#v", params, err)
		}
	}
	shop.FailNext(1, shopifytest.Error429)
	_, err = run(`{"number":"1042","email":"maria.lopez@example.org"}`)
	if e, ok := err.(*sb.ActionError); !ok || !e.Retryable || e.RetryAfter != 2*time.Second {
		t.Fatalf("429: %#v", err)
	}
}

// TestClientCredentials: an app of the Dev Dashboard (client_id, its
// secret being the webhook_secret) gets Admin API tokens with the
// client-credentials grant; a token is kept until it expires, and one the
// shop refuses is replaced once.
func TestClientCredentials(t *testing.T) {
	shop := shopifytest.NewServer("")
	defer shop.Close()
	shop.ClientID, shop.ClientSecret = "c1d2e3", "shpss_app_secret"
	shop.AddOrder(readFile(t, "webhooks/orders_fulfilled.json"))
	in := integration(t, `{"shop_domain":"s.myshopify.com","webhook_secret":"shpss_app_secret","client_id":"c1d2e3","api_base_url":"`+shop.URL+`"}`)
	p := New()
	now := time.Now()
	lookup := func() error {
		_, err := p.Run(context.Background(), &sb.ActionCall{Integration: in, Action: ActionLookupOrder,
			Params: json.RawMessage(`{"number":"1042","email":"maria.lopez@example.org"}`), Client: http.DefaultClient, Now: now})
		return err
	}
	grants := func() int { return len(shop.Calls("/admin/oauth/access_token")) }
	for range 2 {
		if err := lookup(); err != nil {
			t.Fatal(err)
		}
	}
	if grants() != 1 {
		t.Fatalf("%d grants for two lookups, want 1", grants())
	}
	if f := shop.Calls("/admin/oauth/access_token")[0]; string(f.Body) != "client_id=c1d2e3&client_secret=shpss_app_secret&grant_type=client_credentials" {
		t.Errorf("grant body %s", f.Body)
	}
	shop.ExpireGrants()
	if err := lookup(); err != nil || grants() != 2 {
		t.Fatalf("after the shop expired the token: %v, %d grants", err, grants())
	}
	now = now.Add(24 * time.Hour)
	if err := lookup(); err != nil || grants() != 3 {
		t.Fatalf("a day later: %v, %d grants", err, grants())
	}
	call := &sb.RegisterCall{Integration: in, WebhookURL: "https://sb.example/h", Client: http.DefaultClient}
	if err := p.Register(context.Background(), call); err != nil || len(shop.Subscriptions()) != len(Topics) {
		t.Fatalf("register: %v %v", err, shop.Subscriptions())
	}
	shop.ClientSecret = "rotated"
	shop.ExpireGrants()
	err := lookup()
	if e, ok := err.(*sb.ActionError); !ok || !e.CredentialsRefused || !strings.Contains(e.Message, "invalid_client") {
		t.Fatalf("refused credentials: %#v", err)
	}
}
