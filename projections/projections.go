// Package projections turns the global event log into read models.
//
// A Projection reads the log in position order and writes rows into its own
// tables in a read-model store (package rmstore). The Runner applies each
// batch of events and advances the projection's checkpoint in the same
// transaction, after locking the checkpoint row and checking it still equals
// the position the batch was read from; so an event is applied exactly once
// even when a runner crashes at any point, restarts, or races another runner.
//
// Tables are versioned by generation: the physical name of logical table t
// of projection p in generation g is p_t_g<g> (see PhysicalName). The table
// projection_generations says which generation is active; Rebuild fills a
// new generation from position zero while queries keep reading the active
// one, then switches over atomically and drops the old tables. Queries
// resolve physical names through a Catalog.
//
// # Writing a read model
//
// A read model is one package projections/<name> with a type implementing
// Projection (schema + apply) and query functions that take an rmstore.DB
// and a *Catalog. SQL is written once for both stores following the rules
// in package rmstore, with {{table}} for logical table names:
//
//	func (counter) Name() string     { return "counter" }
//	func (counter) Version() int     { return 1 }
//	func (counter) Tables() []string { return []string{"counts"} }
//	func (counter) Schema(_ rmstore.Dialect, t *rmstore.Tables) []string {
//		return []string{t.Expand(`CREATE TABLE {{counts}} (stream TEXT PRIMARY KEY, n BIGINT NOT NULL)`)}
//	}
//	func (counter) Apply(ctx context.Context, tx rmstore.Tx, t *rmstore.Tables, evs []eventstore.Event) (projections.Changes, error) {
//		var ch projections.Changes
//		for _, e := range evs {
//			tx.Queue(t.Expand(`INSERT INTO {{counts}} (stream, n) VALUES ($1, 1)
//				ON CONFLICT (stream) DO UPDATE SET n = {{counts}}.n + 1`), e.StreamID)
//			ch.Add("stream:" + e.StreamID)
//		}
//		return ch, nil
//	}
//
//	// A query (Catalog.Do retries once if a generation switch dropped the tables):
//	func Count(ctx context.Context, db rmstore.DB, cat *projections.Catalog, stream string) (n int64, err error) {
//		err = cat.Do(ctx, "counter", func(t *rmstore.Tables) error {
//			return db.QueryRow(ctx, t.Expand(`SELECT n FROM {{counts}} WHERE stream = $1`), stream).Scan(&n)
//		})
//		return n, err
//	}
//
// Wiring (serve): r, _ := projections.New(store, db, projections.Options{}, all...);
// go r.Run(ctx); register r.Collector(); subscriptions use r.Broker();
// mutations call r.WaitFor(ctx, appendResult.Position); queries use r.Catalog().
//
// Apply must be deterministic in the events (no clock, no reads outside its
// own tables) so that a rebuild gives exactly the rows of the incremental
// run; rmtest checks this for every read model.
package projections

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"

	"shenguan/eventstore"
	"shenguan/projections/rmstore"
)

// Projection is a read model fed by the global log.
type Projection interface {
	// Name identifies the projection: lower case letters, digits and
	// underscores, starting with a letter, at most 30 characters; stable.
	Name() string
	// Version is the projection's code version. Raising it makes the
	// Runner rebuild the projection into a new generation (while queries
	// keep reading the old one) before it follows the log; a runner with a
	// lower version than the stored one stops with ErrNewerVersion.
	Version() int
	// Tables lists the logical table names (same rules as Name).
	Tables() []string
	// Schema returns the DDL statements creating the tables under the
	// physical names in t. Secondary indexes belong in Indexes (see
	// Indexer), so that a rebuild can build them once, after its pass.
	Schema(d rmstore.Dialect, t *rmstore.Tables) []string
	// Apply writes the effect of events (in position order, at least one)
	// inside tx, using the physical names in t, and returns the keys of
	// what changed. It must not commit or roll back tx.
	Apply(ctx context.Context, tx rmstore.Tx, t *rmstore.Tables, events []eventstore.Event) (Changes, error)
}

// Indexer is implemented by a projection whose tables have secondary
// indexes. Indexes returns the CREATE INDEX statements, under the physical
// names in t. They run right after Schema when a runner sets up a
// projection; Rebuild runs them only after its pass over the log (before
// the switch-over), since building an index over the filled tables costs
// far less than keeping it up to date row by row. Queries must therefore
// not rely on an index for Apply to be fast: Apply reads by primary key.
type Indexer interface {
	Indexes(d rmstore.Dialect, t *rmstore.Tables) []string
}

// indexes returns p's index statements (none unless it is an Indexer).
func indexes(p Projection, d rmstore.Dialect, t *rmstore.Tables) []string {
	if ix, ok := p.(Indexer); ok {
		return ix.Indexes(d, t)
	}
	return nil
}

// Preparer is implemented by a projection that can do part of the work of
// Apply ahead of it, outside any transaction: Rebuild calls Prepare on each
// page of the log as it is read, while earlier pages are being applied.
// Prepare must not change what Apply writes (it may, for example, decode
// the events into a memo that Apply then reads). It may be called from
// another goroutine than Apply, concurrently with it.
type Preparer interface {
	Prepare(events []eventstore.Event)
}

// Changes names what a batch changed, as keys such as "case:<id>",
// "inbox:<unit>" or "obligations:<unit>"; subscribers filter on them.
type Changes []string

// Add appends keys not already present.
func (c *Changes) Add(keys ...string) {
	for _, k := range keys {
		if !slices.Contains(*c, k) {
			*c = append(*c, k)
		}
	}
}

// Errors.
var (
	// ErrCheckpointMoved: the checkpoint row no longer equals the position
	// a batch was read from (another runner committed first); the batch was
	// not applied. The runner reloads and continues.
	ErrCheckpointMoved = errors.New("projections: checkpoint moved")
	// ErrGenerationSwitched: the projection's active generation changed
	// under a live runner; it reloads and continues on the new one.
	ErrGenerationSwitched = errors.New("projections: generation switched")
	// ErrNotBuilt: a query asked for a projection that has no active
	// generation yet (the runner has not set it up).
	ErrNotBuilt = errors.New("projections: read model not built")
	// ErrNewerVersion: the active generation was built by a newer version
	// of the projection than this binary's (a rolling deploy); the runner
	// leaves it alone and retries.
	ErrNewerVersion = errors.New("projections: read model built by a newer version")
	// ErrInvalidProjection: a name, table name or version is not allowed.
	ErrInvalidProjection = errors.New("projections: invalid projection")
)

var identRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,29}$`)

// PhysicalName returns the physical table name of a logical table of a
// projection in a generation: <projection>_<table>_g<generation>.
func PhysicalName(projection, table string, generation int64) string {
	return projection + "_" + table + "_g" + strconv.FormatInt(generation, 10)
}

// TablesFor returns the physical names of p's tables in a generation.
func TablesFor(p Projection, generation int64) *rmstore.Tables {
	m := make(map[string]string)
	for _, t := range p.Tables() {
		m[t] = PhysicalName(p.Name(), t, generation)
	}
	return rmstore.NewTables(m)
}

func validate(ps []Projection) error {
	seen := map[string]bool{}
	for _, p := range ps {
		if !identRE.MatchString(p.Name()) {
			return fmt.Errorf("%w: name %q", ErrInvalidProjection, p.Name())
		}
		if seen[p.Name()] {
			return fmt.Errorf("%w: name %q registered twice", ErrInvalidProjection, p.Name())
		}
		seen[p.Name()] = true
		if p.Version() < 1 {
			return fmt.Errorf("%w: %s version %d", ErrInvalidProjection, p.Name(), p.Version())
		}
		for _, t := range p.Tables() {
			if !identRE.MatchString(t) {
				return fmt.Errorf("%w: %s table %q", ErrInvalidProjection, p.Name(), t)
			}
		}
	}
	return nil
}
