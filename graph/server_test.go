package graph_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"
	"github.com/gorilla/websocket"

	"shenguan/domain"
	"shenguan/domain/calendar"
	"shenguan/graph"
	"shenguan/graph/auth"
)

var secret = []byte("0123456789abcdef0123456789abcdef")

// syncBuffer is a log sink the server writes to from its goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type fixture struct {
	url     string
	handler *graph.Handler
	logs    *syncBuffer
	rsa     *rsa.PrivateKey
	ec      *ecdsa.PrivateKey
}

type options struct {
	calendar domain.Calendar
	ready    func(context.Context) error
}

// start runs the real handler on a loopback port with an HS256 secret and a
// JWKS file holding one RS256 and one ES256 key.
func start(t *testing.T, o options) *fixture {
	t.Helper()
	f := &fixture{logs: &syncBuffer{}}
	var err error
	if f.rsa, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		t.Fatal(err)
	}
	if f.ec, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		t.Fatal(err)
	}
	ecb, err := f.ec.PublicKey.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	b64 := base64.RawURLEncoding.EncodeToString
	set, _ := json.Marshal(map[string]any{"keys": []map[string]string{
		{"kty": "RSA", "kid": "r1", "n": b64(f.rsa.N.Bytes()), "e": b64(big.NewInt(int64(f.rsa.E)).Bytes())},
		{"kty": "EC", "kid": "e1", "crv": "P-256", "x": b64(ecb[1:33]), "y": b64(ecb[33:])},
	}})
	path := filepath.Join(t.TempDir(), "jwks.json")
	if err := os.WriteFile(path, set, 0o600); err != nil {
		t.Fatal(err)
	}
	ks, err := auth.LoadKeySet(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	v, err := auth.NewVerifier(auth.Config{Secret: secret, Keys: ks})
	if err != nil {
		t.Fatal(err)
	}
	cal := o.calendar
	if cal == nil {
		cal = calendar.New()
	}
	f.handler, err = graph.NewHandler(graph.Config{
		Resolver: &graph.Resolver{Calendar: cal, Info: graph.Info{Version: "test", Store: "sqlite", StartedAt: time.Now()}},
		Verifier: v,
		Logger:   slog.New(slog.NewJSONHandler(f.logs, nil)),
		Ready:    o.ready,
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(f.handler)
	t.Cleanup(srv.Close)
	f.url = srv.URL
	return f
}

type gqlError struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

type response struct {
	Status int
	Data   map[string]any `json:"data"`
	Errors []gqlError     `json:"errors"`
}

func (r response) code() string {
	if len(r.Errors) == 0 {
		return ""
	}
	c, _ := r.Errors[0].Extensions["code"].(string)
	return c
}

func (f *fixture) post(t *testing.T, token, query string, vars map[string]any) response {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, err := http.NewRequest(http.MethodPost, f.url+"/graphql", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out response
	b, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("response %d %q: %v", resp.StatusCode, b, err)
	}
	out.Status = resp.StatusCode
	return out
}

func hs256(t *testing.T, key []byte, aud string, exp time.Time) string {
	return sign(t, jwt.SigningMethodHS256, "", key, aud, exp)
}

func sign(t *testing.T, m jwt.SigningMethod, kid string, key any, aud string, exp time.Time) string {
	t.Helper()
	tok := jwt.NewWithClaims(m, auth.Claims{
		RegisteredClaims: jwt.RegisteredClaims{Subject: "u-7", Audience: jwt.ClaimStrings{aud}, ExpiresAt: jwt.NewNumericDate(exp)},
		Name:             "李四", Unit: "东丽区行政审批局", Roles: []string{"APPROVER", "COORDINATOR_L1"},
	})
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

const meQuery = `{ me { id name unit roles } }`

func TestMe(t *testing.T) {
	f := start(t, options{})
	hour := time.Now().Add(time.Hour)
	wantMe := map[string]any{"me": map[string]any{"id": "u-7", "name": "李四", "unit": "东丽区行政审批局",
		"roles": []any{"APPROVER", "COORDINATOR_L1"}}}
	tests := []struct {
		name       string
		token      string
		wantStatus int
		wantCode   string
		wantMsg    string
	}{
		{"HS256", hs256(t, secret, "shenguan", hour), 200, "", ""},
		{"RS256 from JWKS", sign(t, jwt.SigningMethodRS256, "r1", f.rsa, "shenguan", hour), 200, "", ""},
		{"ES256 from JWKS", sign(t, jwt.SigningMethodES256, "e1", f.ec, "shenguan", hour), 200, "", ""},
		{"expired", hs256(t, secret, "shenguan", time.Now().Add(-time.Hour)), 401, "UNAUTHENTICATED", "身份令牌已过期"},
		{"wrong audience", hs256(t, secret, "elsewhere", hour), 401, "UNAUTHENTICATED", "身份令牌的受众不符"},
		{"wrong signature", hs256(t, []byte("ffffffffffffffffffffffffffffffff"), "shenguan", hour), 401, "UNAUTHENTICATED", "身份令牌签名无效"},
		{"ES256 under the RSA kid", sign(t, jwt.SigningMethodES256, "r1", f.ec, "shenguan", hour), 401, "UNAUTHENTICATED", ""},
		{"no token", "", 200, "UNAUTHENTICATED", "需要身份认证"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := f.post(t, tt.token, meQuery, nil)
			if got.Status != tt.wantStatus {
				t.Errorf("status = %d, want %d", got.Status, tt.wantStatus)
			}
			if got.code() != tt.wantCode {
				t.Fatalf("code = %q, want %q (errors %+v)", got.code(), tt.wantCode, got.Errors)
			}
			if tt.wantCode == "" {
				if diff := cmp.Diff(wantMe, got.Data); diff != "" {
					t.Errorf("data (-want +got):\n%s", diff)
				}
				return
			}
			if got.Data["me"] != nil {
				t.Errorf("data.me = %v, want null", got.Data["me"])
			}
			if !strings.HasPrefix(got.Errors[0].Message, tt.wantMsg) {
				t.Errorf("message = %q, want prefix %q", got.Errors[0].Message, tt.wantMsg)
			}
		})
	}
}

func TestPublicFieldsAndMutationAccess(t *testing.T) {
	f := start(t, options{})
	got := f.post(t, "", `{ serverInfo { name version store } }`, nil)
	want := map[string]any{"serverInfo": map[string]any{"name": "shenguan", "version": "test", "store": "sqlite"}}
	if diff := cmp.Diff(want, got.Data); diff != "" || len(got.Errors) > 0 {
		t.Errorf("anonymous serverInfo (-want +got):\n%s errors %+v", diff, got.Errors)
	}
	if got := f.post(t, "", `mutation { ping }`, nil); got.code() != "UNAUTHENTICATED" {
		t.Errorf("anonymous ping: code %q, want UNAUTHENTICATED", got.code())
	}
	tok := hs256(t, secret, "shenguan", time.Now().Add(time.Hour))
	if got := f.post(t, tok, `mutation { ping }`, nil); got.Data["ping"] != true {
		t.Errorf("ping = %+v, want true", got)
	}
}

func TestDueDateOverNationalDay2026(t *testing.T) {
	f := start(t, options{})
	q := `query($from: DateTime!, $n: Int!) { dueDate(from: $from, workingDays: $n) { at provisional } }`
	tests := []struct {
		from string
		n    int
		want string
	}{
		// 10-01..07 off: the first working day after 09-30 is 10-08.
		{"2026-09-30T10:00:00+08:00", 1, "2026-10-09T00:00:00+08:00"},
		{"2026-09-30T02:00:00Z", 2, "2026-10-10T00:00:00+08:00"},
		// 10-10 (Saturday) is a make-up working day.
		{"2026-09-30T10:00:00+08:00", 3, "2026-10-11T00:00:00+08:00"},
		{"2026-10-03T09:00:00+08:00", 1, "2026-10-09T00:00:00+08:00"},
		{"2026-09-30T10:00:00+08:00", 0, "2026-10-01T00:00:00+08:00"},
	}
	for _, tt := range tests {
		got := f.post(t, "", q, map[string]any{"from": tt.from, "n": tt.n})
		want := map[string]any{"dueDate": map[string]any{"at": tt.want, "provisional": false}}
		if diff := cmp.Diff(want, got.Data); diff != "" || len(got.Errors) > 0 {
			t.Errorf("dueDate(%s, %d) (-want +got):\n%s errors %+v", tt.from, tt.n, diff, got.Errors)
		}
	}
	// A year without a published notice is provisional.
	got := f.post(t, "", q, map[string]any{"from": "2031-03-02T09:00:00+08:00", "n": 1})
	if due, _ := got.Data["dueDate"].(map[string]any); due["provisional"] != true {
		t.Errorf("dueDate in 2031 = %+v, want provisional", got)
	}
	for _, bad := range []struct {
		from string
		n    int
	}{{"2026-09-30", 1}, {"2026-09-30T10:00:00+08:00", -1}} {
		got := f.post(t, "", q, map[string]any{"from": bad.from, "n": bad.n})
		if got.code() != "VALIDATION" || !strings.Contains(got.Errors[0].Message, "输入不符合要求") {
			t.Errorf("dueDate(%s, %d): errors %+v, want VALIDATION with a zh-CN message", bad.from, bad.n, got.Errors)
		}
	}
}

func TestWorkingDays(t *testing.T) {
	f := start(t, options{})
	got := f.post(t, "", `{ workingDays(from: "2026-09-30", to: "2026-10-10") { count provisional days { date working } } }`, nil)
	wd, _ := got.Data["workingDays"].(map[string]any)
	if wd == nil {
		t.Fatalf("workingDays: %+v", got)
	}
	// After 09-30 up to 10-10: 10-08, 10-09, 10-10 (make-up Saturday).
	if wd["count"] != float64(3) || wd["provisional"] != false {
		t.Errorf("count, provisional = %v, %v; want 3, false", wd["count"], wd["provisional"])
	}
	var working []string
	days := wd["days"].([]any)
	for _, d := range days {
		d := d.(map[string]any)
		if d["working"] == true {
			working = append(working, d["date"].(string))
		}
	}
	if diff := cmp.Diff([]string{"2026-09-30", "2026-10-08", "2026-10-09", "2026-10-10"}, working); diff != "" || len(days) != 11 {
		t.Errorf("working days (-want +got):\n%s (of %d days)", diff, len(days))
	}
	if got := f.post(t, "", `{ workingDays(from: "2026-10-10", to: "2026-10-01") { count } }`, nil); got.code() != "VALIDATION" {
		t.Errorf("reversed range: %+v, want VALIDATION", got.Errors)
	}
	if got := f.post(t, "", `{ workingDays(from: "2026-02-30", to: "2026-10-01") { count } }`, nil); got.code() != "VALIDATION" {
		t.Errorf("2026-02-30: %+v, want VALIDATION", got.Errors)
	}
}

// panickingCalendar panics with a message that must never reach a client.
type panickingCalendar struct{ domain.Calendar }

func (panickingCalendar) AddWorkingDays(time.Time, int) domain.Due {
	panic("secret internals: dsn=postgres://admin:pw@db")
}

func TestPanicBecomesInternalErrorWithRequestID(t *testing.T) {
	f := start(t, options{calendar: panickingCalendar{calendar.New()}})
	got := f.post(t, "", `{ dueDate(from: "2026-09-30T10:00:00+08:00", workingDays: 1) { at } }`, nil)
	if got.code() != "INTERNAL" {
		t.Fatalf("errors %+v, want code INTERNAL", got.Errors)
	}
	id, _ := got.Errors[0].Extensions["requestId"].(string)
	if id == "" || !strings.Contains(got.Errors[0].Message, "内部错误") || !strings.Contains(got.Errors[0].Message, id) {
		t.Errorf("error %+v: want 内部错误 with the request id", got.Errors[0])
	}
	if strings.Contains(got.Errors[0].Message, "secret") {
		t.Errorf("message %q leaks the panic", got.Errors[0].Message)
	}
	logs := f.logs.String()
	if !strings.Contains(logs, id) || !strings.Contains(logs, "secret internals") {
		t.Errorf("logs do not record the panic under request id %s:\n%s", id, logs)
	}
}

func TestOperationalEndpoints(t *testing.T) {
	var readyErr error = errors.New("projections behind")
	var mu sync.Mutex
	f := start(t, options{ready: func(context.Context) error {
		mu.Lock()
		defer mu.Unlock()
		return readyErr
	}})
	get := func(path string) (int, string) {
		resp, err := http.Get(f.url + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, _ := get("/healthz"); code != 200 {
		t.Errorf("/healthz = %d, want 200", code)
	}
	if code, body := get("/readyz"); code != 503 || !strings.Contains(body, "projections behind") {
		t.Errorf("/readyz while behind = %d %q, want 503", code, body)
	}
	mu.Lock()
	readyErr = nil
	mu.Unlock()
	if code, _ := get("/readyz"); code != 200 {
		t.Errorf("/readyz when caught up = %d, want 200", code)
	}
	if code, body := get("/"); code != 200 || !strings.Contains(body, "graphiql") {
		t.Errorf("/ = %d, want GraphiQL", code)
	}
	f.post(t, "", `{ serverInfo { name } }`, nil)
	if code, body := get("/metrics"); code != 200 ||
		!strings.Contains(body, `shenguan_http_request_duration_seconds_count{code="200",method="POST",route="/graphql"}`) ||
		!strings.Contains(body, "shenguan_graphql_websockets") {
		t.Errorf("/metrics = %d:\n%s", code, body)
	}
}

type wsMessage struct {
	ID      string          `json:"id,omitempty"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

func (f *fixture) dial(t *testing.T) *websocket.Conn {
	t.Helper()
	d := websocket.Dialer{Subprotocols: []string{"graphql-transport-ws"}, HandshakeTimeout: 5 * time.Second}
	c, resp, err := d.Dial("ws"+strings.TrimPrefix(f.url, "http")+"/graphql", nil)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	if got := resp.Header.Get("Sec-Websocket-Protocol"); got != "graphql-transport-ws" {
		t.Fatalf("subprotocol = %q, want graphql-transport-ws", got)
	}
	t.Cleanup(func() { c.Close() })
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	return c
}

func send(t *testing.T, c *websocket.Conn, m any) {
	t.Helper()
	if err := c.WriteJSON(m); err != nil {
		t.Fatal(err)
	}
}

// next reads the next message that is not a ping (answering it).
func next(t *testing.T, c *websocket.Conn) (wsMessage, error) {
	t.Helper()
	for {
		var m wsMessage
		if err := c.ReadJSON(&m); err != nil {
			return m, err
		}
		if m.Type == "ping" {
			send(t, c, map[string]string{"type": "pong"})
			continue
		}
		return m, nil
	}
}

func closeCode(err error) int {
	var ce *websocket.CloseError
	if errors.As(err, &ce) {
		return ce.Code
	}
	return 0
}

func TestWebsocketAuthentication(t *testing.T) {
	f := start(t, options{})
	good := hs256(t, secret, "shenguan", time.Now().Add(time.Hour))
	tests := []struct {
		name    string
		payload map[string]any
		ack     bool
	}{
		{"Authorization", map[string]any{"Authorization": "Bearer " + good}, true},
		{"lower-case key", map[string]any{"authorization": "Bearer " + good}, true},
		{"upper-case key", map[string]any{"AUTHORIZATION": "Bearer " + good}, true},
		{"bad token", map[string]any{"Authorization": "Bearer " + hs256(t, secret, "elsewhere", time.Now().Add(time.Hour))}, false},
		{"expired", map[string]any{"Authorization": "Bearer " + hs256(t, secret, "shenguan", time.Now().Add(-time.Hour))}, false},
		{"no token", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := f.dial(t)
			init := map[string]any{"type": "connection_init"}
			if tt.payload != nil {
				init["payload"] = tt.payload
			}
			send(t, c, init)
			m, err := next(t, c)
			if tt.ack {
				if err != nil || m.Type != "connection_ack" {
					t.Fatalf("after connection_init: %+v, %v; want connection_ack", m, err)
				}
				return
			}
			for err == nil { // a connection_error may precede the close
				m, err = next(t, c)
			}
			if got := closeCode(err); got != graph.WebsocketCloseForbidden {
				t.Fatalf("read after a refused connection_init: %v (close code %d), want close 4403", err, got)
			}
		})
	}
}

func TestHeartbeatSubscriptionAndShutdown(t *testing.T) {
	f := start(t, options{})
	c := f.dial(t)
	send(t, c, map[string]any{"type": "connection_init",
		"payload": map[string]any{"Authorization": "Bearer " + hs256(t, secret, "shenguan", time.Now().Add(time.Hour))}})
	if m, err := next(t, c); err != nil || m.Type != "connection_ack" {
		t.Fatalf("connection_init: %+v, %v", m, err)
	}
	send(t, c, map[string]any{"id": "1", "type": "subscribe", "payload": map[string]any{"query": "subscription { heartbeat(seconds: 1) }"}})
	var prev time.Time
	for i := range 2 {
		m, err := next(t, c)
		if err != nil || m.Type != "next" || m.ID != "1" {
			t.Fatalf("message %d: %+v, %v; want next for id 1", i, m, err)
		}
		var p struct {
			Data struct{ Heartbeat string } `json:"data"`
		}
		if err := json.Unmarshal(m.Payload, &p); err != nil {
			t.Fatal(err)
		}
		at, err := time.Parse(time.RFC3339Nano, p.Data.Heartbeat)
		if err != nil || !strings.HasSuffix(p.Data.Heartbeat, "+08:00") {
			t.Fatalf("heartbeat %q: want RFC 3339 in +08:00 (%v)", p.Data.Heartbeat, err)
		}
		if !at.After(prev) {
			t.Errorf("heartbeat %d at %v, not after %v", i, at, prev)
		}
		prev = at
	}
	// A bad argument is an error message for the operation, not a close.
	send(t, c, map[string]any{"id": "2", "type": "subscribe", "payload": map[string]any{"query": "subscription { heartbeat(seconds: 0) }"}})
	for {
		m, err := next(t, c)
		if err != nil {
			t.Fatal(err)
		}
		if m.ID != "2" {
			continue
		}
		if m.Type != "next" || !strings.Contains(string(m.Payload), "VALIDATION") {
			t.Fatalf("heartbeat(seconds: 0): %+v, want a VALIDATION error", m)
		}
		break
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	shut := make(chan error, 1)
	go func() { shut <- f.handler.Shutdown(ctx) }()
	for {
		_, err := next(t, c)
		if err != nil {
			if closeCode(err) != websocket.CloseNormalClosure {
				t.Errorf("after Shutdown: %v, want a normal close", err)
			}
			break
		}
	}
	if err := <-shut; err != nil {
		t.Errorf("Shutdown: %v", err)
	}
}
