package graph_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/gorilla/websocket"
	"github.com/vektah/gqlparser/v2/ast"

	"shenguan/domain/calendar"
	"shenguan/graph"
	"shenguan/graph/auth"
)

// startWith runs the real handler on a loopback port (HS256 tokens signed
// with secret) with the configuration changed by change; listen, when not
// nil, wraps the listener.
func startWith(t *testing.T, change func(*graph.Config), listen func(net.Listener) net.Listener) *fixture {
	t.Helper()
	f := &fixture{logs: &syncBuffer{}}
	v, err := auth.NewVerifier(auth.Config{Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	cfg := graph.Config{
		Resolver: &graph.Resolver{Calendar: calendar.New(), Info: graph.Info{Version: "test", Store: "sqlite", StartedAt: time.Now()}},
		Verifier: v,
		Logger:   slog.New(slog.NewJSONHandler(f.logs, nil)),
	}
	if change != nil {
		change(&cfg)
	}
	if f.handler, err = graph.NewHandler(cfg); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(f.handler)
	if listen != nil {
		srv.Listener = listen(srv.Listener)
	}
	srv.Start()
	t.Cleanup(srv.Close)
	f.url = srv.URL
	return f
}

func limits(l graph.Limits) func(*graph.Config) {
	return func(c *graph.Config) { c.Limits = l }
}

// httpResult is a raw HTTP answer with its decoded GraphQL body.
type httpResult struct {
	response
	header http.Header
	raw    string
}

// do sends req and decodes the GraphQL response body.
func do(t *testing.T, req *http.Request) httpResult {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	out := httpResult{header: resp.Header, raw: string(b)}
	if err := json.Unmarshal(b, &out.response); err != nil {
		t.Fatalf("response %d %q: %v", resp.StatusCode, b, err)
	}
	out.Status = resp.StatusCode
	return out
}

// postReq builds a POST of body with the headers given as name, value pairs.
func (f *fixture) postReq(t *testing.T, body io.Reader, headers ...string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, f.url+"/graphql", body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return req
}

func gqlBody(query string, vars map[string]any) *bytes.Reader {
	b, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	return bytes.NewReader(b)
}

// expectRefused checks a request that never executed: status, code, no data.
func expectRefused(t *testing.T, name string, got httpResult, status int, code string) {
	t.Helper()
	if got.Status != status || got.code() != code || got.Data != nil {
		t.Errorf("%s: status %d code %q data %v (errors %+v), want %d %s and no data",
			name, got.Status, got.code(), got.Data, got.Errors, status, code)
	}
}

func TestRequestBodyCap(t *testing.T) {
	f := startWith(t, limits(graph.Limits{MaxBodyBytes: 2048}), nil)
	big := `{ serverInfo { name } }` + strings.Repeat(" ", 4096)
	got := do(t, f.postReq(t, gqlBody(big, nil)))
	expectRefused(t, "with Content-Length", got, http.StatusRequestEntityTooLarge, graph.CodeRequestTooLarge)
	if got.Errors[0].Extensions["limit"] != float64(2048) || !strings.Contains(got.Errors[0].Message, "请求体过大") {
		t.Errorf("error %+v: want the limit and a zh-CN message", got.Errors[0])
	}
	// Chunked (no Content-Length): the cap applies while reading.
	got = do(t, f.postReq(t, io.MultiReader(gqlBody(big, nil))))
	expectRefused(t, "chunked", got, http.StatusRequestEntityTooLarge, graph.CodeRequestTooLarge)
	got = do(t, f.postReq(t, gqlBody(big, nil), "Accept", "application/graphql-response+json"))
	if ct := got.header.Get("Content-Type"); got.Status != 413 || ct != "application/graphql-response+json" {
		t.Errorf("413 for a graphql-response+json client: %d %s", got.Status, ct)
	}
	small := `{ serverInfo { name } }` + strings.Repeat(" ", 1800)
	if got := do(t, f.postReq(t, io.MultiReader(gqlBody(small, nil)))); got.Status != 200 || len(got.Errors) > 0 {
		t.Errorf("a body under the cap: %d %+v", got.Status, got.Errors)
	}
}

func TestParserTokenLimit(t *testing.T) {
	f := startWith(t, limits(graph.Limits{MaxTokens: 40}), nil)
	q := `{ serverInfo { ` + strings.Repeat("name ", 40) + `} }`
	got := do(t, f.postReq(t, gqlBody(q, nil)))
	expectRefused(t, "application/json", got, http.StatusUnprocessableEntity, graph.CodeQueryTooLarge)
	got = do(t, f.postReq(t, gqlBody(q, nil), "Accept", "application/graphql-response+json"))
	expectRefused(t, "graphql-response+json", got, http.StatusBadRequest, graph.CodeQueryTooLarge)
	if got := do(t, f.postReq(t, gqlBody(`{ serverInfo { name } }`, nil))); got.Status != 200 || len(got.Errors) > 0 {
		t.Errorf("a small document: %d %+v", got.Status, got.Errors)
	}
}

// deepCases is five levels deep: cases, edges, node, obligations, id.
const deepCases = `{ cases(first: 5) { edges { node { obligations { id } } } } }`

func TestDepthLimit(t *testing.T) {
	tok := hs256(t, secret, "shenguan", time.Now().Add(time.Hour))
	f := startWith(t, limits(graph.Limits{MaxDepth: 4}), nil)
	for name, q := range map[string]string{
		"fields":           deepCases,
		"through fragment": `{ cases(first: 5) { ...E } } fragment E on CaseConnection { edges { node { ... on Case { obligations { id } } } } }`,
	} {
		got := do(t, f.postReq(t, gqlBody(q, nil), "Authorization", "Bearer "+tok))
		expectRefused(t, name, got, http.StatusUnprocessableEntity, graph.CodeQueryTooDeep)
	}
	// Four levels pass, and so does the default of 12 for five.
	q4 := `{ cases(first: 5) { edges { node { id } } } }`
	if got := do(t, f.postReq(t, gqlBody(q4, nil), "Authorization", "Bearer "+tok)); got.Status != 200 || got.code() == graph.CodeQueryTooDeep {
		t.Errorf("depth 4 under a limit of 4: %d %+v", got.Status, got.Errors)
	}
	def := startWith(t, nil, nil)
	if got := do(t, def.postReq(t, gqlBody(deepCases, nil), "Authorization", "Bearer "+tok)); got.Status != 200 || got.code() == graph.CodeQueryTooDeep {
		t.Errorf("depth 5 under the default: %d %+v", got.Status, got.Errors)
	}
}

func TestAliasAndRootFieldLimits(t *testing.T) {
	f := startWith(t, nil, nil) // defaults: 50 aliases, 20 root fields
	aliases := func(n int) string {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, "n%d: name ", i)
		}
		return `{ serverInfo { ` + b.String() + `} }`
	}
	expectRefused(t, "51 aliases", do(t, f.postReq(t, gqlBody(aliases(51), nil))), 422, graph.CodeTooManyAliases)
	if got := do(t, f.postReq(t, gqlBody(aliases(50), nil))); got.Status != 200 || len(got.Errors) > 0 {
		t.Errorf("50 aliases: %d %+v", got.Status, got.Errors)
	}
	roots := func(n int) string {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, "s%d: serverInfo { name } ", i)
		}
		return "{ " + b.String() + "}"
	}
	expectRefused(t, "21 root fields", do(t, f.postReq(t, gqlBody(roots(21), nil))), 422, graph.CodeTooManyRootFields)
	if got := do(t, f.postReq(t, gqlBody(roots(20), nil))); got.Status != 200 || len(got.Errors) > 0 {
		t.Errorf("20 root fields: %d %+v", got.Status, got.Errors)
	}
}

func TestComplexityLimit(t *testing.T) {
	tok := hs256(t, secret, "shenguan", time.Now().Add(time.Hour))
	f := startWith(t, limits(graph.Limits{RatePerSecond: -1}), nil)
	// Cost: first × (1 + nodes 1 × (1 + id 1 + obligations 10 × (1 + id 1))) = 23 × first.
	q := `query($n: Int) { cases(first: $n) { nodes { id obligations { id } } } }`
	for _, tt := range []struct {
		n       any
		refused bool
	}{
		{500, false},   // 11 500
		{4347, false},  // 99 981
		{4348, true},   // 100 004
		{100000, true}, // 2.3 M
		{nil, false},   // default page 50
	} {
		got := do(t, f.postReq(t, gqlBody(q, map[string]any{"n": tt.n}), "Authorization", "Bearer "+tok))
		if tt.refused {
			expectRefused(t, fmt.Sprintf("first %v", tt.n), got, 422, graph.CodeQueryTooComplex)
		} else if got.Status != 200 || got.code() == graph.CodeQueryTooComplex {
			t.Errorf("first %v: %d %+v, want executed", tt.n, got.Status, got.Errors)
		}
	}
	// Every list pays: nested paged fields multiply.
	// 500 × (1 + 1 × (1 + 10 × (1 + 1 + 10 × 2))) = 111 000.
	expectRefused(t, "two lists", do(t, f.postReq(t, gqlBody(
		`{ a: cases(first: 500) { nodes { obligations { id warnings { tier } } } } }`, nil), "Authorization", "Bearer "+tok)),
		422, graph.CodeQueryTooComplex)
	// Fragments are counted where they are spread.
	frag := `{ cases(first: 3000) { ...N } } fragment N on CaseConnection { nodes { ...C } } fragment C on Case { id obligations { id due { at } } }`
	expectRefused(t, "fragments", do(t, f.postReq(t, gqlBody(frag, nil), "Authorization", "Bearer "+tok)), 422, graph.CodeQueryTooComplex)
}

func TestRateLimitByCost(t *testing.T) {
	// serverInfo { name version } costs 3; the bucket holds 30 and refills
	// 0.01 per second: ten pass, the eleventh waits.
	f := startWith(t, limits(graph.Limits{MaxComplexity: 30, RateBurst: 30, RatePerSecond: 0.01}), nil)
	q := `{ serverInfo { name version } }`
	for i := range 10 {
		if got := do(t, f.postReq(t, gqlBody(q, nil))); got.Status != 200 || len(got.Errors) > 0 {
			t.Fatalf("request %d: %d %+v", i, got.Status, got.Errors)
		}
	}
	got := do(t, f.postReq(t, gqlBody(q, nil)))
	expectRefused(t, "anonymous over its budget", got, http.StatusTooManyRequests, graph.CodeRateLimited)
	ra, err := strconv.Atoi(got.header.Get("Retry-After"))
	if err != nil || ra < 1 || ra > 300 {
		t.Errorf("Retry-After %q, want whole seconds until 3 units refill (300)", got.header.Get("Retry-After"))
	}
	if got.Errors[0].Extensions["retryAfter"] != float64(ra) {
		t.Errorf("extensions %+v, want retryAfter %d", got.Errors[0].Extensions, ra)
	}
	// graphql-response+json clients get the same 429.
	got = do(t, f.postReq(t, gqlBody(q, nil), "Accept", "application/graphql-response+json"))
	expectRefused(t, "graphql-response+json", got, http.StatusTooManyRequests, graph.CodeRateLimited)
	// Another identity has its own bucket.
	tok := hs256(t, secret, "shenguan", time.Now().Add(time.Hour))
	if got := do(t, f.postReq(t, gqlBody(q, nil), "Authorization", "Bearer "+tok)); got.Status != 200 || len(got.Errors) > 0 {
		t.Errorf("an authenticated caller after the anonymous one ran out: %d %+v", got.Status, got.Errors)
	}
	// A websocket operation spends the same budget: u-7 has 27 left.
	c := f.dial(t)
	initWS(t, c, tok)
	for i := range 10 {
		send(t, c, map[string]any{"id": strconv.Itoa(i), "type": "subscribe", "payload": map[string]any{"query": `query { serverInfo { name version } }`}})
	}
	var limited int
	for done := 0; done < 10; {
		m, err := next(t, c)
		if err != nil {
			t.Fatal(err)
		}
		switch m.Type {
		case "complete":
			done++
		case "error":
			if strings.Contains(string(m.Payload), graph.CodeRateLimited) {
				limited++
			}
		}
	}
	if limited != 1 {
		t.Errorf("%d of 10 websocket operations were rate-limited, want 1 (9 × 3 = 27 left)", limited)
	}
}

func TestHTTPMethodsAndMediaTypes(t *testing.T) {
	tok := hs256(t, secret, "shenguan", time.Now().Add(time.Hour))
	f := startWith(t, nil, nil)
	get := func(query string, headers ...string) httpResult {
		req, _ := http.NewRequest(http.MethodGet, f.url+"/graphql?query="+url.QueryEscape(query), nil)
		for i := 0; i+1 < len(headers); i += 2 {
			req.Header.Set(headers[i], headers[i+1])
		}
		return do(t, req)
	}
	got := get(`mutation { ping }`, "Authorization", "Bearer "+tok)
	expectRefused(t, "mutation over GET", got, http.StatusMethodNotAllowed, graph.CodeMethodNotAllowed)
	if got.header.Get("Allow") != "POST" {
		t.Errorf("Allow = %q, want POST", got.header.Get("Allow"))
	}
	if got := get(`{ serverInfo { name } }`); got.Status != 200 || got.Data["serverInfo"] == nil {
		t.Errorf("query over GET: %d %+v", got.Status, got.Errors)
	}
	req, _ := http.NewRequest(http.MethodPut, f.url+"/graphql", gqlBody(`{ serverInfo { name } }`, nil))
	got = do(t, req)
	expectRefused(t, "PUT", got, http.StatusMethodNotAllowed, graph.CodeMethodNotAllowed)

	for _, tt := range []struct {
		name, accept, query string
		status              int
		ctype               string
	}{
		{"parse error, json", "application/json", `{ serverInfo {`, 422, "application/json"},
		{"parse error, graphql-response+json", "application/graphql-response+json", `{ serverInfo {`, 400, "application/graphql-response+json"},
		{"validation error, graphql-response+json", "application/graphql-response+json, application/json;q=0.9", `{ nope }`, 400, "application/graphql-response+json"},
		{"executed, graphql-response+json", "application/graphql-response+json", `{ serverInfo { name } }`, 200, "application/graphql-response+json"},
		{"field error still executes", "application/graphql-response+json", `{ me { id } }`, 200, "application/graphql-response+json"},
	} {
		got := do(t, f.postReq(t, gqlBody(tt.query, nil), "Accept", tt.accept))
		if got.Status != tt.status || got.header.Get("Content-Type") != tt.ctype {
			t.Errorf("%s: %d %s, want %d %s", tt.name, got.Status, got.header.Get("Content-Type"), tt.status, tt.ctype)
		}
	}
}

func TestIntrospectionSwitch(t *testing.T) {
	q := `{ __schema { queryType { name } } }`
	off := startWith(t, nil, nil)
	if got := do(t, off.postReq(t, gqlBody(q, nil))); len(got.Errors) == 0 || got.Data["__schema"] != nil {
		t.Errorf("introspection by default: %+v, want refused", got)
	}
	on := startWith(t, func(c *graph.Config) { c.Introspection = true }, nil)
	got := do(t, on.postReq(t, gqlBody(q, nil)))
	if s, _ := got.Data["__schema"].(map[string]any); s == nil || len(got.Errors) > 0 {
		t.Errorf("introspection when enabled: %+v", got)
	}
}

func TestQueryCacheServesRepeatedDocuments(t *testing.T) {
	f := startWith(t, nil, nil)
	var mu sync.Mutex
	var docs []*ast.QueryDocument
	f.handler.GraphQL.AroundResponses(func(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
		mu.Lock()
		docs = append(docs, graphql.GetOperationContext(ctx).Doc)
		mu.Unlock()
		return next(ctx)
	})
	for _, q := range []string{`{ serverInfo { name version store } }`, `{ serverInfo { name version store } }`, `{ serverInfo { name } }`} {
		if got := do(t, f.postReq(t, gqlBody(q, nil))); got.Status != 200 {
			t.Fatalf("%+v", got)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(docs) != 3 || docs[0] != docs[1] || docs[1] == docs[2] {
		t.Errorf("parsed documents %p: want the repeated one served from the cache", docs)
	}
}

func sha(q string) string {
	b := sha256.Sum256([]byte(q))
	return hex.EncodeToString(b[:])
}

func TestPersistedQueries(t *testing.T) {
	listed := `{ serverInfo { name } }`
	dir := t.TempDir()
	file := filepath.Join(dir, "pq.json")
	b, _ := json.Marshal(map[string]string{sha(listed): listed})
	if err := os.WriteFile(file, b, 0o600); err != nil {
		t.Fatal(err)
	}
	pq, err := graph.LoadPersistedQueries(file)
	if err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"`+sha("x")+`": "{ me { id } }"}`), 0o600)
	if _, err := graph.LoadPersistedQueries(bad); err == nil {
		t.Error("LoadPersistedQueries accepted a wrong hash")
	}
	byHash := func(f *fixture, query, hash string) httpResult {
		body := map[string]any{"extensions": map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hash}}}
		if query != "" {
			body["query"] = query
		}
		b, _ := json.Marshal(body)
		return do(t, f.postReq(t, bytes.NewReader(b)))
	}
	ok := func(name string, got httpResult) {
		t.Helper()
		if got.Status != 200 || len(got.Errors) > 0 || got.Data == nil {
			t.Errorf("%s: %d %+v", name, got.Status, got.Errors)
		}
	}

	only := startWith(t, limits(graph.Limits{Persisted: pq, PersistedOnly: true}), nil)
	ok("listed by hash", byHash(only, "", sha(listed)))
	ok("listed in full", do(t, only.postReq(t, gqlBody(listed, nil))))
	expectRefused(t, "unlisted document", do(t, only.postReq(t, gqlBody(`{ serverInfo { version } }`, nil))), 422, graph.CodePersistedQueryNotAllowed)
	expectRefused(t, "unknown hash", byHash(only, "", sha("{ me { id } }")), 422, graph.CodePersistedQueryNotAllowed)
	expectRefused(t, "APQ registration", byHash(only, `{ serverInfo { version } }`, sha(`{ serverInfo { version } }`)), 422, graph.CodePersistedQueryNotAllowed)

	// Without --persisted-only: the list and APQ.
	open := startWith(t, limits(graph.Limits{Persisted: pq}), nil)
	ok("listed by hash", byHash(open, "", sha(listed)))
	ok("any document", do(t, open.postReq(t, gqlBody(`{ serverInfo { version } }`, nil))))
	q := `{ serverInfo { store } }`
	got := byHash(open, "", sha(q))
	expectRefused(t, "APQ miss", got, 422, graph.CodePersistedQueryNotFound)
	if got.Errors[0].Message != "PersistedQueryNotFound" {
		t.Errorf("APQ miss message %q: clients look for PersistedQueryNotFound", got.Errors[0].Message)
	}
	ok("APQ register", byHash(open, q, sha(q)))
	ok("APQ hit", byHash(open, "", sha(q)))
	expectRefused(t, "APQ wrong hash", byHash(open, q, sha("other")), 422, graph.CodePersistedQueryInvalid)
}

// wsDial opens a graphql-transport-ws connection with header, returning the
// HTTP response of a refused handshake.
func (f *fixture) wsDial(t *testing.T, header http.Header) (*websocket.Conn, *http.Response, error) {
	t.Helper()
	d := websocket.Dialer{Subprotocols: []string{"graphql-transport-ws"}, HandshakeTimeout: 5 * time.Second}
	c, resp, err := d.Dial("ws"+strings.TrimPrefix(f.url, "http")+"/graphql", header)
	if c != nil {
		t.Cleanup(func() { c.Close() })
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
	}
	return c, resp, err
}

func initWS(t *testing.T, c *websocket.Conn, tok string) {
	t.Helper()
	send(t, c, map[string]any{"type": "connection_init", "payload": map[string]any{"Authorization": "Bearer " + tok}})
	if m, err := next(t, c); err != nil || m.Type != "connection_ack" {
		t.Fatalf("connection_init: %+v, %v", m, err)
	}
}

// closedWith reads until the connection ends and returns its close code and
// reason.
func closedWith(t *testing.T, c *websocket.Conn) (int, string) {
	t.Helper()
	for {
		_, _, err := c.ReadMessage()
		if err != nil {
			if ce, ok := err.(*websocket.CloseError); ok {
				return ce.Code, ce.Text
			}
			return 0, err.Error()
		}
	}
}

func TestWebsocketOrigins(t *testing.T) {
	f := startWith(t, limits(graph.Limits{AllowedOrigins: []string{"dash.example.cn", "https://*.gov.example"}}), nil)
	host := strings.TrimPrefix(f.url, "http://")
	for _, tt := range []struct {
		origin string
		ok     bool
	}{
		{"", true},
		{"http://" + host, true},
		{"http://dash.example.cn", true},
		{"https://a.gov.example", true},
		{"http://a.gov.example", false},
		{"https://evil.example", false},
		{"null", false},
	} {
		h := http.Header{}
		if tt.origin != "" {
			h.Set("Origin", tt.origin)
		}
		_, resp, err := f.wsDial(t, h)
		if tt.ok && err != nil {
			t.Errorf("origin %q: %v, want accepted", tt.origin, err)
		}
		if !tt.ok {
			if err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
				t.Errorf("origin %q: %v, want 403", tt.origin, err)
				continue
			}
			b, _ := io.ReadAll(resp.Body)
			if !strings.Contains(string(b), graph.CodeForbiddenOrigin) {
				t.Errorf("origin %q: body %s", tt.origin, b)
			}
		}
	}
}

func TestWebsocketCloseCodes(t *testing.T) {
	tok := hs256(t, secret, "shenguan", time.Now().Add(time.Hour))
	f := startWith(t, func(c *graph.Config) { c.InitTimeout = 200 * time.Millisecond }, nil)
	sub := func(id string) map[string]any {
		return map[string]any{"id": id, "type": "subscribe", "payload": map[string]any{"query": "subscription { heartbeat(seconds: 1) }"}}
	}
	t.Run("4408 init timeout", func(t *testing.T) {
		c, _, err := f.wsDial(t, nil)
		if err != nil {
			t.Fatal(err)
		}
		if code, reason := closedWith(t, c); code != graph.WebsocketCloseInitTimeout {
			t.Errorf("close %d %q, want 4408", code, reason)
		}
	})
	t.Run("4409 repeated id", func(t *testing.T) {
		c, _, _ := f.wsDial(t, nil)
		initWS(t, c, tok)
		send(t, c, sub("a"))
		if m, err := next(t, c); err != nil || m.Type != "next" || m.ID != "a" {
			t.Fatalf("first subscription: %+v %v", m, err)
		}
		send(t, c, sub("a"))
		if code, reason := closedWith(t, c); code != graph.WebsocketCloseSubscriberExists || reason != "Subscriber for a already exists" {
			t.Errorf("close %d %q, want 4409 Subscriber for a already exists", code, reason)
		}
	})
	t.Run("id free again after complete", func(t *testing.T) {
		c, _, _ := f.wsDial(t, nil)
		initWS(t, c, tok)
		send(t, c, map[string]any{"id": "q", "type": "subscribe", "payload": map[string]any{"query": "{ serverInfo { name } }"}})
		for m, err := next(t, c); m.Type != "complete"; m, err = next(t, c) {
			if err != nil {
				t.Fatal(err)
			}
		}
		send(t, c, map[string]any{"id": "q", "type": "subscribe", "payload": map[string]any{"query": "{ serverInfo { name } }"}})
		if m, err := next(t, c); err != nil || m.Type != "next" {
			t.Errorf("reusing a completed id: %+v %v", m, err)
		}
	})
	t.Run("4401 subscribe before init", func(t *testing.T) {
		c, _, _ := f.wsDial(t, nil)
		send(t, c, sub("a"))
		if code, reason := closedWith(t, c); code != graph.WebsocketCloseUnauthorized {
			t.Errorf("close %d %q, want 4401", code, reason)
		}
	})
	t.Run("4429 second init", func(t *testing.T) {
		c, _, _ := f.wsDial(t, nil)
		initWS(t, c, tok)
		send(t, c, map[string]any{"type": "connection_init"})
		if code, reason := closedWith(t, c); code != graph.WebsocketCloseTooManyInits {
			t.Errorf("close %d %q, want 4429", code, reason)
		}
	})
}

func TestWebsocketOperationCap(t *testing.T) {
	tok := hs256(t, secret, "shenguan", time.Now().Add(time.Hour))
	f := startWith(t, limits(graph.Limits{WebsocketOperations: 2}), nil)
	c, _, _ := f.wsDial(t, nil)
	initWS(t, c, tok)
	sub := func(id string) {
		send(t, c, map[string]any{"id": id, "type": "subscribe", "payload": map[string]any{"query": "subscription { heartbeat(seconds: 1) }"}})
	}
	// wait reads until a message for id arrives.
	wait := func(id string) wsMessage {
		for {
			m, err := next(t, c)
			if err != nil {
				t.Fatalf("waiting for %s: %v", id, err)
			}
			if m.ID == id {
				return m
			}
		}
	}
	sub("1")
	sub("2")
	wait("1")
	wait("2")
	sub("3")
	if m := wait("3"); m.Type != "error" || !strings.Contains(string(m.Payload), graph.CodeTooManyOperations) {
		t.Fatalf("third operation: %+v, want an error TOO_MANY_OPERATIONS", m)
	}
	// The connection lives on; ending one operation makes room.
	send(t, c, map[string]any{"id": "1", "type": "complete"})
	time.Sleep(50 * time.Millisecond)
	sub("3")
	if m := wait("3"); m.Type != "next" {
		t.Errorf("after completing one: %+v, want next", m)
	}
}

func TestWebsocketKeepAlive(t *testing.T) {
	tok := hs256(t, secret, "shenguan", time.Now().Add(time.Hour))
	f := startWith(t, func(c *graph.Config) { c.KeepAlive = 100 * time.Millisecond }, nil)
	// A client that answers pings stays.
	good, _, _ := f.wsDial(t, nil)
	initWS(t, good, tok)
	goodErr := make(chan error, 1)
	go func() {
		deadline := time.Now().Add(800 * time.Millisecond)
		for time.Now().Before(deadline) {
			var m wsMessage
			if err := good.ReadJSON(&m); err != nil {
				goodErr <- err
				return
			}
			if m.Type == "ping" {
				if err := good.WriteJSON(map[string]string{"type": "pong"}); err != nil {
					goodErr <- err
					return
				}
			}
		}
		goodErr <- nil
	}()
	// A client that never answers is dropped after two intervals.
	mute, _, _ := f.wsDial(t, nil)
	send(t, mute, map[string]any{"type": "connection_init", "payload": map[string]any{"Authorization": "Bearer " + tok}})
	start := time.Now()
	pings := 0
	for {
		var m wsMessage
		if err := mute.ReadJSON(&m); err != nil {
			break
		}
		if m.Type == "ping" {
			pings++
		}
	}
	if pings == 0 || time.Since(start) > 5*time.Second {
		t.Errorf("mute client: %d pings, dropped after %v", pings, time.Since(start))
	}
	if err := <-goodErr; err != nil {
		t.Errorf("the ponging client was dropped: %v", err)
	}
}

// stallListener lets a test stop the server's writes to one client: the
// writes block until the connection is closed, like a client that stopped
// reading with full buffers.
type stallListener struct {
	net.Listener
	mu    sync.Mutex
	conns map[string]*stallConn // by client address
}

type stallConn struct {
	net.Conn
	stalled chan struct{}
	closed  chan struct{}
	once    sync.Once
	stall   sync.Once
}

func (l *stallListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	sc := &stallConn{Conn: c, stalled: make(chan struct{}), closed: make(chan struct{})}
	l.mu.Lock()
	l.conns[c.RemoteAddr().String()] = sc
	l.mu.Unlock()
	return sc, nil
}

func (l *stallListener) stall(client string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	c := l.conns[client]
	c.stall.Do(func() { close(c.stalled) })
}

func (c *stallConn) Write(b []byte) (int, error) {
	select {
	case <-c.stalled:
		<-c.closed
		return 0, net.ErrClosed
	default:
		return c.Conn.Write(b)
	}
}

func (c *stallConn) Close() error {
	c.once.Do(func() { close(c.closed) })
	return c.Conn.Close()
}

var websocketGauge = regexp.MustCompile(`(?m)^shenguan_graphql_websockets (\d+)$`)

func (f *fixture) openWebsockets(t *testing.T) int {
	t.Helper()
	resp, err := http.Get(f.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	m := websocketGauge.FindSubmatch(b)
	if m == nil {
		t.Fatalf("no websocket gauge in /metrics")
	}
	n, _ := strconv.Atoi(string(m[1]))
	return n
}

func TestStalledSubscriberIsDroppedWithoutDelayingOthers(t *testing.T) {
	tok := hs256(t, secret, "shenguan", time.Now().Add(time.Hour))
	sl := &stallListener{conns: map[string]*stallConn{}}
	f := startWith(t, limits(graph.Limits{WebsocketWriteTimeout: 300 * time.Millisecond}),
		func(l net.Listener) net.Listener { sl.Listener = l; return sl })
	sub := map[string]any{"id": "h", "type": "subscribe", "payload": map[string]any{"query": "subscription { heartbeat(seconds: 1) }"}}
	slow, _, _ := f.wsDial(t, nil)
	initWS(t, slow, tok)
	send(t, slow, sub)
	fast, _, _ := f.wsDial(t, nil)
	initWS(t, fast, tok)
	send(t, fast, sub)
	for _, c := range []*websocket.Conn{slow, fast} {
		if m, err := next(t, c); err != nil || m.Type != "next" {
			t.Fatalf("first heartbeat: %+v %v", m, err)
		}
	}
	sl.stall(slow.LocalAddr().String())
	// The fast client keeps its one-second heartbeat while the slow one is
	// stalled and then dropped.
	start := time.Now()
	for i := range 2 {
		m, err := next(t, fast)
		if err != nil || m.Type != "next" {
			t.Fatalf("heartbeat %d of the fast client: %+v %v", i, m, err)
		}
	}
	if el := time.Since(start); el > 3*time.Second {
		t.Errorf("two heartbeats took %v: the stalled client delayed the other", el)
	}
	deadline := time.Now().Add(5 * time.Second)
	for f.openWebsockets(t) != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("%d websockets open, want the stalled one dropped", f.openWebsockets(t))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestSubscriptionErrorsAreMasked(t *testing.T) {
	tok := hs256(t, secret, "shenguan", time.Now().Add(time.Hour))
	f := startWith(t, nil, nil) // no broker: subscriptions fail with an unclassified error
	c, _, _ := f.wsDial(t, nil)
	initWS(t, c, tok)
	send(t, c, map[string]any{"id": "x", "type": "subscribe", "payload": map[string]any{"query": "subscription { obligationAlerts { tier } }"}})
	for {
		m, err := next(t, c)
		if err != nil {
			t.Fatal(err)
		}
		if m.ID != "x" {
			continue
		}
		p := string(m.Payload)
		if !strings.Contains(p, "内部错误") || !strings.Contains(p, "INTERNAL") || strings.Contains(p, "broker") {
			t.Errorf("%s %s: want a masked INTERNAL error", m.Type, p)
		}
		break
	}
	if !strings.Contains(f.logs.String(), "broker") {
		t.Errorf("the cause was not logged:\n%s", f.logs.String())
	}
}
