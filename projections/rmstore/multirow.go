package rmstore

import (
	"strconv"
	"strings"
	"sync"
)

// Inserts collects the rows of one INSERT statement and queues them as
// multi-row statements (INSERT … VALUES (…), (…), … ON CONFLICT …), which
// costs both stores far less per row than one statement per row. Statements
// carry a power of two of rows, at most 64, so that a transaction prepares
// only a few distinct texts. On PostgreSQL an upsert must not name the same
// key twice in one statement: add each key at most once between two
// Queue calls. An Inserts is not safe for concurrent use.
//
//	r := rmstore.NewInserts(t.Expand(`INSERT INTO {{counts}} (stream, n)`), 2,
//		`ON CONFLICT (stream) DO UPDATE SET n = excluded.n`)
//	r.Add("a", int64(1))
//	r.Add("b", int64(2))
//	r.Queue(tx)
type Inserts struct {
	insert, tail string
	cols         int
	max          int
	// full holds blocks of max rows each, then args the rows after them:
	// a block is allocated once at its full size (max*cols values) and
	// becomes one statement's arguments, so adding rows never copies the
	// earlier ones; args alone grows by doubling up to a block (a few rows
	// cost a few values, not a block).
	full [][]any
	args []any
}

// NewInserts returns a collector of rows of cols columns for insert (the
// statement up to, without, VALUES) and tail (what follows the values, such
// as an ON CONFLICT clause; may be empty). Neither may hold parameters: the
// values are the only ones (on SQLite they are anonymous, since the driver
// looks each numbered parameter's name up in a list, which is quadratic in
// a statement of many rows).
func NewInserts(insert string, cols int, tail string) *Inserts {
	max := 64
	for max > 1 && max*cols > 30000 {
		max /= 2
	}
	return &Inserts{insert: insert, tail: tail, cols: cols, max: max}
}

// Add adds a row; it panics unless it has the collector's number of columns.
func (r *Inserts) Add(args ...any) {
	if len(args) != r.cols {
		panic("rmstore: Inserts.Add: " + strconv.Itoa(len(args)) + " values for " + strconv.Itoa(r.cols) + " columns")
	}
	if len(r.args) == r.max*r.cols {
		r.full = append(r.full, r.args)
		r.args = make([]any, 0, r.max*r.cols)
	} else if len(r.args)+r.cols > cap(r.args) {
		n := min(r.max*r.cols, max(4*r.cols, 2*cap(r.args)))
		r.args = append(make([]any, 0, n), r.args...)
	}
	r.args = append(r.args, args...)
}

// Len returns the number of rows added since the last Queue.
func (r *Inserts) Len() int { return (len(r.full)*r.max*r.cols + len(r.args)) / r.cols }

// QueueFull queues the rows of the statements already full (max rows
// each) on tx, in the order they were added, and keeps the rest: a writer
// of many rows calls it as it goes, so that a transaction that runs queued
// statements in the background (a rebuild's) gets them early.
func (r *Inserts) QueueFull(tx Tx) {
	if len(r.full) == 0 {
		return
	}
	sqlite := isSQLite(tx)
	for _, b := range r.full {
		tx.Queue(r.insert+" VALUES "+values(r.cols, r.max, sqlite)+" "+r.tail, b...)
	}
	clear(r.full)
	r.full = r.full[:0]
}

// Queue queues the rows added so far on tx, in the order they were added,
// and empties the collector.
func (r *Inserts) Queue(tx Tx) {
	r.QueueFull(tx)
	sqlite := isSQLite(tx)
	args := r.args
	for n := r.max; len(args) > 0; {
		if len(args) < n*r.cols {
			n /= 2
			continue
		}
		k := n * r.cols
		tx.Queue(r.insert+" VALUES "+values(r.cols, n, sqlite)+" "+r.tail, args[:k:k]...)
		args = args[k:]
	}
	// The queued statements keep the block until they run: start afresh.
	r.args = nil
}

// isSQLite tells whether tx writes SQLite's anonymous parameters.
func isSQLite(tx Tx) bool {
	d, ok := tx.(interface{ Dialect() Dialect })
	return ok && d.Dialect() == SQLite
}

type shape struct {
	cols, rows int
	anonymous  bool
}

var valuesCache sync.Map // shape -> string

// values returns "($1, …, $cols), (…), …" for rows rows, or "(?, …), …"
// when anonymous.
func values(cols, rows int, anonymous bool) string {
	if v, ok := valuesCache.Load(shape{cols, rows, anonymous}); ok {
		return v.(string)
	}
	var b strings.Builder
	p := 1
	for i := range rows {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		for j := range cols {
			if j > 0 {
				b.WriteString(", ")
			}
			if anonymous {
				b.WriteByte('?')
			} else {
				b.WriteByte('$')
				b.WriteString(strconv.Itoa(p))
				p++
			}
		}
		b.WriteByte(')')
	}
	s := b.String()
	valuesCache.Store(shape{cols, rows, anonymous}, s)
	return s
}
