package service

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"

	"shenguan/domain"
	"shenguan/domain/assessment"
	"shenguan/domain/cases"
	"shenguan/domain/consultation"
	"shenguan/domain/credit"
	"shenguan/domain/directory"
	"shenguan/domain/problem"
	"shenguan/domain/subject"
	"shenguan/domain/summary"
	"shenguan/domain/timepolicy"
	"shenguan/eventstore/command"
	"shenguan/projections"
	"shenguan/projections/casefile"
	dirrm "shenguan/projections/directory"
)

// The deciders of every aggregate, as the command loop takes them.
var (
	caseDecider         = command.Decider[cases.State, cases.Command]{Evolve: cases.Evolve, Decide: cases.Decide}
	unitDecider         = command.Decider[directory.UnitState, directory.UnitCommand]{Evolve: directory.EvolveUnit, Decide: directory.DecideUnit}
	matterDecider       = command.Decider[directory.MatterState, directory.MatterCommand]{Evolve: directory.EvolveMatter, Decide: directory.DecideMatter}
	creditDecider       = command.Decider[credit.State, credit.Command]{Evolve: credit.Evolve, Decide: credit.Decide}
	problemDecider      = command.Decider[problem.State, problem.Command]{Evolve: problem.Evolve, Decide: problem.Decide}
	consultationDecider = command.Decider[consultation.State, consultation.Command]{Evolve: consultation.Evolve, Decide: consultation.Decide}
	summaryDecider      = command.Decider[summary.State, summary.Command]{Evolve: summary.Evolve, Decide: summary.Decide}
	assessmentDecider   = command.Decider[assessment.State, assessment.Command]{Evolve: assessment.Evolve, Decide: assessment.Decide}
	timePolicyDecider   = command.Decider[timepolicy.State, timepolicy.Command]{Evolve: timepolicy.Evolve, Decide: timepolicy.Decide}
)

// actorOf returns the Actor field every command carries.
func actorOf(cmd any) domain.Actor {
	v := reflect.ValueOf(cmd)
	if v.Kind() == reflect.Struct {
		if f := v.FieldByName("Actor"); f.IsValid() {
			if a, ok := f.Interface().(domain.Actor); ok {
				return a
			}
		}
	}
	return domain.Actor{}
}

// begin authorises the command's actor and returns it; a refusal is
// recorded in the security log.
func (s *Service) begin(ctx context.Context, m Meta, cmd any, target string) (domain.Actor, error) {
	a := actorOf(cmd)
	if err := authorise(a, cmd); err != nil {
		return a, s.refused(ctx, m, a, name(cmd), target, err)
	}
	return a, nil
}

// Case runs a command on a case (stream "case-<id>"). A push is completed
// with the matter's catalogue snapshot (projections/directory) and the open
// cases of the same matter and subject (projections/casefile, the
// duplicate-push guard). Errors: domain.ErrForbidden for a role that may
// not issue the command; directory.ErrMatterNotFound for a push of an
// unknown matter; the decider's refusals (cases.Err…, subject.Err…,
// domain.ErrValidation); store and read-model errors.
func (s *Service) Case(ctx context.Context, m Meta, c cases.Command) (Result, error) {
	id, _ := cases.Target(c)
	stream := cases.StreamID(id)
	a, err := s.begin(ctx, m, c, stream)
	if err != nil {
		return Result{}, err
	}
	if p, ok := c.(cases.Push); ok {
		if p, err = s.enrichPush(ctx, p); err != nil {
			return Result{}, s.refused(ctx, m, a, name(c), stream, err)
		}
		c = p
	}
	return handle(ctx, s, m, a, name(c), caseDecider, id, stream, c)
}

// enrichPush fills the matter snapshot and the open duplicates of a push.
func (s *Service) enrichPush(ctx context.Context, p cases.Push) (cases.Push, error) {
	code := strings.TrimSpace(p.Matter.Code)
	if code == "" {
		return p, domain.ErrValidation.With("事项编码不能为空")
	}
	mt, err := dirrm.MatterByCode(ctx, s.db, s.cat, code)
	if errors.Is(err, projections.ErrNotFound) {
		return p, directory.ErrMatterNotFound.With("%s", code)
	}
	if err != nil {
		return p, fmt.Errorf("service: matter %s: %w", code, err)
	}
	p.Matter = mt.Snapshot()
	sid := strings.TrimSpace(p.Subject.ID)
	if r, err := subject.Validate(p.Subject.Kind, sid); err == nil {
		sid = r.ID
	}
	open, err := casefile.OpenCaseIDsFor(ctx, s.db, s.cat, code, sid)
	if err != nil {
		return p, fmt.Errorf("service: open cases of %s/%s: %w", code, sid, err)
	}
	p.OpenDuplicates = nil
	for _, id := range open {
		if id != p.CaseID {
			p.OpenDuplicates = append(p.OpenDuplicates, id)
		}
	}
	return p, nil
}

// Unit runs a command on a unit (stream "unit-<id>"). Errors:
// domain.ErrForbidden; the decider's refusals (directory.Err…).
func (s *Service) Unit(ctx context.Context, m Meta, c directory.UnitCommand) (Result, error) {
	id := directory.UnitIDOf(c)
	stream := directory.UnitStreamID(id)
	a, err := s.begin(ctx, m, c, stream)
	if err != nil {
		return Result{}, err
	}
	return handle(ctx, s, m, a, name(c), unitDecider, id, stream, c)
}

// Matter runs a command on a catalogue matter (stream "matter-<code>").
// Errors: domain.ErrForbidden; the decider's refusals (directory.Err…).
func (s *Service) Matter(ctx context.Context, m Meta, c directory.MatterCommand) (Result, error) {
	code := directory.MatterCodeOf(c)
	stream := directory.MatterStreamID(code)
	a, err := s.begin(ctx, m, c, stream)
	if err != nil {
		return Result{}, err
	}
	return handle(ctx, s, m, a, name(c), matterDecider, code, stream, c)
}

// Credit runs a command on a subject's credit record (stream
// "credit-<subjectID>"); a repair finds the subject in the entry id
// ("<subjectID>-<n>"). Errors: domain.ErrForbidden; credit.ErrEntryNotFound
// for a malformed entry id; the decider's refusals.
func (s *Service) Credit(ctx context.Context, m Meta, c credit.Command) (Result, error) {
	var subj string
	switch c := c.(type) {
	case credit.RepairEntry:
		if i := strings.LastIndex(c.EntryID, "-"); i > 0 {
			subj = c.EntryID[:i]
		}
	case credit.RecordDishonesty:
		subj = c.SubjectID
	}
	stream := credit.StreamID(subj)
	a, err := s.begin(ctx, m, c, stream)
	if err != nil {
		return Result{}, err
	}
	if strings.TrimSpace(subj) == "" {
		return Result{}, s.refused(ctx, m, a, name(c), stream, credit.ErrEntryNotFound)
	}
	return handle(ctx, s, m, a, name(c), creditDecider, strings.ToUpper(strings.TrimSpace(subj)), stream, c)
}

// Problem runs a command on problem id (stream "problem-<id>"). A Raise
// without an ID gets one derived from the command id (or a random one).
// Errors: domain.ErrForbidden; domain.ErrValidation for a missing id; the
// decider's refusals (problem.Err…).
func (s *Service) Problem(ctx context.Context, m Meta, id string, c problem.Command) (Result, error) {
	if r, ok := c.(problem.Raise); ok {
		if strings.TrimSpace(r.ID) == "" {
			r.ID = derivedID("P-", actorOf(c), m)
		}
		id, c = r.ID, r
	}
	stream := problem.StreamID(id)
	a, err := s.begin(ctx, m, c, stream)
	if err != nil {
		return Result{}, err
	}
	if strings.TrimSpace(id) == "" {
		return Result{}, s.refused(ctx, m, a, name(c), stream, domain.ErrValidation.With("须指明问题编号"))
	}
	return handle(ctx, s, m, a, name(c), problemDecider, id, stream, c)
}

// Consultation runs a command on consultation id (stream
// "consultation-<id>"). A RecordMeeting without an ID gets a derived one,
// and its resolutions without ids get "<id>-R<n>". Errors:
// domain.ErrForbidden; domain.ErrValidation for a missing id; the decider's
// refusals (consultation.Err…).
func (s *Service) Consultation(ctx context.Context, m Meta, id string, c consultation.Command) (Result, error) {
	if r, ok := c.(consultation.RecordMeeting); ok {
		if strings.TrimSpace(r.ID) == "" {
			r.ID = derivedID("M-", actorOf(c), m)
		}
		r.Resolutions = append([]consultation.Resolution(nil), r.Resolutions...)
		for i := range r.Resolutions {
			if strings.TrimSpace(r.Resolutions[i].ID) == "" {
				r.Resolutions[i].ID = fmt.Sprintf("%s-R%d", r.ID, i+1)
			}
		}
		id, c = r.ID, r
	}
	stream := consultation.StreamID(id)
	a, err := s.begin(ctx, m, c, stream)
	if err != nil {
		return Result{}, err
	}
	if strings.TrimSpace(id) == "" {
		return Result{}, s.refused(ctx, m, a, name(c), stream, domain.ErrValidation.With("须指明会商编号"))
	}
	return handle(ctx, s, m, a, name(c), consultationDecider, id, stream, c)
}

// Summary runs a command on a half-year summary (stream
// "summary-<unit>-<year>-<half>"). Errors: domain.ErrForbidden; the
// decider's refusals (summary.Err…).
func (s *Service) Summary(ctx context.Context, m Meta, c summary.Command) (Result, error) {
	var id string
	if c, ok := c.(summary.SubmitSummary); ok {
		id = summary.ID(c.Unit, c.Year, c.Half)
	}
	stream := summary.StreamID(id)
	a, err := s.begin(ctx, m, c, stream)
	if err != nil {
		return Result{}, err
	}
	return handle(ctx, s, m, a, name(c), summaryDecider, id, stream, c)
}

// Assessment runs a command on a year's assessment (stream
// "assessment-<year>"). A sampling or finding without an id gets a derived
// one; a FinaliseYear without scores is scored here (see scoreYear).
// Errors: domain.ErrForbidden; assessment.ErrNoRubric when finalising a
// year without a rubric; the decider's refusals (assessment.Err…).
func (s *Service) Assessment(ctx context.Context, m Meta, c assessment.Command) (Result, error) {
	year := assessmentYear(c)
	id := assessment.ID(year)
	stream := assessment.StreamID(id)
	a, err := s.begin(ctx, m, c, stream)
	if err != nil {
		return Result{}, err
	}
	switch cc := c.(type) {
	case assessment.CommitSampling:
		if strings.TrimSpace(cc.SamplingID) == "" {
			cc.SamplingID = derivedID("S-", a, m)
		}
		c = cc
	case assessment.RecordFinding:
		if strings.TrimSpace(cc.ID) == "" {
			cc.ID = derivedID("F-", a, m)
		}
		c = cc
	case assessment.FinaliseYear:
		if len(cc.Scores) == 0 {
			if cc.Scores, err = s.scoreYear(ctx, year); err != nil {
				return Result{}, s.refused(ctx, m, a, name(c), stream, err)
			}
		}
		c = cc
	}
	return handle(ctx, s, m, a, name(c), assessmentDecider, id, stream, c)
}

func assessmentYear(c assessment.Command) int {
	switch c := c.(type) {
	case assessment.PublishRubric:
		return c.Year
	case assessment.CommitSampling:
		return c.Year
	case assessment.RevealSampling:
		return c.Year
	case assessment.RecordFinding:
		return c.Year
	case assessment.IssueNoticeLetter:
		return c.Year
	case assessment.ConductHalfYearInspection:
		return c.Year
	case assessment.FinaliseYear:
		return c.Year
	}
	return 0
}

// TimePolicy runs a calendar adjustment or a policy change (stream
// "timepolicy"). Errors: domain.ErrForbidden; the decider's refusals
// (timepolicy.Err…).
func (s *Service) TimePolicy(ctx context.Context, m Meta, c timepolicy.Command) (Result, error) {
	a, err := s.begin(ctx, m, c, timepolicy.Stream)
	if err != nil {
		return Result{}, err
	}
	return handle(ctx, s, m, a, name(c), timePolicyDecider, timepolicy.Stream, timepolicy.Stream, c)
}
