package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgxlisten"

	"shenguan/eventstore"
)

// startListener runs a pgxlisten.Listener on its own connection (not from
// the pool) until Close. Every notification, and every (re)connect, wakes
// all waiters; they then ask the database what is visible.
func (s *Store) startListener(cc *pgx.ConnConfig) {
	ctx, cancel := context.WithCancel(context.Background())
	s.stopListen = cancel
	s.listenDone = make(chan struct{})
	l := &pgxlisten.Listener{
		Connect: func(ctx context.Context) (*pgx.Conn, error) {
			return pgx.ConnectConfig(ctx, cc.Copy())
		},
		ReconnectDelay: time.Second,
	}
	l.Handle(Channel, wakeHandler{s})
	go func() {
		defer close(s.listenDone)
		_ = l.Listen(ctx) // returns only when ctx is cancelled
	}()
	s.notifyDone = make(chan struct{})
	go s.notifier(ctx, cc)
}

// notifySoon asks the notifier to send a pg_notify; requests made while one
// is pending fold into it.
func (s *Store) notifySoon() {
	select {
	case s.notify <- struct{}{}:
	default:
	}
}

// notifier sends one pg_notify per burst of committed appends, on a
// connection of its own (not from the pool, so that it never makes an
// append wait for a connection) with synchronous_commit off. Errors drop
// the connection (it reconnects on the next burst) and the notification:
// the waiters' re-check covers a lost one.
func (s *Store) notifier(ctx context.Context, cc *pgx.ConnConfig) {
	defer close(s.notifyDone)
	var conn *pgx.Conn
	defer func() {
		if conn != nil {
			conn.Close(context.Background())
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.notify:
		}
		if conn == nil {
			c, err := pgx.ConnectConfig(ctx, cc.Copy())
			if err == nil {
				if _, err = c.Exec(ctx, `SET synchronous_commit = off`); err != nil {
					c.Close(context.Background())
				} else {
					conn = c
				}
			}
		}
		if conn != nil {
			if _, err := conn.Exec(ctx, `SELECT pg_notify($1, '')`, Channel); err != nil {
				conn.Close(context.Background())
				conn = nil
			}
		}
		// Under a steady stream of appends, send at most one notification
		// per notifyEvery: each is a transaction of its own.
		select {
		case <-ctx.Done():
			return
		case <-time.After(notifyEvery):
		}
	}
}

// notifyEvery is the shortest interval between two notifications from one
// store; it bounds the extra latency other replicas see.
const notifyEvery = 5 * time.Millisecond

type wakeHandler struct{ s *Store }

func (h wakeHandler) HandleNotification(context.Context, *pgconn.Notification, *pgx.Conn) error {
	h.s.broadcast()
	return nil
}

// HandleBacklog wakes waiters after a (re)connect: notifications sent while
// the listener was down are lost.
func (h wakeHandler) HandleBacklog(context.Context, string, *pgx.Conn) error {
	h.s.broadcast()
	return nil
}

// broadcast wakes every goroutine blocked in WaitAfter.
func (s *Store) broadcast() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	close(s.wake)
	s.wake = make(chan struct{})
}

// wakeChan returns the channel the next broadcast closes (nil after Close).
func (s *Store) wakeChan() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	return s.wake
}

// WaitAfter blocks until an event after pos is visible in the global log,
// or ctx is done (ctx.Err()), or the store is closed (eventstore.ErrClosed).
// It wakes on NOTIFY and re-checks every recheck interval. When an event
// after pos has committed but is not visible yet (an older transaction,
// often a read model's, still holds the snapshot's xmin back), no
// notification tells when that transaction ends, so it re-checks soon:
// after blockedFirst, then twice as long each time, up to blockedMax.
func (s *Store) WaitAfter(ctx context.Context, pos eventstore.Position) error {
	t := time.NewTimer(s.cfg.recheck)
	defer t.Stop()
	blocked := time.Duration(0)
	for {
		// Take the channel before asking, so that a notification arriving
		// between the query and the wait is not lost.
		wake := s.wakeChan()
		if wake == nil {
			return eventstore.ErrClosed
		}
		// The first committed event after pos: visible when its
		// transaction is below xmin (then so is an event after pos); any
		// later event has a larger xid, so none is visible when it is not.
		var visible bool
		err := s.pool.QueryRow(ctx, `SELECT xid < `+xminExpr+` FROM events
			WHERE (xid, seq) > ($1, $2) ORDER BY xid, seq LIMIT 1`,
			clamp(pos.Major), clamp(pos.Minor)).Scan(&visible)
		pending := err == nil
		if errors.Is(err, pgx.ErrNoRows) {
			err = nil
		}
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("wait: %w", err)
		}
		if visible {
			return nil
		}
		next := s.cfg.recheck
		if pending {
			blocked = min(max(2*blocked, blockedFirst), blockedMax, s.cfg.recheck)
			next = blocked
		}
		t.Reset(next)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-wake:
		case <-t.C:
		}
	}
}

// blockedFirst is how soon WaitAfter re-checks when a committed event is
// held back by an older running transaction.
const blockedFirst = time.Millisecond

// blockedMax is the longest interval between two such re-checks: a long
// transaction elsewhere in the cluster (a rebuild, a report) holds every
// append back, and a waiter should see them within this once it ends.
const blockedMax = 20 * time.Millisecond
