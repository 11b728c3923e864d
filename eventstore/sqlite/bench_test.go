package sqlite_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"shenguan/eventstore"
	"shenguan/eventstore/sqlite"
)

// benchPayload is a ~500-byte JSON event body, like a case event.
var benchPayload = func() json.RawMessage {
	d := map[string]any{
		"caseId":      "C-2025-000123",
		"unifiedCode": "91110105MA01ABCDE1",
		"name":        "北京某某餐饮管理有限公司朝阳第一分店",
		"licence":     "食品经营许可证",
		"approver":    map[string]string{"unit": "区政务服务和数据管理局", "user": "u-000042"},
		"supervisor":  map[string]string{"unit": "区市场监督管理局", "user": ""},
		"items":       []string{"预包装食品销售", "散装食品销售", "热食类食品制售"},
		"decidedAt":   "2025-03-14T09:26:53.589793+08:00",
		"note":        "申请人材料齐全，符合法定形式，准予许可。",
	}
	b, _ := json.Marshal(d)
	for len(b) < 500 {
		d["pad"] = strings.Repeat("x", 500-len(b)+len(fmt.Sprint(d["pad"])))
		b, _ = json.Marshal(d)
	}
	return b
}()

const plainSchema = `CREATE TABLE plain (
	seq INTEGER PRIMARY KEY,
	id TEXT NOT NULL, stream TEXT NOT NULL, version INTEGER NOT NULL, type TEXT NOT NULL,
	schema_version INTEGER NOT NULL, data BLOB NOT NULL,
	actor_id TEXT NOT NULL, actor_unit TEXT NOT NULL, command_id TEXT NOT NULL,
	correlation_id TEXT NOT NULL, causation_id TEXT NOT NULL,
	occurred_at INTEGER NOT NULL, recorded_at INTEGER NOT NULL,
	prev_hash BLOB NOT NULL, hash BLOB NOT NULL)`

const plainInsert = `INSERT INTO plain (id, stream, version, type, schema_version, data,
	actor_id, actor_unit, command_id, correlation_id, causation_id, occurred_at, recorded_at, prev_hash, hash)
	VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`

// openPlain opens a plain SQLite database with the store's settings (WAL,
// synchronous=FULL, one connection, as SQLite writers are serialised anyway).
func openPlain(b *testing.B, path string) *sql.DB {
	b.Helper()
	db, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_txlock=immediate")
	if err != nil {
		b.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	if _, err := db.Exec(plainSchema); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	return db
}

var benchMeta = eventstore.Metadata{ActorID: "u-000042", ActorUnit: "区市场监督管理局", CorrelationID: "corr", CausationID: "cause"}

// runWriters runs ops operations spread over writers goroutines and
// returns how long they took.
func runWriters(writers, ops int, op func(w int) error) (time.Duration, error) {
	var next atomic.Int64
	var wg sync.WaitGroup
	var firstErr error
	var errOnce sync.Once
	start := time.Now()
	for w := range writers {
		wg.Go(func() {
			for next.Add(1) <= int64(ops) {
				if err := op(w); err != nil {
					errOnce.Do(func() { firstErr = err })
					return
				}
			}
		})
	}
	wg.Wait()
	return time.Since(start), firstErr
}

// interleave runs b.N operations of the store and b.N of the baseline in
// alternating phases, so that drift in the machine's disk and CPU (fsync
// latency varies a lot on shared virtual disks) hits both alike, and
// reports both rates and their ratio.
func interleave(b *testing.B, phase int, perOp int, store, plain func(n int) (time.Duration, error)) {
	b.Helper()
	var ts, tp time.Duration
	b.ResetTimer()
	for done := 0; done < b.N; {
		n := min(phase, b.N-done)
		d, err := store(n)
		if err != nil {
			b.Fatalf("store: %v", err)
		}
		ts += d
		if d, err = plain(n); err != nil {
			b.Fatalf("plain: %v", err)
		}
		tp += d
		done += n
	}
	b.StopTimer()
	sr := float64(b.N*perOp) / ts.Seconds()
	pr := float64(b.N*perOp) / tp.Seconds()
	b.ReportMetric(sr, "store-events/s")
	b.ReportMetric(pr, "plain-events/s")
	b.ReportMetric(sr/pr, "store/plain")
}

// BenchmarkAppend compares Append (expected version, command id, hash chain,
// gap-free positions) with plain INSERTs of the same rows into a plain table,
// one transaction per append, on a database with the same settings.
func BenchmarkAppend(b *testing.B) {
	for _, batch := range []int{1, 100} {
		for _, writers := range []int{1, 16} {
			b.Run(fmt.Sprintf("batch=%d/writers=%d", batch, writers), func(b *testing.B) {
				dir := b.TempDir()
				s, err := sqlite.Open(context.Background(), filepath.Join(dir, "events.db"))
				if err != nil {
					b.Fatal(err)
				}
				defer s.Close()
				streams := make([]string, writers)
				versions := make([]uint64, writers)
				pversions := make([]int64, writers)
				for i := range streams {
					streams[i] = "case-" + uuid.NewString()
				}
				evs := make([]eventstore.NewEvent, batch)
				for i := range evs {
					evs[i] = eventstore.NewEvent{Type: "case.decided", Data: benchPayload, Metadata: benchMeta}
				}
				ctx := context.Background()
				storeOp := func(w int) error {
					r, err := s.Append(ctx, eventstore.AppendRequest{
						Stream: streams[w], Expected: eventstore.ExpectVersion(versions[w]),
						CommandID: uuid.NewString(), Events: evs,
					})
					versions[w] = r.Version
					return err
				}

				db := openPlain(b, filepath.Join(dir, "plain.db"))
				ins, err := db.Prepare(plainInsert)
				if err != nil {
					b.Fatal(err)
				}
				var hash [32]byte
				rand.Read(hash[:])
				plainOp := func(w int) error {
					tx, err := db.Begin()
					if err != nil {
						return err
					}
					st := tx.Stmt(ins)
					now := time.Now().UnixMicro()
					cmd := uuid.NewString()
					for range batch {
						pversions[w]++
						if _, err := st.Exec(uuid.NewString(), streams[w], pversions[w], "case.decided", 1, []byte(benchPayload),
							benchMeta.ActorID, benchMeta.ActorUnit, cmd, benchMeta.CorrelationID, benchMeta.CausationID,
							now, now, hash[:], hash[:]); err != nil {
							tx.Rollback()
							return err
						}
					}
					return tx.Commit()
				}
				interleave(b, max(32, 4*writers), batch,
					func(n int) (time.Duration, error) { return runWriters(writers, n, storeOp) },
					func(n int) (time.Duration, error) { return runWriters(writers, n, plainOp) })
			})
		}
	}
}

func BenchmarkReadAll(b *testing.B) {
	const total, page = 20000, 1000
	dir := b.TempDir()
	s, err := sqlite.Open(context.Background(), filepath.Join(dir, "events.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	evs := make([]eventstore.NewEvent, 500)
	for i := range evs {
		evs[i] = eventstore.NewEvent{Type: "case.decided", Data: benchPayload, Metadata: benchMeta}
	}
	for i := 0; i < total; i += len(evs) {
		if _, err := s.Append(ctx, eventstore.AppendRequest{Stream: fmt.Sprintf("case-%d", i%7), Events: evs}); err != nil {
			b.Fatal(err)
		}
	}
	// The plain table holds the same rows.
	db := openPlain(b, filepath.Join(dir, "plain.db"))
	if _, err := db.Exec(`ATTACH DATABASE ? AS src`, s.Path()); err != nil {
		b.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO plain SELECT position, id, stream, version, type, schema_version, data,
		actor_id, actor_unit, command_id, correlation_id, causation_id, occurred_at, recorded_at, prev_hash, hash FROM src.events`); err != nil {
		b.Fatal(err)
	}
	if _, err := db.Exec(`DETACH DATABASE src`); err != nil {
		b.Fatal(err)
	}
	db.SetMaxOpenConns(4)

	readStore := func() error {
		var pos eventstore.Position
		n := 0
		for {
			got, err := s.ReadAll(ctx, pos, page)
			if err != nil {
				return err
			}
			if len(got) == 0 {
				break
			}
			n += len(got)
			pos = got[len(got)-1].Position
		}
		if n != total {
			return fmt.Errorf("read %d events, want %d", n, total)
		}
		return nil
	}
	st, err := db.Prepare(`SELECT seq, id, stream, version, type, schema_version, data,
		actor_id, actor_unit, command_id, correlation_id, causation_id, occurred_at, recorded_at, prev_hash, hash
		FROM plain WHERE seq > ? ORDER BY seq LIMIT ?`)
	if err != nil {
		b.Fatal(err)
	}
	type row struct {
		seq, version, sv, occ, rec                    int64
		id, stream, typ, actor, unit, cmd, corr, caus string
		data, prev, hash                              []byte
	}
	readPlain := func() error {
		var seq int64
		n := 0
		for {
			rows, err := st.Query(seq, page)
			if err != nil {
				return err
			}
			out := make([]row, 0, page)
			for rows.Next() {
				var r row
				if err := rows.Scan(&r.seq, &r.id, &r.stream, &r.version, &r.typ, &r.sv, &r.data,
					&r.actor, &r.unit, &r.cmd, &r.corr, &r.caus, &r.occ, &r.rec, &r.prev, &r.hash); err != nil {
					rows.Close()
					return err
				}
				out = append(out, r)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
			if len(out) == 0 {
				break
			}
			n += len(out)
			seq = out[len(out)-1].seq
		}
		if n != total {
			return fmt.Errorf("read %d rows, want %d", n, total)
		}
		return nil
	}
	timed := func(f func() error) func(n int) (time.Duration, error) {
		return func(n int) (time.Duration, error) {
			start := time.Now()
			for range n {
				if err := f(); err != nil {
					return 0, err
				}
			}
			return time.Since(start), nil
		}
	}
	// One op reads the whole log (20 000 events) in pages of 1 000.
	b.Run("raw", func(b *testing.B) {
		interleave(b, 1, total, timed(readStore), timed(readPlain))
	})
}
