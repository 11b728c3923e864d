package casefile_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"shenguan/domain"
	"shenguan/domain/calendar"
	"shenguan/domain/cases"
	"shenguan/domain/directory"
	dscore "shenguan/domain/scorecard"
	"shenguan/domain/summary"
	"shenguan/domain/timepolicy"
	"shenguan/eventstore/command"
	"shenguan/projections"
	"shenguan/projections/casefile"
	"shenguan/projections/obligation"
	"shenguan/projections/rmstore"
	"shenguan/projections/rmtest"
	"shenguan/projections/scorecard"
)

func newDistrict(t *testing.T, env *rmtest.Env) *district {
	return &district{t: t, ctx: env.Ctx, store: env.Store, env: env}
}

func ids(cs []casefile.Case) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.ID
	}
	return out
}

func getCase(t *testing.T, env *rmtest.Env, id string) casefile.Case {
	t.Helper()
	c, err := casefile.Get(env.Ctx, env.DB, env.Catalog, id)
	if err != nil {
		t.Fatalf("Get(%s): %v", id, err)
	}
	return c
}

func getOb(t *testing.T, env *rmtest.Env, id string, now time.Time) obligation.Item {
	t.Helper()
	it, err := obligation.Get(env.Ctx, env.DB, env.Catalog, id, now)
	if err != nil {
		t.Fatalf("obligation.Get(%s): %v", id, err)
	}
	return it
}

func list(t *testing.T, env *rmtest.Env, f casefile.Filter) []string {
	t.Helper()
	p, err := casefile.List(env.Ctx, env.DB, env.Catalog, f, 100, "")
	if err != nil {
		t.Fatalf("List(%+v): %v", f, err)
	}
	if p.TotalCount != len(p.Items) {
		t.Errorf("List(%+v): TotalCount = %d, items %d", f, p.TotalCount, len(p.Items))
	}
	return ids(p.Items)
}

func tallyOf(t *testing.T, env *rmtest.Env, unit string) dscore.Counters {
	t.Helper()
	c, err := scorecard.Get(env.Ctx, env.DB, env.Catalog, unit, 2026)
	if err != nil {
		t.Fatalf("scorecard.Get(%s): %v", unit, err)
	}
	return c.Counters
}

// TestReadModels runs the case, obligation and scorecard read models on
// SQLite and PostgreSQL, fed through the real command loop.
func TestReadModels(t *testing.T) {
	rmtest.Run(t, scorecardProjections,
		rmtest.Case{Name: "commitment case from push to revocation", Run: testLifecycle},
		rmtest.Case{Name: "inbox order and pagination", Run: testInbox},
		rmtest.Case{Name: "filters and pagination", Run: testFilters},
		rmtest.Case{Name: "routing failed and returned", Run: testRoutingFailed},
		rmtest.Case{Name: "overdue after a deadline miss", Run: testOverdue},
		rmtest.Case{Name: "obligation states at different times", Run: testObligationStates},
		rmtest.Case{Name: "calendar adjustment moves open due times", Run: testCalendarAdjustment},
		rmtest.Case{Name: "scorecard counters and ranking", Run: testScorecard},
		rmtest.Case{Name: "summaries", Run: testSummaries},
	)
}

func testLifecycle(t *testing.T, env *rmtest.Env) {
	d := newDistrict(t, env)
	d.push("c1", firm, at(6, 8, 10), at(6, 8, 11), commitment)
	d.sync()

	c := getCase(t, env, "c1")
	if c.Status != cases.StatusPushed || c.Mode != cases.ModeCommitment || !c.Open || c.ApprovingUnit != "u-office" ||
		c.MatterCode != "M-FOOD" || c.MatterName != "食品经营许可" || c.SubjectID != firm {
		t.Errorf("after push: %+v", c)
	}
	// Receipts and verification starts of both units are open; the push is done.
	if c.OpenObligations != 4 || c.Overdue {
		t.Errorf("after push: open obligations %d, overdue %v; want 4, false", c.OpenObligations, c.Overdue)
	}
	if got, want := c.SupervisingUnits(), []string{"u-scjgj", "u-yjj"}; !slices.Equal(got, want) {
		t.Errorf("supervising units = %v, want %v", got, want)
	}
	if !c.PushedAt.Equal(at(6, 8, 11)) || !c.DecidedAt.Equal(at(6, 8, 10)) || c.Version != 1 || c.Position.IsZero() {
		t.Errorf("times/version: pushed %v decided %v version %d position %v", c.PushedAt, c.DecidedAt, c.Version, c.Position)
	}
	open, err := casefile.OpenCasesFor(env.Ctx, env.DB, env.Catalog, "M-FOOD", firm)
	if err != nil || !slices.Equal(ids(open), []string{"c1"}) {
		t.Errorf("OpenCasesFor = %v, %v; want [c1]", ids(open), err)
	}

	d.cmd("c1", cases.Receive{Actor: supA, CaseID: "c1"}, at(6, 9, 9), supA)
	d.cmd("c1", cases.Receive{Actor: supB, CaseID: "c1"}, at(6, 9, 10), supB)
	d.cmd("c1", cases.StartVerification{Actor: supA, CaseID: "c1"}, at(6, 9, 11), supA)
	d.cmd("c1", cases.StartVerification{Actor: supB, CaseID: "c1"}, at(6, 9, 12), supB)
	d.sync()
	c = getCase(t, env, "c1")
	if c.Status != cases.StatusUnderVerification || c.OpenObligations != 0 {
		t.Errorf("under verification: status %s, open %d", c.Status, c.OpenObligations)
	}
	for _, u := range c.Units {
		if u.Supervising && (u.ReceivedAt == nil || u.Round != 1) {
			t.Errorf("unit %+v: want received in round 1", u)
		}
	}

	d.cmd("c1", cases.CompleteVerification{Actor: supA, CaseID: "c1", Result: cases.VerificationUntrue, Note: "承诺的经营场所不存在"}, at(6, 10, 9), supA)
	d.cmd("c1", cases.CompleteVerification{Actor: supB, CaseID: "c1", Result: cases.VerificationConfirmed}, at(6, 10, 9), supB)
	d.sync()
	if c = getCase(t, env, "c1"); c.Status != cases.StatusViolationFound || c.OpenObligations != 1 {
		t.Errorf("violation: status %s, open %d; want VIOLATION_FOUND, 1 (feedback)", c.Status, c.OpenObligations)
	}
	d.cmd("c1", cases.SubmitFeedback{Actor: supA, CaseID: "c1", ViolationSeq: 1, Channel: cases.ChannelSystem, Content: "承诺不实"}, at(6, 10, 10), supA)
	d.cmd("c1", cases.RequestRevocation{Actor: supA, CaseID: "c1", DocumentNumber: "津东市监〔2026〕1号", Reason: "承诺不实"}, at(6, 11, 9), supA)
	d.sync()
	if c = getCase(t, env, "c1"); c.Status != cases.StatusRevocationRequested || c.OpenObligations != 1 {
		t.Errorf("revocation requested: status %s, open %d", c.Status, c.OpenObligations)
	}
	d.cmd("c1", cases.DecideRevocation{Actor: approver, CaseID: "c1", DecisionNumber: "津东审批撤〔2026〕1号", Dishonest: true, Reason: "以欺骗手段取得"}, at(6, 12, 9), approver)
	d.sync()

	c = getCase(t, env, "c1")
	if c.Status != cases.StatusRevoked || c.Open || c.OpenObligations != 0 || c.Overdue {
		t.Errorf("revoked: %+v", c)
	}
	if c.Version != 11 || !c.UpdatedAt.Equal(at(6, 12, 9)) {
		t.Errorf("revoked: version %d updated %v; want 11, %v", c.Version, c.UpdatedAt, at(6, 12, 9))
	}
	open, err = casefile.OpenCasesFor(env.Ctx, env.DB, env.Catalog, "M-FOOD", firm)
	if err != nil || len(open) != 0 {
		t.Errorf("OpenCasesFor after revocation = %v, %v; want none", ids(open), err)
	}
	st, err := casefile.State(env.Ctx, env.DB, env.Catalog, "c1")
	if err != nil || !st.Revoked() || len(st.Violations) != 1 {
		t.Errorf("State = revoked %v, violations %d, %v", st.Revoked(), len(st.Violations), err)
	}

	p, err := obligation.List(env.Ctx, env.DB, env.Catalog, obligation.Filter{Subject: "case/c1"}, at(7, 1, 0), 50, "")
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[domain.ObligationKind]int{}
	for _, it := range p.Items {
		kinds[it.Kind]++
		if it.State != domain.ObFulfilledOnTime {
			t.Errorf("%s: state %s, want FULFILLED_ON_TIME", it.ID, it.State)
		}
	}
	want := map[domain.ObligationKind]int{domain.ObPush: 1, domain.ObReceipt: 2, domain.ObVerificationStart: 2,
		domain.ObFeedback: 1, domain.ObRevocationAnswer: 1}
	if diff := cmp.Diff(want, kinds); diff != "" {
		t.Errorf("obligation kinds (-want +got):\n%s", diff)
	}

	office := tallyOf(t, env, "u-office")
	if office.Pushes != (dscore.Tally{Due: 1, OnTime: 1}) || office.RevocationAnswers != (dscore.Tally{Due: 1, OnTime: 1}) {
		t.Errorf("u-office tallies: pushes %+v revocation answers %+v", office.Pushes, office.RevocationAnswers)
	}
	sa := tallyOf(t, env, "u-scjgj")
	one := dscore.Tally{Due: 1, OnTime: 1}
	if sa.Receipts != one || sa.VerificationStarts != one || sa.Feedback != one {
		t.Errorf("u-scjgj tallies: %+v", sa)
	}
	env.CheckRebuild(t)
}

func testInbox(t *testing.T, env *rmtest.Env) {
	d := newDistrict(t, env)
	d.push("i1", firm, at(6, 8, 8), at(6, 8, 9))
	d.push("i2", firm, at(6, 8, 8), at(6, 8, 10))
	d.push("i3", firm, at(6, 8, 8), at(6, 8, 11))
	d.push("i5", firm, at(6, 8, 8), at(6, 8, 12))
	d.push("i4", firm, at(6, 8, 8), at(6, 8, 12))
	d.cmd("i2", cases.Receive{Actor: supB, CaseID: "i2"}, at(6, 8, 13), supB)
	d.sync()

	var got []string
	after := ""
	for range 5 {
		p, err := casefile.Inbox(env.Ctx, env.DB, env.Catalog, "u-yjj", 2, after)
		if err != nil {
			t.Fatal(err)
		}
		if p.TotalCount != 4 {
			t.Errorf("TotalCount = %d, want 4", p.TotalCount)
		}
		for _, it := range p.Items {
			got = append(got, it.Case.ID)
			if it.Unit != "u-yjj" || it.Round != 1 || !it.AddressedAt.Equal(it.Case.PushedAt) {
				t.Errorf("inbox item %+v", it)
			}
		}
		if !p.HasNext {
			break
		}
		after = p.EndCursor
	}
	if want := []string{"i1", "i3", "i4", "i5"}; !slices.Equal(got, want) {
		t.Errorf("u-yjj inbox = %v, want %v (oldest first, ties by id)", got, want)
	}
	p, err := casefile.Inbox(env.Ctx, env.DB, env.Catalog, "u-scjgj", 10, "")
	if err != nil || p.TotalCount != 5 || len(p.Items) != 5 || p.HasNext {
		t.Errorf("u-scjgj inbox = %d items of %d, next %v, %v; want 5", len(p.Items), p.TotalCount, p.HasNext, err)
	}
	if _, err := casefile.Inbox(env.Ctx, env.DB, env.Catalog, "u-scjgj", 2, after); err == nil {
		t.Error("another inbox's cursor accepted")
	}
	// A return takes the push out of the unit's inbox.
	d.cmd("i1", cases.Return{Actor: supB, CaseID: "i1", Reason: cases.ReturnNotInScope}, at(6, 9, 9), supB)
	d.sync()
	if p, err = casefile.Inbox(env.Ctx, env.DB, env.Catalog, "u-yjj", 10, ""); err != nil || p.TotalCount != 3 || p.Items[0].Case.ID != "i3" {
		t.Errorf("after return: %d in inbox, %v; want 3 from i3", p.TotalCount, err)
	}
	env.CheckRebuild(t)
}

func testFilters(t *testing.T, env *rmtest.Env) {
	d := newDistrict(t, env)
	d.push("f1", firm, at(6, 8, 10), at(6, 8, 11))
	d.push("f2", firm2, at(6, 9, 10), at(6, 9, 11), commitment)
	d.push("f3", firm, at(6, 10, 10), at(6, 10, 11), func(p *cases.Push) { p.Matter = orphanMatter() })
	d.sync()

	yes, no := true, false
	for _, tc := range []struct {
		name string
		f    casefile.Filter
		want []string
	}{
		{"all, newest first", casefile.Filter{}, []string{"f3", "f2", "f1"}},
		{"approving unit", casefile.Filter{ApprovingUnit: "u-street"}, []string{"f3"}},
		{"supervising unit", casefile.Filter{SupervisingUnit: "u-yjj"}, []string{"f2", "f1"}},
		{"involves (approving)", casefile.Filter{InvolvesUnit: "u-street"}, []string{"f3"}},
		{"involves (supervising)", casefile.Filter{InvolvesUnit: "u-scjgj"}, []string{"f2", "f1"}},
		{"involves nobody", casefile.Filter{InvolvesUnit: "u-none"}, nil},
		{"matter", casefile.Filter{MatterCode: "M-ORPHAN"}, []string{"f3"}},
		{"subject", casefile.Filter{SubjectID: firm2}, []string{"f2"}},
		{"status", casefile.Filter{Status: cases.StatusRoutingFailed}, []string{"f3"}},
		{"outcome", casefile.Filter{Outcome: cases.OutcomeGranted}, []string{"f3", "f2", "f1"}},
		{"mode", casefile.Filter{Mode: cases.ModeCommitment}, []string{"f2"}},
		{"overdue", casefile.Filter{Overdue: &yes}, nil},
		{"not overdue", casefile.Filter{Overdue: &no}, []string{"f3", "f2", "f1"}},
		{"decided from", casefile.Filter{DecidedFrom: at(6, 9, 0)}, []string{"f3", "f2"}},
		{"decided to", casefile.Filter{DecidedTo: at(6, 9, 0)}, []string{"f1"}},
		{"combined", casefile.Filter{InvolvesUnit: "u-yjj", DecidedFrom: at(6, 9, 0)}, []string{"f2"}},
	} {
		if got := list(t, env, tc.f); !slices.Equal(got, tc.want) {
			t.Errorf("%s: List = %v, want %v", tc.name, got, tc.want)
		}
	}

	var got []string
	after := ""
	for range 4 {
		p, err := casefile.List(env.Ctx, env.DB, env.Catalog, casefile.Filter{}, 1, after)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, ids(p.Items)...)
		if p.TotalCount != 3 {
			t.Errorf("TotalCount = %d, want 3", p.TotalCount)
		}
		if !p.HasNext {
			break
		}
		after = p.EndCursor
	}
	if want := []string{"f3", "f2", "f1"}; !slices.Equal(got, want) {
		t.Errorf("paged = %v, want %v", got, want)
	}
	if _, err := casefile.List(env.Ctx, env.DB, env.Catalog, casefile.Filter{}, 1, "not a cursor"); err == nil {
		t.Error("bad cursor accepted")
	}
	env.CheckRebuild(t)
}

func testRoutingFailed(t *testing.T, env *rmtest.Env) {
	d := newDistrict(t, env)
	d.push("r1", firm, at(6, 8, 10), at(6, 8, 11), func(p *cases.Push) { p.Matter = orphanMatter() })
	d.push("r2", firm, at(6, 8, 10), at(6, 8, 12))
	d.cmd("r2", cases.Return{Actor: supB, CaseID: "r2", Reason: cases.ReturnWrongUnit}, at(6, 8, 14), supB)
	d.sync()

	if c := getCase(t, env, "r1"); c.Status != cases.StatusRoutingFailed || !c.ReroutePending || !c.RerouteSince.Equal(at(6, 8, 11)) {
		t.Errorf("r1: status %s pending %v since %v", c.Status, c.ReroutePending, c.RerouteSince)
	}
	if c := getCase(t, env, "r2"); c.Status != cases.StatusReturned || !slices.Equal(c.SupervisingUnits(), []string{"u-scjgj"}) {
		t.Errorf("r2: status %s supervising %v", c.Status, c.SupervisingUnits())
	}
	p, err := casefile.RoutingFailed(env.Ctx, env.DB, env.Catalog, "", 1, "")
	if err != nil || p.TotalCount != 2 || !slices.Equal(ids(p.Items), []string{"r1"}) || !p.HasNext {
		t.Fatalf("queue page 1 = %v of %d, next %v, %v", ids(p.Items), p.TotalCount, p.HasNext, err)
	}
	p, err = casefile.RoutingFailed(env.Ctx, env.DB, env.Catalog, "", 1, p.EndCursor)
	if err != nil || !slices.Equal(ids(p.Items), []string{"r2"}) || p.HasNext {
		t.Errorf("queue page 2 = %v, next %v, %v", ids(p.Items), p.HasNext, err)
	}
	if p, err = casefile.RoutingFailed(env.Ctx, env.DB, env.Catalog, "u-street", 10, ""); err != nil || !slices.Equal(ids(p.Items), []string{"r1"}) {
		t.Errorf("u-street queue = %v, %v", ids(p.Items), err)
	}
	if in, _ := casefile.Inbox(env.Ctx, env.DB, env.Catalog, "u-yjj", 10, ""); in.TotalCount != 0 {
		t.Errorf("returned push still in u-yjj's inbox")
	}

	d.cmd("r1", cases.ReRoute{Actor: street, CaseID: "r1", Units: []string{"u-wjw"}}, at(6, 8, 15), street)
	d.sync()
	if c := getCase(t, env, "r1"); c.Status != cases.StatusPushed || c.ReroutePending {
		t.Errorf("r1 after re-route: status %s pending %v", c.Status, c.ReroutePending)
	}
	if p, _ = casefile.RoutingFailed(env.Ctx, env.DB, env.Catalog, "", 10, ""); !slices.Equal(ids(p.Items), []string{"r2"}) {
		t.Errorf("queue after re-route = %v, want [r2]", ids(p.Items))
	}
	if in, _ := casefile.Inbox(env.Ctx, env.DB, env.Catalog, "u-wjw", 10, ""); in.TotalCount != 1 || in.Items[0].Case.ID != "r1" {
		t.Errorf("u-wjw inbox after re-route: %d", in.TotalCount)
	}
	if c := tallyOf(t, env, "u-office"); c.Returns != 1 {
		t.Errorf("u-office returns = %d, want 1", c.Returns)
	}
	env.CheckRebuild(t)
}

func testOverdue(t *testing.T, env *rmtest.Env) {
	d := newDistrict(t, env)
	d.push("o1", firm, at(6, 8, 10), at(6, 8, 11))
	d.cmd("o1", cases.Receive{Actor: supA, CaseID: "o1"}, at(6, 8, 15), supA)
	d.sync()

	it := getOb(t, env, "case/o1/RECEIPT/u-yjj", at(6, 8, 16))
	late := it.Due.At.Add(time.Hour)
	d.miss(it.Obligation, late)
	d.sync()

	if c := getCase(t, env, "o1"); !c.Overdue || c.OpenObligations != 1 {
		t.Errorf("after miss: overdue %v, open %d; want true, 1", c.Overdue, c.OpenObligations)
	}
	yes := true
	if got := list(t, env, casefile.Filter{Overdue: &yes}); !slices.Equal(got, []string{"o1"}) {
		t.Errorf("overdue list = %v", got)
	}
	it = getOb(t, env, "case/o1/RECEIPT/u-yjj", late)
	if it.MissedAt == nil || !it.MissedAt.Equal(late) || it.State != domain.ObOverdue {
		t.Errorf("missed obligation: missed %v state %s", it.MissedAt, it.State)
	}
	if c := tallyOf(t, env, "u-yjj"); c.Receipts != (dscore.Tally{Due: 1, Missing: 1}) {
		t.Errorf("u-yjj receipts after miss = %+v", c.Receipts)
	}
	// A miss recorded twice stays one.
	d.miss(it.Obligation, late.Add(time.Minute))

	d.cmd("o1", cases.Receive{Actor: supB, CaseID: "o1"}, late.Add(time.Hour), supB)
	d.sync()
	if c := getCase(t, env, "o1"); c.Overdue || c.OpenObligations != 0 {
		t.Errorf("after late receipt: overdue %v, open %d", c.Overdue, c.OpenObligations)
	}
	if it = getOb(t, env, "case/o1/RECEIPT/u-yjj", late); it.State != domain.ObFulfilledLate || it.MissedAt == nil {
		t.Errorf("late receipt: state %s missed %v", it.State, it.MissedAt)
	}
	if c := tallyOf(t, env, "u-yjj"); c.Receipts != (dscore.Tally{Due: 1, Late: 1}) {
		t.Errorf("u-yjj receipts after late receipt = %+v, want missing moved to late", c.Receipts)
	}
	env.CheckRebuild(t)
}

func testObligationStates(t *testing.T, env *rmtest.Env) {
	d := newDistrict(t, env)
	pushAt := at(6, 8, 11)
	d.push("s1", firm, at(6, 8, 10), pushAt)
	d.sync()

	id := "case/s1/RECEIPT/u-scjgj"
	it := getOb(t, env, id, pushAt)
	if want := calendar.New().AddWorkingDays(pushAt, 1); !it.Due.At.Equal(want.At) || it.Due.Provisional != want.Provisional {
		t.Errorf("due = %+v, want %+v", it.Due, want)
	}
	if it.ResponsibleUnit != "u-scjgj" || it.CounterpartUnit != "u-office" || it.Rule != "R2" || it.Subject != "case/s1" ||
		!it.StartedAt.Equal(pushAt) || len(it.Warnings) != 3 || !it.NextAt.Equal(it.WarnAt) {
		t.Errorf("obligation = %+v", it)
	}
	for _, tc := range []struct {
		now  time.Time
		want domain.ObligationState
	}{
		{pushAt.Add(time.Hour), domain.ObOpen},
		{it.WarnAt, domain.ObDueSoon},
		{it.Due.At.Add(-time.Second), domain.ObDueSoon},
		{it.Due.At, domain.ObOverdue},
	} {
		p, err := obligation.List(env.Ctx, env.DB, env.Catalog, obligation.Filter{Unit: "u-scjgj", State: tc.want}, tc.now, 10, "")
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Items) != 1 || p.Items[0].ID != id || p.Items[0].State != tc.want {
			t.Errorf("at %v: List(state %s) = %+v", tc.now, tc.want, p.Items)
		}
		counts, err := obligation.Counts(env.Ctx, env.DB, env.Catalog, "u-scjgj", tc.now)
		if err != nil {
			t.Fatal(err)
		}
		if want := []obligation.Count{{Kind: domain.ObReceipt, State: tc.want, N: 1}}; !cmp.Equal(counts, want) {
			t.Errorf("at %v: Counts = %+v, want %+v", tc.now, counts, want)
		}
	}
	// Per-unit lists include the obligations owed to a unit (counterpart).
	p, err := obligation.List(env.Ctx, env.DB, env.Catalog, obligation.Filter{Unit: "u-office"}, pushAt, 1, "")
	if err != nil || p.TotalCount != 3 || len(p.Items) != 1 || !p.HasNext {
		t.Fatalf("u-office list = %d of %d, %v", len(p.Items), p.TotalCount, err)
	}
	p2, err := obligation.List(env.Ctx, env.DB, env.Catalog, obligation.Filter{Unit: "u-office"}, pushAt, 5, p.EndCursor)
	if err != nil || len(p2.Items) != 2 || p2.HasNext || p2.Items[0].ID == p.Items[0].ID {
		t.Errorf("u-office page 2 = %d items, next %v, %v", len(p2.Items), p2.HasNext, err)
	}
	p, err = obligation.List(env.Ctx, env.DB, env.Catalog, obligation.Filter{Unit: "u-office", ResponsibleOnly: true, Kind: domain.ObPush}, pushAt, 5, "")
	if err != nil || len(p.Items) != 1 || p.Items[0].State != domain.ObFulfilledOnTime {
		t.Errorf("u-office push = %+v, %v", p.Items, err)
	}

	// The scheduler's view: both receipts are due at their warn time.
	due, err := obligation.Due(env.Ctx, env.DB, env.Catalog, it.WarnAt.Add(time.Second), 10)
	if err != nil || len(due) != 2 || due[0].ID != id {
		t.Fatalf("Due = %d items, %v", len(due), err)
	}
	next, ok, err := obligation.NextDue(env.Ctx, env.DB, env.Catalog)
	if err != nil || !ok || !next.Equal(it.WarnAt) {
		t.Errorf("NextDue = %v, %v, %v; want %v", next, ok, err, it.WarnAt)
	}
	first := it.Warnings[0]
	d.warn(it.Obligation, first.Tier, first.At)
	d.sync()
	it = getOb(t, env, id, first.At)
	if !slices.Equal(it.Warned, []domain.WarningTier{first.Tier}) || !it.NextAt.Equal(it.Warnings[1].At) {
		t.Errorf("after %s warning: warned %v next %v, want next %v", first.Tier, it.Warned, it.NextAt, it.Warnings[1].At)
	}
	if due, _ = obligation.Due(env.Ctx, env.DB, env.Catalog, it.WarnAt.Add(time.Second), 10); len(due) != 1 || due[0].ID == id {
		t.Errorf("Due after the warning = %+v, want only the other receipt", due)
	}

	d.cmd("s1", cases.Receive{Actor: supA, CaseID: "s1"}, first.At.Add(time.Hour), supA)
	d.cmd("s1", cases.Receive{Actor: supB, CaseID: "s1"}, first.At.Add(time.Hour), supB)
	d.sync()
	if it = getOb(t, env, id, it.Due.At.Add(time.Hour)); it.State != domain.ObFulfilledOnTime || !it.NextAt.IsZero() {
		t.Errorf("after receipt: state %s next %v", it.State, it.NextAt)
	}
	if _, ok, err := obligation.NextDue(env.Ctx, env.DB, env.Catalog); ok || err != nil {
		t.Errorf("NextDue with nothing open = %v, %v", ok, err)
	}
	env.CheckRebuild(t)
}

func testCalendarAdjustment(t *testing.T, env *rmtest.Env) {
	d := newDistrict(t, env)
	pushAt := at(6, 8, 11)
	d.push("a1", firm, at(6, 8, 10), pushAt)
	d.push("a2", firm, at(6, 8, 10), pushAt)
	d.cmd("a2", cases.Receive{Actor: supA, CaseID: "a2"}, at(6, 8, 12), supA)
	d.cmd("a2", cases.Receive{Actor: supB, CaseID: "a2"}, at(6, 8, 12), supB)
	d.sync()
	before := getOb(t, env, "case/a1/RECEIPT/u-scjgj", pushAt)
	done := getOb(t, env, "case/a2/RECEIPT/u-scjgj", pushAt)

	dec := timepolicyDecider()
	handle(d, dec, timepolicy.Stream, timepolicy.Command(timepolicy.AdjustCalendar{Actor: office, Date: "2026-06-09",
		Working: false, Name: "临时停工", Reason: "防汛"}), at(6, 8, 13), office)
	d.push("a3", firm, at(6, 8, 10), pushAt.Add(3*time.Hour))
	d.sync()

	after := getOb(t, env, "case/a1/RECEIPT/u-scjgj", pushAt)
	if after.Due.At.Equal(before.Due.At) || !after.Due.At.After(before.Due.At) {
		t.Errorf("open receipt due %v, was %v: want it moved later by the rest day", after.Due.At, before.Due.At)
	}
	if got := getOb(t, env, "case/a2/RECEIPT/u-scjgj", pushAt); !got.Due.At.Equal(done.Due.At) {
		t.Errorf("fulfilled receipt due moved: %v -> %v", done.Due, got.Due)
	}
	if a3 := getOb(t, env, "case/a3/RECEIPT/u-scjgj", pushAt); !a3.Due.At.Equal(after.Due.At) {
		t.Errorf("new case due %v, want %v", a3.Due.At, after.Due.At)
	}
	env.CheckRebuild(t)
}

func testScorecard(t *testing.T, env *rmtest.Env) {
	d := newDistrict(t, env)
	for _, u := range []string{"u-office", "u-scjgj", "u-yjj", "u-wjw"} {
		d.registerUnit(u, u, directory.KindApproval, directory.KindSupervision)
	}
	d.push("k1", firm, at(6, 8, 10), at(6, 8, 11))
	d.cmd("k1", cases.Receive{Actor: supA, CaseID: "k1"}, at(6, 8, 15), supA)
	d.cmd("k1", cases.CorrectPush{Actor: approver, CaseID: "k1", Reason: "许可证号有误", PermitNumber: "JY-FIXED"}, at(6, 8, 16), approver)
	d.sync()
	it := getOb(t, env, "case/k1/RECEIPT/u-yjj", at(6, 8, 16))
	d.miss(it.Obligation, it.Due.At.Add(time.Minute))
	d.problem("p1", at(6, 9, 9), true)
	d.problem("p2", at(6, 9, 10), false)
	d.finding("city-1", "u-yjj", dscore.SourceExternalCity, at(6, 20, 9))
	d.sync()

	want := map[string]float64{"u-wjw": 100, "u-scjgj": 95, "u-office": 88, "u-yjj": 75}
	for u, total := range want {
		c, err := scorecard.Get(env.Ctx, env.DB, env.Catalog, u, 2026)
		if err != nil {
			t.Fatal(err)
		}
		if c.Total != total || !c.DefaultRubric || c.RubricVersion != 1 {
			t.Errorf("%s: total %v (rubric %d, default %v), want %v; counters %+v", u, c.Total, c.RubricVersion, c.DefaultRubric, total, c.Counters)
		}
	}
	if c := tallyOf(t, env, "u-scjgj"); c.ProblemsRaised != 2 || c.ProblemsResolved != 1 {
		t.Errorf("u-scjgj problems = %d raised, %d resolved; want 2, 1", c.ProblemsRaised, c.ProblemsResolved)
	}
	if c := tallyOf(t, env, "u-office"); c.Corrections != 1 || c.Pushes != (dscore.Tally{Due: 1, OnTime: 1}) {
		t.Errorf("u-office: corrections %d pushes %+v", c.Corrections, c.Pushes)
	}
	if c, _ := scorecard.Get(env.Ctx, env.DB, env.Catalog, "u-yjj", 2026); len(c.Findings) != 1 || c.Findings[0].Source != dscore.SourceExternalCity {
		t.Errorf("u-yjj findings = %+v", c.Findings)
	}

	var got []string
	after := ""
	for range 5 {
		p, err := scorecard.Ranking(env.Ctx, env.DB, env.Catalog, 2026, 3, after)
		if err != nil {
			t.Fatal(err)
		}
		if p.TotalCount != 4 {
			t.Errorf("ranking TotalCount = %d, want 4", p.TotalCount)
		}
		for _, r := range p.Items {
			got = append(got, r.Unit)
			if r.Total != want[r.Unit] || r.Rank != len(got) {
				t.Errorf("rank %+v", r)
			}
		}
		if !p.HasNext {
			break
		}
		after = p.EndCursor
	}
	if w := []string{"u-wjw", "u-scjgj", "u-office", "u-yjj"}; !slices.Equal(got, w) {
		t.Errorf("ranking = %v, want %v", got, w)
	}
	env.CheckRebuild(t)
}

// testSummaries checks the half-year summary obligations (R11): owed by the
// approving units (APPROVAL, STREET) for every half year started by the
// latest event, fulfilled by the first submission.
func testSummaries(t *testing.T, env *rmtest.Env) {
	d := newDistrict(t, env)
	d.registerUnit("u-appr", "审批局", directory.KindApproval)
	d.registerUnit("u-jd", "街道", directory.KindStreet)
	d.registerUnit("u-sup", "监管局", directory.KindSupervision)
	d.sync()

	dec := command.Decider[summary.State, summary.Command]{Evolve: summary.Evolve, Decide: summary.Decide}
	submit := func(unit string, half summary.Half, content string, now time.Time) {
		t.Helper()
		a := domain.Actor{ID: "p-" + unit, Unit: unit, Roles: []domain.Role{domain.RoleApprover}}
		handle(d, dec, summary.StreamID(summary.ID(unit, 2026, half)), summary.Command(summary.SubmitSummary{
			Actor: a, Unit: unit, Year: 2026, Half: half, Content: content}), now, a)
	}
	summaries := func(unit string, now time.Time) map[string]domain.ObligationState {
		t.Helper()
		p, err := obligation.List(env.Ctx, env.DB, env.Catalog, obligation.Filter{Unit: unit, Kind: domain.ObSummary}, now, 50, "")
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]domain.ObligationState{}
		for _, it := range p.Items {
			got[it.ID] = it.State
		}
		return got
	}
	const (
		apprH1, apprH2 = "summary/u-appr/2026/H1", "summary/u-appr/2026/H2"
		jdH1, jdH2     = "summary/u-jd/2026/H1", "summary/u-jd/2026/H2"
		supH1, supH2   = "summary/u-sup/2026/H1", "summary/u-sup/2026/H2"
	)

	// In the first half year only its summaries are owed, by the approving
	// units only; the clock starts when the half year ends.
	if got, want := summaries("", at(6, 1, 9)), map[string]domain.ObligationState{
		apprH1: domain.ObOpen, jdH1: domain.ObOpen}; !cmp.Equal(got, want) {
		t.Errorf("summaries in H1 = %v, want %v", got, want)
	}
	it := getOb(t, env, apprH1, at(6, 1, 9))
	_, end := summary.Period(2026, summary.H1)
	if want := calendar.New().AddWorkingDays(end.AddDate(0, 0, -1), domain.DefaultPolicy().SummaryDueDaysAfterHalf); !it.Due.At.Equal(want.At) ||
		!it.StartedAt.Equal(end) || it.ResponsibleUnit != "u-appr" || it.Rule != "R11" || it.Subject != apprH1 {
		t.Errorf("H1 summary obligation = %+v, want due %v", it.Obligation, want)
	}

	// An event of the second half year (a push on 2 July) makes its summaries
	// owed too. u-appr submits on time, u-jd late and then amends it; the
	// supervising unit's submission creates no obligation.
	d.push("h1", firm, at(7, 1, 10), at(7, 2, 9))
	d.sync()
	submit("u-appr", summary.H1, "上半年工作小结", at(7, 3, 10))
	submit("u-sup", summary.H1, "监管局上半年工作小结", at(7, 3, 11))
	d.sync()
	late := it.Due.At.Add(48 * time.Hour)
	submit("u-jd", summary.H1, "街道上半年工作小结", late)
	submit("u-jd", summary.H1, "街道上半年工作小结（修订）", late.Add(72*time.Hour))
	d.sync()

	now := at(8, 20, 9)
	if got, want := summaries("", now), map[string]domain.ObligationState{
		apprH1: domain.ObFulfilledOnTime, apprH2: domain.ObOpen,
		jdH1: domain.ObFulfilledLate, jdH2: domain.ObOpen}; !cmp.Equal(got, want) {
		t.Errorf("summaries in H2 = %v, want %v", got, want)
	}
	if got := getOb(t, env, jdH1, now); got.FulfilledAt == nil || !got.FulfilledAt.Equal(late) {
		t.Errorf("u-jd H1 fulfilled at %v, want the first submission %v", got.FulfilledAt, late)
	}
	if got := summaries("u-sup", now); len(got) != 0 {
		t.Errorf("supervising unit owes summaries: %v", got)
	}
	if c := tallyOf(t, env, "u-appr"); c.Summaries != (dscore.Tally{Due: 1, OnTime: 1}) {
		t.Errorf("u-appr summaries tally = %+v, want 1 on time", c.Summaries)
	}
	if c := tallyOf(t, env, "u-jd"); c.Summaries != (dscore.Tally{Due: 1, Late: 1}) {
		t.Errorf("u-jd summaries tally = %+v, want 1 late", c.Summaries)
	}
	env.CheckRebuild(t)

	// A unit amended to approve owes the summaries from the half year of the
	// amendment on; its earlier submission stays without an obligation.
	udec := command.Decider[directory.UnitState, directory.UnitCommand]{Evolve: directory.EvolveUnit, Decide: directory.DecideUnit}
	handle(d, udec, directory.UnitStreamID("u-sup"), directory.UnitCommand(directory.AmendUnit{Actor: office, UnitID: "u-sup",
		Name: "监管局", Kinds: []directory.Kind{directory.KindSupervision, directory.KindApproval}}), at(8, 21, 9), office)
	d.sync()
	if got, want := summaries("u-sup", now), map[string]domain.ObligationState{supH2: domain.ObOpen}; !cmp.Equal(got, want) {
		t.Errorf("amended unit's summaries = %v, want %v", got, want)
	}
	if _, err := obligation.Get(env.Ctx, env.DB, env.Catalog, supH1, now); !errors.Is(err, obligation.ErrNotFound) {
		t.Errorf("amended unit's H1 summary: %v, want ErrNotFound", err)
	}
	env.CheckRebuild(t)
}

// TestRebuildIndexes checks that the secondary indexes (projections.Indexer)
// of every read model exist in the active generation both when a runner set
// it up and after a rebuild, which builds them after its pass.
func TestRebuildIndexes(t *testing.T) {
	for _, b := range rmtest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			env := rmtest.NewEnv(t, b, allReadModels()...)
			newDistrict(t, env).push("c1", firm, at(6, 8, 10), at(6, 8, 11), commitment)
			env.Sync(t)
			checkIndexes(t, env, "after setup")
			if err := projections.Rebuild(env.Ctx, env.Store, env.DB, env.Projections, projections.RebuildOptions{}); err != nil {
				t.Fatal(err)
			}
			env.Catalog.Invalidate("")
			checkIndexes(t, env, "after rebuild")
		})
	}
}

func checkIndexes(t *testing.T, env *rmtest.Env, when string) {
	t.Helper()
	n := 0
	for _, p := range env.Projections {
		ix, ok := p.(projections.Indexer)
		if !ok {
			continue
		}
		tables, err := env.Catalog.Tables(env.Ctx, p.Name())
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range ix.Indexes(env.DB.Dialect(), tables) {
			f := strings.Fields(s)
			if len(f) < 3 || f[0] != "CREATE" || f[1] != "INDEX" {
				t.Fatalf("%s: not a CREATE INDEX statement: %s", p.Name(), s)
			}
			q := `SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = $1`
			if env.DB.Dialect() == rmstore.Postgres {
				q = `SELECT count(*) FROM pg_indexes WHERE indexname = $1`
			}
			var c int64
			if err := env.DB.QueryRow(env.Ctx, q, f[2]).Scan(&c); err != nil {
				t.Fatal(err)
			}
			if c != 1 {
				t.Errorf("%s: index %s missing %s", p.Name(), f[2], when)
			}
			n++
		}
	}
	if n < 10 {
		t.Errorf("only %d indexes checked", n)
	}
}

// TestRebuildOfDistrictMatchesIncremental runs every read model over a
// generated district (the rebuild benchmark's, checked against the domain by
// TestGeneratedDistrictIsValid) as the live runner does, then rebuilds them
// all, in one chunk and in chunks of a few events: the rows must be the same.
func TestRebuildOfDistrictMatchesIncremental(t *testing.T) {
	for _, b := range rmtest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			env := rmtest.NewEnv(t, b, allReadModels()...)
			if n := generateDistrict(t, env.Ctx, env.Store, 150); n < 1000 {
				t.Fatalf("district of %d events", n)
			}
			env.Sync(t)
			env.CheckRebuild(t)
		})
	}
}
