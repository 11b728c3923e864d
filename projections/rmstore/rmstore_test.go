package rmstore_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"shenguan/eventstore/postgres/pgtest"
	"shenguan/projections/rmstore"
)

func openBoth(t *testing.T) map[string]func(t *testing.T) rmstore.DB {
	return map[string]func(t *testing.T) rmstore.DB{
		"sqlite": func(t *testing.T) rmstore.DB {
			db, err := rmstore.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "readmodels.db"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			return db
		},
		"postgres": func(t *testing.T) rmstore.DB {
			db, err := rmstore.OpenPostgres(context.Background(), pgtest.NewDatabase(t))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			return db
		},
	}
}

// TestPortableSQL runs the statements the package doc promises on both dialects.
func TestPortableSQL(t *testing.T) {
	for name, open := range openBoth(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			db := open(t)
			tables := rmstore.NewTables(map[string]string{"items": "items_g1"})
			if _, err := db.Exec(ctx, tables.Expand(`CREATE TABLE {{items}} (
				unit TEXT NOT NULL, id TEXT NOT NULL, n BIGINT NOT NULL, at BIGINT NOT NULL,
				open BIGINT NOT NULL, score DOUBLE PRECISION, note TEXT, PRIMARY KEY (unit, id))`)); err != nil {
				t.Fatal(err)
			}
			tx, err := db.Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			at := time.Date(2026, 3, 1, 8, 0, 0, 123456000, time.UTC)
			up := tables.Expand(`INSERT INTO {{items}} (unit, id, n, at, open, score, note) VALUES ($1, $2, $3, $4, $5, $6, $7)
				ON CONFLICT (unit, id) DO UPDATE SET n = {{items}}.n + excluded.n, note = coalesce(excluded.note, $7)`)
			for i, id := range []string{"a", "b", "c", "a", "d"} {
				tx.Queue(up, "u1", id, int64(i+1), rmstore.Micros(at), rmstore.Bool(i%2 == 0), 1.5, nil)
			}
			tx.Queue(up, "u2", "z", int64(9), rmstore.Micros(at), int64(1), nil, "备注")
			var n int64
			// QueryRow flushes the queue first (read your own writes).
			if err := tx.QueryRow(ctx, tables.Expand(`SELECT n FROM {{items}} WHERE unit = $1 AND id = $2`), "u1", "a").Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n != 5 {
				t.Errorf("upserted n = %d, want 5", n)
			}
			if err := tx.Commit(ctx); err != nil {
				t.Fatal(err)
			}
			// Keyset pagination with row values, a parameter used twice.
			rows, err := db.Query(ctx, tables.Expand(`SELECT id, at, note FROM {{items}}
				WHERE unit = $1 AND (unit, id) > ($1, $2) ORDER BY unit, id LIMIT $3`), "u1", "a", int64(2))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for rows.Next() {
				var id string
				var us int64
				var note *string
				if err := rows.Scan(&id, &us, &note); err != nil {
					t.Fatal(err)
				}
				if !rmstore.FromMicros(us).Equal(at) || note != nil {
					t.Errorf("row %s: at %v note %v, want %v and nil", id, rmstore.FromMicros(us), note, at)
				}
				got = append(got, id)
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			rows.Close()
			if diff := cmp.Diff([]string{"b", "c"}, got); diff != "" {
				t.Errorf("page (-want +got):\n%s", diff)
			}
			var note string
			if err := db.QueryRow(ctx, tables.Expand(`SELECT note FROM {{items}} WHERE unit = $1`), "u2").Scan(&note); err != nil || note != "备注" {
				t.Errorf("note = %q, %v; want 备注", note, err)
			}
			err = db.QueryRow(ctx, tables.Expand(`SELECT n FROM {{items}} WHERE unit = $1`), "nobody").Scan(&n)
			if !errors.Is(err, rmstore.ErrNoRows) {
				t.Errorf("missing row: err = %v, want ErrNoRows", err)
			}
			// A failed queued statement fails the commit and rolls back.
			tx, err = db.Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			tx.Queue(up, "u3", "x", int64(1), int64(0), int64(0), nil, nil)
			tx.Queue(`INSERT INTO no_such_table VALUES ($1)`, int64(1))
			if err := tx.Commit(ctx); err == nil {
				t.Fatal("commit with a bad queued statement succeeded")
			}
			err = db.QueryRow(ctx, tables.Expand(`SELECT n FROM {{items}} WHERE unit = $1`), "u3").Scan(&n)
			if !errors.Is(err, rmstore.ErrNoRows) {
				t.Errorf("after rollback: err = %v, want ErrNoRows", err)
			}
			// A failed queued statement is reported by the next QueryRow
			// (sent with it in one batch on PostgreSQL), and one that
			// succeeded is visible to it.
			tx, err = db.Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			tx.Queue(up, "u4", "x", int64(3), int64(0), int64(0), nil, nil)
			if err := tx.QueryRow(ctx, tables.Expand(`SELECT n FROM {{items}} WHERE unit = $1`), "u4").Scan(&n); err != nil || n != 3 {
				t.Errorf("QueryRow after a queued write: n = %d, %v; want 3", n, err)
			}
			tx.Queue(`INSERT INTO no_such_table VALUES ($1)`, int64(1))
			if err := tx.QueryRow(ctx, `SELECT 1`).Scan(&n); err == nil {
				t.Error("QueryRow after a bad queued statement succeeded")
			}
			tx.Rollback(ctx)
			_, err = db.Exec(ctx, `SELECT * FROM missing_g7`)
			if !rmstore.IsUndefinedTable(err) {
				t.Errorf("IsUndefinedTable(%v) = false", err)
			}
		})
	}
}

func TestExpand(t *testing.T) {
	tb := rmstore.NewTables(map[string]string{"a": "p_a_g2", "b": "p_b_g2"})
	got := tb.Expand("SELECT * FROM {{a}} JOIN {{ b }} ON {{a}}.x = {{b}}.x WHERE {{c}}")
	want := "SELECT * FROM p_a_g2 JOIN p_b_g2 ON p_a_g2.x = p_b_g2.x WHERE {{c}}"
	if got != want {
		t.Errorf("Expand = %q, want %q", got, want)
	}
}

// TestSQLiteStatementCache: statements are kept prepared across
// transactions and queries, the cache stays bounded under many distinct
// texts (also used concurrently), and dropping a table whose statements are
// cached (a generation switch) neither fails nor leaves a broken statement:
// the old text reports the missing table, and works again once the table
// is back.
func TestSQLiteStatementCache(t *testing.T) {
	ctx := context.Background()
	db, err := rmstore.OpenSQLite(ctx, filepath.Join(t.TempDir(), "readmodels.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	create := func(name string) {
		t.Helper()
		if _, err := db.Exec(ctx, `CREATE TABLE `+name+` (k TEXT PRIMARY KEY, n BIGINT NOT NULL)`); err != nil {
			t.Fatal(err)
		}
	}
	use := func(name string, k string) (int64, error) {
		tx, err := db.Begin(ctx)
		if err != nil {
			return 0, err
		}
		defer tx.Rollback(ctx)
		tx.Queue(`INSERT INTO `+name+` (k, n) VALUES ($1, 1) ON CONFLICT (k) DO UPDATE SET n = `+name+`.n + 1`, k)
		var n int64
		if err := tx.QueryRow(ctx, `SELECT n FROM `+name+` WHERE k = $1`, k).Scan(&n); err != nil {
			return 0, err
		}
		if err := tx.Commit(ctx); err != nil {
			return 0, err
		}
		var m int64
		if err := db.QueryRow(ctx, `SELECT n FROM `+name+` WHERE k = $1`, k).Scan(&m); err != nil {
			return 0, err
		}
		if m != n {
			return 0, fmt.Errorf("read %d outside the transaction, %d inside", m, n)
		}
		return n, nil
	}
	create("items_g1")
	for i := range 5 {
		if n, err := use("items_g1", "a"); err != nil || n != int64(i+1) {
			t.Fatalf("round %d: n = %d, %v", i, n, err)
		}
	}
	if got := db.CachedStatements(); got != 2 {
		t.Errorf("cached statements = %d, want 2 (the insert; the select, the same text in and outside the transaction)", got)
	}
	// A generation switch: the new tables, then the old ones dropped.
	create("items_g2")
	if n, err := use("items_g2", "a"); err != nil || n != 1 {
		t.Fatalf("new generation: n = %d, %v", n, err)
	}
	if _, err := db.Exec(ctx, `DROP TABLE items_g1`); err != nil {
		t.Fatalf("drop a table with cached statements: %v", err)
	}
	if _, err := use("items_g1", "a"); !rmstore.IsUndefinedTable(err) {
		t.Fatalf("statement of a dropped table: err = %v, want no such table", err)
	}
	create("items_g1")
	if n, err := use("items_g1", "a"); err != nil || n != 1 {
		t.Fatalf("table back: n = %d, %v", n, err)
	}

	// Bounded, also while used concurrently (and beside a transaction).
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range rmstore.StatementCacheSize + 100 {
				q := fmt.Sprintf(`SELECT $1 + %d`, (i*7+w*13)%(rmstore.StatementCacheSize+100))
				var n int64
				if err := db.QueryRow(ctx, q, int64(1)).Scan(&n); err != nil {
					errs <- err
					return
				}
				if i%50 == 0 {
					if _, err := use("items_g2", fmt.Sprint(w)); err != nil {
						errs <- err
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if got := db.CachedStatements(); got > rmstore.StatementCacheSize {
		t.Errorf("cached statements = %d, want at most %d", got, rmstore.StatementCacheSize)
	}
	// Evicted texts are prepared again.
	var n int64
	if err := db.QueryRow(ctx, `SELECT $1 + 0`, int64(41)).Scan(&n); err != nil || n != 41 {
		t.Fatalf("after eviction: %d, %v", n, err)
	}
}
