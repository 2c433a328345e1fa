package httpapi

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"

	sb "github.com/switchboardhq/switchboard"
)

// metrics are the HTTP metrics, by route pattern, method and status.
type metrics struct {
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_http_requests_total",
			Help: "HTTP requests answered, by route, method and status code.",
		}, []string{"route", "method", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "switchboard_http_request_duration_seconds",
			Help:    "Time to answer HTTP requests, by route and method.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route", "method"}),
	}
	reg.MustRegister(m.requests, m.latency)
	return m
}

func (m *metrics) observe(route, method string, status int, d time.Duration) {
	m.requests.WithLabelValues(route, method, strconv.Itoa(status)).Inc()
	m.latency.WithLabelValues(route, method).Observe(d.Seconds())
}

// tenantLabels are the metric labels that name things of one workspace
// (today only the webhook queue depth has one, endpoint_id; the others are
// listed so that a metric added later is covered). /metrics without a
// configured token serves no series by them: such series are summed over
// the label (counters, gauges), or left out.
var tenantLabels = map[string]bool{"endpoint_id": true, "workspace_id": true, "channel_id": true, "bot_id": true,
	"conversation_id": true, "contact_id": true}

// metricsHandler serves /metrics. With a token, only a request carrying it
// as a bearer token is answered, with every series. Without one, /metrics
// is open but serves no per-workspace detail (publicGatherer).
func (s *Server) metricsHandler() http.Handler {
	if s.cfg.MetricsToken == "" {
		return promhttp.HandlerFor(publicGatherer{s.gather}, promhttp.HandlerOpts{})
	}
	full := promhttp.HandlerFor(s.gather, promhttp.HandlerOpts{})
	want := sha256.Sum256([]byte(s.cfg.MetricsToken))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		got := sha256.Sum256([]byte(token))
		// Hashes of equal length, compared in constant time: neither the
		// token nor its length shows in the time of an answer.
		if !strings.EqualFold(scheme, "bearer") || subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
			s.fail(w, r, sb.Errorf(sb.EUnauthorized, "Send the metrics token as Authorization: Bearer <token>."))
			return
		}
		full.ServeHTTP(w, r)
	})
}

// publicGatherer gathers the metrics of g without the tenant labels: the
// series that have one are summed into one series without it if they are
// counters or gauges, and dropped otherwise.
type publicGatherer struct{ g prometheus.Gatherer }

func (p publicGatherer) Gather() ([]*dto.MetricFamily, error) {
	families, err := p.g.Gather()
	out := families[:0]
	for _, f := range families {
		var kept []*dto.Metric
		sums := map[string]*dto.Metric{}
		for _, m := range f.Metric {
			labels := slices.DeleteFunc(slices.Clone(m.Label), func(l *dto.LabelPair) bool { return tenantLabels[l.GetName()] })
			if len(labels) == len(m.Label) {
				kept = append(kept, m)
				continue
			}
			var v float64
			switch {
			case m.Gauge != nil:
				v = m.Gauge.GetValue()
			case m.Counter != nil:
				v = m.Counter.GetValue()
			case m.Untyped != nil:
				v = m.Untyped.GetValue()
			default:
				continue // a histogram or summary per tenant: left out
			}
			var id strings.Builder
			for _, l := range labels {
				id.WriteString(l.GetName() + "=" + l.GetValue() + "\xff")
			}
			sum, ok := sums[id.String()]
			if !ok {
				sum = &dto.Metric{Label: labels}
				switch {
				case m.Gauge != nil:
					sum.Gauge = &dto.Gauge{Value: new(float64)}
				case m.Counter != nil:
					sum.Counter = &dto.Counter{Value: new(float64)}
				default:
					sum.Untyped = &dto.Untyped{Value: new(float64)}
				}
				sums[id.String()] = sum
				kept = append(kept, sum)
			}
			switch {
			case sum.Gauge != nil:
				*sum.Gauge.Value += v
			case sum.Counter != nil:
				*sum.Counter.Value += v
			default:
				*sum.Untyped.Value += v
			}
		}
		if len(sums) > 0 {
			help := f.GetHelp() + " Summed over workspaces: the detail is served with the metrics token."
			f.Help = &help
		}
		if f.Metric = kept; len(kept) > 0 {
			out = append(out, f)
		}
	}
	return out, err
}
