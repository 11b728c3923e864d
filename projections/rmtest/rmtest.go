// Package rmtest is the contract harness of read models: it runs each read
// model's test cases against every read-model store (real SQLite files and a
// real PostgreSQL database), as TestReadModels/<store>/<case>, each case in a
// fresh event store and read-model store of that kind, and offers checks
// every read model should pass (CheckRebuild: a rebuild gives exactly the
// rows of the incremental run).
//
// A read model's test:
//
//	func TestReadModels(t *testing.T) {
//		rmtest.Run(t, func() []projections.Projection { return []projections.Projection{caseview.Projection{}} },
//			rmtest.Case{Name: "pushed case is listed", Run: func(t *testing.T, env *rmtest.Env) {
//				env.Append(t, "case-1", rmtest.Event("case.pushed", map[string]any{"id": "1"}))
//				env.Sync(t)
//				got, err := caseview.List(env.Ctx, env.DB, env.Catalog, caseview.Filter{})
//				…
//				env.CheckRebuild(t)
//			}})
//	}
//
// PostgreSQL comes from eventstore/postgres/pgtest (SHENGUAN_TEST_POSTGRES;
// skipped when unreachable unless SHENGUAN_REQUIRE_POSTGRES=1).
package rmtest

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"shenguan/eventstore"
	"shenguan/eventstore/postgres"
	"shenguan/eventstore/postgres/pgtest"
	"shenguan/eventstore/sqlite"
	"shenguan/projections"
	"shenguan/projections/rmstore"
)

// Backend opens a fresh event store and read-model store of one kind; both
// are closed when the test ends.
type Backend struct {
	Name string
	Open func(t testing.TB) (eventstore.Store, rmstore.DB)
}

// SQLite is the embedded backend: events.db and readmodels.db in t.TempDir().
func SQLite() Backend {
	return Backend{Name: "sqlite", Open: func(t testing.TB) (eventstore.Store, rmstore.DB) {
		t.Helper()
		ctx := context.Background()
		dir := t.TempDir()
		s, err := sqlite.Open(ctx, filepath.Join(dir, "events.db"))
		if err != nil {
			t.Fatalf("open sqlite event store: %v", err)
		}
		t.Cleanup(func() { s.Close() })
		db, err := rmstore.OpenSQLite(ctx, filepath.Join(dir, "readmodels.db"))
		if err != nil {
			t.Fatalf("open sqlite read-model store: %v", err)
		}
		t.Cleanup(func() { db.Close() })
		return s, db
	}}
}

// Postgres is a fresh PostgreSQL database holding both events and read models.
func Postgres() Backend {
	return Backend{Name: "postgres", Open: func(t testing.TB) (eventstore.Store, rmstore.DB) {
		t.Helper()
		url := pgtest.NewDatabase(t)
		return OpenPostgresURL(t, url)
	}}
}

// OpenPostgresURL migrates the event store at url and opens an event store
// and a read-model store on it (for tests that need two replicas on one
// database).
func OpenPostgresURL(t testing.TB, url string) (eventstore.Store, rmstore.DB) {
	t.Helper()
	ctx := context.Background()
	if err := postgres.Migrate(ctx, url); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	s, err := postgres.Open(ctx, url)
	if err != nil {
		t.Fatalf("open postgres event store: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	db, err := rmstore.OpenPostgres(ctx, url)
	if err != nil {
		t.Fatalf("open postgres read-model store: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return s, db
}

// Backends returns SQLite and Postgres.
func Backends() []Backend { return []Backend{SQLite(), Postgres()} }

// Case is one test of a read model.
type Case struct {
	Name string
	Run  func(t *testing.T, env *Env)
}

// Env is what a case gets: fresh stores, a runner of the read model's
// projections and the catalog its queries use.
type Env struct {
	Ctx         context.Context
	Backend     string
	Store       eventstore.Store
	DB          rmstore.DB
	Runner      *projections.Runner
	Catalog     *projections.Catalog
	Projections []projections.Projection
}

// NewEnv opens a backend and sets up a runner of projs on it.
func NewEnv(t testing.TB, b Backend, projs ...projections.Projection) *Env {
	t.Helper()
	inner, db := b.Open(t)
	store := &recorder{Store: inner}
	r, err := projections.New(store, db, projections.Options{}, projs...)
	if err != nil {
		t.Fatalf("new runner: %v", err)
	}
	ctx := t.Context()
	if err := r.Setup(ctx); err != nil {
		t.Fatalf("setup projections: %v", err)
	}
	return &Env{Ctx: ctx, Backend: b.Name, Store: store, DB: db, Runner: r, Catalog: r.Catalog(), Projections: projs}
}

// Run runs every case on every backend as <backend>/<case>, each in a new Env.
func Run(t *testing.T, newProjections func() []projections.Projection, cases ...Case) {
	t.Helper()
	for _, b := range Backends() {
		t.Run(b.Name, func(t *testing.T) {
			for _, c := range cases {
				t.Run(c.Name, func(t *testing.T) {
					c.Run(t, NewEnv(t, b, newProjections()...))
				})
			}
		})
	}
}

// Event builds a new event of type typ with data marshalled to JSON.
func Event(typ string, data any) eventstore.NewEvent {
	b, err := json.Marshal(data)
	if err != nil {
		panic(fmt.Sprintf("rmtest.Event(%q): %v", typ, err))
	}
	return eventstore.NewEvent{Type: typ, Data: b}
}

// Append appends events to a stream (any expected version) and returns the result.
func (e *Env) Append(t testing.TB, stream string, evs ...eventstore.NewEvent) eventstore.AppendResult {
	t.Helper()
	res, err := e.Store.Append(e.Ctx, eventstore.AppendRequest{Stream: stream, Expected: eventstore.ExpectAny(), Events: evs})
	if err != nil {
		t.Fatalf("append to %s: %v", stream, err)
	}
	return res
}

// Sync runs the projections until they have applied every event appended
// through e.Store so far (waiting for PostgreSQL to make them visible).
func (e *Env) Sync(t testing.TB) {
	t.Helper()
	if err := e.Runner.RunUntil(e.Ctx, e.Store.(*recorder).last()); err != nil {
		t.Fatalf("run projections: %v", err)
	}
}

// recorder is an event store that remembers the highest position appended
// through it, so that Sync knows what to wait for.
type recorder struct {
	eventstore.Store
	mu  sync.Mutex
	max eventstore.Position
}

func (r *recorder) Append(ctx context.Context, req eventstore.AppendRequest) (eventstore.AppendResult, error) {
	res, err := r.Store.Append(ctx, req)
	if err == nil {
		r.mu.Lock()
		if res.Position.Compare(r.max) > 0 {
			r.max = res.Position
		}
		r.mu.Unlock()
	}
	return res, err
}

func (r *recorder) last() eventstore.Position {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.max
}

// Rows returns every row of every table of a projection's active
// generation, keyed by logical table name, each table's rows sorted, as
// strings (so that they compare across runs of one backend).
func (e *Env) Rows(t testing.TB, name string) map[string][]string {
	t.Helper()
	e.Catalog.Invalidate(name)
	tables, err := e.Catalog.Tables(e.Ctx, name)
	if err != nil {
		t.Fatalf("tables of %s: %v", name, err)
	}
	out := map[string][]string{}
	for logical, phys := range tables.Names() {
		rows, err := e.DB.Query(e.Ctx, "SELECT * FROM "+phys)
		if err != nil {
			t.Fatalf("dump %s: %v", phys, err)
		}
		var got []string
		for rows.Next() {
			vals, err := scanAny(rows)
			if err != nil {
				rows.Close()
				t.Fatalf("dump %s: %v", phys, err)
			}
			got = append(got, vals)
		}
		if err := rows.Err(); err != nil {
			t.Fatalf("dump %s: %v", phys, err)
		}
		rows.Close()
		slices.Sort(got)
		out[logical] = got
	}
	return out
}

// scanAny scans a row of unknown width into a printable string.
func scanAny(rows rmstore.Rows) (string, error) {
	type columner interface{ Columns() ([]string, error) }
	var n int
	if c, ok := rows.(columner); ok {
		cols, err := c.Columns()
		if err != nil {
			return "", err
		}
		n = len(cols)
	} else if v, ok := rows.(interface{ Values() ([]any, error) }); ok {
		vals, err := v.Values()
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("%v", normalise(vals)), nil
	}
	vals := make([]any, n)
	ptrs := make([]any, n)
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := rows.Scan(ptrs...); err != nil {
		return "", err
	}
	return fmt.Sprintf("%v", normalise(vals)), nil
}

func normalise(vals []any) []any {
	for i, v := range vals {
		if b, ok := v.([]byte); ok {
			vals[i] = string(b)
		}
	}
	return vals
}

// CheckRebuild rebuilds every projection of the env from position zero
// and fails when any table's rows differ from those of the incremental
// run (call it after Sync).
func (e *Env) CheckRebuild(t testing.TB) {
	t.Helper()
	before := map[string]map[string][]string{}
	for _, p := range e.Projections {
		before[p.Name()] = e.Rows(t, p.Name())
	}
	// Once in one chunk, once in chunks of a few events (their boundaries
	// fall inside a case's events, and on PostgreSQL the lanes are
	// reassigned from chunk to chunk).
	for _, opts := range []projections.RebuildOptions{{}, {ReadBatch: 3, CommitEvery: 7}} {
		if err := projections.Rebuild(e.Ctx, e.Store, e.DB, e.Projections, opts); err != nil {
			t.Fatalf("rebuild (commit every %d): %v", opts.CommitEvery, err)
		}
		for _, p := range e.Projections {
			after := e.Rows(t, p.Name())
			if diff := cmp.Diff(before[p.Name()], after); diff != "" {
				t.Errorf("%s: rows rebuilt with a commit every %d events differ from incremental rows (-incremental +rebuilt):\n%s",
					p.Name(), opts.CommitEvery, truncate(diff, 4000))
			}
		}
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + fmt.Sprintf("\n… (%d more bytes)", len(s)-n)
}

// SyncKeys runs the projections like Sync and returns the Changes keys the
// projection named proj published meanwhile, sorted and without repeats.
func (e *Env) SyncKeys(t testing.TB, proj string) []string {
	t.Helper()
	sub := e.Runner.Broker().Subscribe(e.Ctx, nil)
	e.Sync(t)
	var keys []string
	for {
		select {
		case c := <-sub:
			if c.Projection == proj {
				keys = append(keys, c.Keys...)
			}
		default:
			slices.Sort(keys)
			return slices.Compact(keys)
		}
	}
}

// All pages through a list with page size n and returns every item,
// checking on every page that hasNext agrees with totalCount, that a page
// followed by another is full, and at the end that the items read add up
// to totalCount.
func All[T any](t testing.TB, n int, list func(first int, after string) (projections.Page[T], error)) []T {
	t.Helper()
	var out []T
	after := ""
	for pages := 0; ; pages++ {
		p, err := list(n, after)
		if err != nil {
			t.Fatalf("page %d: %v", pages, err)
		}
		out = append(out, p.Items...)
		if p.HasNext != (len(out) < p.TotalCount) {
			t.Fatalf("page %d: hasNext = %v with %d of %d items read", pages, p.HasNext, len(out), p.TotalCount)
		}
		if !p.HasNext {
			if len(out) != p.TotalCount {
				t.Fatalf("read %d items, totalCount %d", len(out), p.TotalCount)
			}
			return out
		}
		if len(p.Items) != n {
			t.Fatalf("page %d has %d items, want %d", pages, len(p.Items), n)
		}
		after = p.EndCursor
	}
}
