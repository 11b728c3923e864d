package postgres

import (
	"context"
	"fmt"
	"time"
)

// Stats describes how far the visible global log lags behind what has been
// committed: the delay that open transactions impose on readers.
type Stats struct {
	// VisibleXmin is the snapshot xmin (offset applied): events of
	// transactions at or above it are not yet given to readers.
	VisibleXmin uint64
	// NextXID is the next transaction id to be assigned (offset applied).
	NextXID uint64
	// RunningXIDs is NextXID - VisibleXmin: the width of the window of
	// transaction ids that may still be running.
	RunningXIDs uint64
	// HiddenEvents counts committed events not yet visible to ReadAll
	// because an older transaction is still running.
	HiddenEvents int64
	// OldestTransaction is the age of the oldest running transaction that
	// holds a transaction id in the cluster (pg_stat_activity and prepared
	// transactions), 0 when none. It bounds how long readers are held back.
	OldestTransaction time.Duration
}

// Stats reports the visibility lag (see the package documentation). Export
// HiddenEvents and OldestTransaction as metrics; alert when the latter grows.
func (s *Store) Stats(ctx context.Context) (Stats, error) {
	var st Stats
	var xmin, next, hidden int64
	var oldest float64
	err := s.pool.QueryRow(ctx, `
		WITH snap AS (
			SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint + m.xid_offset AS xmin,
			       pg_snapshot_xmax(pg_current_snapshot())::text::bigint + m.xid_offset AS next
			FROM event_store_meta m
		)
		SELECT snap.xmin, snap.next,
		       (SELECT count(*) FROM events WHERE xid >= snap.xmin),
		       coalesce(extract(epoch FROM now() - least(
		           (SELECT min(xact_start) FROM pg_stat_activity WHERE backend_xid IS NOT NULL),
		           (SELECT min(prepared) FROM pg_prepared_xacts))), 0)::float8
		FROM snap`).Scan(&xmin, &next, &hidden, &oldest)
	if err != nil {
		return st, fmt.Errorf("stats: %w", err)
	}
	st.VisibleXmin, st.NextXID, st.HiddenEvents = uint64(xmin), uint64(next), hidden
	if next > xmin {
		st.RunningXIDs = uint64(next - xmin)
	}
	if oldest > 0 {
		st.OldestTransaction = time.Duration(oldest * float64(time.Second))
	}
	return st, nil
}

// VisibilityLag is Stats().OldestTransaction: how long readers may currently
// be held back by a running transaction.
func (s *Store) VisibilityLag(ctx context.Context) (time.Duration, error) {
	st, err := s.Stats(ctx)
	return st.OldestTransaction, err
}
