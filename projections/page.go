package projections

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"shenguan/projections/rmstore"
)

// Page sizes of keyset-paginated lists: first <= 0 means DefaultPageSize,
// and first is capped at MaxPageSize.
const (
	DefaultPageSize = 50
	MaxPageSize     = 500
)

var (
	// ErrNotFound: a read model has no row for the requested key.
	ErrNotFound = errors.New("projections: not found")
	// ErrInvalidCursor: an after cursor was not produced by the same list.
	ErrInvalidCursor = errors.New("projections: invalid cursor")
)

// Page is one page of a keyset-paginated list: the items after the
// requested cursor, the cursor of the last item (pass it as after to get the
// next page; "" when the page is empty), whether more items follow, and the
// number of items matching the filter over all pages.
type Page[T any] struct {
	Items      []T
	EndCursor  string
	HasNext    bool
	TotalCount int
}

// Keyset describes a filtered list read page by page in the order of its
// key columns, written once in portable SQL (rmstore). Build the filter with
// Arg and Where:
//
//	q := projections.Keyset{Select: "id, name", From: t.Expand("{{units}}"), Order: []string{"id"}}
//	if f.Kind != "" {
//		q.Where("kind = " + q.Arg(f.Kind))
//	}
type Keyset struct {
	// Select is the column list; From the FROM clause (physical names,
	// joins allowed).
	Select string
	From   string
	// Order lists the key columns; together they must be unique. Cursors
	// hold their values, which must be strings or integers.
	Order []string
	// Desc reads the list in descending order of every key column.
	Desc bool

	conds []string
	args  []any
}

// Arg adds an argument and returns its placeholder ($n).
func (q *Keyset) Arg(v any) string {
	q.args = append(q.args, v)
	return "$" + strconv.Itoa(len(q.args))
}

// Where adds a condition (ANDed with the others).
func (q *Keyset) Where(cond string) { q.conds = append(q.conds, cond) }

func (q *Keyset) where(extra string) string {
	conds := q.conds
	if extra != "" {
		conds = append(conds[:len(conds):len(conds)], extra)
	}
	if len(conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(conds, " AND ")
}

// Paginate reads the page of q after the cursor after (the start when ""),
// at most first items (see DefaultPageSize), and counts the whole list.
// scan reads one row of q.Select; key returns an item's key values in
// q.Order. Errors: ErrInvalidCursor, and those of the database.
func Paginate[T any](ctx context.Context, db rmstore.Querier, q Keyset, first int, after string,
	scan func(rmstore.Rows) (T, error), key func(T) []any) (Page[T], error) {
	var page Page[T]
	switch {
	case first <= 0:
		first = DefaultPageSize
	case first > MaxPageSize:
		first = MaxPageSize
	}
	var total int64
	if err := db.QueryRow(ctx, "SELECT COUNT(*) FROM "+q.From+q.where(""), q.args...).Scan(&total); err != nil {
		return page, fmt.Errorf("count: %w", err)
	}
	page.TotalCount = int(total)

	// Copy the builder so the caller's q is not changed by the cursor.
	lq := q
	lq.args = append([]any(nil), q.args...)
	cursorCond := ""
	if after != "" {
		vals, err := DecodeCursor(after, len(q.Order))
		if err != nil {
			return page, err
		}
		ph := make([]string, len(vals))
		for i, v := range vals {
			ph[i] = lq.Arg(v)
		}
		op := ">"
		if q.Desc {
			op = "<"
		}
		cursorCond = "(" + strings.Join(q.Order, ", ") + ") " + op + " (" + strings.Join(ph, ", ") + ")"
	}
	order := make([]string, len(q.Order))
	for i, c := range q.Order {
		order[i] = c
		if q.Desc {
			order[i] += " DESC"
		}
	}
	sql := "SELECT " + q.Select + " FROM " + q.From + lq.where(cursorCond) +
		" ORDER BY " + strings.Join(order, ", ") + " LIMIT " + lq.Arg(int64(first+1))
	rows, err := db.Query(ctx, sql, lq.args...)
	if err != nil {
		return page, fmt.Errorf("list: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		it, err := scan(rows)
		if err != nil {
			return page, fmt.Errorf("scan: %w", err)
		}
		page.Items = append(page.Items, it)
	}
	if err := rows.Err(); err != nil {
		return page, fmt.Errorf("list: %w", err)
	}
	if len(page.Items) > first {
		page.Items, page.HasNext = page.Items[:first], true
	}
	if n := len(page.Items); n > 0 {
		page.EndCursor = EncodeCursor(key(page.Items[n-1])...)
	}
	return page, nil
}

// EncodeCursor returns the opaque cursor of key values (strings or integers).
func EncodeCursor(vals ...any) string {
	b, err := json.Marshal(vals)
	if err != nil {
		panic(fmt.Sprintf("projections: encode cursor %v: %v", vals, err))
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// DecodeCursor returns the n key values of a cursor made by EncodeCursor:
// strings and int64s. Errors: ErrInvalidCursor.
func DecodeCursor(cursor string, n int) ([]any, error) {
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidCursor, err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var raw []any
	if err := dec.Decode(&raw); err != nil || len(raw) != n {
		return nil, fmt.Errorf("%w: %q", ErrInvalidCursor, cursor)
	}
	for i, v := range raw {
		switch v := v.(type) {
		case string:
		case json.Number:
			x, err := v.Int64()
			if err != nil {
				return nil, fmt.Errorf("%w: %q", ErrInvalidCursor, cursor)
			}
			raw[i] = x
		default:
			return nil, fmt.Errorf("%w: %q", ErrInvalidCursor, cursor)
		}
	}
	return raw, nil
}
