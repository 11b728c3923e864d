package main

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"shenguan/domain"
	"shenguan/domain/cases"
	"shenguan/domain/subject"
	"shenguan/eventstore/sqlite"
	"shenguan/projections"
	"shenguan/projections/assessment"
	"shenguan/projections/casefile"
	"shenguan/projections/consultation"
	"shenguan/projections/credit"
	dirrm "shenguan/projections/directory"
	"shenguan/projections/obligation"
	"shenguan/projections/problem"
	"shenguan/projections/rmstore"
	"shenguan/projections/summary"
)

// demoUntil is the fixed end of the demo history in tests.
var demoUntil = time.Date(2026, 11, 27, 18, 0, 0, 0, time.FixedZone("CST", 8*3600))

// TestDemoLoadsEveryState loads a small demo into a temporary SQLite store
// and checks the read models: the directory, cases in every status, overdue
// obligations, a revoked case with its credit entry, the consultation, the
// problems, the summaries and the sampling. A second run appends nothing.
func TestDemoLoadsEveryState(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	cfg := demoConfig{Store: storeConfig{DataDir: dir}, Cases: 32, Seed: 7, Until: demoUntil, Workers: 3}
	rep, err := loadDemo(ctx, cfg)
	if err != nil {
		t.Fatalf("loadDemo: %v", err)
	}
	if rep.Cases != 32 || rep.Appended == 0 || rep.Repeated != 0 {
		t.Errorf("report: cases %d, appended %d, repeated %d; want 32, > 0, 0", rep.Cases, rep.Appended, rep.Repeated)
	}
	if rep.Credit.Recorded == 0 {
		t.Errorf("credit process manager recorded no entry: %+v", rep.Credit)
	}

	db, err := rmstore.OpenSQLite(ctx, filepath.Join(dir, "readmodels.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	cat := projections.NewCatalog(db)

	units, err := dirrm.Units(ctx, db, cat, dirrm.UnitFilter{}, 100, "")
	if err != nil {
		t.Fatal(err)
	}
	if units.TotalCount != len(demoUnits) || rep.Units != len(demoUnits) {
		t.Errorf("units: %d in the read model, %d registered; want %d", units.TotalCount, rep.Units, len(demoUnits))
	}
	matters, err := dirrm.Matters(ctx, db, cat, dirrm.MatterFilter{}, 100, "")
	if err != nil {
		t.Fatal(err)
	}
	if matters.TotalCount != len(demoMatters) {
		t.Errorf("matters: %d, want %d", matters.TotalCount, len(demoMatters))
	}
	coords, err := dirrm.Coordinators(ctx, db, cat, dirrm.CoordinatorFilter{}, 500, "")
	if err != nil {
		t.Fatal(err)
	}
	if coords.TotalCount != 3*len(demoUnits) {
		t.Errorf("coordinators: %d, want %d (levels 1–3 of every unit)", coords.TotalCount, 3*len(demoUnits))
	}

	all, err := casefile.List(ctx, db, cat, casefile.Filter{}, 1, "")
	if err != nil {
		t.Fatal(err)
	}
	if all.TotalCount != 32 {
		t.Errorf("cases: %d, want 32", all.TotalCount)
	}
	for _, st := range []cases.Status{cases.StatusRoutingFailed, cases.StatusPushed, cases.StatusPartiallyReceived,
		cases.StatusReceived, cases.StatusReturned, cases.StatusReturnDisputed, cases.StatusUnderVerification,
		cases.StatusInspecting, cases.StatusVerified, cases.StatusViolationFound, cases.StatusFeedbackGiven,
		cases.StatusRectifying, cases.StatusRevocationRequested, cases.StatusRevoked, cases.StatusRevocationDeclined,
		cases.StatusClosed} {
		p, err := casefile.List(ctx, db, cat, casefile.Filter{Status: st}, 1, "")
		if err != nil {
			t.Fatal(err)
		}
		if p.TotalCount == 0 {
			t.Errorf("no case with status %s", st)
		}
	}
	overdue := true
	od, err := casefile.List(ctx, db, cat, casefile.Filter{Overdue: &overdue}, 1, "")
	if err != nil {
		t.Fatal(err)
	}
	if od.TotalCount == 0 {
		t.Error("no overdue case")
	}

	for _, k := range []domain.ObligationKind{domain.ObReceipt, domain.ObResolution} {
		p, err := obligation.List(ctx, db, cat, obligation.Filter{Kind: k, State: domain.ObOverdue}, demoUntil, 1, "")
		if err != nil {
			t.Fatal(err)
		}
		if p.TotalCount == 0 {
			t.Errorf("no overdue %s obligation", k)
		}
	}
	late, err := obligation.List(ctx, db, cat, obligation.Filter{State: domain.ObFulfilledLate}, demoUntil, 1, "")
	if err != nil {
		t.Fatal(err)
	}
	if late.TotalCount == 0 {
		t.Error("no obligation fulfilled late")
	}

	// Every revocation with dishonesty has its credit entry.
	scripts, err := planCases(cfg.Seed, cfg.Cases)
	if err != nil {
		t.Fatal(err)
	}
	dishonest := 0
	for _, s := range scripts {
		if s.Scenario != "revoked-dishonest" {
			continue
		}
		dishonest++
		c, err := casefile.Get(ctx, db, cat, s.ID)
		if err != nil {
			t.Fatalf("case %s: %v", s.ID, err)
		}
		if c.Status != cases.StatusRevoked {
			t.Errorf("case %s: status %s, want REVOKED", s.ID, c.Status)
		}
		rec, err := credit.RecordOf(ctx, db, cat, s.Subject.ID)
		if err != nil {
			t.Fatalf("credit record of %s: %v", s.Subject.ID, err)
		}
		if rec.Dishonest != 1 || len(rec.Entries) != 1 || rec.Entries[0].SourceCaseID != s.ID {
			t.Errorf("credit record of %s: %+v, want one entry from case %s", s.Subject.ID, rec, s.ID)
		}
	}
	if dishonest == 0 || rep.Credit.Recorded != dishonest {
		t.Errorf("credit entries recorded %d, revocations with dishonesty %d", rep.Credit.Recorded, dishonest)
	}

	res, err := consultation.Resolutions(ctx, db, cat, consultation.ResolutionFilter{}, 10, "")
	if err != nil {
		t.Fatal(err)
	}
	if res.TotalCount != 3 {
		t.Errorf("resolutions: %d, want 3", res.TotalCount)
	}
	probs, err := problem.Problems(ctx, db, cat, problem.Filter{}, 10, "")
	if err != nil {
		t.Fatal(err)
	}
	var levels []int
	for _, p := range probs.Items {
		levels = append(levels, int(p.Level))
	}
	slices.Sort(levels)
	if diff := cmp.Diff([]int{1, 2}, levels); diff != "" {
		t.Errorf("problem levels (-want +got):\n%s", diff)
	}
	sums, err := summary.Summaries(ctx, db, cat, summary.Filter{}, 50, "")
	if err != nil {
		t.Fatal(err)
	}
	if sums.TotalCount == 0 {
		t.Error("no half-year summary")
	}
	samplings, err := assessment.Samplings(ctx, db, cat, 0, 10, "")
	if err != nil {
		t.Fatal(err)
	}
	letters, err := assessment.NoticeLetters(ctx, db, cat, assessment.LetterFilter{}, 10, "")
	if err != nil {
		t.Fatal(err)
	}
	if samplings.TotalCount != 1 || len(rep.SamplingDrawn) == 0 || letters.TotalCount != 1 {
		t.Errorf("samplings %d (drawn %v), notice letters %d; want 1, some, 1", samplings.TotalCount, rep.SamplingDrawn, letters.TotalCount)
	}

	// A second run addresses the same objects with the same command ids:
	// nothing is appended.
	head := storeHead(t, dir)
	rep2, err := loadDemo(ctx, cfg)
	if err != nil {
		t.Fatalf("second loadDemo: %v", err)
	}
	if rep2.Appended != 0 || rep2.Repeated != rep.Commands || rep2.Credit.Recorded != 0 || rep2.Warned+rep2.Missed != 0 {
		t.Errorf("second run: appended %d, repeated %d of %d, credit %d, deadlines %d; want nothing new",
			rep2.Appended, rep2.Repeated, rep.Commands, rep2.Credit.Recorded, rep2.Warned+rep2.Missed)
	}
	if got := storeHead(t, dir); got != head {
		t.Errorf("head moved from %v to %v on the second run", head, got)
	}
}

func storeHead(t *testing.T, dir string) string {
	t.Helper()
	s, err := sqlite.Open(context.Background(), filepath.Join(dir, "events.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	p, err := s.Head(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return p.String()
}

// TestDemoPlanDeterministic checks that a seed gives the same cases, that
// another seed gives others, and that every subject's identity is valid
// (both check characters computed).
func TestDemoPlanDeterministic(t *testing.T) {
	summarise := func(seed uint64) []string {
		ss, err := planCases(seed, 60)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, s := range ss {
			r, err := subject.Validate(s.Subject.Kind, s.Subject.ID)
			if err != nil || r.CheckFailed {
				t.Errorf("case %s: subject %s %s invalid: %v %+v", s.ID, s.Subject.Kind, s.Subject.ID, err, r)
			}
			out = append(out, s.ID+" "+s.Scenario+" "+s.Matter.Code+" "+s.Subject.ID+" "+s.Subject.Name)
		}
		return out
	}
	a, b := summarise(3), summarise(3)
	if diff := cmp.Diff(a, b); diff != "" {
		t.Errorf("same seed, different cases (-first +second):\n%s", diff)
	}
	if cmp.Equal(a, summarise(4)) {
		t.Error("seeds 3 and 4 gave the same cases")
	}
	if _, err := planCases(1, len(demoScenarios)-1); err == nil {
		t.Error("planCases accepted fewer cases than scenarios")
	}
}

// TestDemoBulkCases: --bulk adds plain cases after the demo's, each pushed
// and received through the service, none with an obligation left open; a
// second run appends nothing.
func TestDemoBulkCases(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	n := len(demoScenarios)
	cfg := demoConfig{Store: storeConfig{DataDir: dir}, Cases: n, Bulk: 40, Seed: 3, Until: demoUntil, Workers: 3}
	rep, err := loadDemo(ctx, cfg)
	if err != nil {
		t.Fatalf("loadDemo: %v", err)
	}
	if rep.Cases != n+40 || rep.Scenarios["bulk-received"] != 40 {
		t.Errorf("report: %d cases, %d bulk; want %d, 40", rep.Cases, rep.Scenarios["bulk-received"], n+40)
	}
	db, err := rmstore.OpenSQLite(ctx, filepath.Join(dir, "readmodels.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	cat := projections.NewCatalog(db)
	all, err := casefile.List(ctx, db, cat, casefile.Filter{}, 1, "")
	if err != nil || all.TotalCount != n+40 {
		t.Fatalf("cases in the read model: %d, %v; want %d", all.TotalCount, err, n+40)
	}
	for k := 1; k <= 40; k++ {
		id := fmt.Sprintf("DL-3-B%06d", k)
		c, err := casefile.Get(ctx, db, cat, id)
		if err != nil {
			t.Fatalf("bulk case %s: %v", id, err)
		}
		if c.Status != cases.StatusReceived || c.OpenObligations != 0 || c.Mode != cases.ModeStandard {
			t.Errorf("bulk case %s: %s, %d open obligations, %s; want RECEIVED, 0, STANDARD", id, c.Status, c.OpenObligations, c.Mode)
		}
	}
	again, err := loadDemo(ctx, cfg)
	if err != nil {
		t.Fatalf("second loadDemo: %v", err)
	}
	if again.Appended != 0 || again.Repeated != again.Commands {
		t.Errorf("second run appended %d events, repeated %d of %d commands; want 0, all", again.Appended, again.Repeated, again.Commands)
	}
}
