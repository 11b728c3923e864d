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
	"shenguan/eventstore/kurrentdb"
	"shenguan/eventstore/postgres"
	"shenguan/eventstore/sqlite"
)

// storeConfig says which event store a subcommand opens.
type storeConfig struct {
	DataDir     string // SQLite: <DataDir>/events.db
	DatabaseURL string // PostgreSQL when it starts with postgres:// or postgresql://
	// EventstoreURL, when set (esdb:// or esdb+discover://), puts the events
	// in KurrentDB; DatabaseURL is then required and holds the read models.
	EventstoreURL string
}

// addStoreFlags registers --data-dir, --database-url and --eventstore-url
// on fs, with defaults from SHENGUAN_DATA_DIR, DATABASE_URL and
// SHENGUAN_EVENTSTORE_URL.
func addStoreFlags(fs *flag.FlagSet) *storeConfig {
	c := &storeConfig{}
	dataDir := os.Getenv("SHENGUAN_DATA_DIR")
	if dataDir == "" {
		dataDir = "./data"
	}
	fs.StringVar(&c.DataDir, "data-dir", dataDir, "数据目录（嵌入式 SQLite 事件库 `目录`/events.db；环境变量 SHENGUAN_DATA_DIR）")
	fs.StringVar(&c.DatabaseURL, "database-url", os.Getenv("DATABASE_URL"),
		"PostgreSQL 连接 `地址`（postgres:// 或 postgresql://；设置后不再使用 SQLite；环境变量 DATABASE_URL）")
	fs.StringVar(&c.EventstoreURL, "eventstore-url", os.Getenv("SHENGUAN_EVENTSTORE_URL"),
		"KurrentDB/EventStoreDB 连接`地址`（esdb:// 或 esdb+discover://；设置后事件存于 KurrentDB，读模型存于 --database-url 指定的 PostgreSQL；环境变量 SHENGUAN_EVENTSTORE_URL）")
	return c
}

// kurrent reports whether the events are in KurrentDB (--eventstore-url).
// The URL's scheme and the PostgreSQL URL it needs are checked by postgres.
func (c *storeConfig) kurrent() bool { return c.EventstoreURL != "" }

// postgres reports whether the configuration selects PostgreSQL (for the
// events, or for the read models beside KurrentDB); a URL of another scheme,
// or --eventstore-url without --database-url, is a usage error.
func (c *storeConfig) postgres() (bool, error) {
	if u := c.EventstoreURL; u != "" {
		if !strings.HasPrefix(u, "esdb://") && !strings.HasPrefix(u, "esdb+discover://") {
			return false, usagef("不支持的事件库地址 %q：--eventstore-url 只支持 esdb:// 或 esdb+discover://（KurrentDB）", redact(u))
		}
		if c.DatabaseURL == "" {
			return false, usagef("使用 --eventstore-url（KurrentDB 存放事件）时必须同时用 --database-url（或环境变量 DATABASE_URL）指定存放读模型的 PostgreSQL，例如 postgres://用户@主机:5432/库名")
		}
	}
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
	if c.kurrent() {
		return "KurrentDB " + redact(c.EventstoreURL) + "（事件）与 PostgreSQL " + redact(c.DatabaseURL) + "（读模型）"
	}
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

// openStore opens the configured event store: KurrentDB when
// --eventstore-url is set, else PostgreSQL or SQLite. An SQLite store must
// exist already (shenguan migrate creates it), so a mistyped --data-dir does
// not silently verify an empty new store.
func openStore(ctx context.Context, c *storeConfig) (eventstore.Store, error) {
	pg, err := c.postgres()
	if err != nil {
		return nil, err
	}
	if c.kurrent() {
		s, err := kurrentdb.Open(ctx, c.EventstoreURL)
		if err != nil {
			return nil, fmt.Errorf("无法连接 KurrentDB %s：%w", redact(c.EventstoreURL), err)
		}
		return s, nil
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
