package httpapi_test

import (
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/channel/telegram"
	"github.com/switchboardhq/switchboard/channel/telegram/telegramtest"
)

// countingWriter counts the bytes written to it.
type countingWriter struct{ n atomic.Int64 }

func (c *countingWriter) Write(p []byte) (int, error) { c.n.Add(int64(len(p))); return len(p), nil }

// TestHookHammer is a load tool, not a check: with SWITCHBOARD_HAMMER set to
// a duration it posts bad-signature requests to a Telegram channel's hook
// from one IP (loopback) for that long, over real HTTP with 16 connections,
// and reports how many were answered, by status, and how many bytes the
// server logged. Without the variable it is skipped.
//
//	SWITCHBOARD_HAMMER=10s go test -run TestHookHammer -v ./httpapi
func TestHookHammer(t *testing.T) {
	d, err := time.ParseDuration(os.Getenv("SWITCHBOARD_HAMMER"))
	if err != nil || d <= 0 {
		t.Skip("set SWITCHBOARD_HAMMER to a duration to hammer /hooks")
	}
	logged := &countingWriter{}
	e := newEnv(t, "sqlite://"+t.TempDir()+"/sb.db", envOptions{rate: 100, burst: 200, allowPrivate: true, log: logged})
	tg := telegramtest.NewServer()
	defer tg.Close()
	chID, token := e.telegramSetup(t, tg)
	body := string(telegramtest.Update(1, 42, "Ada", "hello"))
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	var total atomic.Int64
	var mu sync.Mutex
	statuses := map[int]int{}
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			seen := map[int]int{}
			for time.Now().Before(deadline) {
				req, _ := http.NewRequest("POST", e.srv.URL+hookPath(chID), strings.NewReader(body))
				req.Header.Set(telegram.HeaderSecretToken, token+"x")
				res, err := client.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				res.Body.Close()
				seen[res.StatusCode]++
				total.Add(1)
			}
			mu.Lock()
			for k, v := range seen {
				statuses[k] += v
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	t.Logf("%v of bad-signature requests from one IP: %d requests, by status %v; %d log bytes",
		d, total.Load(), statuses, logged.n.Load())
}
