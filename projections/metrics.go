package projections

import (
	"context"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"shenguan/eventstore"
)

// Stats describes one projection as seen by this replica.
type Stats struct {
	Projection string
	Generation int64
	// Leader reports whether this replica runs the projection.
	Leader     bool
	Checkpoint eventstore.Position
	Head       eventstore.Position
	// Behind reports whether the checkpoint is before the log's head.
	Behind bool
	// Lag is how long the oldest event not yet applied has been in the log
	// (now minus its recorded-at); zero when not behind.
	Lag time.Duration
	// Applied counts events this replica applied since it started.
	Applied uint64
	// PerSecond is this replica's apply rate over the last 10 s.
	PerSecond float64
	// LastCommit is when this replica last committed a batch.
	LastCommit time.Time
	// LastError is the last failure of this replica's runner, cleared by
	// the next successful commit.
	LastError error
}

// Stats returns the state of every projection: it reads the checkpoints and
// the log's head, and the first unapplied event of each projection that is
// behind (to measure Lag).
func (r *Runner) Stats(ctx context.Context) ([]Stats, error) {
	if err := r.Setup(ctx); err != nil {
		return nil, err
	}
	if err := r.refresh(ctx); err != nil {
		return nil, err
	}
	head, err := r.store.Head(ctx)
	if err != nil {
		return nil, fmt.Errorf("projections: stats: head: %w", err)
	}
	now := time.Now()
	out := make([]Stats, 0, len(r.projs))
	for _, t := range r.projs {
		t.mu.Lock()
		s := Stats{Projection: t.p.Name(), Generation: t.gen, Leader: t.leader, Checkpoint: t.pos, Head: head,
			Applied: t.applied, LastCommit: t.lastCommit, LastError: t.lastErr}
		if n := len(t.samples); n > 0 {
			first, last := t.samples[0], t.samples[n-1]
			span := now.Sub(first.at)
			if n == 1 || span < time.Second {
				span = time.Second
			}
			if now.Sub(last.at) <= rateWindow {
				s.PerSecond = float64(last.n-first.n) / span.Seconds()
			}
		}
		t.mu.Unlock()
		if s.Checkpoint.Compare(head) < 0 {
			s.Behind = true
			evs, err := r.store.ReadAll(ctx, s.Checkpoint, 1)
			if err != nil {
				return nil, fmt.Errorf("projections: stats: %w", err)
			}
			if len(evs) == 1 {
				s.Lag = max(0, now.Sub(evs[0].RecordedAt))
			}
		}
		out = append(out, s)
	}
	return out, nil
}

var (
	descLag = prometheus.NewDesc("shenguan_projection_lag_seconds",
		"Age of the oldest event a projection has not applied yet (0 when caught up).", []string{"projection"}, nil)
	descBehind = prometheus.NewDesc("shenguan_projection_behind",
		"1 when the projection's checkpoint is before the log's head.", []string{"projection"}, nil)
	descApplied = prometheus.NewDesc("shenguan_projection_events_applied_total",
		"Events applied by this replica.", []string{"projection"}, nil)
	descRate = prometheus.NewDesc("shenguan_projection_events_per_second",
		"Events applied per second by this replica over the last 10 s.", []string{"projection"}, nil)
	descLeader = prometheus.NewDesc("shenguan_projection_leader",
		"1 when this replica runs the projection.", []string{"projection"}, nil)
	descGeneration = prometheus.NewDesc("shenguan_projection_generation",
		"The projection's active table generation.", []string{"projection"}, nil)
	descUp = prometheus.NewDesc("shenguan_projection_stats_up",
		"1 when the projection stats could be read.", nil, nil)
)

// Collector returns a Prometheus collector of the runner's Stats, for
// serve to register. Each scrape reads the stats with a 5 s timeout.
func (r *Runner) Collector() prometheus.Collector { return collector{r} }

type collector struct{ r *Runner }

func (c collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descLag, descBehind, descApplied, descRate, descLeader, descGeneration, descUp} {
		ch <- d
	}
}

func (c collector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	stats, err := c.r.Stats(ctx)
	if err != nil {
		ch <- prometheus.MustNewConstMetric(descUp, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(descUp, prometheus.GaugeValue, 1)
	b := func(v bool) float64 {
		if v {
			return 1
		}
		return 0
	}
	for _, s := range stats {
		ch <- prometheus.MustNewConstMetric(descLag, prometheus.GaugeValue, s.Lag.Seconds(), s.Projection)
		ch <- prometheus.MustNewConstMetric(descBehind, prometheus.GaugeValue, b(s.Behind), s.Projection)
		ch <- prometheus.MustNewConstMetric(descApplied, prometheus.CounterValue, float64(s.Applied), s.Projection)
		ch <- prometheus.MustNewConstMetric(descRate, prometheus.GaugeValue, s.PerSecond, s.Projection)
		ch <- prometheus.MustNewConstMetric(descLeader, prometheus.GaugeValue, b(s.Leader), s.Projection)
		ch <- prometheus.MustNewConstMetric(descGeneration, prometheus.GaugeValue, float64(s.Generation), s.Projection)
	}
}
