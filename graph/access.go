package graph

import (
	"context"
	"strings"

	"github.com/99designs/gqlgen/graphql"

	"shenguan/domain"
	"shenguan/graph/auth"
)

// actor returns the authenticated caller, or auth.ErrUnauthenticated.
// Every root field that is not @public already refused anonymous callers in
// requireIdentity, so resolvers may treat the error as "cannot happen" and
// still return it.
func actor(ctx context.Context) (domain.Actor, error) {
	a, ok := auth.ActorFrom(ctx)
	if !ok {
		return domain.Actor{}, auth.ErrUnauthenticated
	}
	return a, nil
}

// requireRole returns the caller when it holds one of roles, and
// domain.ErrForbidden otherwise (auth.ErrUnauthenticated when anonymous).
func requireRole(ctx context.Context, roles ...domain.Role) (domain.Actor, error) {
	a, err := actor(ctx)
	if err != nil {
		return domain.Actor{}, err
	}
	if !a.HasAny(roles...) {
		return domain.Actor{}, domain.ErrForbidden
	}
	return a, nil
}

// requireIdentity is the field middleware that refuses anonymous callers on
// every root field (query, mutation, subscription) not marked @public in the
// schema. Introspection fields (__schema, __type) are public; whether
// introspection is enabled is the handler's choice.
func requireIdentity(ctx context.Context, next graphql.Resolver) (any, error) {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || !fc.IsResolver || !isRootObject(fc.Object) {
		return next(ctx)
	}
	if def := fc.Field.Definition; def == nil ||
		strings.HasPrefix(def.Name, "__") ||
		def.Directives.ForName("public") != nil {
		return next(ctx)
	}
	if _, ok := auth.ActorFrom(ctx); !ok {
		return nil, auth.ErrUnauthenticated
	}
	return next(ctx)
}

func isRootObject(name string) bool {
	return name == "Query" || name == "Mutation" || name == "Subscription"
}
