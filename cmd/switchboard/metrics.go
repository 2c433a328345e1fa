package main

import (
	"database/sql"

	"github.com/prometheus/client_golang/prometheus"
)

// registerPoolMetrics exports the statistics of one database pool.
func registerPoolMetrics(reg prometheus.Registerer, pool string, stats func() sql.DBStats) {
	gauge := func(name, help string, v func(sql.DBStats) float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "switchboard_db_" + name, Help: help, ConstLabels: prometheus.Labels{"pool": pool},
		}, func() float64 { return v(stats()) })
	}
	counter := func(name, help string, v func(sql.DBStats) float64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "switchboard_db_" + name, Help: help, ConstLabels: prometheus.Labels{"pool": pool},
		}, func() float64 { return v(stats()) })
	}
	reg.MustRegister(
		gauge("open_connections", "Open connections of the database pool.", func(s sql.DBStats) float64 { return float64(s.OpenConnections) }),
		gauge("in_use_connections", "Connections in use.", func(s sql.DBStats) float64 { return float64(s.InUse) }),
		gauge("idle_connections", "Idle connections.", func(s sql.DBStats) float64 { return float64(s.Idle) }),
		counter("wait_count_total", "Times a caller waited for a connection.", func(s sql.DBStats) float64 { return float64(s.WaitCount) }),
		counter("wait_seconds_total", "Time spent waiting for a connection.", func(s sql.DBStats) float64 { return s.WaitDuration.Seconds() }),
	)
}
