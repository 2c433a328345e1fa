package tmpl_test

import (
	"context"
	"encoding/json"
	"sync/atomic"
	"testing"
	"time"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/internal/testclock"
	"github.com/switchboardhq/switchboard/store/pgtest"
	"github.com/switchboardhq/switchboard/tmpl"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// countingFacts counts the lookups made through it.
type countingFacts struct {
	tmpl.Facts
	n atomic.Int64
}

func (c *countingFacts) LookupFacts(ctx context.Context, ws string, keys []string, s sb.FactSubject, at time.Time) (map[string]*sb.Fact, error) {
	c.n.Add(1)
	return c.Facts.LookupFacts(ctx, ws, keys, s, at)
}

// world is a workspace with a contact, a conversation and facts about them.
type world struct {
	ws      *sb.Workspace
	contact *sb.Contact
	conv    *sb.Conversation
	facts   *countingFacts
	clock   *testclock.Clock
	store   sb.Store
}

func newWorld(t testing.TB, url string) *world {
	ctx := t.Context()
	s := pgtest.Open(t, url)
	w := &world{store: s, facts: &countingFacts{Facts: s}, clock: testclock.New(time.Now())}
	w.ws = &sb.Workspace{Name: "acme"}
	must(t, s.CreateWorkspace(ctx, w.ws))
	ch := &sb.Channel{WorkspaceID: w.ws.ID, Type: sb.ChannelTelegram, Name: "tg", Status: sb.ChannelConnected,
		Secrets: map[string]string{"bot_token": "x"}}
	must(t, s.CreateChannel(ctx, ch))
	w.contact = &sb.Contact{WorkspaceID: w.ws.ID, ChannelID: ch.ID, ExternalID: "1", Name: "Ada",
		Email: "Ada@Example.com", Phone: "+44 20 7946 0000"}
	must(t, s.CreateContact(ctx, w.contact))
	w.conv = &sb.Conversation{WorkspaceID: w.ws.ID, ChannelID: ch.ID, ContactID: w.contact.ID, Status: sb.ConversationActive}
	must(t, s.CreateConversation(ctx, w.conv))
	return w
}

func (w *world) fact(t testing.TB, f sb.Fact) {
	t.Helper()
	f.WorkspaceID, f.Source = w.ws.ID, sb.FactSourceAPI
	if _, _, err := w.store.UpsertFact(t.Context(), &f); err != nil {
		t.Fatal(err)
	}
}

func (w *world) vars() tmpl.Vars {
	return tmpl.Vars{WorkspaceID: w.ws.ID, Contact: w.contact, Conversation: w.conv, Facts: w.facts, Clock: w.clock}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestVars(t *testing.T) {
	pgtest.EachDatabase(t, func(t *testing.T, url string) {
		ctx := t.Context()
		w := newWorld(t, url)
		soon := w.clock.Now().Add(time.Hour)
		w.fact(t, sb.Fact{Key: "hours", Text: "9 to 5"})
		w.fact(t, sb.Fact{Key: "greeting", Text: "Hello from the workspace"})
		w.fact(t, sb.Fact{Key: "greeting", Email: "ada@example.com", Text: "Hello from the email"})
		w.fact(t, sb.Fact{Key: "greeting", ContactID: w.contact.ID, Text: "Hello, Ada"})
		w.fact(t, sb.Fact{Key: "plan", Text: "free"})
		w.fact(t, sb.Fact{Key: "plan", Phone: "442079460000", Text: "phone plan"})
		w.fact(t, sb.Fact{Key: "plan", Email: "ADA@example.com", Text: "email plan"})
		w.fact(t, sb.Fact{Key: "tier", Text: "bronze"})
		w.fact(t, sb.Fact{Key: "tier", Phone: "+442079460000", Text: "silver"})
		w.fact(t, sb.Fact{Key: "order.latest", Email: "ada@example.com", Text: "Order 1001",
			Data: json.RawMessage(`{"status":"shipped","total":12.50,"count":3,"paid":true,"gift":false,
				"tracking":{"number":"1Z999","carrier":{"name":"UPS"}},"items":[{"title":"Mug"},{"title":"Tea"}],
				"note":null,"empty":"","brace":"{{contact.name}}"}`)})
		w.fact(t, sb.Fact{Key: "order.1001", Email: "ada@example.com", Text: "Order 1001 is on its way"})
		w.fact(t, sb.Fact{Key: "order", Text: "You can ask about your orders."})
		w.fact(t, sb.Fact{Key: "promo", Text: "20% off", ExpiresAt: &soon})
		w.fact(t, sb.Fact{Key: "datafact", Data: json.RawMessage(`{"a":1}`)})

		v := w.vars()
		cases := []struct{ in, want string }{
			{"Hi {{contact.name}} <{{contact.email}}> {{contact.phone}} {{contact.id}}",
				"Hi Ada <Ada@Example.com> +44 20 7946 0000 " + w.contact.ID},
			{"{{conversation.id}}", w.conv.ID},
			{"Open {{knowledge.hours}}", "Open 9 to 5"},
			// Precedence: the contact's fact, then its email's, its phone's, the workspace's.
			{"{{knowledge.greeting}}", "Hello, Ada"},
			{"{{knowledge.plan}}", "email plan"},
			{"{{knowledge.tier}}", "silver"},
			// Keys with dots: the longest key with a fact wins.
			{"{{knowledge.order.latest}}", "Order 1001"},
			{"{{knowledge.order.latest.status}}", "shipped"},
			{"{{knowledge.order.1001}}", "Order 1001 is on its way"},
			{"{{knowledge.order}}", "You can ask about your orders."},
			// Fields: nested objects, list items, numbers and booleans as written.
			{"{{knowledge.order.latest.tracking.number}} via {{knowledge.order.latest.tracking.carrier.name}}", "1Z999 via UPS"},
			{"{{knowledge.order.latest.items.1.title}}", "Tea"},
			{"{{knowledge.order.latest.total}} x{{knowledge.order.latest.count}} {{knowledge.order.latest.paid}}/{{knowledge.order.latest.gift}}", "12.50 x3 true/false"},
			{"[{{knowledge.order.latest.empty}}]", "[]"},
			// A value holding braces is written as it is.
			{"{{knowledge.order.latest.brace}}", "{{contact.name}}"},
			{"{{knowledge.promo}}", "20% off"},
			{"{{knowledge.datafact.a}}", "1"},
		}
		for _, c := range cases {
			got, err := v.Fill(ctx, c.in)
			if err != nil || got != c.want {
				t.Errorf("Fill(%q) = %q, %v; want %q", c.in, got, err, c.want)
			}
		}

		// One query per template, whatever its knowledge placeholders; none
		// for templates without any.
		before := w.facts.n.Load()
		if _, err := v.Fill(ctx, "{{knowledge.hours}} {{knowledge.order.latest.tracking.carrier.name}} {{knowledge.plan}}"); err != nil {
			t.Fatal(err)
		}
		if n := w.facts.n.Load() - before; n != 1 {
			t.Fatalf("%d lookups for one template", n)
		}
		before = w.facts.n.Load()
		for _, s := range []string{"plain", "Hi {{contact.name}} in {{conversation.id}}"} {
			if _, err := v.Fill(ctx, s); err != nil {
				t.Fatal(err)
			}
		}
		if n := w.facts.n.Load() - before; n != 0 {
			t.Fatalf("%d lookups for templates without knowledge", n)
		}

		fails := []struct{ in, mention string }{
			{"{{knowledge.missing}}", "{{knowledge.missing}}"},
			{"{{knowledge.order.latest.nope}}", "{{knowledge.order.latest.nope}}"},
			{"{{knowledge.order.latest.note}}", "note"},             // null
			{"{{knowledge.order.latest.tracking}}", "object"},       // not a value
			{"{{knowledge.order.latest.items}}", "list"},            // not a value
			{"{{knowledge.order.latest.items.2.title}}", "items.2"}, // out of range
			{"{{knowledge.order.latest.status.x}}", "{{knowledge.order.latest.status.x}}"},
			{"{{knowledge.hours.field}}", "hours"}, // a fact without data
			{"{{knowledge.datafact}}", "has no text"},
			{"{{conversation.transcript}}", "transcript"},
			{"{{event.type}}", "event"},
			{"{{params.x}}", "parameters"},
		}
		for _, c := range fails {
			got, err := v.Fill(ctx, c.in)
			if err == nil {
				t.Errorf("Fill(%q) = %q, want an error", c.in, got)
				continue
			}
			wantInvalid(t, err, c.mention)
		}

		// Expired facts are never used, even before they are purged.
		w.clock.Advance(2 * time.Hour)
		_, err := v.Fill(ctx, "{{knowledge.promo}}")
		wantInvalid(t, err, "{{knowledge.promo}}")

		// Without a contact: the workspace's facts only.
		anon := tmpl.Vars{WorkspaceID: w.ws.ID, Facts: w.facts}
		got, err := anon.Fill(ctx, "{{knowledge.greeting}} / {{knowledge.plan}}")
		if err != nil || got != "Hello from the workspace / free" {
			t.Fatalf("without a contact: %q, %v", got, err)
		}
		_, err = anon.Fill(ctx, "{{contact.name}}")
		wantInvalid(t, err, "no contact")
		_, err = anon.Fill(ctx, "{{conversation.id}}")
		wantInvalid(t, err, "no conversation")
		_, err = tmpl.Vars{}.Fill(ctx, "{{knowledge.hours}}")
		wantInvalid(t, err, "no knowledge")

		// The workspace defaults to the contact's.
		got, err = tmpl.Vars{Contact: w.contact, Facts: w.facts}.Fill(ctx, "{{knowledge.greeting}}")
		if err != nil || got != "Hello, Ada" {
			t.Fatalf("without a workspace id: %q, %v", got, err)
		}

		// A contact without a name cannot fill {{contact.name}}.
		nameless := *w.contact
		nameless.Name = ""
		_, err = tmpl.Vars{Contact: &nameless}.Fill(ctx, "Hi {{contact.name}}")
		wantInvalid(t, err, "no name")
	})
}

func TestVarsEventParamsTranscript(t *testing.T) {
	ctx := t.Context()
	var transcripts atomic.Int64
	v := tmpl.Vars{
		Conversation: &sb.Conversation{ID: "conv_1"},
		Transcript: func(context.Context) (string, error) {
			transcripts.Add(1)
			return "user: hi\nbot: hello", nil
		},
		Event:  json.RawMessage(`{"type":"conversation.ended","data":{"conversation":{"id":"conv_1","tags":["a","b"]},"n":7}}`),
		Params: json.RawMessage(`{"subject":"Help \"now\"","priority":2,"urgent":true,"nested":{"k":"v"}}`),
	}
	got, err := v.Fill(ctx, "{{event.type}} {{event.data.conversation.id}} {{event.data.conversation.tags.0}} {{event.data.n}}")
	if err != nil || got != "conversation.ended conv_1 a 7" {
		t.Fatalf("event: %q, %v", got, err)
	}
	if transcripts.Load() != 0 {
		t.Fatal("transcript made for a template that does not use it")
	}
	body := `{"subject":"{{params.subject}}","priority":{{params.priority}},"urgent":{{params.urgent}},"k":"{{params.nested.k}}","t":"{{conversation.transcript}}"}`
	got, err = tmpl.Render(ctx, body, v.Lookup, tmpl.JSONString)
	if err != nil {
		t.Fatal(err)
	}
	var decoded struct {
		Subject  string
		Priority int
		Urgent   bool
		K, T     string
	}
	if err := json.Unmarshal([]byte(got), &decoded); err != nil {
		t.Fatalf("%s: %v", got, err)
	}
	if decoded.Subject != `Help "now"` || decoded.Priority != 2 || !decoded.Urgent || decoded.K != "v" || decoded.T != "user: hi\nbot: hello" {
		t.Fatalf("decoded %+v from %s", decoded, got)
	}
	if transcripts.Load() != 1 {
		t.Fatalf("transcript made %d times", transcripts.Load())
	}
	_, err = tmpl.Vars{Params: json.RawMessage(`{`)}.Fill(ctx, "{{params.x}}")
	wantInvalid(t, err, "not valid JSON")
	// Paths given to Lookup directly are checked as Render checks them.
	_, err = v.Lookup(ctx, []string{"secrets.x"})
	wantInvalid(t, err, "{{secrets.x}}")
}
