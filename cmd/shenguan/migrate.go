package main

import (
	"context"
	"fmt"
	"os"

	"shenguan/eventstore/postgres"
	"shenguan/eventstore/sqlite"
	"shenguan/projections"
)

func init() {
	register("migrate", "创建或升级事件库结构（SQLite 数据目录或 PostgreSQL；KurrentDB 时为 PostgreSQL 中的读模型）", runMigrate)
}

// runMigrate creates the SQLite schema in the data directory (creating the
// directory) or applies the embedded PostgreSQL migrations. With events in
// KurrentDB it creates the read-model tables in PostgreSQL instead.
func runMigrate(ctx context.Context, args []string) error {
	fs := newFlags(ctx, "migrate", "migrate [--data-dir 目录 | --database-url 地址 | --eventstore-url esdb://… --database-url 地址]")
	cfg := addStoreFlags(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	pg, err := cfg.postgres()
	if err != nil {
		return err
	}
	if cfg.kurrent() {
		return migrateReadModels(ctx, cfg)
	}
	if pg {
		if err := postgres.Migrate(ctx, cfg.DatabaseURL); err != nil {
			return fmt.Errorf("%s 迁移失败：%w", cfg.describe(), err)
		}
		fmt.Fprintf(stderr(ctx), "shenguan migrate：%s 的事件库结构已是最新\n", cfg.describe())
		return nil
	}
	if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
		return fmt.Errorf("无法创建数据目录 %s：%w", cfg.DataDir, err)
	}
	s, err := sqlite.Open(ctx, cfg.sqlitePath())
	if err != nil {
		return fmt.Errorf("无法创建 %s：%w", cfg.describe(), err)
	}
	if err := s.Close(); err != nil {
		return fmt.Errorf("关闭 %s：%w", cfg.describe(), err)
	}
	fmt.Fprintf(stderr(ctx), "shenguan migrate：%s 的事件库结构已是最新（WAL，同步写盘）\n", cfg.describe())
	return nil
}

// migrateReadModels prepares the PostgreSQL side of a KurrentDB deployment:
// it connects to KurrentDB (checking the URL and that $all can be read)
// and creates the read models' tables. KurrentDB itself has no schema.
func migrateReadModels(ctx context.Context, cfg *storeConfig) error {
	store, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer store.Close()
	db, err := openReadModels(ctx, cfg, store)
	if err != nil {
		return err
	}
	defer db.Close()
	r, err := projections.New(store, db, projections.Options{}, readModels()...)
	if err != nil {
		return err
	}
	if err := r.Setup(ctx); err != nil {
		return fmt.Errorf("PostgreSQL %s 的读模型结构迁移失败：%w", redact(cfg.DatabaseURL), err)
	}
	w := stderr(ctx)
	fmt.Fprintf(w, "shenguan migrate：KurrentDB %s 无需迁移（事件流没有表结构），已确认可以读取 $all\n", redact(cfg.EventstoreURL))
	fmt.Fprintf(w, "shenguan migrate：PostgreSQL %s 的读模型结构已是最新\n", redact(cfg.DatabaseURL))
	return nil
}
