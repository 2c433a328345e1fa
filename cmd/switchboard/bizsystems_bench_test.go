package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/channel/telegram"
	"github.com/switchboardhq/switchboard/channel/telegram/telegramtest"
	"github.com/switchboardhq/switchboard/integration/shopify/shopifytest"
)

// BenchmarkInboundAck compares, in one server, how fast inbound Shopify
// webhooks (orders/updated, verified, stored, processed afterwards into
// facts) and inbound Telegram updates (verified, stored with their
// message, conversation and bot turn, answered by a builtin bot through a
// fake Bot API) are acknowledged, many requests in flight. The server is
// built without the race detector; the figure is acks/s.
//
//	go test -run='^$' -bench=InboundAck -benchtime=3s ./cmd/switchboard/
func BenchmarkInboundAck(b *testing.B) {
	bin := filepath.Join(b.TempDir(), "switchboard")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		b.Fatal(err)
	}
	tg := telegramtest.NewServer()
	defer tg.Close()
	srv := startPlain(b, bin, "SWITCHBOARD_DATA_DIR="+b.TempDir(), "SWITCHBOARD_BOOTSTRAP_KEY="+e2eKey,
		"SWITCHBOARD_WEBHOOK_ALLOW_PRIVATE=true", "SWITCHBOARD_LOG_LEVEL=error")
	call := func(method, path string, body any) map[string]any {
		raw, _ := json.Marshal(body)
		req, _ := http.NewRequest(method, srv+path, bytes.NewReader(raw))
		req.Header.Set("Authorization", "Bearer "+e2eKey)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		defer res.Body.Close()
		var m map[string]any
		_ = json.NewDecoder(res.Body).Decode(&m)
		if res.StatusCode >= 300 {
			b.Fatalf("%s %s: %d %v", method, path, res.StatusCode, m)
		}
		return m
	}
	botID := call("POST", "/api/v1/bots", greeter)["id"].(string)
	ch := call("POST", "/api/v1/channels", map[string]any{"type": "telegram", "name": "Bench", "bot_id": botID,
		"config": map[string]any{"bot_token": "1:BENCH", "secret_token": "bench-secret-token", "api_base_url": tg.URL}})
	tgHook := srv + "/hooks/channels/" + ch["id"].(string)
	in := call("POST", "/api/v1/integrations", map[string]any{"type": "shopify", "name": "Bench shop",
		"config": map[string]any{"shop_domain": "bench.myshopify.com", "webhook_secret": shopSecret}})
	shopHook := srv + "/hooks/integrations/" + in["id"].(string)
	order, err := os.ReadFile("../../integration/shopify/testdata/webhooks/orders_updated.json")
	if err != nil {
		b.Fatal(err)
	}
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
	post := func(b *testing.B, url string, h http.Header, body []byte) {
		req, _ := http.NewRequest("POST", url, bytes.NewReader(body))
		req.Header = h
		res, err := client.Do(req)
		if err != nil {
			b.Error(err)
			return
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != 200 {
			b.Errorf("%s answered %d", url, res.StatusCode)
		}
	}
	var seq atomic.Int64
	measure := func(b *testing.B, one func(n int64)) {
		b.SetParallelism(8)
		b.ResetTimer()
		start := time.Now()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				one(seq.Add(1))
			}
		})
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "acks/s")
	}
	b.Run("telegram", func(b *testing.B) {
		measure(b, func(n int64) {
			h := http.Header{"Content-Type": {"application/json"}, telegram.HeaderSecretToken: {"bench-secret-token"}}
			post(b, tgHook, h, telegramtest.Update(n, 1000+n%1000, "Bench", "hello"))
		})
	})
	b.Run("shopify", func(b *testing.B) {
		measure(b, func(n int64) {
			post(b, shopHook, shopifytest.Headers(shopSecret, "orders/updated", fmt.Sprintf("bench-%d", n), "bench.myshopify.com", order), order)
		})
	})
}

// startPlain starts bin serve with env and returns its base URL; the
// process is killed when the benchmark ends.
func startPlain(b *testing.B, bin string, env ...string) string {
	b.Helper()
	cmd := exec.Command(bin, "serve")
	cmd.Env = append(os.Environ(), append([]string{"SWITCHBOARD_ADDR=127.0.0.1:0"}, env...)...)
	out, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	lines := bufio.NewScanner(out)
	base := ""
	for lines.Scan() {
		if m := apiLine.FindStringSubmatch(lines.Text()); m != nil {
			base = m[1]
		}
		if strings.HasPrefix(lines.Text(), "Press Ctrl+C") {
			break
		}
	}
	go func() { _, _ = io.Copy(io.Discard, out) }()
	if base == "" {
		b.Fatal("serve printed no URL")
	}
	return base
}
