package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"

	"github.com/switchboardhq/switchboard/channel/telegram"
	"github.com/switchboardhq/switchboard/channel/telegram/telegramtest"
)

// The people who sign in to the demo workspace.
const (
	adminEmail    = "ana@example.com"
	adminPassword = "screenshots-demo-password"
	agentEmail    = "sam@example.com"
)

// fakes are the outside systems of the demo, on loopback: Telegram's Bot
// API, the order system that receives webhooks, a CRM that is down, and a
// help desk's ticket API.
type fakes struct {
	Telegram *telegramtest.Server
	Orders   *httptest.Server
	CRM      *httptest.Server
	Desk     *httptest.Server
}

func startFakes() *fakes {
	var tickets atomic.Int64
	tickets.Store(4710)
	return &fakes{
		Telegram: telegramtest.NewServer(),
		Orders: httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusNoContent)
		})),
		CRM: httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, `{"error":"maintenance"}`, http.StatusServiceUnavailable)
		})),
		Desk: httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusCreated)
			_, _ = fmt.Fprintf(w, `{"ticket":{"id":%d,"status":"open","priority":"normal"}}`, tickets.Add(1))
		})),
	}
}

func (f *fakes) Close() {
	f.Telegram.Close()
	f.Orders.Close()
	f.CRM.Close()
	f.Desk.Close()
}

type object = map[string]any

// seed fills the workspace through the REST API, as a customer would, and
// waits until the bot has answered and the webhooks have been delivered.
// It returns the values of the placeholders of the pages' paths:
// {conversation} is a conversation answered by an agent, with facts about
// its contact.
func seed(s *server, f *fakes) (map[string]string, error) {
	for _, u := range []object{
		{"email": adminEmail, "name": "Ana Lima", "role": "admin", "password": adminPassword},
		{"email": agentEmail, "name": "Sam Okafor", "role": "agent", "password": "another-demo-password"},
	} {
		if err := s.call("POST", "/users", u, 201, nil); err != nil {
			return nil, err
		}
	}

	for _, fact := range []object{
		{"key": "hours", "text": "We are open 9:00 to 17:00, Monday to Friday."},
		{"key": "returns", "text": "Returns are free within 30 days.", "data": object{"days": 30, "free": true}},
		{"key": "shipping.zones", "data": object{"eu": "2-4 days", "uk": "3-5 days", "us": "5-8 days"}},
		{"key": "order.latest", "email": "grace@example.com", "text": "Order #1042 shipped on 2 December.",
			"data": object{"number": "1042", "status": "shipped", "tracking": object{"carrier": "UPS", "number": "1Z999AA10123456784"}}},
		{"key": "vip", "email": "grace@example.com", "data": object{"tier": "gold"}},
	} {
		if err := s.call("POST", "/knowledge", fact, 201, nil); err != nil {
			return nil, err
		}
	}

	var bot struct{ ID string }
	if err := s.call("POST", "/bots", object{"name": "Support bot", "engine": "builtin", "config": object{
		"intents": []object{
			{"name": "greet", "examples": []string{"hello", "hi", "good morning", "hey there"},
				"responses": []string{"Hello! I can help with orders, returns and opening hours."}},
			{"name": "hours", "examples": []string{"when are you open", "opening hours", "what time do you close", "are you open on saturday"},
				"responses": []string{"{{knowledge.hours}}"}},
			{"name": "order_status", "examples": []string{"where is my order", "has my order shipped", "track my parcel", "order status"},
				"responses": []string{"Orders ship within two working days. For one order in particular, ask for a person: a colleague will look it up."}},
			{"name": "returns", "examples": []string{"how do I return this", "can I send it back", "refund", "return policy"},
				"responses": []string{"{{knowledge.returns}}"}},
			{"name": "human", "examples": []string{"talk to a person", "speak to someone", "human please", "I want an agent"},
				"responses": []string{"I am passing you to a colleague; they will answer here shortly."}},
		},
		"out_of_scope_examples": []string{"what is the weather", "tell me a joke"},
		"fallback":              "Sorry, I did not get that. You can ask about orders, returns or opening hours.",
		"handoff_intent":        "human",
	}}, 201, &bot); err != nil {
		return nil, err
	}

	var tg struct{ ID string }
	if err := s.call("POST", "/channels", object{"type": "telegram", "name": "Telegram support", "bot_id": bot.ID,
		"config": object{"bot_token": "123456:demo", "api_base_url": f.Telegram.URL}}, 201, &tg); err != nil {
		return nil, err
	}
	if err := s.call("POST", "/channels/"+tg.ID+"/register", nil, 200, nil); err != nil {
		return nil, err
	}
	calls := f.Telegram.Calls("setWebhook")
	if len(calls) != 1 {
		return nil, fmt.Errorf("registering the Telegram channel called setWebhook %d times", len(calls))
	}
	hookURL, _ := calls[0].Body["url"].(string)
	token, _ := calls[0].Body["secret_token"].(string)
	var web struct{ ID string }
	if err := s.call("POST", "/channels", object{"type": "webchat", "name": "Website chat", "bot_id": bot.ID,
		"config": object{"allowed_origins": []string{shopOrigin}}}, 201, &web); err != nil {
		return nil, err
	}

	var orders, crm struct{ ID string }
	if err := s.call("POST", "/webhooks", object{"url": f.Orders.URL + "/switchboard", "description": "Order system",
		"event_types": []string{"message.*", "conversation.*"}}, 201, &orders); err != nil {
		return nil, err
	}
	if err := s.call("POST", "/webhooks", object{"url": f.CRM.URL + "/hooks/switchboard", "description": "CRM sync (down for maintenance)",
		"event_types": []string{"conversation.started", "conversation.ended"}}, 201, &crm); err != nil {
		return nil, err
	}

	var desk struct{ ID string }
	if err := s.call("POST", "/integrations", object{"type": "http", "name": "Help desk", "config": object{
		"url":      f.Desk.URL + "/api/v2/tickets",
		"headers":  object{"Authorization": "Bearer demo-desk-token"},
		"body":     `{"ticket": {"subject": "Chat with {{contact.name}}", "comment": {"body": "{{conversation.transcript}}"}, "external_id": "{{conversation.id}}"}}`,
		"store_as": "ticket.latest",
	}}, 201, &desk); err != nil {
		return nil, err
	}
	if err := s.call("POST", "/automations", object{"name": "Ticket on handoff", "event_types": []string{"conversation.updated"},
		"filter": object{"data.conversation.status": "handoff"}, "integration_id": desk.ID, "action": "call"}, 201, nil); err != nil {
		return nil, err
	}

	// People write on Telegram; the bot answers each message.
	update := int64(7000)
	say := func(user int64, name, text string) error {
		update++
		return s.send("POST", hookURL, bytes.NewReader(telegramtest.Update(update, user, name, text)), 200, nil,
			telegram.HeaderSecretToken, token)
	}
	type line struct {
		user       int64
		name, text string
	}
	script := []line{
		{4201, "Ada", "hello"},
		{4202, "Grace", "where is my order"},
		{4203, "Alan", "hi"},
		{4201, "Ada", "when are you open"},
		{4204, "Katherine", "how do I return this"},
		{4203, "Alan", "I want an agent"},
		{4205, "Linus", "tell me a joke"},
		{4202, "Grace", "speak to someone"},
	}
	for i, l := range script {
		if err := say(l.user, l.name, l.text); err != nil {
			return nil, err
		}
		// One answer per message, in order.
		if got := f.Telegram.Wait("sendMessage", i+1, 60*time.Second); len(got) < i+1 {
			return nil, fmt.Errorf("the bot answered %d of %d messages", len(got), i+1)
		}
	}

	// A visitor of the shop's site asks through the chat widget.
	if err := chatOnSite(s, web.ID, "hello", "are you open on saturday"); err != nil {
		return nil, err
	}

	// Sam takes Grace's conversation and answers; Alan's waits for an
	// agent; Katherine's is over.
	conv, err := conversationsByName(s)
	if err != nil {
		return nil, err
	}
	if len(conv) != 6 || conv["Grace"].Status != "handoff" || conv["Alan"].Status != "handoff" {
		return nil, fmt.Errorf("want six conversations, Grace's and Alan's waiting for an agent: %+v", conv)
	}
	grace := conv["Grace"].ID
	if err := s.call("PUT", "/conversations/"+grace, object{"status": "handoff", "assignee": agentEmail}, 200, nil); err != nil {
		return nil, err
	}
	if err := s.call("POST", "/conversations/"+grace+"/messages", object{"sender": "agent",
		"text": "Hi Grace, Sam here. Your order #1042 left our warehouse yesterday; the UPS tracking number is 1Z999AA10123456784."}, 202, nil); err != nil {
		return nil, err
	}
	if got := f.Telegram.Wait("sendMessage", len(script)+1, 60*time.Second); len(got) < len(script)+1 {
		return nil, fmt.Errorf("the agent's answer was not sent")
	}
	if err := say(4202, "Grace", "Thank you, that was quick!"); err != nil {
		return nil, err
	}
	if err := s.call("PUT", "/conversations/"+conv["Katherine"].ID, object{"status": "ended"}, 200, nil); err != nil {
		return nil, err
	}

	// A help desk ticket made by hand, besides those of the automation;
	// a test event to the order system.
	if err := s.call("POST", "/integrations/"+desk.ID+"/actions/call", object{"conversation_id": conv["Linus"].ID}, 202, nil); err != nil {
		return nil, err
	}
	if err := s.call("POST", "/webhooks/"+orders.ID+"/test", nil, 202, nil); err != nil {
		return nil, err
	}

	// Wait until the deliveries have been tried (the order system's
	// succeed, the CRM's fail after their retries) and the help desk's
	// runs are done.
	for _, list := range []string{"/webhooks/" + orders.ID + "/deliveries", "/webhooks/" + crm.ID + "/deliveries", "/integrations/" + desk.ID + "/runs"} {
		err := until(list, 60*time.Second, func() (bool, error) {
			var d struct {
				Data []struct{ Status string }
			}
			if err := s.call("GET", list+"?limit=100", nil, 200, &d); err != nil {
				return false, err
			}
			for _, x := range d.Data {
				if x.Status == "pending" || x.Status == "queued" || x.Status == "running" {
					return false, nil
				}
			}
			return len(d.Data) > 0, nil
		})
		if err != nil {
			return nil, err
		}
	}

	// What the platforms did not say of the people, as a CRM would add
	// it (their facts are by email).
	for name, c := range map[string]object{
		"Grace": {"name": "Grace Hopper", "email": "grace@example.com", "attributes": object{"plan": "business"}},
		"Ada":   {"name": "Ada Lovelace", "email": "ada@example.com"},
		"":      {"name": "Maria Rossi", "email": "maria@example.com"}, // the web chat's visitor
	} {
		if err := s.call("PATCH", "/contacts/"+conv[name].ContactID, c, 200, nil); err != nil {
			return nil, err
		}
	}
	return map[string]string{"{conversation}": grace}, nil
}

// conversation is what the seed needs of one.
type conversation struct {
	ID, Status string
	ContactID  string `json:"contact_id"`
}

// conversationsByName returns the latest conversation of each contact, by
// the contact's name.
func conversationsByName(s *server) (map[string]conversation, error) {
	var list struct{ Data []conversation }
	if err := s.call("GET", "/conversations?limit=100", nil, 200, &list); err != nil {
		return nil, err
	}
	byName := map[string]conversation{}
	for _, c := range list.Data {
		var contact struct{ Name string }
		if err := s.call("GET", "/contacts/"+c.ContactID, nil, 200, &contact); err != nil {
			return nil, err
		}
		if _, seen := byName[contact.Name]; !seen { // newest first
			byName[contact.Name] = c
		}
	}
	return byName, nil
}

// summary counts what the seed made, as the API lists it.
func summary(s *server) (string, error) {
	type list struct {
		Data []struct {
			ID, Status string
		}
	}
	get := func(path string) (list, error) {
		var l list
		err := s.call("GET", path, nil, 200, &l)
		return l, err
	}
	byStatus := func(l list) string {
		n := map[string]int{}
		var order []string
		for _, x := range l.Data {
			if n[x.Status] == 0 {
				order = append(order, x.Status)
			}
			n[x.Status]++
		}
		var parts []string
		for _, st := range order {
			parts = append(parts, fmt.Sprintf("%d %s", n[st], st))
		}
		return strings.Join(parts, ", ")
	}
	convs, err := get("/conversations?limit=100")
	if err != nil {
		return "", err
	}
	messages := 0
	for _, c := range convs.Data {
		m, err := get("/conversations/" + c.ID + "/messages?limit=100")
		if err != nil {
			return "", err
		}
		messages += len(m.Data)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d conversations (%s), %d messages", len(convs.Data), byStatus(convs), messages)
	for _, k := range []struct{ parents, children, parent, noun string }{
		{"/webhooks", "/deliveries", "endpoint", "deliveries"},
		{"/integrations", "/runs", "integration", "runs"},
	} {
		parents, err := get(k.parents + "?limit=100")
		if err != nil {
			return "", err
		}
		for _, p := range parents.Data {
			l, err := get(k.parents + "/" + p.ID + k.children + "?limit=100")
			if err != nil {
				return "", err
			}
			fmt.Fprintf(&b, "; %s %s: %d %s (%s)", k.parent, p.ID, len(l.Data), k.noun, byStatus(l))
		}
	}
	facts, err := get("/knowledge?limit=100")
	if err != nil {
		return "", err
	}
	fmt.Fprintf(&b, "; %d facts", len(facts.Data))
	return b.String(), nil
}

// shopOrigin is the site that embeds the web chat widget.
const shopOrigin = "https://shop.example.com"

// chatOnSite talks to the web chat channel as the widget does, over its
// WebSocket from the shop's origin: each text is sent, and the bot's
// answer awaited.
func chatOnSite(s *server, channelID string, texts ...string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(s.Base, "http")+"/webchat/"+channelID+"/ws",
		&websocket.DialOptions{HTTPHeader: http.Header{"Origin": {shopOrigin}}})
	if err != nil {
		return fmt.Errorf("the web chat: %w", err)
	}
	defer c.CloseNow()
	type frame struct{ Type, Sender, Text, Code, Message string }
	read := func(want func(frame) bool) error {
		for {
			var f frame
			if err := wsjson.Read(ctx, c, &f); err != nil {
				return fmt.Errorf("the web chat: %w", err)
			}
			if f.Type == "error" {
				return fmt.Errorf("the web chat refused a frame: %s: %s", f.Code, f.Message)
			}
			if want(f) {
				return nil
			}
		}
	}
	if err := read(func(f frame) bool { return f.Type == "ready" }); err != nil {
		return err
	}
	for i, text := range texts {
		if err := wsjson.Write(ctx, c, object{"type": "message", "id": fmt.Sprintf("m%d", i+1), "text": text}); err != nil {
			return fmt.Errorf("the web chat: %w", err)
		}
		if err := read(func(f frame) bool { return f.Type == "message" && f.Sender == "bot" }); err != nil {
			return err
		}
	}
	return c.Close(websocket.StatusNormalClosure, "")
}
