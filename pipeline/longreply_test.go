package pipeline_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/channel/telegram"
	"github.com/switchboardhq/switchboard/channel/telegram/telegramtest"
	"github.com/switchboardhq/switchboard/store/pgtest"
)

// TestLongReplySentInParts: a reply longer than Telegram takes in one
// message (4,096 UTF-16 code units) goes out as several messages, in
// order, each within the limit and cut between sentences, each stored and
// reported as a message of its own.
func TestLongReplySentInParts(t *testing.T) {
	pgtest.EachDatabase(t, func(t *testing.T, url string) {
		e := newEnv(t, url)
		var long strings.Builder
		for i := 1; long.Len() < 9000; i++ {
			fmt.Fprintf(&long, "This is sentence number %d of a long answer. ", i)
		}
		reply := strings.TrimSpace(long.String())
		cfg, _ := json.Marshal(map[string]any{
			"intents":  []map[string]any{{"name": "all", "examples": []string{"tell me everything"}, "responses": []string{reply}}},
			"fallback": "Sorry.",
		})
		b := e.newBot(sb.EngineBuiltin, string(cfg), nil)
		ch := e.newChannel(sb.ChannelTelegram, &b.ID, map[string]any{"api_base_url": e.tg.URL},
			map[string]string{"bot_token": "123:TEST", "secret_token": secretToken})
		_, err := e.ingest(e.p, ch, telegramtest.Update(1, 42, "Ada", "tell me everything"), http.Header{telegram.HeaderSecretToken: {secretToken}})
		must(t, err)
		e.run()

		sent := e.sent()
		if len(sent) != 3 {
			t.Fatalf("%d messages sent, want 3", len(sent))
		}
		for _, s := range sent {
			if n := sb.TextLength(s); n > 4096 || !strings.HasSuffix(s, ".") || !strings.HasPrefix(s, "This is sentence") {
				t.Fatalf("a part of %d units, cut mid-sentence: …%q", n, s[max(0, len(s)-40):])
			}
		}
		if strings.Join(sent, " ") != reply {
			t.Fatal("the parts, in order, are not the reply")
		}
		if got := strings.Count(strings.Join(e.events(), " "), "message.sent"); got != 3 {
			t.Fatalf("%d message.sent events, want 3", got)
		}
	})
}
