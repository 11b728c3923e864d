package projections

import (
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"shenguan/projections/rmstore"
)

// A view over a SQLite transaction gets rmstore.Inserts' multi-row
// statements with anonymous parameters, as the transaction itself would,
// and passes them on to run there.
func TestViewInsertsAnonymousOnSQLite(t *testing.T) {
	ctx := t.Context()
	db, err := rmstore.OpenSQLite(ctx, filepath.Join(t.TempDir(), "rm.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(ctx, `CREATE TABLE t (a TEXT PRIMARY KEY, b BIGINT NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	tx, err := db.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	v := &txView{mu: &sync.Mutex{}, tx: tx, sqlite: true}
	ins := rmstore.NewInserts(`INSERT INTO t (a, b)`, 2, `ON CONFLICT (a) DO UPDATE SET b = excluded.b`)
	ins.Add("x", int64(1))
	ins.Add("y", int64(2))
	ins.Queue(v)
	if len(v.queue) != 1 || strings.Contains(v.queue[0].sql, "$") || !strings.Contains(v.queue[0].sql, "(?, ?)") {
		t.Fatalf("view got %+v, want one statement with anonymous parameters", v.queue)
	}
	v.pass()
	var n int64
	if err := tx.QueryRow(ctx, `SELECT SUM(b) FROM t`).Scan(&n); err != nil || n != 3 {
		t.Fatalf("rows after pass: sum %d, %v; want 3", n, err)
	}
}
