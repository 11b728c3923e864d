package postgres

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"

	"github.com/golang-migrate/migrate/v4"
	migratepgx "github.com/golang-migrate/migrate/v4/database/pgx/v5"
	"github.com/golang-migrate/migrate/v4/source/iofs"
	"github.com/jackc/pgx/v5"
)

//go:embed migrations/*.sql
var migrations embed.FS

// MigrationsTable is the table in which golang-migrate records the event
// store's schema version (kept apart from read models' migration tables).
const MigrationsTable = "eventstore_schema_migrations"

// Migrate brings the event store schema at url up to date with the
// migrations embedded in the binary (golang-migrate, pgx v5 driver, iofs
// source; the driver serialises concurrent runs with an advisory lock).
// Then it repairs the transaction-id offset after a dump/restore: when the
// stored positions are ahead of the cluster's transaction ids, it raises
// event_store_meta.xid_offset so that new positions sort after the old ones.
// Run it with no writers connected.
func Migrate(ctx context.Context, url string) error {
	db, err := sql.Open("pgx", url)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer db.Close()
	if err := db.PingContext(ctx); err != nil {
		return fmt.Errorf("migrate: connect: %w", err)
	}
	drv, err := migratepgx.WithInstance(db, &migratepgx.Config{MigrationsTable: MigrationsTable})
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	src, err := iofs.New(migrations, "migrations")
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	m, err := migrate.NewWithInstance("iofs", src, "pgx5", drv)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer m.Close()
	if err := m.Up(); err != nil && !errors.Is(err, migrate.ErrNoChange) {
		return fmt.Errorf("migrate: %w", err)
	}
	return repairXIDOffset(ctx, url)
}

// repairXIDOffset raises xid_offset when the stored positions are at or
// ahead of the next transaction id (the cluster was restored from a dump).
func repairXIDOffset(ctx context.Context, url string) error {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return fmt.Errorf("migrate: connect: %w", err)
	}
	defer conn.Close(ctx)
	tx, err := conn.Begin(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `LOCK TABLE events, event_store_meta IN EXCLUSIVE MODE`); err != nil {
		return fmt.Errorf("migrate: lock: %w", err)
	}
	// xmax of a fresh snapshot is the next transaction id to be assigned;
	// every later writer's id is at least that.
	_, err = tx.Exec(ctx, `
		UPDATE event_store_meta m
		SET xid_offset = s.max_xid + 1 - s.next_xid
		FROM (SELECT (SELECT coalesce(max(xid), 0) FROM events) AS max_xid,
		             pg_snapshot_xmax(pg_current_snapshot())::text::bigint AS next_xid) s
		WHERE s.max_xid >= s.next_xid + m.xid_offset`)
	if err != nil {
		return fmt.Errorf("migrate: repair xid offset: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}
