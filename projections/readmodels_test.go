package projections_test

import (
	"errors"
	"fmt"
	"testing"

	"shenguan/eventstore"
	"shenguan/projections"
	"shenguan/projections/rmtest"
)

func counterOnly() []projections.Projection { return []projections.Projection{newCounter()} }

// TestReadModels runs the test read model through the contract harness.
func TestReadModels(t *testing.T) {
	rmtest.Run(t, counterOnly,
		rmtest.Case{Name: "empty log", Run: func(t *testing.T, env *rmtest.Env) {
			env.Sync(t)
			sum, applied, err := total(env.Ctx, env.DB, env.Catalog)
			if err != nil || sum != 0 || applied != 0 {
				t.Errorf("total = %d, %d, %v; want 0, 0, nil", sum, applied, err)
			}
			env.CheckRebuild(t)
		}},
		rmtest.Case{Name: "counts per stream", Run: func(t *testing.T, env *rmtest.Env) {
			for i := range 5 {
				for range i + 1 {
					env.Append(t, fmt.Sprintf("s-%d", i), rmtest.Event("test.happened", map[string]int{"i": i}))
				}
			}
			env.Sync(t)
			for i := range 5 {
				n, err := count(env.Ctx, env.DB, env.Catalog, fmt.Sprintf("s-%d", i))
				if err != nil || n != int64(i+1) {
					t.Errorf("count(s-%d) = %d, %v; want %d", i, n, err, i+1)
				}
			}
			// Incremental: more events after a sync.
			env.Append(t, "s-0", rmtest.Event("test.happened", nil), rmtest.Event("test.happened", nil))
			env.Sync(t)
			if n, err := count(env.Ctx, env.DB, env.Catalog, "s-0"); err != nil || n != 3 {
				t.Errorf("count(s-0) after more = %d, %v; want 3", n, err)
			}
			env.CheckRebuild(t)
			if n, err := count(env.Ctx, env.DB, env.Catalog, "s-4"); err != nil || n != 5 {
				t.Errorf("count(s-4) after rebuild = %d, %v; want 5", n, err)
			}
		}},
		rmtest.Case{Name: "rebuild matches incremental over many batches", Run: func(t *testing.T, env *rmtest.Env) {
			appendMany(t, env.Store, "m", 3000, 37, 7)
			env.Sync(t)
			sum, applied, err := total(env.Ctx, env.DB, env.Catalog)
			if err != nil || sum != 3000 || applied != 3000 {
				t.Fatalf("total = %d, %d, %v; want 3000, 3000, nil", sum, applied, err)
			}
			env.CheckRebuild(t)
		}},
		rmtest.Case{Name: "unknown projection is not built", Run: func(t *testing.T, env *rmtest.Env) {
			_, err := env.Catalog.Tables(env.Ctx, "nosuch")
			if !errors.Is(err, projections.ErrNotBuilt) {
				t.Errorf("Tables(nosuch) err = %v, want ErrNotBuilt", err)
			}
		}},
	)
}

var _ = eventstore.Position{}
