package graph

import (
	"context"
	"log/slog"
	"time"

	"shenguan/domain"
	"shenguan/graph/model"
)

// maxCalendarSpan is the longest range workingDays lists (two years).
const maxCalendarSpan = 731

// maxDueWorkingDays bounds dueDate's workingDays argument.
const maxDueWorkingDays = 1000

func (r *Resolver) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

func (r *Resolver) logger() *slog.Logger {
	if r.Logger != nil {
		return r.Logger
	}
	return slog.Default()
}

// actorModel converts an actor to its API type.
func actorModel(a domain.Actor) *model.Actor {
	roles := make([]model.Role, 0, len(a.Roles))
	for _, r := range a.Roles {
		if m := model.Role(r); m.IsValid() {
			roles = append(roles, m)
		}
	}
	return &model.Actor{ID: a.ID, Name: a.Name, Unit: a.Unit, Roles: roles}
}

// dueModel converts a calendar due time to its API type.
func dueModel(d domain.Due) *model.DueDate {
	return &model.DueDate{At: d.At, Provisional: d.Provisional}
}

// workingDaysModel lists the days of [from, to] (civil days in
// Asia/Shanghai) on cal. Errors: domain.ErrValidation when to is before from
// or the range is longer than maxCalendarSpan days.
func workingDaysModel(cal domain.Calendar, from, to time.Time) (*model.WorkingDays, error) {
	from, to = civilDay(from), civilDay(to)
	if to.Before(from) {
		return nil, domain.ErrValidation.With("结束日期早于开始日期")
	}
	if n := daysBetween(from, to); n >= maxCalendarSpan {
		return nil, domain.ErrValidation.With("日期范围最多 %d 天", maxCalendarSpan)
	}
	count, prov := cal.WorkingDaysBetween(from, to)
	out := &model.WorkingDays{Count: count, Provisional: prov}
	for d := from; !d.After(to); d = d.AddDate(0, 0, 1) {
		w, p := cal.IsWorkingDay(d)
		out.Days = append(out.Days, &model.CalendarDay{Date: d, Working: w, Provisional: p})
		out.Provisional = out.Provisional || p
	}
	return out, nil
}

// civilDay returns midnight (Asia/Shanghai) of t's civil day.
func civilDay(t time.Time) time.Time {
	y, m, d := t.In(model.Shanghai).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, model.Shanghai)
}

func daysBetween(from, to time.Time) int {
	return int(to.Sub(from).Hours()+12) / 24
}

// serverInfoModel converts the service description to its API type.
func serverInfoModel(info Info, now time.Time) *model.ServerInfo {
	return &model.ServerInfo{Name: "shenguan", Version: info.Version, Store: info.Store,
		StartedAt: info.StartedAt, Now: now}
}

// heartbeat sends now() at once and then every interval until ctx is done,
// when it closes the channel. A tick the subscriber has not taken yet is
// dropped, never queued.
func heartbeat(ctx context.Context, interval time.Duration, now func() time.Time) <-chan *time.Time {
	ch := make(chan *time.Time, 1)
	go func() {
		defer close(ch)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			n := now()
			select {
			case ch <- &n:
			default:
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return ch
}
