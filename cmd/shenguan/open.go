package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"shenguan/eventstore"
	"shenguan/eventstore/postgres"
	"shenguan/eventstore/sqlite"
)

// storeConfig says which event store a subcommand opens.
type storeConfig struct {
	DataDir     string // SQLite: <DataDir>/events.db
	DatabaseURL string // PostgreSQL when it starts with postgres:// or postgresql://
}

// addStoreFlags registers --data-dir and --database-url on fs, with
// defaults from SHENGUAN_DATA_DIR and DATABASE_URL.
func addStoreFlags(fs *flag.FlagSet) *storeConfig {
	c := &storeConfig{}
	dataDir := os.Getenv("SHENGUAN_DATA_DIR")
	if dataDir == "" {
		dataDir = "./data"
	}
	fs.StringVar(&c.DataDir, "data-dir", dataDir, "数据目录（嵌入式 SQLite 事件库 `目录`/events.db；环境变量 SHENGUAN_DATA_DIR）")
	fs.StringVar(&c.DatabaseURL, "database-url", os.Getenv("DATABASE_URL"),
		"PostgreSQL 连接 `地址`（postgres:// 或 postgresql://；设置后不再使用 SQLite；环境变量 DATABASE_URL）")
	return c
}

// postgres reports whether the configuration selects PostgreSQL; a URL of
// another scheme is a usage error.
func (c *storeConfig) postgres() (bool, error) {
	switch u := c.DatabaseURL; {
	case u == "":
		return false, nil
	case strings.HasPrefix(u, "postgres://"), strings.HasPrefix(u, "postgresql://"):
		return true, nil
	default:
		return false, usagef("不支持的数据库地址 %q：只支持 postgres:// 或 postgresql://（不设置则使用数据目录中的 SQLite）", redact(u))
	}
}

// sqlitePath is the SQLite file of the data directory.
func (c *storeConfig) sqlitePath() string { return filepath.Join(c.DataDir, "events.db") }

// describe names the store for people, without a password.
func (c *storeConfig) describe() string {
	if pg, _ := c.postgres(); pg {
		return "PostgreSQL " + redact(c.DatabaseURL)
	}
	return "SQLite " + c.sqlitePath()
}

// redact hides the password of a database URL.
func redact(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "（无法解析的地址）"
	}
	return u.Redacted()
}

// openStore opens the configured event store. An SQLite store must exist
// already (shenguan migrate creates it), so a mistyped --data-dir does not
// silently verify an empty new store.
func openStore(ctx context.Context, c *storeConfig) (eventstore.Store, error) {
	pg, err := c.postgres()
	if err != nil {
		return nil, err
	}
	if pg {
		s, err := postgres.Open(ctx, c.DatabaseURL)
		if err != nil {
			return nil, fmt.Errorf("无法打开 %s（是否已运行 shenguan migrate？）：%w", c.describe(), err)
		}
		return s, nil
	}
	path := c.sqlitePath()
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("事件库文件 %s 不存在：请检查 --data-dir，或先运行 shenguan migrate --data-dir %s", path, c.DataDir)
	}
	s, err := sqlite.Open(ctx, path)
	if err != nil {
		return nil, fmt.Errorf("无法打开 %s：%w", c.describe(), err)
	}
	return s, nil
}
