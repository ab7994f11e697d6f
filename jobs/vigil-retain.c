/*
 * vigil-retain — retention cleanup (DESIGN §4).
 *
 * For each enabled row of vigil.retention_policies (or the ones named with
 * --policy), deletes the rows whose time column is older than
 * `as_of - keep_interval`, skipping rows a keep rule protects, and appends
 * one `retention.purged` ledger entry per policy that deleted something.
 *
 * Decisions a reader must know:
 *  - Table and column names come from the policy table, so every policy is
 *    checked against pg_catalog before anything runs (an ordinary or
 *    partitioned table in schema vigil, not an evidence table, a primary key
 *    `id`, a timestamptz/timestamp/date column, DELETE privilege) and quoted
 *    with PQescapeIdentifier. One refused policy refuses the run: nothing is
 *    deleted (65, or 77 for a missing privilege).
 *  - Keep rules (legal holds, scanned tokens) live here in code, per table,
 *    never in configuration: whoever can change the configuration must not
 *    be able to turn a hold off.
 *  - Each batch is its own transaction with SET LOCAL lock_timeout
 *    (jobs.retain.lock_timeout_ms) and deletes by primary key from a
 *    `LIMIT n FOR UPDATE SKIP LOCKED` subquery, oldest first; the next batch
 *    starts at the newest time the previous one deleted, so rows kept under
 *    a hold are not rescanned by every batch. A batch that hits the lock
 *    timeout is rolled back and retried with half the batch size.
 *  - The policy's ledger entry is written in the transaction of its last
 *    batch (or, when the run is interrupted or fails, in a transaction of its
 *    own), so a policy that deleted nothing writes nothing and a rerun with
 *    the same --as-of changes nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "cli.h"
#include "config.h"
#include "db.h"
#include "ledger.h"
#include "log.h"
#include "run.h"
#include "util.h"
#include "vigil.h"

#define MAX_POLICY_ARGS 32
#define OPT_POLICY 'p'

/* Evidence tables (DESIGN §3): never purged, whatever the policy table says. */
static const char *const evidence_tables[] = {
	"ledger", "evidence_nodes", "media_objects", "verification_events", "enforcement_actions",
	"audit_cases", "audit_evidence_links", "audit_exports", "escalation_events",
};

/* A reason to keep an expired row: SQL true for the row aliased `s`. */
typedef struct keep_rule {
	const char *name;            /* count and payload key: kept_<name> */
	const char *sql;
} keep_rule;

typedef struct table_rules {
	const char *table;
	keep_rule keep[2];           /* unused entries have name NULL */
} table_rules;

/* Tables without an entry here have no keep rule (notification_outbox). */
static const table_rules rules_by_table[] = {
	{"audit_trails", {
		{"under_hold",
		 "EXISTS (SELECT 1 FROM vigil.legal_holds h WHERE h.released_at IS NULL"
		 " AND h.scope_type = 'project' AND h.scope_id = s.project_id)"
		 " OR EXISTS (SELECT 1 FROM vigil.projects p JOIN vigil.legal_holds h"
		 " ON h.released_at IS NULL AND h.scope_type = 'organization' AND h.scope_id = p.organization_id"
		 " WHERE p.id = s.project_id)"},
	}},
	{"verification_tokens", {
		{"under_hold",
		 "EXISTS (SELECT 1 FROM vigil.certifications c JOIN vigil.employees e ON e.id = c.employee_id"
		 " JOIN vigil.legal_holds h ON h.released_at IS NULL AND h.scope_type = 'organization'"
		 " AND h.scope_id = e.organization_id WHERE c.id = s.certification_id)"},
		/* a scanned token is referenced by its verification_events (evidence) */
		{"scanned",
		 "EXISTS (SELECT 1 FROM vigil.verification_events v WHERE v.verification_token_id = s.id)"},
	}},
};

typedef struct retain_opts {
	const char *policies[MAX_POLICY_ARGS];
	int npolicies;
} retain_opts;

typedef struct policy {
	char *table;                 /* as stored in retention_policies */
	char *column;
	char *keep_interval;         /* interval as PostgreSQL prints it */
	char cutoff[40];             /* as_of - keep_interval, ...Z */
	const table_rules *rules;    /* NULL: no keep rule */
	bool skip_locked;            /* may lock rows (FOR UPDATE needs UPDATE privilege) */
	char *delete_sql;
	char *count_sql;
	int64_t deleted;
	int64_t kept[2];
	int batches;
} policy;

static const table_rules *
rules_for(const char *table)
{
	for (size_t i = 0; i < sizeof(rules_by_table) / sizeof(rules_by_table[0]); i++)
		if (strcmp(rules_by_table[i].table, table) == 0)
			return &rules_by_table[i];
	return NULL;
}

static bool
is_evidence_table(const char *table)
{
	for (size_t i = 0; i < sizeof(evidence_tables) / sizeof(evidence_tables[0]); i++)
		if (strcmp(evidence_tables[i], table) == 0)
			return true;
	return false;
}

/* Same rule as the CHECK on retention_policies.table_name. */
static bool
is_plain_name(const char *s)
{
	if (!((*s >= 'a' && *s <= 'z') || *s == '_'))
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
			return false;
	return true;
}

static int
handle_option(int val, const char *arg, void *ctx, vigil_error *err)
{
	retain_opts *ro = ctx;

	if (val != OPT_POLICY)
		return vigil_error_set(err, VIGIL_EXIT_USAGE, "unhandled option");
	if (!is_plain_name(arg))
		return vigil_error_set(err, VIGIL_EXIT_USAGE, "invalid --policy \"%s\": expected a table name such as audit_trails",
							   arg);
	if (ro->npolicies == MAX_POLICY_ARGS)
		return vigil_error_set(err, VIGIL_EXIT_USAGE, "too many --policy options (at most %d)", MAX_POLICY_ARGS);
	ro->policies[ro->npolicies++] = arg;
	return 0;
}

static void
policy_free(policy *p)
{
	free(p->table);
	free(p->column);
	free(p->keep_interval);
	free(p->delete_sql);
	free(p->count_sql);
}

static char *
quote_ident(PGconn *conn, const char *name)
{
	char *q = PQescapeIdentifier(conn, name, strlen(name));
	char *copy = vigil_strdup(q);

	PQfreemem(q);
	return copy;
}

/* Builds the batch DELETE and the keep-count query of p from quoted names. */
static void
policy_build_sql(PGconn *conn, policy *p)
{
	char *qt = quote_ident(conn, p->table);
	char *qc = quote_ident(conn, p->column);
	vigil_buf keep = {0}, counts = {0};

	vigil_buf_puts(&keep, "");
	vigil_buf_puts(&counts, "");
	for (int k = 0; p->rules && k < 2 && p->rules->keep[k].name; k++) {
		vigil_buf_printf(&keep, " AND NOT (%s)", p->rules->keep[k].sql);
		/* a row is counted under the first rule that keeps it */
		vigil_buf_printf(&counts, ", count(*) FILTER (WHERE (%s)", p->rules->keep[k].sql);
		for (int prev = 0; prev < k; prev++)
			vigil_buf_printf(&counts, " AND NOT (%s)", p->rules->keep[prev].sql);
		vigil_buf_puts(&counts, ")");
	}
	/*
	 * $1 cutoff, $2 lower bound (the newest time the previous batch deleted),
	 * $3 batch size. The outer WHERE repeats the conditions so that a row
	 * changed by a concurrent transaction is checked again on its new version
	 * (READ COMMITTED re-evaluates the DELETE's own quals, not the subquery's).
	 * The subquery's alias s hides the outer one, so the keep rules read the
	 * right row in both places.
	 */
	p->delete_sql = vigil_asprintf(
		"WITH del AS (DELETE FROM vigil.%s s WHERE s.%s < $1::timestamptz%s AND s.id IN ("
		"SELECT s.id FROM vigil.%s s WHERE s.%s < $1::timestamptz AND s.%s >= $2::timestamptz%s "
		"ORDER BY s.%s LIMIT $3::int%s) RETURNING s.%s AS ts) "
		"SELECT count(*), max(ts)::text FROM del",
		qt, qc, keep.data, qt, qc, qc, keep.data, qc, p->skip_locked ? " FOR UPDATE OF s SKIP LOCKED" : "", qc);
	/* expired rows: deletable (first column), then kept per rule */
	p->count_sql = vigil_asprintf("SELECT count(*) FILTER (WHERE true%s)%s FROM vigil.%s s WHERE s.%s < $1::timestamptz",
								  keep.data, counts.data, qt, qc);
	vigil_buf_free(&keep);
	vigil_buf_free(&counts);
	free(qt);
	free(qc);
}

/*
 * Why the policy in row `row` of the catalog query cannot run, or NULL. Sets
 * *code to 65 (bad policy) or 77 (privilege).
 */
static const char *
policy_problem(const PGresult *res, int row, int *code, char *buf, size_t bufsize)
{
	const char *table = PQgetvalue(res, row, 0);
	const char *column = PQgetvalue(res, row, 1);
	const char *relkind = PQgetvalue(res, row, 4);
	const char *type = PQgetvalue(res, row, 5);
	const char *pk = PQgetvalue(res, row, 6);

	*code = VIGIL_EXIT_DATAERR;
	if (is_evidence_table(table))
		snprintf(buf, bufsize, "vigil.%s is an evidence table and is never purged", table);
	else if (!is_plain_name(table) || !is_plain_name(column))
		snprintf(buf, bufsize, "table and column must be plain lowercase names");
	else if (PQgetisnull(res, row, 4))
		snprintf(buf, bufsize, "table vigil.%s does not exist", table);
	else if (strcmp(relkind, "r") != 0 && strcmp(relkind, "p") != 0)
		snprintf(buf, bufsize, "vigil.%s is not a table", table);
	else if (PQgetisnull(res, row, 5))
		snprintf(buf, bufsize, "column vigil.%s.%s does not exist", table, column);
	else if (strcmp(type, "timestamp with time zone") != 0 && strcmp(type, "timestamp without time zone") != 0 &&
			 strcmp(type, "date") != 0)
		snprintf(buf, bufsize, "column vigil.%s.%s is %s, not a timestamp or date", table, column, type);
	else if (strcmp(pk, "id") != 0)
		snprintf(buf, bufsize, "vigil.%s has no primary key column id", table);
	else if (strcmp(PQgetvalue(res, row, 7), "true") != 0) {
		*code = VIGIL_EXIT_NOPERM;
		snprintf(buf, bufsize, "the current role may not DELETE from vigil.%s", table);
	} else
		return NULL;
	return buf;
}

/*
 * Loads the policies to run into *out (n entries, caller frees), checked
 * against the catalog. Returns 0, or an exit code with err filled and
 * nothing loaded.
 */
static int
load_policies(vigil_run *run, const retain_opts *ro, policy **out, int *nout, vigil_error *err)
{
	static const char sql[] =
		"SELECT rp.table_name, rp.time_column, rp.keep_interval::text, rp.enabled::text,"
		" c.relkind::text, format_type(a.atttypid, NULL),"
		" (SELECT string_agg(pa.attname, ',' ORDER BY pa.attnum) FROM pg_catalog.pg_index i"
		"  JOIN pg_catalog.pg_attribute pa ON pa.attrelid = i.indrelid AND pa.attnum = ANY (i.indkey)"
		"  WHERE i.indrelid = c.oid AND i.indisprimary),"
		" CASE WHEN c.oid IS NOT NULL THEN (has_table_privilege(c.oid, 'SELECT')"
		"  AND has_table_privilege(c.oid, 'DELETE'))::text END,"
		" to_char(($1::timestamptz - rp.keep_interval) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'),"
		" CASE WHEN c.oid IS NOT NULL THEN has_any_column_privilege(c.oid, 'UPDATE')::text END"
		" FROM vigil.retention_policies rp"
		" LEFT JOIN pg_catalog.pg_class c ON c.relname = rp.table_name"
		"  AND c.relnamespace = 'vigil'::regnamespace"
		" LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attname = rp.time_column"
		"  AND a.attnum > 0 AND NOT a.attisdropped"
		" ORDER BY rp.table_name";
	const char *params[] = {run->as_of};
	PGresult *res = vigil_db_query(run->conn, "read the retention policies", sql, 1, params, PGRES_TUPLES_OK, err);
	policy *list = NULL;
	int n = 0, nrefused = 0, refused_code = 0, rc = 0;
	char why[512];

	if (res == NULL)
		return err->code;
	for (int a = 0; a < ro->npolicies; a++) {
		int found = -1;

		for (int row = 0; row < PQntuples(res); row++)
			if (strcmp(PQgetvalue(res, row, 0), ro->policies[a]) == 0)
				found = row;
		if (found < 0) {
			rc = vigil_error_set(err, VIGIL_EXIT_USAGE, "--policy %s: no retention policy for table %s",
								 ro->policies[a], ro->policies[a]);
			vigil_error_hint(err, "the policies are the rows of vigil.retention_policies");
			goto done;
		}
		if (strcmp(PQgetvalue(res, found, 3), "true") != 0) {
			rc = vigil_error_set(err, VIGIL_EXIT_USAGE, "--policy %s: the retention policy for %s is disabled",
								 ro->policies[a], ro->policies[a]);
			vigil_error_hint(err, "enable it with UPDATE vigil.retention_policies SET enabled = true WHERE table_name = '%s'",
							 ro->policies[a]);
			goto done;
		}
	}

	list = vigil_malloc(sizeof(policy) * (size_t) (PQntuples(res) + 1));
	for (int row = 0; row < PQntuples(res); row++) {
		const char *table = PQgetvalue(res, row, 0);
		bool wanted = ro->npolicies == 0 ? strcmp(PQgetvalue(res, row, 3), "true") == 0 : false;
		int code;

		for (int a = 0; a < ro->npolicies; a++)
			wanted |= strcmp(ro->policies[a], table) == 0;
		if (!wanted)
			continue;
		if (policy_problem(res, row, &code, why, sizeof(why)) != NULL) {
			vigil_log(VIGIL_LOG_ERROR, "retention policy %s refused: %s", table, why);
			if (nrefused++ == 0 || code == VIGIL_EXIT_DATAERR)
				refused_code = code;
			continue;
		}
		policy *p = &list[n++];
		memset(p, 0, sizeof(*p));
		p->table = vigil_strdup(table);
		p->column = vigil_strdup(PQgetvalue(res, row, 1));
		p->keep_interval = vigil_strdup(PQgetvalue(res, row, 2));
		snprintf(p->cutoff, sizeof(p->cutoff), "%s", PQgetvalue(res, row, 8));
		p->rules = rules_for(table);
		/* without UPDATE privilege FOR UPDATE is refused: batches then wait
		 * for rows another session locked, up to the lock timeout */
		p->skip_locked = strcmp(PQgetvalue(res, row, 9), "true") == 0;
		if (!p->skip_locked)
			vigil_log(VIGIL_LOG_DEBUG, "vigil.%s: no UPDATE privilege, so no FOR UPDATE SKIP LOCKED; "
					  "a batch waits for locked rows up to jobs.retain.lock_timeout_ms", table);
		policy_build_sql(run->conn, p);
	}
	if (nrefused > 0) {
		rc = vigil_error_set(err, refused_code, "%d retention polic%s refused; nothing was purged", nrefused,
							 nrefused == 1 ? "y" : "ies");
		if (refused_code == VIGIL_EXIT_NOPERM)
			vigil_error_hint(err, "run as a member of vigil_jobs; only the tables it may DELETE from can have a policy");
		else
			vigil_error_hint(err, "fix or delete the refused rows of vigil.retention_policies, or choose policies with --policy");
	}

done:
	PQclear(res);
	if (rc != 0 && list) {
		for (int i = 0; i < n; i++)
			policy_free(&list[i]);
		free(list);
		list = NULL;
		n = 0;
	}
	*out = list;
	*nout = n;
	return rc;
}

/* Counts the expired rows of p that remain: deletable, then kept per rule. */
static int
count_expired(vigil_run *run, policy *p, int64_t *deletable, vigil_error *err)
{
	const char *params[] = {p->cutoff};
	PGresult *res = vigil_db_query(run->conn, "count the rows kept by retention", p->count_sql, 1, params,
								   PGRES_TUPLES_OK, err);

	if (res == NULL)
		return err->code;
	*deletable = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	for (int k = 0; k < 2; k++)
		p->kept[k] = k + 1 < PQnfields(res) ? strtoll(PQgetvalue(res, 0, k + 1), NULL, 10) : 0;
	PQclear(res);
	return 0;
}

/* The policy's retention.purged entry, in the caller's transaction. */
static int
append_purged(vigil_run *run, const policy *p, bool complete, vigil_error *err)
{
	vigil_buf payload = {0};
	int rc;

	vigil_buf_puts(&payload, "{\"table\": ");
	vigil_buf_json_string(&payload, p->table);
	vigil_buf_puts(&payload, ", \"time_column\": ");
	vigil_buf_json_string(&payload, p->column);
	vigil_buf_puts(&payload, ", \"keep_interval\": ");
	vigil_buf_json_string(&payload, p->keep_interval);
	vigil_buf_printf(&payload, ", \"cutoff\": \"%s\", \"as_of\": \"%s\", \"deleted\": %lld", p->cutoff, run->as_of,
					 (long long) p->deleted);
	for (int k = 0; p->rules && k < 2 && p->rules->keep[k].name; k++)
		vigil_buf_printf(&payload, ", \"kept_%s\": %lld", p->rules->keep[k].name, (long long) p->kept[k]);
	vigil_buf_printf(&payload, ", \"complete\": %s}", complete ? "true" : "false");
	rc = vigil_ledger_append(run->conn, "retention.purged", "table", p->table, NULL, run->prog, run->id,
							 payload.data, NULL, err);
	vigil_buf_free(&payload);
	/* the checkpoint holds only what no ledger entry describes yet: clear it
	 * in the same transaction, or a later job.abandoned would count these
	 * rows twice */
	if (rc == 0)
		rc = vigil_run_checkpoint(run, "{}", err);
	return rc;
}

/* After an interruption or failure: record what the committed batches did. */
static void
record_partial(vigil_run *run, const policy *p)
{
	vigil_error e2 = {0};

	if (p->deleted == 0 || PQstatus(run->conn) != CONNECTION_OK)
		return;
	vigil_db_rollback(run->conn);
	if (vigil_db_exec(run->conn, "begin a transaction", "BEGIN ISOLATION LEVEL READ COMMITTED", 0, NULL, &e2) == 0 &&
		append_purged(run, p, false, &e2) == 0 && vigil_db_commit(run->conn, &e2) == 0)
		return;
	vigil_db_rollback(run->conn);
	vigil_log(VIGIL_LOG_ERROR, "cannot record the rows purged from vigil.%s: %s", p->table, e2.msg);
}

static void
log_policy(const policy *p, const char *what)
{
	char deleted[24], kept[2][24], names[2][40];
	vigil_kv kv[8];
	size_t n = 0;

	snprintf(deleted, sizeof(deleted), "%lld", (long long) p->deleted);
	kv[n++] = (vigil_kv) {"policy", p->table, false};
	kv[n++] = (vigil_kv) {"cutoff", p->cutoff, false};
	kv[n++] = (vigil_kv) {what, deleted, true};
	for (int k = 0; p->rules && k < 2 && p->rules->keep[k].name; k++) {
		snprintf(kept[k], sizeof(kept[k]), "%lld", (long long) p->kept[k]);
		snprintf(names[k], sizeof(names[k]), "kept_%s", p->rules->keep[k].name);
		kv[n++] = (vigil_kv) {names[k], kept[k], true};
	}
	vigil_log_fields(VIGIL_LOG_INFO, kv, n);
}

/* --dry-run: what would go and what is kept, on stdout; nothing is locked. */
static int
preview_policy(vigil_run *run, policy *p, vigil_error *err)
{
	int rc = count_expired(run, p, &p->deleted, err);

	if (rc)
		return rc;
	printf("%s: would delete %lld rows with %s before %s", p->table, (long long) p->deleted, p->column, p->cutoff);
	for (int k = 0; p->rules && k < 2 && p->rules->keep[k].name; k++)
		printf(", keep %lld %s", (long long) p->kept[k],
			   strcmp(p->rules->keep[k].name, "under_hold") == 0 ? "under legal hold" : p->rules->keep[k].name);
	printf("\n");
	log_policy(p, "would_delete");
	return 0;
}

static bool
is_lock_timeout(const PGresult *res)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;

	return state && strcmp(state, "55P03") == 0;
}

static int
purge_policy(vigil_run *run, policy *p, int64_t *max_batch_ms, vigil_error *err)
{
	char lower[64] = "-infinity", limit_text[16], lock_ms[16];
	int limit = run->cfg->jobs.batch_size;
	int64_t to_delete = 0;
	int rc = 0;

	snprintf(lock_ms, sizeof(lock_ms), "%d", run->cfg->retain.lock_timeout_ms);
	/*
	 * The rows kept are counted first, outside any batch: counted after the
	 * purge, the scan would walk every row just deleted while the last batch
	 * holds its locks (600 ms at a million rows). Rows under a hold are never
	 * deleted, so the count is the same unless a hold changes mid-run.
	 */
	rc = count_expired(run, p, &to_delete, err);
	if (rc)
		return rc;
	vigil_log(VIGIL_LOG_DEBUG, "vigil.%s: %lld expired rows to delete", p->table, (long long) to_delete);
	for (;;) {
		const char *lt_params[] = {lock_ms};
		const char *params[] = {p->cutoff, lower, limit_text};
		double started;
		PGresult *res;
		int64_t deleted;
		bool last;

		if (vigil_run_interrupted()) {
			record_partial(run, p);
			return vigil_error_set(err, VIGIL_EXIT_TEMPFAIL, "interrupted while purging vigil.%s; the next run purges the rest",
								   p->table);
		}
		snprintf(limit_text, sizeof(limit_text), "%d", limit);
		started = vigil_monotonic();
		rc = vigil_db_exec(run->conn, "begin a transaction", "BEGIN ISOLATION LEVEL READ COMMITTED", 0, NULL, err);
		if (rc == 0)
			rc = vigil_db_exec(run->conn, "set the batch lock timeout",
							   "SELECT pg_catalog.set_config('lock_timeout', $1, true)", 1, lt_params, err);
		if (rc)
			goto fail;
		res = PQexecParams(run->conn, p->delete_sql, 3, NULL, params, NULL, NULL, 0);
		if (PQresultStatus(res) != PGRES_TUPLES_OK) {
			bool timeout = is_lock_timeout(res);
			char purpose[128];

			snprintf(purpose, sizeof(purpose), "delete a batch from vigil.%s", p->table);
			rc = vigil_db_error(run->conn, res, purpose, err);
			PQclear(res);
			vigil_db_rollback(run->conn);
			if (timeout && limit > 1) {
				vigil_log(VIGIL_LOG_WARNING, "lock timeout deleting %d rows from vigil.%s; retrying with %d",
						  limit, p->table, limit / 2);
				vigil_run_count(run, "lock_timeouts", 1);
				limit /= 2;
				continue;
			}
			if (timeout)
				vigil_error_hint(err, "another session holds a lock on vigil.%s; the next run purges the rest", p->table);
			goto fail;
		}
		deleted = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
		if (!PQgetisnull(res, 0, 1))
			snprintf(lower, sizeof(lower), "%s", PQgetvalue(res, 0, 1));
		PQclear(res);
		p->deleted += deleted;
		last = deleted < limit;
		if (last && p->deleted > 0)
			rc = append_purged(run, p, true, err);
		else if (deleted > 0) {
			/* Not yet described by retention.purged: checkpoint the count in
			 * this batch's transaction, so a kill -9 before the policy's
			 * entry still leaves a ledger record (job.abandoned) of it. */
			vigil_buf progress = {0};

			vigil_buf_puts(&progress, "{\"policy\": ");
			vigil_buf_json_string(&progress, p->table);
			vigil_buf_printf(&progress, ", \"cutoff\": \"%s\", \"deleted\": %lld}", p->cutoff,
							 (long long) p->deleted);
			rc = vigil_run_checkpoint(run, progress.data, err);
			vigil_buf_free(&progress);
		}
		if (rc) {
			p->deleted -= deleted;
			goto fail;
		}
		rc = vigil_db_commit(run->conn, err);
		if (rc) {
			p->deleted -= deleted;
			goto fail;
		}
		p->batches++;
		int64_t ms = (int64_t) ((vigil_monotonic() - started) * 1000 + 0.5);
		if (ms > *max_batch_ms)
			*max_batch_ms = ms;
		vigil_log(VIGIL_LOG_DEBUG, "purge vigil.%s batch %d: deleted=%lld limit=%d ms=%lld", p->table, p->batches,
				  (long long) deleted, limit, (long long) ms);
		if (last)
			return 0;
	}

fail:
	vigil_db_rollback(run->conn);
	record_partial(run, p);
	return rc;
}

static int
retain_work(vigil_run *run, const retain_opts *ro, vigil_error *err)
{
	static const char *const counts[] = {
		"policies", "deleted", "kept_under_hold", "kept_scanned", "batches", "lock_timeouts", "max_batch_ms",
	};
	policy *list = NULL;
	int n = 0, rc;
	int64_t max_batch_ms = 0;

	for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++)
		vigil_run_count(run, counts[i], 0);
	/* The planner overestimates the rows the keep rules let through by far,
	 * so it JIT-compiles every batch: about a second each, more than the
	 * batch itself takes. */
	rc = vigil_db_exec(run->conn, "turn JIT off", "SELECT pg_catalog.set_config('jit', 'off', false)", 0, NULL, err);
	if (rc == 0)
		rc = load_policies(run, ro, &list, &n, err);
	if (rc)
		return rc;
	if (n == 0)
		vigil_log(VIGIL_LOG_INFO, "no enabled retention policy; nothing to do");
	for (int i = 0; i < n && rc == 0; i++) {
		policy *p = &list[i];

		rc = run->dry_run ? preview_policy(run, p, err) : purge_policy(run, p, &max_batch_ms, err);
		vigil_run_count(run, "policies", 1);
		vigil_run_count(run, "deleted", p->deleted);
		vigil_run_count(run, "batches", p->batches);
		if (rc == 0) {
			for (int k = 0; p->rules && k < 2 && p->rules->keep[k].name; k++) {
				char name[40];

				snprintf(name, sizeof(name), "kept_%s", p->rules->keep[k].name);
				vigil_run_count(run, name, p->kept[k]);
			}
			if (!run->dry_run)
				log_policy(p, "deleted");
		}
	}
	vigil_run_count(run, "max_batch_ms", max_batch_ms);
	for (int i = 0; i < n; i++)
		policy_free(&list[i]);
	free(list);
	return rc;
}

static retain_opts ropts;

static const vigil_option options[] = {
	{"policy", required_argument, OPT_POLICY, "TABLE",
	 "run only the policy for TABLE (repeatable; default every enabled policy)"},
	{NULL, 0, 0, NULL, NULL},
};

static vigil_program program = {
	.name = "vigil-retain",
	.synopsis = "[OPTION]...",
	.summary = "Delete rows older than their retention period (vigil.retention_policies), in batches,\n"
			   "keeping rows under an active legal hold; one retention.purged ledger entry per policy.",
	.example = "  # the daily timer\n"
			   "  vigil-retain\n"
			   "  # what the audit_trails policy would delete and keep, changing nothing\n"
			   "  vigil-retain --dry-run --policy audit_trails --as-of 2026-06-01T00:00:00Z\n",
	.options = options,
	.handle = handle_option,
	.ctx = &ropts,
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
	vigil_buf params = {0};
	int rc;

	rc = vigil_cli_parse(&program, argc, argv, &opts);
	if (rc >= 0)
		return rc;
	rc = vigil_cli_setup(&program, &opts, &cfg);
	if (rc >= 0) {
		vigil_config_free(&cfg);
		return rc;
	}
	vigil_buf_printf(&params, "{\"batch_size\": %d, \"lock_timeout_ms\": %d, \"policies\": [", cfg.jobs.batch_size,
					 cfg.retain.lock_timeout_ms);
	for (int i = 0; i < ropts.npolicies; i++) {
		if (i)
			vigil_buf_puts(&params, ", ");
		vigil_buf_json_string(&params, ropts.policies[i]);
	}
	vigil_buf_puts(&params, "]}");
	rc = vigil_run_begin(&run, program.name, &cfg, &opts, params.data, &err);
	if (rc == 0)
		rc = retain_work(&run, &ropts, &err);
	rc = vigil_run_finish(&run, rc, &err);
	vigil_buf_free(&params);
	vigil_config_free(&cfg);
	return rc;
}
