package store

import (
	"context"
	"strconv"
	"strings"

	"github.com/switchboardhq/switchboard"
)

// insert runs an INSERT written with ON CONFLICT DO NOTHING and reports a
// row that was not inserted as a conflict. Avoiding the unique-violation
// error keeps a PostgreSQL transaction usable after a conflict, as SQLite's
// is.
func (q *queries) insert(ctx context.Context, kind, query string, args ...any) error {
	res, err := q.w.ExecContext(ctx, q.sql(query), args...)
	if err != nil {
		return translate(err, "create", kind)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return translate(err, "create", kind)
	}
	if n == 0 {
		return conflict(kind)
	}
	return nil
}

// change runs an UPDATE or DELETE of one row; no row is not_found.
func (q *queries) change(ctx context.Context, op, kind, query string, args ...any) error {
	n, err := q.changeN(ctx, op, kind, query, args...)
	if err == nil && n == 0 {
		return switchboard.ErrNotFound(kind)
	}
	return err
}

// changeN runs a statement and returns the number of rows it changed.
func (q *queries) changeN(ctx context.Context, op, kind, query string, args ...any) (int64, error) {
	res, err := q.w.ExecContext(ctx, q.sql(query), args...)
	if err != nil {
		return 0, translate(err, op, kind)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, translate(err, op, kind)
	}
	return n, nil
}

// getOne reads one row with scan.
func getOne[T any](ctx context.Context, q *queries, kind string, scan func(scanner) (T, error), query string, args ...any) (T, error) {
	v, err := scan(q.r.QueryRowContext(ctx, q.sql(query), args...))
	if err != nil {
		var zero T
		return zero, translate(err, "get", kind)
	}
	return v, nil
}

// getMany reads every row of a query with scan.
func getMany[T any](ctx context.Context, q *queries, kind string, scan func(scanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := q.r.QueryContext(ctx, q.sql(query), args...)
	if err != nil {
		return nil, translate(err, "list", kind)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, translate(err, "list", kind)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, translate(err, "list", kind)
	}
	return out, nil
}

// where builds the WHERE clause of a list query.
type where struct {
	conds []string
	args  []any
}

// and adds a condition with its arguments.
func (w *where) and(cond string, args ...any) {
	w.conds = append(w.conds, cond)
	w.args = append(w.args, args...)
}

// eq adds "col = v" unless v is empty (a filter that matches all).
func (w *where) eq(col, v string) {
	if v != "" {
		w.and(col+" = ?", v)
	}
}

// page finishes a list query over rows of cols from table: newest first,
// after the cursor, Limit+1 rows.
//
// The limit is written into the query rather than bound: SQLite re-prepares
// a statement whose LIMIT is a parameter every time it is bound.
func (w *where) page(cols, table string, p switchboard.Page) string {
	if p.After != "" {
		w.and("id < ?", p.After)
	}
	return "SELECT " + cols + " FROM " + table + " WHERE " + strings.Join(w.conds, " AND ") +
		" ORDER BY id DESC LIMIT " + strconv.Itoa(limit(p))
}
