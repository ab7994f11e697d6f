/*
 * run.h — the life of one job run (DESIGN §4 "Every run"):
 *
 *	vigil_run_begin   connect, resolve --as-of (default: the database's now()),
 *	                  take the job's session advisory lock (held: 75), mark
 *	                  runs of this job left `running` as `abandoned` (we hold
 *	                  the lock, so their process is gone) with a
 *	                  job.abandoned ledger entry each, insert the
 *	                  job_runs row (`running`), catch SIGINT/SIGTERM
 *	... the job works in batches, checking vigil_run_interrupted() between
 *	    them and adding to its counts with vigil_run_count ...
 *	vigil_run_finish  one transaction: the `job.finished` ledger entry with
 *	                  the counts and the job_runs row's end status
 *	                  (succeeded, failed, interrupted); then the metrics
 *	                  file, the summary log line, and the lock released.
 *
 * A dry run (--dry-run) takes the lock but writes no job_runs row, no ledger
 * entry and no metrics: the job rolls its transactions back and the summary
 * line carries dry_run=1.
 *
 * Signals: the first SIGINT/SIGTERM asks the job to stop between batches; a
 * second one also cancels the query in flight (PQcancel is async-signal-safe).
 * Lock keys: (7447, hashtext(program name)) for jobs; (7447, 0) is the ledger's.
 */
#ifndef VIGIL_RUN_H
#define VIGIL_RUN_H

#include <libpq-fe.h>

#include "cli.h"
#include "config.h"
#include "metrics.h"
#include "vigil.h"

#define VIGIL_LOCK_CLASS 7447
#define VIGIL_MAX_COUNTS 32

typedef struct vigil_run {
	const char *prog;          /* "vigil-expire" */
	const char *job;           /* "expire": job_runs.job, metrics file name */
	const vigil_config *cfg;
	const vigil_opts *opts;
	PGconn *conn;              /* the session that holds the job's lock */
	int64_t id;                /* job_runs.id; 0 in a dry run */
	int64_t as_of_us;
	char as_of[32];            /* as_of as YYYY-MM-DDTHH:MM:SS.ffffffZ */
	bool dry_run;
	double started;            /* monotonic */
	int64_t started_us;        /* wall clock */
	vigil_count counts[VIGIL_MAX_COUNTS];
	size_t ncounts;
} vigil_run;

/*
 * Starts a run of program `prog` ("vigil-expire"). params_json describes the
 * options (stored in job_runs.params; NULL = {}). Returns 0, or an exit code
 * with err filled (75 when another run holds the lock) — after a failure
 * call vigil_run_finish anyway: it cleans up and logs.
 */
int vigil_run_begin(vigil_run *run, const char *prog, const vigil_config *cfg,
					const vigil_opts *opts, const char *params_json, vigil_error *err);

/* Adds delta to the count `name`, creating it (at 0) on first use. Declare
 * every count with delta 0 at the start so the summary always shows it. */
void vigil_run_count(vigil_run *run, const char *name, int64_t delta);

/*
 * Records progress_json (a JSON object) as the run's counts, in the caller's
 * open transaction: call it in the transaction of each batch whose changes
 * are not yet described by a ledger entry. If the process then dies, the
 * next run of the job marks this one abandoned and appends a job.abandoned
 * ledger entry carrying this checkpoint, so no committed change is left
 * without a ledger record. No-op in a dry run. Returns 0 or an exit code.
 */
int vigil_run_checkpoint(vigil_run *run, const char *progress_json, vigil_error *err);

/* The current value of a count (0 if unknown). */
int64_t vigil_run_get_count(const vigil_run *run, const char *name);

/* True once SIGINT or SIGTERM arrived: stop before the next batch and finish
 * with VIGIL_EXIT_TEMPFAIL. */
bool vigil_run_interrupted(void);

/* Sets the connection whose query a second signal cancels (NULL: none). */
void vigil_run_set_cancel_conn(PGconn *conn);

/* Catches SIGINT and SIGTERM the way vigil_run_begin does, for a program
 * that does not start a run (vigil-migrate), so vigil_run_interrupted and
 * vigil_run_set_cancel_conn work for it too. */
void vigil_run_catch_signals(void);

/*
 * Ends the run with exit code rc and, when rc != 0, the error err (logged
 * here). Records the outcome (see above), writes metrics, logs the summary,
 * closes the connection. Returns the exit code the program should use (rc,
 * or the code of a failure to record the outcome when rc was 0).
 */
int vigil_run_finish(vigil_run *run, int rc, const vigil_error *err);

/* The counts as a JSON object {"expired": 120, ...} (caller frees). */
char *vigil_run_counts_json(const vigil_run *run);

/*
 * Session advisory locks on (7447, hashtext(name)). try: returns 0 when
 * taken, 75 when another session holds it. wait: waits up to wait_s seconds
 * (lock_timeout), then 75.
 */
int vigil_lock_try(PGconn *conn, const char *name, vigil_error *err);
int vigil_lock_wait(PGconn *conn, const char *name, int wait_s, vigil_error *err);

#endif
