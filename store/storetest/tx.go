package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/switchboardhq/switchboard"
)

func testTxCommit(t *testing.T, f *fixture) {
	conv := &switchboard.Conversation{WorkspaceID: f.ws.ID, ChannelID: f.ch.ID, ContactID: f.ct.ID, Status: switchboard.ConversationActive}
	var ev *switchboard.Event
	err := f.s.Tx(f.ctx, func(q switchboard.Queries) error {
		if err := q.CreateConversation(f.ctx, conv); err != nil {
			return err
		}
		ev = switchboard.ConversationEvent(switchboard.EventConversationStarted, conv, nil)
		if err := q.CreateEvent(f.ctx, ev); err != nil {
			return err
		}
		got, err := q.GetConversation(f.ctx, f.ws.ID, conv.ID) // sees its own writes
		if err != nil {
			return err
		}
		same(t, got, conv)
		list, err := q.ListEvents(f.ctx, f.ws.ID, switchboard.EventFilter{}, switchboard.Page{Limit: 10})
		if err != nil {
			return err
		}
		if len(list) != 1 {
			return fmt.Errorf("ListEvents in the transaction: %d events, want 1", len(list))
		}
		return nil
	})
	must(t, err)
	got, err := f.s.GetConversation(f.ctx, f.ws.ID, conv.ID)
	must(t, err)
	same(t, got, conv)
	gotEv, err := f.s.GetEvent(f.ctx, f.ws.ID, ev.ID)
	must(t, err)
	same(t, gotEv, ev)
}

func testTxRollback(t *testing.T, f *fixture) {
	conv := &switchboard.Conversation{WorkspaceID: f.ws.ID, ChannelID: f.ch.ID, ContactID: f.ct.ID, Status: switchboard.ConversationActive}
	ev := switchboard.NewEvent(f.ws.ID, switchboard.EventConversationStarted, map[string]any{})
	f.conv.Status = switchboard.ConversationHandoff
	err := f.s.Tx(f.ctx, func(q switchboard.Queries) error {
		must(t, q.CreateConversation(f.ctx, conv))
		must(t, q.CreateEvent(f.ctx, ev))
		must(t, q.UpdateConversation(f.ctx, f.conv))
		return errRollback
	})
	if !errors.Is(err, errRollback) {
		t.Fatalf("Tx returned %v, want the function's error", err)
	}
	_, err = f.s.GetConversation(f.ctx, f.ws.ID, conv.ID)
	wantNotFound(t, err)
	_, err = f.s.GetEvent(f.ctx, f.ws.ID, ev.ID)
	wantNotFound(t, err)
	got, err := f.s.GetConversation(f.ctx, f.ws.ID, f.conv.ID)
	must(t, err)
	if got.Status != switchboard.ConversationActive {
		t.Fatalf("rolled back update left status %q", got.Status)
	}
}

func testTxPanic(t *testing.T, f *fixture) {
	ev := switchboard.NewEvent(f.ws.ID, switchboard.EventWebhookTest, map[string]any{})
	func() {
		defer func() {
			if r := recover(); r != "boom" {
				t.Fatalf("recovered %v, want the function's panic", r)
			}
		}()
		_ = f.s.Tx(f.ctx, func(q switchboard.Queries) error {
			must(t, q.CreateEvent(f.ctx, ev))
			panic("boom")
		})
	}()
	_, err := f.s.GetEvent(f.ctx, f.ws.ID, ev.ID)
	wantNotFound(t, err)
	// The store is still usable: the transaction released its connection.
	f.newEvent(t, f.ws.ID, switchboard.EventWebhookTest)
}

// testTxConflictKeepsTxUsable: a conflict inside a transaction is an error
// the function can handle, and the transaction goes on (on PostgreSQL a
// failed statement would otherwise abort it).
func testTxConflictKeepsTxUsable(t *testing.T, f *fixture) {
	m := f.newMessage(t, f.conv, switchboard.DirectionInbound, ptr("seen"))
	ev := switchboard.NewEvent(f.ws.ID, switchboard.EventMessageReceived, map[string]any{})
	err := f.s.Tx(f.ctx, func(q switchboard.Queries) error {
		dup := &switchboard.Contact{WorkspaceID: f.ws.ID, ChannelID: f.ch.ID, ExternalID: f.ct.ExternalID}
		wantCode(t, q.CreateContact(f.ctx, dup), switchboard.EConflict)
		again := *m
		again.ID = ""
		wantCode(t, q.CreateMessage(f.ctx, &again), switchboard.EConflict)
		if _, err := q.GetMessageByExternalID(f.ctx, f.ch.ID, switchboard.DirectionInbound, "seen"); err != nil {
			return err
		}
		return q.CreateEvent(f.ctx, ev)
	})
	must(t, err)
	_, err = f.s.GetEvent(f.ctx, f.ws.ID, ev.ID)
	must(t, err)
}

// testTxConcurrent: transactions from many goroutines all commit (on SQLite
// none fails with SQLITE_BUSY).
func testTxConcurrent(t *testing.T, f *fixture) {
	const n = 20
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- f.s.Tx(f.ctx, func(q switchboard.Queries) error { return inboundTx(f, q, i) })
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		must(t, err)
	}
	events, err := f.s.ListEvents(f.ctx, f.ws.ID, switchboard.EventFilter{}, switchboard.Page{Limit: 100})
	must(t, err)
	if len(events) != n {
		t.Fatalf("%d events committed, want %d", len(events), n)
	}
}

// inboundTx does what receiving a first message from a new user does.
func inboundTx(f *fixture, q switchboard.Queries, i int) error {
	ct := &switchboard.Contact{WorkspaceID: f.ws.ID, ChannelID: f.ch.ID, ExternalID: fmt.Sprint("tx-user-", i)}
	if _, err := q.GetContactByExternalID(f.ctx, f.ch.ID, ct.ExternalID); switchboard.ErrorCode(err) != switchboard.ENotFound {
		return fmt.Errorf("contact lookup: %v", err)
	}
	if err := q.CreateContact(f.ctx, ct); err != nil {
		return err
	}
	conv := &switchboard.Conversation{WorkspaceID: f.ws.ID, ChannelID: f.ch.ID, ContactID: ct.ID, Status: switchboard.ConversationActive}
	if err := q.CreateConversation(f.ctx, conv); err != nil {
		return err
	}
	m := &switchboard.Message{WorkspaceID: f.ws.ID, ConversationID: conv.ID, ChannelID: f.ch.ID,
		Direction: switchboard.DirectionInbound, Sender: switchboard.SenderUser, Text: "hi",
		Status: switchboard.MessageReceived, ExternalID: ptr(fmt.Sprint("tx-msg-", i))}
	if err := q.CreateMessage(f.ctx, m); err != nil {
		return err
	}
	return q.CreateEvent(f.ctx, switchboard.MessageEvent(switchboard.EventMessageReceived, m))
}

// testConcurrentReadsAndWrites: plain calls from many goroutines at once,
// each reading its own writes.
func testConcurrentReadsAndWrites(t *testing.T, f *fixture) {
	const goroutines, each = 8, 10
	var wg sync.WaitGroup
	errs := make(chan error, goroutines)
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- readsAndWrites(f, g, each)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		must(t, err)
	}
	list, err := f.s.ListMessages(f.ctx, f.ws.ID, f.conv.ID, switchboard.Page{Limit: 200})
	must(t, err)
	if len(list) != goroutines*each {
		t.Fatalf("%d messages, want %d", len(list), goroutines*each)
	}
}

func readsAndWrites(f *fixture, g, n int) error {
	for i := range n {
		m := &switchboard.Message{WorkspaceID: f.ws.ID, ConversationID: f.conv.ID, ChannelID: f.ch.ID,
			Direction: switchboard.DirectionInbound, Sender: switchboard.SenderUser, Text: "hi",
			Status: switchboard.MessageReceived, ExternalID: ptr(fmt.Sprintf("rw-%d-%d", g, i))}
		if err := f.s.CreateMessage(f.ctx, m); err != nil {
			return err
		}
		if _, err := f.s.GetMessage(f.ctx, f.ws.ID, f.conv.ID, m.ID); err != nil {
			return fmt.Errorf("read own write: %w", err)
		}
		if _, err := f.s.ListMessages(f.ctx, f.ws.ID, f.conv.ID, switchboard.Page{Limit: 20}); err != nil {
			return err
		}
		if err := f.s.TouchAPIKey(f.ctx, "key_missing", m.CreatedAt); switchboard.ErrorCode(err) != switchboard.ENotFound {
			return fmt.Errorf("touch: %v", err)
		}
	}
	return nil
}

func testAfterCommit(t *testing.T, f *fixture) {
	var ran []string
	must(t, f.s.Tx(f.ctx, func(q switchboard.Queries) error {
		q.AfterCommit(func() { ran = append(ran, "first") })
		q.AfterCommit(func() { ran = append(ran, "second") })
		if len(ran) != 0 {
			t.Fatal("AfterCommit ran before the commit")
		}
		return nil
	}))
	if fmt.Sprint(ran) != "[first second]" {
		t.Fatalf("after commit: %v", ran)
	}
	ran = nil
	err := f.s.Tx(f.ctx, func(q switchboard.Queries) error {
		q.AfterCommit(func() { ran = append(ran, "rolled back") })
		return errRollback
	})
	if !errors.Is(err, errRollback) || len(ran) != 0 {
		t.Fatalf("a rolled-back transaction ran %v (err %v)", ran, err)
	}
	f.s.AfterCommit(func() { ran = append(ran, "now") })
	if fmt.Sprint(ran) != "[now]" {
		t.Fatalf("outside a transaction: %v", ran)
	}
}
