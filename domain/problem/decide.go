package problem

import (
	"strings"
	"time"

	"shenguan/domain"
)

// Decide decides a command against the state of a problem. The time of each
// event is the command's At, or now when At is zero.
//
// Errors: domain.ErrValidation (missing fields), ErrAlreadyRaised,
// ErrNotFound, ErrAlreadyResolved, ErrWrongUnit, ErrWrongLevel,
// ErrEscalationSkip, ErrEscalationBack, domain.ErrUnknownCmd.
func Decide(s State, c Command, now time.Time, _ domain.Policy) ([]domain.Event, error) {
	switch c := c.(type) {
	case Raise:
		return decideRaise(s, c, at(c.At, now))
	case AddProgress:
		if err := checkOpen(s, c.Actor); err != nil {
			return nil, err
		}
		if !holdsAtLeast(c.Actor, s.Level) {
			return nil, ErrWrongLevel.With("问题现由%d级协调员处理", s.Level)
		}
		if blank(c.Note) {
			return nil, domain.ErrValidation.With("进展说明不能为空")
		}
		return []domain.Event{ProgressAdded{ID: s.ID, Note: c.Note, By: c.Actor, Level: s.Level, At: at(c.At, now)}}, nil
	case Escalate:
		return decideEscalate(s, c, at(c.At, now))
	case Resolve:
		if err := checkOpen(s, c.Actor); err != nil {
			return nil, err
		}
		if !holdsAtLeast(c.Actor, s.Level) {
			return nil, ErrWrongLevel.With("问题现由%d级协调员处理", s.Level)
		}
		if blank(c.Resolution) {
			return nil, domain.ErrValidation.With("解决情况不能为空")
		}
		return []domain.Event{Resolved{ID: s.ID, Resolution: c.Resolution, Level: s.Level, By: c.Actor, At: at(c.At, now)}}, nil
	}
	return nil, domain.ErrUnknownCmd
}

func decideRaise(s State, c Raise, t time.Time) ([]domain.Event, error) {
	if s.Raised() {
		return nil, ErrAlreadyRaised
	}
	switch {
	case blank(c.ID):
		return nil, domain.ErrValidation.With("问题编号不能为空")
	case blank(c.Unit):
		return nil, domain.ErrValidation.With("单位不能为空")
	case blank(c.Title):
		return nil, domain.ErrValidation.With("问题标题不能为空")
	case blank(c.Description):
		return nil, domain.ErrValidation.With("问题描述不能为空")
	}
	if c.Actor.Unit != c.Unit {
		return nil, ErrWrongUnit
	}
	if !c.Actor.Has(domain.RoleCoordinatorL2) {
		return nil, ErrWrongLevel.With("问题由二级协调员登记")
	}
	return []domain.Event{Raised{ID: c.ID, Unit: c.Unit, Title: c.Title, Description: c.Description,
		RelatedCaseIDs: c.RelatedCaseIDs, MatterCode: c.MatterCode, RaisedBy: c.Actor, At: t}}, nil
}

func decideEscalate(s State, c Escalate, t time.Time) ([]domain.Event, error) {
	if err := checkOpen(s, c.Actor); err != nil {
		return nil, err
	}
	if c.To.rank() == 0 {
		return nil, domain.ErrValidation.With("协调员级别只能是1、2或3")
	}
	if c.To.rank() <= s.Level.rank() {
		return nil, ErrEscalationBack.With("问题现由%d级协调员处理", s.Level)
	}
	if c.To != s.Level.next() {
		return nil, ErrEscalationSkip.With("问题现由%d级协调员处理，应先上报%d级", s.Level, s.Level.next())
	}
	if !c.Actor.Has(s.Level.role()) {
		return nil, ErrWrongLevel.With("只有%d级协调员可以上报%d级", s.Level, c.To)
	}
	return []domain.Event{Escalated{ID: s.ID, From: s.Level, To: c.To, Reason: c.Reason, By: c.Actor, At: t}}, nil
}

// checkOpen refuses commands on a problem that is missing, resolved, or of
// another unit than the actor's.
func checkOpen(s State, a domain.Actor) error {
	switch {
	case !s.Raised():
		return ErrNotFound
	case s.Status == StatusResolved:
		return ErrAlreadyResolved
	case a.Unit != s.Unit:
		return ErrWrongUnit
	}
	return nil
}

// holdsAtLeast reports whether the actor holds a coordinator role of level l
// or of a level above it on the escalation path.
func holdsAtLeast(a domain.Actor, l Level) bool {
	for _, x := range []Level{Level2, Level1, Level3} {
		if x.rank() >= l.rank() && a.Has(x.role()) {
			return true
		}
	}
	return false
}

func at(t, now time.Time) time.Time {
	if t.IsZero() {
		return now
	}
	return t
}

func blank(s string) bool { return strings.TrimSpace(s) == "" }
