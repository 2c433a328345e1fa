package store

import (
	"database/sql"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/switchboardhq/switchboard"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// translate maps a database error to the domain's codes: no row is
// not_found, a uniqueness violation conflict, a dangling reference or text
// the database cannot store invalid_request; anything else is wrapped as an
// internal error that names the operation and the kind of resource.
func translate(err error, op, kind string) error {
	var domain *switchboard.Error
	switch {
	case err == nil:
		return nil
	case errors.As(err, &domain):
		return err
	case errors.Is(err, sql.ErrNoRows):
		return switchboard.ErrNotFound(kind)
	case isUniqueViolation(err):
		return conflict(kind)
	case isForeignKeyViolation(err):
		return switchboard.Errorf(switchboard.EInvalid, "The %s refers to a resource that does not exist.", kind)
	case isUnstorableText(err):
		return switchboard.Errorf(switchboard.EInvalid, "The %s contains a NUL character, which cannot be stored.", kind)
	case isStorageFull(err):
		return errStorageFull
	}
	return fmt.Errorf("store: %s %s: %w", op, kind, err)
}

// errStorageFull is a write refused because the database has no room
// left (SQLite's SQLITE_FULL, PostgreSQL's disk_full): nothing was stored,
// and the same write may succeed later.
var errStorageFull = &switchboard.Error{Code: switchboard.EUnavailable,
	Message: "The database has no room left: nothing was stored. Try again later."}

// isStorageFull reports a database out of room.
func isStorageFull(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code()&0xff == sqlite3.SQLITE_FULL
	}
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "53100"
}

// conflict is the error of a uniqueness violation.
func conflict(kind string) error {
	return switchboard.Errorf(switchboard.EConflict, "The %s already exists.", kind)
}

func isUniqueViolation(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}

// isUnstorableText reports PostgreSQL's refusal of a NUL character in text
// (22021) or of \u0000 in JSONB (22P05). SQLite stores both.
func isUnstorableText(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "22021" || pe.Code == "22P05")
}

func isForeignKeyViolation(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
	}
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23503"
}
