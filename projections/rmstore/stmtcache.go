package rmstore

import (
	"container/list"
	"context"
	"database/sql"
	"strings"
	"sync"
)

// StatementCacheSize is how many distinct statement texts a SQLite DB keeps
// prepared (least recently used ones are closed beyond it).
const StatementCacheSize = 512

// stmtCache keeps prepared statements of a *sql.DB across transactions and
// queries, so that SQLite parses each statement text once per connection
// instead of once per transaction or query. A cached *sql.Stmt is
// prepared on each connection the first time it runs there (database/sql
// keeps one driver statement per connection), and Tx.StmtContext reuses
// the connection's driver statement inside a transaction. The cache is a
// bounded LRU: an evicted statement is closed once no caller holds it
// (database/sql keeps its driver statements alive until the transactions
// and rows using them are done).
//
// Only data statements are cached (SELECT, INSERT, UPDATE, DELETE, WITH,
// REPLACE): DDL runs rarely and its text varies. A statement whose table
// was dropped (a generation switch) fails like an uncached one, is evicted,
// and is prepared afresh if its text is used again.
type stmtCache struct {
	db  *sql.DB
	max int

	mu  sync.Mutex
	lru *list.List // of *cachedStmt, most recently used first
	m   map[string]*list.Element
}

type cachedStmt struct {
	query   string
	stmt    *sql.Stmt
	refs    int
	evicted bool
}

func newStmtCache(db *sql.DB, max int) *stmtCache {
	return &stmtCache{db: db, max: max, lru: list.New(), m: map[string]*list.Element{}}
}

// cacheable reports whether q is a data statement worth caching.
func cacheable(q string) bool {
	q = strings.TrimLeft(q, " \t\r\n(")
	if len(q) < 6 {
		return false
	}
	switch strings.ToUpper(q[:4]) {
	case "SELE", "INSE", "UPDA", "DELE", "WITH", "REPL":
		return true
	}
	return false
}

// get returns the cached statement of q, preparing it when missing. The
// caller must release it.
func (c *stmtCache) get(ctx context.Context, q string) (*cachedStmt, error) {
	c.mu.Lock()
	if e, ok := c.m[q]; ok {
		c.lru.MoveToFront(e)
		cs := e.Value.(*cachedStmt)
		cs.refs++
		c.mu.Unlock()
		return cs, nil
	}
	c.mu.Unlock()
	st, err := c.db.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if e, ok := c.m[q]; ok {
		// Prepared concurrently: keep the first.
		c.lru.MoveToFront(e)
		cs := e.Value.(*cachedStmt)
		cs.refs++
		c.mu.Unlock()
		st.Close()
		return cs, nil
	}
	cs := &cachedStmt{query: q, stmt: st, refs: 1}
	c.m[q] = c.lru.PushFront(cs)
	var closing []*sql.Stmt
	for c.lru.Len() > c.max {
		old := c.lru.Remove(c.lru.Back()).(*cachedStmt)
		delete(c.m, old.query)
		old.evicted = true
		if old.refs == 0 {
			closing = append(closing, old.stmt)
		}
	}
	c.mu.Unlock()
	for _, s := range closing {
		s.Close()
	}
	return cs, nil
}

// release gives back a statement from get.
func (c *stmtCache) release(cs *cachedStmt) {
	c.mu.Lock()
	cs.refs--
	closeIt := cs.evicted && cs.refs == 0
	c.mu.Unlock()
	if closeIt {
		cs.stmt.Close()
	}
}

// check evicts q when err says its table is gone, and returns err.
func (c *stmtCache) check(q string, err error) error {
	if err != nil && IsUndefinedTable(err) {
		c.forget(q)
	}
	return err
}

// forget evicts q (closed once released by every holder).
func (c *stmtCache) forget(q string) {
	c.mu.Lock()
	e, ok := c.m[q]
	var closeIt *sql.Stmt
	if ok {
		cs := c.lru.Remove(e).(*cachedStmt)
		delete(c.m, q)
		cs.evicted = true
		if cs.refs == 0 {
			closeIt = cs.stmt
		}
	}
	c.mu.Unlock()
	if closeIt != nil {
		closeIt.Close()
	}
}

// len returns the number of cached statements.
func (c *stmtCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len()
}

// closeAll closes every cached statement.
func (c *stmtCache) closeAll() {
	c.mu.Lock()
	var all []*sql.Stmt
	for e := c.lru.Front(); e != nil; e = e.Next() {
		cs := e.Value.(*cachedStmt)
		cs.evicted = true
		if cs.refs == 0 {
			all = append(all, cs.stmt)
		}
	}
	c.lru.Init()
	clear(c.m)
	c.mu.Unlock()
	for _, s := range all {
		s.Close()
	}
}
