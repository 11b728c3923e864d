package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"shenguan/eventstore"
	"shenguan/eventstore/postgres"
	"shenguan/eventstore/postgres/pgtest"
	"shenguan/eventstore/sqlite"
)

// shenguan runs the real command logic in-process, as `shenguan args…`.
func shenguan(t *testing.T, ctx context.Context, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(ctx, args, &out, &errOut)
	t.Logf("shenguan %s → %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, out.String(), errOut.String())
	return code, out.String(), errOut.String()
}

// cleanEnv keeps the machine's environment out of the test.
func cleanEnv(t *testing.T) {
	t.Setenv("DATABASE_URL", "")
	t.Setenv("SHENGUAN_DATA_DIR", "")
	t.Setenv("SHENGUAN_EVENTSTORE_URL", "")
}

// appendSome writes n events to each of the streams, in batches.
func appendSome(t *testing.T, s eventstore.Store, n int, streams ...string) {
	t.Helper()
	for _, st := range streams {
		for i := 0; i < n; i += 50 {
			var batch []eventstore.NewEvent
			for j := i; j < min(i+50, n); j++ {
				data, _ := json.Marshal(map[string]any{"n": j, "note": "核查记录"})
				batch = append(batch, eventstore.NewEvent{Type: "test.noted", Data: data,
					Metadata: eventstore.Metadata{ActorID: "u-1", ActorUnit: "unit-1"}})
			}
			if _, err := s.Append(context.Background(), eventstore.AppendRequest{Stream: st, Events: batch,
				CommandID: fmt.Sprintf("c-%d", i)}); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func TestEndToEndSQLite(t *testing.T) {
	cleanEnv(t)
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "data")

	// verify before migrate: no store, an operational error.
	if code, _, stderr := shenguan(t, ctx, "verify", "--data-dir", dir); code != 2 || !strings.Contains(stderr, "shenguan migrate") {
		t.Fatalf("verify without a store: exit %d, stderr %q; want 2 and a hint to run migrate", code, stderr)
	}
	code, _, stderr := shenguan(t, ctx, "migrate", "--data-dir", dir)
	if code != 0 || !strings.Contains(stderr, filepath.Join(dir, "events.db")) {
		t.Fatalf("migrate: exit %d, stderr %q", code, stderr)
	}
	if code, _, _ := shenguan(t, ctx, "migrate", "--data-dir", dir); code != 0 {
		t.Fatalf("second migrate: exit %d, want 0", code)
	}

	s, err := sqlite.Open(ctx, filepath.Join(dir, "events.db"))
	if err != nil {
		t.Fatal(err)
	}
	appendSome(t, s, 120, "case-1", "case-2", "case-3")
	var target eventstore.Event
	evs, err := s.ReadStream(ctx, "case-2", 7, 1)
	if err != nil || len(evs) != 1 {
		t.Fatalf("read case-2 v7: %v, %d events", err, len(evs))
	}
	target = evs[0]
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	code, stdout, stderr := shenguan(t, ctx, "verify", "--data-dir", dir)
	if code != 0 || !strings.Contains(stdout, "校验通过：360 个事件，3 个流") {
		t.Fatalf("verify intact store: exit %d, stdout %q", code, stdout)
	}
	if !strings.Contains(stderr, "个事件/秒") || !strings.Contains(stderr, "已校验 360 个事件") {
		t.Errorf("verify printed no progress line on stderr: %q", stderr)
	}
	// The data directory may come from the environment instead.
	t.Setenv("SHENGUAN_DATA_DIR", dir)
	if code, stdout, _ := shenguan(t, ctx, "verify", "--stream", "case-2"); code != 0 || !strings.Contains(stdout, "case-2 的 120 个事件") {
		t.Fatalf("verify --stream with SHENGUAN_DATA_DIR: exit %d, stdout %q", code, stdout)
	}

	// Tamper with one row directly in the SQLite file.
	db, err := sql.Open("sqlite", filepath.Join(dir, "events.db"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := db.Exec(`UPDATE events SET data = ? WHERE stream = ? AND version = ?`, `{"n":6,"note":"已篡改"}`, "case-2", 7)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		t.Fatalf("tamper updated %d rows, want 1", n)
	}
	db.Close()

	for _, args := range [][]string{{"verify"}, {"verify", "--stream", "case-2"}} {
		code, stdout, _ := shenguan(t, ctx, args...)
		if code != 1 {
			t.Fatalf("%v on a tampered store: exit %d, want 1", args, code)
		}
		for _, want := range []string{"case-2", "第 7 个事件", target.ID, "内容被改动"} {
			if !strings.Contains(stdout, want) {
				t.Errorf("%v: report %q does not name %q", args, stdout, want)
			}
		}
	}
	// Other streams still verify.
	if code, _, _ := shenguan(t, ctx, "verify", "--stream", "case-3"); code != 0 {
		t.Fatalf("verify of an intact stream: exit %d, want 0", code)
	}
}

func TestEndToEndPostgres(t *testing.T) {
	cleanEnv(t)
	ctx := context.Background()
	url := pgtest.NewDatabase(t)
	if code, _, stderr := shenguan(t, ctx, "verify", "--database-url", url); code != 2 || !strings.Contains(stderr, "migrate") {
		t.Fatalf("verify before migrate: exit %d, stderr %q; want 2 and a hint", code, stderr)
	}
	t.Setenv("DATABASE_URL", url)
	if code, _, stderr := shenguan(t, ctx, "migrate"); code != 0 || !strings.Contains(stderr, "PostgreSQL") {
		t.Fatalf("migrate with DATABASE_URL: exit %d, stderr %q", code, stderr)
	}
	s, err := postgres.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	appendSome(t, s, 60, "case-a", "case-b")
	// An acknowledged append becomes visible in the global log once every
	// older transaction of the cluster has ended (tests of other packages
	// run beside this one): verify walks the visible log, so wait for it.
	var last eventstore.Position
	for _, st := range []string{"case-a", "case-b"} {
		all, err := s.ReadStream(ctx, st, 1, 0)
		if err != nil || len(all) == 0 {
			t.Fatalf("read %s: %v", st, err)
		}
		if p := all[len(all)-1].Position; p.Compare(last) > 0 {
			last = p
		}
	}
	for {
		h, err := s.Head(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if h.Compare(last) >= 0 {
			break
		}
		wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		err = s.WaitAfter(wctx, h)
		cancel()
		if err != nil {
			t.Fatalf("appends never became visible: %v", err)
		}
	}
	evs, err := s.ReadStream(ctx, "case-b", 3, 1)
	if err != nil || len(evs) != 1 {
		t.Fatalf("read case-b v3: %v", err)
	}
	if _, err := s.Pool().Exec(ctx, `UPDATE events SET data = '{"n":2}' WHERE stream_id = 'case-b' AND version = 3`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	code, stdout, _ := shenguan(t, ctx, "verify")
	if code != 1 || !strings.Contains(stdout, "case-b") || !strings.Contains(stdout, evs[0].ID) {
		t.Fatalf("verify on tampered PostgreSQL: exit %d, stdout %q; want 1 naming case-b and %s", code, stdout, evs[0].ID)
	}
	if code, stdout, _ := shenguan(t, ctx, "verify", "--stream", "case-a"); code != 0 || !strings.Contains(stdout, "60 个事件") {
		t.Fatalf("verify --stream case-a: exit %d, stdout %q", code, stdout)
	}
}

func TestUsage(t *testing.T) {
	cleanEnv(t)
	ctx := context.Background()
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantOut    string // in stdout
		wantErrOut string // in stderr
	}{
		{"no arguments", nil, 2, "", "子命令"},
		{"help", []string{"help"}, 0, "verify", ""},
		{"help lists migrate", []string{"--help"}, 0, "migrate", ""},
		{"help of a subcommand", []string{"help", "verify"}, 0, "", "--stream"},
		{"help of an unknown subcommand", []string{"help", "nope"}, 2, "", "未知子命令"},
		{"unknown subcommand", []string{"serve-all"}, 2, "", "未知子命令 \"serve-all\""},
		{"unknown flag", []string{"verify", "--bogus"}, 2, "", "bogus"},
		{"extra argument", []string{"verify", "--data-dir", t.TempDir(), "extra"}, 2, "", "多余的参数"},
		{"other database scheme", []string{"migrate", "--database-url", "mysql://u:secret@h/db"}, 2, "", "只支持 postgres://"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := shenguan(t, ctx, tc.args...)
			if code != tc.wantCode || !strings.Contains(stdout, tc.wantOut) || !strings.Contains(stderr, tc.wantErrOut) {
				t.Fatalf("exit %d, stdout %q, stderr %q; want %d, %q, %q", code, stdout, stderr, tc.wantCode, tc.wantOut, tc.wantErrOut)
			}
			if strings.Contains(stderr, "secret") {
				t.Errorf("stderr shows the password: %q", stderr)
			}
		})
	}
}

func TestVerifyInterrupted(t *testing.T) {
	cleanEnv(t)
	dir := t.TempDir()
	if code, _, _ := shenguan(t, context.Background(), "migrate", "--data-dir", dir); code != 0 {
		t.Fatal("migrate failed")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if code, _, _ := shenguan(t, ctx, "verify", "--data-dir", dir); code != 2 {
		t.Fatalf("verify with a cancelled context: exit %d, want 2", code)
	}
}
