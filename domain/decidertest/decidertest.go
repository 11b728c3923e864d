// Package decidertest runs given-events / when-command / then-events tables
// against a decider. It is imported by the aggregates' _test.go files.
package decidertest

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"shenguan/domain"
)

// Decider is the pair every aggregate exports: Evolve and Decide.
type Decider[S, C any] struct {
	Evolve func(S, domain.Event) S
	Decide func(S, C, time.Time, domain.Policy) ([]domain.Event, error)
}

// Case is one row of a table: given events, when a command (at Now under
// Policy, the default policy when zero), then events or an error (matched
// with errors.Is, so a domain sentinel matches by code).
type Case[C any] struct {
	Name   string
	Given  []domain.Event
	When   C
	Now    time.Time
	Policy *domain.Policy
	Then   []domain.Event
	Err    error
}

// Run runs every case as a subtest. After a successful decision it also
// folds the decided events into the state, so an event the state cannot
// absorb panics here rather than in production.
func Run[S, C any](t *testing.T, d Decider[S, C], cases []Case[C]) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.Name, func(t *testing.T) {
			t.Helper()
			var s S
			for _, e := range tc.Given {
				s = d.Evolve(s, e)
			}
			p := domain.DefaultPolicy()
			if tc.Policy != nil {
				p = *tc.Policy
			}
			got, err := d.Decide(s, tc.When, tc.Now, p)
			if tc.Err != nil {
				if !errors.Is(err, tc.Err) {
					t.Fatalf("Decide error = %v, want %v", err, tc.Err)
				}
				if len(got) != 0 {
					t.Fatalf("Decide returned events with an error: %v", got)
				}
				return
			}
			if err != nil {
				t.Fatalf("Decide: unexpected error %v", err)
			}
			if diff := cmp.Diff(tc.Then, got, cmpopts.EquateEmpty()); diff != "" {
				t.Fatalf("Decide events mismatch (-want +got):\n%s", diff)
			}
			for _, e := range got {
				s = d.Evolve(s, e)
			}
		})
	}
}
