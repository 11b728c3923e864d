package graph

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"shenguan/domain"
	"shenguan/domain/assessment"
	"shenguan/domain/cases"
	"shenguan/domain/consultation"
	"shenguan/domain/directory"
	"shenguan/domain/problem"
	"shenguan/domain/scorecard"
	"shenguan/domain/summary"
	"shenguan/domain/timepolicy"
	"shenguan/eventstore"
	"shenguan/graph/model"
	"shenguan/graph/service"
	"shenguan/projections"
	assessmentrm "shenguan/projections/assessment"
	"shenguan/projections/casefile"
	consultationrm "shenguan/projections/consultation"
	creditrm "shenguan/projections/credit"
	dirrm "shenguan/projections/directory"
	problemrm "shenguan/projections/problem"
	summaryrm "shenguan/projections/summary"
)

// This file holds the helpers of the mutation resolvers
// (mutations_*.resolvers.go): the request metadata, the input → command
// conversions that are more than a field copy, and the reads of the view a
// mutation affected (after the service waited for the projections).

// errNoService is returned by mutations when the server runs without a
// command service (a read-only deployment or a test of the read side).
var errNoService = domain.NewError("UNAVAILABLE", "服务暂不接受变更")

type originKey struct{}

type origin struct{ remoteAddr, forwardedFor string }

// withOrigin returns ctx carrying where the request came from (the
// security log records it with every refusal).
func withOrigin(ctx context.Context, r *http.Request) context.Context {
	return context.WithValue(ctx, originKey{}, origin{remoteAddr: r.RemoteAddr, forwardedFor: r.Header.Get("X-Forwarded-For")})
}

// meta describes the mutation's request for the service.
func meta(ctx context.Context, commandID *string) service.Meta {
	m := service.Meta{CommandID: str(commandID), RequestID: RequestID(ctx)}
	if fc := graphql.GetFieldContext(ctx); fc != nil {
		m.Operation = fc.Field.Name
	}
	if o, ok := ctx.Value(originKey{}).(origin); ok {
		m.RemoteAddr, m.ForwardedFor = o.remoteAddr, o.forwardedFor
	}
	return m
}

// svc returns the command service, or errNoService.
func (r *Resolver) svc() (*service.Service, error) {
	if r.Service == nil {
		return nil, errNoService
	}
	return r.Service, nil
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func position(p eventstore.Position) string { return p.String() }

// view reads a view with get; a view the read model does not have (yet) is
// null, not an error.
func view[T any](v T, err error) (*T, error) {
	if errors.Is(err, projections.ErrNotFound) || errors.Is(err, casefile.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &v, nil
}

// caseMutation runs a case command and returns the case as the read model
// has it after the write.
func (r *Resolver) caseMutation(ctx context.Context, commandID *string, c cases.Command) (*model.CasePayload, error) {
	s, err := r.svc()
	if err != nil {
		return nil, err
	}
	res, err := s.Case(ctx, meta(ctx, commandID), c)
	if err != nil {
		return nil, hideCase(ctx, s, c, err)
	}
	db, cat := s.ReadModels()
	v, err := view(casefile.Get(ctx, db, cat, res.ID))
	if err != nil {
		return nil, err
	}
	return &model.CasePayload{Case: v, Position: position(res.Position), Duplicate: res.Duplicate}, nil
}

// hideCase returns the answer to a refused case command: like a missing
// case (errHidden, NOT_FOUND) when the caller may not read the case by the
// rule of the case queries (reader, canSeeCase) or the case does not exist,
// so that a mutation cannot tell a unit whether another unit's case id
// exists; the refusal itself otherwise (the caller already knows the case).
// The service has recorded the real refusal in the security log before, so
// auditors still see the probing. Two refusals keep their code: the role
// check (service.MayIssue), decided before the case is read and the same
// for every case id, and a refused push, which names a case to create
// (a client-chosen id that is taken cannot be answered like a free one).
func hideCase(ctx context.Context, s *service.Service, c cases.Command, err error) error {
	var de *domain.Error
	if !errors.As(err, &de) {
		return err
	}
	if _, ok := c.(cases.Push); ok {
		return err
	}
	id, a := cases.Target(c)
	if !service.MayIssue(a, c) {
		return err
	}
	if de.Code == cases.ErrCaseNotFound.Code {
		return errHidden
	}
	db, cat := s.ReadModels()
	v, gerr := casefile.Get(ctx, db, cat, id)
	switch {
	case errors.Is(gerr, casefile.ErrNotFound), errors.Is(gerr, projections.ErrNotFound):
		return errHidden
	case gerr != nil:
		return fmt.Errorf("graph: read case %s after a refusal: %w", id, gerr)
	case !a.HasAny(readRoles...) || !canSeeCase(a, v):
		return errHidden
	}
	return err
}

// unitPayload returns the unit after a unit command.
func (r *Resolver) unitPayload(ctx context.Context, res service.Result) (*model.UnitPayload, error) {
	db, cat := r.Service.ReadModels()
	v, err := view(dirrm.UnitByID(ctx, db, cat, res.ID))
	if err != nil {
		return nil, err
	}
	return &model.UnitPayload{Unit: v, Position: position(res.Position), Duplicate: res.Duplicate}, nil
}

// unitMutation runs a unit command.
func (r *Resolver) unitMutation(ctx context.Context, commandID *string, c directory.UnitCommand) (*model.UnitPayload, error) {
	s, err := r.svc()
	if err != nil {
		return nil, err
	}
	res, err := s.Unit(ctx, meta(ctx, commandID), c)
	if err != nil {
		return nil, err
	}
	return r.unitPayload(ctx, res)
}

// matterMutation runs a matter command and returns the matter after it.
func (r *Resolver) matterMutation(ctx context.Context, commandID *string, c directory.MatterCommand) (*model.MatterPayload, error) {
	s, err := r.svc()
	if err != nil {
		return nil, err
	}
	res, err := s.Matter(ctx, meta(ctx, commandID), c)
	if err != nil {
		return nil, err
	}
	db, cat := s.ReadModels()
	v, err := view(dirrm.MatterByCode(ctx, db, cat, res.ID))
	if err != nil {
		return nil, err
	}
	return &model.MatterPayload{Matter: v, Position: position(res.Position), Duplicate: res.Duplicate}, nil
}

// problemMutation runs a problem command and returns the problem after it.
func (r *Resolver) problemMutation(ctx context.Context, commandID *string, id string, c problem.Command) (*model.ProblemPayload, error) {
	s, err := r.svc()
	if err != nil {
		return nil, err
	}
	res, err := s.Problem(ctx, meta(ctx, commandID), id, c)
	if err != nil {
		return nil, err
	}
	db, cat := s.ReadModels()
	v, err := view(problemrm.ProblemByID(ctx, db, cat, res.ID))
	if err != nil {
		return nil, err
	}
	return &model.ProblemPayload{Problem: v, Position: position(res.Position), Duplicate: res.Duplicate}, nil
}

// consultationMutation runs a consultation command and returns the
// meeting after it.
func (r *Resolver) consultationMutation(ctx context.Context, commandID *string, id string, c consultation.Command) (*model.ConsultationPayload, error) {
	s, err := r.svc()
	if err != nil {
		return nil, err
	}
	res, err := s.Consultation(ctx, meta(ctx, commandID), id, c)
	if err != nil {
		return nil, err
	}
	db, cat := s.ReadModels()
	v, err := view(consultationrm.ConsultationByID(ctx, db, cat, res.ID))
	if err != nil {
		return nil, err
	}
	return &model.ConsultationPayload{Consultation: v, Position: position(res.Position), Duplicate: res.Duplicate}, nil
}

// pushCommand converts a push input; the service fills the matter snapshot
// from the catalogue.
func pushCommand(a domain.Actor, in model.PushApprovalInput) cases.Push {
	c := cases.Push{Actor: a, CaseID: in.CaseID, Matter: cases.MatterSnapshot{Code: in.MatterCode},
		Outcome: in.Outcome, DecidedAt: in.DecidedAt, Mode: in.Mode, Documents: documents(in.Documents),
		PermitNumber: str(in.PermitNumber)}
	if in.Subject != nil {
		c.Subject = cases.Subject{Kind: in.Subject.Kind, ID: in.Subject.ID, Name: in.Subject.Name}
	}
	if in.ConfirmCheckWarning != nil {
		c.ConfirmCheckWarning = *in.ConfirmCheckWarning
	}
	if in.ConfirmDuplicate != nil {
		c.ConfirmDuplicate = *in.ConfirmDuplicate
	}
	return c
}

func documents(in []*model.DocumentInput) []cases.Document {
	var out []cases.Document
	for _, d := range in {
		if d != nil {
			out = append(out, cases.Document{Name: d.Name, Kind: d.Kind, SHA256: d.Sha256, Size: int64(d.Size)})
		}
	}
	return out
}

func sectionOf(in *model.SectionInput) directory.Section {
	if in == nil {
		return directory.Section{}
	}
	return directory.Section{ID: in.ID, Name: in.Name, Side: in.Side}
}

func sections(in []*model.SectionInput) []directory.Section {
	var out []directory.Section
	for _, s := range in {
		if s != nil {
			out = append(out, sectionOf(s))
		}
	}
	return out
}

func matterOf(in *model.MatterInput) directory.Matter {
	if in == nil {
		return directory.Matter{}
	}
	m := directory.Matter{Code: in.Code, Name: in.Name, ApprovingUnit: in.ApprovingUnit,
		SupervisingUnits: in.SupervisingUnits, CommitmentApplies: in.CommitmentApplies, MajorRisk: directory.RiskNone}
	if in.MajorRisk != nil {
		m.MajorRisk = *in.MajorRisk
	}
	return m
}

// meetingCommand converts a consultation input.
func meetingCommand(a domain.Actor, in model.RecordConsultationInput) consultation.RecordMeeting {
	c := consultation.RecordMeeting{Actor: a, ID: str(in.ConsultationID), Scope: in.Scope, Unit: str(in.Unit), HeldAt: in.HeldAt}
	for _, at := range in.Attendees {
		if at != nil {
			c.Attendees = append(c.Attendees, consultation.Attendee{Unit: at.Unit, Name: at.Name})
		}
	}
	if in.Record != nil {
		c.Record = consultation.Record{InformationExchange: in.Record.InformationExchange,
			ProblemsAndMeasures: in.Record.ProblemsAndMeasures, Other: str(in.Record.Other)}
	}
	for _, r := range in.Resolutions {
		if r == nil {
			continue
		}
		res := consultation.Resolution{ID: str(r.ID), Text: r.Text, OwnerUnit: r.OwnerUnit}
		if r.DueDate != nil {
			res.DueDate = r.DueDate.In(model.Shanghai).Format(model.DateLayout)
		}
		c.Resolutions = append(c.Resolutions, res)
	}
	return c
}

// rubricOf decodes a rubric given as JSON. Errors: domain.ErrValidation.
func rubricOf(year int, raw json.RawMessage) (scorecard.Rubric, error) {
	var r scorecard.Rubric
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return r, domain.ErrValidation.With("评分细则 JSON 无法解析")
	}
	if r.Year == 0 {
		r.Year = year
	}
	return r, nil
}

func policyOf(in *model.DeadlinePolicyInput) domain.Policy {
	if in == nil {
		return domain.Policy{}
	}
	return domain.Policy{PushDays: in.PushDays, ReceiptDays: in.ReceiptDays, SealedDocumentDays: in.SealedDocumentDays,
		FeedbackDays: in.FeedbackDays, RevocationAnswerDays: in.RevocationAnswerDays,
		VerificationStartDays: in.VerificationStartDays, JointInspectionDays: in.JointInspectionDays,
		ReturnReRouteDays: in.ReturnReRouteDays, ResolutionDefaultDays: in.ResolutionDefaultDays,
		CoordinatorVacancyDays: in.CoordinatorVacancyDays, SummaryDueDaysAfterHalf: in.SummaryDueDaysAfterHalf,
		PromptLeadDays: in.PromptLeadDays, YellowPercent: in.YellowPercent}
}

func policyModel(p domain.Policy) *model.DeadlinePolicy {
	return &model.DeadlinePolicy{Version: p.Version, PushDays: p.PushDays, ReceiptDays: p.ReceiptDays,
		SealedDocumentDays: p.SealedDocumentDays, FeedbackDays: p.FeedbackDays, RevocationAnswerDays: p.RevocationAnswerDays,
		VerificationStartDays: p.VerificationStartDays, JointInspectionDays: p.JointInspectionDays,
		ReturnReRouteDays: p.ReturnReRouteDays, ResolutionDefaultDays: p.ResolutionDefaultDays,
		CoordinatorVacancyDays: p.CoordinatorVacancyDays, SummaryDueDaysAfterHalf: p.SummaryDueDaysAfterHalf,
		PromptLeadDays: p.PromptLeadDays, YellowPercent: p.YellowPercent}
}

// policyPayload reads the policy change from the command's events (also
// for a duplicate: the first handling's events).
func policyPayload(res service.Result) *model.PolicyPayload {
	out := &model.PolicyPayload{Policy: policyModel(domain.Policy{}), Position: position(res.Position), Duplicate: res.Duplicate}
	for _, e := range res.Events {
		if pc, ok := e.(timepolicy.PolicyChanged); ok {
			out.Policy, out.EffectiveFrom = policyModel(pc.Policy), pc.EffectiveFrom
		}
	}
	return out
}

// calendarPayload returns the adjusted day on the calendar in force.
func (r *Resolver) calendarPayload(ctx context.Context, date time.Time, res service.Result) (*model.CalendarPayload, error) {
	cal, err := r.Service.Calendar(ctx)
	if err != nil {
		return nil, err
	}
	w, p := cal.IsWorkingDay(date)
	return &model.CalendarPayload{Day: &model.CalendarDay{Date: civilDay(date), Working: w, Provisional: p},
		Position: position(res.Position), Duplicate: res.Duplicate}, nil
}

// summaryPayload returns the summary after a submission.
func (r *Resolver) summaryPayload(ctx context.Context, unit string, year int, half summary.Half, res service.Result) (*model.SummaryPayload, error) {
	db, cat := r.Service.ReadModels()
	v, err := view(summaryrm.SummaryOf(ctx, db, cat, unit, year, half))
	if err != nil {
		return nil, err
	}
	return &model.SummaryPayload{Summary: v, Position: position(res.Position), Duplicate: res.Duplicate}, nil
}

// creditPayload returns the credit record after a repair.
func (r *Resolver) creditPayload(ctx context.Context, res service.Result) (*model.CreditRecordPayload, error) {
	db, cat := r.Service.ReadModels()
	v, err := view(creditrm.RecordOf(ctx, db, cat, res.ID))
	if err != nil {
		return nil, err
	}
	return &model.CreditRecordPayload{CreditRecord: v, Position: position(res.Position), Duplicate: res.Duplicate}, nil
}

// samplingPayload returns the sampling after a commitment or a reveal.
func (r *Resolver) samplingPayload(ctx context.Context, year int, id string, res service.Result) (*model.SamplingPayload, error) {
	db, cat := r.Service.ReadModels()
	v, err := view(assessmentrm.SamplingByID(ctx, db, cat, year, id))
	if err != nil {
		return nil, err
	}
	return &model.SamplingPayload{Sampling: v, Position: position(res.Position), Duplicate: res.Duplicate}, nil
}

// findingPayload returns the finding after it was recorded or its letter
// issued.
func (r *Resolver) findingPayload(ctx context.Context, year int, unit, id string, res service.Result) (*model.FindingPayload, error) {
	db, cat := r.Service.ReadModels()
	out := &model.FindingPayload{Position: position(res.Position), Duplicate: res.Duplicate}
	after := ""
	for {
		p, err := assessmentrm.Findings(ctx, db, cat, assessmentrm.FindingFilter{Year: year, Unit: unit}, projections.MaxPageSize, after)
		if err != nil {
			return nil, err
		}
		for _, f := range p.Items {
			if f.Finding.ID == id {
				out.Finding = &f
				return out, nil
			}
		}
		if !p.HasNext {
			return out, nil
		}
		after = p.EndCursor
	}
}

// assessmentPayload returns where a year's assessment stands after a write.
func (r *Resolver) assessmentPayload(ctx context.Context, year int, res service.Result) (*model.AssessmentPayload, error) {
	db, cat := r.Service.ReadModels()
	out := &model.AssessmentPayload{Year: year, Position: position(res.Position), Duplicate: res.Duplicate}
	rb, err := assessmentrm.RubricOf(ctx, db, cat, year)
	switch {
	case err == nil && len(rb.Versions) > 0:
		out.RubricVersion = rb.Current().Version
	case err != nil && !errors.Is(err, projections.ErrNotFound):
		return nil, err
	}
	_, err = assessmentrm.FinalisedYearOf(ctx, db, cat, year)
	switch {
	case err == nil:
		out.Finalised = true
	case !errors.Is(err, projections.ErrNotFound):
		return nil, err
	}
	return out, nil
}

// securityLogModel converts a page of the security log.
func securityLogModel(p projections.Page[service.Refusal]) *model.SecurityLogConnection {
	out := &model.SecurityLogConnection{HasNextPage: p.HasNext, TotalCount: p.TotalCount}
	if p.EndCursor != "" {
		c := p.EndCursor
		out.EndCursor = &c
	}
	for _, r := range p.Items {
		out.Nodes = append(out.Nodes, &model.Refusal{ID: r.ID, At: r.At, Actor: actorModel(r.Actor), Operation: r.Operation,
			Command: r.Command, Target: r.Target, Code: r.Code, Message: r.Message, RemoteAddr: r.RemoteAddr,
			ForwardedFor: r.ForwardedFor, RequestID: r.RequestID, CommandID: r.CommandID})
	}
	return out
}

// assessmentIDs returns the sampling or finding id and the finding's unit
// named by the command's events (ids the service derived when the client
// gave none).
func assessmentIDs(res service.Result) (samplingID, findingID, unit string) {
	for _, e := range res.Events {
		switch e := e.(type) {
		case assessment.SamplingCommitted:
			samplingID = e.SamplingID
		case assessment.SamplingRevealed:
			samplingID = e.SamplingID
		case assessment.FindingRecorded:
			findingID, unit = e.Finding.ID, e.Finding.Unit
		case assessment.NoticeLetterIssued:
			findingID = e.FindingID
		}
	}
	return samplingID, findingID, unit
}

// assessmentMutation runs an assessment command and returns where the
// year stands.
func (r *Resolver) assessmentMutation(ctx context.Context, commandID *string, c assessment.Command) (*model.AssessmentPayload, error) {
	res, err := r.runAssessment(ctx, commandID, c)
	if err != nil {
		return nil, err
	}
	return r.assessmentPayload(ctx, yearOf(c), res)
}

// samplingMutation runs a sampling command and returns the sampling.
func (r *Resolver) samplingMutation(ctx context.Context, commandID *string, year int, c assessment.Command) (*model.SamplingPayload, error) {
	res, err := r.runAssessment(ctx, commandID, c)
	if err != nil {
		return nil, err
	}
	id, _, _ := assessmentIDs(res)
	return r.samplingPayload(ctx, year, id, res)
}

// findingMutation runs a finding or letter command and returns the
// finding.
func (r *Resolver) findingMutation(ctx context.Context, commandID *string, year int, c assessment.Command) (*model.FindingPayload, error) {
	res, err := r.runAssessment(ctx, commandID, c)
	if err != nil {
		return nil, err
	}
	_, id, unit := assessmentIDs(res)
	return r.findingPayload(ctx, year, unit, id, res)
}

func (r *Resolver) runAssessment(ctx context.Context, commandID *string, c assessment.Command) (service.Result, error) {
	s, err := r.svc()
	if err != nil {
		return service.Result{}, err
	}
	return s.Assessment(ctx, meta(ctx, commandID), c)
}

func yearOf(c assessment.Command) int {
	switch c := c.(type) {
	case assessment.PublishRubric:
		return c.Year
	case assessment.ConductHalfYearInspection:
		return c.Year
	case assessment.FinaliseYear:
		return c.Year
	}
	return 0
}
