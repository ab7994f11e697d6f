/*
 * vigil-enforce — enforcement re-evaluation (DESIGN §4).
 *
 * An active employee is blocked when some cert_type required for their
 * (organization_id, job_role) has no certification that is PASS and either
 * non-expiring or expiring after as-of. Employees come from enforcement_queue
 * (default), from every employee (--full) or from --employee; they are
 * processed in batches by employee id and each batch is evaluated by one
 * set-based statement, never a query per employee.
 *
 * Only a change writes: employee_enforcement, one enforcement_actions row
 * (BLOCK with the missing types, UNBLOCK) and its ledger entry. A blocked
 * employee assigned to a scheduled work window that ends after as-of gets one
 * WORK_WINDOW_CONFLICT action per (window, employee) and block — a block
 * starts with the first BLOCK after the employee's last UNBLOCK, and a new
 * missing set does not start a new one — plus an outbox row for the
 * organization's project managers. Processed queue rows are deleted in the
 * batch's transaction; inactive employees leave the queue unevaluated.
 *
 * Statement order inside a batch: claim, lock the queue rows, evaluate and
 * write, raise conflicts, and append the ledger entries last, so the ledger's
 * append lock (7447, 0) is never held by a transaction that waits for another
 * lock (see vigil-expire.c: expire queues employees while holding its rows).
 */
#include <ctype.h>
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
	OPT_FULL,
	OPT_EMPLOYEE,
};

#define MAX_EMPLOYEE_ARGS 10000

typedef struct enforce_opts {
	int workers;               /* 0 = jobs.workers */
	bool full;
	const char **employees;    /* --employee values (point into argv) */
	int nemployees;
} enforce_opts;

static const vigil_option options[] = {
	{"full", no_argument, OPT_FULL, NULL, "evaluate every active employee, not only the queued ones"},
	{"employee", required_argument, OPT_EMPLOYEE, "UUID", "evaluate this employee (repeatable)"},
	{"workers", required_argument, OPT_WORKERS, "N",
	 "sessions claiming batches in parallel (default jobs.workers, 1)"},
	{NULL, 0, 0, NULL, NULL},
};

static bool
is_uuid(const char *s)
{
	static const char shape[] = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";

	if (strlen(s) != sizeof(shape) - 1)
		return false;
	for (size_t idx = 0; shape[idx]; idx++)
		if (shape[idx] == '-' ? s[idx] != '-' : !isxdigit((unsigned char) s[idx]))
			return false;
	return true;
}

static int
handle(int val, const char *arg, void *ctx, vigil_error *err)
{
	enforce_opts *opts = ctx;

	switch (val) {
	case OPT_WORKERS:
		return vigil_workers_parse(arg, &opts->workers, err);
	case OPT_FULL:
		opts->full = true;
		return 0;
	case OPT_EMPLOYEE:
		if (!is_uuid(arg))
			return vigil_error_set(err, VIGIL_EXIT_USAGE,
								   "invalid --employee \"%s\": expected a UUID such as "
								   "20000000-0000-4000-8000-000000000001", arg);
		if (opts->nemployees == MAX_EMPLOYEE_ARGS)
			return vigil_error_set(err, VIGIL_EXIT_USAGE, "too many --employee options: at most %d",
								   MAX_EMPLOYEE_ARGS);
		if (opts->employees == NULL)
			opts->employees = vigil_malloc(sizeof(*opts->employees) * MAX_EMPLOYEE_ARGS);
		opts->employees[opts->nemployees++] = arg;
		return 0;
	}
	return vigil_error_set(err, VIGIL_EXIT_USAGE, "unhandled option");
}

static enforce_opts myopts;

static vigil_program program = {
	.name = "vigil-enforce",
	.synopsis = "[OPTION]... [--full | --employee UUID...]",
	.summary = "Re-evaluate enforcement as of --as-of for the employees in enforcement_queue\n"
			   "(default), every active employee (--full) or the ones named: block those who\n"
			   "lack a valid required certification, unblock those who no longer do, record\n"
			   "each change as an enforcement action with its ledger entry, and flag blocked\n"
			   "employees assigned to upcoming work windows.",
	.example = "  # after vigil-expire: the queued employees\n"
			   "  vigil-enforce\n"
			   "  # the weekly full pass, two sessions\n"
			   "  vigil-enforce --full --workers 2\n"
			   "  # one employee, without changing anything\n"
			   "  vigil-enforce --employee 20000000-0000-4000-8000-000000000001 --dry-run\n",
	.options = options,
	.handle = handle,
	.ctx = &myopts,
	.min_args = 0,
	.max_args = 0,
};

typedef struct enforce_ctx {
	bool from_queue;           /* claim queue rows; else employees (all, or `listed`) */
	PGresult *listed;          /* --employee ids, distinct and sorted; NULL = all */
	int next;                  /* the first row of `listed` not yet claimed */
	char limit[16];
	char run_id[24];           /* "" in a dry run */
	char cursor[40];           /* keyset: the last claimed employee id */
} enforce_ctx;

static const char claim_queue_sql[] =
	"SELECT q.employee_id FROM vigil.enforcement_queue q\n"
	"WHERE q.employee_id > $1::uuid\n"
	"ORDER BY q.employee_id\n"
	"LIMIT $2::int\n"
	"FOR UPDATE SKIP LOCKED";

/* Inactive employees are claimed too: their queue rows are removed. */
static const char claim_employees_sql[] =
	"SELECT e.id FROM vigil.employees e\n"
	"WHERE e.id > $1::uuid\n"
	"ORDER BY e.id\n"
	"LIMIT $2::int";


/* Outside queue mode the batch's queue rows are locked before the evaluation
 * takes its snapshot: a vigil-expire that re-queues one of them waits for
 * this batch and queues the employee again after it, never in between. */
static const char lock_queue_sql[] =
	"SELECT q.employee_id FROM vigil.enforcement_queue q\n"
	"WHERE q.employee_id = ANY($1::uuid[])\n"
	"ORDER BY q.employee_id\n"
	"FOR UPDATE";

/*
 * The evaluation of a batch. Each employee's certifications are read once
 * through idx_cert_employee_status (the OFFSET 0 keeps the lateral subquery a
 * per-employee index lookup instead of a join the planner could turn into a
 * scan of the whole table) and serve both the missing set and the
 * certification_enforcement rows. Missing sets are sorted and compared as
 * sets with the stored one.
 *
 * The stored employee_enforcement and certification_enforcement rows are read
 * only for the keys of the batch (= ANY of the batch's ids: a bitmap scan of
 * the primary key, or one sequential scan while the table is not much larger
 * than a batch). As plain joins the planner hashed the whole table
 * instead, and a --full first pass fills that table as it goes: each batch
 * scanned everything the batches before it wrote (auto_explain at 2M
 * certifications: a sequential scan of certification_enforcement in all 40
 * batches, estimated at up to 1.67M rows), and a steady-state pass scanned
 * the whole table once per batch. Not a per-row lateral lookup: planned
 * while the table is still nearly empty, that became a sequential scan per
 * row of a table other workers were filling (--workers 4 took 499 s instead
 * of 29 s at 2M certifications).
 */
static const char evaluate_sql[] =
	"WITH emp AS (\n"
	"  SELECT e.id, e.organization_id, e.job_role FROM vigil.employees e\n"
	"  WHERE e.id = ANY($1::uuid[]) AND e.status = 'active'\n"
	"), cert AS (\n"
	"  SELECT emp.id AS employee_id, c.id, c.cert_type,\n"
	"         coalesce(c.status = 'PASS' AND (c.is_non_expiring OR c.expiration_date > $2::timestamptz), false) AS valid,\n"
	"         CASE\n"
	"           WHEN c.status = 'PASS' AND (c.is_non_expiring OR c.expiration_date > $2::timestamptz) THEN NULL\n"
	"           WHEN c.status = 'EXPIRED' OR (c.status IN ('PASS', 'INCOMPLETE') AND NOT c.is_non_expiring\n"
	"                AND c.expiration_date <= $2::timestamptz) THEN 'expired'\n"
	"           WHEN c.status = 'PASS' THEN 'no expiration date'\n"
	"           ELSE lower(c.status::text)\n"
	"         END AS reason\n"
	"  FROM emp CROSS JOIN LATERAL (\n"
	"    SELECT c.id, c.cert_type, c.status, c.is_non_expiring, c.expiration_date\n"
	"    FROM vigil.certifications c WHERE c.employee_id = emp.id OFFSET 0) c\n"
	"), miss AS (\n"
	"  SELECT emp.id AS employee_id, array_agg(rr.cert_type ORDER BY rr.cert_type) AS missing\n"
	"  FROM emp\n"
	"  JOIN vigil.role_requirements rr ON rr.organization_id = emp.organization_id AND rr.job_role = emp.job_role\n"
	"  WHERE NOT EXISTS (SELECT 1 FROM cert WHERE cert.employee_id = emp.id AND cert.cert_type = rr.cert_type\n"
	"                    AND cert.valid)\n"
	"  GROUP BY emp.id\n"
	"), state AS (\n"
	"  SELECT emp.id AS employee_id, coalesce(m.missing, '{}') AS missing, m.missing IS NOT NULL AS blocked,\n"
	"         ee.employee_id IS NOT NULL AS known, ee.is_blocked AS was_blocked,\n"
	"         ee.missing_cert_types AS was_missing\n"
	"  FROM emp\n"
	"  LEFT JOIN miss m ON m.employee_id = emp.id\n"
	"  LEFT JOIN (\n"
	"    SELECT x.employee_id, x.is_blocked, x.missing_cert_types FROM vigil.employee_enforcement x\n"
	"    WHERE x.employee_id = ANY($1::uuid[])) ee ON ee.employee_id = emp.id\n"
	"), change AS (\n"
	"  SELECT s.employee_id, s.missing, s.blocked,\n"
	"         CASE WHEN s.blocked THEN 'BLOCK' WHEN s.known AND s.was_blocked THEN 'UNBLOCK' END AS action\n"
	"  FROM state s\n"
	"  WHERE NOT s.known OR s.blocked <> s.was_blocked\n"
	"     OR NOT (s.was_missing @> s.missing AND s.was_missing <@ s.missing)\n"
	"), ee AS (\n"
	"  INSERT INTO vigil.employee_enforcement (employee_id, is_blocked, missing_cert_types, evaluated_at, changed_at)\n"
	"  SELECT employee_id, blocked, missing, now(), now() FROM change ORDER BY employee_id\n"
	"  ON CONFLICT (employee_id) DO UPDATE\n"
	"    SET is_blocked = excluded.is_blocked, missing_cert_types = excluded.missing_cert_types,\n"
	"        evaluated_at = excluded.evaluated_at, changed_at = excluded.changed_at\n"
	"  RETURNING 1\n"
	"), act AS (\n"
	"  INSERT INTO vigil.enforcement_actions (action_type, target_type, target_id, reason, details, run_id)\n"
	"  SELECT action::vigil.enforcement_type, 'employee', employee_id::text,\n"
	"         CASE action WHEN 'BLOCK' THEN 'missing required certification' ELSE 'requirements met' END,\n"
	"         jsonb_build_object('missing_cert_types', to_jsonb(missing), 'as_of', $3::text),\n"
	"         $4::bigint\n"
	"  FROM change WHERE action IS NOT NULL ORDER BY employee_id\n"
	"  RETURNING id, action_type\n"
	"), ce AS (\n"
	"  INSERT INTO vigil.certification_enforcement (certification_id, is_blocked, reason, evaluated_at)\n"
	"  SELECT cert.id, NOT cert.valid, cert.reason, now()\n"
	"  FROM cert LEFT JOIN (\n"
	"    SELECT x.certification_id, x.is_blocked, x.reason FROM vigil.certification_enforcement x\n"
	"    WHERE x.certification_id = ANY(ARRAY(SELECT cert.id FROM cert))) old\n"
	"    ON old.certification_id = cert.id\n"
	"  WHERE old.certification_id IS NULL OR old.is_blocked <> NOT cert.valid\n"
	"     OR old.reason IS DISTINCT FROM cert.reason\n"
	"  ORDER BY cert.id\n"
	"  ON CONFLICT (certification_id) DO UPDATE\n"
	"    SET is_blocked = excluded.is_blocked, reason = excluded.reason, evaluated_at = excluded.evaluated_at\n"
	"  RETURNING 1\n"
	"), dq AS (\n"
	"  DELETE FROM vigil.enforcement_queue q WHERE q.employee_id = ANY($1::uuid[]) RETURNING 1\n"
	")\n"
	"SELECT (SELECT count(*) FROM emp),\n"
	"       (SELECT count(*) FROM act WHERE action_type = 'BLOCK'),\n"
	"       (SELECT count(*) FROM act WHERE action_type = 'UNBLOCK'),\n"
	"       (SELECT count(*) FROM ce),\n"
	"       (SELECT count(*) FROM dq),\n"
	"       (SELECT coalesce(array_agg(id ORDER BY id), '{}') FROM act)::text";

/*
 * Work window conflicts of the batch's blocked active employees. The block an
 * employee is in is identified by its first BLOCK action after their last
 * UNBLOCK (0 if the state was written without any action); an existing
 * WORK_WINDOW_CONFLICT action for the same window and block means it was
 * raised already.
 */
static const char conflict_sql[] =
	"WITH blocked AS (\n"
	"  SELECT ee.employee_id, ee.missing_cert_types, e.full_name, e.organization_id AS employee_org,\n"
	"         coalesce((SELECT min(b.id) FROM vigil.enforcement_actions b\n"
	"                   WHERE b.target_type = 'employee' AND b.target_id = ee.employee_id::text\n"
	"                     AND b.action_type = 'BLOCK'\n"
	"                     AND b.id > coalesce((SELECT max(u.id) FROM vigil.enforcement_actions u\n"
	"                                          WHERE u.target_type = 'employee'\n"
	"                                            AND u.target_id = ee.employee_id::text\n"
	"                                            AND u.action_type = 'UNBLOCK'), 0)), 0) AS block_id\n"
	"  FROM vigil.employee_enforcement ee\n"
	"  JOIN vigil.employees e ON e.id = ee.employee_id AND e.status = 'active'\n"
	"  WHERE ee.employee_id = ANY($1::uuid[]) AND ee.is_blocked\n"
	"), cand AS (\n"
	"  SELECT b.*, w.id AS window_id, w.organization_id, w.name, w.start_time, w.end_time\n"
	"  FROM blocked b\n"
	"  JOIN vigil.work_window_assignments wa ON wa.employee_id = b.employee_id\n"
	"  JOIN vigil.work_windows w ON w.id = wa.work_window_id\n"
	"  WHERE w.status = 'scheduled' AND w.end_time > $2::timestamptz\n"
	"    AND NOT EXISTS (SELECT 1 FROM vigil.enforcement_actions a\n"
	"                    WHERE a.target_type = 'employee' AND a.target_id = b.employee_id::text\n"
	"                      AND a.action_type = 'WORK_WINDOW_CONFLICT'\n"
	"                      AND a.details->>'work_window_id' = w.id::text\n"
	"                      AND a.details->>'block_action_id' = b.block_id::text)\n"
	"), act AS (\n"
	"  INSERT INTO vigil.enforcement_actions (action_type, target_type, target_id, reason, details, run_id)\n"
	"  SELECT 'WORK_WINDOW_CONFLICT', 'employee', c.employee_id::text,\n"
	"         'blocked employee assigned to a scheduled work window',\n"
	"         jsonb_build_object('work_window_id', c.window_id, 'work_window_name', c.name,\n"
	"           'start_time', to_char(c.start_time AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),\n"
	"           'end_time', to_char(c.end_time AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),\n"
	"           'block_action_id', c.block_id, 'missing_cert_types', to_jsonb(c.missing_cert_types),\n"
	"           'as_of', $3::text),\n"
	"         $4::bigint\n"
	"  FROM cand c ORDER BY c.employee_id, c.window_id\n"
	"  RETURNING id, target_id, details\n"
	"), outbox AS (\n"
	"  INSERT INTO vigil.notification_outbox (kind, organization_id, recipient_role, payload, dedupe_key)\n"
	"  SELECT 'enforcement.work_window_conflict', c.organization_id, 'project_manager',\n"
	"         a.details || jsonb_build_object('employee_id', c.employee_id, 'employee_name', c.full_name,\n"
	"                                         'enforcement_action_id', a.id),\n"
	"         'ww-conflict:' || c.window_id || ':' || c.employee_id || ':' || c.block_id\n"
	"  FROM act a JOIN cand c ON c.employee_id::text = a.target_id\n"
	"                        AND c.window_id::text = a.details->>'work_window_id'\n"
	"  ORDER BY a.id\n"
	"  ON CONFLICT (dedupe_key) DO NOTHING\n"
	"  RETURNING 1\n"
	")\n"
	"SELECT (SELECT count(*) FROM act), (SELECT count(*) FROM outbox),\n"
	"       (SELECT coalesce(array_agg(id ORDER BY id), '{}') FROM act)::text";

/* The batch's entries in action order, numbered and chained in one call
 * (vigil.ledger_append, migration 0010) rather than by the per-row trigger. */
static const char ledger_sql[] =
	"SELECT vigil.ledger_append(array_agg(ROW(\n"
	"         CASE a.action_type WHEN 'BLOCK' THEN 'employee.blocked'\n"
	"                            WHEN 'UNBLOCK' THEN 'employee.unblocked'\n"
	"                            ELSE 'employee.work_window_conflict' END,\n"
	"         'employee', a.target_id, NULL, $2, $3::bigint,\n"
	"         a.details || jsonb_build_object('enforcement_action_id', a.id, 'reason', a.reason)\n"
	"       )::vigil.ledger_entry ORDER BY a.id))\n"
	"FROM vigil.enforcement_actions a\n"
	"WHERE a.id = ANY($1::bigint[])";

/* "{1,2}" + "{3}" → "{1,2,3}" */
static void
join_arrays(vigil_buf *out, const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	vigil_buf_reset(out);
	vigil_buf_append(out, a, la - 1);
	if (la > 2 && lb > 2)
		vigil_buf_puts(out, ",");
	vigil_buf_puts(out, b + 1);
}

static int
enforce_batch(vigil_pool *pool, PGconn *conn, void *arg, bool *more, vigil_error *err)
{
	enforce_ctx *ctx = arg;
	vigil_run *run = vigil_pool_run(pool);
	const char *run_id = ctx->run_id[0] ? ctx->run_id : NULL;
	PGresult *claimed = NULL, *eval = NULL, *conf = NULL;
	vigil_buf ids = {0}, actions = {0};
	int rc, nclaimed, nlisted = 0;

	*more = false;
	rc = vigil_db_begin(conn, err);
	if (rc)
		return rc;

	vigil_pool_lock(pool);
	if (ctx->listed) {
		/* named employees: the next slice of the sorted list */
		int first = ctx->next, count = PQntuples(ctx->listed) - first;

		if (count > atoi(ctx->limit))
			count = atoi(ctx->limit);
		ctx->next += count;
		vigil_buf_puts(&ids, "{");
		for (int row = first; row < first + count; row++)
			vigil_buf_printf(&ids, "%s%s", row > first ? "," : "", PQgetvalue(ctx->listed, row, 0));
		vigil_buf_puts(&ids, "}");
		nlisted = count;
	} else if (ctx->from_queue) {
		const char *params[] = {ctx->cursor, ctx->limit};
		claimed = vigil_db_query(conn, "claim queued employees", claim_queue_sql, 2, params,
								 PGRES_TUPLES_OK, err);
	} else {
		const char *params[] = {ctx->cursor, ctx->limit};
		claimed = vigil_db_query(conn, "claim employees", claim_employees_sql, 2, params,
								 PGRES_TUPLES_OK, err);
	}
	if (claimed && PQntuples(claimed) > 0)
		snprintf(ctx->cursor, sizeof(ctx->cursor), "%s", PQgetvalue(claimed, PQntuples(claimed) - 1, 0));
	vigil_pool_unlock(pool);
	if (ctx->listed)
		nclaimed = nlisted;
	else if (claimed == NULL) {
		rc = err->code;
		goto done;
	} else {
		nclaimed = PQntuples(claimed);
		vigil_array_from_column(&ids, claimed, 0);
	}
	if (nclaimed == 0)
		goto done;

	if (!ctx->from_queue) {
		const char *params[] = {ids.data};
		rc = vigil_db_exec(conn, "lock the queue rows of the batch", lock_queue_sql, 1, params, err);
		if (rc)
			goto done;
	}
	{
		const char *params[] = {ids.data, run->as_of, run->as_of, run_id};
		eval = vigil_db_query(conn, "evaluate enforcement", evaluate_sql, 4, params, PGRES_TUPLES_OK, err);
		if (eval == NULL) {
			rc = err->code;
			goto done;
		}
	}
	{
		const char *params[] = {ids.data, run->as_of, run->as_of, run_id};
		conf = vigil_db_query(conn, "raise work window conflicts", conflict_sql, 4, params,
							  PGRES_TUPLES_OK, err);
		if (conf == NULL) {
			rc = err->code;
			goto done;
		}
	}
	join_arrays(&actions, PQgetvalue(eval, 0, 5), PQgetvalue(conf, 0, 2));
	if (strcmp(actions.data, "{}") != 0) {
		const char *params[] = {actions.data, run->prog, run_id};

		rc = vigil_ledger_plan_guard(conn, err);
		if (rc)
			goto done;
		rc = vigil_db_exec(conn, "append enforcement ledger entries", ledger_sql, 3, params, err);
		if (rc)
			goto done;
	}
	if (run->dry_run)
		vigil_db_rollback(conn);
	else {
		rc = vigil_db_commit(conn, err);
		if (rc)
			goto done;
	}

	vigil_pool_lock(pool);
	vigil_run_count(run, "evaluated", atoll(PQgetvalue(eval, 0, 0)));
	vigil_run_count(run, "inactive", nclaimed - atoll(PQgetvalue(eval, 0, 0)));
	vigil_run_count(run, "blocked", atoll(PQgetvalue(eval, 0, 1)));
	vigil_run_count(run, "unblocked", atoll(PQgetvalue(eval, 0, 2)));
	vigil_run_count(run, "conflicts", atoll(PQgetvalue(conf, 0, 0)));
	vigil_run_count(run, "certifications", atoll(PQgetvalue(eval, 0, 3)));
	vigil_run_count(run, "dequeued", atoll(PQgetvalue(eval, 0, 4)));
	vigil_run_count(run, "batches", 1);
	vigil_pool_unlock(pool);
	*more = nclaimed == atoi(ctx->limit);

done:
	if (PQtransactionStatus(conn) != PQTRANS_IDLE)
		vigil_db_rollback(conn);
	PQclear(claimed);
	PQclear(eval);
	PQclear(conf);
	vigil_buf_free(&ids);
	vigil_buf_free(&actions);
	return rc;
}

/* The --employee ids, distinct and in id order, into *out (the caller
 * PQclears it). They must name employees: a typo is bad input, not "nothing
 * to do". */
static int
resolve_employees(vigil_run *run, const char *list, PGresult **out, vigil_error *err)
{
	const char *params[] = {list};
	PGresult *res = vigil_db_query(run->conn, "look up the employees named",
								   "SELECT x.id::text, e.id IS NOT NULL\n"
								   "FROM (SELECT DISTINCT id FROM unnest($1::uuid[]) AS u(id)) x\n"
								   "LEFT JOIN vigil.employees e ON e.id = x.id\n"
								   "ORDER BY x.id",
								   1, params, PGRES_TUPLES_OK, err);

	if (res == NULL)
		return err->code;
	for (int row = 0; row < PQntuples(res); row++) {
		if (strcmp(PQgetvalue(res, row, 1), "t") != 0) {
			vigil_error_set(err, VIGIL_EXIT_DATAERR, "no employee %s", PQgetvalue(res, row, 0));
			vigil_error_hint(err, "check the --employee ids against vigil.employees");
			PQclear(res);
			return VIGIL_EXIT_DATAERR;
		}
	}
	*out = res;
	return 0;
}

static int
enforce_run(vigil_run *run, const enforce_opts *opts, const char *list, vigil_error *err)
{
	enforce_ctx ctx;
	int rc;

	memset(&ctx, 0, sizeof(ctx));
	ctx.from_queue = !opts->full && opts->nemployees == 0;
	snprintf(ctx.limit, sizeof(ctx.limit), "%d", run->cfg->jobs.batch_size);
	if (run->id > 0)
		snprintf(ctx.run_id, sizeof(ctx.run_id), "%lld", (long long) run->id);
	snprintf(ctx.cursor, sizeof(ctx.cursor), "00000000-0000-0000-0000-000000000000");

	vigil_run_count(run, "evaluated", 0);
	vigil_run_count(run, "blocked", 0);
	vigil_run_count(run, "unblocked", 0);
	vigil_run_count(run, "conflicts", 0);
	vigil_run_count(run, "certifications", 0);
	vigil_run_count(run, "dequeued", 0);
	vigil_run_count(run, "inactive", 0);
	vigil_run_count(run, "batches", 0);

	if (opts->nemployees) {
		rc = resolve_employees(run, list, &ctx.listed, err);
		if (rc)
			return rc;
	}
	rc = vigil_workers_run(run, run->cfg->jobs.workers, enforce_batch, &ctx, err);
	PQclear(ctx.listed);
	return rc;
}

int
main(int argc, char **argv)
{
	vigil_opts opts;
	vigil_config cfg;
	vigil_run run;
	vigil_error err = {0};
	vigil_buf list = {0}, params = {0};
	int rc;

	rc = vigil_cli_parse(&program, argc, argv, &opts);
	if (rc >= 0)
		goto out;
	if (myopts.full && myopts.nemployees) {
		rc = vigil_cli_usage_error(&program, "--full and --employee cannot be used together");
		goto out;
	}
	opts.workers = myopts.workers;
	rc = vigil_cli_setup(&program, &opts, &cfg);
	if (rc >= 0) {
		vigil_config_free(&cfg);
		goto out;
	}

	vigil_buf_puts(&list, "{");
	for (int idx = 0; idx < myopts.nemployees; idx++)
		vigil_buf_printf(&list, "%s%s", idx ? "," : "", myopts.employees[idx]);
	vigil_buf_puts(&list, "}");
	vigil_buf_printf(&params, "{\"mode\": \"%s\", \"batch_size\": %d, \"workers\": %d, \"dry_run\": %s",
					 myopts.full ? "full" : myopts.nemployees ? "employees" : "queue",
					 cfg.jobs.batch_size, cfg.jobs.workers, opts.dry_run ? "true" : "false");
	if (myopts.nemployees) {
		vigil_buf_puts(&params, ", \"employees\": [");
		for (int idx = 0; idx < myopts.nemployees; idx++) {
			vigil_buf_puts(&params, idx ? ", " : "");
			vigil_buf_json_string(&params, myopts.employees[idx]);
		}
		vigil_buf_puts(&params, "]");
	}
	vigil_buf_puts(&params, "}");

	rc = vigil_run_begin(&run, program.name, &cfg, &opts, params.data, &err);
	if (rc == 0)
		rc = enforce_run(&run, &myopts, list.data, &err);
	rc = vigil_run_finish(&run, rc, &err);
	vigil_config_free(&cfg);
out:
	vigil_buf_free(&list);
	vigil_buf_free(&params);
	free(myopts.employees);
	return rc;
}
