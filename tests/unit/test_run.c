/*
 * test_run.c — what of common/run.c works without a database: the counts
 * (vigil_run_count, vigil_run_get_count, vigil_run_counts_json), and a run
 * whose connection fails: vigil_run_begin returns 69, vigil_run_finish still
 * logs the summary line and writes the metrics file with that exit code, and
 * SIGTERM after begin is caught (the run is marked interrupted, the process
 * lives). Runs against a real server are in tests/integration/t_run.sh.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "run.h"
#include "util.h"

static void
test_counts(void **state)
{
	vigil_run run;
	char *json;

	(void) state;
	memset(&run, 0, sizeof(run));
	json = vigil_run_counts_json(&run);
	assert_string_equal(json, "{}");
	free(json);

	vigil_run_count(&run, "expired", 0);       /* declared, shown as 0 */
	vigil_run_count(&run, "notices", 0);
	vigil_run_count(&run, "expired", 120);
	vigil_run_count(&run, "expired", 3);
	vigil_run_count(&run, "notices", 37);
	vigil_run_count(&run, "skipped", -2);      /* created on first use */
	vigil_run_count(&run, "big", INT64_C(6000000000));
	assert_int_equal(run.ncounts, 4);
	assert_true(vigil_run_get_count(&run, "expired") == 123);
	assert_true(vigil_run_get_count(&run, "notices") == 37);
	assert_true(vigil_run_get_count(&run, "skipped") == -2);
	assert_true(vigil_run_get_count(&run, "big") == INT64_C(6000000000));
	assert_true(vigil_run_get_count(&run, "unknown") == 0);
	assert_int_equal(run.ncounts, 4);          /* reading does not create */
	json = vigil_run_counts_json(&run);
	/* in declaration order, as jsonb-compatible JSON */
	assert_string_equal(json, "{\"expired\": 123, \"notices\": 37, \"skipped\": -2, \"big\": 6000000000}");
	free(json);
}

static void
test_count_limits(void **state)
{
	vigil_run run;
	char name[64];

	(void) state;
	memset(&run, 0, sizeof(run));
	for (int i = 0; i < VIGIL_MAX_COUNTS + 5; i++) {
		snprintf(name, sizeof(name), "kind_%02d", i);
		vigil_run_count(&run, name, i + 1);
	}
	/* past the table's size new names are dropped, known ones still add */
	assert_int_equal(run.ncounts, VIGIL_MAX_COUNTS);
	assert_true(vigil_run_get_count(&run, "kind_31") == 32);
	assert_true(vigil_run_get_count(&run, "kind_32") == 0);
	vigil_run_count(&run, "kind_00", 10);
	assert_true(vigil_run_get_count(&run, "kind_00") == 11);

	/* a long name is cut to the field's size, consistently */
	memset(&run, 0, sizeof(run));
	const char *longname = "a_very_long_count_name_that_goes_past_forty_characters";
	vigil_run_count(&run, longname, 1);
	vigil_run_count(&run, longname, 1);
	assert_int_equal(run.ncounts, 1);
	assert_int_equal(strlen(run.counts[0].name), sizeof(run.counts[0].name) - 1);

	/* names are JSON-quoted */
	memset(&run, 0, sizeof(run));
	vigil_run_count(&run, "odd \"name\"", 1);
	char *json = vigil_run_counts_json(&run);
	assert_string_equal(json, "{\"odd \\\"name\\\"\": 1}");
	free(json);
}

static char *
slurp(const char *path)
{
	vigil_buf b = {0};
	vigil_error err = {0};

	if (vigil_read_file(path, &b, &err) != 0)
		fail_msg("%s", err.msg);
	return b.data;
}

static void
test_failed_connection(void **state)
{
	vigil_config cfg;
	vigil_opts opts;
	vigil_run run;
	vigil_error err = {0};
	char dir[] = "/tmp/vigil-test-run.XXXXXX";
	char logpath[] = "/tmp/vigil-test-run-log.XXXXXX";
	int saved = dup(2), logfd = mkstemp(logpath);

	(void) state;
	assert_non_null(mkdtemp(dir));
	vigil_config_defaults(&cfg);
	cfg.database.connect_timeout_s = 0;
	free(cfg.metrics.textfile_dir);
	cfg.metrics.textfile_dir = vigil_strdup(dir);
	memset(&opts, 0, sizeof(opts));
	opts.conninfo = "host=/nonexistent-vigil-dir dbname=vigil password=s3cret";
	vigil_log_init("vigil-testjob", VIGIL_LOG_TEXT, VIGIL_LOG_INFO);

	dup2(logfd, 2);
	int rc = vigil_run_begin(&run, "vigil-testjob", &cfg, &opts, NULL, &err);
	assert_int_equal(rc, 69);
	assert_string_equal(run.job, "testjob");
	assert_null(run.conn);
	assert_true(run.id == 0);
	vigil_run_count(&run, "items", 0);
	rc = vigil_run_finish(&run, rc, &err);
	dup2(saved, 2);
	close(saved);
	close(logfd);
	assert_int_equal(rc, 69);

	/* the error, its hint, and the summary line, without the password */
	char *log = slurp(logpath);
	assert_non_null(strstr(log, " error vigil-testjob cannot connect to the database vigil: "));
	assert_non_null(strstr(log, " error vigil-testjob hint: check that PostgreSQL is running"));
	assert_non_null(strstr(log, " error vigil-testjob run=0 status=failed items=0 ms="));
	assert_null(strstr(log, "s3cret"));
	free(log);
	unlink(logpath);

	/* the metrics say the run failed with 69 */
	char *path = vigil_asprintf("%s/vigil_testjob.prom", dir);
	char *prom = slurp(path);
	assert_non_null(strstr(prom, "\nvigil_job_exit_code{job=\"testjob\"} 69\n"));
	assert_non_null(strstr(prom, "\nvigil_job_last_success_timestamp_seconds{job=\"testjob\"} 0.000\n"));
	assert_non_null(strstr(prom, "\nvigil_job_items_total{job=\"testjob\",kind=\"items\"} 0\n"));
	free(prom);
	unlink(path);
	free(path);
	rmdir(dir);
	vigil_config_free(&cfg);
}

static void
test_signal_caught(void **state)
{
	vigil_config cfg;
	vigil_opts opts;
	vigil_run run;
	vigil_error err = {0};
	char logpath[] = "/tmp/vigil-test-run-log.XXXXXX";
	int saved = dup(2), logfd = mkstemp(logpath);

	(void) state;
	assert_false(vigil_run_interrupted());
	vigil_config_defaults(&cfg);
	cfg.database.connect_timeout_s = 0;
	memset(&opts, 0, sizeof(opts));
	opts.conninfo = "host=/nonexistent-vigil-dir";
	dup2(logfd, 2);
	/* begin installs the handlers before it connects */
	assert_int_equal(vigil_run_begin(&run, "vigil-testjob", &cfg, &opts, NULL, &err), 69);
	raise(SIGTERM);                 /* would kill the test without the handler */
	assert_true(vigil_run_interrupted());
	raise(SIGINT);                  /* a second signal: still alive */
	assert_true(vigil_run_interrupted());
	int rc = vigil_run_finish(&run, VIGIL_EXIT_TEMPFAIL, NULL);
	dup2(saved, 2);
	close(saved);
	close(logfd);
	assert_int_equal(rc, 75);
	char *log = slurp(logpath);
	assert_non_null(strstr(log, " error vigil-testjob run=0 status=interrupted ms="));
	free(log);
	unlink(logpath);
	vigil_config_free(&cfg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counts),
		cmocka_unit_test(test_count_limits),
		cmocka_unit_test(test_failed_connection),
		cmocka_unit_test(test_signal_caught),   /* last: the interrupted flag stays set */
	};

	unsetenv("JOURNAL_STREAM");
	unsetenv("PGSERVICE");
	return cmocka_run_group_tests_name("run", tests, NULL, NULL);
}
