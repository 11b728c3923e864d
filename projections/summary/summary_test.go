package summary_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"shenguan/domain"
	"shenguan/domain/summary"
	"shenguan/eventstore/command"
	"shenguan/eventstore/events"
	"shenguan/projections"
	"shenguan/projections/rmtest"
	rm "shenguan/projections/summary"
)

var (
	registry = events.Registry()
	t0       = time.Date(2026, 7, 3, 9, 0, 0, 0, time.UTC)
	decider  = command.Decider[summary.State, summary.Command]{Evolve: summary.Evolve, Decide: summary.Decide}
)

func approver(unit string) domain.Actor {
	return domain.Actor{ID: unit + "-approver", Unit: unit, Roles: []domain.Role{domain.RoleApprover}}
}

func submit(t *testing.T, env *rmtest.Env, unit string, year int, half summary.Half, content string, at time.Time) {
	t.Helper()
	c := summary.SubmitSummary{Actor: approver(unit), Unit: unit, Year: year, Half: half, Content: content, SubmittedAt: at}
	_, err := command.Handle(env.Ctx, env.Store, registry, decider, summary.StreamID(summary.ID(unit, year, half)), summary.Command(c), command.Options{Now: at})
	if err != nil {
		t.Fatalf("submit %s %d %s: %v", unit, year, half, err)
	}
}

func TestReadModels(t *testing.T) {
	rmtest.Run(t, func() []projections.Projection { return []projections.Projection{rm.Projection{}} },
		rmtest.Case{Name: "summaries with amendments, filtered and paged", Run: func(t *testing.T, env *rmtest.Env) {
			units := []string{"spj", "jd1", "jd2"}
			for _, u := range units {
				submit(t, env, u, 2025, summary.H2, u+"下半年小结", t0.Add(-180*24*time.Hour))
				submit(t, env, u, 2026, summary.H1, u+"上半年小结", t0)
			}
			env.Sync(t)
			submit(t, env, "jd1", 2026, summary.H1, "jd1上半年小结（修订）", t0.Add(24*time.Hour))
			submit(t, env, "jd1", 2026, summary.H1, "jd1上半年小结（再修订）", t0.Add(48*time.Hour))
			keys := env.SyncKeys(t, "summary")
			if diff := cmp.Diff([]string{"summaries:jd1"}, keys); diff != "" {
				t.Errorf("changes keys of the amendments (-want +got):\n%s", diff)
			}
			got, err := rm.SummaryOf(env.Ctx, env.DB, env.Catalog, "jd1", 2026, summary.H1)
			if err != nil {
				t.Fatal(err)
			}
			want := rm.Summary{Unit: "jd1", Year: 2026, Half: summary.H1, Content: "jd1上半年小结（再修订）", SubmittedBy: approver("jd1"),
				SubmittedAt: t0, Amendments: 2, AmendedAt: t0.Add(48 * time.Hour), History: []rm.Amendment{
					{Content: "jd1上半年小结（修订）", By: approver("jd1"), At: t0.Add(24 * time.Hour)},
					{Content: "jd1上半年小结（再修订）", By: approver("jd1"), At: t0.Add(48 * time.Hour)}}}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("SummaryOf(jd1, 2026, H1) (-want +got):\n%s", diff)
			}
			if _, err := rm.SummaryOf(env.Ctx, env.DB, env.Catalog, "jd1", 2026, summary.H2); !errors.Is(err, projections.ErrNotFound) {
				t.Errorf("SummaryOf(unsubmitted) error = %v, want ErrNotFound", err)
			}
			list := func(f rm.Filter) []string {
				var out []string
				for _, s := range rmtest.All(t, 2, func(first int, after string) (projections.Page[rm.Summary], error) {
					return rm.Summaries(env.Ctx, env.DB, env.Catalog, f, first, after)
				}) {
					out = append(out, fmt.Sprintf("%d%s/%s", s.Year, s.Half, s.Unit))
				}
				return out
			}
			for _, tc := range []struct {
				name string
				f    rm.Filter
				want []string
			}{
				{"all", rm.Filter{}, []string{"2025H2/jd1", "2025H2/jd2", "2025H2/spj", "2026H1/jd1", "2026H1/jd2", "2026H1/spj"}},
				{"unit jd2", rm.Filter{Unit: "jd2"}, []string{"2025H2/jd2", "2026H1/jd2"}},
				{"2026", rm.Filter{Year: 2026}, []string{"2026H1/jd1", "2026H1/jd2", "2026H1/spj"}},
				{"H2 of spj", rm.Filter{Unit: "spj", Half: summary.H2}, []string{"2025H2/spj"}},
				{"2026 H2", rm.Filter{Year: 2026, Half: summary.H2}, nil},
			} {
				if diff := cmp.Diff(tc.want, list(tc.f)); diff != "" {
					t.Errorf("%s (-want +got):\n%s", tc.name, diff)
				}
			}
			env.CheckRebuild(t)
		}},
	)
}
