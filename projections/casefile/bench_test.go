package casefile_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"shenguan/domain"
	"shenguan/domain/cases"
	"shenguan/domain/directory"
	"shenguan/domain/subject"
	"shenguan/eventstore"
	"shenguan/eventstore/postgres/pgtest"
	"shenguan/eventstore/sqlite"
	"shenguan/projections"
	"shenguan/projections/readmodels"
	"shenguan/projections/rmstore"
	"shenguan/projections/rmtest"
)

// BenchmarkRebuildAll rebuilds every read model the service runs
// (readmodels.All) over a generated district and, in the same run, a
// baseline of plain upserts (one per event, by its id) with the checkpoint
// row, read and batched the same way (pages of 1 000 events, a commit every
// 10 000), and the same baseline keyed by the events' positions for
// reference. Events live in a SQLite event store; the read models in
// SQLite and in PostgreSQL.
//
// SHENGUAN_BENCH_CASES sets the number of cases (default 2 000, about 10
// events each); use 100000 by hand for the district (and
// SHENGUAN_BENCH_STORE to keep it between runs).
func BenchmarkRebuildAll(b *testing.B) {
	n := 2000
	if s := os.Getenv("SHENGUAN_BENCH_CASES"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v <= 0 {
			b.Fatalf("SHENGUAN_BENCH_CASES=%q: want a positive number", s)
		}
		n = v
	}
	ctx := context.Background()
	// SHENGUAN_BENCH_STORE names an event store file to keep the district
	// in: generated when the file is new, reused as it is otherwise (the
	// generator is deterministic; a file from another number of cases is
	// refused).
	path := os.Getenv("SHENGUAN_BENCH_STORE")
	reuse := false
	if path == "" {
		path = filepath.Join(b.TempDir(), "events.db")
	} else if _, err := os.Stat(path + ".cases"); err == nil {
		reuse = true
	} else if _, err := os.Stat(path); err == nil {
		b.Fatalf("%s exists but holds no finished district (no %s.cases): remove it", path, path)
	}
	store, err := sqlite.Open(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	var events int
	if reuse {
		kept, err := os.ReadFile(path + ".cases")
		if err != nil || string(kept) != strconv.Itoa(n) {
			b.Fatalf("%s holds a district of %q cases, not %d", path, kept, n)
		}
		head, err := store.Head(ctx)
		if err != nil {
			b.Fatal(err)
		}
		events = int(head.Major) // positions are 1, 2, … on SQLite
		b.Logf("reused %d cases, %d events from %s", n, events, path)
	} else {
		start := time.Now()
		events = generate(b, ctx, store, n)
		b.Logf("generated %d cases, %d events in %v", n, events, time.Since(start).Round(time.Millisecond))
		if os.Getenv("SHENGUAN_BENCH_STORE") != "" {
			if err := os.WriteFile(path+".cases", []byte(strconv.Itoa(n)), 0o644); err != nil {
				b.Fatal(err)
			}
		}
	}

	backends := []struct {
		name string
		open func(b *testing.B) rmstore.DB
	}{
		{"sqlite", func(b *testing.B) rmstore.DB {
			db, err := rmstore.OpenSQLite(ctx, filepath.Join(b.TempDir(), "readmodels.db"))
			if err != nil {
				b.Fatal(err)
			}
			return db
		}},
		{"postgres", func(b *testing.B) rmstore.DB {
			db, err := rmstore.OpenPostgres(ctx, pgtest.NewDatabase(b))
			if err != nil {
				b.Fatal(err)
			}
			return db
		}},
	}
	for _, be := range backends {
		b.Run(be.name+"/projections", func(b *testing.B) {
			measure(b, events, func() {
				b.StopTimer()
				db := be.open(b)
				defer db.Close()
				r, err := projections.New(store, db, projections.Options{}, allReadModels()...)
				if err != nil {
					b.Fatal(err)
				}
				if err := r.Setup(ctx); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				if err := projections.Rebuild(ctx, store, db, allReadModels(), projections.RebuildOptions{}); err != nil {
					b.Fatal(err)
				}
			})
		})
		// The baseline upserts each event by its id; the second
		// keys it by its position in the log, so that rows arrive in key
		// order (the cheapest case for a B-tree), for reference.
		for _, byPosition := range []bool{false, true} {
			name := be.name + "/baseline"
			if byPosition {
				name += "-by-position"
			}
			b.Run(name, func(b *testing.B) {
				measure(b, events, func() {
					b.StopTimer()
					db := be.open(b)
					defer db.Close()
					key := `id TEXT PRIMARY KEY, pos BIGINT NOT NULL`
					if byPosition {
						key = `id TEXT NOT NULL, pos BIGINT PRIMARY KEY`
					}
					for _, q := range []string{
						`CREATE TABLE base (` + key + `, stream TEXT NOT NULL, type TEXT NOT NULL, version BIGINT NOT NULL, data TEXT NOT NULL)`,
						`CREATE TABLE base_checkpoint (id BIGINT PRIMARY KEY, major BIGINT NOT NULL, minor BIGINT NOT NULL)`,
						`INSERT INTO base_checkpoint (id, major, minor) VALUES (1, 0, 0)`,
					} {
						if _, err := db.Exec(ctx, q); err != nil {
							b.Fatal(err)
						}
					}
					b.StartTimer()
					if err := baseline(ctx, store, db, byPosition); err != nil {
						b.Fatal(err)
					}
				})
			})
		}
	}
}

// allReadModels returns every read model the service runs.
func allReadModels() []projections.Projection { return readmodels.All() }

// measure runs fn b.N times and reports events/s and the peak heap in use.
func measure(b *testing.B, events int, fn func()) {
	var peak atomic.Uint64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		var ms runtime.MemStats
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				runtime.ReadMemStats(&ms)
				if ms.HeapInuse > peak.Load() {
					peak.Store(ms.HeapInuse)
				}
			}
		}
	}()
	// SHENGUAN_BENCH_CPUPROFILE=prefix writes a CPU profile of each
	// measured part and its untimed setup (opening the store, Setup), but
	// not the district's generation, to prefix-<benchmark>.prof. Do not
	// combine it with -test.cpuprofile.
	if prefix := os.Getenv("SHENGUAN_BENCH_CPUPROFILE"); prefix != "" {
		f, err := os.Create(prefix + "-" + strings.ReplaceAll(b.Name(), "/", "_") + ".prof")
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			b.Fatal(err)
		}
		defer pprof.StopCPUProfile()
	}
	b.ResetTimer()
	for range b.N {
		fn()
	}
	b.StopTimer()
	close(stop)
	<-done
	b.ReportMetric(float64(events)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MB")
}

// baseline reads the log like Rebuild (pages of 1 000 prefetched, a commit
// every 10 000 events, on SQLite the same page cache) and writes one plain
// upsert per event and the checkpoint row.
func baseline(ctx context.Context, store eventstore.Store, db rmstore.DB, byPosition bool) error {
	const readBatch, commitEvery = 1000, 10000
	upsert := `INSERT INTO base (id, pos, stream, type, version, data) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (id) DO UPDATE SET pos = excluded.pos, stream = excluded.stream, type = excluded.type,
		version = excluded.version, data = excluded.data`
	if byPosition {
		upsert = `INSERT INTO base (id, pos, stream, type, version, data) VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT (pos) DO UPDATE SET id = excluded.id, stream = excluded.stream, type = excluded.type,
			version = excluded.version, data = excluded.data`
	}
	pages := make(chan []eventstore.Event, 4)
	errc := make(chan error, 1)
	go func() {
		defer close(pages)
		var pos eventstore.Position
		for {
			evs, err := store.ReadAll(ctx, pos, readBatch)
			if err != nil {
				errc <- err
				return
			}
			if len(evs) > 0 {
				pages <- evs
				pos = evs[len(evs)-1].Position
			}
			if len(evs) < readBatch {
				return
			}
		}
	}()
	var tx rmstore.Tx
	n := 0
	for evs := range pages {
		if tx == nil {
			var err error
			if tx, err = db.Begin(ctx); err != nil {
				return err
			}
			if db.Dialect() == rmstore.SQLite {
				// The page cache Rebuild sets for its transactions.
				if _, err := tx.Exec(ctx, `PRAGMA cache_size = -65536`); err != nil {
					return err
				}
			}
		}
		for _, e := range evs {
			tx.Queue(upsert, e.ID, int64(e.Position.Major), e.StreamID, e.Type, int64(e.Version), string(e.Data))
		}
		last := evs[len(evs)-1].Position
		tx.Queue(`UPDATE base_checkpoint SET major = $1, minor = $2 WHERE id = 1`, int64(last.Major), int64(last.Minor))
		n += len(evs)
		if n >= commitEvery {
			if err := tx.Commit(ctx); err != nil {
				return err
			}
			tx, n = nil, 0
		}
	}
	if tx != nil {
		if err := tx.Commit(ctx); err != nil {
			return err
		}
	}
	select {
	case err := <-errc:
		return err
	default:
		return nil
	}
}

// BenchmarkFollowLagCases appends case events at 500 events/s (one per
// append: a push, then the two receipts of an earlier push) for one second
// per iteration while a live runner follows with the case, obligation and
// scorecard read models, and reports the latency from an append's return
// until WaitFor sees it applied by all three (p50, p99, max in ms). The read
// models start from a district of SHENGUAN_BENCH_LAG_CASES cases (default
// 2 000) so that their tables are not empty. The load starts once the
// runner follows: start-ms is the latency of one append made just after the
// runner started (every read model takes its leadership and joins first).
func BenchmarkFollowLagCases(b *testing.B) {
	n := 2000
	if s := os.Getenv("SHENGUAN_BENCH_LAG_CASES"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 0 {
			b.Fatalf("SHENGUAN_BENCH_LAG_CASES=%q: want a number", s)
		}
		n = v
	}
	for _, be := range rmtest.Backends() {
		b.Run(be.Name, func(b *testing.B) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			store, db := be.Open(b)
			generate(b, ctx, store, n)
			r, err := projections.New(store, db, projections.Options{}, scorecardProjections()...)
			if err != nil {
				b.Fatal(err)
			}
			if err := r.RunToEnd(ctx); err != nil {
				b.Fatal(err)
			}
			done := make(chan struct{})
			go func() { r.Run(ctx); close(done) }()
			defer func() { cancel(); <-done }()
			append1 := func(i int) (eventstore.Position, bool) {
				stream, ev := lagEvent(i)
				data, err := json.Marshal(ev)
				if err != nil {
					b.Error(err)
					return eventstore.Position{}, false
				}
				res, err := store.Append(ctx, eventstore.AppendRequest{Stream: stream, Expected: eventstore.ExpectAny(),
					Events: []eventstore.NewEvent{{Type: ev.EventType(), Data: data,
						Metadata: eventstore.Metadata{ActorID: "gen", OccurredAt: occurred(ev)}}}})
				if err != nil {
					b.Error(err)
					return eventstore.Position{}, false
				}
				return res.Position, true
			}
			// The steady state is measured: the first append after the
			// runner starts waits until every read model has taken its
			// leadership (on PostgreSQL a lock on a connection of its own)
			// and joined the follow group. That start is reported apart.
			start := time.Now()
			pos, ok := append1(0)
			if !ok {
				b.FailNow()
			}
			if err := r.WaitFor(ctx, pos); err != nil {
				b.Fatal(err)
			}
			startLag := time.Since(start)
			var lat []time.Duration
			next := 1
			for b.Loop() {
				type sent struct {
					pos eventstore.Position
					at  time.Time
				}
				ch := make(chan sent, 1000)
				waited := make(chan struct{})
				go func() {
					defer close(waited)
					for x := range ch {
						if err := r.WaitFor(ctx, x.pos); err != nil {
							b.Error(err)
							return
						}
						lat = append(lat, time.Since(x.at))
					}
				}()
				// Appends run concurrently (one goroutine per tick) so that
				// a slow append does not lower the rate.
				tick := time.NewTicker(2 * time.Millisecond)
				var wg sync.WaitGroup
				for range 500 {
					<-tick.C
					i := next
					next++
					wg.Add(1)
					go func() {
						defer wg.Done()
						if pos, ok := append1(i); ok {
							ch <- sent{pos, time.Now()}
						}
					}()
				}
				tick.Stop()
				wg.Wait()
				close(ch)
				<-waited
			}
			slices.Sort(lat)
			if len(lat) > 0 {
				q := func(f float64) float64 { return float64(lat[int(f*float64(len(lat)-1))]) / 1e6 }
				b.ReportMetric(q(0.5), "p50-ms")
				b.ReportMetric(q(0.99), "p99-ms")
				b.ReportMetric(q(1), "max-ms")
			}
			b.ReportMetric(float64(startLag)/1e6, "start-ms")
		})
	}
}

// lagEvent returns the i-th event of the lag benchmark: every third a push
// of a new case, the others the receipts of the case pushed 20 pushes
// before (appends run concurrently; the distance keeps a receipt after its
// push), or more pushes at the start.
func lagEvent(i int) (string, domain.Event) {
	k := i / 3
	if i%3 != 0 {
		if k < 20 {
			return lagPush(fmt.Sprintf("lagx%06d", i), k)
		}
		k -= 20
	}
	id := fmt.Sprintf("lag%06d", k)
	if i%3 == 0 {
		return lagPush(id, k)
	}
	u := fmt.Sprintf("u-s%02d", (k+i%3-1)%30)
	return cases.StreamID(id), cases.Received{CaseID: id, Unit: u, By: "gen", Round: 1, At: lagPushedAt(k).Add(2 * time.Hour)}
}

func lagPushedAt(k int) time.Time { return at(1, 6, 9).Add(time.Duration(k%300) * 24 * time.Hour) }

func lagPush(id string, k int) (string, domain.Event) {
	appr, s1, s2 := fmt.Sprintf("u-a%02d", k%12), fmt.Sprintf("u-s%02d", k%30), fmt.Sprintf("u-s%02d", (k+1)%30)
	m := cases.MatterSnapshot{Code: fmt.Sprintf("M-%03d", k%200), Name: "事项", ApprovingUnit: appr,
		SupervisingUnits: []string{s1, s2}, CommitmentApplies: true, MajorRisk: directory.RiskNone}
	return cases.StreamID(id), cases.Pushed{CaseID: id, ApprovingUnit: appr, By: "gen", Matter: m,
		Subject: cases.Subject{Kind: subject.KindOrganisation, ID: firm, Name: "某公司"}, Outcome: cases.OutcomeGranted,
		DecidedAt: lagPushedAt(k).Add(-time.Hour), Mode: cases.ModeStandard, Documents: docs(false),
		AddressedUnits: []string{s1, s2}, At: lagPushedAt(k)}
}
