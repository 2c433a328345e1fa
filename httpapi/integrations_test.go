package httpapi_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/store/pgtest"
)

// signed is an integration type of these tests whose system signs its
// webhooks (hex HMAC-SHA256 of the body in X-Signature), names each
// delivery (X-Delivery) and sends orders: each keeps an order.latest fact
// for the customer's email, and a fulfilled one tells the customer on
// notify_channel_id, once per order.
type signed struct{}

var signedSpec = &sb.IntegrationSpec{Type: "signed", Inbound: true,
	Fields:  []sb.IntegrationField{{Name: "secret", Secret: true, Required: true}, {Name: "notify_channel_id"}},
	Actions: []sb.ActionSpec{{Name: "noop", Params: json.RawMessage(`{"type":"object"}`)}}}

func (signed) Spec() *sb.IntegrationSpec { return signedSpec }

func (signed) Run(context.Context, *sb.ActionCall) (*sb.ActionResult, error) {
	return &sb.ActionResult{}, nil
}

func sign(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return hex.EncodeToString(mac.Sum(nil))
}

func (signed) VerifyHook(in *sb.Integration, h http.Header, body []byte) (*sb.VerifiedHook, error) {
	if !hmac.Equal([]byte(h.Get("X-Signature")), []byte(sign(in.Setting("secret"), body))) {
		return nil, errors.New("bad signature")
	}
	return &sb.VerifiedHook{DeliveryID: h.Get("X-Delivery"), Topic: h.Get("X-Topic")}, nil
}

func (signed) ProcessHook(_ context.Context, call *sb.HookCall) (*sb.HookEffects, error) {
	var o struct{ ID, Email, Status, Tracking string }
	if err := json.Unmarshal(call.Hook.Body, &o); err != nil {
		return nil, err
	}
	fx := &sb.HookEffects{Facts: []sb.FactUpsert{{Key: "order.latest", Email: o.Email, Text: "Order " + o.ID + " is " + o.Status, Data: call.Hook.Body}}}
	if o.Status == "fulfilled" {
		fx.Messages = []sb.ProactiveMessage{{ChannelID: call.Integration.Setting("notify_channel_id"), Email: o.Email,
			Text: "Your order " + o.ID + " has shipped: " + o.Tracking, DedupKey: "fulfilled:" + o.ID}}
	}
	return fx, nil
}

// TestIntegrationHooks posts a system's webhooks to /hooks/integrations/{id}:
// unsigned ones are refused with nothing stored, a repeated delivery is
// stored once, and processing keeps facts and tells the customer of a
// fulfilled order once, however often the system says so.
func TestIntegrationHooks(t *testing.T) {
	pgtest.EachDatabase(t, func(t *testing.T, dbURL string) {
		e := newEnv(t, dbURL, envOptions{rate: 10000, burst: 10000, hookIP: plenty, hookChannel: plenty, integrations: []sb.IntegrationProvider{signed{}}})
		ctx := t.Context()
		channelID, convID, contactID := e.conversationFixture(t)
		e.must(200, "PATCH", "/api/v1/contacts/"+contactID, e.admin, map[string]any{"email": "Ada@Example.com"})
		in := &sb.Integration{WorkspaceID: e.ws.ID, Type: "signed", Name: "Shop", Status: sb.IntegrationConnected,
			Config: map[string]any{"notify_channel_id": channelID}, Secrets: map[string]string{"secret": "s3cret"}}
		if err := e.db.CreateIntegration(ctx, in); err != nil {
			t.Fatal(err)
		}
		post := func(delivery string, order map[string]any, signature string) *response {
			body, _ := json.Marshal(order)
			if signature == "" {
				signature = sign("s3cret", body)
			}
			return e.call("POST", "/hooks/integrations/"+in.ID, "", body, "X-Signature", signature, "X-Delivery", delivery, "X-Topic", "orders/updated")
		}
		run := func() int {
			n, err := e.jobs.RunDue(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		ok := func(r *response) {
			t.Helper()
			if r.status != 200 || string(r.body) != "{}" {
				t.Fatalf("hook: %d %s", r.status, r.body)
			}
		}
		paid := map[string]any{"id": "1001", "email": "ada@example.com", "status": "paid"}
		post("d1", paid, "00ff").problem(t, 401, sb.EUnauthorized, "")
		post("d1", paid, "sha256=nope").problem(t, 401, sb.EUnauthorized, "")
		if n := run(); n != 0 {
			t.Fatalf("a refused hook stored a job (%d ran)", n)
		}
		e.call("POST", "/hooks/integrations/int_01ARZ3NDEKTSV4RRFFQ69G5FAV", "", "{}").problem(t, 404, sb.ENotFound, "")
		e.call("POST", "/hooks/integrations/ch_01ARZ3NDEKTSV4RRFFQ69G5FAV", "", "{}").problem(t, 404, sb.ENotFound, "")
		desk := e.must(201, "POST", "/api/v1/integrations", e.admin, map[string]any{"type": "http", "name": "Desk",
			"config": map[string]any{"url": "https://1.2.3.4/t"}}).obj(t)
		e.call("POST", "/hooks/integrations/"+desk["id"].(string), "", "{}").problem(t, 404, sb.ENotFound, "")

		// Stored once per delivery, processed afterwards.
		ok(post("d1", paid, ""))
		ok(post("d1", paid, ""))
		if n := run(); n != 1 {
			t.Fatalf("%d jobs ran for one delivery sent twice", n)
		}
		facts, err := e.db.LookupFacts(ctx, e.ws.ID, []string{"order.latest"}, sb.FactSubject{Email: "ada@example.com"}, time.Now())
		if err != nil || facts["order.latest"] == nil || facts["order.latest"].Text != "Order 1001 is paid" || facts["order.latest"].Source != in.ID {
			t.Fatalf("facts: %v %v", facts, err)
		}

		// Fulfilled: the customer is told, once, whatever repeats.
		fulfilled := map[string]any{"id": "1001", "email": "ada@example.com", "status": "fulfilled", "tracking": "TRK-77"}
		ok(post("d2", fulfilled, ""))
		run()
		ok(post("d3", fulfilled, "")) // another delivery saying the same
		ok(post("d2", fulfilled, ""))
		run()
		var told int
		for _, m := range e.must(200, "GET", "/api/v1/conversations/"+convID+"/messages?limit=200", e.admin, nil).data(t) {
			if m["text"] == "Your order 1001 has shipped: TRK-77" && m["sender"] == "bot" {
				told++
			}
		}
		if told != 1 {
			t.Fatalf("the customer was told %d times", told)
		}
		if facts, _ := e.db.LookupFacts(ctx, e.ws.ID, []string{"order.latest"}, sb.FactSubject{Email: "ada@example.com"}, time.Now()); facts["order.latest"].Text != "Order 1001 is fulfilled" {
			t.Fatalf("facts after fulfilment: %v", facts)
		}
	})
}

// TestIntentActionRunsOncePerTurn writes the action of an intent's answer
// as the bot turn's transaction does, twice for the same inbound message
// (a turn written again after a crash): one run, triggered by the intent,
// with the conversation's transcript in its templates.
func TestIntentActionRunsOncePerTurn(t *testing.T) {
	pgtest.EachDatabase(t, func(t *testing.T, dbURL string) {
		e := newEnv(t, dbURL, platformsOnLoopback)
		ctx := t.Context()
		var got []map[string]any
		desk := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			var m map[string]any
			_ = json.NewDecoder(r.Body).Decode(&m)
			got = append(got, m)
			w.WriteHeader(http.StatusNoContent)
		}))
		defer desk.Close()
		_, convID, _ := e.conversationFixture(t)
		e.must(202, "POST", "/api/v1/conversations/"+convID+"/messages", e.admin, map[string]any{"text": "I want a refund", "sender": "agent"})
		in := e.must(201, "POST", "/api/v1/integrations", e.admin, map[string]any{"type": "http", "name": "Desk",
			"config": map[string]any{"url": desk.URL + "/tickets"}}).obj(t)
		conv, err := e.db.GetConversation(ctx, e.ws.ID, convID)
		if err != nil {
			t.Fatal(err)
		}
		msg := &sb.Message{ID: sb.NewID(sb.PrefixMessage), ConversationID: convID}
		action := &sb.IntentAction{IntegrationID: in["id"].(string), Action: "call",
			Params: json.RawMessage(`{"subject":"Refund","transcript":"{{conversation.transcript}}"}`)}
		for range 2 {
			if err := e.db.Tx(ctx, func(q sb.Queries) error { return e.ops.QueueIntentAction(ctx, q, conv, msg, action) }); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := e.jobs.RunDue(ctx); err != nil {
			t.Fatal(err)
		}
		runs := e.must(200, "GET", "/api/v1/integrations/"+in["id"].(string)+"/runs", e.admin, nil).data(t)
		if len(runs) != 1 || runs[0]["trigger"] != "intent" || runs[0]["trigger_id"] != msg.ID || runs[0]["status"] != "succeeded" {
			t.Fatalf("runs: %v", runs)
		}
		if len(got) != 1 || got[0]["subject"] != "Refund" || got[0]["transcript"] != "agent: I want a refund" {
			t.Fatalf("desk got %v", got)
		}
	})
}
