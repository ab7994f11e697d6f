/*
 * test_workers.c — common/workers.c without a database: the batch loop of
 * one worker (called until it reports no more work, counts summed into the
 * run, the first failure returned with its message), and the array literal
 * that carries a claimed batch to the next statement (quoting, NULL, empty).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "workers.h"

typedef struct fake {
	int calls;
	int stop_after;            /* report "no more" on this call */
	int fail_on;               /* fail on this call (0 = never) */
} fake;

static int
fake_batch(vigil_pool *pool, PGconn *conn, void *arg, bool *more, vigil_error *err)
{
	fake *f = arg;

	(void) conn;
	f->calls++;
	if (f->fail_on && f->calls == f->fail_on)
		return vigil_error_set(err, VIGIL_EXIT_DATAERR, "cannot do batch %d: bad row", f->calls);
	vigil_pool_count(pool, "rows", 10);
	vigil_pool_count(pool, "batches", 1);
	*more = f->calls < f->stop_after;
	return 0;
}

static void
test_single_worker_runs_until_no_more(void **state)
{
	vigil_run run;
	vigil_error err = {0};
	fake f = {.stop_after = 3};

	(void) state;
	memset(&run, 0, sizeof(run));
	assert_int_equal(vigil_workers_run(&run, 1, fake_batch, &f, &err), 0);
	assert_int_equal(f.calls, 3);
	assert_int_equal(vigil_run_get_count(&run, "rows"), 30);
	assert_int_equal(vigil_run_get_count(&run, "batches"), 3);
}

static void
test_failure_stops_and_is_returned(void **state)
{
	vigil_run run;
	vigil_error err = {0};
	fake f = {.stop_after = 10, .fail_on = 2};

	(void) state;
	memset(&run, 0, sizeof(run));
	assert_int_equal(vigil_workers_run(&run, 1, fake_batch, &f, &err), VIGIL_EXIT_DATAERR);
	assert_int_equal(f.calls, 2);
	assert_string_equal(err.msg, "cannot do batch 2: bad row");
	/* the failed batch added nothing */
	assert_int_equal(vigil_run_get_count(&run, "rows"), 10);
}

static PGresult *
one_column(const char *const *values, int n)
{
	PGresult *res = PQmakeEmptyPGresult(NULL, PGRES_TUPLES_OK);
	PGresAttDesc attr = {.name = (char *) "v", .format = 0, .typid = 25, .typlen = -1, .atttypmod = -1};

	assert_non_null(res);
	assert_true(PQsetResultAttrs(res, 1, &attr));
	for (int row = 0; row < n; row++)
		assert_true(PQsetvalue(res, row, 0, (char *) values[row], values[row] ? (int) strlen(values[row]) : -1));
	return res;
}

static void
test_array_literal_quotes_elements(void **state)
{
	const char *values[] = {"20000000-0000-4000-8000-000000000001", "2026-06-01T00:00:00.000000Z",
							"say \"hi\"", "back\\slash", NULL, "a,b {c}"};
	PGresult *res = one_column(values, 6);
	vigil_buf b = {0};

	(void) state;
	vigil_array_from_column(&b, res, 0);
	assert_string_equal(b.data, "{\"20000000-0000-4000-8000-000000000001\",\"2026-06-01T00:00:00.000000Z\","
						"\"say \\\"hi\\\"\",\"back\\\\slash\",NULL,\"a,b {c}\"}");
	vigil_buf_free(&b);
	PQclear(res);
}

static void
test_array_literal_empty(void **state)
{
	PGresult *res = one_column(NULL, 0);
	vigil_buf b = {0};

	(void) state;
	vigil_array_from_column(&b, res, 0);
	assert_string_equal(b.data, "{}");
	vigil_buf_free(&b);
	PQclear(res);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_single_worker_runs_until_no_more),
		cmocka_unit_test(test_failure_stops_and_is_returned),
		cmocka_unit_test(test_array_literal_quotes_elements),
		cmocka_unit_test(test_array_literal_empty),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
