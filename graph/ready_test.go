package graph_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"shenguan/eventstore"
	"shenguan/eventstore/sqlite"
	"shenguan/graph"
	"shenguan/projections"
	"shenguan/projections/casefile"
	"shenguan/projections/rmstore"
)

func TestProjectionsReadyOnceCaughtUp(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	store, err := sqlite.Open(ctx, filepath.Join(dir, "events.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	db, err := rmstore.OpenSQLite(ctx, filepath.Join(dir, "readmodels.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	runner, err := projections.New(store, db, projections.Options{}, casefile.Projection{})
	if err != nil {
		t.Fatal(err)
	}
	if err := runner.Setup(ctx); err != nil {
		t.Fatal(err)
	}
	ready := graph.ProjectionsReady(runner, 0)
	if err := ready(ctx); err != nil {
		t.Fatalf("empty log: %v, want ready", err)
	}
	if _, err := store.Append(ctx, eventstore.AppendRequest{Stream: "other-1", Events: []eventstore.NewEvent{
		{Type: "other.happened", Data: json.RawMessage(`{}`), Metadata: eventstore.Metadata{OccurredAt: time.Now()}}}}); err != nil {
		t.Fatal(err)
	}
	if err := store.WaitAfter(ctx, eventstore.Position{}); err != nil {
		t.Fatal(err)
	}
	// Wait until the event is older than the tolerance of 0.
	time.Sleep(5 * time.Millisecond)
	if err := ready(ctx); err == nil || !strings.Contains(err.Error(), "casefile") {
		t.Fatalf("behind: %v, want an error naming casefile", err)
	}
	if err := graph.ProjectionsReady(runner, time.Hour)(ctx); err != nil {
		t.Errorf("behind by a fresh event with an hour's tolerance: %v, want ready", err)
	}
	if err := runner.RunToEnd(ctx); err != nil {
		t.Fatal(err)
	}
	if err := ready(ctx); err != nil {
		t.Errorf("caught up: %v, want ready", err)
	}
}
