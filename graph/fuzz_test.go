package graph_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"shenguan/domain"
	"shenguan/domain/calendar"
	"shenguan/graph"
	"shenguan/graph/auth"
)

// FuzzHandler feeds random documents and variables to the real handler
// (POST, GET, with and without a token) and checks that it never panics
// and never answers 5xx.
func FuzzHandler(f *testing.F) {
	v, err := auth.NewVerifier(auth.Config{Secret: secret})
	if err != nil {
		f.Fatal(err)
	}
	h, err := graph.NewHandler(graph.Config{
		Resolver:      &graph.Resolver{Calendar: calendar.New(), Info: graph.Info{Version: "fuzz", Store: "sqlite", StartedAt: time.Now()}},
		Verifier:      v,
		Logger:        slog.New(slog.NewTextHandler(io.Discard, nil)),
		Introspection: true,
		Limits:        graph.Limits{RatePerSecond: -1, MaxBodyBytes: 64 << 10},
	})
	if err != nil {
		f.Fatal(err)
	}
	tok, err := auth.Mint(secret, "shenguan", domain.Actor{ID: "u-1", Name: "张三", Unit: "东丽区行政审批局",
		Roles: []domain.Role{domain.RoleApprover, domain.RoleSupervisor, domain.RoleAuditor, domain.RoleServiceOffice}},
		time.Now(), 24*time.Hour)
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []struct {
		doc, vars string
	}{
		{`{ serverInfo { name version store } }`, ``},
		{`query($f: DateTime!, $n: Int!) { dueDate(from: $f, workingDays: $n) { at provisional } }`, `{"f":"2026-09-30T10:00:00+08:00","n":3}`},
		{`{ workingDays(from: "2026-09-30", to: "2026-10-10") { count days { date working } } }`, ``},
		{`query($n: Int) { cases(first: $n) { edges { node { id obligations { id due { at } } } } } }`, `{"n": 99999999999}`},
		{`{ me { id roles } a: me { id } ...F } fragment F on Query { serverInfo { name } }`, ``},
		{`mutation { ping }`, ``},
		{`query Q($x: [Int!]!) { __type(name: "Case") { fields { name type { ofType { name } } } } }`, `{"x": [1, null]}`},
		{`{ __schema { types { name } } }`, `[]`},
		{`subscription { heartbeat(seconds: 1) }`, `{}`},
		{`{ inbox(first: -5) { nodes { case { id } } } }`, `{"a": {"b": "\u0000"}}`},
		{`{ cases(filter: {}) { totalCount } }`, `null`},
	} {
		f.Add(s.doc, s.vars, byte(0))
		f.Add(s.doc, s.vars, byte(3))
	}
	f.Fuzz(func(t *testing.T, doc, vars string, mode byte) {
		var req *http.Request
		if mode&1 == 0 {
			body := map[string]any{"query": doc}
			if json.Valid([]byte(vars)) {
				body["variables"] = json.RawMessage(vars)
			}
			b, _ := json.Marshal(body)
			req = httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(b))
			req.Header.Set("Content-Type", "application/json")
		} else {
			q := url.Values{"query": {doc}, "variables": {vars}}
			req = httptest.NewRequest(http.MethodGet, "/graphql?"+q.Encode(), nil)
		}
		if mode&2 != 0 {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		if mode&4 != 0 {
			req.Header.Set("Accept", "application/graphql-response+json")
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code >= 500 {
			t.Fatalf("status %d for %q %q: %s", w.Code, doc, vars, w.Body.String())
		}
	})
}
