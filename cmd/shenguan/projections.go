package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"

	"shenguan/eventstore"
	"shenguan/eventstore/postgres"
	"shenguan/projections"
	"shenguan/projections/creditpm"
	"shenguan/projections/readmodels"
	"shenguan/projections/rmstore"
	"shenguan/projections/scheduler"
)

// readModels returns every read model the binary keeps: the one list that
// serve runs and rebuild rebuilds.
func readModels() []projections.Projection { return readmodels.All() }

// readModelNames returns the names of readModels, in order.
func readModelNames() []string {
	ps := readModels()
	names := make([]string, len(ps))
	for i, p := range ps {
		names[i] = p.Name()
	}
	return names
}

// readModelsPath is the SQLite file of the read models, beside events.db.
func (c *storeConfig) readModelsPath() string { return filepath.Join(c.DataDir, "readmodels.db") }

// openReadModels opens the read-model store that goes with an event store
// opened from c: <data-dir>/readmodels.db on SQLite (created when missing;
// it can always be rebuilt from the log), the event store's own PostgreSQL
// database, sharing its pool, on PostgreSQL. Close leaves a shared pool open.
func openReadModels(ctx context.Context, c *storeConfig, store eventstore.Store) (rmstore.DB, error) {
	if pg, ok := store.(*postgres.Store); ok {
		return rmstore.NewPostgres(pg.Pool()), nil
	}
	if isPG, err := c.postgres(); err != nil {
		return nil, err
	} else if isPG {
		db, err := rmstore.OpenPostgres(ctx, c.DatabaseURL)
		if err != nil {
			return nil, fmt.Errorf("无法打开读模型库 %s：%w", c.describe(), err)
		}
		return db, nil
	}
	db, err := rmstore.OpenSQLite(ctx, c.readModelsPath())
	if err != nil {
		return nil, fmt.Errorf("无法打开读模型库 %s：%w", c.readModelsPath(), err)
	}
	return db, nil
}

// processManagers are the background processes that append events in
// reaction to the log and the clock: the deadline scheduler and the credit
// process manager. serve starts them beside the projections runner.
type processManagers struct {
	cancel context.CancelFunc
	done   chan error
}

// startProcessManagers starts the deadline scheduler (fed by the runner's
// obligation read model, woken by its broker) and the credit process
// manager in the background, until stop is called or ctx is done. On
// PostgreSQL each runs on one replica at a time.
func startProcessManagers(ctx context.Context, store eventstore.Store, db rmstore.DB, r *projections.Runner, log *slog.Logger) (*processManagers, error) {
	sched, err := scheduler.New(store, db, r, scheduler.Options{Catalog: r.Catalog(), Broker: r.Broker(), Logger: log})
	if err != nil {
		return nil, err
	}
	cpm, err := creditpm.New(store, db, creditpm.Options{Logger: log})
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	pm := &processManagers{cancel: cancel, done: make(chan error, 2)}
	for _, run := range []func(context.Context) error{sched.Run, cpm.Run} {
		go func() { pm.done <- run(ctx) }()
	}
	return pm, nil
}

// stop stops the process managers and waits for them.
func (pm *processManagers) stop() error {
	if pm == nil {
		return nil
	}
	pm.cancel()
	var errs []error
	for range 2 {
		if err := <-pm.done; err != nil && !errors.Is(err, context.Canceled) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
