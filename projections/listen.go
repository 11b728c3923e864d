package projections

import (
	"context"
	"encoding/json"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgxlisten"

	"shenguan/eventstore"
	"shenguan/projections/rmstore"
)

// listen republishes other replicas' commits (NOTIFY on notifyChannel)
// into the local broker until ctx is done. After every (re)connect it
// re-reads the checkpoints, and after a reconnect publishes an All change
// per projection, since notifications may have been missed meanwhile.
func (r *Runner) listen(ctx context.Context, db *rmstore.PostgresDB) {
	cfg := db.Pool().Config().ConnConfig.Copy()
	l := &pgxlisten.Listener{
		Connect: func(ctx context.Context) (*pgx.Conn, error) { return pgx.ConnectConfig(ctx, cfg) },
		LogError: func(ctx context.Context, err error) {
			if ctx.Err() == nil {
				r.log.Warn("projections: listen", "err", err)
			}
		},
		ReconnectDelay: r.opts.LeaderRetry,
	}
	l.Handle(notifyChannel, &notifyHandler{r: r})
	l.Listen(ctx)
}

type notifyHandler struct {
	r          *Runner
	reconnects int // only the Listen goroutine touches it
}

func (h *notifyHandler) HandleNotification(_ context.Context, n *pgconn.Notification, _ *pgx.Conn) error {
	var p notifyPayload
	if err := json.Unmarshal([]byte(n.Payload), &p); err != nil {
		return err
	}
	if p.Origin == h.r.origin {
		return nil // published locally after the commit
	}
	c := Change{Projection: p.Projection, Generation: p.Generation,
		Position: eventstore.Position{Major: p.Major, Minor: p.Minor}, Keys: p.Keys, All: p.All}
	h.r.observe(c, false)
	h.r.broker.Publish(c)
	return nil
}

func (h *notifyHandler) HandleBacklog(ctx context.Context, _ string, _ *pgx.Conn) error {
	if err := h.r.refresh(ctx); err != nil {
		return err
	}
	h.reconnects++
	if h.reconnects == 1 {
		return nil // the first connection: nothing was missed
	}
	for _, t := range h.r.projs {
		t.mu.Lock()
		c := Change{Projection: t.p.Name(), Generation: t.gen, Position: t.pos, All: true}
		known := t.known
		t.mu.Unlock()
		if known {
			h.r.broker.Publish(c)
		}
	}
	return nil
}
