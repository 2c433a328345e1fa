package store_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/store"
	"github.com/switchboardhq/switchboard/store/pgtest"
)

// benchEnv is a database with an API key, 500 conversations of 4 messages
// that receive the inbound messages of the write benchmarks in turn, and one
// conversation of 200 messages that the read benchmarks list. Statistics are
// up to date on PostgreSQL, as autovacuum keeps them in production.
type benchEnv struct {
	db      *store.DB
	ws      *switchboard.Workspace
	ch      *switchboard.Channel
	convs   []*switchboard.Conversation
	read    *switchboard.Conversation
	keyHash []byte
	seq     atomic.Int64
}

func newBenchEnv(b *testing.B, url string) *benchEnv {
	ctx := context.Background()
	e := &benchEnv{db: openURL(b, url)}
	e.ws = &switchboard.Workspace{Name: "bench"}
	must(b, e.db.CreateWorkspace(ctx, e.ws))
	e.ch = &switchboard.Channel{WorkspaceID: e.ws.ID, Type: "api", Name: "bench", Status: "connected"}
	must(b, e.db.CreateChannel(ctx, e.ch))
	ct := &switchboard.Contact{WorkspaceID: e.ws.ID, ChannelID: e.ch.ID, ExternalID: "bench-user"}
	must(b, e.db.CreateContact(ctx, ct))
	e.read = e.conversation(b, ct)
	for range 200 {
		must(b, e.store(ctx, e.read))
	}
	for range 500 {
		e.convs = append(e.convs, e.conversation(b, ct))
	}
	for range 4 * len(e.convs) {
		must(b, e.inbound(ctx))
	}
	sum := sha256.Sum256([]byte("sbk_bench"))
	e.keyHash = sum[:]
	must(b, e.db.CreateAPIKey(ctx, &switchboard.APIKey{WorkspaceID: e.ws.ID, Name: "bench", Prefix: "sbk_benc",
		Scopes: []string{switchboard.ScopeAdmin}, Hash: e.keyHash}))
	if e.db.Dialect() == store.DialectPostgres {
		store.ExecSQL(b, e.db, "ANALYZE") // autovacuum's job in production
	}
	return e
}

func (e *benchEnv) conversation(b *testing.B, ct *switchboard.Contact) *switchboard.Conversation {
	c := &switchboard.Conversation{WorkspaceID: e.ws.ID, ChannelID: e.ch.ID, ContactID: ct.ID, Status: "active"}
	must(b, e.db.CreateConversation(context.Background(), c))
	return c
}

// inbound stores an inbound message in the next conversation.
func (e *benchEnv) inbound(ctx context.Context) error {
	return e.store(ctx, e.convs[e.seq.Load()%int64(len(e.convs))])
}

// store stores what an inbound message stores: the message and its
// message.received event, in one transaction.
func (e *benchEnv) store(ctx context.Context, conv *switchboard.Conversation) error {
	n := e.seq.Add(1)
	m := &switchboard.Message{WorkspaceID: e.ws.ID, ConversationID: conv.ID, ChannelID: e.ch.ID,
		Direction: switchboard.DirectionInbound, Sender: switchboard.SenderUser,
		Text: "Hello, I would like to know where my order is.", Status: switchboard.MessageReceived,
		ExternalID: ptr(fmt.Sprint("ext-", n)), Raw: []byte(`{"message_id":"x","user_id":"u","text":"Hello"}`)}
	return e.db.Tx(ctx, func(q switchboard.Queries) error {
		if err := q.CreateMessage(ctx, m); err != nil {
			return err
		}
		return q.CreateEvent(ctx, switchboard.MessageEvent(switchboard.EventMessageReceived, m))
	})
}

func BenchmarkStore(b *testing.B) {
	urls := map[string]func(b *testing.B) string{
		"sqlite":   func(b *testing.B) string { return sqliteURL(b) },
		"postgres": func(b *testing.B) string { return pgtest.URL(b) },
	}
	for _, name := range []string{"sqlite", "postgres"} {
		b.Run(name, func(b *testing.B) {
			e := newBenchEnv(b, urls[name](b))
			b.Run("InboundTx", func(b *testing.B) { benchSerial(b, e.inbound) })
			b.Run("InboundTxParallel", func(b *testing.B) { benchParallel(b, e.inbound) })
			b.Run("GetAPIKeyByHash", func(b *testing.B) { benchSerial(b, e.getKey) })
			b.Run("GetAPIKeyByHashParallel", func(b *testing.B) { benchParallel(b, e.getKey) })
			b.Run("ListMessages50", func(b *testing.B) { benchSerial(b, e.listMessages) })
			b.Run("ListMessages50Parallel", func(b *testing.B) { benchParallel(b, e.listMessages) })
			b.Run("RenderMessages50", func(b *testing.B) { benchSerial(b, e.renderMessages) })
			b.Run("RenderMessages50Parallel", func(b *testing.B) { benchParallel(b, e.renderMessages) })
		})
	}
}

func (e *benchEnv) getKey(ctx context.Context) error {
	_, err := e.db.GetAPIKeyByHash(ctx, e.keyHash)
	return err
}

func (e *benchEnv) listMessages(ctx context.Context) error {
	list, err := e.db.ListMessages(ctx, e.ws.ID, e.read.ID, switchboard.Page{Limit: 50})
	if err == nil && len(list) != 51 {
		err = fmt.Errorf("listed %d messages, want 51", len(list))
	}
	return err
}

// renderMessages lists the same page as listMessages, as the API shows it:
// rendered by the store, or listed and encoded with encoding/json.
func (e *benchEnv) renderMessages(ctx context.Context) error {
	list, err := e.db.RenderMessages(ctx, e.ws.ID, e.read.ID, switchboard.Page{Limit: 50})
	if err == nil && len(list) != 51 {
		err = fmt.Errorf("rendered %d messages, want 51", len(list))
	}
	return err
}

func benchSerial(b *testing.B, op func(context.Context) error) {
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := op(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

func benchParallel(b *testing.B, op func(context.Context) error) {
	ctx := context.Background()
	b.ReportAllocs()
	b.SetParallelism(4) // 4 × GOMAXPROCS goroutines: more callers than cores, as under load
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := op(ctx); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func ptr[T any](v T) *T { return &v }
