package service

import (
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"shenguan/domain"
)

// serviceMetrics measures the write side: how long the command loop takes
// (read the stream, decide, append: the append latency a caller sees) and
// how long a write then waits for the projections (read-your-writes).
type serviceMetrics struct {
	command *prometheus.HistogramVec
	wait    prometheus.Histogram
}

var latencyBuckets = []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

func newServiceMetrics() serviceMetrics {
	return serviceMetrics{
		command: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "shenguan_command_duration_seconds",
			Help:    "Latency of the command loop (load, decide, append) by command and outcome (ok, refused, error).",
			Buckets: latencyBuckets,
		}, []string{"command", "outcome"}),
		wait: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "shenguan_command_projection_wait_seconds",
			Help:    "Time a write waits until every projection has applied it (read-your-writes).",
			Buckets: latencyBuckets,
		}),
	}
}

func (m serviceMetrics) observeCommand(what string, start time.Time, err error) {
	outcome := "ok"
	var de *domain.Error
	switch {
	case errors.As(err, &de):
		outcome = "refused"
	case err != nil:
		outcome = "error"
	}
	m.command.WithLabelValues(what, outcome).Observe(time.Since(start).Seconds())
}

// Collectors returns the service's Prometheus collectors for /metrics.
func (s *Service) Collectors() []prometheus.Collector {
	return []prometheus.Collector{s.metrics.command, s.metrics.wait}
}
