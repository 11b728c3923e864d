package cases

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"pgregory.net/rapid"

	"shenguan/domain"
	"shenguan/domain/calendar"
	"shenguan/domain/directory"
)

var propActors = []domain.Actor{approver, supA, supB, supC, office,
	{ID: "p-x", Unit: "u-street", Roles: []domain.Role{domain.RoleApprover}}}

func drawActor(t *rapid.T) domain.Actor {
	return rapid.SampledFrom(propActors).Draw(t, "actor")
}

func drawText(t *rapid.T, label string) string {
	return rapid.SampledFrom([]string{"", "说明", "东丽〔2026〕1号", "东丽〔2026〕2号"}).Draw(t, label)
}

var (
	approverSide = []domain.Actor{approver, approver, approver, supA, propActors[5]}
	supervisors  = []domain.Actor{supA, supB, supC, supA, supB, approver}
	officeSide   = []domain.Actor{office, office, approver}
)

func drawPush(t *rapid.T, now time.Time) Push {
	c := pushCmd()
	c.Matter.SupervisingUnits = rapid.SliceOfNDistinct(rapid.SampledFrom([]string{"u-scjgj", "u-yjj", "u-wjw"}),
		0, 3, rapid.ID[string]).Draw(t, "units")
	c.Matter.MajorRisk = rapid.SampledFrom([]directory.MajorRisk{directory.RiskNone, directory.RiskPublicSafety}).Draw(t, "risk")
	c.Outcome = rapid.SampledFrom([]Outcome{OutcomeGranted, OutcomeGranted, OutcomeGranted, OutcomeDenied, OutcomeWithdrawn}).Draw(t, "outcome")
	if rapid.Bool().Draw(t, "commitment") {
		c.Mode, c.Documents = ModeCommitment, docs(true)
	}
	c.DecidedAt = now.Add(-time.Duration(rapid.IntRange(0, 72).Draw(t, "lag")) * time.Hour)
	return c
}

// drawCommand draws any command, valid or not, for case c1 (sometimes c2).
func drawCommand(t *rapid.T, now time.Time, st State) Command {
	supervisors := supervisors
	for _, u := range st.ActiveUnits() {
		for _, a := range []domain.Actor{supA, supB, supC} {
			if a.Unit == u {
				supervisors = append(supervisors, a, a, a)
			}
		}
	}
	side := func(actors []domain.Actor) domain.Actor {
		if rapid.IntRange(0, 9).Draw(t, "plausible") < 8 {
			return rapid.SampledFrom(actors).Draw(t, "actor")
		}
		return drawActor(t)
	}
	a := side(supervisors)
	id := rapid.SampledFrom([]string{"c1", "c1", "c1", "c1", "c1", "c1", "c1", "c2"}).Draw(t, "case")
	unit := rapid.SampledFrom([]string{"u-scjgj", "u-yjj", "u-wjw", "u-x"}).Draw(t, "unit")
	seq := rapid.IntRange(1, 3).Draw(t, "seq")
	hours := func(label string, lo, hi int) time.Duration {
		return time.Duration(rapid.IntRange(lo, hi).Draw(t, label)) * time.Hour
	}
	switch rapid.SampledFrom(rapid.Permutation([]int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21}).Draw(t, "order")).Draw(t, "kind") {
	case 0:
		c := drawPush(t, now)
		c.CaseID = id
		return c
	case 1:
		c := CorrectPush{Actor: side(approverSide), CaseID: id, Reason: drawText(t, "reason"), PermitNumber: drawText(t, "permit")}
		if rapid.Bool().Draw(t, "docs") {
			c.Documents = docs(rapid.Bool().Draw(t, "letter"))
		}
		return c
	case 2:
		return RecordSealedDocument{Actor: side(approverSide), CaseID: id, Number: drawText(t, "number")}
	case 3, 4:
		return Receive{Actor: a, CaseID: id}
	case 5:
		if rapid.IntRange(0, 2).Draw(t, "return") > 0 {
			return StartVerification{Actor: a, CaseID: id}
		}
		return Return{Actor: a, CaseID: id, Note: drawText(t, "note"),
			Reason: rapid.SampledFrom([]ReturnReason{ReturnWrongUnit, ReturnNotInScope, ReturnIncompleteMaterials, ReturnOther, "BAD"}).Draw(t, "why")}
	case 6:
		return DisputeReturn{Actor: side(approverSide), CaseID: id, ReturnUnit: unit, Reason: drawText(t, "reason")}
	case 7:
		return ResolveReturnDispute{Actor: side(officeSide), CaseID: id, ReturnUnit: unit,
			Decision: rapid.SampledFrom([]DisputeDecision{DisputeUpholdReturn, DisputeOrderReceipt, "BAD"}).Draw(t, "decision")}
	case 8:
		return ReRoute{Actor: side(approverSide), CaseID: id, Units: rapid.SliceOfN(rapid.SampledFrom([]string{"u-scjgj", "u-yjj", "u-wjw", "u-x"}), 0, 2).Draw(t, "units")}
	case 9:
		return StartVerification{Actor: a, CaseID: id}
	case 10:
		return OrganiseJointInspection{Actor: a, CaseID: id, Units: rapid.SliceOfN(rapid.SampledFrom([]string{"u-scjgj", "u-yjj", "u-wjw"}), 0, 3).Draw(t, "units")}
	case 11:
		return CompleteJointInspection{Actor: a, CaseID: id, Seq: seq, Findings: drawText(t, "findings")}
	case 12:
		return CompleteVerification{Actor: a, CaseID: id, Note: drawText(t, "note"),
			Result: rapid.SampledFrom([]VerificationResult{VerificationConfirmed, VerificationUntrue, VerificationNonCompliant, "BAD"}).Draw(t, "result")}
	case 13:
		return RecordViolation{Actor: a, CaseID: id, DiscoveredAt: now.Add(-hours("ago", -2, 48)), Description: drawText(t, "desc")}
	case 14:
		return SubmitFeedback{Actor: a, CaseID: id, ViolationSeq: seq, LetterNumber: drawText(t, "letter"), Content: drawText(t, "content"),
			Channel: rapid.SampledFrom([]Channel{ChannelSystem, ChannelPaperLetter, "FAX"}).Draw(t, "channel")}
	case 15:
		return OrderRectification{Actor: a, CaseID: id, Requirement: drawText(t, "req"), Deadline: now.Add(hours("in", -24, 400))}
	case 16:
		return ConfirmRectification{Actor: a, CaseID: id, Seq: seq, Rectified: rapid.Bool().Draw(t, "ok")}
	case 17:
		return ImposePenalty{Actor: a, CaseID: id, DecisionNumber: drawText(t, "number")}
	case 18:
		return RequestRevocation{Actor: a, CaseID: id, DocumentNumber: drawText(t, "number"), Reason: drawText(t, "reason")}
	case 19:
		return DecideRevocation{Actor: side(approverSide), CaseID: id, DecisionNumber: drawText(t, "number"), Dishonest: rapid.Bool().Draw(t, "dishonest")}
	case 20:
		return DeclineRevocation{Actor: side(approverSide), CaseID: id, Explanation: drawText(t, "explanation")}
	default:
		if rapid.IntRange(0, 3).Draw(t, "close") > 0 {
			return Receive{Actor: a, CaseID: id}
		}
		return Close{Actor: side(officeSide), CaseID: id}
	}
}

var stateCmp = []cmp.Option{cmpopts.EquateEmpty()}

// roundTrip encodes e as JSON and decodes it into a new value of its type.
func roundTrip(t *rapid.T, e domain.Event) domain.Event {
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatalf("marshal %s: %v", e.EventType(), err)
	}
	p := reflect.New(reflect.TypeOf(e))
	if err := json.Unmarshal(b, p.Interface()); err != nil {
		t.Fatalf("unmarshal %s: %v", e.EventType(), err)
	}
	return p.Elem().Interface().(domain.Event)
}

// TestProperty_FoldReproducesDecidedState drives random command sequences
// (most of them refused) through Decide and checks that every accepted
// event folds, that folding never changes an earlier state, that the state
// the next decision sees equals a fold from scratch of the stored (JSON
// round-tripped) events, that refusals are domain errors without events, and
// that obligations stay computable with unique ids.
func TestProperty_FoldReproducesDecidedState(t *testing.T) {
	cal := calendar.New()
	p := domain.DefaultPolicy()
	typeNames := map[string]bool{}
	for _, e := range EventTypes() {
		typeNames[e.EventType()] = true
	}
	// Deep sequences are rare, so run several rounds of rapid's default
	// number of checks (each round draws a fresh seed unless -rapid.seed).
	for round := range 4 {
		t.Run(fmt.Sprint("round", round), func(t *testing.T) { checkFold(t, cal, p, typeNames) })
	}
}

func checkFold(t *testing.T, cal domain.Calendar, p domain.Policy, typeNames map[string]bool) {
	rapid.Check(t, func(t *rapid.T) {
		now := time.Date(2026, 9, 28, 9, 0, 0, 0, sh).Add(time.Duration(rapid.IntRange(0, 2000).Draw(t, "start")) * time.Hour)
		var (
			s      State
			stored []domain.Event
		)
		first := drawPush(t, now)
		first.ConfirmCheckWarning = true
		steps := rapid.IntRange(0, 120).Draw(t, "steps")
		for i := 0; i <= steps; i++ {
			var c Command = first
			if i > 0 {
				now = now.Add(time.Duration(rapid.IntRange(0, 30).Draw(t, "dt")) * time.Hour)
				c = drawCommand(t, now, s)
			}
			prev, snapshot := s, fold2(stored)
			evs, err := Decide(s, c, now, p)
			if err != nil {
				var de *domain.Error
				if !errors.As(err, &de) {
					t.Fatalf("step %d %T: refusal is not a domain error: %v", i, c, err)
				}
				if len(evs) != 0 {
					t.Fatalf("step %d %T: events with an error", i, c)
				}
				if i == 0 {
					t.Fatalf("first push refused: %v", err)
				}
				continue
			}
			if len(evs) == 0 {
				t.Fatalf("step %d %T: accepted without events", i, c)
			}
			for _, e := range evs {
				if !typeNames[e.EventType()] {
					t.Fatalf("event type %q not in EventTypes()", e.EventType())
				}
				decoded := roundTrip(t, e)
				if diff := cmp.Diff(e, decoded, stateCmp...); diff != "" {
					t.Fatalf("%s JSON round trip (-want +got):\n%s", e.EventType(), diff)
				}
				s = Evolve(s, e)
				stored = append(stored, decoded)
			}
			if diff := cmp.Diff(snapshot, prev, stateCmp...); diff != "" {
				t.Fatalf("step %d %T: deciding or folding changed the earlier state:\n%s", i, c, diff)
			}
			if diff := cmp.Diff(fold2(stored), s, stateCmp...); diff != "" {
				t.Fatalf("step %d %T: incremental state differs from a fold of the stored events (-fold +incremental):\n%s", i, c, diff)
			}
			checkInvariants(t, s)
			seen := map[string]bool{}
			for _, o := range Obligations(s, cal, p) {
				if seen[o.ID] {
					t.Fatalf("duplicate obligation id %s", o.ID)
				}
				seen[o.ID] = true
				if o.Due.At.Before(o.StartedAt) {
					t.Fatalf("%s due %v before its start %v", o.ID, o.Due.At, o.StartedAt)
				}
			}
		}
	})
}

func fold2(events []domain.Event) State {
	var s State
	for _, e := range events {
		s = Evolve(s, e)
	}
	return s
}

func checkInvariants(t *rapid.T, s State) {
	if !s.Exists() || s.Status == "" {
		t.Fatalf("state without id or status: %+v", s)
	}
	pendingRev, openInsp := 0, 0
	for i, r := range s.Revocations {
		if r.Seq != i+1 {
			t.Fatalf("revocation seq %d at %d", r.Seq, i)
		}
		if r.AnsweredAt == nil {
			pendingRev++
		}
	}
	for i, j := range s.Inspections {
		if j.Seq != i+1 || len(j.Units) < 1 {
			t.Fatalf("inspection %d: %+v", i, j)
		}
		if j.CompletedAt == nil {
			openInsp++
		}
	}
	if pendingRev > 1 || openInsp > 1 {
		t.Fatalf("%d pending revocations, %d open inspections", pendingRev, openInsp)
	}
	units := map[string]int{}
	for _, a := range s.Addressings {
		units[a.Unit]++
		if a.Round != units[a.Unit] {
			t.Fatalf("addressing of %s has round %d, want %d", a.Unit, a.Round, units[a.Unit])
		}
	}
	vs := map[string]bool{}
	for _, v := range s.Verifications {
		if vs[v.Unit] {
			t.Fatalf("two verifications by %s", v.Unit)
		}
		vs[v.Unit] = true
	}
	for i, v := range s.Violations {
		if v.Seq != i+1 {
			t.Fatalf("violation seq %d at %d", v.Seq, i)
		}
	}
	if s.Revoked() && s.Status != StatusRevoked && s.Status != StatusClosed {
		t.Fatalf("revoked case with status %s", s.Status)
	}
}
