package webhook

import (
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	sb "github.com/switchboardhq/switchboard"
)

// metrics are the Dispatcher's Prometheus metrics.
type metrics struct {
	deliveries *prometheus.CounterVec   // final outcomes
	attempts   *prometheus.HistogramVec // attempt latency by result (its count is the attempts)
	batchSize  prometheus.Histogram
	queued     prometheus.Gauge // in this process's lanes
	backlog    *backlogCollector
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_webhook_deliveries_total",
			Help: "Deliveries that reached a final outcome in this process: succeeded or failed (retries exhausted, 410, or endpoint disabled).",
		}, []string{"outcome"}),
		attempts: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "switchboard_webhook_attempt_duration_seconds",
			Help:    "Time from sending a delivery attempt to reading its response, by result (succeeded, retry, gone).",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 15, 30},
		}, []string{"result"}),
		batchSize: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "switchboard_webhook_outcome_batch_size",
			Help:    "Attempt outcomes recorded per database transaction.",
			Buckets: []float64{1, 2, 5, 10, 20, 50, 100, 200, 500, 1000},
		}),
		queued: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "switchboard_webhook_queued_deliveries",
			Help: "Deliveries waiting in this process's in-memory endpoint queues.",
		}),
		backlog: &backlogCollector{
			depth: prometheus.NewDesc("switchboard_webhook_queue_depth",
				"Pending deliveries per endpoint, in the database (all processes).", []string{"endpoint_id"}, nil),
			oldest: prometheus.NewDesc("switchboard_webhook_oldest_pending_seconds",
				"How long the most overdue pending delivery has been due (0 when none is).", nil, nil),
		},
	}
	if reg != nil {
		reg.MustRegister(m.collectors()...)
	}
	return m
}

func (m *metrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{m.deliveries, m.attempts, m.batchSize, m.queued, m.backlog}
}

// Collectors returns the Dispatcher's metrics, to register with a
// registry other than Config.Registry.
func (d *Dispatcher) Collectors() []prometheus.Collector { return d.m.collectors() }

func (m *metrics) attempt(r AttemptResult, d time.Duration) {
	m.attempts.WithLabelValues(resultLabel(r)).Observe(d.Seconds())
}

func resultLabel(r AttemptResult) string {
	switch r {
	case AttemptSucceeded:
		return "succeeded"
	case AttemptDisableEndpoint:
		return "gone"
	}
	return "retry"
}

func (m *metrics) outcome(o *outcome) {
	switch o.d.Status {
	case sb.DeliverySucceeded, sb.DeliveryFailed:
		m.deliveries.WithLabelValues(o.d.Status).Inc()
	}
}

func (m *metrics) setBacklog(b []sb.EndpointBacklog, now time.Time) {
	c := m.backlog
	c.mu.Lock()
	defer c.mu.Unlock()
	c.entries = b
	c.oldestSeconds = 0
	for _, e := range b {
		if age := now.Sub(e.OldestDue).Seconds(); age > c.oldestSeconds {
			c.oldestSeconds = age
		}
	}
}

// backlogCollector serves the last backlog read from the database.
type backlogCollector struct {
	depth, oldest *prometheus.Desc
	mu            sync.Mutex
	entries       []sb.EndpointBacklog
	oldestSeconds float64
}

func (c *backlogCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.depth
	ch <- c.oldest
}

func (c *backlogCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, e := range c.entries {
		ch <- prometheus.MustNewConstMetric(c.depth, prometheus.GaugeValue, float64(e.Pending), e.EndpointID)
	}
	ch <- prometheus.MustNewConstMetric(c.oldest, prometheus.GaugeValue, c.oldestSeconds)
}
