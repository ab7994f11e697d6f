/*
 * vigil-expire — the certification-expiration sweep (DESIGN §4).
 *
 * Certifications that are PASS or INCOMPLETE, not non-expiring, with
 * expiration_date <= as-of become EXPIRED, one batch per transaction: the
 * status, one `certification.expired` ledger entry each, their
 * certification_enforcement rows blocked, their employees queued for
 * vigil-enforce. Then the warnings: one notification_outbox row per
 * certification and horizon of jobs.expire.warn_days it expires within.
 *
 * Both scans walk idx_cert_expiration_status (the partial index on
 * status IN ('PASS','INCOMPLETE')) by keyset over (expiration_date, id), so a
 * run costs what is due, not what is stored, and never reads a row twice.
 * The sessions run with enable_seqscan off: every statement here has an
 * index path, and the sweep must not fall back to reading the whole table
 * when the statistics are stale or the table is small (the ledger append's
 * lookup of the last entry is kept on its primary key the same way).
 *
 * Order of work inside a batch, chosen so that concurrent writers cannot
 * deadlock: claim the rows (FOR NO KEY UPDATE SKIP LOCKED, which does not
 * conflict with the KEY SHARE locks foreign keys take), queue the employees
 * in id order, block their certification_enforcement rows (in id order,
 * while the claim's lock still covers the foreign key's), update the
 * certifications, and append the ledger entries last: the ledger's append
 * lock (7447, 0) is then only ever held by a transaction that waits for
 * nothing else.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "config.h"
#include "db.h"
#include "log.h"
#include "run.h"
#include "util.h"
#include "vigil.h"
#include "workers.h"

enum {
	OPT_WORKERS = 256,
};

typedef struct expire_opts {
	int workers;               /* 0 = jobs.workers */
} expire_opts;

static const vigil_option options[] = {
	{"workers", required_argument, OPT_WORKERS, "N",
	 "sessions claiming batches in parallel (default jobs.workers, 1)"},
	{NULL, 0, 0, NULL, NULL},
};

static int
handle(int val, const char *arg, void *ctx, vigil_error *err)
{
	expire_opts *opts = ctx;

	switch (val) {
	case OPT_WORKERS:
		return vigil_workers_parse(arg, &opts->workers, err);
	}
	return vigil_error_set(err, VIGIL_EXIT_USAGE, "unhandled option");
}

static expire_opts myopts;

static vigil_program program = {
	.name = "vigil-expire",
	.synopsis = "[OPTION]...",
	.summary = "Expire the certifications that are due as of --as-of (PASS or INCOMPLETE,\n"
			   "not non-expiring, expiration_date <= as-of): mark them EXPIRED with a ledger\n"
			   "entry each, block them and queue their employees for vigil-enforce. Then\n"
			   "queue one expiry warning per certification and horizon of\n"
			   "jobs.expire.warn_days (default 30, 7, 1 days) in notification_outbox.",
	.example = "  # the hourly sweep\n"
			   "  vigil-expire\n"
			   "  # what a sweep as of June 1st would do, without changing anything\n"
			   "  vigil-expire --as-of 2026-06-01T00:00:00Z --dry-run\n"
			   "  # a large backlog, four sessions in parallel\n"
			   "  vigil-expire --workers 4 --batch-size 10000\n",
	.options = options,
	.handle = handle,
	.ctx = &myopts,
	.min_args = 0,
	.max_args = 0,
};

/* The state the workers share; cursor fields only under the pool's mutex. */
typedef struct expire_ctx {
	char limit[16];
	char run_id[24];           /* "" in a dry run: the ledger's run_id is NULL */
	char cursor_date[40];      /* keyset: the last claimed (expiration_date, id) */
	char cursor_id[40];
} expire_ctx;

#define ISO_UTC(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"

/* The due rows after the cursor, in index order. The predicate is the index's
 * (status IN ('PASS','INCOMPLETE')) plus the bounds on its first column; the
 * row comparison on (expiration_date, id) makes the walk a keyset. */
static const char claim_sql[] =
	"SELECT c.id, c.employee_id, c.status, " ISO_UTC("c.expiration_date") "\n"
	"FROM vigil.certifications c\n"
	"WHERE c.status IN ('PASS', 'INCOMPLETE')\n"
	"  AND c.expiration_date <= $1::timestamptz\n"
	"  AND c.expiration_date >= $2::timestamptz\n"
	"  AND (c.expiration_date, c.id) > ($2::timestamptz, $3::uuid)\n"
	"  AND NOT c.is_non_expiring\n"
	"ORDER BY c.expiration_date, c.id\n"
	"LIMIT $4::int\n"
	"FOR NO KEY UPDATE SKIP LOCKED";

/* In employee id order, so two workers queueing the same employees wait for
 * each other instead of deadlocking. DO UPDATE (not DO NOTHING) waits for a
 * vigil-enforce that holds the queue row and re-queues the employee after it
 * removed the row: the change is never lost between the two jobs. */
static const char queue_sql[] =
	"INSERT INTO vigil.enforcement_queue (employee_id, enqueued_at, reason)\n"
	"SELECT DISTINCT e.id, now(), 'certification expired'\n"
	"FROM unnest($1::uuid[]) AS e(id)\n"
	"ORDER BY 1\n"
	"ON CONFLICT (employee_id) DO UPDATE\n"
	"  SET enqueued_at = excluded.enqueued_at, reason = excluded.reason";

/* Before the update, on purpose: the certification_enforcement foreign key
 * takes a key-share lock on each certification, and while the row is only
 * locked by the claim that lock is already held (a no-op); after the update
 * it would lock the new row version again, one more heap write and WAL
 * record per row. The claim's lock keeps every row due until the update. */
static const char block_sql[] =
	"INSERT INTO vigil.certification_enforcement (certification_id, is_blocked, reason, evaluated_at)\n"
	"SELECT u.id, true, 'expired', now() FROM unnest($1::uuid[]) AS u(id) ORDER BY u.id\n"
	"ON CONFLICT (certification_id) DO UPDATE\n"
	"  SET is_blocked = true, reason = 'expired', evaluated_at = excluded.evaluated_at";

/* The batch's date range repeats the index predicate so that the rows are
 * found through idx_cert_expiration_status whatever the planner thinks of a
 * long id list: the sweep never scans the table. */
static const char expire_sql[] =
	"UPDATE vigil.certifications c SET status = 'EXPIRED', updated_at = now()\n"
	"WHERE c.id = ANY($1::uuid[]) AND c.status IN ('PASS', 'INCOMPLETE')\n"
	"  AND c.expiration_date >= $2::timestamptz AND c.expiration_date <= $3::timestamptz";

/* One call to vigil.ledger_append (migration 0010) numbers and chains the
 * whole batch set-based under the ledger's lock, instead of the per-row
 * trigger: about a third of a batch's time. The array keeps the claim order. */
static const char ledger_sql[] =
	"SELECT vigil.ledger_append(array_agg(ROW('certification.expired', 'certification', r.id, NULL, $5, $6::bigint,\n"
	"         jsonb_build_object('old_status', r.old_status, 'expiration_date', r.expiration_date,\n"
	"                            'employee_id', r.employee_id))::vigil.ledger_entry ORDER BY r.ord))\n"
	"FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])\n"
	"     WITH ORDINALITY AS r(id, employee_id, old_status, expiration_date, ord)";

static int
expire_batch(vigil_pool *pool, PGconn *conn, void *arg, bool *more, vigil_error *err)
{
	expire_ctx *ctx = arg;
	vigil_run *run = vigil_pool_run(pool);
	PGresult *claimed = NULL, *res = NULL;
	vigil_buf ids = {0}, emps = {0}, statuses = {0}, dates = {0};
	int rc, nclaimed;

	*more = false;
	rc = vigil_db_begin(conn, err);
	if (rc)
		return rc;
	/* the claim, the update and the ledger trigger on their indexes */
	rc = vigil_ledger_plan_guard(conn, err);
	if (rc)
		goto done;

	vigil_pool_lock(pool);
	{
		const char *params[] = {run->as_of, ctx->cursor_date, ctx->cursor_id, ctx->limit};
		claimed = vigil_db_query(conn, "claim due certifications", claim_sql, 4, params,
								 PGRES_TUPLES_OK, err);
	}
	if (claimed && PQntuples(claimed) > 0) {
		int last = PQntuples(claimed) - 1;
		snprintf(ctx->cursor_date, sizeof(ctx->cursor_date), "%s", PQgetvalue(claimed, last, 3));
		snprintf(ctx->cursor_id, sizeof(ctx->cursor_id), "%s", PQgetvalue(claimed, last, 0));
	}
	vigil_pool_unlock(pool);
	if (claimed == NULL) {
		rc = err->code;
		goto done;
	}
	nclaimed = PQntuples(claimed);
	if (nclaimed == 0)
		goto done;

	vigil_array_from_column(&ids, claimed, 0);
	vigil_array_from_column(&emps, claimed, 1);
	vigil_array_from_column(&statuses, claimed, 2);
	vigil_array_from_column(&dates, claimed, 3);

	{
		const char *params[] = {emps.data};
		rc = vigil_db_exec(conn, "queue employees for enforcement", queue_sql, 1, params, err);
		if (rc)
			goto done;
	}
	{
		const char *params[] = {ids.data};
		rc = vigil_db_exec(conn, "block expired certifications", block_sql, 1, params, err);
		if (rc)
			goto done;
	}
	{
		const char *params[] = {ids.data, PQgetvalue(claimed, 0, 3), PQgetvalue(claimed, nclaimed - 1, 3)};
		res = vigil_db_query(conn, "expire certifications", expire_sql, 3, params, PGRES_COMMAND_OK, err);
		if (res == NULL) {
			rc = err->code;
			goto done;
		}
		if (atoi(PQcmdTuples(res)) != nclaimed) {
			/* the rows are locked by this transaction: another count is a bug */
			rc = vigil_error_set(err, VIGIL_EXIT_SOFTWARE,
								 "cannot expire certifications: claimed %d rows but updated %s",
								 nclaimed, PQcmdTuples(res));
			goto done;
		}
	}
	{
		const char *params[] = {ids.data, emps.data, statuses.data, dates.data, run->prog,
								ctx->run_id[0] ? ctx->run_id : NULL};
		char appended[32];

		rc = vigil_db_value(conn, "append certification.expired ledger entries", ledger_sql, 6, params,
							appended, sizeof(appended), NULL, err);
		if (rc)
			goto done;
		if (atoi(appended) != nclaimed) {
			rc = vigil_error_set(err, VIGIL_EXIT_SOFTWARE,
								 "cannot append ledger entries: expired %d certifications but appended %s entries",
								 nclaimed, appended);
			goto done;
		}
	}
	if (run->dry_run)
		vigil_db_rollback(conn);
	else {
		rc = vigil_db_commit(conn, err);
		if (rc)
			goto done;
	}
	vigil_pool_count(pool, "expired", nclaimed);
	vigil_pool_count(pool, "batches", 1);
	vigil_log(VIGIL_LOG_DEBUG, "expired %d certifications due up to %s", nclaimed,
			  PQgetvalue(claimed, nclaimed - 1, 3));
	/* a short batch reached the end of the due range */
	*more = nclaimed == atoi(ctx->limit);

done:
	if (PQtransactionStatus(conn) != PQTRANS_IDLE)
		vigil_db_rollback(conn);
	PQclear(claimed);
	PQclear(res);
	vigil_buf_free(&ids);
	vigil_buf_free(&emps);
	vigil_buf_free(&statuses);
	vigil_buf_free(&dates);
	return rc;
}

/* PASS/INCOMPLETE rows without a date that are not non-expiring can never be
 * judged: counted and reported once per run, never changed. */
static int
count_null_expiration(vigil_run *run, vigil_error *err)
{
	char value[32];
	int rc = vigil_db_value(run->conn, "count certifications without an expiration date",
							"SELECT count(*) FROM vigil.certifications c\n"
							"WHERE c.status IN ('PASS', 'INCOMPLETE') AND c.expiration_date IS NULL\n"
							"  AND NOT c.is_non_expiring",
							0, NULL, value, sizeof(value), NULL, err);

	if (rc)
		return rc;
	vigil_run_count(run, "null_expiration", strtoll(value, NULL, 10));
	if (strcmp(value, "0") != 0)
		vigil_log(VIGIL_LOG_WARNING,
				  "%s PASS or INCOMPLETE certifications have no expiration_date and are not non-expiring; "
				  "left unchanged (fix the data: set expiration_date or is_non_expiring)", value);
	return 0;
}

/* One row per (certification, horizon) for the certifications expiring in
 * (as_of, as_of + longest horizon], keyset batches like the sweep. */
static const char notice_sql[] =
	"WITH cand AS (\n"
	"  SELECT c.id, c.employee_id, c.cert_type, c.expiration_date\n"
	"  FROM vigil.certifications c\n"
	"  WHERE c.status IN ('PASS', 'INCOMPLETE')\n"
	"    AND c.expiration_date > $1::timestamptz\n"
	"    AND c.expiration_date <= $1::timestamptz + make_interval(days => $2::int)\n"
	"    AND c.expiration_date >= $3::timestamptz\n"
	"    AND (c.expiration_date, c.id) > ($3::timestamptz, $4::uuid)\n"
	"    AND NOT c.is_non_expiring\n"
	"  ORDER BY c.expiration_date, c.id\n"
	"  LIMIT $5::int\n"
	"), ins AS (\n"
	"  INSERT INTO vigil.notification_outbox (kind, organization_id, recipient_role, payload, dedupe_key)\n"
	"  SELECT 'certification.expiring', e.organization_id, 'employee',\n"
	"         jsonb_build_object('certification_id', c.id, 'employee_id', c.employee_id,\n"
	"                            'employee_name', e.full_name, 'email', e.email,\n"
	"                            'cert_type', c.cert_type,\n"
	"                            'expiration_date', " ISO_UTC("c.expiration_date") ",\n"
	"                            'days', h.days),\n"
	"         'cert-expiring:' || c.id || ':' || h.days\n"
	"  FROM cand c\n"
	"  JOIN vigil.employees e ON e.id = c.employee_id\n"
	"  CROSS JOIN unnest($6::int[]) AS h(days)\n"
	"  WHERE c.expiration_date <= $1::timestamptz + make_interval(days => h.days)\n"
	"  ORDER BY c.expiration_date, c.id, h.days\n"
	"  ON CONFLICT (dedupe_key) DO NOTHING\n"
	"  RETURNING 1\n"
	"), last AS (\n"
	"  SELECT " ISO_UTC("expiration_date") " AS d, id::text AS id FROM cand\n"
	"  ORDER BY expiration_date DESC, id DESC LIMIT 1\n"
	")\n"
	"SELECT (SELECT count(*) FROM cand), (SELECT count(*) FROM ins),\n"
	"       (SELECT d FROM last), (SELECT id FROM last)";

static int
queue_notices(vigil_run *run, const expire_ctx *ectx, vigil_error *err)
{
	const vigil_config *cfg = run->cfg;
	char longest[16], cursor_date[40] = "-infinity", cursor_id[40] = "00000000-0000-0000-0000-000000000000";
	vigil_buf horizons = {0};
	int rc = 0, max_days = 0;

	if (cfg->expire.n_warn_days == 0)
		return 0;
	vigil_buf_puts(&horizons, "{");
	for (int idx = 0; idx < cfg->expire.n_warn_days; idx++) {
		vigil_buf_printf(&horizons, "%s%d", idx ? "," : "", cfg->expire.warn_days[idx]);
		if (cfg->expire.warn_days[idx] > max_days)
			max_days = cfg->expire.warn_days[idx];
	}
	vigil_buf_puts(&horizons, "}");
	snprintf(longest, sizeof(longest), "%d", max_days);

	for (;;) {
		const char *params[] = {run->as_of, longest, cursor_date, cursor_id, ectx->limit, horizons.data};
		PGresult *res;
		long ncand;

		if (vigil_run_interrupted()) {
			rc = vigil_error_set(err, VIGIL_EXIT_TEMPFAIL,
								 "%s interrupted by a signal between batches; the batches done are committed",
								 run->prog);
			vigil_error_hint(err, "run it again: it continues where this run stopped");
			break;
		}
		if (run->dry_run && (rc = vigil_db_begin(run->conn, err)) != 0)
			break;
		res = vigil_db_query(run->conn, "queue expiry warnings", notice_sql, 6, params, PGRES_TUPLES_OK, err);
		if (run->dry_run)
			vigil_db_rollback(run->conn);
		if (res == NULL) {
			rc = err->code;
			break;
		}
		ncand = strtol(PQgetvalue(res, 0, 0), NULL, 10);
		if (ncand > 0) {
			vigil_run_count(run, "notices", strtoll(PQgetvalue(res, 0, 1), NULL, 10));
			vigil_run_count(run, "batches", 1);
			snprintf(cursor_date, sizeof(cursor_date), "%s", PQgetvalue(res, 0, 2));
			snprintf(cursor_id, sizeof(cursor_id), "%s", PQgetvalue(res, 0, 3));
		}
		PQclear(res);
		if (ncand < atol(ectx->limit))
			break;
	}
	vigil_buf_free(&horizons);
	return rc;
}

static int
expire_run(vigil_run *run, vigil_error *err)
{
	expire_ctx ctx;
	int rc;

	memset(&ctx, 0, sizeof(ctx));
	snprintf(ctx.limit, sizeof(ctx.limit), "%d", run->cfg->jobs.batch_size);
	if (run->id > 0)
		snprintf(ctx.run_id, sizeof(ctx.run_id), "%lld", (long long) run->id);
	snprintf(ctx.cursor_date, sizeof(ctx.cursor_date), "-infinity");
	snprintf(ctx.cursor_id, sizeof(ctx.cursor_id), "00000000-0000-0000-0000-000000000000");

	vigil_run_count(run, "expired", 0);
	vigil_run_count(run, "notices", 0);
	vigil_run_count(run, "null_expiration", 0);
	vigil_run_count(run, "batches", 0);

	rc = vigil_db_exec(run->conn, "plan on the indexes", "SELECT pg_catalog.set_config('enable_seqscan', 'off', false)",
					   0, NULL, err);
	if (rc)
		return rc;
	rc = count_null_expiration(run, err);
	if (rc)
		return rc;
	rc = vigil_workers_run(run, run->cfg->jobs.workers, expire_batch, &ctx, err);
	if (rc)
		return rc;
	return queue_notices(run, &ctx, err);
}

int
main(int argc, char **argv)
{
	vigil_opts opts;
	vigil_config cfg;
	vigil_run run;
	vigil_error err = {0};
	char *params = NULL;
	vigil_buf b = {0};
	int rc;

	rc = vigil_cli_parse(&program, argc, argv, &opts);
	if (rc >= 0)
		return rc;
	opts.workers = myopts.workers;
	rc = vigil_cli_setup(&program, &opts, &cfg);
	if (rc >= 0) {
		vigil_config_free(&cfg);
		return rc;
	}

	vigil_buf_printf(&b, "{\"batch_size\": %d, \"workers\": %d, \"dry_run\": %s, \"warn_days\": [",
					 cfg.jobs.batch_size, cfg.jobs.workers, opts.dry_run ? "true" : "false");
	for (int idx = 0; idx < cfg.expire.n_warn_days; idx++)
		vigil_buf_printf(&b, "%s%d", idx ? ", " : "", cfg.expire.warn_days[idx]);
	vigil_buf_puts(&b, "]}");
	params = b.data;

	rc = vigil_run_begin(&run, program.name, &cfg, &opts, params, &err);
	if (rc == 0)
		rc = expire_run(&run, &err);
	rc = vigil_run_finish(&run, rc, &err);
	vigil_buf_free(&b);
	vigil_config_free(&cfg);
	return rc;
}
