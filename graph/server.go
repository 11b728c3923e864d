package graph

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/pprof"
	"regexp"
	"strconv"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/99designs/gqlgen/graphql/playground"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/vektah/gqlparser/v2/ast"

	"shenguan/graph/auth"
	"shenguan/graph/generated"
)

// Config configures the HTTP handler built by NewHandler.
type Config struct {
	// Resolver is the root resolver with its dependencies.
	Resolver *Resolver
	// Verifier authenticates Bearer tokens (HTTP) and connection_init
	// payloads (websockets).
	Verifier *auth.Verifier
	// Logger receives request and error logs; slog.Default() when nil.
	Logger *slog.Logger
	// Registry receives the handler's metrics and is served at /metrics;
	// a new registry when nil.
	Registry *prometheus.Registry
	// Ready reports whether the service can answer with current data
	// (projections caught up); /readyz answers 503 with its error. Always
	// ready when nil.
	Ready func(context.Context) error
	// Introspection enables __schema/__type queries.
	Introspection bool
	// KeepAlive is the websocket ping interval (graphql-transport-ws ping,
	// a client that does not pong within two intervals is dropped);
	// 25 s when zero.
	KeepAlive time.Duration
	// InitTimeout is how long a websocket may take to send connection_init
	// (closed with 4408 after it); 10 s when zero.
	InitTimeout time.Duration
	// Limits are the defences against hostile or careless clients (body,
	// tokens, depth, aliases, root fields, cost, rate, persisted queries,
	// websocket origins and operations); zero fields take defaults.
	Limits Limits
	// Pprof serves the runtime profiles (net/http/pprof) under
	// /debug/pprof/. Off by default: profiles expose internals and cost CPU.
	Pprof bool
}

// Handler is the service's HTTP handler: GraphiQL at /, GraphQL at /graphql
// (POST, GET, websocket graphql-transport-ws), /healthz, /readyz and
// /metrics. It is the one place that builds the GraphQL server and its
// transports; limits and hardening are added in NewHandler.
type Handler struct {
	http.Handler

	// GraphQL is the gqlgen server behind /graphql.
	GraphQL *handler.Server

	wsCtx    context.Context
	wsCancel context.CancelFunc
	wsConns  sync.WaitGroup
}

// WebsocketCloseForbidden is the close code of a websocket whose
// connection_init failed authentication (graphql-transport-ws: 4403).
const WebsocketCloseForbidden = 4403

// NewHandler builds the handler. It fails when a metric cannot be
// registered (e.g. the registry already has the handler's metrics).
func NewHandler(cfg Config) (*Handler, error) {
	if cfg.Resolver == nil || cfg.Verifier == nil {
		return nil, errors.New("graph: NewHandler needs a Resolver and a Verifier")
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	if cfg.Registry == nil {
		cfg.Registry = prometheus.NewRegistry()
	}
	if cfg.KeepAlive == 0 {
		cfg.KeepAlive = 25 * time.Second
	}
	if cfg.InitTimeout == 0 {
		cfg.InitTimeout = 10 * time.Second
	}
	m, err := newMetrics(cfg.Registry)
	if err != nil {
		return nil, err
	}

	h := &Handler{}
	h.wsCtx, h.wsCancel = context.WithCancel(context.Background())

	srv := handler.New(generated.NewExecutableSchema(generated.Config{Resolvers: cfg.Resolver}))
	l := cfg.Limits.withDefaults()
	ws := transport.Websocket{
		// The guard enforces the init timeout (4408), operation ids (4409),
		// the operation cap, the write deadline and allowed origins.
		Implementation: wsGuard{origins: l.AllowedOrigins, initTimeout: cfg.InitTimeout,
			writeTimeout: l.WebsocketWriteTimeout, maxOps: l.WebsocketOperations},
		InitFunc:         h.websocketInit(cfg.Verifier),
		PingPongInterval: cfg.KeepAlive,
		// graphql-ws (legacy protocol) keep-alive messages.
		KeepAlivePingInterval: cfg.KeepAlive,
	}
	if l.MaxBodyBytes > 0 {
		ws.PayloadReadLimit = &l.MaxBodyBytes
	}
	srv.AddTransport(ws)
	srv.AddTransport(transport.GET{})
	srv.AddTransport(transport.POST{})
	srv.SetQueryCache(lru.New[*ast.QueryDocument](l.QueryCacheSize))
	if l.MaxTokens > 0 {
		srv.SetParserTokenLimit(l.MaxTokens)
	}
	if cfg.Introspection {
		srv.Use(extension.Introspection{})
	}
	srv.Use(newPersistedQueries(l))
	limits := &operationLimits{l: l}
	if l.RatePerSecond > 0 {
		limits.rate = newRateLimiter(l.RatePerSecond, l.RateBurst, nil)
	}
	srv.Use(limits)
	srv.SetErrorPresenter(limitPresenter(l.MaxTokens, errorPresenter(log)))
	srv.SetRecoverFunc(presentedRecover(recoverFunc(log)))
	srv.AroundFields(requireIdentity)
	srv.AroundOperations(cfg.Resolver.withLoaders)
	h.GraphQL = srv

	gql := guardHTTP(l, cfg.Verifier.Middleware(h.trackWebsockets(m, srv)))

	mux := http.NewServeMux()
	mux.Handle("GET /{$}", playground.Handler("shenguan · 审管联动 GraphQL", "/graphql"))
	mux.Handle("/graphql", gql)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if cfg.Ready != nil {
			if err := cfg.Ready(r.Context()); err != nil {
				w.WriteHeader(http.StatusServiceUnavailable)
				w.Write([]byte("not ready: " + err.Error() + "\n"))
				return
			}
		}
		w.Write([]byte("ok\n"))
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(cfg.Registry, promhttp.HandlerOpts{Registry: cfg.Registry}))
	if cfg.Pprof {
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	}

	h.Handler = withRequestID(m.instrument(mux))
	return h, nil
}

// Shutdown closes every websocket connection (subscribers receive a close
// frame; their subscriptions' contexts are cancelled) and waits until their
// handlers have returned or ctx is done. HTTP requests in flight are the
// http.Server's to drain.
func (h *Handler) Shutdown(ctx context.Context) error {
	h.wsCancel()
	done := make(chan struct{})
	go func() {
		h.wsConns.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// websocketInit authenticates connection_init: its payload must carry
// {"Authorization": "Bearer <token>"} (key matched case-insensitively). A
// missing or invalid token closes the socket with 4403. The connection's
// context ends when the handler shuts down.
func (h *Handler) websocketInit(v *auth.Verifier) transport.WebsocketInitFunc {
	return func(ctx context.Context, payload transport.InitPayload) (context.Context, *transport.InitPayload, error) {
		refuse := func(err error) (context.Context, *transport.InitPayload, error) {
			ctx = transport.WithWebsocketCloseCode(ctx, WebsocketCloseForbidden)
			ctx = transport.AppendCloseReason(ctx, "Forbidden")
			return ctx, nil, err
		}
		token, ok := auth.BearerToken(auth.PayloadAuthorization(payload))
		if !ok {
			return refuse(auth.ErrUnauthenticated)
		}
		a, err := v.Verify(ctx, token)
		if err != nil {
			return refuse(err)
		}
		ctx, cancel := context.WithCancel(auth.WithActor(ctx, a))
		stop := context.AfterFunc(h.wsCtx, cancel)
		context.AfterFunc(ctx, func() { stop() })
		return ctx, nil, nil
	}
}

// trackWebsockets counts open websocket connections and lets Shutdown wait
// for them.
func (h *Handler) trackWebsockets(m *metrics, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") == "" {
			next.ServeHTTP(w, r)
			return
		}
		if h.wsCtx.Err() != nil {
			http.Error(w, "shutting down", http.StatusServiceUnavailable)
			return
		}
		h.wsConns.Add(1)
		defer h.wsConns.Done()
		m.websockets.Inc()
		defer m.websockets.Dec()
		next.ServeHTTP(w, r)
	})
}

var requestIDPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// withRequestID gives each request an id (the caller's X-Request-Id when it
// is well formed, a new one otherwise), in its context and in the response
// header X-Request-Id.
func withRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-Id")
		if !requestIDPattern.MatchString(id) {
			id = newRequestID()
		}
		w.Header().Set("X-Request-Id", id)
		next.ServeHTTP(w, r.WithContext(withOrigin(WithRequestID(r.Context(), id), r)))
	})
}

type metrics struct {
	latency    *prometheus.HistogramVec
	websockets prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "shenguan_http_request_duration_seconds",
			Help:    "Latency of HTTP requests (websocket connections excluded) by route, method and status.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route", "method", "code"}),
		websockets: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "shenguan_graphql_websockets",
			Help: "Open GraphQL websocket connections (subscribers).",
		}),
	}
	for _, c := range []prometheus.Collector{m.latency, m.websockets} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// instrument observes the latency of every request but websocket upgrades.
func (m *metrics) instrument(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") != "" {
			mux.ServeHTTP(w, r)
			return
		}
		_, route := mux.Handler(r)
		if route == "" {
			route = "unmatched"
		}
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		start := time.Now()
		mux.ServeHTTP(rec, r)
		m.latency.WithLabelValues(route, r.Method, strconv.Itoa(rec.status)).Observe(time.Since(start).Seconds())
	})
}

type statusRecorder struct {
	http.ResponseWriter
	status      int
	wroteHeader bool
}

func (r *statusRecorder) WriteHeader(code int) {
	if !r.wroteHeader {
		r.status, r.wroteHeader = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	r.wroteHeader = true
	return r.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer (Flush).
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
