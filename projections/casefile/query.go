package casefile

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"shenguan/domain/cases"
	"shenguan/domain/subject"
	"shenguan/eventstore"
	"shenguan/projections"
	"shenguan/projections/rmstore"
)

// Errors of the queries.
var (
	// ErrNotFound: no case has the id.
	ErrNotFound = errors.New("casefile: case not found")
	// ErrBadCursor: a cursor was not produced by the same query.
	ErrBadCursor = errors.New("casefile: invalid cursor")
	// ErrBadPage: a negative page size.
	ErrBadPage = errors.New("casefile: invalid page size")
)

// MaxPage is the largest page the list queries return.
const MaxPage = 500

// Case is a case as dashboards list it.
type Case struct {
	ID            string
	ApprovingUnit string
	MatterCode    string
	MatterName    string
	SubjectKind   subject.Kind
	SubjectID     string
	SubjectName   string
	Outcome       cases.Outcome
	Mode          cases.Mode
	Status        cases.Status
	DecidedAt     time.Time
	PushedAt      time.Time
	// Open: neither closed nor revoked.
	Open            bool
	OpenObligations int
	Overdue         bool
	// ReroutePending: the case waits in the routing-failed queue (a routing
	// failure or a return not yet re-routed) since RerouteSince.
	ReroutePending bool
	RerouteSince   time.Time
	Version        uint64
	Position       eventstore.Position
	UpdatedAt      time.Time
	// Units are the units taking part, in unit order.
	Units []Unit
}

// SupervisingUnits returns the units currently addressed (not returned).
func (c Case) SupervisingUnits() []string {
	var out []string
	for _, u := range c.Units {
		if u.Addressed {
			out = append(out, u.Unit)
		}
	}
	return out
}

// Unit is a unit's part in a case.
type Unit struct {
	Unit string
	// Approving: the approving unit. Supervising: addressed at least once;
	// Addressed: currently addressed (not returned). Inspecting: takes part
	// in a joint inspection.
	Approving, Supervising, Addressed, Inspecting bool
	Round                                         int
	AddressedAt                                   time.Time
	ReceivedAt                                    *time.Time
	ReturnedAt                                    *time.Time
}

// Filter selects cases. Empty fields select everything.
type Filter struct {
	ApprovingUnit string
	// SupervisingUnit selects cases currently addressed to the unit.
	SupervisingUnit string
	// InvolvesUnit selects cases the unit takes part in, in any role (for
	// access control: a unit sees only the cases involving it).
	InvolvesUnit string
	MatterCode   string
	SubjectID    string
	Status       cases.Status
	Outcome      cases.Outcome
	Mode         cases.Mode
	Overdue      *bool
	// DecidedFrom and DecidedTo bound the decision time: From ≤ t < To.
	DecidedFrom, DecidedTo time.Time
}

// Page is a page of cases.
type Page struct {
	Items      []Case
	EndCursor  string
	HasNext    bool
	TotalCount int
}

const caseColumns = `c.id, c.approving_unit, c.matter_code, c.matter_name, c.subject_kind, c.subject_id,
	c.subject_name, c.outcome, c.mode, c.status, c.decided_at, c.pushed_at, c.is_open, c.open_obligations,
	c.overdue, c.reroute_pending, c.reroute_since, c.version, c.pos_major, c.pos_minor, c.updated_at`

// scanCase scans the case columns after the destinations pre.
func scanCase(r rmstore.Rows, pre ...any) (Case, error) {
	var c Case
	var kind, outcome, mode, status string
	var decided, pushed, open, openObs, overdue, rr, rrSince, ver, pmaj, pmin, upd int64
	err := r.Scan(append(pre, &c.ID, &c.ApprovingUnit, &c.MatterCode, &c.MatterName, &kind, &c.SubjectID, &c.SubjectName,
		&outcome, &mode, &status, &decided, &pushed, &open, &openObs, &overdue, &rr, &rrSince, &ver, &pmaj, &pmin, &upd)...)
	if err != nil {
		return c, err
	}
	c.SubjectKind, c.Outcome, c.Mode, c.Status = subject.Kind(kind), cases.Outcome(outcome), cases.Mode(mode), cases.Status(status)
	c.DecidedAt, c.PushedAt = rmstore.FromMicros(decided), rmstore.FromMicros(pushed)
	c.Open, c.OpenObligations, c.Overdue = open != 0, int(openObs), overdue != 0
	c.ReroutePending = rr != 0
	if rrSince != 0 {
		c.RerouteSince = rmstore.FromMicros(rrSince)
	}
	c.Version = uint64(ver)
	c.Position = eventstore.Position{Major: uint64(pmaj), Minor: uint64(pmin)}
	c.UpdatedAt = rmstore.FromMicros(upd)
	return c, nil
}

func queryCases(ctx context.Context, db rmstore.DB, t *rmstore.Tables, q string, args ...any) ([]Case, error) {
	rows, err := db.Query(ctx, t.Expand(q), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Case
	for rows.Next() {
		c, err := scanCase(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, loadUnits(ctx, db, t, out)
}

// loadUnits fills the Units of cs.
func loadUnits(ctx context.Context, db rmstore.DB, t *rmstore.Tables, cs []Case) error {
	if len(cs) == 0 {
		return nil
	}
	idx := make(map[string]int, len(cs))
	args := make([]any, len(cs))
	ph := make([]string, len(cs))
	for i, c := range cs {
		idx[c.ID] = i
		args[i], ph[i] = c.ID, "$"+strconv.Itoa(i+1)
	}
	rows, err := db.Query(ctx, t.Expand(`SELECT case_id, unit, approving, supervising, addressed, inspecting, round,
		addressed_at, received_at, returned_at FROM {{units}} WHERE case_id IN (`+strings.Join(ph, ",")+`)
		ORDER BY case_id, unit`), args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var u Unit
		var appr, sup, addr, insp, round, addrAt, recAt, retAt int64
		if err := rows.Scan(&id, &u.Unit, &appr, &sup, &addr, &insp, &round, &addrAt, &recAt, &retAt); err != nil {
			return err
		}
		u.Approving, u.Supervising, u.Addressed, u.Inspecting = appr != 0, sup != 0, addr != 0, insp != 0
		u.Round = int(round)
		if addrAt != 0 {
			u.AddressedAt = rmstore.FromMicros(addrAt)
		}
		if recAt != 0 {
			at := rmstore.FromMicros(recAt)
			u.ReceivedAt = &at
		}
		if retAt != 0 {
			at := rmstore.FromMicros(retAt)
			u.ReturnedAt = &at
		}
		i := idx[id]
		cs[i].Units = append(cs[i].Units, u)
	}
	return rows.Err()
}

// Get returns a case. Errors: ErrNotFound, projections.ErrNotBuilt.
func Get(ctx context.Context, db rmstore.DB, cat *projections.Catalog, id string) (Case, error) {
	var out []Case
	err := cat.Do(ctx, Name, func(t *rmstore.Tables) error {
		var err error
		out, err = queryCases(ctx, db, t, `SELECT `+caseColumns+` FROM {{cases}} c WHERE c.id = $1`, id)
		return err
	})
	if err != nil {
		return Case{}, err
	}
	if len(out) == 0 {
		return Case{}, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	return out[0], nil
}

// State returns the folded domain state of a case (for detail views that
// need more than the row). Errors: ErrNotFound, projections.ErrNotBuilt.
func State(ctx context.Context, db rmstore.DB, cat *projections.Catalog, id string) (cases.State, error) {
	var st []byte
	err := cat.Do(ctx, Name, func(t *rmstore.Tables) error {
		return db.QueryRow(ctx, t.Expand(`SELECT state FROM {{cases}} WHERE id = $1`), id).Scan(&st)
	})
	if errors.Is(err, rmstore.ErrNoRows) {
		return cases.State{}, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	if err != nil {
		return cases.State{}, err
	}
	var f folded
	if err := f.unpack(st); err != nil {
		// A generation of version 4 or older holds the JSON itself: it
		// still answers while the packed generation is being built after
		// an upgrade.
		if f.UnmarshalJSON(st) != nil {
			return cases.State{}, fmt.Errorf("casefile: decode %s: %w", id, err)
		}
	}
	return f.State, nil
}

type cursor struct {
	At int64  `json:"t"`
	ID string `json:"i"`
	// Unit is set by inbox cursors.
	Unit string `json:"u,omitempty"`
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

type builder struct {
	args  []any
	where []string
}

func (b *builder) arg(v any) string {
	b.args = append(b.args, v)
	return "$" + strconv.Itoa(len(b.args))
}

func (b *builder) cond() string {
	if len(b.where) == 0 {
		return "1 = 1"
	}
	return strings.Join(b.where, " AND ")
}

// build returns the conditions of f on the cases row c, without those on
// the driving unit (see driver), which the caller joins or tests.
func (f Filter) build(drive string, addressed bool) *builder {
	b := &builder{}
	eq := func(col, v string) {
		if v != "" {
			b.where = append(b.where, col+" = "+b.arg(v))
		}
	}
	eq("c.approving_unit", f.ApprovingUnit)
	eq("c.matter_code", f.MatterCode)
	eq("c.subject_id", f.SubjectID)
	eq("c.status", string(f.Status))
	eq("c.outcome", string(f.Outcome))
	eq("c.mode", string(f.Mode))
	if f.SupervisingUnit != "" && !(addressed && drive == f.SupervisingUnit) {
		b.where = append(b.where, "EXISTS (SELECT 1 FROM {{units}} u WHERE u.case_id = c.id AND u.unit = "+
			b.arg(f.SupervisingUnit)+" AND u.addressed = 1)")
	}
	if f.InvolvesUnit != "" && f.InvolvesUnit != drive {
		b.where = append(b.where, "EXISTS (SELECT 1 FROM {{units}} u WHERE u.case_id = c.id AND u.unit = "+
			b.arg(f.InvolvesUnit)+")")
	}
	if f.Overdue != nil {
		b.where = append(b.where, "c.overdue = "+b.arg(rmstore.Bool(*f.Overdue)))
	}
	if !f.DecidedFrom.IsZero() {
		b.where = append(b.where, "c.decided_at >= "+b.arg(rmstore.Micros(f.DecidedFrom)))
	}
	if !f.DecidedTo.IsZero() {
		b.where = append(b.where, "c.decided_at < "+b.arg(rmstore.Micros(f.DecidedTo)))
	}
	return b
}

// driver returns the unit whose rows of the units table drive a list — the
// supervising unit (addressed rows only), else the involved unit (any
// row) — or "" when f names no unit. A case has at most one row per unit,
// so the join never repeats a case. An involved unit equal to the
// supervising one adds nothing (an addressed unit takes part).
func (f Filter) driver() (unit string, addressed bool) {
	if f.SupervisingUnit != "" {
		return f.SupervisingUnit, true
	}
	return f.InvolvesUnit, false
}

// unitDriven returns "FROM … WHERE" text that reads the driving unit's rows
// (an index range of {{units}}_unit, or of the partial {{units}}_addressed
// for addressed rows) and joins their cases, with b's conditions on the
// case. CROSS JOIN fixes that order on SQLite; PostgreSQL plans the join
// itself. The units rows carry their case's pushed_at, so a page read in
// (u.pushed_at, u.case_id) order comes straight from the index range.
func unitDriven(b *builder, unit string, addressed bool) string {
	q := "{{units}} u CROSS JOIN {{cases}} c WHERE c.id = u.case_id AND u.unit = " + b.arg(unit)
	if addressed {
		q += " AND u.addressed = 1"
	}
	return q + " AND " + b.cond()
}

func pageSize(first int) (int, error) {
	if first < 0 {
		return 0, fmt.Errorf("%w: %d", ErrBadPage, first)
	}
	return min(first, MaxPage), nil
}

// List returns a page of the cases selected by f, newest push first (then
// id, descending): first cases (at most MaxPage) after the cursor (empty
// for the first page). Errors: ErrBadCursor, ErrBadPage,
// projections.ErrNotBuilt.
func List(ctx context.Context, db rmstore.DB, cat *projections.Catalog, f Filter, first int, after string) (Page, error) {
	first, err := pageSize(first)
	if err != nil {
		return Page{}, err
	}
	var cur *cursor
	if after != "" {
		c, err := decodeCursor(after)
		if err != nil {
			return Page{}, err
		}
		cur = &c
	}
	unit, addressed := f.driver()
	var p Page
	err = cat.Do(ctx, Name, func(t *rmstore.Tables) error {
		p = Page{}
		b := f.build(unit, addressed)
		var err error
		switch {
		case unit == "":
			err = db.QueryRow(ctx, t.Expand(`SELECT COUNT(*) FROM {{cases}} c WHERE `+b.cond()), b.args...).Scan(&p.TotalCount)
		case len(b.where) == 0:
			// The unit's (addressed) rows: an index range.
			q := `SELECT COUNT(*) FROM {{units}} u WHERE u.unit = $1`
			if addressed {
				q += ` AND u.addressed = 1`
			}
			err = db.QueryRow(ctx, t.Expand(q), unit).Scan(&p.TotalCount)
		default:
			cb := &builder{args: slices.Clone(b.args), where: b.where}
			err = db.QueryRow(ctx, t.Expand(`SELECT COUNT(*) FROM `+unitDriven(cb, unit, addressed)), cb.args...).Scan(&p.TotalCount)
		}
		if err != nil {
			return err
		}
		order := "c.pushed_at DESC, c.id DESC"
		key := "(c.pushed_at, c.id)"
		if unit != "" {
			// The unit's rows in index order; c.pushed_at = u.pushed_at.
			order, key = "u.pushed_at DESC, u.case_id DESC", "(u.pushed_at, u.case_id)"
		}
		if cur != nil {
			b.where = append(b.where, key+" < ("+b.arg(cur.At)+", "+b.arg(cur.ID)+")")
		}
		from := `{{cases}} c WHERE ` + b.cond()
		if unit != "" {
			from = unitDriven(b, unit, addressed)
		}
		lim := b.arg(int64(first + 1))
		p.Items, err = queryCases(ctx, db, t, `SELECT `+caseColumns+` FROM `+from+` ORDER BY `+order+` LIMIT `+lim, b.args...)
		return err
	})
	if err != nil {
		return Page{}, err
	}
	if len(p.Items) > first {
		p.Items, p.HasNext = p.Items[:first], true
	}
	if n := len(p.Items); n > 0 {
		p.EndCursor = encodeCursor(cursor{At: rmstore.Micros(p.Items[n-1].PushedAt), ID: p.Items[n-1].ID})
	}
	return p, nil
}

// OpenCasesFor returns the open cases (neither closed nor revoked) of a
// matter and subject, oldest push first: the duplicate-push guard's lookup.
// Errors: projections.ErrNotBuilt.
func OpenCasesFor(ctx context.Context, db rmstore.DB, cat *projections.Catalog, matterCode, subjectID string) ([]Case, error) {
	var out []Case
	err := cat.Do(ctx, Name, func(t *rmstore.Tables) error {
		var err error
		out, err = queryCases(ctx, db, t, `SELECT `+caseColumns+` FROM {{cases}} c
			WHERE c.matter_code = $1 AND c.subject_id = $2 AND c.is_open = 1 ORDER BY c.pushed_at, c.id`, matterCode, subjectID)
		return err
	})
	return out, err
}

// OpenCaseIDsFor returns the ids of the open cases of a matter and subject,
// oldest push first: OpenCasesFor without the rows, for the duplicate-push
// guard of every push (an index lookup, no unit rows). Errors:
// projections.ErrNotBuilt.
func OpenCaseIDsFor(ctx context.Context, db rmstore.DB, cat *projections.Catalog, matterCode, subjectID string) ([]string, error) {
	var out []string
	err := cat.Do(ctx, Name, func(t *rmstore.Tables) error {
		out = out[:0]
		rows, err := db.Query(ctx, t.Expand(`SELECT c.id FROM {{cases}} c
			WHERE c.matter_code = $1 AND c.subject_id = $2 AND c.is_open = 1 ORDER BY c.pushed_at, c.id`), matterCode, subjectID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				return err
			}
			out = append(out, id)
		}
		return rows.Err()
	})
	return out, err
}

// InboxItem is a push waiting for a supervising unit's receipt.
type InboxItem struct {
	Unit        string
	Round       int
	AddressedAt time.Time
	Case        Case
}

// InboxPage is a page of an inbox.
type InboxPage struct {
	Items      []InboxItem
	EndCursor  string
	HasNext    bool
	TotalCount int
}

// Inbox returns the pushes addressed to a supervising unit that it has not
// received (of open cases), oldest addressing first (then case id): first
// items (at most MaxPage) after the cursor. Errors: ErrBadCursor, ErrBadPage,
// projections.ErrNotBuilt.
func Inbox(ctx context.Context, db rmstore.DB, cat *projections.Catalog, unit string, first int, after string) (InboxPage, error) {
	first, err := pageSize(first)
	if err != nil {
		return InboxPage{}, err
	}
	var cur *cursor
	if after != "" {
		c, err := decodeCursor(after)
		if err != nil {
			return InboxPage{}, err
		}
		if c.Unit != unit {
			return InboxPage{}, fmt.Errorf("%w: cursor of another inbox", ErrBadCursor)
		}
		cur = &c
	}
	var p InboxPage
	err = cat.Do(ctx, Name, func(t *rmstore.Tables) error {
		p = InboxPage{}
		if err := db.QueryRow(ctx, t.Expand(`SELECT COUNT(*) FROM {{units}} WHERE unit = $1 AND inbox = 1`), unit).Scan(&p.TotalCount); err != nil {
			return err
		}
		b := &builder{}
		b.where = append(b.where, "u.unit = "+b.arg(unit), "u.inbox = 1")
		if cur != nil {
			b.where = append(b.where, "(u.addressed_at, u.case_id) > ("+b.arg(cur.At)+", "+b.arg(cur.ID)+")")
		}
		lim := b.arg(int64(first + 1))
		rows, err := db.Query(ctx, t.Expand(`SELECT u.round, u.addressed_at, `+caseColumns+`
			FROM {{units}} u JOIN {{cases}} c ON c.id = u.case_id WHERE `+b.cond()+`
			ORDER BY u.addressed_at, u.case_id LIMIT `+lim), b.args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var it InboxItem
			var round, at int64
			c, err := scanCase(rows, &round, &at)
			if err != nil {
				return err
			}
			it.Unit, it.Round, it.AddressedAt, it.Case = unit, int(round), rmstore.FromMicros(at), c
			p.Items = append(p.Items, it)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		rows.Close()
		cs := make([]Case, len(p.Items))
		for i, it := range p.Items {
			cs[i] = it.Case
		}
		if err := loadUnits(ctx, db, t, cs); err != nil {
			return err
		}
		for i := range p.Items {
			p.Items[i].Case = cs[i]
		}
		return nil
	})
	if err != nil {
		return InboxPage{}, err
	}
	if len(p.Items) > first {
		p.Items, p.HasNext = p.Items[:first], true
	}
	if n := len(p.Items); n > 0 {
		last := p.Items[n-1]
		p.EndCursor = encodeCursor(cursor{At: rmstore.Micros(last.AddressedAt), ID: last.Case.ID, Unit: unit})
	}
	return p, nil
}

// RoutingFailed returns the routing-failed queue: cases waiting for their
// approving unit to re-route them (status ROUTING_FAILED, or a return not
// yet re-routed), longest waiting first (then id), optionally only those of
// one approving unit (approvingUnit ""  for all). Errors: ErrBadCursor,
// ErrBadPage, projections.ErrNotBuilt.
func RoutingFailed(ctx context.Context, db rmstore.DB, cat *projections.Catalog, approvingUnit string, first int, after string) (Page, error) {
	first, err := pageSize(first)
	if err != nil {
		return Page{}, err
	}
	var cur *cursor
	if after != "" {
		c, err := decodeCursor(after)
		if err != nil {
			return Page{}, err
		}
		cur = &c
	}
	var p Page
	err = cat.Do(ctx, Name, func(t *rmstore.Tables) error {
		p = Page{}
		b := &builder{}
		b.where = append(b.where, "c.reroute_pending = 1")
		if approvingUnit != "" {
			b.where = append(b.where, "c.approving_unit = "+b.arg(approvingUnit))
		}
		if err := db.QueryRow(ctx, t.Expand(`SELECT COUNT(*) FROM {{cases}} c WHERE `+b.cond()), b.args...).Scan(&p.TotalCount); err != nil {
			return err
		}
		if cur != nil {
			b.where = append(b.where, "(c.reroute_since, c.id) > ("+b.arg(cur.At)+", "+b.arg(cur.ID)+")")
		}
		lim := b.arg(int64(first + 1))
		var err error
		p.Items, err = queryCases(ctx, db, t, `SELECT `+caseColumns+` FROM {{cases}} c WHERE `+b.cond()+
			` ORDER BY c.reroute_since, c.id LIMIT `+lim, b.args...)
		return err
	})
	if err != nil {
		return Page{}, err
	}
	if len(p.Items) > first {
		p.Items, p.HasNext = p.Items[:first], true
	}
	if n := len(p.Items); n > 0 {
		p.EndCursor = encodeCursor(cursor{At: rmstore.Micros(p.Items[n-1].RerouteSince), ID: p.Items[n-1].ID})
	}
	return p, nil
}
