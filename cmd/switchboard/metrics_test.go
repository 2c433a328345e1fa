package main

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

func TestMetricsTokenConfig(t *testing.T) {
	const token = "a-metrics-token-for-tests"
	env := map[string]string{"SWITCHBOARD_METRICS_TOKEN": token}
	cfg, _, err := parseConfig("serve", nil, func(k string) string { return env[k] }, io.Discard, nil)
	if err != nil || cfg.MetricsToken != token {
		t.Fatalf("from the environment: %q, %v", cfg.MetricsToken, err)
	}
	cfg, _, err = parseConfig("serve", []string{"--metrics-token", token + "-flag"}, func(k string) string { return env[k] }, io.Discard, nil)
	if err != nil || cfg.MetricsToken != token+"-flag" {
		t.Fatalf("the flag must win: %q, %v", cfg.MetricsToken, err)
	}
	if _, _, err := parseConfig("serve", []string{"--metrics-token", "short"}, func(string) string { return "" }, io.Discard, nil); err == nil ||
		!strings.Contains(err.Error(), "metrics-token") {
		t.Fatalf("a short token must be refused: %v", err)
	}
}

// TestServeMetricsToken: with SWITCHBOARD_METRICS_TOKEN set, the served
// /metrics answers only requests carrying it.
func TestServeMetricsToken(t *testing.T) {
	const token = "a-metrics-token-for-tests"
	p := serve(t, "SWITCHBOARD_DATA_DIR="+t.TempDir(), "SWITCHBOARD_METRICS_TOKEN="+token)
	get := func(authorization string) (int, string) {
		req, _ := http.NewRequest("GET", p.base+"/metrics", nil)
		if authorization != "" {
			req.Header.Set("Authorization", authorization)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	if st, body := get(""); st != 401 || strings.Contains(body, "switchboard_") {
		t.Fatalf("without the token: %d\n%s", st, body)
	}
	if st, body := get("Bearer " + p.key); st != 401 {
		t.Fatalf("an API key is not the metrics token: %d\n%s", st, body)
	}
	if st, body := get("Bearer " + token); st != 200 || !strings.Contains(body, "switchboard_http_requests_total") {
		t.Fatalf("with the token: %d\n%s", st, body)
	}
	p.stop(t)
}
