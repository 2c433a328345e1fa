package store_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/app"
	"github.com/switchboardhq/switchboard/internal/testclock"
	"github.com/switchboardhq/switchboard/store"
	"github.com/switchboardhq/switchboard/store/pgtest"
)

// BenchmarkOverview measures the dashboard overview's figures (app's
// Overview, and each of the store's queries it makes) on a workspace of a week: 10,000 conversations
// of 10 messages each (100,000 messages), an event per message and per
// conversation change (about 120,000), a fifth of the conversations handed
// off, and the deliveries of two endpoints (about 70,000, with an attempt
// each, those of the last half hour to one endpoint failing), plus a
// second workspace of a tenth of the size whose rows the queries must
// skip.
//
//	go test ./store -run '^$' -bench BenchmarkOverview -benchtime 200x
func BenchmarkOverview(b *testing.B) {
	urls := map[string]func(b *testing.B) string{
		"sqlite":   func(b *testing.B) string { return sqliteURL(b) },
		"postgres": func(b *testing.B) string { return pgtest.URL(b) },
	}
	for _, name := range []string{"sqlite", "postgres"} {
		b.Run(name, func(b *testing.B) {
			db := openURL(b, urls[name](b))
			now := time.Now().UTC().Truncate(time.Millisecond)
			began := time.Now()
			ws := loadWeek(b, db, "bench", now, 10000, 1)
			loadWeek(b, db, "other", now, 1000, 2)
			b.Logf("loaded in %v", time.Since(began))
			if db.Dialect() == store.DialectPostgres {
				store.ExecSQL(b, db, "ANALYZE") // autovacuum's job in production
			}
			s := app.New(app.Config{}, app.Deps{Store: db, Clock: testclock.New(now)})
			ctx := context.Background()
			began = time.Now()
			o, err := s.Overview(ctx, ws, app.OverviewParams{})
			must(b, err)
			b.Logf("first overview in %v", time.Since(began))
			if o.MessagesIn == 0 || o.Containment.Ended == 0 || o.Handoffs.Waiting == 0 || o.Deliveries.Total == 0 ||
				len(o.FailingEndpoints) == 0 {
				b.Fatalf("the overview of the loaded week is empty: %+v", o)
			}
			span := switchboard.Span{Since: o.Since, Until: o.Now, Step: o.Step}
			for _, q := range []struct {
				name string
				op   func() error
			}{
				{"Overview", func() error { _, err := s.Overview(ctx, ws, app.OverviewParams{}); return err }},
				{"CountMessages", func() error { _, err := db.CountMessages(ctx, ws, span); return err }},
				{"ConversationOutcomes", func() error {
					_, err := db.ConversationOutcomes(ctx, ws, o.Containment.Since, o.Now)
					return err
				}},
				{"HandoffQueue", func() error { _, err := db.HandoffQueue(ctx, ws); return err }},
				{"DeliveryOutcomes", func() error { _, err := db.DeliveryOutcomes(ctx, ws, o.Since, o.Now); return err }},
				{"FailingEndpoints", func() error { _, err := db.FailingEndpoints(ctx, ws, o.Since); return err }},
				{"FailingIntegrations", func() error { _, err := db.FailingIntegrations(ctx, ws, o.Since); return err }},
			} {
				b.Run(q.name, func(b *testing.B) {
					b.ReportAllocs()
					var took []time.Duration
					for b.Loop() {
						began := time.Now()
						if err := q.op(); err != nil {
							b.Fatal(err)
						}
						took = append(took, time.Since(began))
					}
					slices.Sort(took)
					b.ReportMetric(float64(took[(len(took)*99+99)/100-1].Microseconds()), "p99-µs")
				})
			}
		})
	}
}

// loadWeek writes a week of a workspace's activity ending at now with
// multi-row INSERTs, and returns the workspace's id. Ids sort by time, as
// NewID makes them.
func loadWeek(b testing.TB, db *store.DB, name string, now time.Time, conversations int, seed uint64) string {
	ctx := context.Background()
	ws := &switchboard.Workspace{Name: name}
	must(b, db.CreateWorkspace(ctx, ws))
	ch := &switchboard.Channel{WorkspaceID: ws.ID, Type: "api", Name: "web", Status: "connected"}
	must(b, db.CreateChannel(ctx, ch))
	secrets := []switchboard.EndpointSecret{{Secret: "whsec_c2VjcmV0"}}
	messagesEP := &switchboard.WebhookEndpoint{WorkspaceID: ws.ID, URL: "https://crm.example/hooks", Status: "enabled",
		EventTypes: []string{"message.received"}, Secrets: secrets}
	convEP := &switchboard.WebhookEndpoint{WorkspaceID: ws.ID, URL: "https://desk.example/hooks", Status: "enabled",
		EventTypes: []string{"conversation.*"}, Secrets: secrets}
	reason := "410 Gone"
	gone := &switchboard.WebhookEndpoint{WorkspaceID: ws.ID, URL: "https://old.example/hooks", Status: "disabled",
		DisabledReason: &reason, Secrets: secrets}
	for _, e := range []*switchboard.WebhookEndpoint{messagesEP, convEP, gone} {
		must(b, db.CreateEndpoint(ctx, e))
	}

	l := &loader{b: b, db: db, rnd: rand.New(rand.NewPCG(seed, 42)), now: now}
	const perConversation = 10
	week := 7 * 24 * time.Hour
	for i := range conversations {
		start := now.Add(-week + time.Duration(i)*week/time.Duration(conversations))
		ct, conv := l.id(switchboard.PrefixContact, start), l.id(switchboard.PrefixConversation, start)
		l.row("contacts", "id, workspace_id, channel_id, external_id, name, email, phone, attributes, created_at, updated_at",
			ct, ws.ID, ch.ID, fmt.Sprint("user-", i), "Ada", "", "", "{}", start, start)
		last := start.Add((perConversation - 1) * 40 * time.Second)
		handedOff := i%5 == 0
		status, ended := "active", any(nil)
		switch {
		case now.Sub(last) > 24*time.Hour:
			status, ended = "ended", last.Add(24*time.Hour)
		case handedOff && i%50 == 0:
			status = "handoff"
		}
		l.row("conversations", "id, workspace_id, channel_id, bot_id, contact_id, status, assignee, metadata, started_at, last_activity_at, ended_at",
			conv, ws.ID, ch.ID, nil, ct, status, nil, "{}", start, last, ended)
		l.event(ws.ID, "conversation.started", start, convEP.ID, conversationData(conv, "active", ""))
		if handedOff {
			l.event(ws.ID, "conversation.updated", start.Add(200*time.Second), convEP.ID, conversationData(conv, "handoff", "handoff"))
		}
		if t, ok := ended.(time.Time); ok {
			l.event(ws.ID, "conversation.ended", t, convEP.ID, conversationData(conv, "ended", ""))
		}
		for k := range perConversation {
			at := start.Add(time.Duration(k) * 40 * time.Second)
			msg := l.id(switchboard.PrefixMessage, at)
			direction, sender, typ, endpoint := "inbound", "user", "message.received", messagesEP.ID
			if k%2 == 1 {
				direction, sender, typ, endpoint = "outbound", "bot", "message.sent", ""
			}
			l.row("messages", "id, workspace_id, conversation_id, channel_id, direction, sender, text, status, external_id, error, raw, created_at, updated_at",
				msg, ws.ID, conv, ch.ID, direction, sender, "Where is my order? It was due on Monday.", "delivered", nil, nil, nil, at, at)
			l.event(ws.ID, typ, at, endpoint, `{"message":{"id":"`+msg+`","conversation_id":"`+conv+`","direction":"`+direction+`"}}`)
		}
	}
	l.flush()
	return ws.ID
}

// conversationData is the data of a conversation event, with the change
// of status for conversation.updated.
func conversationData(id, status, changed string) string {
	data := `{"conversation":{"id":"` + id + `","status":"` + status + `"}`
	if changed != "" {
		data += `,"changes":{"field":"status","old_value":"active","new_value":"` + changed + `"}`
	}
	return data + "}"
}

// loader batches rows into multi-row INSERTs of literal values (the same
// text on both databases: times in the stored form, JSON as text).
type loader struct {
	b    testing.TB
	db   *store.DB
	rnd  *rand.Rand
	cols map[string]string
	rows map[string][]string
	now  time.Time
}

const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// id returns an id made at t, as NewID would.
func (l *loader) id(prefix string, t time.Time) string {
	var tail [16]byte
	for i := range tail {
		tail[i] = crockford[l.rnd.IntN(32)]
	}
	return switchboard.IDAt(prefix, t)[:len(prefix)+11] + string(tail[:])
}

// event writes an event and, for an endpoint, its delivery and attempt:
// succeeded after 80 to 400 ms, except those of the conversation endpoint
// in the last half hour, which fail and are retried.
func (l *loader) event(ws, typ string, at time.Time, endpoint, data string) {
	id := l.id(switchboard.PrefixEvent, at)
	l.row("events", "id, workspace_id, type, version, data, created_at", id, ws, typ, "1.0", data, at)
	if endpoint == "" {
		return
	}
	dlv := l.id(switchboard.PrefixDelivery, at)
	took := time.Duration(80+l.rnd.IntN(320)) * time.Millisecond
	done := at.Add(took)
	status, code, errText, next := "succeeded", any(200), any(nil), any(nil)
	if strings.HasPrefix(typ, "conversation.") && l.now.Sub(at) < 30*time.Minute {
		status, code, errText, next = "pending", any(503), any("HTTP 503"), at.Add(5*time.Minute)
	}
	l.row("deliveries", "id, workspace_id, endpoint_id, event_id, event_type, status, attempt_count, next_attempt_at, last_attempt_at, last_status_code, last_error, lease_owner, lease_expires_at, created_at, updated_at",
		dlv, ws, endpoint, id, typ, status, 1, next, done, code, errText, nil, nil, at, done)
	l.row("delivery_attempts", "delivery_id, number, attempted_at, duration_us, status_code, response_body, error",
		dlv, 1, at, took.Microseconds(), code, "ok", errText)
}

// row adds a row to table; once 500 rows of a table wait, every table's
// are written, parents first.
func (l *loader) row(table, cols string, values ...any) {
	if l.rows == nil {
		l.cols, l.rows = map[string]string{}, map[string][]string{}
	}
	l.cols[table] = cols
	lits := make([]string, len(values))
	for i, v := range values {
		lits[i] = literal(v)
	}
	l.rows[table] = append(l.rows[table], "("+strings.Join(lits, ", ")+")")
	if len(l.rows[table]) == 500 {
		l.flush()
	}
}

func (l *loader) write(table string) {
	if len(l.rows[table]) == 0 {
		return
	}
	store.ExecSQL(l.b, l.db, "INSERT INTO "+table+" ("+l.cols[table]+") VALUES "+strings.Join(l.rows[table], ", "))
	l.rows[table] = l.rows[table][:0]
}

// flush writes the rows left, parents first.
func (l *loader) flush() {
	for _, t := range []string{"contacts", "conversations", "messages", "events", "deliveries", "delivery_attempts"} {
		l.write(t)
	}
}

// literal is v as an SQL literal.
func literal(v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case int:
		return fmt.Sprint(x)
	case int64:
		return fmt.Sprint(x)
	case time.Time:
		return "'" + x.UTC().Format("2006-01-02T15:04:05.000000Z") + "'"
	case string:
		return "'" + strings.ReplaceAll(x, "'", "''") + "'"
	}
	panic(fmt.Sprintf("literal of %T", v))
}
