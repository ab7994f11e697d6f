/*
 * workers.c — the worker pool of workers.h. Threads, not processes: the
 * workers share the run's counts and the claim cursor, and every one of them
 * must stop when the first fails. Worker 0 always runs on the calling thread
 * with the run's session, so a single-worker run has no thread at all.
 */
#include "workers.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "log.h"

struct vigil_pool {
	vigil_run *run;
	vigil_batch_fn fn;
	void *ctx;
	pthread_mutex_t mutex;
	bool stop;                 /* a worker failed: the others finish their batch and quit */
	int rc;                    /* the first failure */
	vigil_error err;
};

typedef struct worker {
	vigil_pool *pool;
	PGconn *conn;
	int index;
	pthread_t thread;
	bool started;
} worker;

vigil_run *
vigil_pool_run(vigil_pool *pool)
{
	return pool->run;
}

void
vigil_pool_lock(vigil_pool *pool)
{
	pthread_mutex_lock(&pool->mutex);
}

void
vigil_pool_unlock(vigil_pool *pool)
{
	pthread_mutex_unlock(&pool->mutex);
}

void
vigil_pool_count(vigil_pool *pool, const char *name, int64_t delta)
{
	pthread_mutex_lock(&pool->mutex);
	vigil_run_count(pool->run, name, delta);
	pthread_mutex_unlock(&pool->mutex);
}

static void
fail(vigil_pool *pool, int rc, const vigil_error *err)
{
	pthread_mutex_lock(&pool->mutex);
	if (!pool->stop) {
		pool->stop = true;
		pool->rc = rc;
		pool->err = *err;
	}
	pthread_mutex_unlock(&pool->mutex);
}

static bool
stopping(vigil_pool *pool)
{
	bool stop;

	pthread_mutex_lock(&pool->mutex);
	stop = pool->stop;
	pthread_mutex_unlock(&pool->mutex);
	return stop || vigil_run_interrupted();
}

static void *
work(void *arg)
{
	worker *w = arg;
	vigil_pool *pool = w->pool;
	vigil_error err = {0};
	bool more = true;

	while (more && !stopping(pool)) {
		int rc = pool->fn(pool, w->conn, pool->ctx, &more, &err);

		if (rc != 0) {
			if (PQtransactionStatus(w->conn) != PQTRANS_IDLE)
				vigil_db_rollback(w->conn);
			fail(pool, rc, &err);
			break;
		}
	}
	return NULL;
}

int
vigil_workers_run(vigil_run *run, int nworkers, vigil_batch_fn fn, void *ctx, vigil_error *err)
{
	vigil_pool pool = {.run = run, .fn = fn, .ctx = ctx};
	worker workers[VIGIL_MAX_WORKERS];
	int rc = 0;

	if (nworkers < 1)
		nworkers = 1;
	if (nworkers > VIGIL_MAX_WORKERS)
		nworkers = VIGIL_MAX_WORKERS;
	pthread_mutex_init(&pool.mutex, NULL);
	memset(workers, 0, sizeof(workers));

	/* open every session first: a pool that cannot be complete does no work */
	workers[0] = (worker) {.pool = &pool, .conn = run->conn, .index = 0};
	for (int idx = 1; idx < nworkers; idx++) {
		workers[idx] = (worker) {.pool = &pool, .index = idx};
		workers[idx].conn = vigil_db_connect(run->cfg, run->opts->conninfo, run->prog, err);
		if (workers[idx].conn == NULL) {
			rc = err->code;
			goto done;
		}
	}
	for (int idx = 1; idx < nworkers; idx++) {
		if (pthread_create(&workers[idx].thread, NULL, work, &workers[idx]) != 0) {
			vigil_error error = {0};
			vigil_error_set(&error, VIGIL_EXIT_SOFTWARE, "cannot start worker %d: out of threads", idx);
			fail(&pool, VIGIL_EXIT_SOFTWARE, &error);
			break;
		}
		workers[idx].started = true;
	}
	work(&workers[0]);
	for (int idx = 1; idx < nworkers; idx++)
		if (workers[idx].started)
			pthread_join(workers[idx].thread, NULL);

	if (pool.stop) {
		*err = pool.err;
		rc = pool.rc;
	} else if (vigil_run_interrupted()) {
		rc = vigil_error_set(err, VIGIL_EXIT_TEMPFAIL,
							 "%s interrupted by a signal between batches; the batches done are committed",
							 run->prog);
		vigil_error_hint(err, "run it again: it continues where this run stopped");
	}

done:
	for (int idx = 1; idx < nworkers; idx++)
		vigil_db_close(workers[idx].conn);
	pthread_mutex_destroy(&pool.mutex);
	return rc;
}

void
vigil_array_from_column(vigil_buf *b, const PGresult *res, int col)
{
	vigil_buf_puts(b, "{");
	for (int row = 0; row < PQntuples(res); row++) {
		if (row)
			vigil_buf_puts(b, ",");
		if (PQgetisnull(res, row, col)) {
			vigil_buf_puts(b, "NULL");
			continue;
		}
		vigil_buf_puts(b, "\"");
		for (const char *p = PQgetvalue(res, row, col); *p; p++) {
			if (*p == '"' || *p == '\\')
				vigil_buf_append(b, "\\", 1);
			vigil_buf_append(b, p, 1);
		}
		vigil_buf_puts(b, "\"");
	}
	vigil_buf_puts(b, "}");
}

int
vigil_ledger_plan_guard(PGconn *conn, vigil_error *err)
{
	return vigil_db_exec(conn, "plan the ledger appends on the primary key",
						 "SELECT pg_catalog.set_config('enable_seqscan', 'off', true)", 0, NULL, err);
}

int
vigil_workers_parse(const char *arg, int *out, vigil_error *err)
{
	char *end;
	long n = strtol(arg, &end, 10);

	if (*arg == '\0' || *end != '\0' || n < 1 || n > VIGIL_MAX_WORKERS)
		return vigil_error_set(err, VIGIL_EXIT_USAGE, "invalid --workers \"%s\": expected a number from 1 to %d",
							   arg, VIGIL_MAX_WORKERS);
	*out = (int) n;
	return 0;
}
