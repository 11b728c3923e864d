package obligation

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"shenguan/domain"
	"shenguan/domain/scorecard"
	"shenguan/projections"
	"shenguan/projections/rmstore"
)

// Errors of the queries.
var (
	// ErrNotFound: no obligation has the id.
	ErrNotFound = errors.New("obligation: not found")
	// ErrBadCursor: a cursor was not produced by the same query.
	ErrBadCursor = errors.New("obligation: invalid cursor")
	// ErrBadFilter: an unknown state or a negative page size.
	ErrBadFilter = errors.New("obligation: invalid filter")
)

// MaxPage is the largest page the list queries return.
const MaxPage = 500

// Item is an obligation with what the scheduler recorded and its state at
// the time the query was asked.
type Item struct {
	domain.Obligation
	// Warned lists the tiers warned for the current due time.
	Warned []domain.WarningTier
	// MissedAt is when a miss was recorded for the current due time.
	MissedAt *time.Time
	// NextAt is the time of the next unfired tier or of the unrecorded miss
	// (zero when there is none: fulfilled, or everything recorded).
	NextAt time.Time
	// State is the obligation's state at the query's now.
	State domain.ObligationState
}

// Filter selects obligations. Empty fields select everything.
type Filter struct {
	// Unit selects obligations the unit is responsible for or owed
	// (counterpart); with ResponsibleOnly only the former.
	Unit            string
	ResponsibleOnly bool
	Kind            domain.ObligationKind
	State           domain.ObligationState
	// Subject is an aggregate such as "case/<id>".
	Subject string
}

// Page is a page of obligations in due-time order.
type Page struct {
	Items      []Item
	EndCursor  string
	HasNext    bool
	TotalCount int
}

const columns = `id, kind, rule, responsible_unit, counterpart_unit, subject, started_at, due_at,
	provisional, warn_at, warnings, fulfilled_at, policy_version, warned, missed_at, next_at`

func scanItem(r rmstore.Rows, now time.Time) (Item, error) {
	var it Item
	var kind, warnings, warned string
	var started, due, prov, warn, fulfilled, pv, missed, next int64
	if err := r.Scan(&it.ID, &kind, &it.Rule, &it.ResponsibleUnit, &it.CounterpartUnit, &it.Subject,
		&started, &due, &prov, &warn, &warnings, &fulfilled, &pv, &warned, &missed, &next); err != nil {
		return it, err
	}
	it.Kind = domain.ObligationKind(kind)
	it.StartedAt = rmstore.FromMicros(started)
	it.Due = domain.Due{At: rmstore.FromMicros(due), Provisional: prov != 0}
	it.WarnAt = rmstore.FromMicros(warn)
	var ws []warningJSON
	if err := json.Unmarshal([]byte(warnings), &ws); err != nil {
		return it, fmt.Errorf("obligation %s: warnings: %w", it.ID, err)
	}
	for _, w := range ws {
		it.Warnings = append(it.Warnings, domain.Warning{Tier: w.Tier, At: rmstore.FromMicros(w.At)})
	}
	if fulfilled != 0 {
		t := rmstore.FromMicros(fulfilled)
		it.FulfilledAt = &t
	}
	it.PolicyVer = int(pv)
	if warned != "" {
		for _, t := range strings.Split(warned, ",") {
			it.Warned = append(it.Warned, domain.WarningTier(t))
		}
	}
	if missed != 0 {
		t := rmstore.FromMicros(missed)
		it.MissedAt = &t
	}
	if next != 0 {
		it.NextAt = rmstore.FromMicros(next)
	}
	it.State = it.StateAt(now)
	return it, nil
}

// stateCond returns the SQL condition of a state at now ($n is now).
func stateCond(s domain.ObligationState, n string) (string, error) {
	switch s {
	case domain.ObOpen:
		return "fulfilled_at = 0 AND warn_at > " + n + " AND due_at > " + n, nil
	case domain.ObDueSoon:
		return "fulfilled_at = 0 AND warn_at <= " + n + " AND due_at > " + n, nil
	case domain.ObOverdue:
		return "fulfilled_at = 0 AND due_at <= " + n, nil
	case domain.ObFulfilledOnTime:
		return "fulfilled_at <> 0 AND fulfilled_at <= due_at", nil
	case domain.ObFulfilledLate:
		return "fulfilled_at > due_at", nil
	}
	return "", fmt.Errorf("%w: state %q", ErrBadFilter, s)
}

// stateCase is a SQL expression giving the state at $1.
const stateCase = `CASE WHEN fulfilled_at <> 0 AND fulfilled_at > due_at THEN 'FULFILLED_LATE'
	WHEN fulfilled_at <> 0 THEN 'FULFILLED_ON_TIME'
	WHEN due_at <= $1 THEN 'OVERDUE'
	WHEN warn_at <= $1 THEN 'DUE_SOON'
	ELSE 'OPEN' END`

// Get returns one obligation with its state at now. Errors: ErrNotFound,
// projections.ErrNotBuilt.
func Get(ctx context.Context, db rmstore.DB, cat *projections.Catalog, id string, now time.Time) (Item, error) {
	var it Item
	err := cat.Do(ctx, Name, func(t *rmstore.Tables) error {
		rows, err := db.Query(ctx, t.Expand(`SELECT `+columns+` FROM {{obligations}} WHERE id = $1`), id)
		if err != nil {
			return err
		}
		defer rows.Close()
		if !rows.Next() {
			if err := rows.Err(); err != nil {
				return err
			}
			return fmt.Errorf("%w: %s", ErrNotFound, id)
		}
		it, err = scanItem(rows, now)
		return err
	})
	return it, err
}

type cursor struct {
	Due int64  `json:"d"`
	ID  string `json:"i"`
}

func encodeCursor(c cursor) string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s string) (cursor, error) {
	var c cursor
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil {
		err = json.Unmarshal(b, &c)
	}
	if err != nil || c.ID == "" {
		return c, fmt.Errorf("%w: %q", ErrBadCursor, s)
	}
	return c, nil
}

// List returns a page of obligations selected by f, in order of due time
// (then id), with their states at now: first items (at most MaxPage) after
// the cursor (empty for the first page). Errors: ErrBadCursor, ErrBadFilter,
// projections.ErrNotBuilt.
func List(ctx context.Context, db rmstore.DB, cat *projections.Catalog, f Filter, now time.Time, first int, after string) (Page, error) {
	var p Page
	if first < 0 {
		return p, fmt.Errorf("%w: first = %d", ErrBadFilter, first)
	}
	first = min(first, MaxPage)
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	var where []string
	if f.Unit != "" {
		u := arg(f.Unit)
		if f.ResponsibleOnly {
			where = append(where, "responsible_unit = "+u)
		} else {
			where = append(where, "(responsible_unit = "+u+" OR counterpart_unit = "+u+")")
		}
	}
	if f.Kind != "" {
		where = append(where, "kind = "+arg(string(f.Kind)))
	}
	if f.Subject != "" {
		where = append(where, "subject = "+arg(f.Subject))
	}
	if f.State != "" {
		c, err := stateCond(f.State, arg(rmstore.Micros(now)))
		if err != nil {
			return p, err
		}
		where = append(where, c)
	}
	cond := "1 = 1"
	if len(where) > 0 {
		cond = strings.Join(where, " AND ")
	}
	err := cat.Do(ctx, Name, func(t *rmstore.Tables) error {
		p = Page{}
		if err := db.QueryRow(ctx, t.Expand(`SELECT COUNT(*) FROM {{obligations}} WHERE `+cond), args...).Scan(&p.TotalCount); err != nil {
			return err
		}
		pargs := append([]any(nil), args...)
		pcond := cond
		if after != "" {
			c, err := decodeCursor(after)
			if err != nil {
				return err
			}
			pargs = append(pargs, c.Due, c.ID)
			pcond += fmt.Sprintf(" AND (due_at, id) > ($%d, $%d)", len(pargs)-1, len(pargs))
		}
		pargs = append(pargs, int64(first+1))
		rows, err := db.Query(ctx, t.Expand(`SELECT `+columns+` FROM {{obligations}} WHERE `+pcond+
			` ORDER BY due_at, id LIMIT $`+strconv.Itoa(len(pargs))), pargs...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			it, err := scanItem(rows, now)
			if err != nil {
				return err
			}
			p.Items = append(p.Items, it)
		}
		return rows.Err()
	})
	if err != nil {
		return Page{}, err
	}
	if len(p.Items) > first {
		p.Items, p.HasNext = p.Items[:first], true
	}
	if n := len(p.Items); n > 0 {
		last := p.Items[n-1]
		p.EndCursor = encodeCursor(cursor{Due: rmstore.Micros(last.Due.At), ID: last.ID})
	}
	return p, nil
}

// Count is the number of obligations of a kind in a state.
type Count struct {
	Kind  domain.ObligationKind
	State domain.ObligationState
	N     int
}

// Counts returns, for the dashboards, how many obligations the unit is
// responsible for (every unit when unit is "") in each kind and state at
// now, sorted by kind and state; pairs with no obligation are left out.
// Errors: projections.ErrNotBuilt.
func Counts(ctx context.Context, db rmstore.DB, cat *projections.Catalog, unit string, now time.Time) ([]Count, error) {
	var out []Count
	err := cat.Do(ctx, Name, func(t *rmstore.Tables) error {
		out = nil
		q := `SELECT kind, ` + stateCase + ` AS st, COUNT(*) FROM {{obligations}} WHERE ($2 = '' OR responsible_unit = $2)
			GROUP BY kind, st ORDER BY kind, st`
		rows, err := db.Query(ctx, t.Expand(q), rmstore.Micros(now), unit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var c Count
			var k, s string
			if err := rows.Scan(&k, &s, &c.N); err != nil {
				return err
			}
			c.Kind, c.State = domain.ObligationKind(k), domain.ObligationState(s)
			out = append(out, c)
		}
		return rows.Err()
	})
	return out, err
}

// Due returns at most limit open obligations whose next unfired warning
// tier or unrecorded miss (NextAt) is before the time before, in order of
// NextAt (then id): the deadline scheduler's work list. Errors:
// projections.ErrNotBuilt.
func Due(ctx context.Context, db rmstore.DB, cat *projections.Catalog, before time.Time, limit int) ([]Item, error) {
	var out []Item
	if limit <= 0 {
		return nil, nil
	}
	err := cat.Do(ctx, Name, func(t *rmstore.Tables) error {
		out = nil
		rows, err := db.Query(ctx, t.Expand(`SELECT `+columns+` FROM {{obligations}}
			WHERE next_at > 0 AND next_at < $1 ORDER BY next_at, id LIMIT $2`), rmstore.Micros(before), int64(limit))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			it, err := scanItem(rows, before)
			if err != nil {
				return err
			}
			out = append(out, it)
		}
		return rows.Err()
	})
	return out, err
}

// NextDue returns the earliest NextAt of every open obligation, and false
// when nothing is pending (the scheduler then sleeps until a change).
// Errors: projections.ErrNotBuilt.
func NextDue(ctx context.Context, db rmstore.DB, cat *projections.Catalog) (time.Time, bool, error) {
	var next *int64
	err := cat.Do(ctx, Name, func(t *rmstore.Tables) error {
		return db.QueryRow(ctx, t.Expand(`SELECT MIN(next_at) FROM {{obligations}} WHERE next_at > 0`)).Scan(&next)
	})
	if err != nil || next == nil {
		return time.Time{}, false, err
	}
	return rmstore.FromMicros(*next), true, nil
}

// Tallies returns the obligation tallies of a unit in a year as
// scorecard.Counters (only the Tally fields are set; the rest is kept by
// projections/scorecard). Errors: projections.ErrNotBuilt.
func Tallies(ctx context.Context, db rmstore.DB, cat *projections.Catalog, unit string, year int) (scorecard.Counters, error) {
	all, err := tallies(ctx, db, cat, year, unit)
	if err != nil {
		return scorecard.Counters{}, err
	}
	c, ok := all[unit]
	if !ok {
		c = scorecard.Counters{Unit: unit, Year: year}
	}
	return c, nil
}

// YearTallies returns the obligation tallies of every unit with one in a
// year, keyed by unit (see Tallies). Errors: projections.ErrNotBuilt.
func YearTallies(ctx context.Context, db rmstore.DB, cat *projections.Catalog, year int) (map[string]scorecard.Counters, error) {
	return tallies(ctx, db, cat, year, "")
}

func tallies(ctx context.Context, db rmstore.DB, cat *projections.Catalog, year int, unit string) (map[string]scorecard.Counters, error) {
	out := map[string]scorecard.Counters{}
	err := cat.Do(ctx, Name, func(t *rmstore.Tables) error {
		clear(out)
		rows, err := db.Query(ctx, t.Expand(`SELECT unit, kind, due, on_time, late, missing FROM {{tallies}}
			WHERE year = $1 AND ($2 = '' OR unit = $2) ORDER BY unit, kind`), int64(year), unit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var u, k string
			var tl scorecard.Tally
			if err := rows.Scan(&u, &k, &tl.Due, &tl.OnTime, &tl.Late, &tl.Missing); err != nil {
				return err
			}
			c, ok := out[u]
			if !ok {
				c = scorecard.Counters{Unit: u, Year: year}
			}
			if p := c.Tally(domain.ObligationKind(k)); p != nil {
				*p = p.Add(tl)
			}
			out[u] = c
		}
		return rows.Err()
	})
	return out, err
}
