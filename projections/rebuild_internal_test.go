package projections

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"shenguan/eventstore"
	"shenguan/projections/rmstore"
)

// noted is a projection of one table that notes the ids of the events.
type noted struct{}

func (noted) Name() string     { return "noted" }
func (noted) Version() int     { return 1 }
func (noted) Tables() []string { return []string{"ids"} }
func (noted) Schema(_ rmstore.Dialect, t *rmstore.Tables) []string {
	return []string{t.Expand(`CREATE TABLE {{ids}} (id TEXT PRIMARY KEY)`)}
}
func (noted) Apply(_ context.Context, tx rmstore.Tx, t *rmstore.Tables, evs []eventstore.Event) (Changes, error) {
	for _, e := range evs {
		tx.Queue(t.Expand(`INSERT INTO {{ids}} (id) VALUES ($1)`), e.ID)
	}
	return nil, nil
}

// A chunk whose checkpoint is not where the rebuild left it (someone else
// wrote the new generation) fails with ErrCheckpointMoved, saying so.
func TestLaneCheckpointMoved(t *testing.T) {
	ctx := t.Context()
	db, err := rmstore.OpenSQLite(ctx, filepath.Join(t.TempDir(), "rm.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := setupMeta(ctx, db); err != nil {
		t.Fatal(err)
	}
	g, err := createGeneration(ctx, db, noted{}, false)
	if err != nil {
		t.Fatal(err)
	}
	g.pos = eventstore.Position{Major: 7} // the checkpoint row says 0
	evs := []eventstore.Event{{ID: "e8", Position: eventstore.Position{Major: 8}}}
	err = newLanes(db.Dialect(), 1).apply(ctx, db, []Projection{noted{}}, []genState{g}, evs)
	if !errors.Is(err, ErrCheckpointMoved) || !strings.Contains(err.Error(), "another rebuild") {
		t.Fatalf("apply over a moved checkpoint: %v; want ErrCheckpointMoved, another rebuild", err)
	}
}
