package audit

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"shenguan/eventstore"
	"shenguan/projections"
	"shenguan/projections/rmstore"
)

// Kinds of read-model differences.
const (
	DiffNotBuilt = "NOT_BUILT" // the stored read model has no active generation
	DiffMissing  = "MISSING"   // a rebuilt row the stored read model lacks
	DiffExtra    = "EXTRA"     // a stored row the rebuild does not produce
	DiffChanged  = "CHANGED"   // same key, different values
)

// Difference is one way a stored read model differs from a rebuild.
type Difference struct {
	Projection, Table string
	Kind              string
	// Key is the row's first column; Stored and Rebuilt the rows as
	// "column=value" lists.
	Key, Stored, Rebuilt string
}

func (d Difference) String() string {
	switch d.Kind {
	case DiffNotBuilt:
		return fmt.Sprintf("%s：读模型尚未建立", d.Projection)
	case DiffMissing:
		return fmt.Sprintf("%s.%s：缺少行 %s（重建结果：%s）", d.Projection, d.Table, d.Key, d.Rebuilt)
	case DiffExtra:
		return fmt.Sprintf("%s.%s：多出行 %s（存储：%s）", d.Projection, d.Table, d.Key, d.Stored)
	default:
		return fmt.Sprintf("%s.%s：行 %s 不一致\n    存储：%s\n    重建：%s", d.Projection, d.Table, d.Key, d.Stored, d.Rebuilt)
	}
}

// CheckReport is the result of CheckReadModels.
type CheckReport struct {
	// Positions are the checkpoints the stored read models were at (and
	// the rebuild was run to), by projection.
	Positions   map[string]eventstore.Position
	Rows        map[string]int // rows compared, by projection
	Differences []Difference
}

// CheckReadModels rebuilds every projection from the log into fresh (an
// empty SQLite read-model store) exactly up to the checkpoint of its stored
// counterpart in stored, and compares them table by table and row by row.
// A projection bug detector: an incremental run must give the rows a
// rebuild gives. Errors: store and database errors.
func CheckReadModels(ctx context.Context, store eventstore.Store, stored, fresh rmstore.DB, projs []projections.Projection) (CheckReport, error) {
	rep := CheckReport{Positions: map[string]eventstore.Position{}, Rows: map[string]int{}}
	scat := projections.NewCatalog(stored)
	for _, p := range projs {
		st, err := scat.Tables(ctx, p.Name())
		if errors.Is(err, projections.ErrNotBuilt) {
			rep.Differences = append(rep.Differences, Difference{Projection: p.Name(), Kind: DiffNotBuilt})
			continue
		}
		if err != nil {
			return rep, err
		}
		pos, err := checkpoint(ctx, stored, p.Name())
		if err != nil {
			return rep, err
		}
		rep.Positions[p.Name()] = pos
		r, err := projections.New(bounded{Store: store, limit: pos}, fresh, projections.Options{}, p)
		if err != nil {
			return rep, err
		}
		if err := r.RunToEnd(ctx); err != nil {
			return rep, fmt.Errorf("audit: rebuild %s: %w", p.Name(), err)
		}
		ft, err := r.Catalog().Tables(ctx, p.Name())
		if err != nil {
			return rep, err
		}
		for _, table := range p.Tables() {
			cols, err := columns(ctx, fresh, ft.Name(table))
			if err != nil {
				return rep, err
			}
			want, err := rows(ctx, fresh, ft.Name(table), cols)
			if err != nil {
				return rep, fmt.Errorf("audit: read rebuilt %s.%s: %w", p.Name(), table, err)
			}
			got, err := rows(ctx, stored, st.Name(table), cols)
			if err != nil {
				return rep, fmt.Errorf("audit: read stored %s.%s: %w", p.Name(), table, err)
			}
			rep.Rows[p.Name()] += len(want)
			rep.Differences = append(rep.Differences, compareRows(p.Name(), table, cols, got, want)...)
		}
	}
	return rep, nil
}

func checkpoint(ctx context.Context, db rmstore.DB, name string) (eventstore.Position, error) {
	var maj, min int64
	err := db.QueryRow(ctx, `SELECT c.major, c.minor FROM projection_generations g
		JOIN projection_checkpoints c ON c.name = g.name AND c.generation = g.active WHERE g.name = $1`, name).Scan(&maj, &min)
	if err != nil {
		return eventstore.Position{}, fmt.Errorf("audit: checkpoint of %s: %w", name, err)
	}
	return eventstore.Position{Major: uint64(maj), Minor: uint64(min)}, nil
}

// columns lists a table's columns in the fresh SQLite store.
func columns(ctx context.Context, db rmstore.DB, table string) ([]string, error) {
	rs, err := db.Query(ctx, `SELECT name FROM pragma_table_info($1) ORDER BY cid`, table)
	if err != nil {
		return nil, fmt.Errorf("audit: columns of %s: %w", table, err)
	}
	defer rs.Close()
	var out []string
	for rs.Next() {
		var n string
		if err := rs.Scan(&n); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("audit: table %s has no columns", table)
	}
	return out, rs.Err()
}

// rows reads a whole table as rows of rendered values, sorted.
func rows(ctx context.Context, db rmstore.DB, table string, cols []string) ([][]string, error) {
	rs, err := db.Query(ctx, `SELECT `+strings.Join(cols, ", ")+` FROM `+table)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var out [][]string
	for rs.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rs.Scan(ptrs...); err != nil {
			return nil, err
		}
		row := make([]string, len(cols))
		for i, v := range vals {
			switch v := v.(type) {
			case nil:
				row[i] = "NULL"
			case []byte:
				row[i] = string(v)
			default:
				row[i] = fmt.Sprint(v)
			}
		}
		out = append(out, row)
	}
	if err := rs.Err(); err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b []string) int { return slices.Compare(a, b) })
	return out, nil
}

func render(cols, row []string) string {
	parts := make([]string, len(cols))
	for i, c := range cols {
		v := row[i]
		if len(v) > 200 {
			v = v[:200] + "…"
		}
		parts[i] = c + "=" + v
	}
	return strings.Join(parts, ", ")
}

// compareRows reports the rows that differ between stored and rebuilt
// (both sorted); rows sharing their first column are paired as CHANGED.
func compareRows(proj, table string, cols []string, stored, rebuilt [][]string) []Difference {
	count := func(rs [][]string) map[string]int {
		m := map[string]int{}
		for _, r := range rs {
			m[strings.Join(r, "\x00")]++
		}
		return m
	}
	sc, rc := count(stored), count(rebuilt)
	var extra, missing [][]string
	for _, r := range stored {
		k := strings.Join(r, "\x00")
		if rc[k] > 0 {
			rc[k]--
			continue
		}
		extra = append(extra, r)
	}
	for _, r := range rebuilt {
		k := strings.Join(r, "\x00")
		if sc[k] > 0 {
			sc[k]--
			continue
		}
		missing = append(missing, r)
	}
	var out []Difference
	used := make([]bool, len(missing))
	for _, e := range extra {
		paired := false
		for i, m := range missing {
			if !used[i] && m[0] == e[0] {
				used[i], paired = true, true
				out = append(out, Difference{Projection: proj, Table: table, Kind: DiffChanged, Key: e[0],
					Stored: render(cols, e), Rebuilt: render(cols, m)})
				break
			}
		}
		if !paired {
			out = append(out, Difference{Projection: proj, Table: table, Kind: DiffExtra, Key: e[0], Stored: render(cols, e)})
		}
	}
	for i, m := range missing {
		if !used[i] {
			out = append(out, Difference{Projection: proj, Table: table, Kind: DiffMissing, Key: m[0], Rebuilt: render(cols, m)})
		}
	}
	return out
}

// bounded is a view of an event store that ends at limit.
type bounded struct {
	eventstore.Store
	limit eventstore.Position
}

func (b bounded) ReadAll(ctx context.Context, after eventstore.Position, limit int) ([]eventstore.Event, error) {
	if after.Compare(b.limit) >= 0 {
		return nil, nil
	}
	evs, err := b.Store.ReadAll(ctx, after, limit)
	if err != nil {
		return nil, err
	}
	for i, e := range evs {
		if e.Position.Compare(b.limit) > 0 {
			return evs[:i], nil
		}
	}
	return evs, nil
}

func (b bounded) Head(ctx context.Context) (eventstore.Position, error) {
	h, err := b.Store.Head(ctx)
	if err != nil || h.Compare(b.limit) <= 0 {
		return h, err
	}
	return b.limit, nil
}
