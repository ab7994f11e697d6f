/*
 * db.h — the one way vigil talks to PostgreSQL.
 *
 * vigil_db_connect opens a session with PQconnectStartParams and
 * PQconnectPoll (the conninfo is expanded as dbname,
 * fallback_application_name is the program's name; each attempt is limited
 * to connect_timeout_s + 1 seconds, at most 10), sets
 * a safe search_path (pg_catalog, vigil, pg_temp: nothing a less trusted role
 * can create objects in comes first) and the statement and lock timeouts of
 * the configuration, UTC, and JIT off (batch statements are short). A server
 * that cannot be reached is retried with
 * exponential backoff for database.connect_timeout_s, then the caller gets
 * 69; an authentication failure is not retried (77). Server notices are
 * logged with vigil_log ("the server said: ..."), never printed raw.
 *
 * The query helpers take the purpose of the query ("mark stale runs
 * abandoned"), check the exact result status, and on failure fill err with
 * "cannot <purpose>: <server message>" and the exit code the SQLSTATE maps to
 * (vigil_db_sqlstate_exit). Parameters always go through PQexecParams as text.
 */
#ifndef VIGIL_DB_H
#define VIGIL_DB_H

#include <libpq-fe.h>

#include "config.h"
#include "vigil.h"

/* Connects; returns NULL with err filled on failure. conninfo overrides
 * cfg->database.conninfo when not NULL. */
PGconn *vigil_db_connect(const vigil_config *cfg, const char *conninfo, const char *progname,
						 vigil_error *err);

/* Cancels any query in progress, then closes the connection. NULL is fine. */
void vigil_db_close(PGconn *conn);

/*
 * The exit code for a SQLSTATE: 42501 → 77 (permission denied); class 08 and
 * 57P (connection lost, server shutting down) → 69; 55P03 lock_timeout,
 * 57014 query cancelled, 40P01 deadlock, 40001 serialization → 75 (retry);
 * class 22 and 23 (bad data, constraint violated) → 65; 42P01 undefined
 * table and 3F000 undefined schema → 78 (the database is not migrated: run
 * vigil-migrate up); NULL or anything else → 70.
 */
int vigil_db_sqlstate_exit(const char *sqlstate);

/* Maps a failed result (or, with res NULL, the connection state) to an exit
 * code and fills err with "cannot <purpose>: <message>". Returns the code. */
int vigil_db_error(PGconn *conn, const PGresult *res, const char *purpose, vigil_error *err);

/*
 * Runs sql with params and returns its result if its status is `want`
 * (PGRES_TUPLES_OK or PGRES_COMMAND_OK); else NULL with err filled. The caller
 * PQclears the result. nparams may be 0 with params NULL.
 */
PGresult *vigil_db_query(PGconn *conn, const char *purpose, const char *sql, int nparams,
						 const char *const *params, ExecStatusType want, vigil_error *err);

/* Runs a command; returns 0 or an exit code with err filled. */
int vigil_db_exec(PGconn *conn, const char *purpose, const char *sql, int nparams,
				  const char *const *params, vigil_error *err);

/*
 * Runs a query that must return exactly one row of one column and copies
 * the value into out (outsize bytes; "" for NULL, *isnull set when given).
 * Another row or column count is an error (70). Returns 0 or an exit code.
 */
int vigil_db_value(PGconn *conn, const char *purpose, const char *sql, int nparams,
				   const char *const *params, char *out, size_t outsize, bool *isnull,
				   vigil_error *err);

/* BEGIN / COMMIT / ROLLBACK; rollback ignores errors (used on cleanup paths). */
int vigil_db_begin(PGconn *conn, vigil_error *err);
int vigil_db_commit(PGconn *conn, vigil_error *err);
void vigil_db_rollback(PGconn *conn);

/* Requests cancellation of the query running on conn (signal-safe use is
 * not supported; call from normal context). */
void vigil_db_cancel(PGconn *conn);

#endif
