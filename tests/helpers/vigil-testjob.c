/*
 * vigil-testjob — a test-only program (built to build/tests/, never
 * installed) that lives the life of a job run through common/run.c against a
 * real database, so tests/integration/t_run.sh can check what every job
 * relies on: the lock, the job_runs row, abandoned runs, the job.finished
 * ledger entry, signals, dry runs, metrics and logging.
 *
 * Its "work" is --batches N fake batches: each checks for SIGINT/SIGTERM,
 * runs one query on the locked session (so a broken session shows), sleeps
 * --sleep-ms in the client (the server stays idle, so a kill -9 of this
 * process ends its session and frees the lock at once) and counts the batch
 * and jobs.batch_size items. --fail CODE ends the run with that exit code.
 * --lock-wait S first waits up to S seconds for the session lock
 * "vigil-testjob-wait" (vigil_lock_wait, as vigil-migrate does) and counts
 * the session's lock_timeout afterwards, which must be the configured one.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "config.h"
#include "db.h"
#include "log.h"
#include "run.h"
#include "util.h"
#include "vigil.h"

enum {
	OPT_BATCHES = 256,
	OPT_SLEEP_MS,
	OPT_FAIL,
	OPT_LOCK_WAIT,
};

typedef struct testjob_opts {
	int batches;
	int sleep_ms;
	int fail_code;             /* 0 = succeed */
	int lock_wait_s;           /* -1 = no --lock-wait */
} testjob_opts;

static const vigil_option options[] = {
	{"batches", required_argument, OPT_BATCHES, "N", "fake batches to run (default 3)"},
	{"sleep-ms", required_argument, OPT_SLEEP_MS, "N", "milliseconds each batch sleeps (default 0)"},
	{"fail", required_argument, OPT_FAIL, "CODE", "end the run with exit code CODE (1 to 125)"},
	{"lock-wait", required_argument, OPT_LOCK_WAIT, "S", "first wait up to S seconds for the lock vigil-testjob-wait"},
	{NULL, 0, 0, NULL, NULL},
};

static int
parse_number(const char *arg, const char *name, long lo, long hi, int *out, vigil_error *err)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(arg, &end, 10);
	if (errno != 0 || end == arg || *end != '\0' || n < lo || n > hi)
		return vigil_error_set(err, VIGIL_EXIT_USAGE, "invalid --%s \"%s\": expected a number from %ld to %ld",
							   name, arg, lo, hi);
	*out = (int) n;
	return 0;
}

static int
handle(int val, const char *arg, void *ctx, vigil_error *err)
{
	testjob_opts *opts = ctx;

	switch (val) {
	case OPT_BATCHES:
		return parse_number(arg, "batches", 0, 1000000, &opts->batches, err);
	case OPT_SLEEP_MS:
		return parse_number(arg, "sleep-ms", 0, 3600000, &opts->sleep_ms, err);
	case OPT_FAIL:
		return parse_number(arg, "fail", 1, 125, &opts->fail_code, err);
	case OPT_LOCK_WAIT:
		return parse_number(arg, "lock-wait", 0, 3600, &opts->lock_wait_s, err);
	}
	return vigil_error_set(err, VIGIL_EXIT_SOFTWARE, "unhandled option %d", val);
}

/* Sleeps ms milliseconds, returning early when a signal arrives. */
static void
sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long) (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);   /* EINTR: a signal; the caller checks for it */
}

static int
testjob_work(vigil_run *run, const testjob_opts *opts, vigil_error *err)
{
	char value[32];
	int rc;

	vigil_run_count(run, "batches", 0);
	vigil_run_count(run, "items", 0);
	if (opts->lock_wait_s >= 0) {
		rc = vigil_lock_wait(run->conn, "vigil-testjob-wait", opts->lock_wait_s, err);
		if (rc)
			return rc;
		rc = vigil_db_value(run->conn, "read the lock timeout",
							"SELECT setting FROM pg_catalog.pg_settings WHERE name = 'lock_timeout'", 0, NULL,
							value, sizeof(value), NULL, err);
		if (rc)
			return rc;
		vigil_run_count(run, "lock_timeout_ms", strtoll(value, NULL, 10));
	}
	for (int batch_idx = 0; batch_idx < opts->batches; batch_idx++) {
		if (vigil_run_interrupted())
			return vigil_error_set(err, VIGIL_EXIT_TEMPFAIL, "interrupted after %d of %d batches",
								   batch_idx, opts->batches);
		rc = vigil_db_value(run->conn, "run a batch", "SELECT 1", 0, NULL, value, sizeof(value), NULL, err);
		if (rc)
			return rc;
		if (opts->sleep_ms)
			sleep_ms(opts->sleep_ms);
		vigil_run_count(run, "batches", 1);
		vigil_run_count(run, "items", run->cfg->jobs.batch_size);
		vigil_log(VIGIL_LOG_DEBUG, "batch %d of %d done", batch_idx + 1, opts->batches);
	}
	if (opts->fail_code)
		return vigil_error_set(err, opts->fail_code, "failing with exit code %d as asked by --fail",
							   opts->fail_code);
	return 0;
}

static testjob_opts tj = {.batches = 3, .lock_wait_s = -1};

static vigil_program program = {
	.name = "vigil-testjob",
	.synopsis = "[OPTION]...",
	.summary = "Runs fake batches through the run life cycle of every vigil job (tests only).",
	.example = "  # three batches of 100 ms, then exit 70\n"
			   "  vigil-testjob --batches 3 --sleep-ms 100 --fail 70\n",
	.options = options,
	.handle = handle,
	.ctx = &tj,
	.min_args = 0,
	.max_args = 0,
};

int
main(int argc, char **argv)
{
	vigil_opts opts;
	vigil_config cfg;
	vigil_run run;
	vigil_error err = {0};
	char *params;
	int rc;

	rc = vigil_cli_parse(&program, argc, argv, &opts);
	if (rc >= 0)
		return rc;
	rc = vigil_cli_setup(&program, &opts, &cfg);
	if (rc >= 0) {
		vigil_config_free(&cfg);
		return rc;
	}
	params = vigil_asprintf("{\"batches\": %d, \"sleep_ms\": %d, \"fail\": %d}", tj.batches, tj.sleep_ms,
							tj.fail_code);
	rc = vigil_run_begin(&run, program.name, &cfg, &opts, params, &err);
	if (rc == 0)
		rc = testjob_work(&run, &tj, &err);
	rc = vigil_run_finish(&run, rc, &err);
	free(params);
	vigil_config_free(&cfg);
	return rc;
}
