package projections_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"shenguan/eventstore"
	"shenguan/projections"
	"shenguan/projections/rmstore"
	"shenguan/projections/rmtest"
)

// counter is the test projection: it counts events per stream and records
// every applied event id under a primary key, so applying an event twice
// fails the transaction instead of passing unnoticed.
type counter struct {
	name    string // "counter" when empty
	version int
	// fail, when set, is asked about every event; a non-nil error fails Apply.
	fail *atomic.Pointer[func(eventstore.Event) error]
	// badWrite, when set, makes Apply queue a write that fails when sent.
	badWrite *atomic.Bool
}

func newCounter() counter {
	return counter{version: 1, fail: new(atomic.Pointer[func(eventstore.Event) error]), badWrite: new(atomic.Bool)}
}

// namedCounter returns a counter projection called name (several can run
// beside each other, as the service's read models do).
func namedCounter(name string) counter {
	c := newCounter()
	c.name = name
	return c
}

func (c counter) Name() string {
	if c.name == "" {
		return "counter"
	}
	return c.name
}
func (c counter) Version() int     { return c.version }
func (c counter) Tables() []string { return []string{"counts", "applied"} }

func (c counter) Schema(_ rmstore.Dialect, t *rmstore.Tables) []string {
	return []string{
		t.Expand(`CREATE TABLE {{counts}} (stream TEXT PRIMARY KEY, n BIGINT NOT NULL, last_version BIGINT NOT NULL, last_type TEXT NOT NULL)`),
		t.Expand(`CREATE TABLE {{applied}} (event_id TEXT PRIMARY KEY, stream TEXT NOT NULL, version BIGINT NOT NULL)`),
	}
}

func (c counter) Apply(ctx context.Context, tx rmstore.Tx, t *rmstore.Tables, evs []eventstore.Event) (projections.Changes, error) {
	var ch projections.Changes
	up := t.Expand(`INSERT INTO {{counts}} (stream, n, last_version, last_type) VALUES ($1, 1, $2, $3)
		ON CONFLICT (stream) DO UPDATE SET n = {{counts}}.n + 1, last_version = excluded.last_version, last_type = excluded.last_type`)
	ins := t.Expand(`INSERT INTO {{applied}} (event_id, stream, version) VALUES ($1, $2, $3)`)
	for _, e := range evs {
		if f := c.fail.Load(); f != nil {
			if err := (*f)(e); err != nil {
				return nil, err
			}
		}
		tx.Queue(up, e.StreamID, int64(e.Version), e.Type)
		tx.Queue(ins, e.ID, e.StreamID, int64(e.Version))
		ch.Add("stream:" + e.StreamID)
	}
	if c.badWrite.Load() {
		tx.Queue(`INSERT INTO no_such_table VALUES ($1)`, int64(1))
	}
	return ch, nil
}

// count is the query of the test read model.
func count(ctx context.Context, db rmstore.DB, cat *projections.Catalog, stream string) (n int64, err error) {
	err = cat.Do(ctx, "counter", func(t *rmstore.Tables) error {
		err := db.QueryRow(ctx, t.Expand(`SELECT n FROM {{counts}} WHERE stream = $1`), stream).Scan(&n)
		if err == rmstore.ErrNoRows {
			n, err = 0, nil
		}
		return err
	})
	return n, err
}

// total returns the sum of all counts and the number of applied rows.
func total(ctx context.Context, db rmstore.DB, cat *projections.Catalog) (sum, applied int64, err error) {
	return totalOf(ctx, db, cat, "counter")
}

// totalOf is total of the counter projection called name.
func totalOf(ctx context.Context, db rmstore.DB, cat *projections.Catalog, name string) (sum, applied int64, err error) {
	err = cat.Do(ctx, name, func(t *rmstore.Tables) error {
		if err := db.QueryRow(ctx, t.Expand(`SELECT coalesce(sum(n), 0) FROM {{counts}}`)).Scan(&sum); err != nil {
			return err
		}
		return db.QueryRow(ctx, t.Expand(`SELECT count(*) FROM {{applied}}`)).Scan(&applied)
	})
	return sum, applied, err
}

// appendMany appends n events over streams stream-0 … stream-(streams-1),
// perAppend events per append, and returns the last position.
func appendMany(t testing.TB, s eventstore.Store, prefix string, n, streams, perAppend int) eventstore.Position {
	t.Helper()
	var last eventstore.Position
	for i := 0; i < n; {
		k := min(perAppend, n-i)
		evs := make([]eventstore.NewEvent, k)
		for j := range evs {
			evs[j] = rmtest.Event("test.happened", map[string]int{"i": i + j})
		}
		res, err := s.Append(context.Background(), eventstore.AppendRequest{
			Stream: fmt.Sprintf("%s-%d", prefix, (i/perAppend)%streams), Expected: eventstore.ExpectAny(), Events: evs})
		if err != nil {
			t.Fatalf("append: %v", err)
		}
		last = res.Position
		i += k
	}
	waitVisible(t, s, last)
	return last
}

// waitVisible waits until the log's head has reached pos (on PostgreSQL an
// append becomes readable once no older transaction can still commit).
func waitVisible(t testing.TB, s eventstore.Store, pos eventstore.Position) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		head, err := s.Head(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if head.Compare(pos) >= 0 {
			return
		}
		if err := s.WaitAfter(ctx, head); err != nil {
			t.Fatalf("waiting for %v to become visible: %v", pos, err)
		}
	}
}
