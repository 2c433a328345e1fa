package httpapi_test

import (
	"testing"

	"github.com/switchboardhq/switchboard/channel/telegram"
	"github.com/switchboardhq/switchboard/channel/telegram/telegramtest"
	"github.com/switchboardhq/switchboard/store/pgtest"
)

// TestAPIChangesSeenByInbound: a conversation handed off, ended or deleted
// through the API is seen as such by the next inbound message, whatever
// the process that serves the hook keeps in memory.
func TestAPIChangesSeenByInbound(t *testing.T) {
	pgtest.EachDatabase(t, func(t *testing.T, url string) {
		e := newEnv(t, url, platformsOnLoopback)
		changesSeenByInbound(t, e, e)
	})
}

// TestOtherProcessChangesSeenByInbound is TestAPIChangesSeenByInbound with
// the changes made by another process sharing the PostgreSQL database.
func TestOtherProcessChangesSeenByInbound(t *testing.T) {
	url := pgtest.URL(t)
	e := newEnv(t, url, platformsOnLoopback)
	changesSeenByInbound(t, e, e.peer(t, url))
}

// changesSeenByInbound sends Telegram updates to the hook of hooks and
// changes the conversation through the API of api.
func changesSeenByInbound(t *testing.T, hooks, api *env) {
	tg := telegramtest.NewServer()
	defer tg.Close()
	chID, token := hooks.telegramSetup(t, tg)
	send := func(updateID int64, text string) {
		t.Helper()
		hooks.must(200, "POST", hookPath(chID), "", string(telegramtest.Update(updateID, 42, "Ada", text)), telegram.HeaderSecretToken, token)
		hooks.runJobs()
	}
	conversations := func() []map[string]any { // newest first
		t.Helper()
		return api.must(200, "GET", "/api/v1/conversations?channel_id="+chID, api.admin, nil).data(t)
	}
	messages := func(convID string) int {
		t.Helper()
		return len(api.must(200, "GET", "/api/v1/conversations/"+convID+"/messages", api.admin, nil).data(t))
	}
	want := func(step string, convs, replies int) []map[string]any {
		t.Helper()
		got := conversations()
		if len(got) != convs || len(tg.Calls("sendMessage")) != replies {
			t.Fatalf("%s: %d conversations, %d replies; want %d and %d\n%v", step, len(got), len(tg.Calls("sendMessage")), convs, replies, got)
		}
		return got
	}

	send(1, "hello")
	first := want("first message", 1, 1)[0]["id"].(string)

	api.must(200, "PUT", "/api/v1/conversations/"+first, api.admin, `{"status":"handoff"}`)
	send(2, "are you there?")
	want("in handoff", 1, 1) // stored, and the bot stays silent
	if n := messages(first); n != 3 {
		t.Fatalf("in handoff: the conversation has %d messages, want 3", n)
	}

	api.must(200, "PUT", "/api/v1/conversations/"+first, api.admin, `{"status":"ended"}`)
	send(3, "hi again")
	convs := want("after the end", 2, 2)
	second := convs[0]["id"].(string)
	if second == first || convs[0]["status"] != "active" || messages(first) != 3 {
		t.Fatalf("after the end: %v", convs)
	}

	api.must(204, "DELETE", "/api/v1/conversations/"+second, api.admin, nil)
	send(4, "still there?")
	convs = want("after the deletion", 2, 3)
	if third := convs[0]["id"].(string); third == second || third == first || messages(third) != 2 {
		t.Fatalf("after the deletion: %v", convs)
	}

	// The channel deleted: its hook is not found, even while the process
	// serving it still has it in memory.
	api.must(204, "DELETE", "/api/v1/channels/"+chID, api.admin, nil)
	hooks.call("POST", hookPath(chID), "", string(telegramtest.Update(5, 42, "Ada", "anyone?")), telegram.HeaderSecretToken, token).
		problem(t, 404, "not_found", "")
}
