package obligation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"strconv"
	"strings"
	"time"

	"shenguan/domain"
	"shenguan/domain/calendar"
	"shenguan/domain/cases"
	"shenguan/domain/consultation"
	"shenguan/domain/deadline"
	"shenguan/domain/directory"
	"shenguan/domain/scorecard"
	"shenguan/domain/summary"
	"shenguan/domain/timepolicy"
	"shenguan/eventstore"
	"shenguan/projections"
	"shenguan/projections/rmstore"
)

// mark is a tier warned (Tier set) or a miss (Tier empty) recorded for a
// due time.
type mark struct {
	Tier domain.WarningTier `json:"t,omitempty"`
	Due  int64              `json:"d"`
	At   int64              `json:"a"`
}

// counted is how an obligation is counted in the tallies.
type counted struct {
	Unit  string                `json:"u"`
	Year  int                   `json:"y"`
	Kind  domain.ObligationKind `json:"k"`
	Class string                `json:"c"` // onTime, late, missing
}

// aggregate is the fold of one aggregate with clocks. Its stored form
// (appendJSON, parseAggregate) is compact JSON, packed with rmstore.Pack:
// a case in the slim form of AppendCaseState, the other states with
// encoding/json, and the marks, fingerprints and counts keyed by the
// obligation id without the aggregate's key (idSuffix).
type aggregate struct {
	Case         *cases.State
	Consultation *consultation.State
	Unit         *directory.UnitState
	Summary      *summaryAgg
	Marks        map[string][]mark  // by obligation id
	Rows         map[string]uint64  // fingerprints of the written rows, by obligation id
	Counted      map[string]counted // by obligation id
	Open         int
	key          string
	dirty        bool
}

// aggJSON is the stored form of aggregate, for decoding.
type aggJSON struct {
	Case         json.RawMessage      `json:"c"`
	Consultation *consultation.State  `json:"n"`
	Unit         *directory.UnitState `json:"u"`
	Summary      *summaryAgg          `json:"s"`
	Open         int                  `json:"o"`
	Rows         map[string]string    `json:"r"` // base 36
	Counted      map[string]counted   `json:"k"`
	Marks        map[string][]mark    `json:"m"`
}

// idSuffix shortens an obligation id of the aggregate with key: "." for
// the key itself, the rest after "<key>/", or "!" and the whole id.
func idSuffix(key, id string) string {
	if id == key {
		return "."
	}
	if len(id) > len(key)+1 && id[len(key)] == '/' && strings.HasPrefix(id, key) {
		if rest := id[len(key)+1:]; rest[0] != '.' && rest[0] != '!' {
			return rest
		}
	}
	return "!" + id
}

// idOf is the inverse of idSuffix.
func idOf(key, suffix string) string {
	switch {
	case suffix == ".":
		return key
	case strings.HasPrefix(suffix, "!"):
		return suffix[1:]
	}
	return key + "/" + suffix
}

// sortedSuffixes returns the suffixes of a map's ids, sorted, with the ids.
func sortedSuffixes[V any](key string, m map[string]V) [][2]string {
	out := make([][2]string, 0, len(m))
	for id := range m {
		out = append(out, [2]string{idSuffix(key, id), id})
	}
	slices.SortFunc(out, func(a, b [2]string) int { return strings.Compare(a[0], b[0]) })
	return out
}

func appendJSONValue(b []byte, v any) []byte {
	x, err := json.Marshal(v)
	if err != nil {
		// States are plain data; this cannot fail short of a programming error.
		panic(fmt.Sprintf("obligation: encode: %v", err))
	}
	return append(b, x...)
}

func (g *aggregate) appendJSON(b []byte) []byte {
	e := enc{b: b}
	e.open()
	if g.Case != nil {
		e.key("c")
		e.b = AppendCaseState(e.b, *g.Case, true)
		e.comma = true
	}
	if g.Consultation != nil {
		e.key("n")
		e.b = appendJSONValue(e.b, g.Consultation)
		e.comma = true
	}
	if g.Unit != nil {
		e.key("u")
		e.b = appendJSONValue(e.b, g.Unit)
		e.comma = true
	}
	if g.Summary != nil {
		e.key("s")
		e.b = appendJSONValue(e.b, g.Summary)
		e.comma = true
	}
	e.int("o", int64(g.Open))
	if len(g.Rows) > 0 {
		e.key("r")
		e.open()
		for _, x := range sortedSuffixes(g.key, g.Rows) {
			e.key(x[0])
			e.b = append(e.b, '"')
			e.b = strconv.AppendUint(e.b, g.Rows[x[1]], 36)
			e.b = append(e.b, '"')
			e.comma = true
		}
		e.close()
	}
	if len(g.Counted) > 0 {
		e.key("k")
		e.open()
		for _, x := range sortedSuffixes(g.key, g.Counted) {
			c := g.Counted[x[1]]
			e.key(x[0])
			e.open()
			e.str("u", c.Unit)
			e.int("y", int64(c.Year))
			e.str("k", string(c.Kind))
			e.str("c", c.Class)
			e.close()
		}
		e.close()
	}
	if len(g.Marks) > 0 {
		e.key("m")
		e.open()
		for _, x := range sortedSuffixes(g.key, g.Marks) {
			e.key(x[0])
			e.arr()
			for _, m := range g.Marks[x[1]] {
				e.elem()
				e.open()
				e.str("t", string(m.Tier))
				e.key("d")
				e.b = strconv.AppendInt(e.b, m.Due, 10)
				e.comma = true
				e.key("a")
				e.b = strconv.AppendInt(e.b, m.At, 10)
				e.comma = true
				e.close()
			}
			e.end()
		}
		e.close()
	}
	e.close()
	return e.b
}

// parseAggregate decodes the stored form of the aggregate with key.
func parseAggregate(key string, b []byte) (*aggregate, error) {
	var j aggJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return nil, err
	}
	g := &aggregate{key: key, Consultation: j.Consultation, Unit: j.Unit, Summary: j.Summary, Open: j.Open}
	if len(j.Case) > 0 {
		s, err := ParseCaseState(j.Case)
		if err != nil {
			return nil, err
		}
		g.Case = &s
	}
	if len(j.Rows) > 0 {
		g.Rows = make(map[string]uint64, len(j.Rows))
		for k, v := range j.Rows {
			fp, err := strconv.ParseUint(v, 36, 64)
			if err != nil {
				return nil, err
			}
			g.Rows[idOf(key, k)] = fp
		}
	}
	if len(j.Counted) > 0 {
		g.Counted = make(map[string]counted, len(j.Counted))
		for k, v := range j.Counted {
			g.Counted[idOf(key, k)] = v
		}
	}
	if len(j.Marks) > 0 {
		g.Marks = make(map[string][]mark, len(j.Marks))
		for k, v := range j.Marks {
			g.Marks[idOf(key, k)] = v
		}
	}
	return g, nil
}

type tallyKey struct {
	unit string
	year int
	kind domain.ObligationKind
}

type applier struct {
	ctx       context.Context
	tx        rmstore.Tx
	t         *rmstore.Tables
	tp        timepolicy.State
	tpSet     bool
	cal       *calendar.Calendar
	plan      plan
	planDirty bool
	aggs      map[string]*aggregate
	order     []string // dirty keys in first-touched order
	deltas    map[tallyKey]scorecard.Tally
	changes   projections.Changes
	changeSet map[string]bool
	obRows    *rmstore.Inserts // obligations upserted by the current flush
	aggRows   *rmstore.Inserts // aggregates upserted by the current flush
	buf       []byte           // encoding buffer
}

// item is one decoded event of interest, or (ev nil) the start of a later
// half year than the batch's earlier events.
type item struct {
	key  string // aggregate key, "" for time-policy events
	ev   domain.Event
	half int // with ev nil: the index of the half year (halfIndex)
}

// Apply implements projections.Projection.
func (Projection) Apply(ctx context.Context, tx rmstore.Tx, t *rmstore.Tables, evs []eventstore.Event) (projections.Changes, error) {
	items, keys, err := decode(evs)
	if err != nil {
		return nil, err
	}
	if len(items) == 0 {
		return nil, nil
	}
	a := &applier{ctx: ctx, tx: tx, t: t, aggs: map[string]*aggregate{}, deltas: map[tallyKey]scorecard.Tally{}}
	if err := a.loadTimePolicy(); err != nil {
		return nil, err
	}
	if err := a.loadPlan(); err != nil {
		return nil, err
	}
	if err := a.load(keys); err != nil {
		return nil, err
	}
	for _, it := range items {
		if it.ev == nil {
			if err := a.advance(it.half); err != nil {
				return nil, err
			}
			continue
		}
		if it.key == "" {
			// A calendar or policy change: write what came before with the
			// old rules, then recompute every aggregate still open.
			a.flush()
			a.tp = timepolicy.Evolve(a.tp, it.ev)
			a.cal = a.tp.Calendar()
			st, err := json.Marshal(a.tp)
			if err != nil {
				return nil, fmt.Errorf("obligation: encode time policy: %w", err)
			}
			a.tx.Queue(a.t.Expand(`INSERT INTO {{timepolicy}} (id, state) VALUES (1, $1)
				ON CONFLICT (id) DO UPDATE SET state = excluded.state`), string(st))
			if err := a.recomputeOpen(); err != nil {
				return nil, err
			}
			continue
		}
		g := a.aggs[it.key]
		evolve(g, it.ev)
		a.touch(g)
		if err := a.planUnit(g, it.ev); err != nil {
			return nil, err
		}
	}
	a.flush()
	a.writeTallies()
	a.writePlan()
	return a.changes, nil
}

// decode picks the events this projection folds and decodes them. Before
// the first event of the batch, and before every event whose time
// (Metadata.OccurredAt) falls in a later half year than those before it, it
// puts an item advancing the horizon of the summary obligations.
func decode(evs []eventstore.Event) ([]item, []string, error) {
	var items []item
	var keys []string
	seen := map[string]bool{}
	var next time.Time // start of the half year after the batch's latest
	for _, e := range evs {
		if t := e.Metadata.OccurredAt; !t.IsZero() && !t.Before(next) {
			h := halfIndex(t)
			items = append(items, item{half: h})
			next = halfStart(h + 1)
		}
		key, ok := keyOf(e)
		if !ok {
			continue
		}
		ev, err := Decode(e)
		if err != nil {
			return nil, nil, fmt.Errorf("obligation: %w", err)
		}
		switch d := ev.(type) {
		case deadline.Warned:
			key = d.Subject
		case deadline.Missed:
			key = d.Subject
		case summary.Submitted:
			key = summaryKey(d.Unit, halfIndexOf(d.Year, d.Half))
		case summary.Amended:
			key = summaryKey(d.Unit, halfIndexOf(d.Year, d.Half))
		}
		items = append(items, item{key: key, ev: ev})
		if key != "" && !seen[key] {
			seen[key] = true
			keys = append(keys, key)
		}
	}
	return items, keys, nil
}

// keyOf tells whether the projection folds e and, for aggregate events, the
// aggregate key ("case/<id>", "consultation/<id>", "unit/<id>").
func keyOf(e eventstore.Event) (string, bool) {
	switch {
	case strings.HasPrefix(e.Type, "case."):
		return "case/" + strings.TrimPrefix(e.StreamID, "case-"), true
	case strings.HasPrefix(e.Type, "consultation."):
		return "consultation/" + strings.TrimPrefix(e.StreamID, "consultation-"), true
	case strings.HasPrefix(e.Type, "unit.") || strings.HasPrefix(e.Type, "coordinator."):
		return "unit/" + strings.TrimPrefix(e.StreamID, "unit-"), true
	case e.Type == "deadline.warned" || e.Type == "deadline.missed":
		return "", true // keyed by the event's subject after decoding
	case strings.HasPrefix(e.Type, "summary."):
		return "", true // keyed by the event's unit and half year after decoding
	case e.Type == "calendar.adjusted" || e.Type == "policy.changed":
		return "", true
	}
	return "", false
}

func evolve(g *aggregate, ev domain.Event) {
	switch d := ev.(type) {
	case deadline.Warned:
		g.addMark(d.ObligationID, mark{Tier: d.Tier, Due: rmstore.Micros(d.Due.At), At: rmstore.Micros(d.At)})
		return
	case deadline.Missed:
		g.addMark(d.ObligationID, mark{Due: rmstore.Micros(d.Due.At), At: rmstore.Micros(d.At)})
		return
	}
	switch {
	case strings.HasPrefix(g.key, "case/"):
		var s cases.State
		if g.Case != nil {
			s = *g.Case
		}
		s = cases.Evolve(s, ev)
		g.Case = &s
	case strings.HasPrefix(g.key, "consultation/"):
		var s consultation.State
		if g.Consultation != nil {
			s = *g.Consultation
		}
		s = consultation.Evolve(s, ev)
		g.Consultation = &s
	case strings.HasPrefix(g.key, "unit/"):
		var s directory.UnitState
		if g.Unit != nil {
			s = *g.Unit
		}
		s = directory.EvolveUnit(s, ev)
		g.Unit = &s
	case strings.HasPrefix(g.key, "summary/"):
		evolveSummary(g, ev)
	}
}

func (g *aggregate) addMark(id string, m mark) {
	if g.Marks == nil {
		g.Marks = map[string][]mark{}
	}
	for _, x := range g.Marks[id] {
		if x.Tier == m.Tier && x.Due == m.Due {
			return // the first record of a tier (or miss) for a due time stands
		}
	}
	g.Marks[id] = append(g.Marks[id], m)
}

func (a *applier) touch(g *aggregate) {
	if !g.dirty {
		g.dirty = true
		a.order = append(a.order, g.key)
	}
}

func (a *applier) loadTimePolicy() error {
	var st string
	err := a.tx.QueryRow(a.ctx, a.t.Expand(`SELECT state FROM {{timepolicy}} WHERE id = 1`)).Scan(&st)
	switch {
	case errors.Is(err, rmstore.ErrNoRows):
	case err != nil:
		return fmt.Errorf("obligation: load time policy: %w", err)
	default:
		if err := json.Unmarshal([]byte(st), &a.tp); err != nil {
			return fmt.Errorf("obligation: decode time policy: %w", err)
		}
	}
	a.cal = a.tp.Calendar()
	return nil
}

// load reads the stored folds of keys (new aggregates start empty).
func (a *applier) load(keys []string) error {
	const chunk = 500
	for i := 0; i < len(keys); i += chunk {
		part := keys[i:min(i+chunk, len(keys))]
		args := make([]any, len(part))
		ph := make([]string, len(part))
		for j, k := range part {
			args[j] = k
			ph[j] = "$" + strconv.Itoa(j+1)
		}
		if err := a.scanAggregates(a.t.Expand(`SELECT key, state FROM {{aggregates}} WHERE key IN (`+strings.Join(ph, ",")+`)`), args...); err != nil {
			return err
		}
	}
	for _, k := range keys {
		if _, ok := a.aggs[k]; !ok {
			a.aggs[k] = &aggregate{key: k}
		}
	}
	return nil
}

func (a *applier) scanAggregates(q string, args ...any) error {
	rows, err := a.tx.Query(a.ctx, q, args...)
	if err != nil {
		return fmt.Errorf("obligation: load aggregates: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var key string
		var st []byte
		if err := rows.Scan(&key, &st); err != nil {
			return fmt.Errorf("obligation: load aggregates: %w", err)
		}
		if _, ok := a.aggs[key]; ok {
			continue // the in-memory fold is newer or equal
		}
		b, err := rmstore.Unpack(st)
		if err != nil {
			return fmt.Errorf("obligation: decode %s: %w", key, err)
		}
		g, err := parseAggregate(key, b)
		if err != nil {
			return fmt.Errorf("obligation: decode %s: %w", key, err)
		}
		a.aggs[key] = g
	}
	return rows.Err()
}

// recomputeOpen marks every aggregate with an open obligation dirty (after
// a calendar or policy change).
func (a *applier) recomputeOpen() error {
	if err := a.scanAggregates(a.t.Expand(`SELECT key, state FROM {{aggregates}} WHERE open_count > 0 ORDER BY key`)); err != nil {
		return err
	}
	var keys []string
	for k, g := range a.aggs {
		if g.Open > 0 {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		a.touch(a.aggs[k])
	}
	return nil
}

// obligations computes an aggregate's obligations under the folded
// calendar and the policy in force when its first clock started.
func (a *applier) obligations(g *aggregate) []domain.Obligation {
	switch {
	case g.Case != nil:
		return cases.Obligations(*g.Case, a.cal, a.tp.PolicyAt(g.Case.DecidedAt))
	case g.Consultation != nil:
		return consultation.Obligations(*g.Consultation, a.cal, a.tp.PolicyAt(g.Consultation.HeldAt))
	case g.Unit != nil:
		return directory.UnitObligations(*g.Unit, a.cal, a.tp.PolicyAt(g.Unit.RegisteredAt))
	case g.Summary != nil:
		return a.summaryObligations(g.Summary)
	}
	return nil
}

// row is an obligation as stored.
type row struct {
	o        domain.Obligation
	warned   []domain.WarningTier
	missedAt int64
	nextAt   int64
	warnings string
}

func makeRow(o domain.Obligation, marks []mark) row {
	r := row{o: o}
	due := rmstore.Micros(o.Due.At)
	missed := false
	for _, m := range marks {
		if m.Due != due {
			continue
		}
		if m.Tier == "" {
			missed, r.missedAt = true, m.At
		} else if !slices.Contains(r.warned, m.Tier) {
			r.warned = append(r.warned, m.Tier)
		}
	}
	slices.Sort(r.warned)
	if o.FulfilledAt == nil {
		next := int64(0)
		consider := func(at int64) {
			if next == 0 || at < next {
				next = at
			}
		}
		for _, w := range o.Warnings {
			if !slices.Contains(r.warned, w.Tier) {
				consider(rmstore.Micros(w.At))
			}
		}
		if !missed {
			consider(due)
		}
		r.nextAt = next
	}
	// [{"tier":…,"at":…},…], as encoding/json writes a []warningJSON.
	b := make([]byte, 0, 32*len(o.Warnings)+2)
	b = append(b, '[')
	for i, w := range o.Warnings {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"tier":`...)
		b = appendString(b, string(w.Tier))
		b = append(b, `,"at":`...)
		b = strconv.AppendInt(b, rmstore.Micros(w.At), 10)
		b = append(b, '}')
	}
	r.warnings = string(append(b, ']'))
	return r
}

// warningJSON is an element of the warnings column.
type warningJSON struct {
	Tier domain.WarningTier `json:"tier"`
	At   int64              `json:"at"`
}

func (r row) args() []any {
	o := r.o
	var fulfilled int64
	if o.FulfilledAt != nil {
		fulfilled = rmstore.Micros(*o.FulfilledAt)
	}
	tiers := make([]string, len(r.warned))
	for i, t := range r.warned {
		tiers[i] = string(t)
	}
	return []any{o.ID, string(o.Kind), o.Rule, o.ResponsibleUnit, o.CounterpartUnit, o.Subject,
		rmstore.Micros(o.StartedAt), rmstore.Micros(o.Due.At), rmstore.Bool(o.Due.Provisional),
		rmstore.Micros(o.WarnAt), r.warnings, fulfilled, int64(o.PolicyVer),
		strings.Join(tiers, ","), r.missedAt, r.nextAt}
}

// fingerprint hashes a row's column values (args).
func fingerprint(args []any) uint64 {
	h := fnv.New64a()
	var buf [20]byte
	for _, x := range args {
		switch v := x.(type) {
		case string:
			h.Write([]byte(v))
		case int64:
			h.Write(strconv.AppendInt(buf[:0], v, 10))
		default:
			fmt.Fprint(h, v)
		}
		h.Write([]byte{0})
	}
	return h.Sum64()
}

// count classifies an obligation for the tallies; ok is false when it is
// not counted (yet, or at all).
func count(o domain.Obligation, missedAt int64) (counted, bool) {
	var c scorecard.Counters
	if c.Tally(o.Kind) == nil {
		return counted{}, false
	}
	k := counted{Unit: o.ResponsibleUnit, Year: DueYear(o.Due.At), Kind: o.Kind}
	switch {
	case o.FulfilledAt != nil && o.FulfilledAt.After(o.Due.At):
		k.Class = "late"
	case o.FulfilledAt != nil:
		k.Class = "onTime"
	case missedAt != 0:
		k.Class = "missing"
	default:
		return counted{}, false
	}
	return k, true
}

// DueYear returns the assessment year of a due time: the year (Asia/Shanghai)
// of the civil day the obligation is due by (a due time of 24:00 on 31
// December belongs to that year).
func DueYear(due time.Time) int {
	return due.Add(-time.Nanosecond).In(calendar.Location()).Year()
}

func (a *applier) addTally(c counted, sign int) {
	k := tallyKey{c.Unit, c.Year, c.Kind}
	t := a.deltas[k]
	t.Due += sign
	switch c.Class {
	case "onTime":
		t.OnTime += sign
	case "late":
		t.Late += sign
	case "missing":
		t.Missing += sign
	}
	a.deltas[k] = t
}

// flush writes the obligations of every dirty aggregate, as multi-row
// upserts (an aggregate is written once per flush, and obligation ids are
// prefixed with their aggregate's key, so no key repeats in a statement).
func (a *applier) flush() {
	if a.obRows == nil {
		a.obRows = rmstore.NewInserts(a.t.Expand(`INSERT INTO {{obligations}} (id, kind, rule, responsible_unit, counterpart_unit,
			subject, started_at, due_at, provisional, warn_at, warnings, fulfilled_at, policy_version,
			warned, missed_at, next_at)`), 16,
			a.t.Expand(`ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, rule = excluded.rule,
			responsible_unit = excluded.responsible_unit, counterpart_unit = excluded.counterpart_unit,
			subject = excluded.subject, started_at = excluded.started_at, due_at = excluded.due_at,
			provisional = excluded.provisional, warn_at = excluded.warn_at, warnings = excluded.warnings,
			fulfilled_at = excluded.fulfilled_at, policy_version = excluded.policy_version,
			warned = excluded.warned, missed_at = excluded.missed_at, next_at = excluded.next_at`))
		a.aggRows = rmstore.NewInserts(a.t.Expand(`INSERT INTO {{aggregates}} (key, open_count, state)`), 3,
			`ON CONFLICT (key) DO UPDATE SET open_count = excluded.open_count, state = excluded.state`)
	}
	for _, key := range a.order {
		g := a.aggs[key]
		g.dirty = false
		a.write(g)
		a.obRows.QueueFull(a.tx)
		a.aggRows.QueueFull(a.tx)
	}
	a.order = a.order[:0]
	a.obRows.Queue(a.tx)
	a.aggRows.Queue(a.tx)
}

func (a *applier) write(g *aggregate) {
	obs := a.obligations(g)
	seen := make(map[string]bool, len(obs))
	rows := make(map[string]uint64, len(obs))
	cnt := map[string]counted{}
	open := 0
	for _, o := range obs {
		if seen[o.ID] {
			continue
		}
		seen[o.ID] = true
		if o.FulfilledAt == nil {
			open++
		}
		r := makeRow(o, g.Marks[o.ID])
		args := r.args()
		fp := fingerprint(args)
		rows[o.ID] = fp
		if old, ok := g.Rows[o.ID]; !ok || old != fp {
			a.obRows.Add(args...)
			a.changed(o.ID, o.ResponsibleUnit, o.CounterpartUnit)
		}
		newC, ok := count(o, r.missedAt)
		oldC, had := g.Counted[o.ID]
		if ok {
			cnt[o.ID] = newC
		}
		if ok != had || newC != oldC {
			if had {
				a.addTally(oldC, -1)
				a.change(scorecardKey(oldC))
			}
			if ok {
				a.addTally(newC, +1)
				a.change(scorecardKey(newC))
			}
		}
	}
	// Obligations the domain no longer lists (dropped after a return).
	var gone []string
	for id := range g.Rows {
		if !seen[id] {
			gone = append(gone, id)
		}
	}
	slices.Sort(gone)
	for _, id := range gone {
		a.tx.Queue(a.t.Expand(`DELETE FROM {{obligations}} WHERE id = $1`), id)
		a.change("obligation:" + id)
		if c, ok := g.Counted[id]; ok {
			a.addTally(c, -1)
			a.change(scorecardKey(c))
		}
	}
	g.Rows, g.Counted, g.Open = rows, cnt, open
	if len(g.Counted) == 0 {
		g.Counted = nil
	}
	if len(g.Rows) == 0 {
		g.Rows = nil
	}
	a.buf = g.appendJSON(a.buf[:0])
	a.aggRows.Add(g.key, int64(open), rmstore.Pack(a.buf))
}

// scorecardKey is the change key of the scorecard a count falls in.
func scorecardKey(c counted) string {
	return "scorecard:" + c.Unit + ":" + strconv.Itoa(c.Year)
}

// change adds keys to the batch's changes (a set kept beside the list, since
// a batch touches thousands of keys).
func (a *applier) change(keys ...string) {
	if a.changeSet == nil {
		a.changeSet = map[string]bool{}
	}
	for _, k := range keys {
		if !a.changeSet[k] {
			a.changeSet[k] = true
			a.changes = append(a.changes, k)
		}
	}
}

func (a *applier) changed(id, resp, cp string) {
	a.change("obligation:"+id, "obligations:"+resp)
	if cp != "" {
		a.change("obligations:" + cp)
	}
}

// writeTallies applies the batch's tally deltas, deleting rows that fall
// back to zero so that the table does not depend on batch boundaries.
func (a *applier) writeTallies() {
	keys := make([]tallyKey, 0, len(a.deltas))
	for k, d := range a.deltas {
		if d != (scorecard.Tally{}) {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, func(x, y tallyKey) int {
		return cmpKey(x, y)
	})
	for _, k := range keys {
		d := a.deltas[k]
		a.tx.Queue(a.t.Expand(`INSERT INTO {{tallies}} (unit, year, kind, due, on_time, late, missing)
			VALUES ($1, $2, $3, $4, $5, $6, $7)
			ON CONFLICT (unit, year, kind) DO UPDATE SET due = {{tallies}}.due + excluded.due,
			on_time = {{tallies}}.on_time + excluded.on_time, late = {{tallies}}.late + excluded.late,
			missing = {{tallies}}.missing + excluded.missing`),
			k.unit, int64(k.year), string(k.kind), int64(d.Due), int64(d.OnTime), int64(d.Late), int64(d.Missing))
		a.tx.Queue(a.t.Expand(`DELETE FROM {{tallies}} WHERE unit = $1 AND year = $2 AND kind = $3
			AND due = 0 AND on_time = 0 AND late = 0 AND missing = 0`), k.unit, int64(k.year), string(k.kind))
	}
}

func cmpKey(x, y tallyKey) int {
	if c := strings.Compare(x.unit, y.unit); c != 0 {
		return c
	}
	if x.year != y.year {
		return x.year - y.year
	}
	return strings.Compare(string(x.kind), string(y.kind))
}
