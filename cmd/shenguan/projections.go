package main

import (
	"context"
	"fmt"
	"path/filepath"

	"shenguan/eventstore"
	"shenguan/eventstore/postgres"
	"shenguan/projections"
	"shenguan/projections/assessment"
	"shenguan/projections/casefile"
	"shenguan/projections/consultation"
	"shenguan/projections/credit"
	"shenguan/projections/directory"
	"shenguan/projections/obligation"
	"shenguan/projections/problem"
	"shenguan/projections/rmstore"
	"shenguan/projections/scorecard"
	"shenguan/projections/summary"
)

// readModels returns every read model the binary keeps: the one list that
// serve runs and rebuild rebuilds.
func readModels() []projections.Projection {
	return []projections.Projection{
		directory.Projection{},
		casefile.Projection{},
		obligation.Projection{},
		scorecard.Projection{},
		credit.Projection{},
		problem.Projection{},
		consultation.Projection{},
		summary.Projection{},
		assessment.Projection{},
	}
}

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
