package graph

import (
	"context"
	"encoding/hex"
	"errors"
	"time"

	"shenguan/domain"
	dproblem "shenguan/domain/problem"
	sc "shenguan/domain/scorecard"
	"shenguan/eventstore"
	"shenguan/graph/model"
	"shenguan/projections"
	"shenguan/projections/casefile"
	"shenguan/projections/consultation"
	"shenguan/projections/obligation"
	"shenguan/projections/problem"
	"shenguan/projections/scorecard"
)

// Page sizes of every list of the API: first defaults to defaultFirst and
// may not exceed maxFirst.
const (
	defaultFirst = 50
	maxFirst     = 500
)

// errUnavailable is presented while a read model is not built yet (the
// projections are starting).
var errUnavailable = domain.NewError("UNAVAILABLE", "数据正在准备中，请稍后重试")

// errNoReadModels is the internal error of a server built without the read
// side (a configuration mistake).
var errNoReadModels = errors.New("graph: the resolver has no read-model store")

// pageArgs checks first and after: first defaults to defaultFirst, must not
// be negative and is capped at maxFirst.
func pageArgs(first *int, after *string) (int, string, error) {
	n := defaultFirst
	if first != nil {
		n = *first
	}
	if n < 0 {
		return 0, "", domain.ErrValidation.With("first 不能为负数")
	}
	if n > maxFirst {
		n = maxFirst
	}
	return n, deref(after), nil
}

// readDeps returns the read-model store or an internal error when the
// server was built without one.
func (r *Resolver) readDeps() error {
	if r.ReadDB == nil || r.Catalog == nil {
		return errNoReadModels
	}
	return nil
}

// readErr classifies the errors of read-model queries: not found, bad
// cursors and filters, and read models still being built.
func readErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, projections.ErrNotFound), errors.Is(err, casefile.ErrNotFound),
		errors.Is(err, obligation.ErrNotFound):
		return domain.ErrNotFound
	case errors.Is(err, projections.ErrInvalidCursor), errors.Is(err, casefile.ErrBadCursor),
		errors.Is(err, obligation.ErrBadCursor), errors.Is(err, scorecard.ErrBadCursor):
		return domain.ErrValidation.With("分页游标 after 无效")
	case errors.Is(err, casefile.ErrBadPage), errors.Is(err, scorecard.ErrBadPage),
		errors.Is(err, obligation.ErrBadFilter):
		return domain.ErrValidation.With("查询条件无效")
	case errors.Is(err, projections.ErrNotBuilt):
		return errUnavailable
	}
	return err
}

func pageInfo(end string, hasNext bool) *model.PageInfo {
	return &model.PageInfo{EndCursor: optString(end), HasNextPage: hasNext}
}

// ptrs returns pointers to the elements of xs.
func ptrs[T any](xs []T) []*T {
	out := make([]*T, len(xs))
	for i := range xs {
		out[i] = &xs[i]
	}
	return out
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// optTime returns nil for the zero time.
func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// optString returns nil for "".
func optString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// optActor returns nil for an actor without id.
func optActor(a domain.Actor) *domain.Actor {
	if a.ID == "" {
		return nil
	}
	return &a
}

func caseConnection(p casefile.Page) *model.CaseConnection {
	c := &model.CaseConnection{Nodes: ptrs(p.Items), PageInfo: pageInfo(p.EndCursor, p.HasNext), TotalCount: p.TotalCount}
	c.Edges = make([]*model.CaseEdge, len(c.Nodes))
	for i, n := range c.Nodes {
		c.Edges[i] = &model.CaseEdge{Node: n}
	}
	return c
}

func inboxConnection(p casefile.InboxPage) *model.InboxConnection {
	c := &model.InboxConnection{Nodes: ptrs(p.Items), PageInfo: pageInfo(p.EndCursor, p.HasNext), TotalCount: p.TotalCount}
	c.Edges = make([]*model.InboxEdge, len(c.Nodes))
	for i, n := range c.Nodes {
		c.Edges[i] = &model.InboxEdge{Node: n}
	}
	return c
}

func obligationConnection(p obligation.Page) *model.ObligationConnection {
	c := &model.ObligationConnection{Nodes: ptrs(p.Items), PageInfo: pageInfo(p.EndCursor, p.HasNext), TotalCount: p.TotalCount}
	c.Edges = make([]*model.ObligationEdge, len(c.Nodes))
	for i, n := range c.Nodes {
		c.Edges[i] = &model.ObligationEdge{Node: n}
	}
	return c
}

// caseFilterOf converts the API filter.
func caseFilterOf(f *model.CaseFilter) casefile.Filter {
	if f == nil {
		return casefile.Filter{}
	}
	return casefile.Filter{
		ApprovingUnit: deref(f.ApprovingUnit), SupervisingUnit: deref(f.SupervisingUnit),
		InvolvesUnit: deref(f.InvolvesUnit), MatterCode: deref(f.MatterCode), SubjectID: deref(f.SubjectID),
		Status: deref(f.Status), Outcome: deref(f.Outcome), Mode: deref(f.Mode), Overdue: f.Overdue,
		DecidedFrom: deref(f.DecidedFrom), DecidedTo: deref(f.DecidedTo),
	}
}

// caseFor reads a case the caller may see; an uninvolved case is answered
// like a missing one.
func (r *Resolver) caseFor(ctx context.Context, a domain.Actor, id string) (casefile.Case, error) {
	if err := r.readDeps(); err != nil {
		return casefile.Case{}, err
	}
	c, err := casefile.Get(ctx, r.ReadDB, r.Catalog, id)
	if err != nil {
		return casefile.Case{}, readErr(err)
	}
	if !canSeeCase(a, c) {
		return casefile.Case{}, errHidden
	}
	return c, nil
}

// caseObligations lists every obligation of a case (a case has a few dozen
// at most), with their states now.
func (r *Resolver) caseObligations(ctx context.Context, id string) ([]*obligation.Item, error) {
	var out []*obligation.Item
	after := ""
	for {
		p, err := obligation.List(ctx, r.ReadDB, r.Catalog, obligation.Filter{Subject: "case/" + id}, r.now(), obligation.MaxPage, after)
		if err != nil {
			return nil, readErr(err)
		}
		out = append(out, ptrs(p.Items)...)
		if !p.HasNext {
			return out, nil
		}
		after = p.EndCursor
	}
}

// hashHex returns the hex form of an SM3 hash.
func hashHex(h eventstore.Hash) string { return hex.EncodeToString(h[:]) }

// severityOf returns a finding's severity (GENERAL when unset).
func severityOf(f sc.Finding) sc.Severity {
	if f.Severity == "" {
		return sc.SeverityGeneral
	}
	return f.Severity
}

// problemsOf returns how many problems a finding counts (0 means 1).
func problemsOf(f sc.Finding) int {
	if f.Problems <= 0 {
		return 1
	}
	return f.Problems
}

// partOf returns the part a finding names, nil when the rubric decides.
func partOf(f sc.Finding) *sc.PartKey {
	if f.Part == "" {
		return nil
	}
	return &f.Part
}

// inbox reads a page of a unit's inbox.
func (r *Resolver) inbox(ctx context.Context, unit string, first int, after string) (*model.InboxConnection, error) {
	if err := r.readDeps(); err != nil {
		return nil, err
	}
	p, err := casefile.Inbox(ctx, r.ReadDB, r.Catalog, unit, first, after)
	if err != nil {
		return nil, readErr(err)
	}
	return inboxConnection(p), nil
}

// consultationResolutions returns a meeting's resolutions: those it was
// read with, or, for a meeting read from a list, read now.
func (r *Resolver) consultationResolutions(ctx context.Context, c *consultation.Consultation) ([]*consultation.Resolution, error) {
	if c.Resolutions != nil || c.ResolutionCount == 0 {
		return ptrs(c.Resolutions), nil
	}
	full, err := consultation.ConsultationByID(ctx, r.ReadDB, r.Catalog, c.ID)
	if err != nil {
		return nil, readErr(err)
	}
	return ptrs(full.Resolutions), nil
}

// problemDetail returns a problem with its trail and notes: as read, or,
// for a problem read from a list, read now.
func (r *Resolver) problemDetail(ctx context.Context, p *problem.Problem) (*problem.Problem, error) {
	if p.Trail != nil || p.Progress != nil {
		return p, nil
	}
	full, err := problem.ProblemByID(ctx, r.ReadDB, r.Catalog, p.ID)
	if err != nil {
		return nil, readErr(err)
	}
	return &full, nil
}

func (r *Resolver) problemTrail(ctx context.Context, p *problem.Problem) ([]*dproblem.Step, error) {
	full, err := r.problemDetail(ctx, p)
	if err != nil {
		return nil, err
	}
	return ptrs(full.Trail), nil
}

func (r *Resolver) problemProgress(ctx context.Context, p *problem.Problem) ([]*dproblem.Progress, error) {
	full, err := r.problemDetail(ctx, p)
	if err != nil {
		return nil, err
	}
	return ptrs(full.Progress), nil
}
