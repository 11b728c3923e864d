package assessment

import (
	"encoding/hex"
	"math"
	"slices"
	"strings"
	"time"

	"shenguan/domain"
	"shenguan/domain/scorecard"
	"shenguan/domain/summary"
)

// Decide decides a command against a year's assessment. The time of each
// event is the command's At, or now when At is zero.
//
// Errors: domain.ErrForbidden, domain.ErrValidation, ErrWrongYear,
// ErrYearFinalised, ErrRubricVersion, scorecard.ErrInvalidRubric,
// ErrSamplingExists, ErrSamplingNotCommitted, ErrSamplingRevealed,
// ErrSeedMismatch, ErrSamplingNotRevealed, ErrCaseNotSampled,
// ErrFindingExists, ErrFindingNotFound, ErrLetterIssued,
// ErrUnitAlreadyInspected, ErrNoRubric, ErrSamplingPending,
// ErrScoreMismatch, domain.ErrUnknownCmd.
func Decide(s State, c Command, now time.Time, _ domain.Policy) ([]domain.Event, error) {
	var (
		actor domain.Actor
		year  int
		at    time.Time
	)
	switch c := c.(type) {
	case PublishRubric:
		actor, year, at = c.Actor, c.Year, c.At
	case CommitSampling:
		actor, year, at = c.Actor, c.Year, c.At
	case RevealSampling:
		actor, year, at = c.Actor, c.Year, c.At
	case RecordFinding:
		actor, year, at = c.Actor, c.Year, c.At
	case IssueNoticeLetter:
		actor, year, at = c.Actor, c.Year, c.At
	case ConductHalfYearInspection:
		actor, year, at = c.Actor, c.Year, c.At
	case FinaliseYear:
		actor, year, at = c.Actor, c.Year, c.At
	default:
		return nil, domain.ErrUnknownCmd
	}
	if !actor.Has(domain.RoleServiceOffice) {
		return nil, domain.ErrForbidden.With("年度考核由区政务服务办组织")
	}
	if year < 2000 || year > 9999 {
		return nil, domain.ErrValidation.With("年度 %d 无效", year)
	}
	if s.Year != 0 && s.Year != year {
		return nil, ErrWrongYear.With("记录属于 %d 年度", s.Year)
	}
	if at.IsZero() {
		at = now
	}
	if _, letter := c.(IssueNoticeLetter); s.Finalised && !letter {
		return nil, ErrYearFinalised
	}
	switch c := c.(type) {
	case PublishRubric:
		return decideRubric(s, c, at)
	case CommitSampling:
		return decideCommit(s, c, at)
	case RevealSampling:
		return decideReveal(s, c, at)
	case RecordFinding:
		return decideFinding(s, c, at)
	case IssueNoticeLetter:
		return decideLetter(s, c, at)
	case ConductHalfYearInspection:
		return decideInspection(s, c, at)
	case FinaliseYear:
		return decideFinalise(s, c, at)
	}
	return nil, domain.ErrUnknownCmd
}

func decideRubric(s State, c PublishRubric, at time.Time) ([]domain.Event, error) {
	next := len(s.Rubrics) + 1
	r := c.Rubric
	if r.Year != c.Year {
		return nil, domain.ErrValidation.With("评分细则年度 %d 与考核年度 %d 不符", r.Year, c.Year)
	}
	if r.Version != 0 && r.Version != next {
		return nil, ErrRubricVersion.With("下一版本应为 %d", next)
	}
	r.Version = next
	if err := r.Validate(); err != nil {
		return nil, err
	}
	return []domain.Event{RubricPublished{Year: c.Year, Version: next, Rubric: r, By: c.Actor, At: at}}, nil
}

func decideCommit(s State, c CommitSampling, at time.Time) ([]domain.Event, error) {
	hash := strings.ToLower(strings.TrimSpace(c.SeedHash))
	switch {
	case blank(c.SamplingID):
		return nil, domain.ErrValidation.With("抽查编号不能为空")
	case s.sampling(c.SamplingID) >= 0:
		return nil, ErrSamplingExists
	case !isSHA256Hex(hash):
		return nil, domain.ErrValidation.With("种子哈希应为64位十六进制 SHA-256 值")
	case blank(c.Filter):
		return nil, domain.ErrValidation.With("须说明抽查范围")
	case c.Size < 1:
		return nil, domain.ErrValidation.With("抽查数量应为正整数")
	}
	return []domain.Event{SamplingCommitted{Year: c.Year, SamplingID: c.SamplingID, SeedHash: hash,
		Filter: c.Filter, Size: c.Size, By: c.Actor, At: at}}, nil
}

func decideReveal(s State, c RevealSampling, at time.Time) ([]domain.Event, error) {
	i := s.sampling(c.SamplingID)
	if i < 0 {
		return nil, ErrSamplingNotCommitted
	}
	sm := s.Samplings[i]
	if sm.Revealed {
		return nil, ErrSamplingRevealed
	}
	if HashSeed(c.Seed) != sm.SeedHash {
		return nil, ErrSeedMismatch
	}
	pop := slices.Clone(c.Population)
	slices.Sort(pop)
	for k, id := range pop {
		if blank(id) {
			return nil, domain.ErrValidation.With("办件编号不能为空")
		}
		if k > 0 && pop[k-1] == id {
			return nil, domain.ErrValidation.With("办件编号重复：%s", id)
		}
	}
	return []domain.Event{SamplingRevealed{Year: c.Year, SamplingID: sm.ID, Seed: c.Seed, Population: pop,
		Sample: Draw(c.Seed, pop, sm.Size), By: c.Actor, At: at}}, nil
}

func decideFinding(s State, c RecordFinding, at time.Time) ([]domain.Event, error) {
	switch {
	case blank(c.ID):
		return nil, domain.ErrValidation.With("问题编号不能为空")
	case s.finding(c.ID) >= 0:
		return nil, ErrFindingExists
	case !slices.Contains(scorecard.FindingSources, c.Source):
		return nil, domain.ErrValidation.With("问题来源 %q 未知", c.Source)
	case blank(c.Unit):
		return nil, domain.ErrValidation.With("须指明被考核单位")
	case blank(c.Description):
		return nil, domain.ErrValidation.With("问题描述不能为空")
	case c.Deduction < 0 || math.IsNaN(c.Deduction) || math.IsInf(c.Deduction, 0):
		return nil, domain.ErrValidation.With("扣分应为非负数")
	case c.Problems < 0:
		return nil, domain.ErrValidation.With("问题数不能为负")
	case c.Severity != "" && c.Severity != scorecard.SeverityGeneral && c.Severity != scorecard.SeveritySerious:
		return nil, domain.ErrValidation.With("严重程度 %q 未知", c.Severity)
	case c.Part != "" && !slices.Contains([]scorecard.PartKey{scorecard.PartPush, scorecard.PartProblems, scorecard.PartResolutions, scorecard.PartOverall}, c.Part):
		return nil, domain.ErrValidation.With("考核部分 %q 未知", c.Part)
	}
	if c.Source == scorecard.SourceSampling {
		if blank(c.SamplingID) || blank(c.CaseID) {
			return nil, domain.ErrValidation.With("随机抽查发现的问题须指明抽查编号和办件")
		}
		i := s.sampling(c.SamplingID)
		if i < 0 || !s.Samplings[i].Revealed {
			return nil, ErrSamplingNotRevealed
		}
		if !slices.Contains(s.Samplings[i].Sample, c.CaseID) {
			return nil, ErrCaseNotSampled.With("%s", c.CaseID)
		}
	} else if c.SamplingID != "" {
		return nil, domain.ErrValidation.With("只有随机抽查发现的问题可以指明抽查编号")
	}
	f := scorecard.Finding{ID: c.ID, Source: c.Source, Unit: c.Unit, Severity: c.Severity, Problems: c.Problems,
		Points: c.Deduction, Part: c.Part, Description: c.Description}
	return []domain.Event{FindingRecorded{Year: c.Year, Finding: f, CaseID: c.CaseID, SamplingID: c.SamplingID, By: c.Actor, At: at}}, nil
}

func decideLetter(s State, c IssueNoticeLetter, at time.Time) ([]domain.Event, error) {
	i := s.finding(c.FindingID)
	switch {
	case i < 0:
		return nil, ErrFindingNotFound
	case s.Findings[i].Letter != nil:
		return nil, ErrLetterIssued
	case blank(c.LetterNumber):
		return nil, domain.ErrValidation.With("告知函须有文号")
	case blank(c.ToUnit):
		return nil, domain.ErrValidation.With("告知函须指明收函单位")
	}
	return []domain.Event{NoticeLetterIssued{Year: c.Year, FindingID: c.FindingID, LetterNumber: c.LetterNumber,
		ToUnit: c.ToUnit, By: c.Actor, At: at}}, nil
}

func decideInspection(s State, c ConductHalfYearInspection, at time.Time) ([]domain.Event, error) {
	switch {
	case c.Half != summary.H1 && c.Half != summary.H2:
		return nil, domain.ErrValidation.With("半年只能是 H1 或 H2")
	case len(c.Units) == 0:
		return nil, domain.ErrValidation.With("须列出被检查单位")
	case blank(c.Notes):
		return nil, domain.ErrValidation.With("检查情况不能为空")
	}
	seen := map[string]bool{}
	for _, u := range c.Units {
		switch {
		case blank(u):
			return nil, domain.ErrValidation.With("单位不能为空")
		case seen[u]:
			return nil, domain.ErrValidation.With("单位重复：%s", u)
		case s.Inspected(c.Half, u):
			return nil, ErrUnitAlreadyInspected.With("%s", u)
		}
		seen[u] = true
	}
	return []domain.Event{HalfYearInspectionConducted{Year: c.Year, Half: c.Half, Units: c.Units, Notes: c.Notes, By: c.Actor, At: at}}, nil
}

func decideFinalise(s State, c FinaliseYear, at time.Time) ([]domain.Event, error) {
	r, ok := s.Rubric()
	if !ok {
		return nil, ErrNoRubric
	}
	for _, sm := range s.Samplings {
		if !sm.Revealed {
			return nil, ErrSamplingPending.With("%s", sm.ID)
		}
	}
	if len(c.Scores) == 0 {
		return nil, domain.ErrValidation.With("须提交各单位考核成绩")
	}
	seen := map[string]bool{}
	for _, sc := range c.Scores {
		switch {
		case blank(sc.Unit):
			return nil, domain.ErrValidation.With("单位不能为空")
		case seen[sc.Unit]:
			return nil, domain.ErrValidation.With("单位重复：%s", sc.Unit)
		case sc.Card.Unit != sc.Unit || sc.Card.Year != c.Year || sc.Card.RubricVersion != r.Version:
			return nil, ErrScoreMismatch.With("单位 %s（应按第 %d 版评分细则）", sc.Unit, r.Version)
		}
		seen[sc.Unit] = true
	}
	return []domain.Event{YearFinalised{Year: c.Year, Rubric: r, Scores: c.Scores, By: c.Actor, At: at}}, nil
}

func isSHA256Hex(s string) bool {
	if len(s) != 64 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}

func blank(s string) bool { return strings.TrimSpace(s) == "" }
