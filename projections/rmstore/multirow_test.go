package rmstore_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"shenguan/projections/rmstore"
)

// TestInserts upserts batches of every size up to past three full statements,
// with NULLs, over existing rows, on both dialects; each batch is queued in
// two parts (rows added after a Queue must not change the rows it queued),
// the second with QueueFull after every row (it queues the full statements
// and keeps at most one statement's rows).
func TestInserts(t *testing.T) {
	for name, open := range openBoth(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			db := open(t)
			if _, err := db.Exec(ctx, `CREATE TABLE rows_t (id TEXT PRIMARY KEY, n BIGINT NOT NULL, note TEXT)`); err != nil {
				t.Fatal(err)
			}
			r := rmstore.NewInserts(`INSERT INTO rows_t (id, n, note)`, 3,
				`ON CONFLICT (id) DO UPDATE SET n = rows_t.n + excluded.n, note = excluded.note`)
			want := map[string]int64{}
			for _, size := range []int{0, 1, 2, 3, 63, 64, 65, 127, 130, 200} {
				tx, err := db.Begin(ctx)
				if err != nil {
					t.Fatal(err)
				}
				for _, part := range []string{"k", "j"} {
					for i := range size {
						id := fmt.Sprintf("%s%03d", part, i)
						var note any
						if i%2 == 0 {
							note = "备注"
						}
						r.Add(id, int64(size), note)
						want[id] += int64(size)
						if part == "j" {
							r.QueueFull(tx)
							if r.Len() > 64 || r.Len() == 0 {
								t.Fatalf("Len after QueueFull of row %d = %d, want 1 to 64", i, r.Len())
							}
						}
					}
					if part == "k" && r.Len() != size {
						t.Fatalf("Len = %d, want %d", r.Len(), size)
					}
					r.Queue(tx)
					if r.Len() != 0 {
						t.Fatalf("Len after Queue = %d", r.Len())
					}
				}
				if err := tx.Commit(ctx); err != nil {
					t.Fatalf("size %d: %v", size, err)
				}
			}
			rows, err := db.Query(ctx, `SELECT id, n, note FROM rows_t ORDER BY id`)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			got := map[string]int64{}
			for rows.Next() {
				var id string
				var n int64
				var note *string
				if err := rows.Scan(&id, &n, &note); err != nil {
					t.Fatal(err)
				}
				var i int
				fmt.Sscanf(id[1:], "%d", &i)
				if (note != nil) != (i%2 == 0) {
					t.Errorf("%s: note %v", id, note)
				}
				got[id] = n
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("rows (-want +got):\n%s", d)
			}
		})
	}
}
