package main

import (
	"context"
	"fmt"
	"os"

	"shenguan/eventstore/postgres"
	"shenguan/eventstore/sqlite"
)

func init() {
	register("migrate", "创建或升级事件库结构（SQLite 数据目录或 PostgreSQL）", runMigrate)
}

// runMigrate creates the SQLite schema in the data directory (creating the
// directory) or applies the embedded PostgreSQL migrations.
func runMigrate(ctx context.Context, args []string) error {
	fs := newFlags(ctx, "migrate", "migrate [--data-dir 目录 | --database-url 地址]")
	cfg := addStoreFlags(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	pg, err := cfg.postgres()
	if err != nil {
		return err
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
