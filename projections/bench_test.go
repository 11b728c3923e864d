package projections_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"shenguan/eventstore"
	"shenguan/projections"
	"shenguan/projections/rmstore"
	"shenguan/projections/rmtest"
)

// benchEvents is the size of the log rebuilt by BenchmarkRebuild.
const benchEvents = 20000

// BenchmarkRebuild rebuilds the test projection (an upsert and an insert
// per event) from a log of benchEvents events, against a baseline measured
// in the same run: the same statements per event and a checkpoint update
// per page of 1000, committed every 10 000 events and pipelined the same
// way, with the events already in memory (no log reading, no runner).
// Both report events/s.
func BenchmarkRebuild(b *testing.B) {
	for _, be := range rmtest.Backends() {
		b.Run(be.Name, func(b *testing.B) {
			ctx := context.Background()
			s, db := be.Open(b)
			appendMany(b, s, "bench", benchEvents, 500, 50)
			var evs []eventstore.Event
			for pos := (eventstore.Position{}); ; {
				page, err := s.ReadAll(ctx, pos, 1000)
				if err != nil {
					b.Fatal(err)
				}
				evs = append(evs, page...)
				if len(page) < 1000 {
					break
				}
				pos = page[len(page)-1].Position
			}
			if len(evs) != benchEvents {
				b.Fatalf("read %d events, want %d", len(evs), benchEvents)
			}

			b.Run("projection", func(b *testing.B) {
				start := time.Now()
				for b.Loop() {
					if err := projections.Rebuild(ctx, s, db, []projections.Projection{newCounter()}, projections.RebuildOptions{}); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(benchEvents*b.N)/time.Since(start).Seconds(), "events/s")
			})

			b.Run("baseline", func(b *testing.B) {
				gen := 0
				start := time.Now()
				for b.Loop() {
					gen++
					baseline(b, ctx, db, evs, gen)
				}
				b.ReportMetric(float64(benchEvents*b.N)/time.Since(start).Seconds(), "events/s")
			})
		})
	}
}

// baseline writes the counter's rows for evs into fresh tables with plain
// pipelined statements and a checkpoint row.
func baseline(b *testing.B, ctx context.Context, db rmstore.DB, evs []eventstore.Event, gen int) {
	b.Helper()
	counts, applied := fmt.Sprintf("base_counts_%d", gen), fmt.Sprintf("base_applied_%d", gen)
	for _, q := range []string{
		`CREATE TABLE IF NOT EXISTS base_checkpoint (name TEXT PRIMARY KEY, major BIGINT NOT NULL, minor BIGINT NOT NULL)`,
		`INSERT INTO base_checkpoint (name, major, minor) VALUES ('base', 0, 0) ON CONFLICT (name) DO UPDATE SET major = 0, minor = 0`,
		`CREATE TABLE ` + counts + ` (stream TEXT PRIMARY KEY, n BIGINT NOT NULL, last_version BIGINT NOT NULL, last_type TEXT NOT NULL)`,
		`CREATE TABLE ` + applied + ` (event_id TEXT PRIMARY KEY, stream TEXT NOT NULL, version BIGINT NOT NULL)`,
	} {
		if _, err := db.Exec(ctx, q); err != nil {
			b.Fatal(err)
		}
	}
	up := `INSERT INTO ` + counts + ` (stream, n, last_version, last_type) VALUES ($1, 1, $2, $3)
		ON CONFLICT (stream) DO UPDATE SET n = ` + counts + `.n + 1, last_version = excluded.last_version, last_type = excluded.last_type`
	ins := `INSERT INTO ` + applied + ` (event_id, stream, version) VALUES ($1, $2, $3)`
	for i := 0; i < len(evs); i += 10000 {
		tx, err := db.Begin(ctx)
		if err != nil {
			b.Fatal(err)
		}
		for j := i; j < min(i+10000, len(evs)); j += 1000 {
			page := evs[j:min(j+1000, len(evs))]
			for _, e := range page {
				tx.Queue(up, e.StreamID, int64(e.Version), e.Type)
				tx.Queue(ins, e.ID, e.StreamID, int64(e.Version))
			}
			last := page[len(page)-1].Position
			tx.Queue(`UPDATE base_checkpoint SET major = $1, minor = $2 WHERE name = 'base'`, int64(last.Major), int64(last.Minor))
			if err := tx.Flush(ctx); err != nil {
				b.Fatal(err)
			}
		}
		if err := tx.Commit(ctx); err != nil {
			b.Fatal(err)
		}
	}
	for _, tb := range []string{counts, applied} {
		if _, err := db.Exec(ctx, `DROP TABLE `+tb); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFollowLag appends 500 events/s (one per append) for one second
// per iteration while a live runner follows, and reports the latency from
// an append's return until WaitFor sees it applied (p50, p99, max in ms).
// On PostgreSQL this includes the event store's visibility delay, which
// visible-p99-ms reports alone (append until the store's head passes it).
func BenchmarkFollowLag(b *testing.B) {
	for _, be := range rmtest.Backends() {
		b.Run(be.Name, func(b *testing.B) {
			s, db := be.Open(b)
			r := newRunner(b, s, db, projections.Options{}, newCounter())
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() { r.Run(ctx); close(done) }()
			defer func() { cancel(); <-done }()
			type sent struct {
				pos eventstore.Position
				at  time.Time
			}
			var lat, vis []time.Duration
			for b.Loop() {
				ch := make(chan sent, 1000)
				waited := make(chan struct{})
				go func() {
					defer close(waited)
					for x := range ch {
						// First until the store makes the event visible to readers…
						for {
							head, err := s.Head(ctx)
							if err != nil {
								b.Error(err)
								return
							}
							if head.Compare(x.pos) >= 0 {
								break
							}
							if err := s.WaitAfter(ctx, head); err != nil {
								b.Error(err)
								return
							}
						}
						vis = append(vis, time.Since(x.at))
						// …then until every projection has applied it.
						if err := r.WaitFor(ctx, x.pos); err != nil {
							b.Error(err)
							return
						}
						lat = append(lat, time.Since(x.at))
					}
				}()
				tick := time.NewTicker(2 * time.Millisecond)
				for i := range 500 {
					<-tick.C
					res, err := s.Append(ctx, eventstore.AppendRequest{Stream: fmt.Sprintf("lag-%d", i%50), Expected: eventstore.ExpectAny(),
						Events: []eventstore.NewEvent{rmtest.Event("test.happened", nil)}})
					if err != nil {
						b.Fatal(err)
					}
					ch <- sent{res.Position, time.Now()}
				}
				tick.Stop()
				close(ch)
				<-waited
			}
			slices.Sort(lat)
			slices.Sort(vis)
			if len(lat) > 0 {
				q := func(d []time.Duration, f float64) float64 { return float64(d[int(f*float64(len(d)-1))]) / 1e6 }
				b.ReportMetric(q(lat, 0.5), "p50-ms")
				b.ReportMetric(q(lat, 0.99), "p99-ms")
				b.ReportMetric(q(lat, 1), "max-ms")
				b.ReportMetric(q(vis, 0.99), "visible-p99-ms")
			}
		})
	}
}

// BenchmarkWaitFor drives mutations at 200/s (open loop: one goroutine per
// tick) against a live runner of ten counter projections, as the GraphQL
// API does: append one event, then WaitFor its position. It reports the
// latency of the whole mutation (append + WaitFor) and of WaitFor alone
// (p50, p99 in ms).
func BenchmarkWaitFor(b *testing.B) {
	for _, be := range rmtest.Backends() {
		b.Run(be.Name, func(b *testing.B) {
			s, db := be.Open(b)
			var ps []projections.Projection
			for i := range 10 {
				ps = append(ps, namedCounter(fmt.Sprintf("counter%d", i)))
			}
			r := newRunner(b, s, db, projections.Options{}, ps...)
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() { r.Run(ctx); close(done) }()
			defer func() { cancel(); <-done }()
			// Warm up: every projection set up and following.
			pos := appendMany(b, s, "warm", 10, 10, 1)
			if err := r.WaitFor(ctx, pos); err != nil {
				b.Fatal(err)
			}
			var (
				mu        sync.Mutex
				total, wf []time.Duration
			)
			for b.Loop() {
				tick := time.NewTicker(5 * time.Millisecond)
				var wg sync.WaitGroup
				for i := range 200 {
					<-tick.C
					wg.Add(1)
					go func() {
						defer wg.Done()
						start := time.Now()
						res, err := s.Append(ctx, eventstore.AppendRequest{Stream: fmt.Sprintf("wait-%d", i%50), Expected: eventstore.ExpectAny(),
							Events: []eventstore.NewEvent{rmtest.Event("test.happened", nil)}})
						if err != nil {
							b.Error(err)
							return
						}
						appended := time.Now()
						if err := r.WaitFor(ctx, res.Position); err != nil {
							b.Error(err)
							return
						}
						end := time.Now()
						mu.Lock()
						total = append(total, end.Sub(start))
						wf = append(wf, end.Sub(appended))
						mu.Unlock()
					}()
				}
				tick.Stop()
				wg.Wait()
			}
			slices.Sort(total)
			slices.Sort(wf)
			if len(total) > 0 {
				q := func(d []time.Duration, f float64) float64 { return float64(d[int(f*float64(len(d)-1))]) / 1e6 }
				b.ReportMetric(q(total, 0.5), "p50-ms")
				b.ReportMetric(q(total, 0.99), "p99-ms")
				b.ReportMetric(q(wf, 0.5), "wait-p50-ms")
				b.ReportMetric(q(wf, 0.99), "wait-p99-ms")
			}
		})
	}
}
