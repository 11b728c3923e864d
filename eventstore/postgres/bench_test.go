package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"shenguan/eventstore"
)

// The baselines write and read a plain table with the same event columns
// and the same json payloads, but none of the guarantees: no transaction id,
// no hash chain, no unique (stream, version), no idempotency table, no
// NOTIFY. One row per transaction is a single autocommit INSERT; 100 rows
// per transaction is one CopyFrom (the fastest bulk path from Go).
const plainDDL = `
CREATE TABLE plain_events (
	seq            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	id             uuid        NOT NULL,
	stream_id      text        NOT NULL,
	version        bigint      NOT NULL,
	type           text        NOT NULL,
	schema_version integer     NOT NULL,
	data           json        NOT NULL,
	actor_id       text        NOT NULL DEFAULT '',
	actor_unit     text        NOT NULL DEFAULT '',
	command_id     text        NOT NULL DEFAULT '',
	correlation_id text        NOT NULL DEFAULT '',
	causation_id   text        NOT NULL DEFAULT '',
	occurred_at    timestamptz NOT NULL,
	recorded_at    timestamptz NOT NULL
)`

var plainCols = []string{"id", "stream_id", "version", "type", "schema_version", "data",
	"actor_id", "actor_unit", "command_id", "correlation_id", "causation_id", "occurred_at", "recorded_at"}

// payload returns a JSON object of about 500 bytes shaped like a case event.
func payload(i int) json.RawMessage {
	p := map[string]any{
		"caseId":      fmt.Sprintf("case-%08d", i),
		"matterCode":  "SC-0101-食品经营许可",
		"matterName":  "食品经营许可（告知承诺）",
		"applicant":   "天津市东丽区某某餐饮店",
		"creditCode":  "91120110MA05L8XB4T",
		"decidedAt":   "2025-03-04T09:15:00.123456Z",
		"pushedAt":    "2025-03-04T09:20:00.654321Z",
		"fromUnit":    "区政务服务办·市场准入科",
		"toUnits":     []string{"区市场监管局", "张贵庄街道"},
		"commitment":  true,
		"attachments": 3,
		"receipt":     map[string]string{"id": "clk-" + uuid.NewString()[:8], "rule": "R3", "due": "2025-03-05T09:20:00Z", "warnAt": "2025-03-05T05:20:00Z"},
		"note":        strings.Repeat("x", 40),
	}
	b, _ := json.Marshal(p)
	return b
}

func benchDB(b *testing.B) (string, *Store) {
	b.Helper()
	url := newDB(b)
	s := openStore(b, url, WithMaxConns(16))
	ctx := context.Background()
	if _, err := s.Pool().Exec(ctx, plainDDL); err != nil {
		b.Fatal(err)
	}
	// Warm both paths up (connections, plan caches, table files), then
	// give the planner statistics, as a running system has.
	data := payload(0)
	for i := range 200 {
		if _, err := s.Append(ctx, eventstore.AppendRequest{Stream: fmt.Sprint("warm-", i%10),
			Events: []eventstore.NewEvent{{Type: "warm", Data: data}}}); err != nil {
			b.Fatal(err)
		}
		if _, err := s.Pool().Exec(ctx, `INSERT INTO plain_events (`+strings.Join(plainCols, ", ")+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
			uuid.New(), "warm", i, "warm", 1, data, "", "", "", "", "", time.Now(), time.Now()); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := s.Pool().Exec(ctx, `ANALYZE events, event_commands, plain_events`); err != nil {
		b.Fatal(err)
	}
	return url, s
}

// runWriters calls do(writer) b.N times in total from w goroutines, writer
// g doing b.N/w calls (one more for the first b.N%w writers).
func runWriters(b *testing.B, w int, do func(writer int) error) {
	var wg sync.WaitGroup
	b.ResetTimer()
	for g := range w {
		n := b.N / w
		if g < b.N%w {
			n++
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range n {
				if err := do(g); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
}

func BenchmarkAppend(b *testing.B) {
	_, s := benchDB(b)
	pool := s.Pool()
	ctx := context.Background()
	data := payload(1)
	occurred := time.Date(2025, 3, 4, 9, 0, 0, 0, time.UTC)
	run := 0
	for _, batch := range []int{1, 100} {
		for _, writers := range []int{1, 16} {
			name := fmt.Sprintf("batch=%d/writers=%d", batch, writers)

			b.Run("store/"+name, func(b *testing.B) {
				run++
				// Each writer owns a stream and knows its head, as the
				// command loop does after folding: ExpectHead, one round
				// trip. Ids and occurredAt are fixed, so every request and
				// the head before it are computed before the timer starts
				// (recordedAt is not hashed).
				type job struct {
					req  eventstore.AppendRequest
					v    uint64
					hash eventstore.Hash
				}
				jobs := make([][]job, writers)
				for w := range writers {
					var v uint64
					var h eventstore.Hash
					for k := range b.N/writers + 1 {
						req := eventstore.AppendRequest{
							Stream:    fmt.Sprintf("bench-%d-%d-%d", batch, run, w),
							CommandID: fmt.Sprintf("cmd-%d", k),
							Events:    make([]eventstore.NewEvent, batch),
						}
						for i := range req.Events {
							req.Events[i] = eventstore.NewEvent{Type: "case.pushed", Data: data,
								Metadata: eventstore.Metadata{ActorID: "u1", ActorUnit: "区政务服务办", OccurredAt: occurred}}
						}
						if v == 0 {
							req.Expected = eventstore.ExpectNoStream()
						} else {
							req.Expected = eventstore.ExpectHead(v, h)
						}
						jobs[w] = append(jobs[w], job{req, v, h})
						evs := eventstore.Prepare(req, v, h, occurred)
						v, h = evs[len(evs)-1].Version, evs[len(evs)-1].Hash
					}
				}
				next := make([]int, writers)
				runWriters(b, writers, func(w int) error {
					j := jobs[w][next[w]]
					next[w]++
					res, err := s.Append(ctx, j.req)
					if err == nil && res.Duplicate {
						err = fmt.Errorf("unexpected duplicate")
					}
					return err
				})
				b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "events/s")
			})

			b.Run("plain/"+name, func(b *testing.B) {
				run++
				seqs := make([]int, writers)
				runWriters(b, writers, func(w int) error {
					stream := fmt.Sprintf("plain-%d-%d-%d", batch, run, w)
					now := time.Now()
					if batch == 1 {
						seqs[w]++
						_, err := pool.Exec(ctx, `INSERT INTO plain_events (`+strings.Join(plainCols, ", ")+`)
							VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
							uuid.New(), stream, seqs[w], "case.pushed", 1, data, "u1", "区政务服务办", "cmd", "", "", occurred, now)
						return err
					}
					rows := make([][]any, batch)
					for i := range rows {
						seqs[w]++
						rows[i] = []any{uuid.New(), stream, seqs[w], "case.pushed", 1, data, "u1", "区政务服务办", "cmd", "", "", occurred, now}
					}
					_, err := pool.CopyFrom(ctx, pgx.Identifier{"plain_events"}, plainCols, pgx.CopyFromRows(rows))
					return err
				})
				b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "events/s")
			})
		}
	}
}

func BenchmarkReadAll(b *testing.B) {
	const total, page = 20000, 1000
	_, s := benchDB(b)
	ctx := context.Background()
	pool := s.Pool()
	data := payload(2)
	occurred := time.Date(2025, 3, 4, 9, 0, 0, 0, time.UTC)
	for i := 0; i < total; i += 100 {
		req := eventstore.AppendRequest{Stream: fmt.Sprintf("read-%d", i/1000), Events: make([]eventstore.NewEvent, 100)}
		rows := make([][]any, 100)
		for j := range req.Events {
			req.Events[j] = eventstore.NewEvent{Type: "case.pushed", Data: data,
				Metadata: eventstore.Metadata{ActorID: "u1", ActorUnit: "区政务服务办", OccurredAt: occurred}}
			rows[j] = []any{uuid.New(), req.Stream, i + j + 1, "case.pushed", 1, data, "u1", "区政务服务办", "", "", "", occurred, occurred}
		}
		if _, err := s.Append(ctx, req); err != nil {
			b.Fatal(err)
		}
		if _, err := pool.CopyFrom(ctx, pgx.Identifier{"plain_events"}, plainCols, pgx.CopyFromRows(rows)); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := pool.Exec(ctx, `VACUUM ANALYZE events, plain_events`); err != nil {
		b.Fatal(err)
	}

	b.Run("store/raw", func(b *testing.B) {
		var pos eventstore.Position
		var bytes int
		for n := 0; n < b.N; {
			evs, err := s.ReadAll(ctx, pos, min(page, b.N-n))
			if err != nil {
				b.Fatal(err)
			}
			if len(evs) == 0 {
				pos = eventstore.Position{}
				continue
			}
			for _, e := range evs {
				bytes += len(e.Data)
			}
			n += len(evs)
			pos = evs[len(evs)-1].Position
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	})

	b.Run("plain/select", func(b *testing.B) {
		type row struct {
			Seq                                          int64
			ID                                           [16]byte
			Stream                                       string
			Version                                      int64
			Type                                         string
			SchemaVersion                                int32
			Data                                         []byte
			Actor, Unit, Command, Correlation, Causation string
			OccurredAt, RecordedAt                       time.Time
		}
		var last int64
		for n := 0; n < b.N; {
			rows, err := pool.Query(ctx, `SELECT seq, `+strings.Join(plainCols, ", ")+` FROM plain_events
				WHERE seq > $1 ORDER BY seq LIMIT $2`, last, min(page, b.N-n))
			if err != nil {
				b.Fatal(err)
			}
			out := make([]row, 0, page)
			for rows.Next() {
				var r row
				if err := rows.Scan(&r.Seq, &r.ID, &r.Stream, &r.Version, &r.Type, &r.SchemaVersion, &r.Data,
					&r.Actor, &r.Unit, &r.Command, &r.Correlation, &r.Causation, &r.OccurredAt, &r.RecordedAt); err != nil {
					b.Fatal(err)
				}
				out = append(out, r)
			}
			if err := rows.Err(); err != nil {
				b.Fatal(err)
			}
			if len(out) == 0 {
				last = 0
				continue
			}
			n += len(out)
			last = out[len(out)-1].Seq
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	})
}
