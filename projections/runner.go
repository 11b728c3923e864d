package projections

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"shenguan/eventstore"
	"shenguan/projections/rmstore"
)

// Options configure a Runner. The zero value is usable.
type Options struct {
	// BatchSize is the most events read and committed in one transaction
	// when following (default 1000). A batch is whatever has arrived, up to
	// this many.
	BatchSize int
	// LeaderRetry is how often a replica that does not run a projection
	// tries to take it over (default 1 s); on PostgreSQL it is also how often
	// the leader checks its lock connection.
	LeaderRetry time.Duration
	// Broker receives every change (default: a new one, see Runner.Broker).
	Broker *Broker
	// Catalog is invalidated on generation switches (default: a new one).
	Catalog *Catalog
	// Logger gets errors that the runner retries (default slog.Default()).
	Logger *slog.Logger
}

// Runner runs projections: it keeps each one's read model up to date with
// the log (Run, RunToEnd), elects one leader per projection across replicas
// on PostgreSQL, publishes what changed, answers WaitFor and reports Stats.
// All methods are safe for concurrent use.
type Runner struct {
	store   eventstore.Store
	db      rmstore.DB
	opts    Options
	origin  string
	projs   []*tracked
	byName  map[string]*tracked
	broker  *Broker
	catalog *Catalog
	log     *slog.Logger

	setupMu sync.Mutex
	setup   bool

	progMu   sync.Mutex
	progress chan struct{} // closed and replaced when any checkpoint advances

	// writeMu serialises the projections' write transactions on SQLite,
	// which admits one writer per file: without it the projections'
	// BEGIN IMMEDIATE collide and the losers wait in SQLite's busy
	// handler, which sleeps 1, 2, 5, 10 … 100 ms between retries instead
	// of waking when the writer commits.
	writeMu sync.Mutex

	// tail caches the end of the log the projections have just read, so
	// that the projections following the log read each batch once, not
	// once per projection.
	tail logTail

	elector elector
}

// tracked is the runner's view of one projection.
type tracked struct {
	p Projection

	mu         sync.Mutex
	gen        int64               // best known active generation
	pos        eventstore.Position // its checkpoint (local commits and notifications)
	known      bool
	leader     bool
	applied    uint64
	samples    []sample
	lastCommit time.Time
	lastErr    error
}

type sample struct {
	at time.Time
	n  uint64
}

// New returns a runner of projs over an event store and a read-model
// store. It does not touch the database until Setup, Run or RunToEnd.
// Errors: ErrInvalidProjection for a bad or duplicate name.
func New(store eventstore.Store, db rmstore.DB, opts Options, projs ...Projection) (*Runner, error) {
	if err := validate(projs); err != nil {
		return nil, err
	}
	if opts.BatchSize <= 0 {
		opts.BatchSize = 1000
	}
	if opts.LeaderRetry <= 0 {
		opts.LeaderRetry = time.Second
	}
	if opts.Broker == nil {
		opts.Broker = NewBroker()
	}
	if opts.Catalog == nil {
		opts.Catalog = NewCatalog(db)
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	var b [8]byte
	rand.Read(b[:])
	r := &Runner{
		store: store, db: db, opts: opts, origin: hex.EncodeToString(b[:]),
		byName: map[string]*tracked{}, broker: opts.Broker, catalog: opts.Catalog,
		log: opts.Logger, progress: make(chan struct{}),
	}
	for _, p := range projs {
		t := &tracked{p: p}
		r.projs = append(r.projs, t)
		r.byName[p.Name()] = t
	}
	if pg, ok := db.(*rmstore.PostgresDB); ok {
		r.elector = newPGElector(pg, opts.LeaderRetry, r.log)
	} else {
		r.elector = localElector{}
	}
	return r, nil
}

// Broker returns the broker changes are published to.
func (r *Runner) Broker() *Broker { return r.broker }

// Catalog returns the catalog the runner keeps fresh.
func (r *Runner) Catalog() *Catalog { return r.catalog }

// Setup creates the bookkeeping tables and the first generation of every
// projection that has none. It is idempotent and safe to run from several
// replicas at once.
func (r *Runner) Setup(ctx context.Context) error {
	r.setupMu.Lock()
	defer r.setupMu.Unlock()
	if r.setup {
		return nil
	}
	if err := setupMeta(ctx, r.db); err != nil {
		return err
	}
	for _, t := range r.projs {
		_, found, err := loadActive(ctx, r.db, t.p.Name())
		if err != nil {
			return err
		}
		if !found {
			if _, err := createGeneration(ctx, r.db, t.p, true); err != nil && !errors.Is(err, errExists) {
				return err
			}
		}
	}
	r.setup = true
	return nil
}

// RunToEnd brings every projection up to the log's current visible end and returns
// (used by tests and after a rebuild). It takes no leadership: it may run
// beside a live runner, and the checkpoint check still applies each event
// exactly once. A projection whose Version changed is rebuilt first.
func (r *Runner) RunToEnd(ctx context.Context) error {
	if err := r.Setup(ctx); err != nil {
		return err
	}
	for _, t := range r.projs {
		if err := r.runOne(ctx, t); err != nil {
			return err
		}
	}
	return nil
}

// RunUntil applies events until every projection's checkpoint has reached
// pos (typically the position of the last append), waiting with WaitAfter
// while pos is not yet visible in the log: on PostgreSQL an appended event
// becomes readable only once no older transaction can still commit.
func (r *Runner) RunUntil(ctx context.Context, pos eventstore.Position) error {
	for {
		if err := r.RunToEnd(ctx); err != nil {
			return err
		}
		if r.passed(pos) {
			return nil
		}
		low := pos
		for _, t := range r.projs {
			t.mu.Lock()
			if t.pos.Compare(low) < 0 {
				low = t.pos
			}
			t.mu.Unlock()
		}
		if err := r.store.WaitAfter(ctx, low); err != nil {
			return err
		}
	}
}

// Run follows the log with every projection until ctx is done, then returns
// ctx.Err(). On PostgreSQL each projection runs on exactly one replica at a
// time (a session advisory lock); the others retry every LeaderRetry. The
// projections a replica leads follow as one group: each batch is applied
// to all of them in one transaction (see followGroup). Run
// also listens for other replicas' commits (LISTEN/NOTIFY) so that Broker
// subscribers and WaitFor see them. Errors inside a projection (a failing
// Apply, a lost connection) are logged and retried with back-off; Stats
// reports the last one.
func (r *Runner) Run(ctx context.Context) error {
	for {
		err := r.Setup(ctx)
		if err == nil {
			break
		}
		r.log.Error("projections: setup", "err", err)
		if !sleep(ctx, r.opts.LeaderRetry) {
			return ctx.Err()
		}
	}
	var wg sync.WaitGroup
	if pg, ok := r.db.(*rmstore.PostgresDB); ok {
		wg.Add(1)
		go func() { defer wg.Done(); r.listen(ctx, pg) }()
	}
	wg.Add(1)
	go func() { defer wg.Done(); r.elector.watch(ctx) }()
	// The projections this replica leads follow the log as one group:
	// each batch is applied to all of them in one transaction.
	g := newGroup()
	wg.Add(1)
	go func() { defer wg.Done(); r.followGroup(ctx, g) }()
	for _, t := range r.projs {
		wg.Add(1)
		go func() { defer wg.Done(); r.lead(ctx, t, g) }()
	}
	wg.Wait()
	return ctx.Err()
}

// lead takes the leadership of t (on PostgreSQL, against other replicas),
// loads (or rebuilds) its generation and hands it to the group, until the
// group gives it back (a failure: then it releases the leadership and
// retries with back-off) or the leadership is lost; until ctx is done.
func (r *Runner) lead(ctx context.Context, t *tracked, g *group) {
	backoff := r.opts.LeaderRetry
	for ctx.Err() == nil {
		lctx, release, err := r.elector.acquire(ctx, t.p.Name())
		if err != nil {
			continue // ctx done, or retried inside acquire
		}
		t.setLeader(true)
		gs, err := r.prepare(lctx, t)
		m := &member{t: t, g: gs, lctx: lctx, left: make(chan error, 1)}
		if err == nil {
			g.join(m)
			select {
			case <-lctx.Done():
			case err = <-m.left:
			}
		}
		lost := lctx.Err() != nil // before release, which cancels lctx
		t.setLeader(false)
		release()
		if ctx.Err() != nil {
			return
		}
		if m.ok.Load() {
			backoff = r.opts.LeaderRetry
		}
		if err != nil && !lost && !errors.Is(err, errNeedsRebuild) {
			t.setErr(err)
			r.log.Error("projections: projection failed; retrying", "projection", t.p.Name(), "err", err, "retry", backoff)
			if !sleep(ctx, backoff) {
				return
			}
			backoff = min(backoff*2, 30*time.Second)
		}
	}
}

// errNeedsRebuild: prepareWith (not rebuilding) found that the projection's version changed.
var errNeedsRebuild = errors.New("projections: version changed")

// prepare returns the active generation of t's projection, rebuilding it
// first when its stored version differs from the code's.
func (r *Runner) prepare(ctx context.Context, t *tracked) (genState, error) {
	return r.prepareWith(ctx, t, true)
}

// prepareWith is prepare; unless rebuild, a changed version gives
// errNeedsRebuild instead of a rebuild.
func (r *Runner) prepareWith(ctx context.Context, t *tracked, rebuild bool) (genState, error) {
	g, found, err := loadActive(ctx, r.db, t.p.Name())
	if err != nil {
		return genState{}, err
	}
	if !found {
		return genState{}, fmt.Errorf("%w: %s", ErrNotBuilt, t.p.Name())
	}
	if g.version > t.p.Version() {
		// A newer release rebuilt it; this (older) replica must not rebuild
		// it back during a rolling deploy.
		return genState{}, fmt.Errorf("%w: %s is at version %d, this binary has %d", ErrNewerVersion, t.p.Name(), g.version, t.p.Version())
	}
	if g.version < t.p.Version() {
		if !rebuild {
			return genState{}, errNeedsRebuild
		}
		r.log.Info("projections: version changed; rebuilding", "projection", t.p.Name(), "from", g.version, "to", t.p.Version())
		err := Rebuild(ctx, r.store, r.db, []Projection{t.p}, RebuildOptions{OnSwitch: r.publishLocal})
		if err != nil {
			return genState{}, err
		}
		return r.prepare(ctx, t)
	}
	r.observe(Change{Projection: t.p.Name(), Generation: g.gen, Position: g.pos}, false)
	return g, nil
}

// runOne applies batches to one projection until the end of the log.
func (r *Runner) runOne(ctx context.Context, t *tracked) error {
	g, err := r.prepare(ctx, t)
	if err != nil {
		return err
	}
	for {
		evs, err := r.store.ReadAll(ctx, g.pos, r.opts.BatchSize)
		if err != nil {
			return fmt.Errorf("projections: %s: read log: %w", t.p.Name(), err)
		}
		if len(evs) == 0 {
			return nil
		}
		err = r.commit(ctx, t, g, evs)
		if errors.Is(err, ErrCheckpointMoved) || errors.Is(err, ErrGenerationSwitched) {
			if g, err = r.prepare(ctx, t); err != nil {
				return err
			}
			continue
		}
		if err != nil {
			return err
		}
		g.pos = evs[len(evs)-1].Position
		if len(evs) < r.opts.BatchSize {
			return nil
		}
	}
}

// commit applies one batch and its checkpoint in one transaction, then
// publishes the change: the group's transaction (tryGroup) with one member.
func (r *Runner) commit(ctx context.Context, t *tracked, g genState, evs []eventstore.Event) error {
	_, err := r.tryGroup(ctx, []*member{{t: t, g: g, evs: evs}}, false)
	return err
}

// publishLocal records a committed change and publishes it in-process.
func (r *Runner) publishLocal(c Change) { r.publishLocalAll([]Change{c}) }

// publishLocalAll records changes committed together and publishes them
// in-process, waking WaitFor once.
func (r *Runner) publishLocalAll(cs []Change) {
	for _, c := range cs {
		r.record(c, true)
	}
	r.wake()
	for _, c := range cs {
		r.broker.Publish(c)
	}
}

// observe advances the known checkpoint of c's projection and wakes
// WaitFor. Changes of older generations are ignored.
func (r *Runner) observe(c Change, committed bool) {
	r.record(c, committed)
	r.wake()
}

// record advances the known checkpoint of c's projection (see observe).
func (r *Runner) record(c Change, committed bool) {
	t, ok := r.byName[c.Projection]
	if ok {
		t.mu.Lock()
		switch {
		case c.Generation > t.gen:
			t.gen, t.pos, t.known = c.Generation, c.Position, true
		case c.Generation == t.gen && c.Position.Compare(t.pos) > 0:
			t.pos, t.known = c.Position, true
		case c.Generation == t.gen:
			t.known = true
		}
		if committed {
			t.lastCommit = time.Now()
		}
		t.mu.Unlock()
	}
	r.catalog.observe(c)
}

// wake wakes every WaitFor to re-check the checkpoints.
func (r *Runner) wake() {
	r.progMu.Lock()
	close(r.progress)
	r.progress = make(chan struct{})
	r.progMu.Unlock()
}

// refresh reads every projection's active checkpoint from the database.
func (r *Runner) refresh(ctx context.Context) error {
	for _, t := range r.projs {
		g, found, err := loadActive(ctx, r.db, t.p.Name())
		if err != nil {
			return err
		}
		if found {
			r.observe(Change{Projection: t.p.Name(), Generation: g.gen, Position: g.pos}, false)
		}
	}
	return nil
}

// passed reports whether every projection's known checkpoint is at or after pos.
func (r *Runner) passed(pos eventstore.Position) bool {
	for _, t := range r.projs {
		t.mu.Lock()
		ok := t.known && t.pos.Compare(pos) >= 0
		t.mu.Unlock()
		if !ok {
			return false
		}
	}
	return true
}

// WaitFor blocks until every projection's checkpoint has reached pos (the
// position of an append), so that a mutation can answer with its own write
// visible. It is woken by commits of this process and, on PostgreSQL, of
// other replicas (NOTIFY); while waiting it also re-reads the checkpoints
// every 2 s in case a notification was lost. It returns ctx.Err() when ctx
// is done first.
func (r *Runner) WaitFor(ctx context.Context, pos eventstore.Position) error {
	if r.passed(pos) {
		return nil
	}
	if err := r.Setup(ctx); err != nil {
		return err
	}
	// Read the checkpoints at once only when one is not known yet (nothing
	// committed or notified since this process started); otherwise the
	// commits and notifications wake us and the re-read is a fallback.
	first := 2 * time.Second
	if !r.allKnown() {
		first = 0
	}
	reread := time.NewTimer(first)
	defer reread.Stop()
	for {
		r.progMu.Lock()
		ch := r.progress
		r.progMu.Unlock()
		if r.passed(pos) {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-ch:
		case <-reread.C:
			if err := r.refresh(ctx); err != nil && ctx.Err() == nil {
				r.log.Warn("projections: WaitFor: read checkpoints", "err", err)
			}
			reread.Reset(2 * time.Second)
		}
	}
}

// allKnown reports whether every projection's checkpoint is known.
func (r *Runner) allKnown() bool {
	for _, t := range r.projs {
		t.mu.Lock()
		k := t.known
		t.mu.Unlock()
		if !k {
			return false
		}
	}
	return true
}

// logTailMax is the most events logTail keeps.
const logTailMax = 4096

// logTail is a window of consecutive events of the log: evs[0] is the
// event right after from, and each next event the one right after it.
// Events are immutable and a ReadAll answer is a gap-free prefix of what
// follows its position, so any suffix of the window starting after a
// position is a valid answer to a ReadAll from that position.
type logTail struct {
	mu   sync.Mutex // held while reading the store: concurrent misses read once
	from eventstore.Position
	evs  []eventstore.Event
	// atHead: the last store read came back short, so the next one most
	// likely finds a few events; it asks for tailProbe first, since a
	// store allocates room for as many events as asked for.
	atHead bool
}

// tailProbe is the first read's limit when following at the log's head.
const tailProbe = 64

// read returns up to limit events after pos: from the window when it holds
// events after pos, otherwise from the store (the window then grows when
// the read continues it, or starts again at pos). The answer must not be
// modified.
func (c *logTail) read(ctx context.Context, store eventstore.Store, pos eventstore.Position, limit int) ([]eventstore.Event, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if evs := c.after(pos, limit); len(evs) > 0 {
		return evs, nil
	}
	n := limit
	if c.atHead && limit > tailProbe {
		n = tailProbe
	}
	evs, err := store.ReadAll(ctx, pos, n)
	if err == nil && n < limit && len(evs) == n {
		// More than the probe: read the rest of the batch.
		var more []eventstore.Event
		if more, err = store.ReadAll(ctx, evs[n-1].Position, limit-n); err == nil {
			evs = append(evs, more...)
		}
	}
	if err != nil || len(evs) == 0 {
		c.atHead = err == nil
		return evs, err
	}
	c.atHead = len(evs) < limit
	switch n := len(c.evs); {
	case n > 0 && c.evs[n-1].Position == pos:
		c.evs = append(c.evs, evs...)
	case n == 0 && c.from == pos:
		c.evs = append(c.evs, evs...)
	default:
		c.from, c.evs = pos, slices.Clone(evs)
	}
	if extra := len(c.evs) - logTailMax; extra > 0 {
		c.from = c.evs[extra-1].Position
		c.evs = slices.Clone(c.evs[extra:])
	}
	return evs[:len(evs):len(evs)], nil
}

// after returns the window's events after pos (at most limit), or nil.
func (c *logTail) after(pos eventstore.Position, limit int) []eventstore.Event {
	i := -1
	if len(c.evs) > 0 && c.from == pos {
		i = 0
	} else {
		// The projections are usually at the same position, near the end.
		for j := len(c.evs) - 1; j >= 0; j-- {
			if c.evs[j].Position == pos {
				i = j + 1
				break
			}
		}
	}
	if i < 0 || i >= len(c.evs) {
		return nil
	}
	end := min(len(c.evs), i+limit)
	return c.evs[i:end:end]
}

func (t *tracked) setLeader(b bool) {
	t.mu.Lock()
	t.leader = b
	t.mu.Unlock()
}

func (t *tracked) setErr(err error) {
	t.mu.Lock()
	t.lastErr = err
	t.mu.Unlock()
}

// rateWindow is the span events/s is measured over.
const rateWindow = 10 * time.Second

func (t *tracked) count(n int) {
	now := time.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	t.applied += uint64(n)
	t.lastErr = nil
	t.samples = append(t.samples, sample{now, t.applied})
	i := 0
	for i < len(t.samples)-1 && now.Sub(t.samples[i].at) > rateWindow {
		i++
	}
	t.samples = t.samples[i:]
}

func sleep(ctx context.Context, d time.Duration) bool {
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-tm.C:
		return true
	}
}

// member is one projection of the group, while this replica leads it.
type member struct {
	t    *tracked
	g    genState
	lctx context.Context // done when the leadership is lost
	left chan error      // the group gives the member back (capacity 1)
	ok   atomic.Bool     // a batch of it committed
	evs  []eventstore.Event
	gone bool // only followGroup touches evs and gone
}

// group is the set of members the group loop applies batches to.
type group struct {
	mu     sync.Mutex
	joined []*member
	kick   chan struct{} // capacity 1: a member joined
}

func newGroup() *group { return &group{kick: make(chan struct{}, 1)} }

func (g *group) join(m *member) {
	g.mu.Lock()
	g.joined = append(g.joined, m)
	g.mu.Unlock()
	select {
	case g.kick <- struct{}{}:
	default:
	}
}

func (g *group) take() []*member {
	g.mu.Lock()
	defer g.mu.Unlock()
	ms := g.joined
	g.joined = nil
	return ms
}

// followGroup follows the log with every projection this replica leads at
// once: each round reads what arrived after every member's checkpoint (one
// log read, shared through the window) and applies it to all of them in
// one transaction, which advances every checkpoint; so an event costs one
// write turn (on SQLite, one per file), one commit and one WaitFor wake-up
// rather than one per projection. Each member's batch still locks and
// compares its checkpoint row (applyBatch), so every event is applied
// exactly once, whatever other runners do.
//
// A member whose batch fails is given back to its lead loop (which retries
// it with back-off) and the transaction is rolled back and applied again at
// once without it: one failing projection never stalls the others. A
// member whose checkpoint moved or whose generation was switched is
// reloaded; one whose version changed is given back to be rebuilt outside
// the group. Members whose leadership is lost are dropped.
func (r *Runner) followGroup(ctx context.Context, g *group) {
	var ms, batch []*member
	leave := func(m *member, err error) {
		if !m.gone {
			m.gone = true
			m.left <- err
		}
	}
	for ctx.Err() == nil {
		ms = append(ms, g.take()...)
		ms = slices.DeleteFunc(ms, func(m *member) bool { return m.gone || m.lctx.Err() != nil })
		var low eventstore.Position
		haveLow := false
		batch = batch[:0]
		for _, m := range ms {
			if m.g.tables == nil {
				gs, err := r.prepareWith(m.lctx, m.t, false)
				if err != nil {
					leave(m, err)
					continue
				}
				m.g = gs
			}
			evs, err := r.tail.read(m.lctx, r.store, m.g.pos, r.opts.BatchSize)
			if err != nil {
				leave(m, fmt.Errorf("projections: %s: read log: %w", m.t.p.Name(), err))
				continue
			}
			m.evs = evs
			switch {
			case len(evs) > 0:
				batch = append(batch, m)
			case !haveLow || m.g.pos.Compare(low) < 0:
				low, haveLow = m.g.pos, true
			}
		}
		if len(batch) > 0 {
			r.commitGroup(ctx, batch, leave)
			continue
		}
		if len(ms) > 0 && !haveLow {
			continue // every member left
		}
		// Nothing to apply: wait for the log to move past the lowest
		// checkpoint, or for a member to join.
		wctx, cancel := context.WithCancel(ctx)
		woken := make(chan struct{})
		go func() {
			defer close(woken)
			select {
			case <-g.kick:
				cancel()
			case <-wctx.Done():
			}
		}()
		var err error
		if haveLow {
			err = r.store.WaitAfter(wctx, low)
		} else {
			<-wctx.Done()
		}
		cancel()
		<-woken
		if err != nil && !errors.Is(err, context.Canceled) && ctx.Err() == nil {
			r.log.Error("projections: wait for the log", "err", err)
			sleep(ctx, r.opts.LeaderRetry)
		}
	}
	for _, m := range append(ms, g.take()...) {
		leave(m, ctx.Err())
	}
}

// commitGroup applies each member's batch in one transaction and publishes
// the changes. A member whose batch fails leaves (or, when its checkpoint
// moved or its generation was switched, is reloaded), and the others are
// applied again without it.
func (r *Runner) commitGroup(ctx context.Context, batch []*member, leave func(*member, error)) {
	// On PostgreSQL a member's queued writes go out with the next member's
	// first query (one round trip), so a failed write is reported in the
	// next member's batch: after a failure the transaction is tried again
	// flushing each member's writes on their own, to blame the right one.
	// On SQLite a flush costs no round trip.
	blame := r.db.Dialect() == rmstore.SQLite
	for len(batch) > 0 && ctx.Err() == nil {
		bad, err := r.tryGroup(ctx, batch, blame)
		if err == nil {
			return
		}
		moved := errors.Is(err, ErrCheckpointMoved) || errors.Is(err, ErrGenerationSwitched)
		if !blame && !moved && len(batch) > 1 {
			blame = true
			continue
		}
		if bad == nil {
			// Not one member's fault (begin, commit): all retry later.
			for _, m := range batch {
				leave(m, err)
			}
			return
		}
		if moved {
			bad.g.tables = nil // reloaded next round
		} else {
			leave(bad, err)
		}
		batch = slices.DeleteFunc(batch, func(m *member) bool { return m == bad })
	}
}

// tryGroup runs one transaction over batch. On failure it returns the
// error and the member whose batch failed (nil when none did).
func (r *Runner) tryGroup(ctx context.Context, batch []*member, blame bool) (*member, error) {
	d := r.db.Dialect()
	if d == rmstore.SQLite {
		r.writeMu.Lock()
		defer r.writeMu.Unlock()
	}
	tx, err := r.db.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback(ctx)
	cs := make([]Change, 0, len(batch))
	for _, m := range batch {
		keys, err := applyBatch(ctx, tx, d, m.t.p, m.g, true, m.evs)
		if err == nil && blame && len(batch) > 1 {
			// Run this member's queued writes now, so that a failing
			// statement is blamed on it.
			err = tx.Flush(ctx)
		}
		if err != nil {
			return m, err
		}
		c := Change{Projection: m.t.p.Name(), Generation: m.g.gen, Position: m.evs[len(m.evs)-1].Position, Keys: keys}
		queueNotify(tx, d, r.origin, c)
		cs = append(cs, c)
	}
	if err := tx.Commit(ctx); err != nil {
		if len(batch) == 1 {
			return batch[0], err
		}
		return nil, err
	}
	for _, m := range batch {
		m.g.pos = m.evs[len(m.evs)-1].Position
		m.t.count(len(m.evs))
		m.ok.Store(true)
	}
	r.publishLocalAll(cs)
	return nil, nil
}
