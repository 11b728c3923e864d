package graph

import (
	"log/slog"
	"time"

	"shenguan/domain"
	"shenguan/eventstore"
	"shenguan/graph/service"
	"shenguan/projections"
	"shenguan/projections/rmstore"
)

// Resolver is the root resolver: it holds the API's dependencies and
// nothing else (no state: state lives in projections). Resolvers read the
// caller with actor(ctx) or requireRole(ctx, ...) (access.go), turn input
// into a command (convert.go), call the command handling, and return a read
// model; errors are classified once by the presenter (errors.go).
//
// Later dependencies (the command handler, read-model stores, the broker of
// projection changes for subscriptions) are added here as fields and set by
// cmd/shenguan.
type Resolver struct {
	// Calendar is the working-day calendar (domain/calendar).
	Calendar domain.Calendar
	// Info describes the running service (serverInfo).
	Info Info
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Logger receives resolver logs; slog.Default() when nil.
	Logger *slog.Logger

	// Read side: the read-model store and its table catalog (queries), the
	// broker of projection commits (subscriptions), and the event store
	// (the auditors' events tail).
	ReadDB  rmstore.DB
	Catalog *projections.Catalog
	Broker  *projections.Broker
	Events  eventstore.Store

	// Write side: the command service (graph/service) the mutations call;
	// they answer UNAVAILABLE when it is nil.
	Service *service.Service
}

// Info describes the running service.
type Info struct {
	Version   string
	Store     string // "sqlite" or "postgres"
	StartedAt time.Time
}
