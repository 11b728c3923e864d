package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"mime"
	"net"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	coderws "github.com/coder/websocket"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"shenguan/graph/auth"
)

// Error codes of requests refused by the handler's limits. They reach
// clients as extensions.code; a request refused with one of them never
// executes (HTTP 400 with application/graphql-response+json, 422 with
// application/json, or the status named below).
const (
	CodeRequestTooLarge          = "REQUEST_TOO_LARGE" // HTTP 413
	CodeQueryTooLarge            = "QUERY_TOO_LARGE"   // parser token limit
	CodeQueryTooDeep             = "QUERY_TOO_DEEP"
	CodeTooManyAliases           = "TOO_MANY_ALIASES"
	CodeTooManyRootFields        = "TOO_MANY_ROOT_FIELDS"
	CodeQueryTooComplex          = "QUERY_TOO_COMPLEX"
	CodeRateLimited              = "RATE_LIMITED"       // HTTP 429 with Retry-After
	CodeMethodNotAllowed         = "METHOD_NOT_ALLOWED" // HTTP 405
	CodeForbiddenOrigin          = "FORBIDDEN_ORIGIN"   // HTTP 403 (websocket upgrade)
	CodeTooManyOperations        = "TOO_MANY_OPERATIONS"
	CodePersistedQueryNotFound   = "PERSISTED_QUERY_NOT_FOUND"
	CodePersistedQueryNotAllowed = "PERSISTED_QUERY_NOT_ALLOWED"
	CodePersistedQueryInvalid    = "PERSISTED_QUERY_INVALID"
)

func init() {
	for _, c := range []string{CodeQueryTooLarge, CodeQueryTooDeep, CodeTooManyAliases, CodeTooManyRootFields,
		CodeQueryTooComplex, CodeRateLimited, CodeMethodNotAllowed, CodePersistedQueryNotFound,
		CodePersistedQueryNotAllowed, CodePersistedQueryInvalid} {
		errcode.RegisterErrorType(c, errcode.KindProtocol)
	}
}

// Websocket close codes beyond WebsocketCloseForbidden (graphql-transport-ws).
const (
	WebsocketCloseUnauthorized     = 4401 // subscribe before connection_ack
	WebsocketCloseInitTimeout      = 4408 // no connection_init in time
	WebsocketCloseSubscriberExists = 4409 // a repeated operation id
	WebsocketCloseTooManyInits     = 4429 // a second connection_init
)

// Limits configures the handler's defences against hostile or careless
// clients. A zero field takes its default; a negative one switches that
// limit off.
type Limits struct {
	// MaxBodyBytes caps a request body (HTTP 413 beyond it) and a websocket
	// message; 1 MiB.
	MaxBodyBytes int64
	// MaxTokens is the parser's token limit per document; 10 000.
	MaxTokens int
	// MaxDepth bounds the nesting of fields (fragments expanded,
	// introspection fields not counted); 12.
	MaxDepth int
	// MaxAliases bounds the aliased fields of an operation; 50.
	MaxAliases int
	// MaxRootFields bounds the distinct top-level fields; 20.
	MaxRootFields int
	// MaxComplexity bounds an operation's cost: every field costs 1, times
	// the size of the lists it sits in (a field with a `first` or `last`
	// argument multiplies its subtree by that argument, DefaultPageSize when
	// it is null; edges/nodes of a *Connection do not multiply again; other
	// lists of objects multiply by ListSize); 100 000.
	MaxComplexity int
	// DefaultPageSize is the cost multiplier of a paged field without
	// `first`; 50.
	DefaultPageSize int
	// ListSize is the cost multiplier of a list of objects without paging; 10.
	ListSize int
	// RatePerSecond is the cost an identity (actor id, or remote IP for
	// anonymous callers) may spend per second, refilled continuously;
	// 20 000. Negative: no rate limit.
	RatePerSecond float64
	// RateBurst is the bucket size; MaxComplexity (at least) when zero.
	RateBurst int
	// QueryCacheSize is the number of parsed documents kept (LRU); 1000.
	QueryCacheSize int
	// APQCacheSize is the number of automatic persisted queries kept (LRU);
	// 1000.
	APQCacheSize int
	// Persisted is the allow-list of persisted operations (hex SHA-256 of
	// the text → text), see LoadPersistedQueries.
	Persisted PersistedQueries
	// PersistedOnly refuses documents not in Persisted (and disables
	// automatic persisted queries).
	PersistedOnly bool
	// AllowedOrigins are extra websocket origins (host patterns such as
	// "dash.example.cn" or "https://*.example.cn", path.Match syntax);
	// same-origin requests and clients without Origin are always allowed.
	AllowedOrigins []string
	// WebsocketOperations bounds the running operations of one websocket;
	// 50.
	WebsocketOperations int
	// WebsocketWriteTimeout is how long a websocket write may take before
	// the client is dropped; 10 s.
	WebsocketWriteTimeout time.Duration
}

// withDefaults fills zero fields with defaults.
func (l Limits) withDefaults() Limits {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	if l.MaxBodyBytes == 0 {
		l.MaxBodyBytes = 1 << 20
	}
	def(&l.MaxTokens, 10000)
	def(&l.MaxDepth, 12)
	def(&l.MaxAliases, 50)
	def(&l.MaxRootFields, 20)
	def(&l.MaxComplexity, 100000)
	def(&l.DefaultPageSize, 50)
	def(&l.ListSize, 10)
	def(&l.QueryCacheSize, 1000)
	def(&l.APQCacheSize, 1000)
	def(&l.WebsocketOperations, 50)
	if l.RatePerSecond == 0 {
		l.RatePerSecond = 20000
	}
	if l.RateBurst == 0 {
		l.RateBurst = max(l.MaxComplexity, int(l.RatePerSecond))
	}
	if l.MaxComplexity > 0 && l.RateBurst < l.MaxComplexity {
		l.RateBurst = l.MaxComplexity // any admissible query can pass eventually
	}
	if l.WebsocketWriteTimeout == 0 {
		l.WebsocketWriteTimeout = 10 * time.Second
	}
	return l
}

// limitError is a GraphQL error of a refused request with its code and
// extra extensions.
func limitError(code string, ext map[string]any, format string, args ...any) *gqlerror.Error {
	e := &gqlerror.Error{Message: fmt.Sprintf(format, args...), Extensions: map[string]any{"code": code}}
	for k, v := range ext {
		e.Extensions[k] = v
	}
	return e
}

// requestInfo is what the operation limits need to know of the HTTP
// request (or websocket upgrade) an operation came in, and what they tell
// the response writer.
type requestInfo struct {
	remote    string // client IP
	method    string // "GET", "POST"; "WS" for websocket operations
	mu        sync.Mutex
	status    int         // overrides the transport's status when not 0
	header    http.Header // added to the response with status
	overriden bool
}

type requestInfoKey struct{}

func requestInfoFrom(ctx context.Context) *requestInfo {
	ri, _ := ctx.Value(requestInfoKey{}).(*requestInfo)
	return ri
}

// refuse makes the response of the request carry status and header.
func (ri *requestInfo) refuse(status int, header http.Header) {
	if ri == nil {
		return
	}
	ri.mu.Lock()
	defer ri.mu.Unlock()
	ri.status, ri.header = status, header
}

func (ri *requestInfo) override() (int, http.Header) {
	ri.mu.Lock()
	defer ri.mu.Unlock()
	return ri.status, ri.header
}

// statusWriter lets the operation limits choose the status of a response
// gqlgen's transport writes (405, 429).
type statusWriter struct {
	http.ResponseWriter
	info  *requestInfo
	wrote bool
}

func (w *statusWriter) WriteHeader(code int) {
	if w.wrote {
		return
	}
	w.wrote = true
	if s, h := w.info.override(); s != 0 {
		code = s
		for k, vs := range h {
			for _, v := range vs {
				w.Header().Add(k, v)
			}
		}
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// guardHTTP is the first handler of /graphql: it refuses methods other
// than GET and POST (405), bodies over the cap (413) and websocket
// upgrades from origins not allowed (403); it records the client and
// method for the operation limits and lets them choose the status.
func guardHTTP(l Limits, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ri := &requestInfo{remote: clientIP(r), method: r.Method}
		upgrade := r.Header.Get("Upgrade") != ""
		switch {
		case upgrade:
			ri.method = "WS"
			if err := checkOrigin(r, l.AllowedOrigins); err != nil {
				writeRequestError(w, r, http.StatusForbidden, nil,
					limitError(CodeForbiddenOrigin, nil, "不允许来自 %s 的 websocket 连接", r.Header.Get("Origin")))
				return
			}
		case r.Method != http.MethodGet && r.Method != http.MethodPost:
			writeRequestError(w, r, http.StatusMethodNotAllowed, http.Header{"Allow": {"GET, POST"}},
				limitError(CodeMethodNotAllowed, nil, "不支持的请求方法 %s（仅支持 GET 与 POST）", r.Method))
			return
		case r.Method == http.MethodPost && l.MaxBodyBytes > 0:
			tooLarge := func() {
				writeRequestError(w, r, http.StatusRequestEntityTooLarge, nil,
					limitError(CodeRequestTooLarge, map[string]any{"limit": l.MaxBodyBytes},
						"请求体过大（上限 %d 字节）", l.MaxBodyBytes))
			}
			if r.ContentLength > l.MaxBodyBytes {
				tooLarge()
				return
			}
			b, err := io.ReadAll(io.LimitReader(r.Body, l.MaxBodyBytes+1))
			if err != nil {
				writeRequestError(w, r, http.StatusBadRequest, nil,
					limitError(CodeValidation, nil, "无法读取请求体"))
				return
			}
			if int64(len(b)) > l.MaxBodyBytes {
				tooLarge()
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(b))
		}
		r = r.WithContext(context.WithValue(r.Context(), requestInfoKey{}, ri))
		if upgrade {
			next.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(&statusWriter{ResponseWriter: w, info: ri}, r)
	})
}

// writeRequestError answers a request that never reached GraphQL with
// status and one error, as application/graphql-response+json when the
// client accepts it.
func writeRequestError(w http.ResponseWriter, r *http.Request, status int, header http.Header, e *gqlerror.Error) {
	for k, vs := range header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	w.Header().Set("Content-Type", responseContentType(r))
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(graphql.Response{Errors: gqlerror.List{e}})
}

// responseContentType is application/graphql-response+json when the
// Accept header names it before application/json, application/json
// otherwise.
func responseContentType(r *http.Request) string {
	for part := range strings.SplitSeq(r.Header.Get("Accept"), ",") {
		mt, _, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		switch mt {
		case "application/graphql-response+json":
			return mt
		case "application/json", "*/*", "application/*":
			return "application/json"
		}
	}
	return "application/json"
}

// clientIP is the remote IP of r (the peer; proxies' headers are not
// trusted).
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// checkOrigin allows a websocket upgrade without Origin, from the same host,
// or from an origin matching one of patterns (host, or scheme://host when
// the pattern has a scheme; path.Match syntax, case-insensitive) — the
// rules of coder/websocket's Accept, checked first so that a refusal is a
// clean 403.
func checkOrigin(r *http.Request, patterns []string) error {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return nil
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return fmt.Errorf("origin %q is not a URL with a host", origin)
	}
	if strings.EqualFold(u.Host, r.Host) {
		return nil
	}
	for _, p := range patterns {
		target := u.Host
		if strings.Contains(p, "://") {
			target = u.Scheme + "://" + u.Host
		}
		if ok, _ := path.Match(strings.ToLower(p), strings.ToLower(target)); ok {
			return nil
		}
	}
	return fmt.Errorf("origin %q not allowed", origin)
}

// operationLimits is the extension that measures every operation (depth,
// aliases, root fields, cost) after validation, refuses it over a limit,
// refuses non-query operations over GET, and charges its cost to the
// caller's rate bucket.
type operationLimits struct {
	l    Limits
	rate *rateLimiter // nil: no rate limit
}

var _ interface {
	graphql.OperationContextMutator
	graphql.HandlerExtension
} = (*operationLimits)(nil)

func (o *operationLimits) ExtensionName() string { return "ShenguanOperationLimits" }

func (o *operationLimits) Validate(graphql.ExecutableSchema) error { return nil }

func (o *operationLimits) MutateOperationContext(ctx context.Context, opCtx *graphql.OperationContext) *gqlerror.Error {
	ri := requestInfoFrom(ctx)
	op := opCtx.Operation
	if ri != nil && ri.method == http.MethodGet && op.Operation != ast.Query {
		ri.refuse(http.StatusMethodNotAllowed, http.Header{"Allow": {"POST"}})
		return limitError(CodeMethodNotAllowed, nil, "%s 操作不能用 GET 请求，请使用 POST", op.Operation)
	}
	cost, err := o.measure(op, opCtx.Variables)
	if err != nil {
		return err
	}
	if o.rate == nil {
		return nil
	}
	key := "ip:-"
	if a, ok := auth.ActorFrom(ctx); ok {
		key = "actor:" + a.ID
	} else if ri != nil {
		key = "ip:" + ri.remote
	}
	wait, ok := o.rate.take(key, float64(max(cost, 1)))
	if ok {
		return nil
	}
	secs := int(math.Ceil(wait.Seconds()))
	ri.refuse(http.StatusTooManyRequests, http.Header{"Retry-After": {strconv.Itoa(secs)}})
	return limitError(CodeRateLimited, map[string]any{"retryAfter": secs, "cost": cost},
		"请求过于频繁（本次查询代价 %d），请 %d 秒后重试", cost, secs)
}

// maxVisits bounds the fields the measuring walk visits (fragments spread
// many times with zero-size lists would cost nothing yet take time).
const maxVisits = 100000

type measure struct {
	o          *operationLimits
	vars       map[string]any
	aliases    int
	visits     int
	complexity int
}

// measure walks op with fragments expanded and returns its cost, or the
// error of the first limit it exceeds.
func (o *operationLimits) measure(op *ast.OperationDefinition, vars map[string]any) (int, *gqlerror.Error) {
	l := o.l
	if l.MaxRootFields > 0 {
		keys := map[string]bool{}
		rootKeys(op.SelectionSet, keys, 0)
		if len(keys) > l.MaxRootFields {
			return 0, limitError(CodeTooManyRootFields, map[string]any{"limit": l.MaxRootFields, "count": len(keys)},
				"顶层字段过多（%d 个，上限 %d）", len(keys), l.MaxRootFields)
		}
	}
	m := &measure{o: o, vars: vars}
	cost, err := m.walk(op.SelectionSet, "", 1)
	if err != nil {
		return 0, err
	}
	return int(cost), nil
}

// rootKeys collects the response keys of the top-level selection.
func rootKeys(set ast.SelectionSet, keys map[string]bool, n int) {
	if n > 50 { // nested fragment spreads at the root; validation rejects cycles
		return
	}
	for _, s := range set {
		switch s := s.(type) {
		case *ast.Field:
			if s.Name != "__typename" {
				keys[s.Alias] = true
			}
		case *ast.FragmentSpread:
			if s.Definition != nil {
				rootKeys(s.Definition.SelectionSet, keys, n+1)
			}
		case *ast.InlineFragment:
			rootKeys(s.SelectionSet, keys, n+1)
		}
	}
}

// walk returns the cost of set at depth (1 for the operation's fields)
// inside a parent type named parent.
func (m *measure) walk(set ast.SelectionSet, parent string, depth int) (float64, *gqlerror.Error) {
	l := m.o.l
	var cost float64
	for _, s := range set {
		m.visits++
		if m.visits > maxVisits {
			return 0, limitError(CodeQueryTooComplex, map[string]any{"limit": l.MaxComplexity},
				"查询过于复杂（展开后字段超过 %d 个）", maxVisits)
		}
		var c float64
		var err *gqlerror.Error
		switch s := s.(type) {
		case *ast.Field:
			if strings.HasPrefix(s.Name, "__") {
				continue // __typename, and introspection when it is enabled
			}
			if l.MaxDepth > 0 && depth > l.MaxDepth {
				return 0, limitError(CodeQueryTooDeep, map[string]any{"limit": l.MaxDepth},
					"查询嵌套过深（上限 %d 层）", l.MaxDepth)
			}
			if s.Alias != "" && s.Alias != s.Name {
				m.aliases++
				if l.MaxAliases > 0 && m.aliases > l.MaxAliases {
					return 0, limitError(CodeTooManyAliases, map[string]any{"limit": l.MaxAliases},
						"别名过多（上限 %d 个）", l.MaxAliases)
				}
			}
			var child float64
			if len(s.SelectionSet) > 0 {
				typ := ""
				if s.Definition != nil && s.Definition.Type != nil {
					typ = s.Definition.Type.Name()
				}
				if child, err = m.walk(s.SelectionSet, typ, depth+1); err != nil {
					return 0, err
				}
			}
			c = m.multiplier(s, parent) * (1 + child)
		case *ast.FragmentSpread:
			if s.Definition != nil {
				c, err = m.walk(s.Definition.SelectionSet, parent, depth)
			}
		case *ast.InlineFragment:
			c, err = m.walk(s.SelectionSet, parent, depth)
		}
		if err != nil {
			return 0, err
		}
		cost += c
		if l.MaxComplexity > 0 && cost > float64(l.MaxComplexity) {
			return 0, limitError(CodeQueryTooComplex, map[string]any{"limit": l.MaxComplexity},
				"查询代价过高（超过上限 %d；请减小 first 或少选嵌套列表）", l.MaxComplexity)
		}
	}
	return min(cost, math.MaxInt32), nil
}

// multiplier is how many times f's subtree counts: its `first`/`last`
// argument (DefaultPageSize when null), 1 for edges/nodes of a connection
// (the connection's `first` counted them), ListSize for other lists of
// objects, 1 otherwise.
func (m *measure) multiplier(f *ast.Field, parent string) float64 {
	l := m.o.l
	def := f.Definition
	if def == nil {
		return 1
	}
	paged := false
	for _, a := range def.Arguments {
		if a.Name == "first" || a.Name == "last" {
			paged = true
		}
	}
	if paged {
		n := -1.0
		args := f.ArgumentMap(m.vars)
		for _, name := range []string{"first", "last"} {
			if v, ok := number(args[name]); ok {
				n = max(n, v)
			}
		}
		if n < 0 {
			return float64(l.DefaultPageSize)
		}
		return n
	}
	if strings.HasSuffix(parent, "Connection") && (f.Name == "edges" || f.Name == "nodes") {
		return 1
	}
	if def.Type != nil && def.Type.Elem != nil && len(f.SelectionSet) > 0 {
		return float64(l.ListSize)
	}
	return 1
}

func number(v any) (float64, bool) {
	switch v := v.(type) {
	case int:
		return float64(v), true
	case int32:
		return float64(v), true
	case int64:
		return float64(v), true
	case float64:
		return v, true
	case json.Number:
		f, err := v.Float64()
		return f, err == nil
	}
	return 0, false
}

// limitPresenter relabels the parser's token-limit error with its code and
// a zh-CN message, then presents errors with next.
func limitPresenter(maxTokens int, next graphql.ErrorPresenterFunc) graphql.ErrorPresenterFunc {
	tokenMsg := fmt.Sprintf("exceeded token limit of %d", maxTokens)
	return func(ctx context.Context, err error) *gqlerror.Error {
		if e, ok := err.(*gqlerror.Error); ok && e.Message == tokenMsg {
			e.Message = fmt.Sprintf("查询文档过大（超过 %d 个词法单元）", maxTokens)
			errcode.Set(e, CodeQueryTooLarge)
			e.Extensions["limit"] = maxTokens
		}
		return next(ctx, err)
	}
}

// wsGuard accepts websockets with coder/websocket and enforces the
// graphql-transport-ws rules gqlgen leaves open: connection_init in time
// (4408), no subscribe before it (4401), one connection_init (4429), no
// repeated operation id (4409), a bound on running operations (an error
// message with TOO_MANY_OPERATIONS), a write deadline (a stalled client is
// dropped) and the message size cap.
type wsGuard struct {
	origins      []string
	initTimeout  time.Duration
	writeTimeout time.Duration
	maxOps       int
}

var _ transport.WebsocketImplementation = wsGuard{}

func (g wsGuard) Accept(w http.ResponseWriter, r *http.Request, o transport.WebsocketAcceptOptions) (transport.WebsocketConn, error) {
	for k, vs := range o.ResponseHeader {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	c, err := coderws.Accept(w, r, &coderws.AcceptOptions{Subprotocols: o.Subprotocols, OriginPatterns: g.origins})
	if err != nil {
		return nil, err
	}
	gc := &guardedConn{conn: c, g: g, active: map[string]bool{}}
	if g.initTimeout > 0 {
		gc.mu.Lock()
		gc.initTimer = time.AfterFunc(g.initTimeout, func() {
			gc.closeWith(WebsocketCloseInitTimeout, "Connection initialisation timeout")
		})
		gc.mu.Unlock()
	}
	return gc, nil
}

type guardedConn struct {
	conn *coderws.Conn
	g    wsGuard

	mu           sync.Mutex
	inited       bool
	active       map[string]bool // running operation ids
	initTimer    *time.Timer
	readDeadline *time.Timer
	closing      bool
}

var (
	_ transport.WebsocketConn          = (*guardedConn)(nil)
	_ transport.WebsocketReadLimiter   = (*guardedConn)(nil)
	_ transport.WebsocketReadDeadliner = (*guardedConn)(nil)
)

// NextReader returns the next client message after checking it against
// the protocol rules; a message that breaks one closes the connection (or,
// for too many operations, is answered here and skipped).
func (c *guardedConn) NextReader() (int, io.Reader, error) {
	for {
		typ, data, err := c.conn.Read(context.Background())
		if err != nil {
			switch coderws.CloseStatus(err) {
			case coderws.StatusNormalClosure, coderws.StatusNoStatusRcvd:
				return int(typ), nil, transport.ErrWebsocketClosed
			}
			return int(typ), nil, err
		}
		var m struct {
			ID   string `json:"id"`
			Type string `json:"type"`
		}
		_ = json.Unmarshal(data, &m) // gqlgen answers malformed messages
		refuse, skip := c.check(m.ID, m.Type)
		if refuse != nil {
			c.closeWith(refuse.code, refuse.reason)
			return int(typ), nil, transport.ErrWebsocketClosed
		}
		if skip {
			continue
		}
		return int(typ), bytes.NewReader(data), nil
	}
}

type wsRefusal struct {
	code   int
	reason string
}

// check applies the rules to a client message of type typ for operation id.
func (c *guardedConn) check(id, typ string) (refuse *wsRefusal, skip bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch typ {
	case "connection_init":
		if c.inited {
			return &wsRefusal{WebsocketCloseTooManyInits, "Too many initialisation requests"}, false
		}
		c.inited = true
		if c.initTimer != nil {
			c.initTimer.Stop()
		}
	case "subscribe", "start":
		switch {
		case !c.inited:
			return &wsRefusal{WebsocketCloseUnauthorized, "Unauthorized"}, false
		case c.active[id]:
			return &wsRefusal{WebsocketCloseSubscriberExists, "Subscriber for " + id + " already exists"}, false
		case c.g.maxOps > 0 && len(c.active) >= c.g.maxOps:
			go c.writeError(id, limitError(CodeTooManyOperations, map[string]any{"limit": c.g.maxOps},
				"本连接同时进行的操作过多（上限 %d 个）", c.g.maxOps))
			return nil, true
		}
		c.active[id] = true
	case "complete", "stop":
		delete(c.active, id)
	}
	return nil, false
}

// writeError ends operation id with an error message.
func (c *guardedConn) writeError(id string, e *gqlerror.Error) {
	payload, _ := json.Marshal([]*gqlerror.Error{e})
	_ = c.WriteJSON(map[string]any{"id": id, "type": "error", "payload": json.RawMessage(payload)})
}

var (
	completeSuffix = []byte(`"type":"complete"}`)
	errorSuffix    = []byte(`"type":"error"}`)
)

// WriteJSON sends a message within the write timeout; a client that does
// not take it in time is dropped (coder/websocket closes the connection).
// The server's complete and error messages end their operation.
func (c *guardedConn) WriteJSON(v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if bytes.HasSuffix(data, completeSuffix) || bytes.HasSuffix(data, errorSuffix) {
		var m struct {
			ID string `json:"id"`
		}
		if json.Unmarshal(data, &m) == nil {
			c.mu.Lock()
			delete(c.active, m.ID)
			c.mu.Unlock()
		}
	}
	ctx := context.Background()
	if c.g.writeTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.g.writeTimeout)
		defer cancel()
	}
	return c.conn.Write(ctx, coderws.MessageText, data)
}

// WriteClose starts the close handshake in the background (it waits for
// the peer) unless one is under way.
func (c *guardedConn) WriteClose(code int, reason string) error {
	c.closeWith(code, reason)
	return nil
}

func (c *guardedConn) closeWith(code int, reason string) {
	c.mu.Lock()
	if c.closing {
		c.mu.Unlock()
		return
	}
	c.closing = true
	c.stopTimersLocked()
	c.mu.Unlock()
	go func() { _ = c.conn.Close(coderws.StatusCode(code), reason) }()
}

// Close releases the connection unless a close handshake owns it.
func (c *guardedConn) Close() error {
	c.mu.Lock()
	closing := c.closing
	c.closing = true
	c.stopTimersLocked()
	c.mu.Unlock()
	if closing {
		return nil
	}
	return c.conn.CloseNow()
}

func (c *guardedConn) stopTimersLocked() {
	if c.initTimer != nil {
		c.initTimer.Stop()
	}
	if c.readDeadline != nil {
		c.readDeadline.Stop()
		c.readDeadline = nil
	}
}

func (c *guardedConn) Subprotocol() string { return c.conn.Subprotocol() }

func (c *guardedConn) SetReadLimit(n int64) { c.conn.SetReadLimit(n) }

// SetReadDeadline drops the connection at t unless called again before
// (gqlgen's ping/pong keep-alive: a client that does not pong in time).
func (c *guardedConn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.readDeadline != nil {
		c.readDeadline.Stop()
		c.readDeadline = nil
	}
	if t.IsZero() || c.closing {
		return nil
	}
	c.readDeadline = time.AfterFunc(time.Until(t), func() { _ = c.conn.CloseNow() })
	return nil
}

// presentedRecover makes the error of a recovered panic a GraphQL error
// already presented (INTERNAL with the request id), so that transports that
// do not call the presenter (a panic in a subscription) show the same
// masked error.
func presentedRecover(next graphql.RecoverFunc) graphql.RecoverFunc {
	return func(ctx context.Context, p any) error {
		err := next(ctx, p)
		code, msg, ok := classify(err)
		if !ok {
			return err
		}
		return &gqlerror.Error{Err: err, Message: msg, Path: graphql.GetPath(ctx),
			Extensions: map[string]any{"code": code, "requestId": RequestID(ctx)}}
	}
}
