package pipeline

import (
	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the pipeline's Prometheus metrics.
type metrics struct {
	inbound   *prometheus.CounterVec   // by channel type and result
	sends     *prometheus.CounterVec   // by channel type and outcome
	sendTime  *prometheus.HistogramVec // platform call time, by channel type
	turns     *prometheus.CounterVec   // by engine and outcome
	batchSize prometheus.Histogram
	splits    prometheus.Counter
	pending   prometheus.GaugeFunc
	tokens    *prometheus.CounterVec // by bot, model and kind (turns.go)
}

func newMetrics(p *Pipeline) *metrics {
	return &metrics{
		inbound: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_inbound_messages_total",
			Help: "Inbound platform messages by channel type and result: stored, or duplicate (received before, dropped).",
		}, []string{"channel_type", "result"}),
		sends: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_sends_total",
			Help: "Attempts to send outbound messages by channel type and outcome: sent, retried, or failed (final).",
		}, []string{"channel_type", "outcome"}),
		sendTime: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "switchboard_send_duration_seconds",
			Help:    "Time a platform took to answer a send, by channel type.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 20},
		}, []string{"channel_type"}),
		turns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_bot_turns_total",
			Help: "Bot turns by engine and outcome: answered, silent (no reply, or the conversation was no longer the bot's), not_deployed (the bot has no deployed version), retried, error (bot.error).",
		}, []string{"engine", "outcome"}),
		batchSize: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "switchboard_pipeline_commit_batch_size",
			Help:    "Pipeline writes (ingests, claims, outcomes) grouped into one database transaction.",
			Buckets: []float64{1, 2, 4, 8, 16, 32, 64, 128, 256},
		}),
		splits: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "switchboard_pipeline_commit_splits_total",
			Help: "Grouped transactions that failed (a row lock waited for too long, a deadlock, one write's error) and were written again write by write.",
		}),
		pending: prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "switchboard_pipeline_jobs_in_memory",
			Help: "Bot turns and sends handed to this process's workers, waiting or running.",
		}, func() float64 { return float64(p.jobs.Len()) }),
		tokens: newTokenCounter(),
	}
}

// Collectors returns the pipeline's metrics, to register with the
// process's registry.
func (p *Pipeline) Collectors() []prometheus.Collector {
	m := p.metrics
	return []prometheus.Collector{m.inbound, m.sends, m.sendTime, m.turns, m.batchSize, m.splits, m.pending, m.tokens}
}
