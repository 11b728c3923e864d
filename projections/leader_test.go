package projections_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"shenguan/eventstore"
	"shenguan/eventstore/postgres/pgtest"
	"shenguan/projections"
	"shenguan/projections/rmstore"
	"shenguan/projections/rmtest"
)

type replica struct {
	name  string
	store eventstore.Store
	db    rmstore.DB
	r     *projections.Runner
	stop  context.CancelFunc
	done  chan error
	sub   <-chan projections.Change
}

func leaderOf(t *testing.T, ctx context.Context, reps ...*replica) []*replica {
	t.Helper()
	var leaders []*replica
	for _, rp := range reps {
		if rp.stop == nil {
			continue
		}
		st, err := rp.r.Stats(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if st[0].Leader {
			leaders = append(leaders, rp)
		}
	}
	return leaders
}

// waitLeader waits (bounded) until exactly one running replica leads.
func waitLeader(t *testing.T, ctx context.Context, reps ...*replica) *replica {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if l := leaderOf(t, ctx, reps...); len(l) == 1 {
			return l[0]
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no single leader within 30 s")
	return nil
}

// waitChange waits for a change with keys (not an All change) on sub.
func waitChange(t *testing.T, sub <-chan projections.Change, who string) {
	t.Helper()
	timeout := time.After(15 * time.Second)
	for {
		select {
		case c, ok := <-sub:
			if !ok {
				t.Fatalf("%s: subscription closed", who)
			}
			if !c.All && len(c.Keys) > 0 {
				return
			}
		case <-timeout:
			t.Fatalf("%s: no change received", who)
		}
	}
}

// TestLeaderElection runs two replicas on one PostgreSQL database: one
// leads; the other sees its commits through LISTEN/NOTIFY (broker and
// WaitFor); when the leader's lock connection is killed and later when the
// leader stops, the other takes over; no event is applied twice.
func TestLeaderElection(t *testing.T) {
	ctx := t.Context()
	url := pgtest.NewDatabase(t)
	reps := make([]*replica, 2)
	for i, name := range []string{"A", "B"} {
		s, db := rmtest.OpenPostgresURL(t, url)
		r := newRunner(t, s, db, projections.Options{LeaderRetry: 200 * time.Millisecond}, newCounter())
		rctx, stop := context.WithCancel(ctx)
		rp := &replica{name: name, store: s, db: db, r: r, stop: stop, done: make(chan error, 1),
			sub: r.Broker().Subscribe(ctx, projections.MatchPrefix("stream:"))}
		go func() { rp.done <- r.Run(rctx) }()
		reps[i] = rp
	}
	defer func() {
		for _, rp := range reps {
			if rp.stop != nil {
				rp.stop()
				<-rp.done
			}
		}
	}()
	leader := waitLeader(t, ctx, reps...)
	follower := reps[0]
	if follower == leader {
		follower = reps[1]
	}

	// The follower learns of the leader's commits through NOTIFY.
	last := appendMany(t, leader.store, "a", 200, 5, 10)
	wctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := follower.r.WaitFor(wctx, last); err != nil {
		t.Fatalf("follower %s WaitFor: %v", follower.name, err)
	}
	waitChange(t, follower.sub, "follower "+follower.name)
	waitChange(t, leader.sub, "leader "+leader.name)

	// Kill the leader's lock connection (as when its host drops off the
	// network) while events keep arriving: leadership moves or is retaken,
	// and every event is still applied exactly once.
	var pid int32
	if err := leader.db.QueryRow(ctx, `SELECT l.pid FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
		WHERE l.locktype = 'advisory' AND l.granted AND a.datname = current_database() AND a.application_name = $1`,
		projections.LeaderApplicationName).Scan(&pid); err != nil {
		t.Fatalf("find the leader's lock connection: %v", err)
	}
	if _, err := leader.db.Exec(ctx, `SELECT pg_terminate_backend($1)`, pid); err != nil {
		t.Fatal(err)
	}
	last = appendMany(t, follower.store, "b", 300, 5, 3)
	leader = waitLeader(t, ctx, reps...)
	if err := leader.r.RunUntil(ctx, last); err != nil {
		t.Fatal(err)
	}
	checkExact(t, ctx, leader.db, leader.r.Catalog(), 500)

	// Stop the leader: the other replica takes over within seconds.
	leader.stop()
	if err := <-leader.done; !errors.Is(err, context.Canceled) {
		t.Errorf("stopped leader's Run = %v, want context.Canceled", err)
	}
	leader.stop = nil
	next := waitLeader(t, ctx, reps...)
	last = appendMany(t, next.store, "c", 100, 5, 10)
	wctx2, cancel2 := context.WithTimeout(ctx, 15*time.Second)
	defer cancel2()
	if err := next.r.WaitFor(wctx2, last); err != nil {
		t.Fatalf("new leader %s WaitFor: %v", next.name, err)
	}
	checkExact(t, ctx, next.db, next.r.Catalog(), 600)
}
