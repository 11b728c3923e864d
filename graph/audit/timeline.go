package audit

import (
	"fmt"
	"io"
	"strings"
	"time"

	"shenguan/domain"
)

// Deadline changes in a timeline line.
const (
	ChangeOpened  = "OPENED"  // the obligation started
	ChangeClosed  = "CLOSED"  // fulfilled by the event
	ChangeDropped = "DROPPED" // no longer owed
	ChangeOverdue = "OVERDUE" // still open and past due when the event was recorded
)

// DeadlineNote is what an event did to one obligation (时限).
type DeadlineNote struct {
	ObligationID string                 `json:"obligationId"`
	Kind         domain.ObligationKind  `json:"kind"`
	KindLabel    string                 `json:"kindLabel"`
	Unit         string                 `json:"unit"`
	Change       string                 `json:"change"`
	State        domain.ObligationState `json:"state"`
	StateLabel   string                 `json:"stateLabel"`
	Due          time.Time              `json:"due"`
	FulfilledAt  *time.Time             `json:"fulfilledAt,omitempty"`
}

// Line is one event of a timeline, for people (String) and machines (JSON).
type Line struct {
	Version    uint64         `json:"version"`
	Position   string         `json:"position"`
	OccurredAt time.Time      `json:"occurredAt"`
	RecordedAt time.Time      `json:"recordedAt"`
	Unit       string         `json:"unit"`
	Actor      string         `json:"actor"`
	Type       string         `json:"type"`
	Label      string         `json:"label"`
	Summary    string         `json:"summary"`
	Deadlines  []DeadlineNote `json:"deadlines"`
	Hash       string         `json:"hash"`
}

// Timeline turns a history into timeline lines.
func Timeline(h []Entry) []Line {
	out := make([]Line, len(h))
	for i, en := range h {
		e := en.Event
		l := Line{Version: e.Version, Position: e.Position.String(), OccurredAt: e.Metadata.OccurredAt,
			RecordedAt: e.RecordedAt, Unit: e.Metadata.ActorUnit, Actor: e.Metadata.ActorID,
			Type: e.Type, Label: en.Label, Summary: en.Summary, Hash: e.Hash.String(), Deadlines: []DeadlineNote{}}
		note := func(o domain.Obligation, change string) {
			st := o.StateAt(e.RecordedAt)
			l.Deadlines = append(l.Deadlines, DeadlineNote{ObligationID: o.ID, Kind: o.Kind, KindLabel: KindLabel(o.Kind),
				Unit: o.ResponsibleUnit, Change: change, State: st, StateLabel: StateLabel(st), Due: o.Due.At, FulfilledAt: o.FulfilledAt})
		}
		closed := map[string]bool{}
		for _, o := range en.Closed {
			closed[o.ID] = true
			note(o, ChangeClosed)
		}
		for _, o := range en.Opened {
			if !closed[o.ID] {
				note(o, ChangeOpened)
			}
		}
		for _, o := range en.Dropped {
			note(o, ChangeDropped)
		}
		for _, o := range en.Overdue {
			note(o, ChangeOverdue)
		}
		out[i] = l
	}
	return out
}

// FormatDue renders a due time: 24:00 of a day rather than 00:00 of the next.
func FormatDue(t time.Time) string {
	s := t.In(shanghai)
	if s.Hour() == 0 && s.Minute() == 0 && s.Second() == 0 && s.Nanosecond() == 0 {
		return s.AddDate(0, 0, -1).Format("2006-01-02") + " 24:00"
	}
	return s.Format("2006-01-02 15:04")
}

// String renders the line in zh-CN: time (Asia/Shanghai), unit, actor,
// what happened, and the deadline state it left.
func (l Line) String() string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "%s  %s  %s  #%d %s", FormatTime(l.OccurredAt), orDash(l.Unit), orDash(l.Actor), l.Version, l.Summary)
	var notes []string
	for _, d := range l.Deadlines {
		what := d.KindLabel
		if d.Unit != "" {
			what += "（" + d.Unit + "）"
		}
		switch d.Change {
		case ChangeClosed:
			notes = append(notes, what+" "+d.StateLabel)
		case ChangeOpened:
			notes = append(notes, what+" 开始计时，截止 "+FormatDue(d.Due))
		case ChangeDropped:
			notes = append(notes, what+" 不再需要")
		case ChangeOverdue:
			notes = append(notes, what+" 已超期（截止 "+FormatDue(d.Due)+"）")
		}
	}
	if len(notes) > 0 {
		sb.WriteString("  | ")
		sb.WriteString(strings.Join(notes, "；"))
	}
	return sb.String()
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// WriteTimeline writes a heading and one line per event.
func WriteTimeline(w io.Writer, caseID string, lines []Line) error {
	if _, err := fmt.Fprintf(w, "办件 %s 的全部事件（%d 个；时间为北京时间）\n", caseID, len(lines)); err != nil {
		return err
	}
	for _, l := range lines {
		if _, err := fmt.Fprintln(w, l.String()); err != nil {
			return err
		}
	}
	return nil
}
