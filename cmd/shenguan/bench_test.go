package main

import (
	"context"
	"io"
	"log/slog"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"shenguan/graph"
)

func TestBenchRefusesNonLoopbackAndUnboundedRuns(t *testing.T) {
	cleanEnv(t)
	ctx := context.Background()
	for _, args := range [][]string{
		{"--url", "http://10.0.0.1:8080/graphql", "--token", "x"},
		{"--url", "http://example.com/graphql", "--token", "x"},
		{"--url", "ftp://127.0.0.1/graphql", "--token", "x"},
		{"--url", "http://127.0.0.1:8080/graphql", "--token", "x", "--duration", "2h"},
		{"--url", "http://127.0.0.1:8080/graphql", "--token", "x", "--subscribers", "50000"},
		{"--url", "http://[::1]:1/graphql", "--data-dir", t.TempDir()}, // no secret to mint with
	} {
		code, _, errOut := shenguan(t, ctx, append([]string{"bench"}, args...)...)
		if code == 0 || errOut == "" {
			t.Errorf("bench %v = %d, want a refusal", args, code)
		}
	}
	for _, h := range []string{"127.0.0.1", "localhost", "::1", "127.8.9.10"} {
		if !isLoopback(h) {
			t.Errorf("isLoopback(%q) = false", h)
		}
	}
}

// TestBenchAgainstRunningServer runs a short, small load against a real
// server (embedded SQLite): every mutation, query and subscription
// delivery is counted and none fails.
func TestBenchAgainstRunningServer(t *testing.T) {
	cleanEnv(t)
	ctx := context.Background()
	dir := t.TempDir()
	m := &Main{
		// The per-identity rate limit is off: a query worker running flat
		// out would otherwise be refused (the limit has its own tests in
		// graph/limits_test.go); here every operation must succeed.
		Config: serveConfig{Addr: "127.0.0.1:0", Store: storeConfig{DataDir: dir}, JWT: jwtConfig{Audience: "shenguan"},
			Limits: graph.Limits{RatePerSecond: -1}},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	if err := m.Run(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	code, out, errOut := shenguan(t, ctx, "bench", "--url", "http://"+m.Addr()+"/graphql", "--data-dir", dir,
		"--rate", "20", "--duration", "2s", "--queries", "1", "--subscribers", "4", "--units", "2")
	if code != 0 {
		t.Fatalf("bench = %d: %s", code, errOut)
	}
	row := func(name string) (ok, errs int) {
		re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + `\s+(\d+)\s+(\d+)\s`)
		m := re.FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("no %s row in:\n%s", name, out)
		}
		ok, _ = strconv.Atoi(m[1])
		errs, _ = strconv.Atoi(m[2])
		return ok, errs
	}
	push, pushErr := row("pushApproval")
	recv, recvErr := row("receivePush")
	q, qErr := row("cases query")
	subs, subErr := row("subscribe")
	del, _ := row("inboxChanged delivery")
	if pushErr+recvErr+qErr+subErr > 0 || push+recv < 30 || recv == 0 || q == 0 || subs != 4 || del == 0 {
		t.Errorf("push %d/%d receive %d/%d query %d/%d subscribe %d/%d deliveries %d:\n%s",
			push, pushErr, recv, recvErr, q, qErr, subs, subErr, del, out)
	}
	if !strings.Contains(out, "p99") || strings.Count(out, "订阅者") < 2 {
		t.Errorf("report lacks percentiles or progress lines:\n%s", out)
	}
	if !regexp.MustCompile(`服务端每个空闲订阅者（4 个连接.*堆 -?[0-9.]+ KB.*协程 [0-9.]+ 个`).MatchString(out) {
		t.Errorf("no memory per idle subscriber (from the server's /metrics):\n%s", out)
	}

	// Queries only (--rate 0), of named units: one row per unit, no mutation.
	code, out, errOut = shenguan(t, ctx, "bench", "--url", "http://"+m.Addr()+"/graphql", "--data-dir", dir,
		"--rate", "0", "--duration", "1s", "--queries", "2", "--subscribers", "0", "--seed=false",
		"--query-units", benchUnit(0)+","+benchUnit(1))
	if code != 0 {
		t.Fatalf("bench --rate 0 = %d: %s", code, errOut)
	}
	for _, u := range []string{benchUnit(0), benchUnit(1)} {
		if n, errs := row("cases " + u); n == 0 || errs != 0 {
			t.Errorf("cases of %s: %d ok, %d errors:\n%s", u, n, errs, out)
		}
	}
	if strings.Contains(out, "pushApproval") {
		t.Errorf("--rate 0 sent mutations:\n%s", out)
	}
	_ = time.Second
}

func TestBenchCaseIDs(t *testing.T) {
	msg := []byte(`{"id":"1","type":"next","payload":{"data":{"inboxChanged":{"totalCount":2,"nodes":[{"case":{"id":"B-x-1-1"}},{"case":{"id":"C-2"}}]}}}}`)
	var got []string
	for _, id := range benchCaseIDs(msg) {
		got = append(got, string(id))
	}
	if strings.Join(got, ",") != "B-x-1-1,C-2" {
		t.Errorf("benchCaseIDs = %q", got)
	}
	if ids := benchCaseIDs([]byte(`{"type":"next","payload":{"data":{"inboxChanged":{"nodes":[]}}}}`)); len(ids) != 0 {
		t.Errorf("empty inbox: %q", ids)
	}
}
