package graph

import (
	"context"
	"fmt"
	"strings"
	"time"

	"shenguan/projections"
)

// StatsSource reports the state of the projections (projections.Runner).
type StatsSource interface {
	Stats(ctx context.Context) ([]projections.Stats, error)
}

// ProjectionsReady returns the readiness check of /readyz (Config.Ready):
// ready when every projection has caught up with the log, allowing for the
// events committed in the last maxLag (a projection that is behind only by
// events younger than maxLag is following normally; one catching up after a
// start or a rebuild has older events pending and is not ready). The error
// names the projections that are behind.
func ProjectionsReady(src StatsSource, maxLag time.Duration) func(context.Context) error {
	return func(ctx context.Context) error {
		stats, err := src.Stats(ctx)
		if err != nil {
			return fmt.Errorf("projections unavailable: %w", err)
		}
		var behind []string
		for _, s := range stats {
			if s.Behind && s.Lag > maxLag {
				behind = append(behind, fmt.Sprintf("%s (lag %s)", s.Projection, s.Lag.Round(time.Millisecond)))
			}
		}
		if len(behind) > 0 {
			return fmt.Errorf("projections catching up: %s", strings.Join(behind, ", "))
		}
		return nil
	}
}
