// Package storetest is the conformance suite of switchboard.Store: one set of
// tests that every implementation, on every database, must pass.
//
//	func TestSQLite(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) switchboard.Store { return openMigratedStore(t) })
//	}
//
// open must return a new, migrated, empty store for each call, and close it
// when t ends. Subtests run in parallel.
package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/webhook"
)

// Run runs the conformance suite against the stores that open returns.
func Run(t *testing.T, open func(t *testing.T) switchboard.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, f *fixture)
	}{
		{"Workspaces", testWorkspaces},
		{"APIKeys", testAPIKeys},
		{"Bots", testBots},
		{"BotDeleteDetaches", testBotDeleteDetaches},
		{"BotVersions", testBotVersions},
		{"Channels", testChannels},
		{"ChannelDeleteCascades", testChannelDeleteCascades},
		{"Secrets", testSecrets},
		{"Contacts", testContacts},
		{"Facts", testFacts},
		{"FactAsOf", testFactAsOf},
		{"FactFilters", testFactFilters},
		{"LookupFacts", testLookupFacts},
		{"PurgeExpiredFacts", testPurgeExpiredFacts},
		{"PurgeIntegrationHistory", testPurgeIntegrationHistory},
		{"Conversations", testConversations},
		{"ConversationFilters", testConversationFilters},
		{"FindOpenConversation", testFindOpenConversation},
		{"ListIdleConversations", testListIdleConversations},
		{"DeleteConversation", testDeleteConversation},
		{"Messages", testMessages},
		{"MessageExternalIDs", testMessageExternalIDs},
		{"Events", testEvents},
		{"EventFilters", testEventFilters},
		{"Idempotency", testIdempotency},
		{"Pagination", testPagination},
		{"Rendered", testRendered},
		{"WorkspaceIsolation", testWorkspaceIsolation},
		{"Times", testTimes},
		{"TxCommit", testTxCommit},
		{"TxRollback", testTxRollback},
		{"TxPanic", testTxPanic},
		{"TxConflictKeepsTxUsable", testTxConflictKeepsTxUsable},
		{"TxConcurrent", testTxConcurrent},
		{"AfterCommit", testAfterCommit},
		{"ConcurrentReadsAndWrites", testConcurrentReadsAndWrites},
		{"WebhookEndpoints", testWebhookEndpoints},
		{"EventDeliveries", testEventDeliveries},
		{"DeliveryTargetsFollowEndpoints", testDeliveryTargetsFollowEndpoints},
		{"DeliveryClaims", testDeliveryClaims},
		{"ConcurrentClaims", testConcurrentClaims},
		{"DeliveryAttempts", testDeliveryAttempts},
		{"RetryAndReplay", testRetryAndReplay},
		{"BacklogAndPurge", testBacklogAndPurge},
		{"SaveAttempts", testSaveAttempts},
		{"Jobs", testJobs},
		{"JobLeases", testJobLeases},
		{"JobClaimOrder", testJobClaimOrder},
		{"JobKinds", testJobKinds},
		{"JobConcurrentClaims", testJobConcurrentClaims},
		{"JobsInTx", testJobsInTx},
		{"LastInboundMessage", testLastInboundMessage},
		{"LockContact", testLockContact},
		{"GetConversationStatus", testGetConversationStatus},
		{"ClaimNewJob", testClaimNewJob},
		{"TouchConversation", testTouchConversation},
		{"Users", testUsers},
		{"DashboardSessions", testDashboardSessions},
		{"SetupTokens", testSetupTokens},
		{"OAuthClients", testOAuthClients},
		{"OAuthTokens", testOAuthTokens},
		{"SigningKeys", testSigningKeys},
		{"Inbox", testInbox},
		{"ReadMarks", testReadMarks},
		{"EventsAfter", testEventsAfter},
		{"BotTurns", testBotTurns},
		{"TopIntents", testTopIntents},
		{"GetRunByDedupKey", testGetRunByDedupKey},
		{"CountMessages", testCountMessages},
		{"ConversationOutcomes", testConversationOutcomes},
		{"HandoffQueue", testHandoffQueue},
		{"DeliveryOutcomes", testDeliveryOutcomes},
		{"FailingIntegrations", testFailingIntegrations},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, newFixture(t, open(t)))
		})
	}
}

// fixture is a store with one workspace holding a bot, a channel of that
// bot, a contact on the channel and a conversation with the contact.
type fixture struct {
	ctx  context.Context
	s    switchboard.Store
	ws   *switchboard.Workspace
	bot  *switchboard.Bot
	ch   *switchboard.Channel
	ct   *switchboard.Contact
	conv *switchboard.Conversation
	pub  *webhook.Publisher // publishes the events of newEvent
}

func newFixture(t *testing.T, s switchboard.Store) *fixture {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	f := &fixture{ctx: ctx, s: s}
	f.ws = f.workspace(t, "acme")
	f.bot = f.newBot(t, f.ws.ID)
	f.ch = f.newChannel(t, f.ws.ID, &f.bot.ID)
	f.ct = f.newContact(t, f.ch, "user-1")
	f.conv = f.newConversation(t, f.ct, switchboard.ConversationActive)
	return f
}

func (f *fixture) workspace(t *testing.T, name string) *switchboard.Workspace {
	t.Helper()
	w := &switchboard.Workspace{Name: name}
	must(t, f.s.CreateWorkspace(f.ctx, w))
	return w
}

func (f *fixture) newBot(t *testing.T, workspaceID string) *switchboard.Bot {
	t.Helper()
	b := &switchboard.Bot{
		WorkspaceID: workspaceID,
		Name:        "Helper",
		Engine:      "llm", // any name: the store does not know engines
		Config:      json.RawMessage(`{"base_url":"https://llm.example/v1","model":"small","temperature":0.5}`),
		Secrets:     map[string]string{"api_key": "sk-very-secret"},
		Status:      switchboard.BotDraft,
		Version:     1,
	}
	must(t, f.s.CreateBot(f.ctx, b))
	return b
}

func (f *fixture) newChannel(t *testing.T, workspaceID string, botID *string) *switchboard.Channel {
	t.Helper()
	c := &switchboard.Channel{
		WorkspaceID: workspaceID,
		Type:        switchboard.ChannelTelegram,
		Name:        "Support",
		BotID:       botID,
		Status:      switchboard.ChannelConnected,
		Config:      map[string]any{"api_base_url": "https://tg.example", "allowed_origins": []any{"a", "b"}},
		Secrets:     map[string]string{"bot_token": "123:ABC-telegram-token", "secret_token": "s3cr3t"},
	}
	must(t, f.s.CreateChannel(f.ctx, c))
	return c
}

func (f *fixture) newContact(t *testing.T, ch *switchboard.Channel, externalID string) *switchboard.Contact {
	t.Helper()
	c := &switchboard.Contact{
		WorkspaceID: ch.WorkspaceID,
		ChannelID:   ch.ID,
		ExternalID:  externalID,
		Name:        "Ada Lovelace",
		Email:       "ada@example.com",
		Phone:       "+44 20 7946 0000",
		Attributes:  map[string]any{"plan": "pro", "visits": 3.0, "vip": true},
	}
	must(t, f.s.CreateContact(f.ctx, c))
	return c
}

func (f *fixture) newConversation(t *testing.T, ct *switchboard.Contact, status string) *switchboard.Conversation {
	t.Helper()
	c := &switchboard.Conversation{
		WorkspaceID: ct.WorkspaceID,
		ChannelID:   ct.ChannelID,
		ContactID:   ct.ID,
		Status:      status,
		Metadata:    map[string]any{"source": "test", "tags": []any{"x"}},
	}
	if f.bot != nil && f.bot.WorkspaceID == ct.WorkspaceID {
		c.BotID = &f.bot.ID
	}
	if status == switchboard.ConversationEnded {
		end := time.Now()
		c.EndedAt = &end
	}
	must(t, f.s.CreateConversation(f.ctx, c))
	return c
}

func (f *fixture) newMessage(t *testing.T, conv *switchboard.Conversation, direction string, externalID *string) *switchboard.Message {
	t.Helper()
	m := &switchboard.Message{
		WorkspaceID:    conv.WorkspaceID,
		ConversationID: conv.ID,
		ChannelID:      conv.ChannelID,
		Direction:      direction,
		Sender:         switchboard.SenderUser,
		Text:           "hello, world",
		Status:         switchboard.MessageReceived,
		ExternalID:     externalID,
		Raw:            json.RawMessage(`{"update_id":42,"message":{"text":"hello, world"}}`),
	}
	if direction == switchboard.DirectionOutbound {
		m.Sender, m.Status, m.Raw = switchboard.SenderBot, switchboard.MessageQueued, nil
	}
	must(t, f.s.CreateMessage(f.ctx, m))
	return m
}

func (f *fixture) newEvent(t *testing.T, workspaceID, typ string) *switchboard.Event {
	t.Helper()
	e := switchboard.NewEvent(workspaceID, typ, map[string]any{"n": 1, "text": "héllo"})
	must(t, f.publish(e))
	return e
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// wantCode fails unless err carries the given error code.
func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := switchboard.ErrorCode(err); got != code {
		t.Fatalf("error = %v (code %q), want code %q", err, got, code)
	}
}

// wantNotFound fails unless err is not_found.
func wantNotFound(t *testing.T, err error) {
	t.Helper()
	wantCode(t, err, switchboard.ENotFound)
}

var errRollback = errors.New("storetest: roll back")

func ptr[T any](v T) *T { return &v }
