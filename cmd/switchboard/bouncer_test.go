package main

import (
	"database/sql"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/channel/telegram"
	"github.com/switchboardhq/switchboard/channel/telegram/telegramtest"
	"github.com/switchboardhq/switchboard/store/pgtest"
)

// TestServeThroughPgBouncer runs two processes whose database URL goes
// through PgBouncer in transaction mode, with the direct URL to PostgreSQL
// beside it: `migrate` migrates an empty database, an inbound Telegram
// update is answered by the bot, conversation changes made on both
// processes reach every webhook endpoint, and an endpoint added on one
// process receives the events of the other at once (its cached endpoints
// follow the notification, well before they would expire).
func TestServeThroughPgBouncer(t *testing.T) {
	direct := pgtest.URL(t)
	bouncer := pgtest.StartBouncer(t, direct)
	// PgBouncer before 1.21 (Debian 12 has 1.18) keeps no prepared
	// statements across transactions: pgx must not prepare named ones.
	bounced := bouncer.URL(direct)
	admin, err := sql.Open("pgx", direct)
	must(t, err)
	defer admin.Close()
	_, err = admin.Exec(`DROP SCHEMA public CASCADE; CREATE SCHEMA public`)
	must(t, err)

	dirA, dirB := filepath.Join(t.TempDir(), "a"), filepath.Join(t.TempDir(), "b")
	directEnv := "SWITCHBOARD_DATABASE_DIRECT_URL=" + direct
	migrate := exec.Command(binary, "migrate")
	migrate.Env = append(os.Environ(), deliveryEnv(dirA, bounced, directEnv)...)
	if out, err := migrate.CombinedOutput(); err != nil || !strings.Contains(string(out), "migrations applied") {
		t.Fatalf("migrate: %v\n%s", err, out)
	}

	a := serve(t, deliveryEnv(dirA, bounced, directEnv)...)
	b := serve(t, deliveryEnv(dirB, bounced, directEnv)...)
	s := newE2ESink(t)
	convs := setUpDeliveries(t, a, s, 4)

	// An inbound message, through b, answered by the bot.
	tg := telegramtest.NewServer()
	defer tg.Close()
	botID := a.must(t, 201, "POST", "/api/v1/bots", greeter)["id"].(string)
	ch := a.must(t, 201, "POST", "/api/v1/channels", map[string]any{"type": "telegram", "name": "Support", "bot_id": botID,
		"config": map[string]any{"bot_token": "123:E2E", "api_base_url": tg.URL}})["id"].(string)
	a.must(t, 200, "POST", "/api/v1/channels/"+ch+"/register", nil)
	calls := tg.Calls("setWebhook")
	if len(calls) != 1 {
		t.Fatalf("setWebhook calls: %v", calls)
	}
	token, _ := calls[0].Body["secret_token"].(string)
	hookURL := b.base + "/hooks/channels/" + ch
	if st, got := b.post(t, hookURL, "", telegramtest.Update(7001, 42, "Ada", "hello"), telegram.HeaderSecretToken, token); st != 200 {
		t.Fatalf("update: %d %v", st, got)
	}
	if calls := tg.Wait("sendMessage", 1, 60*time.Second); len(calls) != 1 || calls[0].Text() != "Hello! How can I help?" {
		t.Fatalf("sendMessage: %+v", calls)
	}

	// Changes on both processes, delivered to every endpoint.
	stop := make(chan struct{})
	var churners sync.WaitGroup
	var acked atomic.Int64
	churn(a, convs[:2], stop, &churners, &acked)
	churn(b, convs[2:], stop, &churners, &acked)
	for acked.Load() < 200 {
		time.Sleep(10 * time.Millisecond)
	}
	close(stop)
	churners.Wait()
	waitDelivered(t, s, expected(t, a))
	waitSettled(t, b)

	// An endpoint added on b gets a's next events: a's cached list of
	// endpoints (kept 10 s) follows b's notification.
	b.must(t, 201, "POST", "/api/v1/webhooks", map[string]any{"url": s.srv.URL + "/late"})
	deadline := time.Now().Add(5 * time.Second)
	for i := 0; ; i++ {
		status := []string{"handoff", "active"}[i%2]
		a.must(t, 200, "PUT", "/api/v1/conversations/"+convs[0], map[string]any{"status": status})
		late := false
		for _, r := range s.receipts() {
			late = late || r.endpoint == "/late"
		}
		if late {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the endpoint added on b received none of a's events")
		}
		time.Sleep(50 * time.Millisecond)
	}
	a.stop(t)
	b.stop(t)
}
