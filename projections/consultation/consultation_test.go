package consultation_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"shenguan/domain"
	"shenguan/domain/consultation"
	"shenguan/eventstore/command"
	"shenguan/eventstore/events"
	"shenguan/projections"
	rm "shenguan/projections/consultation"
	"shenguan/projections/rmtest"
)

var (
	registry = events.Registry()
	office   = domain.Actor{ID: "office-1", Unit: "qzwfb", Roles: []domain.Role{domain.RoleServiceOffice}}
	t0       = time.Date(2026, 5, 6, 9, 0, 0, 0, time.UTC)
	decider  = command.Decider[consultation.State, consultation.Command]{Evolve: consultation.Evolve, Decide: consultation.Decide}
)

func member(unit string, role domain.Role) domain.Actor {
	return domain.Actor{ID: unit + "-" + string(role), Unit: unit, Roles: []domain.Role{role}}
}

func handle(t *testing.T, env *rmtest.Env, id string, c consultation.Command) {
	t.Helper()
	_, err := command.Handle(env.Ctx, env.Store, registry, decider, consultation.StreamID(id), c, command.Options{Now: t0.Add(30 * 24 * time.Hour)})
	if err != nil {
		t.Fatalf("handle %T on consultation %s: %v", c, id, err)
	}
}

func ptr[T any](v T) *T { return &v }

func TestReadModels(t *testing.T) {
	rmtest.Run(t, func() []projections.Projection { return []projections.Projection{rm.Projection{}} },
		rmtest.Case{Name: "consultations, resolutions and their execution", Run: func(t *testing.T, env *rmtest.Env) {
			rec := consultation.Record{InformationExchange: "推送查收及时", ProblemsAndMeasures: "个别退回", Other: "无"}
			// d0..d3: district meetings a day apart, each with two resolutions (scjg and spj).
			for i := range 4 {
				id := fmt.Sprintf("d%d", i)
				handle(t, env, id, consultation.RecordMeeting{Actor: office, ID: id, Scope: consultation.ScopeDistrict,
					HeldAt: t0.Add(time.Duration(i) * 24 * time.Hour), Record: rec,
					Attendees: []consultation.Attendee{{Unit: "scjg", Name: "张三"}, {Unit: "spj", Name: "李四"}},
					Resolutions: []consultation.Resolution{
						{ID: "r1", Text: "限期查收", OwnerUnit: "scjg", DueDate: "2026-06-30"},
						{ID: "r2", Text: "更正推送", OwnerUnit: "spj"}}})
			}
			// u0: a unit meeting of yjgl, held between d1 and d2.
			handle(t, env, "u0", consultation.RecordMeeting{Actor: member("yjgl", domain.RoleCoordinatorL3), ID: "u0",
				Scope: consultation.ScopeUnit, Unit: "yjgl", HeldAt: t0.Add(36 * time.Hour), Record: rec,
				Attendees:   []consultation.Attendee{{Unit: "yjgl", Name: "王五"}},
				Resolutions: []consultation.Resolution{{ID: "r1", Text: "梳理事项", OwnerUnit: "yjgl"}}})
			env.Sync(t)
			handle(t, env, "d1", consultation.ReportResolutionImplemented{Actor: member("scjg", domain.RoleSupervisor), ResolutionID: "r1",
				Note: "已全部查收", At: t0.Add(5 * 24 * time.Hour)})
			handle(t, env, "u0", consultation.ReportResolutionImplemented{Actor: member("yjgl", domain.RoleCoordinatorL1), ResolutionID: "r1",
				Note: "已梳理", At: t0.Add(6 * 24 * time.Hour)})
			keys := env.SyncKeys(t, "consultation")
			if diff := cmp.Diff([]string{"consultation:d1", "consultation:u0", "resolutions:scjg", "resolutions:yjgl"}, keys); diff != "" {
				t.Errorf("changes keys of the reports (-want +got):\n%s", diff)
			}

			got, err := rm.ConsultationByID(env.Ctx, env.DB, env.Catalog, "d1")
			if err != nil {
				t.Fatal(err)
			}
			held := t0.Add(24 * time.Hour)
			want := rm.Consultation{ID: "d1", Scope: consultation.ScopeDistrict, HolderUnit: "qzwfb", HeldAt: held,
				Attendees: []consultation.Attendee{{Unit: "scjg", Name: "张三"}, {Unit: "spj", Name: "李四"}}, Record: rec,
				RecordedBy: office, RecordedAt: t0.Add(30 * 24 * time.Hour), ResolutionCount: 2, ImplementedCount: 1,
				Resolutions: []rm.Resolution{
					{ConsultationID: "d1", ID: "r1", Index: 0, HeldAt: held, Text: "限期查收", OwnerUnit: "scjg", DueDate: "2026-06-30",
						Implemented: true, ImplementedAt: t0.Add(5 * 24 * time.Hour), Note: "已全部查收", ReportedBy: member("scjg", domain.RoleSupervisor)},
					{ConsultationID: "d1", ID: "r2", Index: 1, HeldAt: held, Text: "更正推送", OwnerUnit: "spj"}}}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("ConsultationByID(d1) (-want +got):\n%s", diff)
			}
			if _, err := rm.ConsultationByID(env.Ctx, env.DB, env.Catalog, "x"); !errors.Is(err, projections.ErrNotFound) {
				t.Errorf("ConsultationByID(x) error = %v, want ErrNotFound", err)
			}

			meetings := func(f rm.Filter) []string {
				var out []string
				for _, c := range rmtest.All(t, 2, func(first int, after string) (projections.Page[rm.Consultation], error) {
					return rm.Consultations(env.Ctx, env.DB, env.Catalog, f, first, after)
				}) {
					out = append(out, c.ID)
				}
				return out
			}
			for _, tc := range []struct {
				name string
				f    rm.Filter
				want []string
			}{
				{"all in order held", rm.Filter{}, []string{"d0", "d1", "u0", "d2", "d3"}},
				{"district", rm.Filter{Scope: consultation.ScopeDistrict}, []string{"d0", "d1", "d2", "d3"}},
				{"involving yjgl", rm.Filter{Unit: "yjgl"}, []string{"u0"}},
				{"involving the office", rm.Filter{Unit: "qzwfb"}, []string{"d0", "d1", "d2", "d3"}},
				{"held from d1 to before d3", rm.Filter{From: t0.Add(24 * time.Hour), To: t0.Add(72 * time.Hour)}, []string{"d1", "u0", "d2"}},
				{"unit scope involving spj", rm.Filter{Scope: consultation.ScopeUnit, Unit: "spj"}, nil},
			} {
				if diff := cmp.Diff(tc.want, meetings(tc.f)); diff != "" {
					t.Errorf("consultations %s (-want +got):\n%s", tc.name, diff)
				}
			}

			resolutions := func(f rm.ResolutionFilter) []string {
				var out []string
				for _, r := range rmtest.All(t, 3, func(first int, after string) (projections.Page[rm.Resolution], error) {
					return rm.Resolutions(env.Ctx, env.DB, env.Catalog, f, first, after)
				}) {
					out = append(out, r.ConsultationID+"/"+r.ID)
				}
				return out
			}
			for _, tc := range []struct {
				name string
				f    rm.ResolutionFilter
				want []string
			}{
				{"all", rm.ResolutionFilter{}, []string{"d0/r1", "d0/r2", "d1/r1", "d1/r2", "u0/r1", "d2/r1", "d2/r2", "d3/r1", "d3/r2"}},
				{"owned by scjg", rm.ResolutionFilter{OwnerUnit: "scjg"}, []string{"d0/r1", "d1/r1", "d2/r1", "d3/r1"}},
				{"scjg, not implemented", rm.ResolutionFilter{OwnerUnit: "scjg", Implemented: ptr(false)}, []string{"d0/r1", "d2/r1", "d3/r1"}},
				{"implemented", rm.ResolutionFilter{Implemented: ptr(true)}, []string{"d1/r1", "u0/r1"}},
				{"of d2", rm.ResolutionFilter{ConsultationID: "d2"}, []string{"d2/r1", "d2/r2"}},
			} {
				if diff := cmp.Diff(tc.want, resolutions(tc.f)); diff != "" {
					t.Errorf("resolutions %s (-want +got):\n%s", tc.name, diff)
				}
			}
			env.CheckRebuild(t)
		}},
	)
}
