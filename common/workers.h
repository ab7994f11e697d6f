/*
 * workers.h — several database sessions working through the batches of one
 * job run (--workers N, jobs.workers; DESIGN §8).
 *
 * vigil_workers_run calls a job's batch function again and again on each
 * session until the function reports that nothing is left to claim, a batch
 * fails, or SIGINT/SIGTERM arrives. Worker 0 is the run's own session (the
 * one holding the job lock); the others are opened with vigil_db_connect and
 * closed at the end. Each worker is a thread that owns its connection, which
 * is all libpq asks for thread safety.
 *
 * Batches are claimed in the database with FOR UPDATE SKIP LOCKED, and the
 * workers of one run share one keyset cursor kept under the pool's mutex
 * (vigil_pool_lock around the claim query only): no two workers claim the
 * same rows, even in a dry run where nothing claimed is ever removed. Counts
 * added with vigil_pool_count are summed into the run under the same mutex.
 */
#ifndef VIGIL_WORKERS_H
#define VIGIL_WORKERS_H

#include <libpq-fe.h>

#include "run.h"
#include "util.h"
#include "vigil.h"

#define VIGIL_MAX_WORKERS 64

typedef struct vigil_pool vigil_pool;

/*
 * One batch on conn, in its own transaction(s). Returns 0 and sets *more to
 * false when there was nothing left to claim (true to be called again), or an
 * exit code with err filled; the function rolls back its own transaction on
 * failure.
 */
typedef int (*vigil_batch_fn)(vigil_pool *pool, PGconn *conn, void *ctx, bool *more,
							  vigil_error *err);

/*
 * Runs fn on nworkers sessions (1 = the run's session only, no thread) until
 * every worker is out of work. Returns 0; 75 with err filled when a signal
 * stopped the run between batches; or the first failure of any worker (the
 * others stop after their batch in flight).
 */
int vigil_workers_run(vigil_run *run, int nworkers, vigil_batch_fn fn, void *ctx, vigil_error *err);

/* The run the pool works for (its as_of, id, dry_run, cfg). */
vigil_run *vigil_pool_run(vigil_pool *pool);

/* The pool's mutex: hold it around the claim query and the cursor update. */
void vigil_pool_lock(vigil_pool *pool);
void vigil_pool_unlock(vigil_pool *pool);

/* Adds delta to the run's count `name` (thread-safe). */
void vigil_pool_count(vigil_pool *pool, const char *name, int64_t delta);

/*
 * Appends column col of every row of res to b as a PostgreSQL array literal
 * ("{"a","b"}", each element quoted, NULL as NULL), to pass a claimed batch
 * to the next statement as one parameter ($1::uuid[]).
 */
void vigil_array_from_column(vigil_buf *b, const PGresult *res, int col);

/*
 * Makes the ledger append trigger's "last entry" lookup use the primary key
 * in this transaction (SET LOCAL enable_seqscan = off). The trigger's plan is
 * made once per session and kept: made while the statistics say the ledger
 * is nearly empty (a fresh or just analysed database), it is a sequential
 * scan and sort, repeated for every appended row, and a batch of n entries
 * costs O(n * ledger size). Call it in the batch's transaction before a
 * set-based ledger INSERT; it holds for every later statement of that
 * transaction. Returns 0 or an exit code with err filled.
 */
int vigil_ledger_plan_guard(PGconn *conn, vigil_error *err);

/* Parses the value of --workers (1 to VIGIL_MAX_WORKERS) into *out.
 * Returns 0, or 64 with err naming the bad value. */
int vigil_workers_parse(const char *arg, int *out, vigil_error *err);

#endif
