/*
 * db.c — connection and query helpers over libpq. Retry policy: only
 * failures to reach the server (refused, no socket, server starting or shutting
 * down, too many connections) are retried, because waiting cannot fix a wrong
 * password or a missing database.
 */
#include "db.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "util.h"

static bool
retryable(const char *msg)
{
	static const char *const transient[] = {
		"could not connect", "Connection refused", "No such file or directory",
		"the database system is starting up", "the database system is shutting down",
		"the database system is in recovery mode", "too many clients", "timeout expired",
		"server closed the connection", "Network is unreachable", "could not translate host name",
		"remaining connection slots",
	};

	for (size_t i = 0; i < sizeof(transient) / sizeof(transient[0]); i++)
		if (strstr(msg, transient[i]))
			return true;
	return false;
}

static int
connect_failure_code(const char *msg)
{
	if (strstr(msg, "password authentication failed") || strstr(msg, "no password supplied") ||
		strstr(msg, "permission denied") || strstr(msg, "authentication failed") ||
		strstr(msg, "pg_hba.conf") || (strstr(msg, "role \"") && strstr(msg, "\" does not exist")))
		return VIGIL_EXIT_NOPERM;
	return VIGIL_EXIT_UNAVAILABLE;
}

/* The first line of libpq's message, without "connection to server ... failed: "
 * and without the server's severity ("FATAL:  terminating connection due to
 * administrator command", what a session gets when the server restarts). */
static void
short_message(const char *msg, char *out, size_t outsize)
{
	const char *p = strstr(msg, "failed: ");
	static const char *const severities[] = {"FATAL:  ", "PANIC:  ", "ERROR:  "};

	if (p)
		msg = p + strlen("failed: ");
	for (size_t k = 0; k < sizeof(severities) / sizeof(severities[0]); k++)
		if (strncmp(msg, severities[k], strlen(severities[k])) == 0)
			msg += strlen(severities[k]);
	snprintf(out, outsize, "%s", msg);
	out[strcspn(out, "\n")] = '\0';
}

/*
 * Server notices, and an error that arrives while the session is idle (the
 * "terminating connection due to administrator command" of a server
 * restart), go through vigil_log rather than libpq's default, which prints
 * them raw on stderr: they keep the log format (text or json) and -q.
 */
static void
log_notice(void *arg, const PGresult *res)
{
	const char *severity = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
	const char *primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	enum vigil_log_level level = VIGIL_LOG_INFO;
	char msg[512];

	(void) arg;
	short_message(primary ? primary : PQresultErrorMessage(res), msg, sizeof(msg));
	if (severity == NULL || strcmp(severity, "WARNING") == 0)
		level = VIGIL_LOG_WARNING;
	else if (strcmp(severity, "ERROR") == 0 || strcmp(severity, "FATAL") == 0 || strcmp(severity, "PANIC") == 0)
		level = VIGIL_LOG_ERROR;
	else if (strcmp(severity, "DEBUG") == 0 || strcmp(severity, "LOG") == 0)
		level = VIGIL_LOG_DEBUG;
	vigil_log(level, "the server said: %s", msg);
}

/*
 * One connection attempt: PQconnectdbParams, except that log_notice is the
 * notice receiver before the first message arrives. A server that shuts down
 * just as the session starts sends its FATAL while libpq is still finishing
 * the start-up, and libpq's default receiver would print it raw on stderr.
 * Returns the connection (NULL only when out of memory); *timed_out is set
 * when timeout_s passed first, and the connection is then unusable.
 */
static PGconn *
connect_once(const char *const *keywords, const char *const *values, int timeout_s, bool *timed_out)
{
	PGconn *conn = PQconnectStartParams(keywords, values, 1);
	PostgresPollingStatusType st = PGRES_POLLING_WRITING;
	double deadline = vigil_monotonic() + timeout_s;

	*timed_out = false;
	if (conn == NULL || PQstatus(conn) == CONNECTION_BAD)
		return conn;
	PQsetNoticeReceiver(conn, log_notice, NULL);
	while (st != PGRES_POLLING_OK && st != PGRES_POLLING_FAILED) {
		/* the socket may change between calls (another host, another address) */
		struct pollfd pfd = {PQsocket(conn), st == PGRES_POLLING_READING ? POLLIN : POLLOUT, 0};
		int left_ms = (int) ((deadline - vigil_monotonic()) * 1000);
		int ready = left_ms > 0 ? poll(&pfd, 1, left_ms) : 0;

		if (ready < 0 && errno == EINTR)
			continue;
		if (ready <= 0) {
			*timed_out = true;
			break;
		}
		st = PQconnectPoll(conn);
	}
	return conn;
}

PGconn *
vigil_db_connect(const vigil_config *cfg, const char *conninfo, const char *progname,
				 vigil_error *err)
{
	const char *keywords[] = {"dbname", "fallback_application_name", NULL};
	const char *values[3];
	int timeout_s;
	double deadline = vigil_monotonic() + cfg->database.connect_timeout_s;
	double delay = 0.25;
	PGconn *conn;

	bool from_command_line = conninfo != NULL;

	if (conninfo == NULL && cfg->database.conninfo[0] != '\0')
		conninfo = cfg->database.conninfo;
	/* A malformed connection string is the operator's mistake, not an
	 * unavailable server: say so (64 for -d, 78 for database.conninfo)
	 * instead of retrying. A plain word is a database name, as libpq reads it.
	 * The string itself is not repeated: it may hold a password. */
	if (conninfo && (strchr(conninfo, '=') || strncmp(conninfo, "postgresql://", 13) == 0 ||
					 strncmp(conninfo, "postgres://", 11) == 0)) {
		char *perr = NULL;
		PQconninfoOption *parsed = PQconninfoParse(conninfo, &perr);

		if (parsed == NULL) {
			char msg[512];

			short_message(perr ? perr : "out of memory", msg, sizeof(msg));
			PQfreemem(perr);
			vigil_error_set(err, from_command_line ? VIGIL_EXIT_USAGE : VIGIL_EXIT_CONFIG,
							"invalid connection string in %s: %s",
							from_command_line ? "-d" : "database.conninfo", msg);
			vigil_error_hint(err, "write it as \"host=... dbname=... user=...\" or postgresql://user@host/dbname");
			return NULL;
		}
		PQconninfoFree(parsed);
	}
	/* each attempt's own limit, as libpq's connect_timeout was */
	timeout_s = cfg->database.connect_timeout_s > 0 ?
		(cfg->database.connect_timeout_s < 10 ? cfg->database.connect_timeout_s + 1 : 10) : 10;
	values[0] = conninfo ? conninfo : "";
	values[1] = progname;
	values[2] = NULL;
	for (int attempt = 1;; attempt++) {
		bool timed_out;

		conn = connect_once(keywords, values, timeout_s, &timed_out);
		if (conn == NULL) {
			vigil_error_set(err, VIGIL_EXIT_SOFTWARE, "cannot connect to the database: out of memory");
			return NULL;
		}
		if (!timed_out && PQstatus(conn) == CONNECTION_OK)
			break;
		const char *why = timed_out ? "timeout expired" : PQerrorMessage(conn);
		char msg[512];
		short_message(why, msg, sizeof(msg));
		bool again = retryable(why) && vigil_monotonic() + delay < deadline;
		if (!again) {
			int code = retryable(why) ? VIGIL_EXIT_UNAVAILABLE : connect_failure_code(why);
			if (attempt > 1)
				vigil_error_set(err, code, "cannot connect to the database %s: %s (gave up after %d attempts in %ds)",
								PQdb(conn) ? PQdb(conn) : "", msg, attempt, cfg->database.connect_timeout_s);
			else
				vigil_error_set(err, code, "cannot connect to the database %s: %s",
								PQdb(conn) ? PQdb(conn) : "", msg);
			if (code == VIGIL_EXIT_UNAVAILABLE)
				vigil_error_hint(err, "check that PostgreSQL is running and that -d, database.conninfo or PGHOST/PGDATABASE point at it");
			else
				vigil_error_hint(err, "check the user and password (a pgpass file keeps it out of the conninfo)");
			PQfinish(conn);
			return NULL;
		}
		vigil_log(VIGIL_LOG_WARNING, "cannot connect to the database (attempt %d): %s; retrying in %.2fs",
				  attempt, msg, delay);
		PQfinish(conn);
		struct timespec ts = {(time_t) delay, (long) ((delay - (double) (time_t) delay) * 1e9)};
		nanosleep(&ts, NULL);
		delay = delay * 2 > 5 ? 5 : delay * 2;
	}

	char st[16], lt[16];
	snprintf(st, sizeof(st), "%d", cfg->database.statement_timeout_ms);
	snprintf(lt, sizeof(lt), "%d", cfg->database.lock_timeout_ms);
	const char *params[] = {st, lt};
	if (vigil_db_exec(conn, "set up the session",
					  "SELECT pg_catalog.set_config('search_path', 'pg_catalog, vigil, pg_temp', false), "
					  "pg_catalog.set_config('statement_timeout', $1, false), "
					  "pg_catalog.set_config('lock_timeout', $2, false), "
					  "pg_catalog.set_config('timezone', 'UTC', false), "
					  /* batch statements are short; JIT compiling them costs more
					   * than running them (seen: ~1 s per retention batch) */
					  "pg_catalog.set_config('jit', 'off', false)",
					  2, params, err) != 0) {
		PQfinish(conn);
		return NULL;
	}
	return conn;
}

void
vigil_db_cancel(PGconn *conn)
{
	PGcancel *cancel;
	char buf[256];

	if (conn == NULL || PQtransactionStatus(conn) != PQTRANS_ACTIVE)
		return;
	cancel = PQgetCancel(conn);
	if (cancel) {
		PQcancel(cancel, buf, sizeof(buf));
		PQfreeCancel(cancel);
	}
}

void
vigil_db_close(PGconn *conn)
{
	if (conn == NULL)
		return;
	vigil_db_cancel(conn);
	PQfinish(conn);
}

int
vigil_db_sqlstate_exit(const char *state)
{
	if (state == NULL)
		return VIGIL_EXIT_SOFTWARE;
	if (strcmp(state, "42501") == 0)
		return VIGIL_EXIT_NOPERM;
	if (strncmp(state, "08", 2) == 0 || strncmp(state, "57P", 3) == 0)
		return VIGIL_EXIT_UNAVAILABLE;
	if (strcmp(state, "55P03") == 0 || strcmp(state, "57014") == 0 || strcmp(state, "40P01") == 0 ||
		strcmp(state, "40001") == 0)
		return VIGIL_EXIT_TEMPFAIL;
	if (strncmp(state, "22", 2) == 0 || strncmp(state, "23", 2) == 0)
		return VIGIL_EXIT_DATAERR;
	/* a missing relation or schema: the database is not (fully) migrated,
	 * a deployment problem the operator fixes, not a bug in vigil */
	if (strcmp(state, "42P01") == 0 || strcmp(state, "3F000") == 0)
		return VIGIL_EXIT_CONFIG;
	return VIGIL_EXIT_SOFTWARE;
}

int
vigil_db_error(PGconn *conn, const PGresult *res, const char *purpose, vigil_error *err)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	const char *detail = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL) : NULL;
	int code;
	char fallback[512];

	if (msg == NULL) {
		short_message(conn ? PQerrorMessage(conn) : "no connection", fallback, sizeof(fallback));
		msg = fallback[0] ? fallback : "unexpected result";
	}
	if (conn && PQstatus(conn) == CONNECTION_BAD)
		code = VIGIL_EXIT_UNAVAILABLE;
	else
		code = vigil_db_sqlstate_exit(state);
	vigil_error_set(err, code, "cannot %s: %s%s%s", purpose, msg, detail ? " — " : "", detail ? detail : "");
	if (code == VIGIL_EXIT_NOPERM)
		vigil_error_hint(err, "run as a role that is a member of vigil_jobs (or vigil_owner for migrations)");
	else if (state && (strcmp(state, "42P01") == 0 || strcmp(state, "3F000") == 0))
		vigil_error_hint(err, "is the database migrated? run vigil-migrate up");
	return code;
}

PGresult *
vigil_db_query(PGconn *conn, const char *purpose, const char *sql, int nparams,
			   const char *const *params, ExecStatusType want, vigil_error *err)
{
	PGresult *res = PQexecParams(conn, sql, nparams, NULL, params, NULL, NULL, 0);

	if (res != NULL && PQresultStatus(res) == want)
		return res;
	if (res != NULL && PQresultStatus(res) != PGRES_FATAL_ERROR && PQresultStatus(res) != PGRES_NONFATAL_ERROR) {
		vigil_error_set(err, VIGIL_EXIT_SOFTWARE, "cannot %s: unexpected result %s", purpose,
						PQresStatus(PQresultStatus(res)));
	} else
		vigil_db_error(conn, res, purpose, err);
	PQclear(res);
	return NULL;
}

int
vigil_db_exec(PGconn *conn, const char *purpose, const char *sql, int nparams,
			  const char *const *params, vigil_error *err)
{
	PGresult *res = PQexecParams(conn, sql, nparams, NULL, params, NULL, NULL, 0);
	int rc = 0;

	if (res == NULL || (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK))
		rc = vigil_db_error(conn, res, purpose, err);
	PQclear(res);
	return rc;
}

int
vigil_db_value(PGconn *conn, const char *purpose, const char *sql, int nparams,
			   const char *const *params, char *out, size_t outsize, bool *isnull, vigil_error *err)
{
	PGresult *res = vigil_db_query(conn, purpose, sql, nparams, params, PGRES_TUPLES_OK, err);

	if (res == NULL)
		return err->code;
	if (PQntuples(res) != 1 || PQnfields(res) != 1) {
		int code = vigil_error_set(err, VIGIL_EXIT_SOFTWARE, "cannot %s: expected one value, got %d rows of %d columns",
								   purpose, PQntuples(res), PQnfields(res));
		PQclear(res);
		return code;
	}
	if (isnull)
		*isnull = PQgetisnull(res, 0, 0);
	snprintf(out, outsize, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	return 0;
}

int
vigil_db_begin(PGconn *conn, vigil_error *err)
{
	return vigil_db_exec(conn, "begin a transaction", "BEGIN", 0, NULL, err);
}

int
vigil_db_commit(PGconn *conn, vigil_error *err)
{
	return vigil_db_exec(conn, "commit", "COMMIT", 0, NULL, err);
}

void
vigil_db_rollback(PGconn *conn)
{
	PGresult *res;

	if (conn == NULL || PQstatus(conn) != CONNECTION_OK || PQtransactionStatus(conn) == PQTRANS_IDLE)
		return;
	res = PQexec(conn, "ROLLBACK");
	PQclear(res);
}
