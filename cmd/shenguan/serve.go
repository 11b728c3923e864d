package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"shenguan/domain/calendar"
	"shenguan/eventstore"
	"shenguan/eventstore/postgres"
	"shenguan/eventstore/sqlite"
	"shenguan/graph"
	"shenguan/graph/auth"
	"shenguan/graph/service"
	"shenguan/projections"
	"shenguan/projections/rmstore"
)

func init() {
	register("serve", "运行 GraphQL 服务（/graphql、GraphiQL、/healthz、/readyz、/metrics）", runServe)
}

// serveConfig configures Main.
type serveConfig struct {
	Addr          string // listen address; "127.0.0.1:0" picks a free port
	Store         storeConfig
	JWT           jwtConfig
	Introspection bool
	// Pprof serves net/http/pprof under /debug/pprof/ (off by default).
	Pprof bool
	// Limits are the GraphQL handler's defences (graph.Limits; zero fields
	// take defaults).
	Limits graph.Limits
	// ShutdownTimeout bounds the graceful shutdown (30 s when zero).
	ShutdownTimeout time.Duration
}

// Main is the running service: Run opens the event store, builds the
// handler and starts serving; Close shuts it down gracefully. End-to-end
// tests start it on 127.0.0.1:0 with a temporary data directory.
type Main struct {
	Config serveConfig
	Logger *slog.Logger

	store    eventstore.Store
	readDB   rmstore.DB
	runner   *projections.Runner
	stopRun  context.CancelFunc
	runDone  chan struct{}
	pms      *processManagers // deadline scheduler and credit process manager
	handler  *graph.Handler
	server   *http.Server
	listener net.Listener
	served   chan error // the result of server.Serve
}

// Run opens the store, starts the projections and serves HTTP in the
// background. It returns once the listener is bound (see Addr) or with the
// error that prevented starting; after an error Close releases what was
// opened.
func (m *Main) Run(ctx context.Context) error {
	if m.Logger == nil {
		m.Logger = slog.Default()
	}
	c := m.Config
	store, kind, err := openServeStore(ctx, &c.Store)
	if err != nil {
		return err
	}
	m.store = store

	v, err := m.verifier(ctx)
	if err != nil {
		return err
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	// The read models: the runner follows the log in the background (with
	// leader election on PostgreSQL) until Close stops it.
	if m.readDB, err = openReadModels(ctx, &c.Store, store); err != nil {
		return err
	}
	if m.runner, err = projections.New(store, m.readDB, projections.Options{Logger: m.Logger}, readModels()...); err != nil {
		return err
	}
	if err := m.runner.Setup(ctx); err != nil {
		return fmt.Errorf("无法初始化读模型：%w", err)
	}
	reg.MustRegister(m.runner.Collector())
	if pg, ok := store.(*postgres.Store); ok {
		// Visibility lag of the gap-free log: the oldest open transaction
		// and the events committed but not yet visible to readers.
		reg.MustRegister(pg.Collector())
	}
	var runCtx context.Context
	runCtx, m.stopRun = context.WithCancel(context.WithoutCancel(ctx))
	m.runDone = make(chan struct{})
	go func() { defer close(m.runDone); m.runner.Run(runCtx) }()
	if m.pms, err = startProcessManagers(runCtx, store, m.readDB, m.runner, m.Logger); err != nil {
		return err
	}

	// The write side: mutations run through the command service, which
	// waits for the runner so that they answer with their own writes.
	svc, err := service.New(ctx, service.Config{Store: store, DB: m.readDB, Catalog: m.runner.Catalog(),
		Waiter: m.runner, Logger: m.Logger})
	if err != nil {
		return err
	}
	reg.MustRegister(svc.Collectors()...)

	projectionsReady := graph.ProjectionsReady(m.runner, 10*time.Second)
	ready := func(ctx context.Context) error {
		if _, err := store.Head(ctx); err != nil {
			return errors.New("event store unavailable")
		}
		return projectionsReady(ctx)
	}

	m.handler, err = graph.NewHandler(graph.Config{
		Resolver: &graph.Resolver{
			Calendar: calendar.New(),
			Info:     graph.Info{Version: version(), Store: kind, StartedAt: time.Now()},
			Logger:   m.Logger,
			ReadDB:   m.readDB,
			Catalog:  m.runner.Catalog(),
			Broker:   m.runner.Broker(),
			Events:   store,
			Service:  svc,
		},
		Verifier:      v,
		Logger:        m.Logger,
		Registry:      reg,
		Ready:         ready,
		Introspection: c.Introspection,
		Limits:        c.Limits,
		Pprof:         c.Pprof,
	})
	if err != nil {
		return err
	}

	ln, err := net.Listen("tcp", c.Addr)
	if err != nil {
		return fmt.Errorf("无法监听 %s：%w", c.Addr, err)
	}
	m.listener = ln
	m.server = &http.Server{
		Handler:           m.handler,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(m.Logger.Handler(), slog.LevelWarn),
	}
	m.served = make(chan error, 1)
	go func() { m.served <- m.server.Serve(ln) }()

	hs := "关闭"
	if v != nil {
		hs = "HS256"
		if c.JWT.JWKS != "" {
			hs = "JWKS " + c.JWT.JWKS
			if c.JWT.Secret != "" {
				hs += " + HS256"
			}
		}
	}
	m.Logger.Info("shenguan 服务已启动",
		"addr", "http://"+m.Addr(), "graphql", "http://"+m.Addr()+"/graphql",
		"store", c.Store.describe(), "tokens", hs, "audience", v.Audience())
	return nil
}

// verifier builds the token verifier: the JWKS when --jwks is given (plus
// HS256 only with an explicit --jwt-secret), otherwise HS256 with the
// configured or the data directory's development secret.
func (m *Main) verifier(ctx context.Context) (*auth.Verifier, error) {
	c := m.Config.JWT
	cfg := auth.Config{Audience: c.Audience}
	if c.JWKS != "" {
		ks, err := auth.LoadKeySet(ctx, c.JWKS)
		if err != nil {
			return nil, fmt.Errorf("无法读取 JWKS：%w", err)
		}
		cfg.Keys = ks
	}
	if c.JWKS == "" || c.Secret != "" {
		secret, err := c.hs256Secret(m.Config.Store.DataDir, true)
		if err != nil {
			return nil, err
		}
		cfg.Secret = secret
	}
	return auth.NewVerifier(cfg)
}

// Addr returns the bound address (host:port), or "" before Run.
func (m *Main) Addr() string {
	if m.listener == nil {
		return ""
	}
	return m.listener.Addr().String()
}

// Close shuts down gracefully: it stops accepting connections, lets
// in-flight requests finish, closes every websocket (subscribers receive a
// close frame), then closes the store. It waits at most ShutdownTimeout.
func (m *Main) Close() error {
	timeout := m.Config.ShutdownTimeout
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var errs []error
	if m.server != nil {
		shut := make(chan error, 1)
		go func() { shut <- m.server.Shutdown(ctx) }()
		if err := m.handler.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("close websockets: %w", err))
		}
		if err := <-shut; err != nil {
			errs = append(errs, fmt.Errorf("http shutdown: %w", err))
		}
		if err := <-m.served; err != nil && !errors.Is(err, http.ErrServerClosed) {
			errs = append(errs, fmt.Errorf("serve: %w", err))
		}
		m.server = nil
	}
	// The process managers and the runner stop before the stores close.
	if err := m.pms.stop(); err != nil {
		errs = append(errs, fmt.Errorf("stop process managers: %w", err))
	}
	m.pms = nil
	if m.stopRun != nil {
		m.stopRun()
		<-m.runDone
		m.stopRun = nil
	}
	if m.readDB != nil {
		if err := m.readDB.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close read models: %w", err))
		}
		m.readDB = nil
	}
	if m.store != nil {
		if err := m.store.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close store: %w", err))
		}
		m.store = nil
	}
	return errors.Join(errs...)
}

// openServeStore opens the event store for serve, creating what is missing:
// the data directory and SQLite schema, or the PostgreSQL schema
// (migrations are idempotent and serialised by the database). It returns
// the store and its kind ("sqlite", "postgres" or "kurrentdb"). With
// KurrentDB there is nothing to migrate: the read-model tables in PostgreSQL
// are created by the projections runner's Setup.
func openServeStore(ctx context.Context, c *storeConfig) (eventstore.Store, string, error) {
	pg, err := c.postgres()
	if err != nil {
		return nil, "", err
	}
	if c.kurrent() {
		s, err := openStore(ctx, c)
		return s, "kurrentdb", err
	}
	if pg {
		if err := postgres.Migrate(ctx, c.DatabaseURL); err != nil {
			return nil, "", fmt.Errorf("%s 迁移失败：%w", c.describe(), err)
		}
		s, err := openStore(ctx, c)
		return s, "postgres", err
	}
	if err := os.MkdirAll(c.DataDir, 0o750); err != nil {
		return nil, "", fmt.Errorf("无法创建数据目录 %s：%w", c.DataDir, err)
	}
	s, err := sqlite.Open(ctx, c.sqlitePath())
	if err != nil {
		return nil, "", fmt.Errorf("无法打开 %s：%w", c.describe(), err)
	}
	return s, "sqlite", nil
}

// runServe runs the service until SIGINT/SIGTERM (ctx), then shuts down
// gracefully.
func runServe(ctx context.Context, args []string) error {
	fs := newFlags(ctx, "serve", "serve [--addr 地址] [--data-dir 目录 | --database-url 地址] [--jwt-secret 密钥] [--jwks 文件或URL]")
	addr := os.Getenv("SHENGUAN_ADDR")
	if addr == "" {
		addr = ":8080"
	}
	var c serveConfig
	fs.StringVar(&c.Addr, "addr", addr, "监听`地址`（环境变量 SHENGUAN_ADDR）")
	store := addStoreFlags(fs)
	jc := addJWTFlags(fs, true)
	introspection := os.Getenv("SHENGUAN_INTROSPECTION") == "true"
	fs.BoolVar(&c.Introspection, "introspection", introspection, "允许 GraphQL 内省（默认关闭；环境变量 SHENGUAN_INTROSPECTION=true 打开）")
	fs.BoolVar(&c.Pprof, "pprof", false, "在 /debug/pprof/ 提供运行时性能剖析（net/http/pprof；默认关闭，只在排查性能时打开）")
	l := &c.Limits
	fs.Int64Var(&l.MaxBodyBytes, "max-body", 1<<20, "请求体上限（`字节`）")
	fs.IntVar(&l.MaxTokens, "max-tokens", 10000, "查询文档的词法单元上限")
	fs.IntVar(&l.MaxDepth, "max-depth", 12, "查询嵌套层数上限")
	fs.IntVar(&l.MaxAliases, "max-aliases", 50, "别名个数上限")
	fs.IntVar(&l.MaxRootFields, "max-root-fields", 20, "顶层字段个数上限")
	fs.IntVar(&l.MaxComplexity, "max-complexity", 100000, "查询代价上限（列表按 first 计）")
	fs.Float64Var(&l.RatePerSecond, "rate-limit", 20000, "每个身份（无令牌时每个 IP）每秒可用的查询代价，0 为不限")
	fs.IntVar(&l.WebsocketOperations, "ws-max-operations", 50, "每个 websocket 连接同时进行的操作上限")
	origins := fs.String("allowed-origins", "", "另外允许的 websocket 来源（逗号分隔的主机模式，如 dash.example.cn,https://*.gov.cn；同源与无 Origin 的客户端总是允许）")
	pqFile := fs.String("persisted-queries", "", "已登记查询的 JSON `文件`（SHA-256 十六进制 → 查询文本）")
	fs.BoolVar(&l.PersistedOnly, "persisted-only", false, "只接受已登记的查询（需 --persisted-queries）")
	if err := parse(fs, args); err != nil {
		return err
	}
	if l.RatePerSecond == 0 {
		l.RatePerSecond = -1
	}
	for o := range strings.SplitSeq(*origins, ",") {
		if o = strings.TrimSpace(o); o != "" {
			l.AllowedOrigins = append(l.AllowedOrigins, o)
		}
	}
	if *pqFile != "" {
		pq, err := graph.LoadPersistedQueries(*pqFile)
		if err != nil {
			return err
		}
		l.Persisted = pq
	} else if l.PersistedOnly {
		return usagef("--persisted-only 需要 --persisted-queries")
	}
	c.Store, c.JWT = *store, *jc

	m := &Main{Config: c, Logger: slog.New(slog.NewTextHandler(stderr(ctx), nil))}
	if err := m.Run(ctx); err != nil {
		if cerr := m.Close(); cerr != nil {
			m.Logger.Warn("关闭时出错", "err", cerr)
		}
		return err
	}
	select {
	case <-ctx.Done():
		m.Logger.Info("收到停止信号，正在关闭", "signal", context.Cause(ctx))
	case err := <-m.served:
		m.served <- err // Close reads it again
		m.Logger.Error("HTTP 服务意外停止", "err", err)
	}
	if err := m.Close(); err != nil {
		return fmt.Errorf("关闭：%w", err)
	}
	m.Logger.Info("shenguan 服务已停止")
	return nil
}

// version is the module version of the binary ("dev" in a work tree).
func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && !strings.HasPrefix(bi.Main.Version, "(") {
		return bi.Main.Version
	}
	return "dev"
}
