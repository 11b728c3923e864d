package audit_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"shenguan/domain"
	"shenguan/eventstore/events"
	"shenguan/graph/audit"
	"shenguan/projections"
	"shenguan/projections/casefile"
	"shenguan/projections/obligation"
	"shenguan/projections/rmstore"
)

func TestEveryEventTypeHasALabel(t *testing.T) {
	n := 0
	for pkg, evs := range events.Packages() {
		for _, e := range evs {
			n++
			if !audit.HasLabel(e.EventType()) {
				t.Errorf("event type %s (package %s) has no zh-CN label", e.EventType(), pkg)
			}
		}
	}
	if n < 50 {
		t.Errorf("only %d event types registered", n)
	}
	for _, k := range []domain.ObligationKind{domain.ObPush, domain.ObReceipt, domain.ObSummary, domain.ObCoordinatorVacancy} {
		if audit.KindLabel(k) == string(k) {
			t.Errorf("obligation kind %s has no label", k)
		}
	}
}

func TestHistory(t *testing.T) {
	ctx := context.Background()
	store := openSQLite(t)
	scriptedCase(t, ctx, store, "H1")
	h, err := audit.Reader{Store: store}.History(ctx, "H1")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, en := range h {
		var notes []string
		for _, o := range en.Opened {
			notes = append(notes, "+"+string(o.Kind)+"/"+o.ResponsibleUnit)
		}
		for _, o := range en.Closed {
			notes = append(notes, "✓"+string(o.Kind)+"/"+o.ResponsibleUnit)
		}
		for _, o := range en.Dropped {
			notes = append(notes, "−"+string(o.Kind)+"/"+o.ResponsibleUnit)
		}
		got = append(got, en.Label+" "+strings.Join(notes, " "))
	}
	want := []string{
		"推送 +PUSH/u-office +RECEIPT/u-scjgj +RECEIPT/u-yjj +VERIFICATION_START/u-scjgj +VERIFICATION_START/u-yjj ✓PUSH/u-office",
		"查收 ✓RECEIPT/u-scjgj",
		"退回 +RE_ROUTE/u-office ✓RECEIPT/u-yjj −VERIFICATION_START/u-yjj",
		"重新推送 +RECEIPT/u-wjw +VERIFICATION_START/u-wjw ✓RE_ROUTE/u-office",
		"开始核查 ✓VERIFICATION_START/u-scjgj",
		"完成核查 ",
		"发现违法违规 +FEEDBACK/u-scjgj",
		"反馈问题 ✓FEEDBACK/u-scjgj",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("history:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if _, err := (audit.Reader{Store: store}).History(ctx, "none"); err == nil {
		t.Error("History of a missing case: no error")
	}
}

func TestVerifyJobs(t *testing.T) {
	ctx := context.Background()
	store := openSQLite(t)
	scriptedCase(t, ctx, store, "J1")
	jobs := audit.NewJobs(store, nil)
	defer jobs.Close()
	id := jobs.Start()
	ch, ok := jobs.Watch(ctx, id)
	if !ok {
		t.Fatal("Watch: job not found")
	}
	var last audit.JobStatus
	for s := range ch {
		last = s
	}
	if last.State != audit.JobIntact || last.Events != 8 || last.Streams != 1 || last.FinishedAt == nil {
		t.Errorf("final status %+v, want INTACT with 8 events in 1 stream", last)
	}
	if got, ok := jobs.Get(id); !ok || got.State != audit.JobIntact {
		t.Errorf("Get = %+v, %v", got, ok)
	}
	if _, ok := jobs.Get("nope"); ok {
		t.Error("Get of an unknown job: found")
	}
	// Watching a finished job yields its final status once.
	ch, _ = jobs.Watch(ctx, id)
	n := 0
	for range ch {
		n++
	}
	if n != 1 {
		t.Errorf("watch of a finished job yielded %d statuses, want 1", n)
	}
}

// TestCheckReadModels compares stored read models with a rebuild: equal
// after an incremental run, and every altered, deleted or added row is
// reported.
func TestCheckReadModels(t *testing.T) {
	ctx := context.Background()
	store := openSQLite(t)
	scriptedCase(t, ctx, store, "R1")
	scriptedCase(t, ctx, store, "R2")
	dir := t.TempDir()
	stored, err := rmstore.OpenSQLite(ctx, filepath.Join(dir, "stored.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer stored.Close()
	projs := []projections.Projection{casefile.Projection{}, obligation.Projection{}}
	r, err := projections.New(store, stored, projections.Options{BatchSize: 3}, projs...)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.RunToEnd(ctx); err != nil {
		t.Fatal(err)
	}
	check := func(name string) audit.CheckReport {
		t.Helper()
		fresh, err := rmstore.OpenSQLite(ctx, filepath.Join(dir, name+".db"))
		if err != nil {
			t.Fatal(err)
		}
		defer fresh.Close()
		rep, err := audit.CheckReadModels(ctx, store, stored, fresh, projs)
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	if rep := check("fresh1"); len(rep.Differences) != 0 || rep.Rows["casefile"] == 0 {
		t.Fatalf("incremental vs rebuild: %+v", rep)
	}
	// A case appended after the stored checkpoint is not a difference: the
	// rebuild stops where the stored read model is.
	scriptedCase(t, ctx, store, "R3")
	if rep := check("fresh2"); len(rep.Differences) != 0 {
		t.Fatalf("after a later append: %+v", rep.Differences)
	}

	tables, err := r.Catalog().Tables(ctx, casefile.Name)
	if err != nil {
		t.Fatal(err)
	}
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := stored.Exec(ctx, tables.Expand(q), args...); err != nil {
			t.Fatal(err)
		}
	}
	exec(`UPDATE {{cases}} SET status = 'CLOSED' WHERE id = 'R1'`)
	exec(`DELETE FROM {{units}} WHERE case_id = 'R2' AND unit = 'u-wjw'`)
	exec(`INSERT INTO {{units}} (case_id, unit, approving, supervising, addressed, inspecting, round, addressed_at,
		received_at, returned_at, inbox) VALUES ('R9', 'u-x', 0, 0, 0, 0, 0, 0, 0, 0, 0)`)
	rep := check("fresh3")
	var got []string
	for _, d := range rep.Differences {
		got = append(got, d.Projection+"."+d.Table+" "+d.Kind+" "+d.Key)
	}
	want := "casefile.cases CHANGED R1\ncasefile.units EXTRA R9\ncasefile.units MISSING R2"
	if strings.Join(got, "\n") != want {
		t.Errorf("differences:\n%s\nwant:\n%s", strings.Join(got, "\n"), want)
	}
	if s := rep.Differences[0].String(); !strings.Contains(s, "status=CLOSED") {
		t.Errorf("difference text %q does not show the stored value", s)
	}
	_ = time.Second
}
