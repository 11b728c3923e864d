package projections

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"shenguan/eventstore"
	"shenguan/projections/rmstore"
)

// RebuildOptions configure Rebuild. The zero value is usable.
type RebuildOptions struct {
	// ReadBatch is the page size read from the log (default 1000).
	ReadBatch int
	// CommitEvery is roughly how many events go into one transaction
	// (default 10 000); statements are pipelined within it.
	CommitEvery int
	// Progress, when set, is called after every chunk (once its
	// transactions, one per lane, have committed) and once at the end.
	Progress func(Progress)
	// OnSwitch, when set, is called with the change of each switched
	// projection (the Runner uses it to publish in-process).
	OnSwitch func(Change)
}

// Progress reports a running rebuild.
type Progress struct {
	Projections []string
	Events      int64               // events applied so far
	Position    eventstore.Position // last applied
	Head        eventstore.Position // the log's head when the rebuild started
	Elapsed     time.Duration
	PerSecond   float64 // events/s since the start
	// Fraction estimates how much is done, from the major parts of the
	// positions (exact on SQLite, where Major is the row sequence; an
	// estimate elsewhere); ETA follows from it. Both are zero when unknown.
	Fraction float64
	ETA      time.Duration
	Done     bool
}

// Rebuild rebuilds projs from position zero into a new generation of tables
// while the current generation keeps answering queries (and a live runner
// keeps following on it). When the new generation has caught up with the
// log it becomes active in one transaction (a live runner then continues
// on it from its checkpoint), other replicas are notified, and the tables
// of every other generation are dropped.
//
// One pass over the log feeds all projs; a run of pages (a chunk, about
// CommitEvery events) is applied to each of them in one Apply call, the
// projections concurrently (see txView), in one transaction per lane (on
// PostgreSQL two, see lanes) that also advances their checkpoints;
// a reader goroutine prefetches the pages and hands them to the
// projections that implement Preparer. The secondary indexes of the new tables
// (Indexer) are built after the pass, before the switch-over. Do not run two
// rebuilds of the same projection at once. On error the new generation's
// tables are dropped and the active generation is left as it was.
func Rebuild(ctx context.Context, store eventstore.Store, db rmstore.DB, projs []Projection, opts RebuildOptions) error {
	if err := validate(projs); err != nil {
		return err
	}
	if opts.ReadBatch <= 0 {
		opts.ReadBatch = 1000
	}
	if opts.CommitEvery <= 0 {
		opts.CommitEvery = 10000
	}
	if err := setupMeta(ctx, db); err != nil {
		return err
	}
	head, err := store.Head(ctx)
	if err != nil {
		return fmt.Errorf("projections: rebuild: head: %w", err)
	}
	gens := make([]genState, len(projs))
	names := make([]string, len(projs))
	for i, p := range projs {
		names[i] = p.Name()
		if gens[i], err = createGeneration(ctx, db, p, false); err != nil {
			cleanupRebuild(db, projs[:i], gens[:i])
			return err
		}
	}
	if err := rebuildPass(ctx, store, db, projs, gens, head, names, opts); err != nil {
		cleanupRebuild(db, projs, gens)
		return err
	}
	// The secondary indexes, built once over the filled tables.
	if err := createAllIndexes(ctx, db, projs, gens); err != nil {
		cleanupRebuild(db, projs, gens)
		return err
	}
	// Switch over, all projections in one transaction.
	tx, err := db.Begin(ctx)
	if err != nil {
		cleanupRebuild(db, projs, gens)
		return err
	}
	changes := make([]Change, len(projs))
	for i, p := range projs {
		if _, err := switchGeneration(ctx, tx, db.Dialect(), p.Name(), gens[i].gen, p.Version()); err != nil {
			tx.Rollback(ctx)
			cleanupRebuild(db, projs, gens)
			return err
		}
	}
	// The generation rows are locked now, so a live runner on the old
	// generation cannot commit: catch the new generation up with the end
	// of the log inside this transaction, so that it is never behind the
	// old one (WaitFor answers given on the old one stay true).
	if err := catchUp(ctx, tx, store, db.Dialect(), projs, gens, opts.ReadBatch); err != nil {
		tx.Rollback(ctx)
		cleanupRebuild(db, projs, gens)
		return err
	}
	for i, p := range projs {
		changes[i] = Change{Projection: p.Name(), Generation: gens[i].gen, Position: gens[i].pos, All: true}
		queueNotify(tx, db.Dialect(), "rebuild", changes[i])
	}
	if err := tx.Commit(ctx); err != nil {
		cleanupRebuild(db, projs, gens)
		return err
	}
	for _, c := range changes {
		if opts.OnSwitch != nil {
			opts.OnSwitch(c)
		}
	}
	for i, p := range projs {
		keep := gens[i].gen
		if err := dropGenerations(ctx, db, p.Name(), func(g int64) bool { return g != keep }); err != nil {
			return fmt.Errorf("projections: rebuild %s: switched, but dropping old tables failed: %w", p.Name(), err)
		}
	}
	return nil
}

// createAllIndexes builds the secondary indexes of the new generations,
// each projection's in a transaction of its own: on PostgreSQL those of two
// projections at a time, on their own connections (the server builds them
// on both cores); on SQLite, which has one writer, one after the other.
func createAllIndexes(ctx context.Context, db rmstore.DB, projs []Projection, gens []genState) error {
	workers := 1
	if db.Dialect() == rmstore.Postgres {
		workers = 2
	}
	errs := make([]error, len(projs))
	next := make(chan int, len(projs))
	for i := range projs {
		next <- i
	}
	close(next)
	var wg sync.WaitGroup
	for range min(workers, len(projs)) {
		wg.Go(func() {
			for i := range next {
				errs[i] = createIndexes(ctx, db, projs[i], gens[i])
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// cleanupRebuild drops the unfinished generations of a failed rebuild.
func cleanupRebuild(db rmstore.DB, projs []Projection, gens []genState) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for i, p := range projs {
		g := gens[i].gen
		dropGenerations(ctx, db, p.Name(), func(x int64) bool { return x == g })
	}
}

type page struct {
	events []eventstore.Event
	err    error
}

// rebuildPass applies the whole log to the new generations. A reader
// goroutine reads pages ahead, up to a chunk (readAhead), and a second one
// prepares them (Preparer) and hands them on, up to prepareAhead pages
// ahead of the chunk being applied: so the next chunk is read and decoded
// while the current one is applied and committed, memory holds about two
// chunks of events, and a Preparer's memo that holds a chunk and a few
// pages (obligation.Decode) still holds every prepared event when Apply
// asks for it.
func rebuildPass(ctx context.Context, store eventstore.Store, db rmstore.DB, projs []Projection, gens []genState,
	head eventstore.Position, names []string, opts RebuildOptions) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	raw := make(chan page, readAhead(opts))
	pages := make(chan page, prepareAhead)
	var preparers []Preparer
	for _, p := range projs {
		if pr, ok := p.(Preparer); ok {
			preparers = append(preparers, pr)
		}
	}
	go func() {
		defer close(raw)
		var pos eventstore.Position
		for {
			evs, err := store.ReadAll(ctx, pos, opts.ReadBatch)
			if err != nil {
				select {
				case raw <- page{err: err}:
				case <-ctx.Done():
				}
				return
			}
			if len(evs) > 0 {
				select {
				case raw <- page{events: evs}:
				case <-ctx.Done():
					return
				}
				pos = evs[len(evs)-1].Position
			}
			if len(evs) < opts.ReadBatch {
				return
			}
		}
	}()
	go func() {
		defer close(pages)
		for pg := range raw {
			for _, p := range preparers {
				p.Prepare(pg.events)
			}
			select {
			case pages <- pg:
			case <-ctx.Done():
				return
			}
		}
	}()
	ln := newLanes(db.Dialect(), len(projs))
	start := time.Now()
	var done int64
	var last eventstore.Position
	report := func(final bool) {
		if opts.Progress == nil {
			return
		}
		el := time.Since(start)
		p := Progress{Projections: names, Events: done, Position: last, Head: head, Elapsed: el, Done: final}
		if el > 0 {
			p.PerSecond = float64(done) / el.Seconds()
		}
		if head.Major > 0 {
			p.Fraction = min(1, float64(last.Major)/float64(head.Major))
			if final {
				p.Fraction = 1
			}
			if p.Fraction > 0 {
				p.ETA = time.Duration(float64(el) * (1 - p.Fraction) / p.Fraction)
			}
		}
		opts.Progress(p)
	}
	for more := true; more; {
		// A chunk: the pages of one transaction, applied to each
		// projection in one call (one load of the rows it touches, each
		// row written once per chunk).
		chunk := make([]eventstore.Event, 0, opts.CommitEvery+opts.ReadBatch)
		for len(chunk) < opts.CommitEvery {
			pg, ok := <-pages
			if !ok {
				more = false
				break
			}
			if pg.err != nil {
				return fmt.Errorf("projections: rebuild: read log: %w", pg.err)
			}
			chunk = append(chunk, pg.events...)
		}
		if len(chunk) == 0 {
			break
		}
		if err := ln.apply(ctx, db, projs, gens, chunk); err != nil {
			return err
		}
		last = chunk[len(chunk)-1].Position
		for i := range gens {
			gens[i].pos = last
		}
		done += int64(len(chunk))
		report(false)
	}
	report(true)
	return nil
}

// prepareAhead is the number of prepared pages a rebuild may hold ready
// besides the chunk being applied (and one being prepared).
const prepareAhead = 4

// readAhead is the number of read pages, not yet prepared, a rebuild may
// hold: a chunk.
func readAhead(opts RebuildOptions) int {
	return max(1, (opts.CommitEvery+opts.ReadBatch-1)/opts.ReadBatch)
}

// lanes split the projections of a rebuild into transactions of their
// own, one per lane, applied and committed concurrently: on PostgreSQL two,
// so that the server writes on two connections (and two cores) at once; on
// SQLite, which has one writer, one. Each projection's rows and checkpoint
// still commit together. Projections are put in lanes by the time they took
// on the chunk before, the slowest first into the lane with least (the
// first chunk alternates): so the two heavy ones run apart.
type lanes struct {
	n    int
	took []time.Duration // by projection, on the last chunk
}

func newLanes(d rmstore.Dialect, projs int) *lanes {
	n := 1
	if d == rmstore.Postgres {
		n = min(2, projs)
	}
	return &lanes{n: n, took: make([]time.Duration, projs)}
}

// assign returns the indexes of the projections of each lane.
func (l *lanes) assign() [][]int {
	order := make([]int, len(l.took))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(l.took[b], l.took[a]) })
	out := make([][]int, l.n)
	load := make([]time.Duration, l.n)
	for k, i := range order {
		j := k % l.n // the first chunk: all took 0
		if l.took[i] > 0 {
			j = slices.Index(load, slices.Min(load))
		}
		out[j] = append(out[j], i)
		load[j] += l.took[i]
	}
	return out
}

// apply applies a chunk to every projection, each lane in a transaction,
// and commits them.
func (l *lanes) apply(ctx context.Context, db rmstore.DB, projs []Projection, gens []genState, events []eventstore.Event) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	groups := l.assign()
	errs := make([]error, len(groups))
	var wg sync.WaitGroup
	for gi, idx := range groups {
		wg.Go(func() {
			if errs[gi] = l.applyLane(ctx, db, projs, gens, idx, events); errs[gi] != nil {
				cancel() // the rebuild fails: stop the other lane early
			}
		})
	}
	wg.Wait()
	return firstError(errs)
}

func (l *lanes) applyLane(ctx context.Context, db rmstore.DB, projs []Projection, gens []genState, idx []int, events []eventstore.Event) error {
	tx, err := db.Begin(ctx)
	if err != nil {
		return err
	}
	if db.Dialect() == rmstore.SQLite {
		// A page cache that holds the B-trees being filled (the default
		// 2 MB makes every chunk read pages back from the file); a
		// setting of the connection, harmless after.
		if _, err := tx.Exec(ctx, `PRAGMA cache_size = -65536`); err != nil {
			tx.Rollback(ctx)
			return err
		}
	}
	if err := applyChunk(ctx, tx, db.Dialect(), projs, gens, idx, events, l.took); err != nil {
		tx.Rollback(ctx)
		if errors.Is(err, ErrCheckpointMoved) { // applyBatch's check, before Apply
			return fmt.Errorf("projections: rebuild: another rebuild wrote the new generation: %w", err)
		}
		return err
	}
	return tx.Commit(ctx)
}

// applyChunk applies events to the projections idx in tx (applyBatch), the
// projections concurrently, each on its own view of tx (txView), so that
// the folding of one overlaps the statements of another; the writes of
// each reach tx in order. As soon as a projection is done, its held writes
// are executed on tx (Flush, under the views' mutex) while the others are
// still folding, so that the commit has little left to write. It records
// in took how long each projection took.
func applyChunk(ctx context.Context, tx rmstore.Tx, d rmstore.Dialect, projs []Projection, gens []genState, idx []int, events []eventstore.Event, took []time.Duration) error {
	var mu sync.Mutex
	errs := make([]error, len(idx))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	start := time.Now()
	var wg sync.WaitGroup
	for k, i := range idx {
		v := &txView{ctx: ctx, mu: &mu, tx: tx, sqlite: d == rmstore.SQLite}
		wg.Go(func() {
			defer v.wait() // a hand-off must not outlive the chunk
			if _, errs[k] = applyBatch(ctx, v, d, projs[i], gens[i], false, events); errs[k] == nil {
				if err := v.Flush(ctx); err != nil {
					errs[k] = fmt.Errorf("projections: %s: write: %w", projs[i].Name(), err)
				}
			}
			if errs[k] != nil {
				cancel() // the transaction is lost: stop the others early
			}
			took[i] = time.Since(start)
		})
	}
	wg.Wait()
	return firstError(errs)
}

// firstError returns the first error that follows from no other, else the
// first. Following errors are cancellations and, on PostgreSQL, the
// refusals of a transaction a failed statement aborted (25P02: another
// projection's write failed, in a hand-off that view reports later).
func firstError(errs []error) error {
	for _, err := range errs {
		if err != nil && !errors.Is(err, context.Canceled) && rmstore.SQLState(err) != "25P02" {
			return err
		}
	}
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// catchUp applies, inside tx, whatever the log holds after the new
// generations' checkpoint (all equal after the rebuild pass).
func catchUp(ctx context.Context, tx rmstore.Tx, store eventstore.Store, d rmstore.Dialect, projs []Projection, gens []genState, batch int) error {
	if len(gens) == 0 {
		return nil
	}
	for {
		evs, err := store.ReadAll(ctx, gens[0].pos, batch)
		if err != nil {
			return fmt.Errorf("projections: rebuild: catch up: %w", err)
		}
		if len(evs) == 0 {
			return nil
		}
		for i, p := range projs {
			if _, err := applyBatch(ctx, tx, d, p, gens[i], false, evs); err != nil {
				return err
			}
			gens[i].pos = evs[len(evs)-1].Position
		}
		if len(evs) < batch {
			return nil
		}
	}
}
