package postgres

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

var (
	descOldest = prometheus.NewDesc("shenguan_eventstore_oldest_transaction_seconds",
		"Age of the oldest running transaction in the PostgreSQL cluster that holds a transaction id: readers of the global log may be held back this long.", nil, nil)
	descHidden = prometheus.NewDesc("shenguan_eventstore_hidden_events",
		"Committed events not yet visible in the global log because an older transaction is still running.", nil, nil)
	descRunning = prometheus.NewDesc("shenguan_eventstore_running_xids",
		"Width of the window of transaction ids that may still be running (next id minus the snapshot xmin).", nil, nil)
	descStatsUp = prometheus.NewDesc("shenguan_eventstore_stats_up",
		"1 when the event store's visibility stats could be read.", nil, nil)
)

// Collector returns a Prometheus collector of the store's visibility Stats
// (OldestTransaction, HiddenEvents, RunningXIDs), for serve to register:
// reg.MustRegister(store.Collector()). Each scrape runs Stats once, with a
// 5 s timeout; when that fails only shenguan_eventstore_stats_up (0) is
// reported.
func (s *Store) Collector() prometheus.Collector { return statsCollector{s} }

type statsCollector struct{ s *Store }

func (c statsCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descOldest, descHidden, descRunning, descStatsUp} {
		ch <- d
	}
}

func (c statsCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	st, err := c.s.Stats(ctx)
	if err != nil {
		ch <- prometheus.MustNewConstMetric(descStatsUp, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(descStatsUp, prometheus.GaugeValue, 1)
	ch <- prometheus.MustNewConstMetric(descOldest, prometheus.GaugeValue, st.OldestTransaction.Seconds())
	ch <- prometheus.MustNewConstMetric(descHidden, prometheus.GaugeValue, float64(st.HiddenEvents))
	ch <- prometheus.MustNewConstMetric(descRunning, prometheus.GaugeValue, float64(st.RunningXIDs))
}
