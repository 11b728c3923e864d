package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"shenguan/domain/cases"
	"shenguan/eventstore/sqlite"
	"shenguan/projections/casefile"
)

// TestReplayExportVerifyDossier runs replay, export, verify --dossier and
// replay --all --check end to end on an SQLite data directory.
func TestReplayExportVerifyDossier(t *testing.T) {
	cleanEnv(t)
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "data")
	if code, _, _ := shenguan(t, ctx, "migrate", "--data-dir", dir); code != 0 {
		t.Fatalf("migrate: exit %d", code)
	}
	c := &storeConfig{DataDir: dir}
	s, err := sqlite.Open(ctx, c.sqlitePath())
	if err != nil {
		t.Fatal(err)
	}
	district(t, ctx, s)
	s.Close()

	// replay --case: one line per event, in zh-CN, with deadline states.
	code, out, _ := shenguan(t, ctx, "replay", "--data-dir", dir, "--case", "c2")
	if code != 0 {
		t.Fatalf("replay: exit %d", code)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 7 { // heading + 6 events
		t.Errorf("replay printed %d lines, want 7:\n%s", len(lines), out)
	}
	for _, want := range []string{"2026-06-02 11:00:00  u-office  p-a  #1 推送", "查收时限（u-scjgj） 已按时完成",
		"撤销审批结果", "撤销答复时限（u-office） 已按时完成", "反馈时限（u-scjgj） 已按时完成"} {
		if !strings.Contains(out, want) {
			t.Errorf("replay lacks %q:\n%s", want, out)
		}
	}
	code, out, _ = shenguan(t, ctx, "replay", "--data-dir", dir, "--case", "c2", "--json")
	var js struct {
		CaseID string `json:"caseId"`
		Events []struct {
			Type, Label, Hash string
			Deadlines         []struct{ Kind, Change, State string }
		} `json:"events"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &js) != nil || len(js.Events) != 6 || js.Events[1].Label != "查收" {
		t.Errorf("replay --json: exit %d, %+v", code, js)
	}
	if code, _, stderr := shenguan(t, ctx, "replay", "--data-dir", dir, "--case", "nope"); code != exitError || !strings.Contains(stderr, "不存在") {
		t.Errorf("replay of a missing case: exit %d, %q", code, stderr)
	}
	if code, _, _ := shenguan(t, ctx, "replay", "--data-dir", dir); code != exitError {
		t.Errorf("replay without --case or --all --check: exit %d, want 2", code)
	}

	// export, then verify --dossier: intact, then tampered.
	dossier := filepath.Join(t.TempDir(), "dossier")
	if code, out, _ := shenguan(t, ctx, "export", "--data-dir", dir, "--case", "c2", "--out", dossier); code != 0 || !strings.Contains(out, "6 个事件") {
		t.Fatalf("export: exit %d %q", code, out)
	}
	for _, f := range []string{"events.jsonl", "timeline.txt", "manifest.json"} {
		if _, err := os.Stat(filepath.Join(dossier, f)); err != nil {
			t.Errorf("dossier lacks %s: %v", f, err)
		}
	}
	if code, out, _ := shenguan(t, ctx, "verify", "--dossier", dossier); code != 0 || !strings.Contains(out, "校验通过") {
		t.Fatalf("verify --dossier: exit %d %q", code, out)
	}
	evs := filepath.Join(dossier, "events.jsonl")
	b, _ := os.ReadFile(evs)
	ls := strings.SplitAfter(string(b), "\n")
	var third struct{ ID string }
	json.Unmarshal([]byte(ls[2]), &third)
	ls[2] = strings.Replace(ls[2], "承诺不实", "承诺属实", 1)
	os.WriteFile(evs, []byte(strings.Join(ls, "")), 0o644)
	code, out, _ = shenguan(t, ctx, "verify", "--dossier", dossier)
	if code != exitFinding || !strings.Contains(out, third.ID) || !strings.Contains(out, "第 3 个事件") {
		t.Errorf("verify --dossier of an altered dossier: exit %d %q; want 1 naming event %s", code, out, third.ID)
	}

	// verify (the store) names a tampered event.
	db, err := sql.Open("sqlite", c.sqlitePath())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var id string
	if err := db.QueryRow(`SELECT id FROM events WHERE stream = 'case-c2' AND version = 3`).Scan(&id); err != nil {
		t.Fatal(err)
	}

	// replay --all --check: intact read models pass; an altered row fails.
	readModelState(t, ctx, c, true)
	if code, out, _ := shenguan(t, ctx, "replay", "--data-dir", dir, "--all", "--check"); code != 0 || !strings.Contains(out, "检查通过") {
		t.Fatalf("replay --all --check: exit %d %q", code, out)
	}
	rm, err := sql.Open("sqlite", c.readModelsPath())
	if err != nil {
		t.Fatal(err)
	}
	defer rm.Close()
	var tables string
	if err := rm.QueryRow(`SELECT c.tables FROM projection_generations g JOIN projection_checkpoints c
		ON c.name = g.name AND c.generation = g.active WHERE g.name = $1`, casefile.Name).Scan(&tables); err != nil {
		t.Fatal(err)
	}
	var names map[string]string
	json.Unmarshal([]byte(tables), &names)
	if _, err := rm.Exec(`UPDATE `+names["cases"]+` SET status = $1 WHERE id = 'c1'`, string(cases.StatusClosed)); err != nil {
		t.Fatal(err)
	}
	code, out, _ = shenguan(t, ctx, "replay", "--data-dir", dir, "--all", "--check")
	if code != exitFinding || !strings.Contains(out, "casefile.cases：行 c1 不一致") || !strings.Contains(out, "status=CLOSED") {
		t.Errorf("replay --all --check after altering a row: exit %d %q", code, out)
	}

	if _, err := db.Exec(`UPDATE events SET data = '{"caseId":"c2"}' WHERE id = $1`, id); err != nil {
		t.Fatal(err)
	}
	code, out, _ = shenguan(t, ctx, "verify", "--data-dir", dir, "--stream", "case-c2")
	if code != exitFinding || !strings.Contains(out, id) {
		t.Errorf("verify --stream after tampering: exit %d %q; want 1 naming %s", code, out, id)
	}
	code, out, _ = shenguan(t, ctx, "verify", "--data-dir", dir)
	if code != exitFinding || !strings.Contains(out, id) {
		t.Errorf("verify after tampering: exit %d %q; want 1 naming %s", code, out, id)
	}
}
