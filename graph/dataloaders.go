package graph

import (
	"context"
	"errors"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vikstrous/dataloadgen"

	"shenguan/projections"
	"shenguan/projections/directory"
)

// loaders are the per-operation dataloaders: a list of fifty cases of ten
// matters reads each matter once.
type loaders struct {
	matter *dataloadgen.Loader[string, *directory.Matter]
}

type loadersKey struct{}

// withLoaders is the operation middleware that gives each operation its own
// loaders (their caches live as long as the operation).
func (r *Resolver) withLoaders(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	if r.ReadDB == nil || r.Catalog == nil {
		return next(ctx)
	}
	return next(context.WithValue(ctx, loadersKey{}, r.newLoaders()))
}

func (r *Resolver) newLoaders() *loaders {
	return &loaders{
		matter: dataloadgen.NewMappedLoader(r.fetchMatters, dataloadgen.WithWait(time.Millisecond)),
	}
}

// fetchMatters reads the matters of codes; a code without a matter is left
// out (the loader answers dataloadgen.ErrNotFound for it).
func (r *Resolver) fetchMatters(ctx context.Context, codes []string) (map[string]*directory.Matter, error) {
	out := make(map[string]*directory.Matter, len(codes))
	for _, code := range codes {
		m, err := directory.MatterByCode(ctx, r.ReadDB, r.Catalog, code)
		if errors.Is(err, projections.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out[code] = &m
	}
	return out, nil
}

// matterByCode returns a matter through the operation's loader (directly
// when there is none), nil when the catalogue has no such code.
func (r *Resolver) matterByCode(ctx context.Context, code string) (*directory.Matter, error) {
	if err := r.readDeps(); err != nil {
		return nil, err
	}
	var (
		m   *directory.Matter
		err error
	)
	if l, ok := ctx.Value(loadersKey{}).(*loaders); ok {
		m, err = l.matter.Load(ctx, code)
	} else {
		var v directory.Matter
		v, err = directory.MatterByCode(ctx, r.ReadDB, r.Catalog, code)
		m = &v
	}
	if errors.Is(err, dataloadgen.ErrNotFound) || errors.Is(err, projections.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, readErr(err)
	}
	return m, nil
}
