// Package scorecard is the annual assessment of R12 (审管联动年度考核) as a
// pure function: a unit's counters for a year, the findings against it and a
// published rubric give a Card with the four parts of the source document
// (四、3): push timeliness/accuracy/smoothness, coordinators' problem records
// and handling, execution of consultation resolutions, and overall operation
// with findings from city or central inspections.
//
// The rubric is data (versioned, published as an event by the assessment
// aggregate), so a past year's score is recomputed with the rubric of that
// year. The formulas are documented in docs/rubric.md.
package scorecard

import (
	"fmt"
	"math"
	"slices"

	"shenguan/domain"
)

// PartKey names one of the four parts of the assessment.
type PartKey string

// The four parts of R12.
const (
	PartPush        PartKey = "PUSH"        // (1) 日常审管信息推送及时、准确、畅通情况
	PartProblems    PartKey = "PROBLEMS"    // (2) 协调员对发现问题的工作记录及处理情况
	PartResolutions PartKey = "RESOLUTIONS" // (3) 执行审管联动会商结果情况
	PartOverall     PartKey = "OVERALL"     // (4) 年度整体运行情况，全市或中央督查中出现的问题
)

// Metric names a rate formula computed from Counters. The set is closed and
// a formula never changes meaning once published: a new formula gets a new
// name, so that old rubrics keep their scores.
type Metric string

// Metrics (see docs/rubric.md for each formula).
const (
	// MetricPushTimeliness: pushes (R1), sealed documents (R3) and
	// re-routings after a return, on time.
	MetricPushTimeliness Metric = "PUSH_TIMELINESS"
	// MetricPushAccuracy: 1 − (corrections + returns) / pushes made.
	MetricPushAccuracy Metric = "PUSH_ACCURACY"
	// MetricExchangeSmoothness: receipts (R2), verification starts (R6),
	// joint inspections (R7), feedback (R4) and revocation answers (R5), on
	// time.
	MetricExchangeSmoothness Metric = "EXCHANGE_SMOOTHNESS"
	// MetricProblemHandling: problems resolved / problems raised (R9).
	MetricProblemHandling Metric = "PROBLEM_HANDLING"
	// MetricProblemTimeliness: 1 − problems overdue / problems raised.
	MetricProblemTimeliness Metric = "PROBLEM_TIMELINESS"
	// MetricCoordinatorStaffing: coordinator vacancies filled on time (R9).
	MetricCoordinatorStaffing Metric = "COORDINATOR_STAFFING"
	// MetricResolutionExecution: resolutions owned executed on time (R10).
	MetricResolutionExecution Metric = "RESOLUTION_EXECUTION"
	// MetricSummarySubmission: half-year summaries submitted on time (R11).
	MetricSummarySubmission Metric = "SUMMARY_SUBMISSION"
	// MetricObligationsOverall: every obligation of the unit, on time.
	MetricObligationsOverall Metric = "OBLIGATIONS_OVERALL"
)

// Metrics lists every known metric.
var Metrics = []Metric{MetricPushTimeliness, MetricPushAccuracy, MetricExchangeSmoothness,
	MetricProblemHandling, MetricProblemTimeliness, MetricCoordinatorStaffing,
	MetricResolutionExecution, MetricSummarySubmission, MetricObligationsOverall}

// FindingSource is where a finding comes from.
type FindingSource string

// Finding sources (R12).
const (
	SourceSampling           FindingSource = "SAMPLING"             // 随机抽查
	SourceHalfYearInspection FindingSource = "HALF_YEAR_INSPECTION" // 定期检查（半年）
	SourceExternalCity       FindingSource = "EXTERNAL_CITY"        // 全市督查
	SourceExternalCentral    FindingSource = "EXTERNAL_CENTRAL"     // 中央督查
)

// FindingSources lists every finding source.
var FindingSources = []FindingSource{SourceSampling, SourceHalfYearInspection, SourceExternalCity, SourceExternalCentral}

// Severity grades a finding.
type Severity string

// Severities.
const (
	SeverityGeneral Severity = "GENERAL" // 一般问题
	SeveritySerious Severity = "SERIOUS" // 严重问题
)

// Component is one weighted rate inside a part.
type Component struct {
	Metric Metric `json:"metric"`
	Name   string `json:"name"` // zh-CN
	// Weight is the component's share of its part (the shares of a part
	// sum to 1).
	Weight float64 `json:"weight"`
}

// PartRule is one part of the rubric: its weight in points and how its rate
// is computed.
type PartRule struct {
	Key        PartKey     `json:"key"`
	Name       string      `json:"name"` // zh-CN
	Weight     float64     `json:"weight"`
	Components []Component `json:"components"`
}

// FindingRule says how many points a finding of a source deducts (per
// problem, before the severity factor) and from which part.
type FindingRule struct {
	Points float64 `json:"points"`
	Part   PartKey `json:"part"`
}

// Rubric is a published scoring rubric for a year. Weights of the parts sum
// to 100.
type Rubric struct {
	Year    int    `json:"year"`
	Version int    `json:"version"`
	Name    string `json:"name"`
	// LateCredit is the credit of an obligation fulfilled late (0 … 1); an
	// obligation never fulfilled counts 0, one on time counts 1.
	LateCredit float64    `json:"lateCredit"`
	Parts      []PartRule `json:"parts"`
	// Findings maps each finding source to its deduction.
	Findings map[FindingSource]FindingRule `json:"findings"`
	// SeverityFactors multiplies a finding's deduction by its severity.
	SeverityFactors map[Severity]float64 `json:"severityFactors"`
}

// ErrInvalidRubric: the rubric's weights or rules are inconsistent.
var ErrInvalidRubric = domain.NewError("RUBRIC_INVALID", "考核评分细则不符合要求")

// DefaultRubric returns the default rubric for a year (version 1), as
// documented in docs/rubric.md.
func DefaultRubric(year int) Rubric {
	return Rubric{
		Year:       year,
		Version:    1,
		Name:       fmt.Sprintf("%d年度东丽区审管联动考核评分细则（默认）", year),
		LateCredit: 0.5,
		Parts: []PartRule{
			{Key: PartPush, Name: "日常审管信息推送及时、准确、畅通情况", Weight: 40, Components: []Component{
				{MetricPushTimeliness, "推送及时率", 0.4},
				{MetricPushAccuracy, "推送准确率", 0.3},
				{MetricExchangeSmoothness, "查收与反馈畅通率", 0.3},
			}},
			{Key: PartProblems, Name: "审管联动协调员对发现问题的工作记录及处理情况", Weight: 20, Components: []Component{
				{MetricProblemHandling, "问题办结率", 0.5},
				{MetricProblemTimeliness, "问题处理及时率", 0.3},
				{MetricCoordinatorStaffing, "协调员配备及时率", 0.2},
			}},
			{Key: PartResolutions, Name: "执行审管联动会商结果情况", Weight: 20, Components: []Component{
				{MetricResolutionExecution, "会商决定事项按期落实率", 1},
			}},
			{Key: PartOverall, Name: "年度审管联动整体运行情况（含全市、中央督查发现问题）", Weight: 20, Components: []Component{
				{MetricSummarySubmission, "工作小结按时报送率", 0.5},
				{MetricObligationsOverall, "各项时限总体按期率", 0.5},
			}},
		},
		Findings: map[FindingSource]FindingRule{
			SourceSampling:           {Points: 1, Part: PartPush},
			SourceHalfYearInspection: {Points: 1, Part: PartOverall},
			SourceExternalCity:       {Points: 3, Part: PartOverall},
			SourceExternalCentral:    {Points: 5, Part: PartOverall},
		},
		SeverityFactors: map[Severity]float64{SeverityGeneral: 1, SeveritySerious: 2},
	}
}

const eps = 1e-9

// Validate checks a rubric: a year and version, part keys unique, part
// weights positive and summing to 100, each part's component weights
// positive and summing to 1, known metrics, LateCredit within 0 … 1, a
// non-negative rule for every finding source naming an existing part, and
// non-negative severity factors. Error: ErrInvalidRubric with the reason.
func (r Rubric) Validate() error {
	if r.Year < 2000 || r.Year > 9999 {
		return ErrInvalidRubric.With("年度 %d 无效", r.Year)
	}
	if r.Version < 1 {
		return ErrInvalidRubric.With("版本号应为正整数")
	}
	if r.LateCredit < 0 || r.LateCredit > 1 || math.IsNaN(r.LateCredit) {
		return ErrInvalidRubric.With("逾期完成折算系数应在0至1之间")
	}
	if len(r.Parts) == 0 {
		return ErrInvalidRubric.With("至少应有一个考核部分")
	}
	var total float64
	keys := map[PartKey]bool{}
	for _, p := range r.Parts {
		if p.Key == "" || keys[p.Key] {
			return ErrInvalidRubric.With("考核部分 %q 重复或为空", p.Key)
		}
		keys[p.Key] = true
		if !(p.Weight > 0) {
			return ErrInvalidRubric.With("考核部分 %s 的分值应为正数", p.Key)
		}
		total += p.Weight
		var share float64
		for _, c := range p.Components {
			if !slices.Contains(Metrics, c.Metric) {
				return ErrInvalidRubric.With("未知指标 %q", c.Metric)
			}
			if !(c.Weight > 0) {
				return ErrInvalidRubric.With("指标 %s 的权重应为正数", c.Metric)
			}
			share += c.Weight
		}
		if math.Abs(share-1) > eps {
			return ErrInvalidRubric.With("考核部分 %s 的指标权重之和应为1，实际 %g", p.Key, share)
		}
	}
	if math.Abs(total-100) > eps {
		return ErrInvalidRubric.With("各部分分值之和应为100，实际 %g", total)
	}
	for _, s := range FindingSources {
		fr, ok := r.Findings[s]
		if !ok {
			return ErrInvalidRubric.With("缺少问题来源 %s 的扣分规则", s)
		}
		if fr.Points < 0 || math.IsNaN(fr.Points) || !keys[fr.Part] {
			return ErrInvalidRubric.With("问题来源 %s 的扣分规则无效", s)
		}
	}
	for sev, f := range r.SeverityFactors {
		if f < 0 || math.IsNaN(f) {
			return ErrInvalidRubric.With("严重程度 %s 的系数无效", sev)
		}
	}
	return nil
}
