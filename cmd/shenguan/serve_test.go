package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func cleanJWTEnv(t *testing.T) {
	cleanEnv(t)
	t.Setenv("SHENGUAN_JWT_SECRET", "")
	t.Setenv("SHENGUAN_JWT_AUDIENCE", "")
	t.Setenv("SHENGUAN_JWKS", "")
}

// gql posts a query and returns the status and decoded body.
func gql(t *testing.T, addr, token, query string) (int, map[string]any) {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"query": query})
	req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	b, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("%d %s: %v", resp.StatusCode, b, err)
	}
	return resp.StatusCode, out
}

func TestServeEndToEnd(t *testing.T) {
	cleanJWTEnv(t)
	ctx := context.Background()
	dir := t.TempDir()

	code, tok, _ := shenguan(t, ctx, "token", "--data-dir", dir, "--unit", "东丽区市场监管局", "--role", "supervisor", "--role", "COORDINATOR_L1", "--name", "王五")
	tok = strings.TrimSpace(tok)
	if code != 0 || tok == "" || strings.Count(tok, ".") != 2 || strings.ContainsAny(tok, " \n") {
		t.Fatalf("shenguan token = %d %q, want one JWT on stdout", code, tok)
	}
	if fi, err := os.Stat(filepath.Join(dir, "jwt-secret")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("jwt-secret file: %v, %v; want mode 0600", fi, err)
	}
	_, other, _ := shenguan(t, ctx, "token", "--data-dir", dir, "--jwt-secret", strings.Repeat("x", 32), "--unit", "U", "--role", "AUDITOR")

	logs := &lockedBuffer{}
	m := &Main{
		Config: serveConfig{Addr: "127.0.0.1:0", Store: storeConfig{DataDir: dir}, JWT: jwtConfig{Audience: "shenguan"}, Introspection: true},
		Logger: slog.New(slog.NewTextHandler(logs, nil)),
	}
	if err := m.Run(ctx); err != nil {
		t.Fatal(err)
	}
	closed := false
	t.Cleanup(func() {
		if !closed {
			m.Close()
		}
	})
	addr := m.Addr()
	if !strings.Contains(logs.String(), addr) || !strings.Contains(logs.String(), "SQLite "+filepath.Join(dir, "events.db")) {
		t.Errorf("startup log lacks the address %s and the store:\n%s", addr, logs.String())
	}

	status, got := gql(t, addr, tok, `{ me { id name unit roles } serverInfo { store } }`)
	want := `{"data":{"me":{"id":"dev:东丽区市场监管局:SUPERVISOR","name":"王五","roles":["SUPERVISOR","COORDINATOR_L1"],"unit":"东丽区市场监管局"},"serverInfo":{"store":"sqlite"}}}`
	if b, _ := json.Marshal(got); status != 200 || string(b) != want {
		t.Errorf("me = %d %s\nwant %s", status, b, want)
	}
	if status, got := gql(t, addr, strings.TrimSpace(other), `{ me { id } }`); status != 401 || !strings.Contains(mustJSON(got), "UNAUTHENTICATED") {
		t.Errorf("token signed with another secret: %d %v, want 401 UNAUTHENTICATED", status, got)
	}
	_, got = gql(t, addr, "", `{ dueDate(from: "2026-09-30T10:00:00+08:00", workingDays: 1) { at provisional } }`)
	if b := mustJSON(got); b != `{"data":{"dueDate":{"at":"2026-10-09T00:00:00+08:00","provisional":false}}}` {
		t.Errorf("dueDate over National Day 2026 = %s", b)
	}
	for _, path := range []string{"/healthz", "/readyz"} {
		resp, err := http.Get("http://" + addr + path)
		if err != nil || resp.StatusCode != 200 {
			t.Errorf("GET %s: %v %v", path, resp, err)
		} else {
			resp.Body.Close()
		}
	}

	// A subscriber, then shutdown: it receives a close, the port is released.
	d := websocket.Dialer{Subprotocols: []string{"graphql-transport-ws"}}
	c, _, err := d.Dial("ws://"+addr+"/graphql", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	c.WriteJSON(map[string]any{"type": "connection_init", "payload": map[string]string{"authorization": "Bearer " + tok}})
	c.WriteJSON(map[string]any{"id": "h", "type": "subscribe", "payload": map[string]string{"query": "subscription { heartbeat(seconds: 60) }"}})
	for _, wantType := range []string{"connection_ack", "next"} {
		var msg struct{ Type string }
		if err := c.ReadJSON(&msg); err != nil || msg.Type != wantType {
			t.Fatalf("websocket: %+v %v, want %s", msg, err, wantType)
		}
	}
	if err := m.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	closed = true
	var msg map[string]any
	err = c.ReadJSON(&msg)
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != websocket.CloseNormalClosure {
		t.Errorf("subscriber after Close: %v %v, want a normal close frame", msg, err)
	}
	if _, err := http.Get("http://" + addr + "/healthz"); err == nil {
		t.Error("server still answers after Close")
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestTokenUsage(t *testing.T) {
	cleanJWTEnv(t)
	ctx := context.Background()
	dir := t.TempDir()
	for name, args := range map[string][]string{
		"no role":      {"token", "--data-dir", dir, "--unit", "U"},
		"unknown role": {"token", "--data-dir", dir, "--unit", "U", "--role", "ADMIN"},
		"system role":  {"token", "--data-dir", dir, "--unit", "U", "--role", "SYSTEM"},
		"short secret": {"token", "--data-dir", dir, "--unit", "U", "--role", "AUDITOR", "--jwt-secret", "short"},
		"bad ttl":      {"token", "--data-dir", dir, "--unit", "U", "--role", "AUDITOR", "--ttl", "-1h"},
	} {
		t.Run(name, func(t *testing.T) {
			if code, out, _ := shenguan(t, ctx, args...); code != exitError || out != "" {
				t.Errorf("exit %d, stdout %q; want %d and nothing on stdout", code, out, exitError)
			}
		})
	}
	// token and serve agree through the data directory's secret.
	_, t1, _ := shenguan(t, ctx, "token", "--data-dir", dir, "--unit", "U", "--role", "AUDITOR")
	jc := jwtConfig{Audience: "shenguan"}
	m := &Main{Config: serveConfig{Store: storeConfig{DataDir: dir}, JWT: jc}}
	v, err := m.verifier(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if a, err := v.Verify(ctx, strings.TrimSpace(t1)); err != nil || a.Unit != "U" {
		t.Errorf("serve's verifier on token's token: %+v, %v", a, err)
	}
}
