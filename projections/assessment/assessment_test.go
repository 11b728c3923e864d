package assessment_test

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"shenguan/domain"
	"shenguan/domain/assessment"
	"shenguan/domain/scorecard"
	"shenguan/domain/summary"
	"shenguan/eventstore/command"
	"shenguan/eventstore/events"
	"shenguan/projections"
	rm "shenguan/projections/assessment"
	"shenguan/projections/rmtest"
)

var (
	registry = events.Registry()
	office   = domain.Actor{ID: "office-1", Unit: "qzwfb", Roles: []domain.Role{domain.RoleServiceOffice}}
	t0       = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	decider  = command.Decider[assessment.State, assessment.Command]{Evolve: assessment.Evolve, Decide: assessment.Decide}
)

func handle(t *testing.T, env *rmtest.Env, year int, c assessment.Command) {
	t.Helper()
	_, err := command.Handle(env.Ctx, env.Store, registry, decider, assessment.StreamID(assessment.ID(year)), c, command.Options{Now: t0})
	if err != nil {
		t.Fatalf("handle %T for %d: %v", c, year, err)
	}
}

func TestReadModels(t *testing.T) {
	rmtest.Run(t, func() []projections.Projection { return []projections.Projection{rm.Projection{}} },
		rmtest.Case{Name: "rubrics, samplings, findings, letters, inspections and finalisation", Run: func(t *testing.T, env *rmtest.Env) {
			at := func(h int) time.Time { return t0.Add(time.Duration(h) * time.Hour) }
			for _, y := range []int{2025, 2026} {
				handle(t, env, y, assessment.PublishRubric{Actor: office, Year: y, Rubric: scorecard.DefaultRubric(y), At: at(0)})
			}
			second := scorecard.DefaultRubric(2026)
			second.Name, second.Version = "2026年度评分细则（修订）", 0
			handle(t, env, 2026, assessment.PublishRubric{Actor: office, Year: 2026, Rubric: second, At: at(1)})

			// Three samplings of 2026, s0..s2; s0 and s1 revealed.
			population := []string{"c01", "c02", "c03", "c04", "c05", "c06", "c07", "c08"}
			for i := range 3 {
				seed := fmt.Sprintf("seed-%d", i)
				handle(t, env, 2026, assessment.CommitSampling{Actor: office, Year: 2026, SamplingID: fmt.Sprintf("s%d", i),
					SeedHash: assessment.HashSeed(seed), Filter: "2026年上半年办结的食品经营许可", Size: 3, At: at(2 + i)})
			}
			for i := range 2 {
				handle(t, env, 2026, assessment.RevealSampling{Actor: office, Year: 2026, SamplingID: fmt.Sprintf("s%d", i),
					Seed: fmt.Sprintf("seed-%d", i), Population: population, At: at(10 + i)})
			}
			drawn := assessment.Draw("seed-0", population, 3)
			// Findings: two from sampling s0 against scjg, an external one against spj, one inspection finding of 2025.
			handle(t, env, 2026, assessment.RecordFinding{Actor: office, Year: 2026, ID: "f1", Source: scorecard.SourceSampling, Unit: "scjg",
				CaseID: drawn[0], SamplingID: "s0", Description: "未按时查收", At: at(20)})
			handle(t, env, 2026, assessment.RecordFinding{Actor: office, Year: 2026, ID: "f2", Source: scorecard.SourceSampling, Unit: "scjg",
				CaseID: drawn[1], SamplingID: "s0", Description: "未核查", Deduction: 2.5, At: at(21)})
			handle(t, env, 2026, assessment.RecordFinding{Actor: office, Year: 2026, ID: "f3", Source: scorecard.SourceExternalCity, Unit: "spj",
				Description: "全市督查发现推送不及时", Problems: 2, At: at(22)})
			handle(t, env, 2025, assessment.RecordFinding{Actor: office, Year: 2025, ID: "f1", Source: scorecard.SourceHalfYearInspection, Unit: "scjg",
				Description: "台账不全", At: at(23)})
			env.Sync(t)
			handle(t, env, 2026, assessment.IssueNoticeLetter{Actor: office, Year: 2026, FindingID: "f2", LetterNumber: "东丽政务函〔2026〕5号", ToUnit: "scjg", At: at(30)})
			handle(t, env, 2026, assessment.IssueNoticeLetter{Actor: office, Year: 2026, FindingID: "f3", LetterNumber: "东丽政务函〔2026〕6号", ToUnit: "scjg", At: at(31)})
			handle(t, env, 2026, assessment.ConductHalfYearInspection{Actor: office, Year: 2026, Half: summary.H1, Units: []string{"scjg", "spj"}, Notes: "上半年检查", At: at(40)})
			handle(t, env, 2026, assessment.ConductHalfYearInspection{Actor: office, Year: 2026, Half: summary.H1, Units: []string{"yjgl"}, Notes: "补查", At: at(41)})
			handle(t, env, 2025, assessment.ConductHalfYearInspection{Actor: office, Year: 2025, Half: summary.H2, Units: []string{"scjg"}, Notes: "下半年检查", At: at(42)})
			card := scorecard.Score(scorecard.Counters{Unit: "scjg", Year: 2025}, []scorecard.Finding{{ID: "f1", Source: scorecard.SourceHalfYearInspection, Unit: "scjg", Description: "台账不全"}}, scorecard.DefaultRubric(2025))
			card.RubricVersion = 1
			handle(t, env, 2025, assessment.FinaliseYear{Actor: office, Year: 2025, Scores: []assessment.UnitScore{{Unit: "scjg", Card: card}}, At: at(50)})
			keys := env.SyncKeys(t, "assessment")
			if diff := cmp.Diff([]string{"assessment:2025", "assessment:2026", "findings:scjg", "findings:spj"}, keys); diff != "" {
				t.Errorf("changes keys of the later batch (-want +got):\n%s", diff)
			}

			// The read model agrees with the folded stream of 2026.
			l, err := command.Load(env.Ctx, env.Store, registry, decider, assessment.StreamID("2026"), command.LoadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			st := l.State

			rub, err := rm.RubricOf(env.Ctx, env.DB, env.Catalog, 2026)
			if err != nil {
				t.Fatal(err)
			}
			var versions []scorecard.Rubric
			for _, v := range rub.Versions {
				versions = append(versions, v.Rubric)
			}
			if diff := cmp.Diff(st.Rubrics, versions); diff != "" {
				t.Errorf("rubric versions (-stream +read model):\n%s", diff)
			}
			if rub.Current().Version != 2 || rub.Current().Name != second.Name {
				t.Errorf("current rubric = v%d %q, want v2 %q", rub.Current().Version, rub.Current().Name, second.Name)
			}
			if _, err := rm.RubricOf(env.Ctx, env.DB, env.Catalog, 2024); !errors.Is(err, projections.ErrNotFound) {
				t.Errorf("RubricOf(2024) error = %v, want ErrNotFound", err)
			}

			s0, err := rm.SamplingByID(env.Ctx, env.DB, env.Catalog, 2026, "s0")
			if err != nil {
				t.Fatal(err)
			}
			want := rm.Sampling{Year: 2026, ID: "s0", SeedHash: st.Samplings[0].SeedHash, Filter: st.Samplings[0].Filter, Size: 3,
				CommittedBy: office, CommittedAt: at(2), Revealed: true, Seed: "seed-0", Population: st.Samplings[0].Population,
				Sample: drawn, RevealedBy: office, RevealedAt: at(10)}
			if diff := cmp.Diff(want, s0); diff != "" {
				t.Errorf("SamplingByID(2026, s0) (-want +got):\n%s", diff)
			}
			if assessment.HashSeed(s0.Seed) != s0.SeedHash || !slices.Equal(assessment.Draw(s0.Seed, s0.Population, s0.Size), s0.Sample) {
				t.Errorf("sampling s0 does not verify from its published seed and population")
			}
			samplings := rmtest.All(t, 2, func(first int, after string) (projections.Page[rm.Sampling], error) {
				return rm.Samplings(env.Ctx, env.DB, env.Catalog, 2026, first, after)
			})
			var sids []string
			for _, s := range samplings {
				sids = append(sids, fmt.Sprintf("%s:%v", s.ID, s.Revealed))
			}
			if diff := cmp.Diff([]string{"s0:true", "s1:true", "s2:false"}, sids); diff != "" {
				t.Errorf("samplings of 2026 (-want +got):\n%s", diff)
			}

			findings := func(f rm.FindingFilter) []string {
				var out []string
				for _, x := range rmtest.All(t, 2, func(first int, after string) (projections.Page[rm.Finding], error) {
					return rm.Findings(env.Ctx, env.DB, env.Catalog, f, first, after)
				}) {
					s := fmt.Sprintf("%d/%s/%s", x.Year, x.Finding.ID, x.Finding.Unit)
					if x.Letter != nil {
						s += "/" + x.Letter.Number
					}
					out = append(out, s)
				}
				return out
			}
			for _, tc := range []struct {
				name string
				f    rm.FindingFilter
				want []string
			}{
				{"all", rm.FindingFilter{}, []string{"2025/f1/scjg", "2026/f1/scjg", "2026/f2/scjg/东丽政务函〔2026〕5号", "2026/f3/spj/东丽政务函〔2026〕6号"}},
				{"2026 against scjg", rm.FindingFilter{Year: 2026, Unit: "scjg"}, []string{"2026/f1/scjg", "2026/f2/scjg/东丽政务函〔2026〕5号"}},
				{"sampling s0", rm.FindingFilter{SamplingID: "s0"}, []string{"2026/f1/scjg", "2026/f2/scjg/东丽政务函〔2026〕5号"}},
				{"external city", rm.FindingFilter{Source: scorecard.SourceExternalCity}, []string{"2026/f3/spj/东丽政务函〔2026〕6号"}},
				{"2025 against spj", rm.FindingFilter{Year: 2025, Unit: "spj"}, nil},
			} {
				if diff := cmp.Diff(tc.want, findings(tc.f)); diff != "" {
					t.Errorf("findings %s (-want +got):\n%s", tc.name, diff)
				}
			}
			p, err := rm.Findings(env.Ctx, env.DB, env.Catalog, rm.FindingFilter{Year: 2026}, 10, "")
			if err != nil {
				t.Fatal(err)
			}
			var fromStream []scorecard.Finding
			for _, f := range p.Items {
				fromStream = append(fromStream, f.Finding)
			}
			if diff := cmp.Diff(st.ScorecardFindings(""), fromStream); diff != "" {
				t.Errorf("findings of 2026 (-stream +read model):\n%s", diff)
			}

			letters := rmtest.All(t, 1, func(first int, after string) (projections.Page[rm.Letter], error) {
				return rm.NoticeLetters(env.Ctx, env.DB, env.Catalog, rm.LetterFilter{Year: 2026, ToUnit: "scjg"}, first, after)
			})
			wantLetters := []rm.Letter{
				{Year: 2026, FindingID: "f2", Number: "东丽政务函〔2026〕5号", ToUnit: "scjg", By: office, At: at(30), FindingUnit: "scjg", Source: scorecard.SourceSampling},
				{Year: 2026, FindingID: "f3", Number: "东丽政务函〔2026〕6号", ToUnit: "scjg", By: office, At: at(31), FindingUnit: "spj", Source: scorecard.SourceExternalCity}}
			if diff := cmp.Diff(wantLetters, letters); diff != "" {
				t.Errorf("notice letters to scjg (-want +got):\n%s", diff)
			}

			ins := rmtest.All(t, 1, func(first int, after string) (projections.Page[rm.Inspection], error) {
				return rm.Inspections(env.Ctx, env.DB, env.Catalog, 2026, first, after)
			})
			if len(ins) != 2 || !slices.Equal(ins[0].Units, []string{"scjg", "spj"}) || ins[0].Notes != "上半年检查" || ins[1].Half != summary.H1 {
				t.Errorf("inspections of 2026 = %+v", ins)
			}

			fin, err := rm.FinalisedYearOf(env.Ctx, env.DB, env.Catalog, 2025)
			if err != nil {
				t.Fatal(err)
			}
			wantFin := rm.Finalised{Year: 2025, Rubric: func() scorecard.Rubric { r := scorecard.DefaultRubric(2025); r.Version = 1; return r }(),
				Scores: []assessment.UnitScore{{Unit: "scjg", Card: card}}, By: office, At: at(50)}
			if diff := cmp.Diff(wantFin, fin); diff != "" {
				t.Errorf("FinalisedYearOf(2025) (-want +got):\n%s", diff)
			}
			if _, err := rm.FinalisedYearOf(env.Ctx, env.DB, env.Catalog, 2026); !errors.Is(err, projections.ErrNotFound) {
				t.Errorf("FinalisedYearOf(2026) error = %v, want ErrNotFound", err)
			}
			env.CheckRebuild(t)
		}},
	)
}
