package main

import (
	"context"
	"errors"
	"flag"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"shenguan/domain/cases"
	"shenguan/eventstore"
	"shenguan/eventstore/kurrentdb"
	"shenguan/eventstore/kurrentdb/kurrenttest"
	"shenguan/eventstore/postgres/pgtest"
)

// cleanKurrentEnv keeps the machine's environment out of the test.
func cleanKurrentEnv(t *testing.T) {
	cleanJWTEnv(t)
	t.Setenv("SHENGUAN_EVENTSTORE_URL", "")
}

func TestEventstoreURLFlag(t *testing.T) {
	cleanKurrentEnv(t)
	const es = "esdb://admin:changeit@kdb1:2113?tls=false"
	const pg = "postgres://shenguan:pgsecret@db:5432/shenguan"
	parseStore := func(t *testing.T, args ...string) *storeConfig {
		t.Helper()
		fs := flag.NewFlagSet("test", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		c := addStoreFlags(fs)
		if err := fs.Parse(args); err != nil {
			t.Fatal(err)
		}
		return c
	}

	t.Run("flag", func(t *testing.T) {
		c := parseStore(t, "--eventstore-url", es, "--database-url", pg)
		if !c.kurrent() || c.EventstoreURL != es {
			t.Fatalf("--eventstore-url: kurrent %v, url %q", c.kurrent(), c.EventstoreURL)
		}
		if ok, err := c.postgres(); !ok || err != nil {
			t.Errorf("postgres() = %v, %v; want the read models in PostgreSQL", ok, err)
		}
		d := c.describe()
		for _, want := range []string{"KurrentDB esdb://admin:xxxxx@kdb1:2113", "PostgreSQL postgres://shenguan:xxxxx@db:5432/shenguan", "读模型"} {
			if !strings.Contains(d, want) {
				t.Errorf("describe() = %q, want it to contain %q", d, want)
			}
		}
		if strings.Contains(d, "changeit") || strings.Contains(d, "pgsecret") {
			t.Errorf("describe() shows a password: %q", d)
		}
	})
	t.Run("environment", func(t *testing.T) {
		t.Setenv("SHENGUAN_EVENTSTORE_URL", "esdb+discover://a:2113,b:2113,c:2113")
		t.Setenv("DATABASE_URL", pg)
		c := parseStore(t)
		if c.EventstoreURL != "esdb+discover://a:2113,b:2113,c:2113" || c.DatabaseURL != pg {
			t.Fatalf("from the environment: %+v", c)
		}
		if _, err := c.postgres(); err != nil {
			t.Errorf("esdb+discover:// refused: %v", err)
		}
		if c := parseStore(t, "--eventstore-url", es); c.EventstoreURL != es {
			t.Errorf("the flag does not override SHENGUAN_EVENTSTORE_URL: %q", c.EventstoreURL)
		}
	})
	t.Run("unset", func(t *testing.T) {
		c := parseStore(t, "--database-url", pg)
		if c.kurrent() || strings.Contains(c.describe(), "KurrentDB") {
			t.Errorf("without --eventstore-url: kurrent %v, describe %q", c.kurrent(), c.describe())
		}
	})
	t.Run("errors", func(t *testing.T) {
		for _, tc := range []struct {
			name string
			c    storeConfig
			want string
		}{
			{"no database url", storeConfig{EventstoreURL: es}, "必须同时用 --database-url"},
			{"other scheme", storeConfig{EventstoreURL: "kurrentdb://admin:changeit@h:2113", DatabaseURL: pg}, "只支持 esdb://"},
			{"read models not in PostgreSQL", storeConfig{EventstoreURL: es, DatabaseURL: "mysql://u:changeit@h/db"}, "只支持 postgres://"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := tc.c.postgres()
				if !errors.Is(err, errUsage) || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("postgres() = %v; want a usage error containing %q", err, tc.want)
				}
				if strings.Contains(err.Error(), "changeit") {
					t.Errorf("the error shows a password: %v", err)
				}
			})
		}
	})
}

// TestEventstoreURLNeedsDatabaseURL runs every store-using subcommand with
// --eventstore-url (or SHENGUAN_EVENTSTORE_URL) but no --database-url:
// each stops with the zh-CN usage error before connecting anywhere.
func TestEventstoreURLNeedsDatabaseURL(t *testing.T) {
	cleanKurrentEnv(t)
	ctx := context.Background()
	// Port 1: nothing listens; the usage error must come first.
	const es = "esdb://admin:changeit@127.0.0.1:1?tls=false"
	for _, sub := range []string{"migrate", "verify", "rebuild", "serve", "replay", "export", "demo"} {
		t.Run(sub, func(t *testing.T) {
			args := []string{sub, "--data-dir", t.TempDir(), "--eventstore-url", es}
			switch sub {
			case "serve":
				args = append(args, "--addr", "127.0.0.1:0")
			case "replay":
				args = append(args, "--case", "X-1")
			case "export":
				args = append(args, "--case", "X-1", "--out", t.TempDir())
			}
			code, _, stderr := shenguan(t, ctx, args...)
			if code != exitError || !strings.Contains(stderr, "--eventstore-url") || !strings.Contains(stderr, "必须同时用 --database-url") {
				t.Fatalf("%s without --database-url: exit %d, stderr %q; want 2 and the usage error", sub, code, stderr)
			}
			if strings.Contains(stderr, "changeit") {
				t.Errorf("stderr shows the password: %q", stderr)
			}
		})
	}
	t.Run("environment", func(t *testing.T) {
		t.Setenv("SHENGUAN_EVENTSTORE_URL", es)
		code, _, stderr := shenguan(t, ctx, "migrate")
		if code != exitError || !strings.Contains(stderr, "必须同时用 --database-url") {
			t.Fatalf("migrate with SHENGUAN_EVENTSTORE_URL only: exit %d, stderr %q", code, stderr)
		}
	})
}

// TestBinaryDoesNotLinkTestSupport checks that the in-process KurrentDB
// stand-in, a test-support package, is never built into the binary,
// while the KurrentDB backend is.
func TestBinaryDoesNotLinkTestSupport(t *testing.T) {
	goBin := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(goBin); err != nil {
		if goBin, err = exec.LookPath("go"); err != nil {
			t.Fatalf("no go command to list the binary's dependencies: %v", err)
		}
	}
	out, err := exec.Command(goBin, "list", "-deps", "shenguan/cmd/shenguan").Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("go list -deps shenguan/cmd/shenguan: %v\n%s", err, ee.Stderr)
		}
		t.Fatal(err)
	}
	deps := strings.Fields(string(out))
	has := func(p string) bool {
		for _, d := range deps {
			if d == p {
				return true
			}
		}
		return false
	}
	if !has("shenguan/eventstore/kurrentdb") {
		t.Errorf("the binary does not depend on shenguan/eventstore/kurrentdb (%d deps listed)", len(deps))
	}
	for _, d := range deps {
		if strings.HasSuffix(d, "test") && strings.HasPrefix(d, "shenguan/") {
			t.Errorf("the binary links the test-support package %s", d)
		}
	}
	if has("shenguan/eventstore/kurrentdb/kurrenttest") {
		t.Error("the binary links shenguan/eventstore/kurrentdb/kurrenttest")
	}
}

// TestServeKurrentDB runs the service with its events in the in-process
// KurrentDB stand-in (through the real client) and its read models in
// PostgreSQL: migrate, serve, a case pushed over GraphQL and read back,
// verify, rebuild, and verify catching a change made behind the server.
func TestServeKurrentDB(t *testing.T) {
	cleanKurrentEnv(t)
	f := kurrenttest.Start(t)
	rep := testServeKurrentDB(t, f.URL)

	// Change the pushed event's data behind the server's back: verify of
	// the same KurrentDB must now fail with exit 1, naming the stream.
	f.Alter(t, rep.stream, func(evs []*kurrenttest.Event) {
		evs[0].Data = []byte(strings.Replace(string(evs[0].Data), rep.caseID, rep.caseID+"X", 1))
	})
	code, stdout, _ := shenguan(t, context.Background(), "verify", "--eventstore-url", f.URL, "--database-url", rep.pgURL)
	if code != exitFinding || !strings.Contains(stdout, rep.stream) {
		t.Fatalf("verify after tampering: exit %d, stdout %q; want 1 naming %s", code, stdout, rep.stream)
	}
}

// TestServeKurrentDBLive is TestServeKurrentDB against a live KurrentDB.
func TestServeKurrentDBLive(t *testing.T) {
	url := os.Getenv("SHENGUAN_TEST_KURRENTDB")
	if url == "" {
		t.Skip("SHENGUAN_TEST_KURRENTDB is not set: set it to a connection string such as " +
			"esdb://admin:changeit@127.0.0.1:2113?tls=false to run serve against a live KurrentDB")
	}
	cleanKurrentEnv(t)
	testServeKurrentDB(t, url)
}

type kurrentRun struct {
	pgURL, caseID, stream string
}

func testServeKurrentDB(t *testing.T, esURL string) kurrentRun {
	ctx := context.Background()
	pgURL := pgtest.NewDatabase(t)
	dir := t.TempDir()
	store := []string{"--data-dir", dir, "--eventstore-url", esURL, "--database-url", pgURL}

	code, _, stderr := shenguan(t, ctx, append([]string{"migrate"}, store...)...)
	if code != 0 || !strings.Contains(stderr, "无需迁移") || !strings.Contains(stderr, "读模型结构已是最新") {
		t.Fatalf("migrate: exit %d, stderr %q", code, stderr)
	}
	// The read-model tables are there, and no event table: the events
	// are not in PostgreSQL.
	conn, err := pgx.Connect(ctx, pgURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var tables int
	var events *string
	if err := conn.QueryRow(ctx, `SELECT count(*), to_regclass('events')::text FROM pg_tables WHERE schemaname = current_schema()`).Scan(&tables, &events); err != nil {
		t.Fatal(err)
	}
	if tables == 0 || events != nil {
		t.Fatalf("after migrate: %d tables, events table %v; want read-model tables and no events table", tables, events)
	}

	// Development tokens, signed with the data directory's secret.
	token := func(unit, role string) string {
		t.Helper()
		code, tok, _ := shenguan(t, ctx, "token", "--data-dir", dir, "--unit", unit, "--role", role, "--name", "测试"+role)
		if code != 0 {
			t.Fatalf("token %s %s: exit %d", unit, role, code)
		}
		return strings.TrimSpace(tok)
	}
	const office, scjgj = "u-office", "u-scjgj"
	officeTok, approverTok := token(office, "SERVICE_OFFICE"), token(office, "APPROVER")

	logs := &lockedBuffer{}
	m := &Main{Config: serveConfig{Addr: "127.0.0.1:0",
		Store: storeConfig{DataDir: dir, DatabaseURL: pgURL, EventstoreURL: esURL},
		JWT:   jwtConfig{Audience: "shenguan"}, ShutdownTimeout: 10 * time.Second},
		Logger: slog.New(slog.NewTextHandler(logs, nil))}
	if err := m.Run(ctx); err != nil {
		m.Close()
		t.Fatalf("Main.Run: %v", err)
	}
	closed := false
	t.Cleanup(func() {
		if !closed {
			m.Close()
		}
	})
	for _, want := range []string{m.Addr(), "KurrentDB esdb://", "PostgreSQL postgres://"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("startup log lacks %q:\n%s", want, logs.String())
		}
	}
	e := &e2e{t: t, base: "http://" + m.Addr()}
	var info struct{ ServerInfo struct{ Store string } }
	e.gql(officeTok, `{ serverInfo { store } }`, nil, &info)
	if info.ServerInfo.Store != "kurrentdb" {
		t.Errorf("serverInfo.store = %q, want kurrentdb", info.ServerInfo.Store)
	}

	// The directory, then one pushed case (a fresh id: a live server keeps
	// the streams of earlier runs).
	for _, u := range []map[string]any{
		{"unitId": office, "name": "东丽区政务服务办", "kinds": []string{"SERVICE_OFFICE", "APPROVAL"}},
		{"unitId": scjgj, "name": "东丽区市场监管局", "kinds": []string{"SUPERVISION"}},
	} {
		e.gql(officeTok, `mutation($in: RegisterUnitInput!) { registerUnit(input: $in) { unit { id } } }`, map[string]any{"in": u}, nil)
	}
	e.gql(officeTok, `mutation($in: DefineMatterInput!) { defineMatter(input: $in) { matter { code } } }`, map[string]any{"in": map[string]any{
		"matter": map[string]any{"code": "DL-XK-001", "name": "食品经营许可", "approvingUnit": office,
			"supervisingUnits": []string{scjgj}, "commitmentApplies": true}}}, nil)
	caseID := "KDB-" + time.Now().UTC().Format("20060102150405.000000000")
	h := func(s string) string { return strings.Repeat(s, 64) }
	var pushed struct {
		PushApproval struct {
			Case      caseView `json:"case"`
			Position  string   `json:"position"`
			Duplicate bool     `json:"duplicate"`
		} `json:"pushApproval"`
	}
	e.gql(approverTok, `mutation($in: PushApprovalInput!) { pushApproval(input: $in) { case { `+caseFields+` } position duplicate } }`,
		map[string]any{"in": map[string]any{"commandId": "push-" + caseID, "caseId": caseID, "matterCode": "DL-XK-001",
			"subject": map[string]any{"kind": "ORGANISATION", "id": "91350100M000100Y43", "name": "天津鑫源餐饮有限公司"},
			"outcome": "GRANTED", "decidedAt": time.Now().Add(-time.Hour).Format(time.RFC3339), "mode": "COMMITMENT",
			"documents": []map[string]any{{"name": "申请材料.pdf", "kind": "APPLICATION_MATERIALS", "sha256": h("a"), "size": 1000},
				{"name": "准予许可决定书.pdf", "kind": "RESULT", "sha256": h("b"), "size": 800},
				{"name": "告知承诺书.pdf", "kind": "COMMITMENT_LETTER", "sha256": h("c"), "size": 600}},
			"permitNumber": "JY11201100000001"}}, &pushed)
	p := pushed.PushApproval
	if p.Case.ID != caseID || p.Case.Status != "PUSHED" || p.Position == "" || p.Duplicate {
		t.Fatalf("pushApproval = %+v", p)
	}
	if _, err := eventstore.ParsePosition(p.Position); err != nil {
		t.Errorf("position %q is not a KurrentDB commit.prepare position: %v", p.Position, err)
	}
	// Read your writes: the list, right after the mutation, has the case.
	var list struct {
		Cases struct {
			TotalCount int
			Nodes      []struct{ ID, Status string }
		}
	}
	e.gql(officeTok, `query($id: ID!) { cases(first: 500) { totalCount nodes { id status } } case(id: $id) { id } }`,
		map[string]any{"id": caseID}, &list)
	found := false
	for _, n := range list.Cases.Nodes {
		found = found || (n.ID == caseID && n.Status == "PUSHED")
	}
	if !found {
		t.Fatalf("cases right after the push = %+v; want %s PUSHED", list.Cases, caseID)
	}
	if err := m.Close(); err != nil {
		t.Errorf("Main.Close: %v", err)
	}
	closed = true

	// The events are in KurrentDB.
	stream := cases.StreamID(caseID)
	ks, err := kurrentdb.Open(ctx, esURL)
	if err != nil {
		t.Fatal(err)
	}
	evs, err := ks.ReadStream(ctx, stream, 1, 0)
	ks.Close()
	if err != nil || len(evs) == 0 || evs[0].Type != "case.pushed" {
		t.Fatalf("stream %s in KurrentDB: %d events, %v; want it to start with case.pushed", stream, len(evs), err)
	}

	code, stdout, _ := shenguan(t, ctx, append([]string{"verify"}, store...)...)
	if code != 0 || !strings.Contains(stdout, "校验通过") || !strings.Contains(stdout, "KurrentDB") {
		t.Fatalf("verify: exit %d, stdout %q; want 0", code, stdout)
	}
	code, stdout, _ = shenguan(t, ctx, append([]string{"verify", "--stream", stream}, store...)...)
	if code != 0 || !strings.Contains(stdout, stream) {
		t.Fatalf("verify --stream %s: exit %d, stdout %q", stream, code, stdout)
	}
	code, stdout, _ = shenguan(t, ctx, append([]string{"replay", "--case", caseID}, store...)...)
	if code != 0 || !strings.Contains(stdout, caseID) {
		t.Fatalf("replay --case: exit %d, stdout %q", code, stdout)
	}
	code, stdout, _ = shenguan(t, ctx, append([]string{"replay", "--all", "--check"}, store...)...)
	if code != 0 || !strings.Contains(stdout, "检查通过") {
		t.Fatalf("replay --all --check (PostgreSQL read models against the KurrentDB log): exit %d, stdout %q", code, stdout)
	}
	code, _, stderr = shenguan(t, ctx, append([]string{"rebuild", "casefile"}, store...)...)
	if code != 0 || !strings.Contains(stderr, "重建完成") {
		t.Fatalf("rebuild casefile: exit %d, stderr %q", code, stderr)
	}
	return kurrentRun{pgURL: pgURL, caseID: caseID, stream: stream}
}
