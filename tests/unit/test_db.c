/*
 * test_db.c — what of common/db.c can be tested without a server: the
 * SQLSTATE → exit code table, errors built from a missing connection or a
 * result without error fields, a connection to a socket directory that does
 * not exist (69 at once with connect_timeout_s = 0; retried for about
 * connect_timeout_s otherwise), and the NULL-safe cleanup helpers. The
 * mapping on real server errors (42501 → 77, 42P01 → 78 with its hint) is
 * checked by tests/integration/t_run.sh.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db.h"
#include "log.h"
#include "util.h"

#define NOWHERE "host=/nonexistent-vigil-dir dbname=vigil"

static void
test_sqlstate_exit(void **state)
{
	static const struct {
		const char *state;
		int code;
	} cases[] = {
		{"42501", 77},   /* insufficient_privilege */
		{"08000", 69}, {"08006", 69}, {"08003", 69}, {"57P01", 69}, {"57P02", 69}, {"57P03", 69},
		{"55P03", 75},   /* lock_not_available (lock_timeout) */
		{"57014", 75},   /* query_canceled */
		{"40P01", 75},   /* deadlock_detected */
		{"40001", 75},   /* serialization_failure */
		{"22P02", 65}, {"22007", 65}, {"23505", 65}, {"23514", 65}, {"23503", 65},
		{"42P01", 78},   /* undefined_table: not migrated */
		{"3F000", 78},   /* invalid_schema_name */
		{"42601", 70}, {"42703", 70}, {"XX000", 70}, {"55000", 70}, {"P0001", 70}, {"57000", 70},
		{"", 70},
		{NULL, 70},
	};

	(void) state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int got = vigil_db_sqlstate_exit(cases[i].state);

		if (got != cases[i].code)
			fail_msg("SQLSTATE %s maps to %d, want %d", cases[i].state ? cases[i].state : "NULL", got,
					 cases[i].code);
	}
}

static void
test_error_without_server(void **state)
{
	vigil_error err = {0};

	(void) state;
	assert_int_equal(vigil_db_error(NULL, NULL, "read the clock", &err), 70);
	assert_string_equal(err.msg, "cannot read the clock: no connection");

	/* a result with no error fields (as a client-side failure leaves) */
	PGresult *res = PQmakeEmptyPGresult(NULL, PGRES_FATAL_ERROR);
	assert_int_equal(vigil_db_error(NULL, res, "insert the run", &err), 70);
	assert_string_equal(err.msg, "cannot insert the run: no connection");
	PQclear(res);

	/* a connection that failed: 69 and libpq's message, first line only */
	PGconn *conn = PQconnectdb(NOWHERE);
	assert_int_equal(PQstatus(conn), CONNECTION_BAD);
	assert_int_equal(vigil_db_error(conn, NULL, "mark stale runs abandoned", &err), 69);
	assert_true(strncmp(err.msg, "cannot mark stale runs abandoned: ", 34) == 0);
	assert_non_null(strstr(err.msg, "No such file or directory"));
	assert_null(strchr(err.msg, '\n'));

	/* the query helpers report the same on a dead connection */
	assert_null(vigil_db_query(conn, "count runs", "SELECT 1", 0, NULL, PGRES_TUPLES_OK, &err));
	assert_int_equal(err.code, 69);
	assert_true(strncmp(err.msg, "cannot count runs: ", 19) == 0);
	assert_int_equal(vigil_db_exec(conn, "delete rows", "DELETE FROM x", 0, NULL, &err), 69);
	char out[16] = "unchanged";
	assert_int_equal(vigil_db_value(conn, "read one value", "SELECT 1", 0, NULL, out, sizeof(out), NULL, &err), 69);
	assert_string_equal(out, "unchanged");
	assert_int_equal(vigil_db_begin(conn, &err), 69);
	assert_non_null(strstr(err.msg, "cannot begin a transaction: "));
	vigil_db_rollback(conn);   /* nothing to roll back: no effect, no crash */
	vigil_db_cancel(conn);
	vigil_db_close(conn);

	vigil_db_rollback(NULL);
	vigil_db_cancel(NULL);
	vigil_db_close(NULL);
}

static void
test_connect_unreachable(void **state)
{
	vigil_config cfg;
	vigil_error err = {0};
	int saved = dup(2), devnull = open("/dev/null", O_WRONLY);

	(void) state;
	vigil_config_defaults(&cfg);
	cfg.database.connect_timeout_s = 0;   /* no retry */
	double t0 = vigil_monotonic();
	assert_null(vigil_db_connect(&cfg, NOWHERE, "vigil-test", &err));
	assert_true(vigil_monotonic() - t0 < 1.0);
	assert_int_equal(err.code, 69);
	assert_true(strncmp(err.msg, "cannot connect to the database vigil: ", 38) == 0);
	assert_non_null(strstr(err.msg, "No such file or directory"));
	assert_null(strstr(err.msg, "gave up"));
	assert_non_null(strstr(err.hint, "PostgreSQL is running"));

	/* the configuration's conninfo is used when -d is not given */
	free(cfg.database.conninfo);
	cfg.database.conninfo = vigil_strdup("host=/nonexistent-vigil-dir dbname=fromconfig");
	assert_null(vigil_db_connect(&cfg, NULL, "vigil-test", &err));
	assert_non_null(strstr(err.msg, "database fromconfig: "));

	/* retried with backoff (warnings on stderr) for about connect_timeout_s */
	cfg.database.connect_timeout_s = 1;
	vigil_log_init("vigil-test", VIGIL_LOG_TEXT, VIGIL_LOG_ERROR);
	dup2(devnull, 2);
	t0 = vigil_monotonic();
	PGconn *conn = vigil_db_connect(&cfg, NOWHERE, "vigil-test", &err);
	double took = vigil_monotonic() - t0;
	dup2(saved, 2);
	assert_null(conn);
	assert_int_equal(err.code, 69);
	assert_true(took >= 0.5 && took < 3.0);
	assert_non_null(strstr(err.msg, "(gave up after "));
	assert_non_null(strstr(err.msg, " attempts in 1s)"));
	close(saved);
	close(devnull);
	vigil_config_free(&cfg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sqlstate_exit),
		cmocka_unit_test(test_error_without_server),
		cmocka_unit_test(test_connect_unreachable),
	};

	/* the libpq environment must not point the "unreachable" tests elsewhere */
	unsetenv("PGSERVICE");
	unsetenv("PGHOSTADDR");
	return cmocka_run_group_tests_name("db", tests, NULL, NULL);
}
