package projections

import (
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"shenguan/eventstore/postgres/pgtest"
	"shenguan/projections/rmstore"
)

// A view over a SQLite transaction gets rmstore.Inserts' multi-row
// statements with anonymous parameters, as the transaction itself would,
// and passes them on to run there.
func TestViewInsertsAnonymousOnSQLite(t *testing.T) {
	ctx := t.Context()
	db, err := rmstore.OpenSQLite(ctx, filepath.Join(t.TempDir(), "rm.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(ctx, `CREATE TABLE t (a TEXT PRIMARY KEY, b BIGINT NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	tx, err := db.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	v := &txView{mu: &sync.Mutex{}, tx: tx, sqlite: true}
	ins := rmstore.NewInserts(`INSERT INTO t (a, b)`, 2, `ON CONFLICT (a) DO UPDATE SET b = excluded.b`)
	ins.Add("x", int64(1))
	ins.Add("y", int64(2))
	ins.Queue(v)
	if len(v.queue) != 1 || strings.Contains(v.queue[0].sql, "$") || !strings.Contains(v.queue[0].sql, "(?, ?)") {
		t.Fatalf("view got %+v, want one statement with anonymous parameters", v.queue)
	}
	v.pass()
	var n int64
	if err := tx.QueryRow(ctx, `SELECT SUM(b) FROM t`).Scan(&n); err != nil || n != 3 {
		t.Fatalf("rows after pass: sum %d, %v; want 3", n, err)
	}
}

// A view with a context hands its writes to the transaction in the
// background once it holds asyncArgs values: a read through the view waits
// for them and sees every row, in order (the later upsert of a key wins);
// a failed hand-off is reported by the view's next Flush.
func TestViewHandsOffWritesInOrder(t *testing.T) {
	ctx := t.Context()
	db, err := rmstore.OpenSQLite(ctx, filepath.Join(t.TempDir(), "rm.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(ctx, `CREATE TABLE t (a TEXT PRIMARY KEY, b BIGINT NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	tx, err := db.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	var mu sync.Mutex
	v := &txView{ctx: ctx, mu: &mu, tx: tx, sqlite: true}
	other := &txView{ctx: ctx, mu: &mu, tx: tx, sqlite: true} // another projection's view
	ins := rmstore.NewInserts(`INSERT INTO t (a, b)`, 2, `ON CONFLICT (a) DO UPDATE SET b = excluded.b`)
	const keys = asyncArgs // two values a row: every key is written twice
	// Another view holds the transaction (its rows open) while this one
	// queues: the first hand-off waits for it, and Queue goes on without
	// waiting (a Queue that waited would hang here), keeping the rest.
	mu.Lock()
	for round := range 2 {
		for k := range keys {
			ins.Add("k"+strconv.Itoa(k), int64(round*keys+k))
			ins.QueueFull(v)
		}
		ins.Queue(v)
	}
	if !v.running.Load() || v.args == 0 || v.args >= 4*keys {
		t.Fatalf("hand-off running %v, the view holds %d of %d values; want one hand-off waiting and the rest held",
			v.running.Load(), v.args, 4*keys)
	}
	mu.Unlock()
	var n, sum int64
	if err := other.QueryRow(ctx, `SELECT COUNT(*) FROM t`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if err := v.QueryRow(ctx, `SELECT COUNT(*), SUM(b) FROM t`).Scan(&n, &sum); err != nil {
		t.Fatal(err)
	}
	if want := int64(keys * (keys + 2*keys - 1) / 2); n != keys || sum != want {
		t.Fatalf("read through the view: %d rows summing to %d; want %d rows summing to %d", n, sum, keys, want)
	}
	for k := range asyncArgs {
		v.Queue(`INSERT INTO missing (a) VALUES (?)`, k)
	}
	if err := v.Flush(ctx); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Fatalf("Flush after a failed hand-off: %v; want the hand-off's error", err)
	}
}

// Lanes alternate on the first chunk, then put the slowest projections in
// different lanes and balance the rest.
func TestLanesAssign(t *testing.T) {
	l := newLanes(rmstore.Postgres, 5)
	if got, want := l.assign(), [][]int{{0, 2, 4}, {1, 3}}; !slices.EqualFunc(got, want, slices.Equal) {
		t.Fatalf("first chunk: %v, want %v", got, want)
	}
	copy(l.took, []time.Duration{5, 90, 100, 10, 1})
	if got, want := l.assign(), [][]int{{2, 0}, {1, 3, 4}}; !slices.EqualFunc(got, want, slices.Equal) {
		t.Fatalf("after a chunk: %v, want %v", got, want)
	}
	if got := newLanes(rmstore.SQLite, 5).assign(); len(got) != 1 || len(got[0]) != 5 {
		t.Fatalf("SQLite lanes: %v, want one of all five", got)
	}
}

// On PostgreSQL a hand-off that fails aborts the shared transaction: the
// other views' next statements are refused (25P02) before the failed
// view reports its error. The chunk's error is the cause, not a refusal.
func TestChunkErrorIsTheFailedHandOff(t *testing.T) {
	ctx := t.Context()
	db, err := rmstore.OpenPostgres(ctx, pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(ctx, `CREATE TABLE t (a BIGINT PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	tx, err := db.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	var mu sync.Mutex
	reader := &txView{ctx: ctx, mu: &mu, tx: tx}
	writer := &txView{ctx: ctx, mu: &mu, tx: tx}
	for k := range asyncArgs {
		writer.Queue(`INSERT INTO missing (a) VALUES ($1)`, int64(k))
	}
	writer.busy.Wait() // the hand-off has failed; the writer has not said so yet
	var n int64
	refused := reader.QueryRow(ctx, `SELECT COUNT(*) FROM t`).Scan(&n)
	if rmstore.SQLState(refused) != "25P02" {
		t.Fatalf("read after the failed hand-off: %v; want a refusal (25P02)", refused)
	}
	cause := writer.Flush(ctx)
	if got := firstError([]error{refused, cause}); got == nil || !rmstore.IsUndefinedTable(got) {
		t.Fatalf("firstError = %v; want the hand-off's undefined table", got)
	}
}
