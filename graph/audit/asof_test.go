package audit_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"

	"shenguan/domain/cases"
	"shenguan/graph/audit"
	"shenguan/projections"
	"shenguan/projections/casefile"
	"shenguan/projections/rmstore"
)

// TestCaseAsOfEqualsTheProjectionAfterEachEvent generates cases through the
// real command loop and checks, after every appended event, that the case
// folded by audit.AsOf (at the event's recorded-at, and at its version for
// case events) equals the case view projections/casefile showed right then.
func TestCaseAsOfEqualsTheProjectionAfterEachEvent(t *testing.T) {
	ctx := context.Background()
	store := openSQLite(t)
	db, err := rmstore.OpenSQLite(ctx, filepath.Join(t.TempDir(), "readmodels.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	runner, err := projections.New(store, db, projections.Options{}, casefile.Projection{})
	if err != nil {
		t.Fatal(err)
	}
	rd := audit.Reader{Store: store}
	n := 0
	rapid.Check(t, func(rt *rapid.T) {
		n++
		id := fmt.Sprintf("C%04d", n)
		c := &caseRun{ctx: ctx, store: store, id: id, now: time.Date(2026, 3, 2, 9, 0, 0, 0, sh)}
		commitment := rapid.Bool().Draw(rt, "commitment")
		steps := []step{}
		if s, ok := c.run(rt, pushCmd(id, commitment, c.now.Add(-time.Hour)), approver); ok {
			steps = append(steps, s)
		} else {
			rt.Fatalf("push refused")
		}
		check := func(s step) {
			if err := runner.RunToEnd(ctx); err != nil {
				rt.Fatal(err)
			}
			want, err := casefile.Get(ctx, db, runner.Catalog(), id)
			if err != nil {
				rt.Fatal(err)
			}
			got, err := rd.AsOf(ctx, id, s.last.RecordedAt, 0)
			if err != nil {
				rt.Fatal(err)
			}
			if d := cmp.Diff(want, got.View); d != "" {
				rt.Fatalf("after %s v%d (%s), AsOf(at) differs from the projection (-projection +asOf):\n%s", s.stream, s.last.Version, s.last.Type, d)
			}
			if s.isCase {
				gv, err := rd.AsOf(ctx, id, time.Time{}, s.last.Version)
				if err != nil {
					rt.Fatal(err)
				}
				if d := cmp.Diff(want, gv.View); d != "" {
					rt.Fatalf("after %s v%d (%s), AsOf(version) differs from the projection (-projection +asOf):\n%s", s.stream, s.last.Version, s.last.Type, d)
				}
			}
		}
		check(steps[0])
		for range rapid.IntRange(1, 14).Draw(rt, "steps") {
			if s, ok := c.randomStep(rt); ok {
				check(s)
			}
		}
	})
}

func TestAsOfPointsAndObligations(t *testing.T) {
	ctx := context.Background()
	store := openSQLite(t)
	c := scriptedCase(t, ctx, store, "A1")
	rd := audit.Reader{Store: store}

	if _, err := rd.AsOf(ctx, "A1", time.Time{}, 0); err == nil {
		t.Error("AsOf without a point: no error")
	}
	if _, err := rd.AsOf(ctx, "A1", time.Now(), 1); err == nil {
		t.Error("AsOf with both a time and a version: no error")
	}
	if _, err := rd.AsOf(ctx, "A1", time.Time{}, 99); err == nil {
		t.Error("AsOf past the last version: no error")
	}
	if _, err := rd.AsOf(ctx, "nope", time.Time{}, 1); err == nil {
		t.Error("AsOf of a missing case: no error")
	}
	first, err := store.ReadStream(ctx, cases.StreamID("A1"), 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rd.AsOf(ctx, "A1", first[0].RecordedAt.Add(-time.Second), 0); err == nil {
		t.Error("AsOf before the push: no error")
	}

	// Version 1: just pushed; both receipts open.
	s1, err := rd.AsOf(ctx, "A1", time.Time{}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if s1.View.Status != cases.StatusPushed || s1.Version != 1 {
		t.Errorf("v1: status %s version %d, want PUSHED 1", s1.View.Status, s1.Version)
	}
	// At the end the case state equals the command loop's.
	v, _, err := store.StreamHead(ctx, cases.StreamID("A1"))
	if err != nil {
		t.Fatal(err)
	}
	last, err := rd.AsOf(ctx, "A1", time.Time{}, v)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(c.state, last.State); d != "" {
		t.Errorf("AsOf(last version) state differs from the command loop's (-loop +asOf):\n%s", d)
	}
	// v1: push (fulfilled), two receipts and two verification starts open.
	if s1.Open != 4 {
		t.Errorf("open obligations at v1 = %d, want 4 (2 receipts, 2 verification starts): %+v", s1.Open, s1.Obligations)
	}
	// The re-route came 72 hours after the return: late; the view at the
	// last version records it as fulfilled late.
	var reroute *audit.ObligationAt
	for i, o := range last.Obligations {
		if o.Kind == "RE_ROUTE" {
			reroute = &last.Obligations[i]
		}
	}
	if reroute == nil || reroute.State != "FULFILLED_LATE" {
		t.Errorf("re-route obligation at the end = %+v, want FULFILLED_LATE", reroute)
	}
}
