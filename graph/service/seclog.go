package service

import (
	"context"
	"fmt"
	"strings"
	"time"

	"shenguan/domain"
	"shenguan/projections"
	"shenguan/projections/rmstore"
)

// Refusal is one row of the security log: a command refused by the access
// check or by a domain rule.
type Refusal struct {
	ID    string
	At    time.Time
	Actor domain.Actor
	// Operation is the API operation (e.g. "receivePush"), Command the
	// domain command ("cases.Receive"), Target the stream addressed.
	Operation string
	Command   string
	Target    string
	// Code and Message are the refusal's (e.g. "NOT_ADDRESSED_TO_UNIT").
	Code    string
	Message string
	// RemoteAddr and ForwardedFor say where the request came from;
	// RequestID and CommandID identify it.
	RemoteAddr   string
	ForwardedFor string
	RequestID    string
	CommandID    string
}

// securityLogDDL creates the table (portable SQL, see rmstore). It is not a
// projection: refusals are not events and cannot be rebuilt from the log, so
// the table is never dropped by a rebuild.
var securityLogDDL = []string{
	`CREATE TABLE IF NOT EXISTS security_log (
		id TEXT PRIMARY KEY,
		at BIGINT NOT NULL,
		actor_id TEXT NOT NULL,
		actor_name TEXT NOT NULL,
		actor_unit TEXT NOT NULL,
		actor_roles TEXT NOT NULL,
		operation TEXT NOT NULL,
		command TEXT NOT NULL,
		target TEXT NOT NULL,
		code TEXT NOT NULL,
		message TEXT NOT NULL,
		remote_addr TEXT NOT NULL,
		forwarded_for TEXT NOT NULL,
		request_id TEXT NOT NULL,
		command_id TEXT NOT NULL)`,
	`CREATE INDEX IF NOT EXISTS security_log_at ON security_log (at, id)`,
}

func setupSecurityLog(ctx context.Context, db rmstore.DB) error {
	for _, q := range securityLogDDL {
		if _, err := db.Exec(ctx, q); err != nil {
			return fmt.Errorf("service: create security_log: %w", err)
		}
	}
	return nil
}

// record writes a refusal; a failure to write is logged (the refusal
// itself still reaches the caller).
func (s *Service) record(ctx context.Context, r Refusal) {
	if r.ID == "" {
		r.ID = randomHex(12)
	}
	roles := make([]string, len(r.Actor.Roles))
	for i, x := range r.Actor.Roles {
		roles[i] = string(x)
	}
	s.log.WarnContext(ctx, "service: refused", "actor", r.Actor.ID, "unit", r.Actor.Unit, "operation", r.Operation,
		"command", r.Command, "target", r.Target, "code", r.Code, "remote_addr", r.RemoteAddr, "request_id", r.RequestID)
	// A refusal is recorded even when the caller has gone away.
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	_, err := s.db.Exec(wctx, `INSERT INTO security_log (id, at, actor_id, actor_name, actor_unit, actor_roles,
		operation, command, target, code, message, remote_addr, forwarded_for, request_id, command_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
		r.ID, rmstore.Micros(r.At), r.Actor.ID, r.Actor.Name, r.Actor.Unit, strings.Join(roles, ","),
		r.Operation, r.Command, r.Target, r.Code, r.Message, r.RemoteAddr, r.ForwardedFor, r.RequestID, r.CommandID)
	if err != nil {
		s.log.ErrorContext(ctx, "service: write security log", "err", err, "code", r.Code, "actor", r.Actor.ID)
	}
}

// SecurityLog returns the refusals, newest first: first rows (see
// projections.DefaultPageSize) after the cursor after. Access is the
// caller's to check (auditors and the district office). Errors:
// projections.ErrInvalidCursor; those of the database.
func (s *Service) SecurityLog(ctx context.Context, first int, after string) (projections.Page[Refusal], error) {
	q := projections.Keyset{
		Select: `id, at, actor_id, actor_name, actor_unit, actor_roles, operation, command, target, code, message,
			remote_addr, forwarded_for, request_id, command_id`,
		From:  "security_log",
		Order: []string{"at", "id"},
		Desc:  true,
	}
	p, err := projections.Paginate(ctx, s.db, q, first, after, scanRefusal,
		func(r Refusal) []any { return []any{rmstore.Micros(r.At), r.ID} })
	if err != nil {
		return p, fmt.Errorf("service: security log: %w", err)
	}
	return p, nil
}

func scanRefusal(rows rmstore.Rows) (Refusal, error) {
	var r Refusal
	var at int64
	var roles string
	err := rows.Scan(&r.ID, &at, &r.Actor.ID, &r.Actor.Name, &r.Actor.Unit, &roles, &r.Operation, &r.Command,
		&r.Target, &r.Code, &r.Message, &r.RemoteAddr, &r.ForwardedFor, &r.RequestID, &r.CommandID)
	r.At = rmstore.FromMicros(at)
	for _, x := range strings.Split(roles, ",") {
		if x != "" {
			r.Actor.Roles = append(r.Actor.Roles, domain.Role(x))
		}
	}
	return r, err
}
