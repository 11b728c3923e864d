package obligation

import (
	"encoding/json"
	"strconv"
	"time"
	"unicode/utf8"

	"shenguan/domain/cases"
)

// The stored form of a case's state (cases.State), written by hand instead
// of with encoding/json: the read models of cases store the state of every
// case, and in a rebuild its encoding was a large part of the work. It is
// JSON, shorter than encoding/json's: short keys at the top level (the
// nested records keep the domain's JSON tags, so that they decode into the
// domain types), and empty values left out. Times are written as
// encoding/json writes them (RFC 3339 with nanoseconds), so that they decode
// to the same instant and zone.
//
// The slim form (AppendCaseState with slim set) leaves out what neither
// cases.Evolve nor cases.Obligations reads (documents, names, notes,
// numbers): it is what the obligation read model keeps.

// caseJSON is the stored form's top level; its nested records are the
// domain's.
type caseJSON struct {
	ID             string                    `json:"i"`
	Status         cases.Status              `json:"st"`
	ApprovingUnit  string                    `json:"au"`
	PushedBy       string                    `json:"pb"`
	Matter         cases.MatterSnapshot      `json:"m"`
	Subject        cases.Subject             `json:"sj"`
	Outcome        cases.Outcome             `json:"o"`
	Mode           cases.Mode                `json:"md"`
	DecidedAt      time.Time                 `json:"da"`
	PushedAt       time.Time                 `json:"pa"`
	Documents      []cases.Document          `json:"doc"`
	PermitNumber   string                    `json:"pn"`
	CheckWarning   string                    `json:"cw"`
	DuplicateOf    []string                  `json:"dup"`
	Corrections    []cases.Correction        `json:"cor"`
	SealedDocument *cases.SealedDocument     `json:"sd"`
	Addressings    []cases.Addressing        `json:"ad"`
	Reroutes       []cases.Reroute           `json:"rr"`
	Verifications  []cases.Verification      `json:"vf"`
	Inspections    []cases.JointInspection   `json:"ji"`
	Violations     []cases.Violation         `json:"vi"`
	Rectifications []cases.Rectification     `json:"rc"`
	Penalties      []cases.Penalty           `json:"pe"`
	Revocations    []cases.RevocationRequest `json:"rv"`
	ClosedAt       *time.Time                `json:"ca"`
}

// ParseCaseState decodes the stored form of a case's state (full or slim).
func ParseCaseState(b []byte) (cases.State, error) {
	var j caseJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return cases.State{}, err
	}
	return cases.State(j), nil
}

// AppendCaseState appends the stored form of s to b; slim leaves out what
// the obligation read model does not need.
func AppendCaseState(b []byte, s cases.State, slim bool) []byte {
	e := enc{b: b}
	e.open()
	e.str("i", s.ID)
	e.str("st", string(s.Status))
	e.str("au", s.ApprovingUnit)
	if !slim {
		e.str("pb", s.PushedBy)
	}
	m := s.Matter
	if slim {
		m = cases.MatterSnapshot{MajorRisk: m.MajorRisk}
	}
	if m.Code != "" || m.Name != "" || m.ApprovingUnit != "" || m.SupervisingUnits != nil ||
		m.CommitmentApplies || m.MajorRisk != "" || m.Retired {
		e.key("m")
		e.open()
		e.str("code", m.Code)
		e.str("name", m.Name)
		e.str("approvingUnit", m.ApprovingUnit)
		e.strs("supervisingUnits", m.SupervisingUnits)
		e.bool("commitmentApplies", m.CommitmentApplies)
		e.str("majorRisk", string(m.MajorRisk))
		e.bool("retired", m.Retired)
		e.close()
	}
	if !slim && s.Subject != (cases.Subject{}) {
		e.key("sj")
		e.open()
		e.str("kind", string(s.Subject.Kind))
		e.str("id", s.Subject.ID)
		e.str("name", s.Subject.Name)
		e.close()
	}
	e.str("o", string(s.Outcome))
	e.str("md", string(s.Mode))
	e.time("da", s.DecidedAt)
	e.time("pa", s.PushedAt)
	if !slim {
		if s.Documents != nil {
			e.key("doc")
			e.arr()
			for _, d := range s.Documents {
				e.elem()
				e.open()
				e.str("name", d.Name)
				e.str("kind", string(d.Kind))
				e.str("sha256", d.SHA256)
				e.int("size", d.Size)
				e.close()
			}
			e.end()
		}
		e.str("pn", s.PermitNumber)
		e.str("cw", s.CheckWarning)
		e.strs("dup", s.DuplicateOf)
		if s.Corrections != nil {
			e.key("cor")
			e.arr()
			for _, c := range s.Corrections {
				e.elem()
				e.open()
				e.str("reason", c.Reason)
				e.str("by", c.By)
				e.time("at", c.At)
				e.close()
			}
			e.end()
		}
	}
	if d := s.SealedDocument; d != nil {
		e.key("sd")
		e.open()
		if !slim {
			e.str("number", d.Number)
		}
		e.time("at", d.At)
		e.close()
	}
	if s.Addressings != nil {
		e.key("ad")
		e.arr()
		for _, a := range s.Addressings {
			e.elem()
			e.open()
			e.str("unit", a.Unit)
			e.int("round", int64(a.Round))
			e.time("addressedAt", a.AddressedAt)
			e.timePtr("receivedAt", a.ReceivedAt)
			if !slim {
				e.str("receivedBy", a.ReceivedBy)
			}
			if r := a.Return; r != nil {
				e.key("return")
				e.open()
				e.str("reason", string(r.Reason))
				if !slim {
					e.str("note", r.Note)
					e.str("by", r.By)
				}
				e.time("at", r.At)
				if d := r.Dispute; d != nil {
					e.key("dispute")
					e.open()
					if !slim {
						e.str("reason", d.Reason)
					}
					e.time("at", d.At)
					e.str("decision", string(d.Decision))
					e.timePtr("resolvedAt", d.ResolvedAt)
					if !slim {
						e.str("note", d.Note)
					}
					e.close()
				}
				e.close()
			}
			e.close()
		}
		e.end()
	}
	if s.Reroutes != nil {
		e.key("rr")
		e.arr()
		for _, r := range s.Reroutes {
			e.elem()
			e.open()
			e.int("seq", int64(r.Seq))
			e.str("cause", string(r.Cause))
			e.str("unit", r.Unit)
			e.time("startedAt", r.StartedAt)
			e.timePtr("fulfilledAt", r.FulfilledAt)
			e.close()
		}
		e.end()
	}
	if s.Verifications != nil {
		e.key("vf")
		e.arr()
		for _, v := range s.Verifications {
			e.elem()
			e.open()
			e.str("unit", v.Unit)
			e.time("startedAt", v.StartedAt)
			e.timePtr("completedAt", v.CompletedAt)
			e.str("result", string(v.Result))
			if !slim {
				e.str("note", v.Note)
			}
			e.close()
		}
		e.end()
	}
	if s.Inspections != nil {
		e.key("ji")
		e.arr()
		for _, j := range s.Inspections {
			e.elem()
			e.open()
			e.int("seq", int64(j.Seq))
			e.str("leadUnit", j.LeadUnit)
			e.strs("units", j.Units)
			if !slim {
				e.str("plan", j.Plan)
			}
			e.time("organisedAt", j.OrganisedAt)
			e.timePtr("completedAt", j.CompletedAt)
			if !slim {
				e.str("findings", j.Findings)
			}
			e.close()
		}
		e.end()
	}
	if s.Violations != nil {
		e.key("vi")
		e.arr()
		for _, v := range s.Violations {
			e.elem()
			e.open()
			e.int("seq", int64(v.Seq))
			e.str("unit", v.Unit)
			e.time("discoveredAt", v.DiscoveredAt)
			if !slim {
				e.str("description", v.Description)
			}
			e.time("recordedAt", v.RecordedAt)
			if f := v.Feedback; f != nil {
				e.key("feedback")
				e.open()
				e.str("channel", string(f.Channel))
				if !slim {
					e.str("letterNumber", f.LetterNumber)
					e.str("content", f.Content)
				}
				e.time("at", f.At)
				e.close()
			}
			e.close()
		}
		e.end()
	}
	if s.Rectifications != nil {
		e.key("rc")
		e.arr()
		for _, r := range s.Rectifications {
			e.elem()
			e.open()
			e.int("seq", int64(r.Seq))
			e.str("unit", r.Unit)
			if !slim {
				e.str("requirement", r.Requirement)
			}
			e.time("deadline", r.Deadline)
			e.time("orderedAt", r.OrderedAt)
			e.timePtr("confirmedAt", r.ConfirmedAt)
			e.bool("rectified", r.Rectified)
			if !slim {
				e.str("note", r.Note)
			}
			e.close()
		}
		e.end()
	}
	if !slim && s.Penalties != nil {
		e.key("pe")
		e.arr()
		for _, p := range s.Penalties {
			e.elem()
			e.open()
			e.int("seq", int64(p.Seq))
			e.str("unit", p.Unit)
			e.str("decisionNumber", p.DecisionNumber)
			e.str("summary", p.Summary)
			e.time("at", p.At)
			e.close()
		}
		e.end()
	}
	if s.Revocations != nil {
		e.key("rv")
		e.arr()
		for _, r := range s.Revocations {
			e.elem()
			e.open()
			e.int("seq", int64(r.Seq))
			e.str("unit", r.Unit)
			if !slim {
				e.str("documentNumber", r.DocumentNumber)
				e.str("reason", r.Reason)
			}
			e.time("at", r.At)
			e.timePtr("answeredAt", r.AnsweredAt)
			e.bool("revoked", r.Revoked)
			if !slim {
				e.str("decisionNumber", r.DecisionNumber)
			}
			e.bool("dishonest", r.Dishonest)
			if !slim {
				e.str("explanation", r.Explanation)
				e.str("answerDocument", r.AnswerDocument)
			}
			e.close()
		}
		e.end()
	}
	e.timePtr("ca", s.ClosedAt)
	e.close()
	return e.b
}

// enc appends JSON objects and arrays, leaving out empty values.
type enc struct {
	b     []byte
	comma bool // the next member or element needs a comma
}

func (e *enc) open()  { e.b = append(e.b, '{'); e.comma = false }
func (e *enc) close() { e.b = append(e.b, '}'); e.comma = true }
func (e *enc) arr()   { e.b = append(e.b, '['); e.comma = false }
func (e *enc) end()   { e.b = append(e.b, ']'); e.comma = true }

// elem starts an array element.
func (e *enc) elem() {
	if e.comma {
		e.b = append(e.b, ',')
	}
	e.comma = false
}

func (e *enc) key(k string) {
	if e.comma {
		e.b = append(e.b, ',')
	}
	e.b = append(e.b, '"')
	e.b = append(e.b, k...)
	e.b = append(e.b, '"', ':')
	e.comma = false
}

func (e *enc) str(k, v string) {
	if v == "" {
		return
	}
	e.key(k)
	e.b = appendString(e.b, v)
	e.comma = true
}

// strs writes a list of strings (an empty non-nil list as [], since a
// domain state may tell the two apart).
func (e *enc) strs(k string, v []string) {
	if v == nil {
		return
	}
	e.key(k)
	e.b = append(e.b, '[')
	for i, s := range v {
		if i > 0 {
			e.b = append(e.b, ',')
		}
		e.b = appendString(e.b, s)
	}
	e.b = append(e.b, ']')
	e.comma = true
}

func (e *enc) int(k string, v int64) {
	if v == 0 {
		return
	}
	e.key(k)
	e.b = strconv.AppendInt(e.b, v, 10)
	e.comma = true
}

func (e *enc) bool(k string, v bool) {
	if !v {
		return
	}
	e.key(k)
	e.b = append(e.b, "true"...)
	e.comma = true
}

func (e *enc) time(k string, t time.Time) {
	if t.IsZero() {
		return
	}
	e.key(k)
	e.appendTime(t)
}

func (e *enc) timePtr(k string, t *time.Time) {
	if t == nil {
		return
	}
	e.key(k)
	e.appendTime(*t)
}

func (e *enc) appendTime(t time.Time) {
	e.b = append(e.b, '"')
	e.b = t.AppendFormat(e.b, time.RFC3339Nano)
	e.b = append(e.b, '"')
	e.comma = true
}

// appendString appends s as a JSON string: as it is when valid UTF-8
// without a byte JSON must escape, else as encoding/json writes it.
func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' {
			q, _ := json.Marshal(s)
			return append(b, q...)
		}
	}
	if !utf8.ValidString(s) {
		q, _ := json.Marshal(s)
		return append(b, q...)
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
