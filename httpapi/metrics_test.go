package httpapi_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/switchboardhq/switchboard/httpapi"
)

// metricsServer serves the HTTP API with a registry holding per-endpoint
// series, as the webhook dispatcher registers them.
func metricsServer(t *testing.T, token string) *httptest.Server {
	reg := prometheus.NewRegistry()
	depth := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "switchboard_webhook_queue_depth", Help: "Pending deliveries per endpoint."},
		[]string{"endpoint_id"})
	depth.WithLabelValues("whe_tenant_a").Set(3)
	depth.WithLabelValues("whe_tenant_b").Set(4)
	latency := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "test_latency_seconds", Help: "By endpoint."}, []string{"endpoint_id"})
	latency.WithLabelValues("whe_tenant_a").Observe(1)
	byOutcome := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "test_deliveries_total", Help: "By channel and outcome."},
		[]string{"channel_id", "outcome"})
	byOutcome.WithLabelValues("ch_a", "ok").Add(1)
	byOutcome.WithLabelValues("ch_b", "ok").Add(2)
	byOutcome.WithLabelValues("ch_a", "failed").Add(5)
	reg.MustRegister(depth, latency, byOutcome)
	api := httpapi.New(httpapi.Config{MetricsToken: token},
		httpapi.Deps{Registry: reg, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	return srv
}

func getMetrics(t *testing.T, srv *httptest.Server, authorization string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", srv.URL+"/metrics", nil)
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

// TestMetricsWithoutToken: with no metrics token, /metrics is open but
// serves nothing per workspace: the per-endpoint queue depth is summed.
func TestMetricsWithoutToken(t *testing.T) {
	srv := metricsServer(t, "")
	for _, authorization := range []string{"", "Bearer anything"} {
		res, body := getMetrics(t, srv, authorization)
		if res.StatusCode != 200 {
			t.Fatalf("status %d: %s", res.StatusCode, body)
		}
		if strings.Contains(body, "endpoint_id") || strings.Contains(body, "whe_tenant") || strings.Contains(body, "test_latency_seconds") {
			t.Fatalf("per-endpoint series served without the token:\n%s", body)
		}
		if !strings.Contains(body, "\nswitchboard_webhook_queue_depth 7\n") {
			t.Fatalf("the summed queue depth is missing:\n%s", body)
		}
		if strings.Contains(body, "ch_a") || !strings.Contains(body, `test_deliveries_total{outcome="ok"} 3`) ||
			!strings.Contains(body, `test_deliveries_total{outcome="failed"} 5`) {
			t.Fatalf("a counter must be summed over its tenant label only:\n%s", body)
		}
		if authorization != "" && !strings.Contains(body, `switchboard_http_requests_total{method="GET",route="GET /metrics",status="200"} 1`) {
			t.Fatalf("the series without a tenant label must be served as they are:\n%s", body)
		}
	}
}

// TestMetricsToken: with a metrics token, /metrics answers only a request
// carrying it, and then serves every series.
func TestMetricsToken(t *testing.T) {
	const token = "metrics-token-of-the-test"
	srv := metricsServer(t, token)
	for _, authorization := range []string{"", "Bearer wrong", "Bearer " + token + "x", "Basic " + token, token, "Bearer"} {
		res, body := getMetrics(t, srv, authorization)
		if res.StatusCode != 401 || res.Header.Get("Content-Type") != "application/problem+json" ||
			!strings.HasPrefix(res.Header.Get("WWW-Authenticate"), "Bearer") || strings.Contains(body, "switchboard_") {
			t.Fatalf("Authorization %q: %d %v\n%s", authorization, res.StatusCode, res.Header, body)
		}
	}
	for _, authorization := range []string{"Bearer " + token, "bearer " + token} {
		res, body := getMetrics(t, srv, authorization)
		if res.StatusCode != 200 {
			t.Fatalf("status %d: %s", res.StatusCode, body)
		}
		for _, want := range []string{`switchboard_webhook_queue_depth{endpoint_id="whe_tenant_a"} 3`, `switchboard_webhook_queue_depth{endpoint_id="whe_tenant_b"} 4`, "test_latency_seconds_count"} {
			if !strings.Contains(body, want) {
				t.Fatalf("%s missing:\n%s", want, body)
			}
		}
	}
}
