package projections

import "testing"

func TestAnonymous(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4) ON CONFLICT (a) DO UPDATE SET b = excluded.b`,
			`INSERT INTO t (a, b) VALUES (?, ?), (?, ?) ON CONFLICT (a) DO UPDATE SET b = excluded.b`},
		{`UPDATE t SET a = $2 WHERE id = $1`, `UPDATE t SET a = $2 WHERE id = $1`},                 // out of order
		{`UPDATE t SET a = $1, b = $1 WHERE id = $2`, `UPDATE t SET a = $1, b = $1 WHERE id = $2`}, // repeated
		{`INSERT INTO t (a, b) VALUES ($1, '$2')`, `INSERT INTO t (a, b) VALUES ($1, '$2')`},       // quoted
		{`INSERT INTO t (a) VALUES ($1), ($2), ($3), ($4), ($5), ($6), ($7), ($8), ($9), ($10), ($11)`,
			`INSERT INTO t (a) VALUES (?), (?), (?), (?), (?), (?), (?), (?), (?), (?), (?)`},
	} {
		if got := anonymous(c.in); got != c.want {
			t.Errorf("anonymous(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
