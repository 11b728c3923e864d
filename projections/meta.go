package projections

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"shenguan/eventstore"
	"shenguan/projections/rmstore"
)

// metaSchema creates the bookkeeping tables (portable SQL).
var metaSchema = []string{
	`CREATE TABLE IF NOT EXISTS projection_generations (
		name TEXT PRIMARY KEY,
		active BIGINT NOT NULL,
		version BIGINT NOT NULL,
		next_gen BIGINT NOT NULL,
		switched_at BIGINT NOT NULL
	)`,
	`CREATE TABLE IF NOT EXISTS projection_checkpoints (
		name TEXT NOT NULL,
		generation BIGINT NOT NULL,
		version BIGINT NOT NULL,
		tables TEXT NOT NULL,
		major BIGINT NOT NULL,
		minor BIGINT NOT NULL,
		events BIGINT NOT NULL,
		event_recorded_at BIGINT NOT NULL,
		updated_at BIGINT NOT NULL,
		PRIMARY KEY (name, generation)
	)`,
}

// notifyChannel is the PostgreSQL channel of projection commits.
const notifyChannel = "shenguan_projections"

// setupLockKey serialises schema changes across replicas on PostgreSQL.
const setupLockKey = 0x5348454e4755414e // "SHENGUAN"

// lockSetup serialises DDL across replicas (SQLite's BEGIN IMMEDIATE
// already does).
func lockSetup(ctx context.Context, tx rmstore.Tx, d rmstore.Dialect) error {
	if d == rmstore.Postgres {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(setupLockKey)); err != nil {
			return err
		}
	}
	return nil
}

// setupMeta creates the bookkeeping tables when missing.
func setupMeta(ctx context.Context, db rmstore.DB) error {
	tx, err := db.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	if err := lockSetup(ctx, tx, db.Dialect()); err != nil {
		return fmt.Errorf("projections: setup: %w", err)
	}
	for _, s := range metaSchema {
		if _, err := tx.Exec(ctx, s); err != nil {
			return fmt.Errorf("projections: setup: %w", err)
		}
	}
	return tx.Commit(ctx)
}

// genState is what a runner knows of a projection's generation.
type genState struct {
	gen     int64
	version int
	tables  *rmstore.Tables
	pos     eventstore.Position
}

func forUpdate(d rmstore.Dialect) string {
	if d == rmstore.Postgres {
		return " FOR UPDATE"
	}
	return ""
}

// forShareUpdate locks the generation row (g) shared and the checkpoint
// row (c) for update.
func forShareUpdate(d rmstore.Dialect) string {
	if d == rmstore.Postgres {
		return " FOR SHARE OF g FOR UPDATE OF c"
	}
	return ""
}

// errExists: createGeneration(activate) found the projection set up already.
var errExists = errors.New("projections: already set up")

// createGeneration allocates the next generation of p, creates its tables
// and its checkpoint row at position zero. When p has no generations row,
// one is inserted with active = 0 (nothing to query yet) unless activate.
// The secondary indexes (Indexer) are created with the tables when
// activate; otherwise the caller (Rebuild) creates them with
// createIndexes once the tables are filled.
func createGeneration(ctx context.Context, db rmstore.DB, p Projection, activate bool) (genState, error) {
	tx, err := db.Begin(ctx)
	if err != nil {
		return genState{}, err
	}
	defer tx.Rollback(ctx)
	if err := lockSetup(ctx, tx, db.Dialect()); err != nil {
		return genState{}, err
	}
	var next int64
	err = tx.QueryRow(ctx, `SELECT next_gen FROM projection_generations WHERE name = $1`+forUpdate(db.Dialect()), p.Name()).Scan(&next)
	now := rmstore.Micros(time.Now())
	switch {
	case errors.Is(err, rmstore.ErrNoRows):
		next = 1
		active := int64(0)
		if activate {
			active = 1
		}
		if _, err := tx.Exec(ctx, `INSERT INTO projection_generations (name, active, version, next_gen, switched_at) VALUES ($1, $2, $3, 2, $4)`,
			p.Name(), active, int64(p.Version()), now); err != nil {
			return genState{}, err
		}
	case err != nil:
		return genState{}, err
	case activate:
		// Setup raced another replica, which created the first generation.
		return genState{}, errExists
	default:
		if _, err := tx.Exec(ctx, `UPDATE projection_generations SET next_gen = next_gen + 1 WHERE name = $1`, p.Name()); err != nil {
			return genState{}, err
		}
	}
	t := TablesFor(p, next)
	names, _ := json.Marshal(t.Names())
	ddl := p.Schema(db.Dialect(), t)
	if activate {
		ddl = append(ddl, indexes(p, db.Dialect(), t)...)
	}
	for _, s := range ddl {
		if _, err := tx.Exec(ctx, s); err != nil {
			return genState{}, fmt.Errorf("projections: %s schema (generation %d): %w", p.Name(), next, err)
		}
	}
	if _, err := tx.Exec(ctx, `INSERT INTO projection_checkpoints (name, generation, version, tables, major, minor, events, event_recorded_at, updated_at)
		VALUES ($1, $2, $3, $4, 0, 0, 0, 0, $5)`, p.Name(), next, int64(p.Version()), string(names), now); err != nil {
		return genState{}, err
	}
	if err := tx.Commit(ctx); err != nil {
		return genState{}, err
	}
	return genState{gen: next, version: p.Version(), tables: t}, nil
}

// createIndexes creates the secondary indexes of p's generation g (see
// Indexer) in one transaction.
func createIndexes(ctx context.Context, db rmstore.DB, p Projection, g genState) error {
	ddl := indexes(p, db.Dialect(), g.tables)
	if len(ddl) == 0 {
		return nil
	}
	tx, err := db.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	for _, s := range ddl {
		if _, err := tx.Exec(ctx, s); err != nil {
			return fmt.Errorf("projections: %s indexes (generation %d): %w", p.Name(), g.gen, err)
		}
	}
	return tx.Commit(ctx)
}

// loadActive reads p's active generation and its checkpoint; ok is false
// when p has no active generation.
func loadActive(ctx context.Context, q rmstore.Querier, name string) (g genState, ok bool, err error) {
	var tables string
	var maj, min int64
	err = q.QueryRow(ctx, `SELECT g.active, c.version, c.tables, c.major, c.minor
		FROM projection_generations g JOIN projection_checkpoints c ON c.name = g.name AND c.generation = g.active
		WHERE g.name = $1`, name).Scan(&g.gen, &g.version, &tables, &maj, &min)
	if errors.Is(err, rmstore.ErrNoRows) {
		return genState{}, false, nil
	}
	if err != nil {
		return genState{}, false, fmt.Errorf("projections: load %s: %w", name, err)
	}
	m := map[string]string{}
	if err := json.Unmarshal([]byte(tables), &m); err != nil {
		return genState{}, false, fmt.Errorf("projections: load %s: tables: %w", name, err)
	}
	g.tables = rmstore.NewTables(m)
	g.pos = eventstore.Position{Major: uint64(maj), Minor: uint64(min)}
	return g, true, nil
}

// applyBatch applies events to p in tx: it locks p's checkpoint row of
// generation g.gen and checks it equals g.pos (else ErrCheckpointMoved);
// when live, it also checks g.gen is still active (else
// ErrGenerationSwitched, holding a share lock so that a switch waits for
// the batch). Then Apply and the checkpoint update are queued. The caller
// commits.
func applyBatch(ctx context.Context, tx rmstore.Tx, d rmstore.Dialect, p Projection, g genState, live bool, events []eventstore.Event) (Changes, error) {
	// The checkpoint row, locked for the update below; when live, in the
	// same round trip the active generation (shared lock, so that a switch
	// waits for this batch).
	q := `SELECT c.generation, c.major, c.minor FROM projection_checkpoints c
		WHERE c.name = $1 AND c.generation = $2` + forUpdate(d)
	if live {
		q = `SELECT g.active, c.major, c.minor FROM projection_generations g
			JOIN projection_checkpoints c ON c.name = g.name AND c.generation = $2
			WHERE g.name = $1` + forShareUpdate(d)
	}
	var active, maj, min int64
	err := tx.QueryRow(ctx, q, p.Name(), g.gen).Scan(&active, &maj, &min)
	switch {
	case errors.Is(err, rmstore.ErrNoRows):
		return nil, ErrGenerationSwitched
	case err != nil:
		return nil, fmt.Errorf("projections: %s: read checkpoint: %w", p.Name(), err)
	case active != g.gen:
		return nil, ErrGenerationSwitched
	}
	if (eventstore.Position{Major: uint64(maj), Minor: uint64(min)}) != g.pos {
		return nil, ErrCheckpointMoved
	}
	ch, err := p.Apply(ctx, tx, g.tables, events)
	if err != nil {
		return nil, fmt.Errorf("projections: %s apply: %w", p.Name(), err)
	}
	last := events[len(events)-1]
	tx.Queue(`UPDATE projection_checkpoints SET major = $3, minor = $4, events = events + $5, event_recorded_at = $6, updated_at = $7
		WHERE name = $1 AND generation = $2`,
		p.Name(), g.gen, int64(last.Position.Major), int64(last.Position.Minor), int64(len(events)),
		rmstore.Micros(last.RecordedAt), rmstore.Micros(time.Now()))
	return ch, nil
}

// notifyPayload is the JSON sent with NOTIFY.
type notifyPayload struct {
	Origin     string   `json:"o"`
	Projection string   `json:"p"`
	Generation int64    `json:"g"`
	Major      uint64   `json:"ma"`
	Minor      uint64   `json:"mi"`
	Keys       []string `json:"k,omitempty"`
	All        bool     `json:"a,omitempty"`
}

// maxNotifyKeys bounds the payload (PostgreSQL allows 8000 bytes); beyond
// it a change is sent as All.
const maxNotifyBytes = 7000

func encodeNotify(origin string, c Change) string {
	p := notifyPayload{Origin: origin, Projection: c.Projection, Generation: c.Generation,
		Major: c.Position.Major, Minor: c.Position.Minor, Keys: c.Keys, All: c.All}
	b, _ := json.Marshal(p)
	if len(b) > maxNotifyBytes {
		p.Keys, p.All = nil, true
		b, _ = json.Marshal(p)
	}
	return string(b)
}

// queueNotify sends c to other replicas when tx commits (PostgreSQL only).
func queueNotify(tx rmstore.Tx, d rmstore.Dialect, origin string, c Change) {
	if d == rmstore.Postgres {
		tx.Queue(`SELECT pg_notify($1, $2)`, notifyChannel, encodeNotify(origin, c))
	}
}

// switchGeneration makes gen the active generation of p (with version) and
// returns the previous active generation (0 when none).
func switchGeneration(ctx context.Context, tx rmstore.Tx, d rmstore.Dialect, name string, gen int64, version int) (old int64, err error) {
	if err := tx.QueryRow(ctx, `SELECT active FROM projection_generations WHERE name = $1`+forUpdate(d), name).Scan(&old); err != nil {
		return 0, fmt.Errorf("projections: switch %s: %w", name, err)
	}
	if _, err := tx.Exec(ctx, `UPDATE projection_generations SET active = $2, version = $3, switched_at = $4 WHERE name = $1`,
		name, gen, int64(version), rmstore.Micros(time.Now())); err != nil {
		return 0, fmt.Errorf("projections: switch %s: %w", name, err)
	}
	return old, nil
}

// dropGenerations drops the tables and checkpoint rows of the generations
// of name selected by drop.
func dropGenerations(ctx context.Context, db rmstore.DB, name string, drop func(gen int64) bool) error {
	rows, err := db.Query(ctx, `SELECT generation, tables FROM projection_checkpoints WHERE name = $1`, name)
	if err != nil {
		return err
	}
	type old struct {
		gen    int64
		tables map[string]string
	}
	var olds []old
	for rows.Next() {
		var o old
		var s string
		if err := rows.Scan(&o.gen, &s); err != nil {
			rows.Close()
			return err
		}
		if err := json.Unmarshal([]byte(s), &o.tables); err != nil {
			rows.Close()
			return err
		}
		if drop(o.gen) {
			olds = append(olds, o)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, o := range olds {
		tx, err := db.Begin(ctx)
		if err != nil {
			return err
		}
		for _, phys := range o.tables {
			if _, err := tx.Exec(ctx, `DROP TABLE IF EXISTS `+phys); err != nil {
				tx.Rollback(ctx)
				return fmt.Errorf("projections: drop %s: %w", phys, err)
			}
		}
		if _, err := tx.Exec(ctx, `DELETE FROM projection_checkpoints WHERE name = $1 AND generation = $2`, name, o.gen); err != nil {
			tx.Rollback(ctx)
			return err
		}
		if err := tx.Commit(ctx); err != nil {
			return err
		}
	}
	return nil
}

// Catalog resolves the physical table names of read models for queries:
// the active generation's, cached, refreshed when a runner in this process
// sees a switch (Invalidate) and at least every TTL.
type Catalog struct {
	db  rmstore.DB
	ttl time.Duration

	mu    sync.Mutex
	cache map[string]catalogEntry
}

type catalogEntry struct {
	gen     int64
	tables  *rmstore.Tables
	fetched time.Time
}

// NewCatalog returns a catalog over db with a 5 s TTL.
func NewCatalog(db rmstore.DB) *Catalog {
	return &Catalog{db: db, ttl: 5 * time.Second, cache: map[string]catalogEntry{}}
}

// Tables returns the physical tables of projection name's active
// generation. Errors: ErrNotBuilt when it has none yet.
func (c *Catalog) Tables(ctx context.Context, name string) (*rmstore.Tables, error) {
	c.mu.Lock()
	e, ok := c.cache[name]
	c.mu.Unlock()
	if ok && time.Since(e.fetched) < c.ttl {
		return e.tables, nil
	}
	g, found, err := loadActive(ctx, c.db, name)
	if err != nil {
		if rmstore.IsUndefinedTable(err) {
			return nil, fmt.Errorf("%w: %s", ErrNotBuilt, name)
		}
		return nil, err
	}
	if !found || g.gen == 0 {
		return nil, fmt.Errorf("%w: %s", ErrNotBuilt, name)
	}
	c.mu.Lock()
	c.cache[name] = catalogEntry{gen: g.gen, tables: g.tables, fetched: time.Now()}
	c.mu.Unlock()
	return g.tables, nil
}

// Do runs fn with the active tables of projection name. When fn fails
// because a table does not exist (a generation switch dropped the tables
// it had resolved), Do refreshes the names and runs fn once more. Queries
// of read models should use Do.
func (c *Catalog) Do(ctx context.Context, name string, fn func(t *rmstore.Tables) error) error {
	t, err := c.Tables(ctx, name)
	if err != nil {
		return err
	}
	err = fn(t)
	if !rmstore.IsUndefinedTable(err) {
		return err
	}
	c.Invalidate(name)
	if t, err = c.Tables(ctx, name); err != nil {
		return err
	}
	return fn(t)
}

// Invalidate drops the cached names of a projection (all when name is "").
func (c *Catalog) Invalidate(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if name == "" {
		clear(c.cache)
		return
	}
	delete(c.cache, name)
}

// observe invalidates the entry of c's projection when c names a newer
// generation than the cached one.
func (c *Catalog) observe(ch Change) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.cache[ch.Projection]; ok && e.gen < ch.Generation {
		delete(c.cache, ch.Projection)
	}
}
