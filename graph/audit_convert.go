package graph

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"time"

	"shenguan/domain"
	"shenguan/eventstore"
	"shenguan/graph/audit"
	"shenguan/graph/model"
	"shenguan/projections/obligation"
)

// This file holds the helpers of the auditors' fields (audit.resolvers.go):
// access (AUDITOR and SERVICE_OFFICE only, refusals written to the security
// log), the verify-job table, and conversions from graph/audit.

// auditRoles are the roles that may use the audit fields.
var auditRoles = []domain.Role{domain.RoleAuditor, domain.RoleServiceOffice}

// auditor returns the caller when it may use the audit fields. A refusal
// is FORBIDDEN and is written to the security log.
func (r *Resolver) auditor(ctx context.Context) (domain.Actor, error) {
	a, err := requireRole(ctx, auditRoles...)
	if errors.Is(err, domain.ErrForbidden) {
		r.recordRefusal(ctx, a, err)
	}
	return a, err
}

// recordRefusal writes a refused audit call to the security log through
// the service, when the server has one.
func (r *Resolver) recordRefusal(ctx context.Context, _ domain.Actor, err error) {
	if r.Service == nil {
		return
	}
	a, _ := actor(ctx)
	m := meta(ctx, nil)
	r.Service.RecordRefusal(ctx, m, a, "audit."+m.Operation, err)
}

// auditReader returns the event-store reader of the audit fields.
func (r *Resolver) auditReader() (audit.Reader, error) {
	if r.Events == nil {
		return audit.Reader{}, errUnavailable
	}
	return audit.Reader{Store: r.Events}, nil
}

// verifyJobs holds one job table per root resolver (the Resolver holds
// dependencies only; the table lives beside it for the server's lifetime).
var verifyJobs sync.Map // *Resolver → *audit.Jobs

func (r *Resolver) jobs() (*audit.Jobs, error) {
	if r.Events == nil {
		return nil, errUnavailable
	}
	if j, ok := verifyJobs.Load(r); ok {
		return j.(*audit.Jobs), nil
	}
	j, _ := verifyJobs.LoadOrStore(r, audit.NewJobs(r.Events, r.Now))
	return j.(*audit.Jobs), nil
}

// CloseAudit stops the running verify jobs of r (servers call it on
// shutdown; tests to leave no goroutine behind).
func (r *Resolver) CloseAudit() {
	if j, ok := verifyJobs.LoadAndDelete(r); ok {
		j.(*audit.Jobs).Close()
	}
}

// auditErr maps the errors of graph/audit.
func auditErr(err error) error {
	switch {
	case errors.Is(err, audit.ErrCaseNotFound):
		return domain.ErrNotFound
	case errors.Is(err, audit.ErrBadPoint):
		return domain.ErrValidation.With("at 与 version 须且只须给出一个，且 version 须存在")
	case errors.Is(err, eventstore.ErrInvalidPosition):
		return domain.ErrValidation.With("位置无效")
	}
	return err
}

// itemAt converts a domain obligation to the Obligation type at a moment.
func itemAt(o domain.Obligation, at time.Time) *obligation.Item {
	return &obligation.Item{Obligation: o, State: o.StateAt(at), Warned: []domain.WarningTier{}}
}

func itemsAt(os []domain.Obligation, at time.Time) []*obligation.Item {
	out := make([]*obligation.Item, len(os))
	for i, o := range os {
		out[i] = itemAt(o, at)
	}
	return out
}

// historyEntry converts an entry of a case history.
func historyEntry(en audit.Entry) *model.CaseHistoryEntry {
	e := en.Event
	m := e.Metadata
	return &model.CaseHistoryEntry{
		Event: &e, Type: e.Type, Label: en.Label, Summary: en.Summary,
		Actor: optString(m.ActorID), Unit: optString(m.ActorUnit),
		OccurredAt: m.OccurredAt, RecordedAt: e.RecordedAt,
		CommandID: optString(m.CommandID), CorrelationID: optString(m.CorrelationID), CausationID: optString(m.CausationID),
		Position: e.Position.String(), Version: int(e.Version), Hash: hashHex(e.Hash), PrevHash: hashHex(e.PrevHash),
		Opened: itemsAt(en.Opened, e.RecordedAt), Closed: itemsAt(en.Closed, e.RecordedAt), Dropped: itemsAt(en.Dropped, e.RecordedAt),
	}
}

// caseAsOfModel converts a snapshot.
func caseAsOfModel(s audit.Snapshot) *model.CaseAsOf {
	v := s.View
	out := &model.CaseAsOf{Case: &v, At: s.At, Version: int(s.Version), Position: s.Position.String(),
		Hash: hashHex(s.Hash), RecordedAt: s.RecordedAt,
		Obligations: []*obligation.Item{}, OpenObligations: []*obligation.Item{}, OverdueObligations: []*obligation.Item{}}
	for _, o := range s.Obligations {
		it := &obligation.Item{Obligation: o.Obligation, State: o.State, Warned: o.Warned, MissedAt: o.MissedAt}
		if it.Warned == nil {
			it.Warned = []domain.WarningTier{}
		}
		out.Obligations = append(out.Obligations, it)
		if o.FulfilledAt == nil {
			out.OpenObligations = append(out.OpenObligations, it)
			if o.State == domain.ObOverdue {
				out.OverdueObligations = append(out.OverdueObligations, it)
			}
		}
	}
	return out
}

// chainBreak converts a broken link.
func chainBreak(b *eventstore.Break) *model.ChainBreak {
	if b == nil {
		return nil
	}
	return &model.ChainBreak{Stream: b.StreamID, Version: int(b.Version), EventID: b.EventID,
		Position: b.Position.String(), Reason: b.Reason, Message: b.Error()}
}

// verifyJobModel converts a job status.
func verifyJobModel(s audit.JobStatus) *model.VerifyJob {
	out := &model.VerifyJob{ID: s.ID, State: model.VerifyJobState(s.State), Events: int(s.Events), Streams: s.Streams,
		Break: chainBreak(s.Break), Error: optString(s.Error), StartedAt: s.StartedAt, FinishedAt: s.FinishedAt}
	if !s.At.IsZero() {
		out.Position = optString(s.At.String())
	}
	if !s.Head.IsZero() {
		out.Head = optString(s.Head.String())
	}
	return out
}

// historyPage pages a history by version: after is the version of the
// last entry of the previous page.
func historyPage(h []audit.Entry, first int, after string) (*model.CaseHistoryConnection, error) {
	start := 0
	if after != "" {
		v, err := strconv.ParseUint(after, 10, 64)
		if err != nil {
			return nil, domain.ErrValidation.With("分页游标 after 无效")
		}
		for start < len(h) && h[start].Event.Version <= v {
			start++
		}
	}
	end := min(start+first, len(h))
	out := &model.CaseHistoryConnection{Nodes: []*model.CaseHistoryEntry{}, TotalCount: len(h)}
	for _, en := range h[start:end] {
		out.Nodes = append(out.Nodes, historyEntry(en))
	}
	var cur string
	if end > start {
		cur = strconv.FormatUint(h[end-1].Event.Version, 10)
	}
	out.PageInfo = pageInfo(cur, end < len(h))
	return out, nil
}

// maxScan bounds the events one events query reads looking for matches.
const maxScan = 100_000

// eventPage reads the global log after from, keeping the events that match
// f, until first match or the end of the log (or maxScan events read).
func eventPage(ctx context.Context, s eventstore.Store, from eventstore.Position, f *model.EventFilter, first int) (*model.EventConnection, error) {
	match := func(e eventstore.Event) bool {
		if f == nil {
			return true
		}
		switch {
		case f.Type != nil && *f.Type != "" && e.Type != *f.Type,
			f.StreamPrefix != nil && !strings.HasPrefix(e.StreamID, *f.StreamPrefix),
			f.Unit != nil && *f.Unit != "" && e.Metadata.ActorUnit != *f.Unit,
			f.From != nil && e.RecordedAt.Before(*f.From),
			f.To != nil && !e.RecordedAt.Before(*f.To):
			return false
		}
		return true
	}
	out := &model.EventConnection{Nodes: []*eventstore.Event{}}
	pos := from
	scanned := 0
	more := true
	for len(out.Nodes) < first && scanned < maxScan {
		evs, err := s.ReadAll(ctx, pos, min(1000, maxScan-scanned))
		if err != nil {
			return nil, err
		}
		if len(evs) == 0 {
			more = false
			break
		}
		for i := range evs {
			e := evs[i]
			scanned++
			pos = e.Position
			if match(e) {
				out.Nodes = append(out.Nodes, &e)
				if len(out.Nodes) == first {
					break
				}
			}
		}
	}
	if more {
		// Whether anything follows pos: one more read of a single event.
		next, err := s.ReadAll(ctx, pos, 1)
		if err != nil {
			return nil, err
		}
		more = len(next) > 0
	}
	cur := ""
	if !pos.IsZero() && pos != from {
		cur = pos.String()
	}
	out.PageInfo = pageInfo(cur, more)
	return out, nil
}
