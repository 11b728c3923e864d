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

// runWriters runs b.N operations spread over writers goroutines; op gets the
// writer index and returns the events it wrote.
func runWriters(b *testing.B, writers, perOp int, op func(w int) error) {
	b.Helper()
	var next atomic.Int64
	var wg sync.WaitGroup
	var firstErr error
	var errOnce sync.Once
	b.ResetTimer()
	start := time.Now()
	for w := range writers {
		wg.Go(func() {
			for next.Add(1) <= int64(b.N) {
				if err := op(w); err != nil {
					errOnce.Do(func() { firstErr = err })
					return
				}
			}
		})
	}
	wg.Wait()
	el := time.Since(start)
	b.StopTimer()
	if firstErr != nil {
		b.Fatal(firstErr)
	}
	b.ReportMetric(float64(b.N*perOp)/el.Seconds(), "events/s")
}

func BenchmarkAppend(b *testing.B) {
	for _, batch := range []int{1, 100} {
		for _, writers := range []int{1, 16} {
			name := fmt.Sprintf("batch=%d/writers=%d", batch, writers)
			b.Run("store/"+name, func(b *testing.B) {
				s, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "events.db"))
				if err != nil {
					b.Fatal(err)
				}
				defer s.Close()
				streams := make([]string, writers)
				versions := make([]uint64, writers)
				for i := range streams {
					streams[i] = "case-" + uuid.NewString()
				}
				evs := make([]eventstore.NewEvent, batch)
				for i := range evs {
					evs[i] = eventstore.NewEvent{Type: "case.decided", Data: benchPayload, Metadata: benchMeta}
				}
				ctx := context.Background()
				runWriters(b, writers, batch, func(w int) error {
					r, err := s.Append(ctx, eventstore.AppendRequest{
						Stream: streams[w], Expected: eventstore.ExpectVersion(versions[w]),
						CommandID: uuid.NewString(), Events: evs,
					})
					versions[w] = r.Version
					return err
				})
			})
			b.Run("plain/"+name, func(b *testing.B) {
				db := openPlain(b, filepath.Join(b.TempDir(), "plain.db"))
				ins, err := db.Prepare(plainInsert)
				if err != nil {
					b.Fatal(err)
				}
				streams := make([]string, writers)
				versions := make([]int64, writers)
				for i := range streams {
					streams[i] = "case-" + uuid.NewString()
				}
				var hash [32]byte
				rand.Read(hash[:])
				runWriters(b, writers, batch, func(w int) error {
					tx, err := db.Begin()
					if err != nil {
						return err
					}
					st := tx.Stmt(ins)
					now := time.Now().UnixMicro()
					cmd := uuid.NewString()
					for range batch {
						versions[w]++
						if _, err := st.Exec(uuid.NewString(), streams[w], versions[w], "case.decided", 1, []byte(benchPayload),
							benchMeta.ActorID, benchMeta.ActorUnit, cmd, benchMeta.CorrelationID, benchMeta.CausationID,
							now, now, hash[:], hash[:]); err != nil {
							tx.Rollback()
							return err
						}
					}
					return tx.Commit()
				})
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

	b.Run("store/raw", func(b *testing.B) {
		b.ResetTimer()
		start := time.Now()
		for range b.N {
			var pos eventstore.Position
			n := 0
			for {
				got, err := s.ReadAll(ctx, pos, page)
				if err != nil {
					b.Fatal(err)
				}
				if len(got) == 0 {
					break
				}
				n += len(got)
				pos = got[len(got)-1].Position
			}
			if n != total {
				b.Fatalf("read %d events, want %d", n, total)
			}
		}
		b.ReportMetric(float64(b.N*total)/time.Since(start).Seconds(), "events/s")
	})
	b.Run("plain/select", func(b *testing.B) {
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
		b.ResetTimer()
		start := time.Now()
		for range b.N {
			var seq int64
			n := 0
			for {
				rows, err := st.Query(seq, page)
				if err != nil {
					b.Fatal(err)
				}
				out := make([]row, 0, page)
				for rows.Next() {
					var r row
					if err := rows.Scan(&r.seq, &r.id, &r.stream, &r.version, &r.typ, &r.sv, &r.data,
						&r.actor, &r.unit, &r.cmd, &r.corr, &r.caus, &r.occ, &r.rec, &r.prev, &r.hash); err != nil {
						b.Fatal(err)
					}
					out = append(out, r)
				}
				if err := rows.Err(); err != nil {
					b.Fatal(err)
				}
				rows.Close()
				if len(out) == 0 {
					break
				}
				n += len(out)
				seq = out[len(out)-1].seq
			}
			if n != total {
				b.Fatalf("read %d rows, want %d", n, total)
			}
		}
		b.ReportMetric(float64(b.N*total)/time.Since(start).Seconds(), "events/s")
	})
}
