package main

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"shenguan/domain/credit"
	"shenguan/domain/deadline"
	"shenguan/projections"
)

// TestProcessManagers starts the process managers as serve does, beside a
// running projections runner: the dishonest revocation of the district gets
// its credit entry, and the receipts left open (due in June 2026, long
// before the wall clock of this test) get their warnings and misses.
func TestProcessManagers(t *testing.T) {
	cleanEnv(t)
	ctx := t.Context()
	dir := filepath.Join(t.TempDir(), "data")
	if code, _, _ := shenguan(t, ctx, "migrate", "--data-dir", dir); code != 0 {
		t.Fatalf("migrate: exit %d", code)
	}
	c := &storeConfig{DataDir: dir}
	store, err := openStore(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	district(t, ctx, store)
	db, err := openReadModels(ctx, c, store)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	r, err := projections.New(store, db, projections.Options{}, readModels()...)
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stopRunner := context.WithCancel(ctx)
	runDone := make(chan error, 1)
	go func() { runDone <- r.Run(runCtx) }()
	defer func() {
		stopRunner()
		if err := <-runDone; !errors.Is(err, context.Canceled) {
			t.Errorf("runner: %v", err)
		}
	}()

	pm, err := startProcessManagers(ctx, store, db, r, nil)
	if err != nil {
		t.Fatal(err)
	}
	types := func(stream string) []string {
		evs, err := store.ReadStream(ctx, stream, 1, 0)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, e := range evs {
			out = append(out, e.Type)
		}
		return out
	}
	creditStream := credit.StreamID("91350100M000100Y43")
	c4 := deadline.StreamID("case/c4/RECEIPT/u-scjgj")
	deadlineAt := time.Now().Add(20 * time.Second)
	for {
		cr, dl := types(creditStream), types(c4)
		if len(cr) == 1 && len(dl) == 4 {
			if cr[0] != "credit.dishonesty_recorded" || dl[3] != "deadline.missed" {
				t.Errorf("credit stream %v, c4 deadline stream %v", cr, dl)
			}
			break
		}
		if time.Now().After(deadlineAt) {
			t.Fatalf("credit stream %v, c4 deadline stream %v; want one entry and three warnings and a miss", cr, dl)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := pm.stop(); err != nil {
		t.Errorf("stop: %v", err)
	}
}
