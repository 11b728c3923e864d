package graph_test

import (
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"shenguan/projections/scheduler"
)

// fixedClock is the scheduler's clock stopped at a time: tests pass it
// forward by building a scheduler at a later one.
type fixedClock time.Time

func (c fixedClock) Now() time.Time                     { return time.Time(c) }
func (fixedClock) After(time.Duration) <-chan time.Time { return nil }

// waitSubscribers waits until the broker has n subscribers: a subscription
// resolver subscribes to the broker before it reads its first state, so
// from then on no change is lost to it.
func (f *readFixture) waitSubscribers(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for f.broker.Len() < n {
		if time.Now().After(deadline) {
			t.Fatalf("broker has %d subscribers, want %d", f.broker.Len(), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// step runs one pass of the real deadline scheduler at the given time.
func (f *readFixture) step(t *testing.T, at time.Time) scheduler.Report {
	t.Helper()
	s, err := scheduler.New(f.store, f.db, f.runner, scheduler.Options{Catalog: f.runner.Catalog(), Clock: fixedClock(at)})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := s.Step(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

const alertsSub = `subscription { obligationAlerts { tier overdue obligation { id responsibleUnit } } }`

// nextAlert returns the next alert of operation id, failing on anything
// else.
func nextAlert(t *testing.T, c *websocket.Conn, id string) (obligation, tier string, overdue bool) {
	t.Helper()
	typ, p := nextFor(t, c, id)
	if typ != "next" {
		t.Fatalf("%s: %s %v, want an alert", id, typ, p)
	}
	o, _ := jsonPath(p, "data.obligationAlerts.obligation.id").(string)
	tr, _ := jsonPath(p, "data.obligationAlerts.tier").(string)
	od, _ := jsonPath(p, "data.obligationAlerts.overdue").(bool)
	return o, tr, od
}

// TestObligationAlertsOverWebsocket: the deadline scheduler's warnings and
// the recorded miss of a receipt reach the responsible unit's subscriber
// (the most urgent tier of what a pass recorded, ending with RED/overdue),
// and a subscriber of another unit sees only its own unit's obligation.
func TestObligationAlertsOverWebsocket(t *testing.T) {
	f := startRead(t)
	f.seedTwoSupervisors(t) // C-1 … C-5 to u-scjgj, W-1 to u-wjw, all pushed an hour ago

	base := f.broker.Len()
	sc := f.ws(t, supTok(t))
	subscribe(t, sc, "alerts", alertsSub, nil)
	wj := f.ws(t, otherSupTok(t))
	subscribe(t, wj, "alerts", alertsSub, nil)
	f.waitSubscribers(t, base+2)

	// Thirty days on, every receipt is overdue: the scheduler records each
	// tier and the miss of the six receipts.
	rep := f.step(t, time.Now().Add(30*24*time.Hour))
	if rep.Missed < 6 {
		t.Fatalf("scheduler pass: %+v, want at least the 6 receipts missed", rep)
	}

	// u-scjgj hears of its five receipts, each finally as overdue (and of
	// its unit's other obligations); never of W-1.
	overdue := map[string]bool{}
	for len(overdue) < 5 {
		id, tier, od := nextAlert(t, sc, "alerts")
		if strings.HasPrefix(id, "case/W-1/") {
			t.Fatalf("u-scjgj got an alert of u-wjw's obligation %s", id)
		}
		if od && strings.HasPrefix(id, "case/C-") {
			if tier != "RED" {
				t.Errorf("%s overdue with tier %s, want RED", id, tier)
			}
			if overdue[id] {
				t.Errorf("%s reported overdue twice", id)
			}
			overdue[id] = true
		}
	}
	for i := 1; i <= 5; i++ {
		if id := "case/C-" + string(rune('0'+i)) + "/RECEIPT/u-scjgj"; !overdue[id] {
			t.Errorf("no overdue alert for %s (got %v)", id, overdue)
		}
	}

	// u-wjw hears of W-1's receipt (and its unit's own obligations), never
	// of u-scjgj's cases.
	for {
		id, tier, od := nextAlert(t, wj, "alerts")
		if strings.HasPrefix(id, "case/C-") {
			t.Fatalf("u-wjw got an alert of u-scjgj's obligation %s", id)
		}
		if od && id == "case/W-1/RECEIPT/u-wjw" {
			if tier != "RED" {
				t.Errorf("W-1 overdue with tier %s, want RED", tier)
			}
			break
		}
	}

	// A second pass at the same time records nothing and alerts no one; a
	// receipt then fulfils the obligation without a new alert (checked by
	// the next message being the one of a later, new obligation).
	if rep := f.step(t, time.Now().Add(30*24*time.Hour)); rep.Warned+rep.Missed != 0 {
		t.Fatalf("second pass: %+v, want nothing recorded", rep)
	}
	f.must(t, supTok(t), "receivePush", receivePush, map[string]any{"in": map[string]any{"caseId": "C-1"}})
	f.pushCase(t, "C-6", "M-FOOD")
	f.step(t, time.Now().Add(60*24*time.Hour))
	for {
		id, _, _ := nextAlert(t, sc, "alerts")
		if id == "case/C-6/RECEIPT/u-scjgj" {
			break
		}
		if strings.HasPrefix(id, "case/C-") {
			t.Fatalf("alert of %s after the second pass, want none before C-6's receipt", id)
		}
	}
}
