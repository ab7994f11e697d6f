/*
 * run.c — job run records, locks, signals and the end-of-run bookkeeping.
 * The outcome (ledger entry + job_runs update) is one transaction so a run
 * is never recorded as finished without its ledger entry or the reverse.
 */
#include "run.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db.h"
#include "ledger.h"
#include "log.h"
#include "util.h"

static volatile sig_atomic_t interrupted;
static PGcancel *volatile cancel_handle;

static void
on_signal(int sig)
{
	(void) sig;
	if (interrupted && cancel_handle) {
		char buf[256];
		PQcancel(cancel_handle, buf, sizeof(buf));
	}
	interrupted = 1;
}

bool
vigil_run_interrupted(void)
{
	return interrupted != 0;
}

void
vigil_run_set_cancel_conn(PGconn *conn)
{
	PGcancel *old = cancel_handle;

	cancel_handle = conn ? PQgetCancel(conn) : NULL;
	if (old)
		PQfreeCancel(old);
}

static void
install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* Past a file size limit (ulimit -f) write() then fails with EFBIG, which
	 * the writer reports (73) and cleans up after, instead of the process
	 * being killed with its temporary file left behind. */
	signal(SIGXFSZ, SIG_IGN);
}

void
vigil_run_catch_signals(void)
{
	install_signals();
}

int
vigil_lock_try(PGconn *conn, const char *name, vigil_error *err)
{
	char got[8];
	const char *params[] = {name};
	int rc = vigil_db_value(conn, "take the job lock",
							"SELECT pg_try_advisory_lock(7447, hashtext($1))", 1, params, got,
							sizeof(got), NULL, err);

	if (rc)
		return rc;
	if (strcmp(got, "t") != 0) {
		vigil_error_set(err, VIGIL_EXIT_TEMPFAIL, "another %s run holds the lock on this database", name);
		vigil_error_hint(err, "nothing was done; the next scheduled run will try again");
		return VIGIL_EXIT_TEMPFAIL;
	}
	return 0;
}

int
vigil_lock_wait(PGconn *conn, const char *name, int wait_s, vigil_error *err)
{
	char ms[24], saved[64];
	const char *p1[] = {ms};
	const char *p2[] = {saved};
	const char *params[] = {name};
	vigil_error e2 = {0};
	int rc;

	/* keep the session's lock_timeout (database.lock_timeout_ms) to put it
	 * back: RESET would fall back to the server's default instead */
	rc = vigil_db_value(conn, "read the lock timeout", "SELECT current_setting('lock_timeout')", 0, NULL,
						saved, sizeof(saved), NULL, err);
	if (rc)
		return rc;
	snprintf(ms, sizeof(ms), "%d", wait_s > 0 ? wait_s * 1000 : 1);
	rc = vigil_db_exec(conn, "set the lock wait", "SELECT set_config('lock_timeout', $1, false)", 1, p1, err);
	if (rc)
		return rc;
	rc = vigil_db_exec(conn, "take the lock", "SELECT pg_advisory_lock(7447, hashtext($1))", 1, params, err);
	vigil_db_exec(conn, "restore the lock timeout", "SELECT set_config('lock_timeout', $1, false)", 1, p2, &e2);
	if (rc == VIGIL_EXIT_TEMPFAIL) {
		vigil_error_set(err, VIGIL_EXIT_TEMPFAIL, "another %s run held the lock for more than %d seconds",
						name, wait_s);
		vigil_error_hint(err, "wait for it to finish, or raise --lock-wait");
	}
	return rc;
}

int
vigil_run_begin(vigil_run *run, const char *prog, const vigil_config *cfg,
				const vigil_opts *opts, const char *params_json, vigil_error *err)
{
	char value[64], host[256] = "", pid[16];
	int rc;

	memset(run, 0, sizeof(*run));
	run->prog = prog;
	run->job = strncmp(prog, "vigil-", 6) == 0 ? prog + 6 : prog;
	run->cfg = cfg;
	run->opts = opts;
	run->dry_run = opts->dry_run;
	run->started = vigil_monotonic();
	run->started_us = vigil_time_now_us();
	install_signals();

	run->conn = vigil_db_connect(cfg, opts->conninfo, prog, err);
	if (run->conn == NULL)
		return err->code;
	vigil_run_set_cancel_conn(run->conn);

	if (opts->as_of_text)
		run->as_of_us = opts->as_of_us;
	else {
		rc = vigil_db_value(run->conn, "read the database clock",
							"SELECT (extract(epoch FROM now()) * 1000000)::bigint", 0, NULL, value,
							sizeof(value), NULL, err);
		if (rc)
			return rc;
		run->as_of_us = strtoll(value, NULL, 10);
	}
	vigil_time_format(run->as_of_us, run->as_of);

	rc = vigil_lock_try(run->conn, prog, err);
	if (rc)
		return rc;
	if (run->dry_run)
		return 0;

	/*
	 * We hold the lock, so a run of this job still `running` belongs to a
	 * process that died. Its committed batches are accounted for in the
	 * ledger by a job.abandoned entry carrying its last checkpoint
	 * (vigil_run_checkpoint), in the same transaction as the status change.
	 */
	const char *job[] = {run->job};
	rc = vigil_db_exec(run->conn, "begin a transaction", "BEGIN ISOLATION LEVEL READ COMMITTED", 0, NULL, err);
	if (rc)
		return rc;
	PGresult *res = vigil_db_query(run->conn, "mark stale runs abandoned",
								   "WITH stale AS (UPDATE vigil.job_runs SET status = 'abandoned', finished_at = now(), "
								   "error = coalesce(error, 'the process ended without recording an outcome') "
								   "WHERE job = $1 AND status = 'running' RETURNING id, job, as_of, counts), "
								   "led AS (INSERT INTO vigil.ledger (event_type, entity_type, entity_id, actor, run_id, payload) "
								   "SELECT 'job.abandoned', 'job_run', id::text, $2, id, jsonb_build_object('job', job, "
								   "'status', 'abandoned', 'as_of', as_of, 'checkpoint', coalesce(counts, '{}'::jsonb)) "
								   "FROM stale ORDER BY stale.id RETURNING seq) "
								   "SELECT id FROM stale ORDER BY id",
								   2, (const char *const[]) {job[0], prog}, PGRES_TUPLES_OK, err);
	if (res == NULL) {
		vigil_db_rollback(run->conn);
		return err->code;
	}
	for (int i = 0; i < PQntuples(res); i++)
		vigil_log(VIGIL_LOG_WARNING, "run %s of %s ended without recording an outcome; marked abandoned",
				  PQgetvalue(res, i, 0), prog);
	PQclear(res);
	rc = vigil_db_commit(run->conn, err);
	if (rc)
		return rc;

	gethostname(host, sizeof(host) - 1);
	snprintf(pid, sizeof(pid), "%d", (int) getpid());
	const char *params[] = {run->job, run->as_of, params_json ? params_json : "{}", host, pid, VIGIL_VERSION};
	rc = vigil_db_value(run->conn, "record the run start",
						"INSERT INTO vigil.job_runs (job, status, as_of, started_at, params, host, pid, version) "
						"VALUES ($1, 'running', $2::timestamptz, now(), $3::jsonb, $4, $5::int, $6) RETURNING id",
						6, params, value, sizeof(value), NULL, err);
	if (rc)
		return rc;
	run->id = strtoll(value, NULL, 10);
	return 0;
}

int
vigil_run_checkpoint(vigil_run *run, const char *progress_json, vigil_error *err)
{
	char id[24];

	if (run->id <= 0)
		return 0;
	snprintf(id, sizeof(id), "%lld", (long long) run->id);
	return vigil_db_exec(run->conn, "record the run's progress",
						 "UPDATE vigil.job_runs SET counts = $2::jsonb WHERE id = $1::bigint", 2,
						 (const char *const[]) {id, progress_json}, err);
}

static vigil_count *
find_count(vigil_run *run, const char *name)
{
	/* names are stored cut to the field's size: compare as stored */
	for (size_t i = 0; i < run->ncounts; i++)
		if (strncmp(run->counts[i].name, name, sizeof(run->counts[i].name) - 1) == 0)
			return &run->counts[i];
	if (run->ncounts == VIGIL_MAX_COUNTS)
		return NULL;
	vigil_count *c = &run->counts[run->ncounts++];
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->value = 0;
	return c;
}

void
vigil_run_count(vigil_run *run, const char *name, int64_t delta)
{
	vigil_count *c = find_count(run, name);

	if (c)
		c->value += delta;
}

int64_t
vigil_run_get_count(const vigil_run *run, const char *name)
{
	for (size_t i = 0; i < run->ncounts; i++)
		if (strncmp(run->counts[i].name, name, sizeof(run->counts[i].name) - 1) == 0)
			return run->counts[i].value;
	return 0;
}

char *
vigil_run_counts_json(const vigil_run *run)
{
	vigil_buf b = {0};

	vigil_buf_puts(&b, "{");
	for (size_t i = 0; i < run->ncounts; i++) {
		if (i)
			vigil_buf_puts(&b, ", ");
		vigil_buf_json_string(&b, run->counts[i].name);
		vigil_buf_printf(&b, ": %lld", (long long) run->counts[i].value);
	}
	vigil_buf_puts(&b, "}");
	return b.data;
}

static const char *
status_for(int rc)
{
	if (rc == 0)
		return "succeeded";
	if (rc == VIGIL_EXIT_TEMPFAIL && interrupted)
		return "interrupted";
	return "failed";
}

/* The ledger entry and the job_runs update, in one transaction. */
static int
record_outcome(vigil_run *run, int rc, const vigil_error *err, vigil_error *rec_err)
{
	char id[24], code[8];
	char *counts = vigil_run_counts_json(run);
	vigil_buf payload = {0};
	int ret;

	snprintf(id, sizeof(id), "%lld", (long long) run->id);
	snprintf(code, sizeof(code), "%d", rc);
	vigil_buf_puts(&payload, "{\"job\": ");
	vigil_buf_json_string(&payload, run->job);
	vigil_buf_puts(&payload, ", \"status\": ");
	vigil_buf_json_string(&payload, status_for(rc));
	vigil_buf_printf(&payload, ", \"exit_code\": %d, \"as_of\": \"%s\", \"counts\": %s}", rc, run->as_of, counts);

	if (PQtransactionStatus(run->conn) != PQTRANS_IDLE)
		vigil_db_rollback(run->conn);
	ret = vigil_db_begin(run->conn, rec_err);
	if (ret == 0)
		ret = vigil_ledger_append(run->conn, "job.finished", "job_run", id, NULL, run->prog, run->id,
								  payload.data, NULL, rec_err);
	if (ret == 0) {
		const char *params[] = {id, status_for(rc), counts, rc && err && err->msg[0] ? err->msg : NULL};
		ret = vigil_db_exec(run->conn, "record the run outcome",
							"UPDATE vigil.job_runs SET status = $2, finished_at = clock_timestamp(), "
							"counts = $3::jsonb, error = $4 WHERE id = $1::bigint",
							4, params, rec_err);
	}
	if (ret == 0)
		ret = vigil_db_commit(run->conn, rec_err);
	else
		vigil_db_rollback(run->conn);
	vigil_buf_free(&payload);
	free(counts);
	return ret;
}

int
vigil_run_finish(vigil_run *run, int rc, const vigil_error *err)
{
	vigil_error rec_err = {0};
	double duration = vigil_monotonic() - run->started;

	if (rc != 0 && err && err->msg[0])
		vigil_log_error(err);
	if (run->conn && run->id > 0) {
		/* a lost connection can still be recorded if the server is back */
		if (PQstatus(run->conn) != CONNECTION_OK)
			PQreset(run->conn);
		if (PQstatus(run->conn) == CONNECTION_OK) {
			/* PQreset dropped the session lock: the outcome is still ours to record */
			if (record_outcome(run, rc, err, &rec_err) != 0) {
				vigil_log(VIGIL_LOG_ERROR, "cannot record the outcome of run %lld: %s",
						  (long long) run->id, rec_err.msg);
				if (rc == 0)
					rc = rec_err.code;
			}
		} else
			vigil_log(VIGIL_LOG_ERROR, "cannot record the outcome of run %lld: the database connection is lost; "
					  "the next run will mark it abandoned", (long long) run->id);
	}
	if (!run->dry_run && run->cfg && run->cfg->metrics.textfile_dir[0] && run->id >= 0) {
		vigil_error merr = {0};
		if (vigil_metrics_write(run->cfg->metrics.textfile_dir, run->job, (double) run->started_us / 1e6,
								duration, rc, run->counts, run->ncounts, &merr) != 0)
			vigil_log_error(&merr);
	}

	/* the summary line: run=ID counts... ms=N */
	vigil_kv kv[VIGIL_MAX_COUNTS + 5];
	char vals[VIGIL_MAX_COUNTS + 5][32];
	size_t n = 0;
	snprintf(vals[n], sizeof(vals[n]), "%lld", (long long) run->id);
	kv[n] = (vigil_kv) {"run", vals[n], true};
	n++;
	kv[n] = (vigil_kv) {"status", run->dry_run ? "dry-run" : status_for(rc), false};
	n++;
	for (size_t i = 0; i < run->ncounts; i++, n++) {
		snprintf(vals[n], sizeof(vals[n]), "%lld", (long long) run->counts[i].value);
		kv[n] = (vigil_kv) {run->counts[i].name, vals[n], true};
	}
	snprintf(vals[n], sizeof(vals[n]), "%.0f", duration * 1000);
	kv[n] = (vigil_kv) {"ms", vals[n], true};
	n++;
	if (run->as_of[0]) {
		kv[n] = (vigil_kv) {"as_of", run->as_of, false};
		n++;
	}
	if (run->dry_run) {
		kv[n] = (vigil_kv) {"dry_run", "1", true};   /* as run.h promises */
		n++;
	}
	vigil_log_fields(rc == 0 ? VIGIL_LOG_INFO : VIGIL_LOG_ERROR, kv, n);

	vigil_run_set_cancel_conn(NULL);
	vigil_db_close(run->conn);
	run->conn = NULL;
	return rc;
}
