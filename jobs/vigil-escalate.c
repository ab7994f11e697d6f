/*
 * vigil-escalate — the zone escalation engine (DESIGN §4).
 *
 * A RED zone below level 3 whose readiness deadline is past by the threshold
 * of its next level rises one level: an escalation_events row, the zone's
 * level, last_escalated_at and new readiness_deadline, a `zone.escalated`
 * ledger entry and one notification_outbox row per recipient role, all in
 * one statement per batch. GREEN zones with active escalations get them
 * resolved and their level back to 0 (`zone.escalations_resolved`).
 *
 * Two decisions a reader must know:
 *  - last_escalated_at is set to the run's --as-of, and only a zone whose
 *    last_escalated_at is before --as-of can rise. That makes "one level per
 *    zone per run" hold across batches, and makes a rerun with the same
 *    --as-of a no-op even for a policy whose next threshold is already due.
 *  - Zone policies (zones.escalation_policy, jsonb) are validated in SQL by
 *    the same expression in the report query and in the escalation statement,
 *    so a malformed policy can never reach a cast: the zone is reported by id,
 *    counted as bad_policy, skipped, and the run exits 65 at the end.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "cli.h"
#include "config.h"
#include "db.h"
#include "log.h"
#include "run.h"
#include "util.h"
#include "vigil.h"

/* Bad policies named one per log line; past this, one line with the rest. */
#define MAX_POLICY_REPORTS 100

/*
 * What is wrong with the policy pp.p (jsonb), as one line, or NULL when it is
 * valid or NULL. Every cast sits behind a CASE that checked the JSON type
 * first: CASE is the one construct whose evaluation order SQL guarantees.
 */
#define POLICY_PROBLEM_SQL \
	"SELECT CASE" \
	" WHEN pp.p IS NULL THEN NULL" \
	" WHEN jsonb_typeof(pp.p) <> 'array' THEN 'not a JSON array of levels'" \
	" WHEN jsonb_array_length(pp.p) = 0 THEN 'no levels'" \
	" ELSE (SELECT format('element %s: %s', a.i, m.msg)" \
	"  FROM jsonb_array_elements(pp.p) WITH ORDINALITY AS a(e, i)" \
	"  CROSS JOIN LATERAL (SELECT" \
	"   CASE WHEN jsonb_typeof(a.e -> 'level') = 'number' THEN (a.e -> 'level')::numeric END AS lvl," \
	"   CASE WHEN jsonb_typeof(a.e -> 'threshold_minutes_past_deadline') = 'number'" \
	"    THEN (a.e -> 'threshold_minutes_past_deadline')::numeric END AS thr," \
	"   CASE WHEN jsonb_typeof(a.e -> 'new_deadline_minutes_from_now') = 'number'" \
	"    THEN (a.e -> 'new_deadline_minutes_from_now')::numeric END AS nd," \
	"   CASE WHEN jsonb_typeof(a.e -> 'recipients_role') = 'array' THEN a.e -> 'recipients_role' END AS roles) v" \
	"  CROSS JOIN LATERAL (SELECT CASE" \
	"   WHEN jsonb_typeof(a.e) <> 'object' THEN 'not an object'" \
	"   WHEN NOT a.e ? 'level' THEN 'missing level'" \
	"   WHEN v.lvl IS NULL OR v.lvl <> trunc(v.lvl) THEN 'level is not an integer'" \
	"   WHEN v.lvl <> a.i THEN format('levels out of order: level %s where %s was expected', v.lvl, a.i)" \
	"   WHEN NOT a.e ? 'threshold_minutes_past_deadline' THEN 'missing threshold_minutes_past_deadline'" \
	"   WHEN v.thr IS NULL OR v.thr <> trunc(v.thr) THEN 'threshold_minutes_past_deadline is not an integer'" \
	"   WHEN v.thr < 0 THEN 'threshold_minutes_past_deadline is negative'" \
	"   WHEN v.thr > 5256000 THEN 'threshold_minutes_past_deadline is more than 10 years'" \
	"   WHEN NOT a.e ? 'recipients_role' THEN 'missing recipients_role'" \
	"   WHEN v.roles IS NULL THEN 'recipients_role is not an array'" \
	"   WHEN jsonb_array_length(v.roles) = 0 THEN 'recipients_role is empty'" \
	"   WHEN EXISTS (SELECT 1 FROM jsonb_array_elements(v.roles) AS r(x)" \
	"                WHERE jsonb_typeof(r.x) <> 'string' OR r.x #>> '{}' = '')" \
	"    THEN 'recipients_role must hold role names'" \
	"   WHEN NOT a.e ? 'new_deadline_minutes_from_now' THEN 'missing new_deadline_minutes_from_now'" \
	"   WHEN v.nd IS NULL OR v.nd <> trunc(v.nd) THEN 'new_deadline_minutes_from_now is not an integer'" \
	"   WHEN v.nd < 0 THEN 'new_deadline_minutes_from_now is negative'" \
	"   WHEN v.nd > 5256000 THEN 'new_deadline_minutes_from_now is more than 10 years'" \
	"   END AS msg) m" \
	"  WHERE m.msg IS NOT NULL ORDER BY a.i LIMIT 1)" \
	" END AS problem"

/* The candidates: RED, below level 3, deadline reached ($1 = as-of). */
#define CANDIDATE_SQL \
	"z.computed_status = 'RED' AND z.current_escalation_level < 3 " \
	"AND z.readiness_deadline <= $1::timestamptz "

static const char check_default_sql[] =
	"SELECT chk.problem FROM (SELECT $1::jsonb AS p) pp CROSS JOIN LATERAL (" POLICY_PROBLEM_SQL ") chk";

/* Zones that would be considered but whose own policy is malformed. */
static const char bad_policies_sql[] =
	"SELECT z.id, chk.problem FROM vigil.zones z "
	"CROSS JOIN LATERAL (SELECT z.escalation_policy AS p) pp "
	"CROSS JOIN LATERAL (" POLICY_PROBLEM_SQL ") chk "
	"WHERE " CANDIDATE_SQL "AND z.escalation_policy IS NOT NULL AND chk.problem IS NOT NULL "
	"ORDER BY z.id";

/*
 * One batch of escalations. $1 as-of, $2 default policy, $3 batch size,
 * $4 run id (NULL in a dry run), $5 actor. The zone UPDATE is conditional on
 * the level read, so two overlapping runs cannot raise a zone twice even if
 * one of them did not see the other's row lock.
 */
static const char escalate_sql[] =
	"WITH due AS ("
	" SELECT z.id, z.project_id, z.name, z.current_escalation_level AS old_level,"
	"        z.readiness_deadline AS old_deadline,"
	"        (nx.lv ->> 'threshold_minutes_past_deadline')::numeric::int AS thr,"
	"        (nx.lv ->> 'new_deadline_minutes_from_now')::numeric::int AS nd,"
	"        nx.lv -> 'recipients_role' AS roles"
	" FROM vigil.zones z"
	" CROSS JOIN LATERAL (SELECT z.escalation_policy AS p) pp"
	" CROSS JOIN LATERAL (" POLICY_PROBLEM_SQL ") chk"
	" CROSS JOIN LATERAL (SELECT CASE WHEN chk.problem IS NULL"
	"   THEN coalesce(z.escalation_policy, $2::jsonb) -> z.current_escalation_level END AS lv) nx"
	" WHERE " CANDIDATE_SQL
	"   AND (z.last_escalated_at IS NULL OR z.last_escalated_at < $1::timestamptz)"
	"   AND nx.lv IS NOT NULL"
	"   AND $1::timestamptz >= z.readiness_deadline"
	"       + make_interval(mins => (nx.lv ->> 'threshold_minutes_past_deadline')::numeric::int)"
	" ORDER BY z.readiness_deadline"
	" LIMIT $3::int"
	" FOR UPDATE OF z SKIP LOCKED"
	"), upd AS ("
	" UPDATE vigil.zones z SET current_escalation_level = d.old_level + 1,"
	"        last_escalated_at = $1::timestamptz,"
	"        readiness_deadline = $1::timestamptz + make_interval(mins => d.nd)"
	" FROM due d"
	" WHERE z.id = d.id AND z.current_escalation_level = d.old_level AND z.computed_status = 'RED'"
	" RETURNING z.id, z.project_id, z.name, z.current_escalation_level AS level, z.readiness_deadline AS new_deadline,"
	"           d.old_deadline, d.thr, d.roles"
	"), ev AS ("
	" INSERT INTO vigil.escalation_events (zone_id, project_id, level, triggered_at, recipients,"
	"        threshold_minutes_past_deadline, new_deadline_set_to, status, run_id)"
	" SELECT u.id, u.project_id, u.level, $1::timestamptz, u.roles, u.thr, u.new_deadline, 'active', $4::bigint"
	" FROM upd u ORDER BY u.id"
	" RETURNING id, zone_id, project_id, level, recipients, threshold_minutes_past_deadline, new_deadline_set_to"
	"), led AS ("
	" INSERT INTO vigil.ledger (event_type, entity_type, entity_id, actor, run_id, payload)"
	" SELECT 'zone.escalated', 'zone', e.zone_id::text, $5, $4::bigint,"
	"        jsonb_build_object('escalation_event_id', e.id, 'project_id', e.project_id,"
	"          'level', e.level, 'previous_level', e.level - 1, 'recipients', e.recipients,"
	"          'threshold_minutes_past_deadline', e.threshold_minutes_past_deadline,"
	"          'deadline_was', u.old_deadline, 'new_deadline', e.new_deadline_set_to,"
	"          'as_of', $1::timestamptz)"
	" FROM ev e JOIN upd u ON u.id = e.zone_id ORDER BY e.zone_id"
	" RETURNING seq"
	"), outbox AS ("
	" INSERT INTO vigil.notification_outbox (kind, organization_id, recipient_role, payload, dedupe_key)"
	" SELECT 'zone.escalated', p.organization_id, r.role,"
	"        jsonb_build_object('zone_id', e.zone_id, 'zone_name', u.name, 'project_id', e.project_id,"
	"          'level', e.level, 'escalation_event_id', e.id, 'readiness_deadline', e.new_deadline_set_to,"
	"          'recipient_role', r.role),"
	"        format('zone-esc:%s:%s:%s:%s', e.zone_id, e.level, e.id, r.role)"
	" FROM ev e JOIN upd u ON u.id = e.zone_id JOIN vigil.projects p ON p.id = e.project_id"
	" CROSS JOIN LATERAL (SELECT DISTINCT x AS role FROM jsonb_array_elements_text(e.recipients) AS x) r"
	" ORDER BY e.zone_id, r.role"
	" RETURNING 1"
	")"
	" SELECT (SELECT count(*) FROM due),"
	"        (SELECT count(*) FILTER (WHERE level = 1) FROM ev),"
	"        (SELECT count(*) FILTER (WHERE level = 2) FROM ev),"
	"        (SELECT count(*) FILTER (WHERE level = 3) FROM ev),"
	"        (SELECT count(*) FROM ev),"
	"        (SELECT count(*) FROM outbox),"
	"        (SELECT count(*) FROM led)";

/*
 * One batch of reconciliation: GREEN zones with active escalations or a level
 * above 0. $1 as-of, $2 run id, $3 batch size, $4 actor.
 */
static const char resolve_sql[] =
	"WITH zs AS ("
	" SELECT z.id, z.current_escalation_level AS old_level FROM vigil.zones z"
	" WHERE z.computed_status = 'GREEN'"
	"   AND (z.current_escalation_level > 0 OR EXISTS (SELECT 1 FROM vigil.escalation_events e"
	"        WHERE e.zone_id = z.id AND e.status = 'active'))"
	" ORDER BY z.id LIMIT $3::int"
	" FOR UPDATE OF z SKIP LOCKED"
	"), res AS ("
	" UPDATE vigil.escalation_events e SET status = 'resolved', resolved_at = $1::timestamptz"
	" FROM zs WHERE e.zone_id = zs.id AND e.status = 'active'"
	" RETURNING e.id, e.zone_id, e.level"
	"), upd AS ("
	" UPDATE vigil.zones z SET current_escalation_level = 0"
	" FROM zs WHERE z.id = zs.id AND z.computed_status = 'GREEN' AND z.current_escalation_level = zs.old_level"
	" RETURNING z.id"
	"), led AS ("
	" INSERT INTO vigil.ledger (event_type, entity_type, entity_id, actor, run_id, payload)"
	" SELECT 'zone.escalations_resolved', 'zone', zs.id::text, $4, $2::bigint,"
	"        jsonb_build_object('previous_level', zs.old_level, 'resolved', coalesce(r.n, 0),"
	"          'escalation_event_ids', coalesce(r.ids, '[]'::jsonb), 'as_of', $1::timestamptz)"
	" FROM zs JOIN upd ON upd.id = zs.id"
	" LEFT JOIN (SELECT zone_id, count(*) AS n, jsonb_agg(id ORDER BY level, id) AS ids"
	"            FROM res GROUP BY zone_id) r ON r.zone_id = zs.id"
	" ORDER BY zs.id"
	" RETURNING 1"
	")"
	" SELECT (SELECT count(*) FROM zs), (SELECT count(*) FROM res), (SELECT count(*) FROM upd)";

/* In a dry run everything is one transaction, rolled back at the end. */
static int
batch_begin(vigil_run *run, vigil_error *err)
{
	if (run->dry_run && PQtransactionStatus(run->conn) == PQTRANS_INTRANS)
		return 0;
	return vigil_db_exec(run->conn, "begin a transaction", "BEGIN ISOLATION LEVEL READ COMMITTED", 0,
						 NULL, err);
}

static int
batch_commit(vigil_run *run, vigil_error *err)
{
	if (run->dry_run)
		return 0;
	return vigil_db_commit(run->conn, err);
}

static int64_t
int_at(const PGresult *res, int col)
{
	return strtoll(PQgetvalue(res, 0, col), NULL, 10);
}

/* The configuration loader validated it already; this guards the SQL's view. */
static int
check_default_policy(vigil_run *run, vigil_error *err)
{
	char problem[512];
	bool isnull;
	const char *params[] = {run->cfg->escalate.default_policy_json};
	int rc = vigil_db_value(run->conn, "check jobs.escalate.default_policy", check_default_sql, 1, params,
							problem, sizeof(problem), &isnull, err);

	if (rc)
		return rc;
	if (!isnull) {
		vigil_error_set(err, VIGIL_EXIT_CONFIG, "jobs.escalate.default_policy: %s", problem);
		vigil_error_hint(err, "fix the policy in the configuration file");
		return VIGIL_EXIT_CONFIG;
	}
	return 0;
}

/* Logs each candidate zone whose own policy is malformed; counts bad_policy. */
static int
report_bad_policies(vigil_run *run, vigil_error *err)
{
	const char *params[] = {run->as_of};
	PGresult *res = vigil_db_query(run->conn, "check the zones' escalation policies", bad_policies_sql, 1,
								   params, PGRES_TUPLES_OK, err);
	int nbad;

	if (res == NULL)
		return err->code;
	nbad = PQntuples(res);
	for (int row = 0; row < nbad && row < MAX_POLICY_REPORTS; row++)
		vigil_log(VIGIL_LOG_ERROR, "zone %s: bad escalation policy: %s", PQgetvalue(res, row, 0),
				  PQgetvalue(res, row, 1));
	if (nbad > MAX_POLICY_REPORTS)
		vigil_log(VIGIL_LOG_ERROR, "%d more zones have a bad escalation policy",
				  nbad - MAX_POLICY_REPORTS);
	vigil_run_count(run, "bad_policy", nbad);
	PQclear(res);
	return 0;
}

static int
resolve_green(vigil_run *run, vigil_error *err)
{
	char batch[16], run_id[24];
	int rc;

	snprintf(batch, sizeof(batch), "%d", run->cfg->jobs.batch_size);
	snprintf(run_id, sizeof(run_id), "%lld", (long long) run->id);
	const char *params[] = {run->as_of, run->id > 0 ? run_id : NULL, batch, run->prog};
	for (int batch_idx = 1;; batch_idx++) {
		if (vigil_run_interrupted())
			return vigil_error_set(err, VIGIL_EXIT_TEMPFAIL, "interrupted; the next run resolves the rest");
		rc = batch_begin(run, err);
		if (rc)
			return rc;
		PGresult *res = vigil_db_query(run->conn, "resolve the escalations of GREEN zones", resolve_sql, 4,
									   params, PGRES_TUPLES_OK, err);
		if (res == NULL) {
			vigil_db_rollback(run->conn);
			return err->code;
		}
		int64_t picked = int_at(res, 0), events = int_at(res, 1), zones = int_at(res, 2);
		PQclear(res);
		rc = batch_commit(run, err);
		if (rc)
			return rc;
		vigil_run_count(run, "resolved", events);
		vigil_run_count(run, "zones_resolved", zones);
		vigil_log(VIGIL_LOG_DEBUG, "resolve batch %d: zones=%lld events=%lld", batch_idx, (long long) zones,
				  (long long) events);
		if (picked < run->cfg->jobs.batch_size)
			return 0;
	}
}

static int
escalate_due(vigil_run *run, vigil_error *err)
{
	char batch[16], run_id[24];
	int rc;

	snprintf(batch, sizeof(batch), "%d", run->cfg->jobs.batch_size);
	snprintf(run_id, sizeof(run_id), "%lld", (long long) run->id);
	const char *params[] = {run->as_of, run->cfg->escalate.default_policy_json, batch,
							run->id > 0 ? run_id : NULL, run->prog};
	for (int batch_idx = 1;; batch_idx++) {
		if (vigil_run_interrupted())
			return vigil_error_set(err, VIGIL_EXIT_TEMPFAIL, "interrupted; the next run escalates the rest");
		rc = batch_begin(run, err);
		if (rc)
			return rc;
		PGresult *res = vigil_db_query(run->conn, "escalate due zones", escalate_sql, 5, params,
									   PGRES_TUPLES_OK, err);
		if (res == NULL) {
			vigil_db_rollback(run->conn);
			return err->code;
		}
		int64_t picked = int_at(res, 0);
		vigil_run_count(run, "level1", int_at(res, 1));
		vigil_run_count(run, "level2", int_at(res, 2));
		vigil_run_count(run, "level3", int_at(res, 3));
		vigil_run_count(run, "escalated", int_at(res, 4));
		vigil_run_count(run, "notified", int_at(res, 5));
		vigil_log(VIGIL_LOG_DEBUG, "escalate batch %d: zones=%s notifications=%s", batch_idx,
				  PQgetvalue(res, 0, 4), PQgetvalue(res, 0, 5));
		PQclear(res);
		rc = batch_commit(run, err);
		if (rc)
			return rc;
		if (picked < run->cfg->jobs.batch_size)
			return 0;
	}
}

static int
escalate_work(vigil_run *run, vigil_error *err)
{
	static const char *const counts[] = {
		"escalated", "level1", "level2", "level3", "notified", "resolved", "zones_resolved", "bad_policy",
	};
	int rc;

	for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++)
		vigil_run_count(run, counts[i], 0);
	/* batches are short statements: JIT compiling would cost more than it saves */
	rc = vigil_db_exec(run->conn, "turn JIT off", "SELECT pg_catalog.set_config('jit', 'off', false)", 0, NULL, err);
	if (rc == 0)
		rc = check_default_policy(run, err);
	if (rc == 0)
		rc = report_bad_policies(run, err);
	if (rc == 0)
		rc = resolve_green(run, err);
	if (rc == 0)
		rc = escalate_due(run, err);
	if (run->dry_run)
		vigil_db_rollback(run->conn);
	if (rc == 0 && vigil_run_get_count(run, "bad_policy") > 0) {
		int64_t nbad = vigil_run_get_count(run, "bad_policy");
		vigil_error_set(err, VIGIL_EXIT_DATAERR, "%lld zone%s skipped: bad escalation policy",
						(long long) nbad, nbad == 1 ? "" : "s");
		vigil_error_hint(err, "fix zones.escalation_policy as logged above, or set it to NULL to use "
						 "jobs.escalate.default_policy");
		rc = VIGIL_EXIT_DATAERR;
	}
	return rc;
}

static vigil_program program = {
	.name = "vigil-escalate",
	.synopsis = "[OPTION]...",
	.summary = "Raise RED zones past their readiness deadline one escalation level (escalation event,\n"
			   "ledger entry, one outbox notification per recipient role), and resolve the\n"
			   "escalations of zones that went GREEN.",
	.example = "  # what the 15-minute timer runs\n"
			   "  vigil-escalate\n"
			   "  # what would escalate at a given time, changing nothing\n"
			   "  vigil-escalate --dry-run --as-of 2026-06-01T00:00:00Z\n",
	.options = NULL,
	.handle = NULL,
	.ctx = NULL,
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
	char params[64];
	int rc;

	rc = vigil_cli_parse(&program, argc, argv, &opts);
	if (rc >= 0)
		return rc;
	rc = vigil_cli_setup(&program, &opts, &cfg);
	if (rc >= 0) {
		vigil_config_free(&cfg);
		return rc;
	}
	snprintf(params, sizeof(params), "{\"batch_size\": %d}", cfg.jobs.batch_size);
	rc = vigil_run_begin(&run, program.name, &cfg, &opts, params, &err);
	if (rc == 0)
		rc = escalate_work(&run, &err);
	rc = vigil_run_finish(&run, rc, &err);
	vigil_config_free(&cfg);
	return rc;
}
