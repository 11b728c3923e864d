package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"shenguan/domain"
	"shenguan/domain/calendar"
	"shenguan/domain/cases"
	"shenguan/domain/deadline"
	"shenguan/domain/directory"
	"shenguan/domain/subject"
	"shenguan/eventstore"
	"shenguan/eventstore/command"
	"shenguan/eventstore/events"
	"shenguan/eventstore/postgres/pgtest"
	"shenguan/projections"
	"shenguan/projections/obligation"
	"shenguan/projections/rmtest"
)

// district appends a few cases through the command loop: pushes, receipts,
// a deadline warning and a revocation.
func district(t *testing.T, ctx context.Context, s eventstore.Store) {
	t.Helper()
	reg := events.Registry()
	sh := calendar.Location()
	at := func(day, hour int) time.Time { return time.Date(2026, 6, day, hour, 0, 0, 0, sh) }
	approver := domain.Actor{ID: "p-a", Unit: "u-office", Roles: []domain.Role{domain.RoleApprover}}
	sup := domain.Actor{ID: "p-s1", Unit: "u-scjgj", Roles: []domain.Role{domain.RoleSupervisor}}
	system := domain.Actor{ID: "scheduler", Roles: []domain.Role{domain.RoleSystem}}
	dec := command.Decider[cases.State, cases.Command]{Evolve: cases.Evolve, Decide: cases.Decide}
	do := func(id string, c cases.Command, now time.Time, a domain.Actor) {
		t.Helper()
		if _, err := command.Handle(ctx, s, reg, dec, cases.StreamID(id), c, command.Options{Now: now, Actor: a}); err != nil {
			t.Fatalf("%s %T: %v", id, c, err)
		}
	}
	for i, id := range []string{"c1", "c2", "c3", "c4"} {
		do(id, cases.Push{Actor: approver, CaseID: id,
			Matter: cases.MatterSnapshot{Code: "M-FOOD", Name: "食品经营许可", ApprovingUnit: "u-office",
				SupervisingUnits: []string{"u-scjgj"}, MajorRisk: directory.RiskNone},
			Subject: cases.Subject{Kind: subject.KindOrganisation, ID: "91350100M000100Y43", Name: "天津某某餐饮管理有限公司"},
			Outcome: cases.OutcomeGranted, DecidedAt: at(1+i, 10), Mode: cases.ModeStandard, ConfirmDuplicate: true,
			Documents: []cases.Document{
				{Name: "申请书.pdf", Kind: cases.DocApplicationMaterials, SHA256: strings.Repeat("a", 64), Size: 1024},
				{Name: "许可证.pdf", Kind: cases.DocResult, SHA256: strings.Repeat("b", 64), Size: 2048},
			},
			PermitNumber: "JY" + id}, at(1+i, 11), approver)
	}
	do("c1", cases.Receive{Actor: sup, CaseID: "c1"}, at(2, 9), sup)
	do("c2", cases.Receive{Actor: sup, CaseID: "c2"}, at(3, 9), sup)
	do("c2", cases.RecordViolation{Actor: sup, CaseID: "c2", DiscoveredAt: at(4, 9), Description: "承诺不实"}, at(4, 10), sup)
	do("c2", cases.SubmitFeedback{Actor: sup, CaseID: "c2", ViolationSeq: 1, Channel: cases.ChannelSystem, Content: "承诺不实"}, at(4, 11), sup)
	do("c2", cases.RequestRevocation{Actor: sup, CaseID: "c2", DocumentNumber: "津东市监〔2026〕1号", Reason: "承诺不实"}, at(5, 9), sup)
	do("c2", cases.DecideRevocation{Actor: approver, CaseID: "c2", DecisionNumber: "津东审批撤〔2026〕1号", Dishonest: true, Reason: "欺骗"}, at(8, 9), approver)

	// A miss of c3's receipt, as the scheduler records it.
	st, err := command.Load(ctx, s, reg, dec, cases.StreamID("c3"), command.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range cases.Obligations(st.State, calendar.New(), domain.DefaultPolicy()) {
		if o.Kind != domain.ObReceipt {
			continue
		}
		dd := command.Decider[deadline.State, deadline.Command]{Evolve: deadline.Evolve, Decide: deadline.Decide}
		now := o.Due.At.Add(time.Hour)
		if _, err := command.Handle(ctx, s, reg, dd, deadline.StreamID(o.ID),
			deadline.Command(deadline.RecordMissed{Actor: system, Obligation: o, At: now}), command.Options{Now: now, Actor: system}); err != nil {
			t.Fatal(err)
		}
	}
}

// readModelState opens the store and read models of c, optionally runs the
// projections to the end, and returns every row and the physical table
// names of every read model.
func readModelState(t *testing.T, ctx context.Context, c *storeConfig, sync bool) (rows map[string]map[string][]string, tables map[string]map[string]string) {
	t.Helper()
	store, err := openStore(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	db, err := openReadModels(ctx, c, store)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	r, err := projections.New(store, db, projections.Options{}, readModels()...)
	if err != nil {
		t.Fatal(err)
	}
	if sync {
		// On PostgreSQL an append becomes readable a moment after its
		// commit: run until the head is applied.
		head, err := store.Head(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := r.RunUntil(ctx, head); err != nil {
			t.Fatalf("run projections: %v", err)
		}
	}
	env := &rmtest.Env{Ctx: ctx, Store: store, DB: db, Runner: r, Catalog: projections.NewCatalog(db)}
	rows, tables = map[string]map[string][]string{}, map[string]map[string]string{}
	for _, name := range readModelNames() {
		rows[name] = env.Rows(t, name)
		tt, err := env.Catalog.Tables(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		tables[name] = tt.Names()
	}
	return rows, tables
}

func TestRebuildSQLite(t *testing.T) {
	cleanEnv(t)
	ctx := t.Context()
	dir := filepath.Join(t.TempDir(), "data")
	if code, _, _ := shenguan(t, ctx, "migrate", "--data-dir", dir); code != 0 {
		t.Fatalf("migrate: exit %d", code)
	}
	c := &storeConfig{DataDir: dir}
	store, err := openStore(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	district(t, ctx, store)
	store.Close()
	testRebuild(t, ctx, c, "--data-dir", dir)
}

func TestRebuildPostgres(t *testing.T) {
	cleanEnv(t)
	ctx := t.Context()
	url := pgtest.NewDatabase(t)
	if code, _, _ := shenguan(t, ctx, "migrate", "--database-url", url); code != 0 {
		t.Fatalf("migrate: exit %d", code)
	}
	c := &storeConfig{DatabaseURL: url}
	store, err := openStore(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	district(t, ctx, store)
	store.Close()
	testRebuild(t, ctx, c, "--database-url", url)
}

func testRebuild(t *testing.T, ctx context.Context, c *storeConfig, storeFlags ...string) {
	before, tablesBefore := readModelState(t, ctx, c, true)
	if n := len(before[obligation.Name]["obligations"]); n == 0 {
		t.Fatalf("no obligation rows before the rebuild: %v", before[obligation.Name])
	}

	// All read models.
	code, _, stderr := shenguan(t, ctx, append([]string{"rebuild"}, storeFlags...)...)
	if code != 0 {
		t.Fatalf("rebuild: exit %d, stderr %q", code, stderr)
	}
	for _, want := range []string{"事件/秒", "100.0%", "完成", "casefile", "已切换到新表"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("rebuild stderr lacks %q:\n%s", want, stderr)
		}
	}
	after, tablesAfter := readModelState(t, ctx, c, false)
	if diff := cmp.Diff(before, after); diff != "" {
		t.Errorf("rows after rebuild differ (-before +after):\n%s", diff)
	}
	for _, name := range readModelNames() {
		if cmp.Equal(tablesBefore[name], tablesAfter[name]) {
			t.Errorf("%s still reads the tables %v after the rebuild", name, tablesAfter[name])
		}
	}

	// One read model, named after the flags.
	code, _, stderr = shenguan(t, ctx, append(append([]string{"rebuild"}, storeFlags...), "casefile")...)
	if code != 0 {
		t.Fatalf("rebuild casefile: exit %d, stderr %q", code, stderr)
	}
	again, tablesAgain := readModelState(t, ctx, c, false)
	if diff := cmp.Diff(before, again); diff != "" {
		t.Errorf("rows after rebuilding casefile differ (-before +after):\n%s", diff)
	}
	for _, name := range readModelNames() {
		if changed := !cmp.Equal(tablesAfter[name], tablesAgain[name]); changed != (name == "casefile") {
			t.Errorf("rebuild casefile: tables of %s changed = %v", name, changed)
		}
	}

	// An unknown name is a usage error that lists the known ones.
	code, _, stderr = shenguan(t, ctx, append(append([]string{"rebuild"}, storeFlags...), "nosuch")...)
	if code != exitError || !strings.Contains(stderr, "未知的读模型") || !strings.Contains(stderr, "obligation") {
		t.Errorf("rebuild nosuch: exit %d, stderr %q; want 2 and the list of read models", code, stderr)
	}
}

func TestFormatProgress(t *testing.T) {
	got := formatProgress(projections.Progress{Events: 420000, PerSecond: 27150.4, Elapsed: 15500 * time.Millisecond,
		Fraction: 0.421, ETA: 21 * time.Second})
	want := "[############------------------]  42.1%  420000 事件  27150 事件/秒  用时 16s  剩余约 21s"
	if got != want {
		t.Errorf("formatProgress = %q, want %q", got, want)
	}
	got = formatProgress(projections.Progress{Events: 10, PerSecond: 5, Elapsed: 2 * time.Second})
	if want := "10 事件  5 事件/秒  用时 2s"; got != want {
		t.Errorf("without an estimate: %q, want %q", got, want)
	}
}
