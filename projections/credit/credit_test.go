package credit_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"shenguan/domain"
	"shenguan/domain/credit"
	"shenguan/domain/subject"
	"shenguan/eventstore/command"
	"shenguan/eventstore/events"
	"shenguan/projections"
	rm "shenguan/projections/credit"
	"shenguan/projections/rmtest"
)

var (
	registry = events.Registry()
	system   = domain.Actor{ID: "credit-pm", Unit: "system", Roles: []domain.Role{domain.RoleSystem}}
	office   = domain.Actor{ID: "office-1", Unit: "qzwfb", Roles: []domain.Role{domain.RoleServiceOffice}}
	t0       = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	decider  = command.Decider[credit.State, credit.Command]{Evolve: credit.Evolve, Decide: credit.Decide}
)

func uscc(t *testing.T, i int) string {
	t.Helper()
	first := fmt.Sprintf("91120110MA%07d", i)
	c, err := subject.USCCCheckChar(first)
	if err != nil {
		t.Fatal(err)
	}
	return first + string(c)
}

func handle(t *testing.T, env *rmtest.Env, subjectID string, c credit.Command) {
	t.Helper()
	_, err := command.Handle(env.Ctx, env.Store, registry, decider, credit.StreamID(subjectID), c, command.Options{Now: t0})
	if err != nil {
		t.Fatalf("handle %T for %s: %v", c, subjectID, err)
	}
}

func record(t *testing.T, env *rmtest.Env, id string, n int, at time.Time) {
	t.Helper()
	handle(t, env, id, credit.RecordDishonesty{Actor: system, SubjectKind: subject.KindOrganisation, SubjectID: id,
		SubjectName: "某公司" + id[len(id)-3:], Cause: credit.CauseRevocation, SourceCaseID: fmt.Sprintf("case-%d", n),
		SourceEventID: fmt.Sprintf("ev-%d", n), DecisionNumber: fmt.Sprintf("东丽撤字〔2026〕%d号", n), ApprovingUnit: "spj", At: at})
}

func TestReadModels(t *testing.T) {
	rmtest.Run(t, func() []projections.Projection { return []projections.Projection{rm.Projection{}} },
		rmtest.Case{Name: "credit records with repair, entries paged and filtered", Run: func(t *testing.T, env *rmtest.Env) {
			a, b := uscc(t, 1), uscc(t, 2)
			for n := range 4 {
				record(t, env, a, n, t0.Add(time.Duration(n)*time.Hour))
			}
			record(t, env, b, 10, t0.Add(90*time.Minute))
			record(t, env, b, 10, t0.Add(90*time.Minute)) // the process manager retries: no second entry
			keys := env.SyncKeys(t, "credit")
			if diff := cmp.Diff([]string{"credit:" + a, "credit:" + b}, keys); diff != "" {
				t.Errorf("changes keys (-want +got):\n%s", diff)
			}
			handle(t, env, a, credit.RepairEntry{Actor: office, EntryID: a + "-2", Reason: "已整改", At: t0.Add(24 * time.Hour)})
			env.Sync(t)

			rec, err := rm.RecordOf(env.Ctx, env.DB, env.Catalog, " "+strings.ToLower(a)+" ")
			if err != nil {
				t.Fatal(err)
			}
			if rec.SubjectID != a || rec.Dishonest != 3 || len(rec.Entries) != 4 {
				t.Fatalf("record of a = %s, dishonest %d, %d entries; want %s, 3, 4", rec.SubjectID, rec.Dishonest, len(rec.Entries), a)
			}
			want := rm.Entry{EntryID: a + "-2", SubjectKind: subject.KindOrganisation, SubjectID: a, SubjectName: "某公司" + a[len(a)-3:],
				Cause: credit.CauseRevocation, SourceCaseID: "case-1", SourceEventID: "ev-1", DecisionNumber: "东丽撤字〔2026〕1号",
				ApprovingUnit: "spj", RecordedBy: system, RecordedAt: t0.Add(time.Hour), Repaired: true,
				RepairedAt: t0.Add(24 * time.Hour), RepairReason: "已整改", RepairedBy: office}
			if diff := cmp.Diff(want, rec.Entries[1]); diff != "" {
				t.Errorf("repaired entry (-want +got):\n%s", diff)
			}
			if _, err := rm.RecordOf(env.Ctx, env.DB, env.Catalog, uscc(t, 3)); !errors.Is(err, projections.ErrNotFound) {
				t.Errorf("RecordOf(clean subject) error = %v, want ErrNotFound", err)
			}

			ids := func(f rm.EntryFilter) []string {
				var out []string
				for _, e := range rmtest.All(t, 2, func(first int, after string) (projections.Page[rm.Entry], error) {
					return rm.Entries(env.Ctx, env.DB, env.Catalog, f, first, after)
				}) {
					out = append(out, e.EntryID)
				}
				return out
			}
			for _, tc := range []struct {
				name string
				f    rm.EntryFilter
				want []string
			}{
				{"all in order recorded", rm.EntryFilter{}, []string{a + "-1", a + "-2", b + "-1", a + "-3", a + "-4"}},
				{"dishonest only", rm.EntryFilter{DishonestOnly: true}, []string{a + "-1", b + "-1", a + "-3", a + "-4"}},
				{"subject a, dishonest only", rm.EntryFilter{SubjectID: a, DishonestOnly: true}, []string{a + "-1", a + "-3", a + "-4"}},
				{"subject b", rm.EntryFilter{SubjectID: b}, []string{b + "-1"}},
				{"penalties", rm.EntryFilter{Cause: credit.CausePenalty}, nil},
			} {
				if diff := cmp.Diff(tc.want, ids(tc.f)); diff != "" {
					t.Errorf("%s (-want +got):\n%s", tc.name, diff)
				}
			}
			env.CheckRebuild(t)
		}},
	)
}
