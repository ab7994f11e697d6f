#!/bin/bash
# bench_expire.sh — vigil-expire against its baselines, measured in the same run.
#
#   1M certifications, 100k due (samples/generate), each measurement on its
#   own copy of the same database, checkpointed (fresh, tests/bench/lib.sh):
#     vigil-expire        the sweep (warn_days = [] so that it does exactly the
#                         floor's work; the warning scan is timed separately),
#                         with one worker and with --workers 2
#     naive               one round trip per statement per certification, as an
#                         ORM loop does it, one transaction per certification:
#                         BEGIN, SELECT ... FOR UPDATE, UPDATE, the same
#                         certification_enforcement and enforcement_queue
#                         upserts vigil-expire does, INSERT INTO ledger, COMMIT
#                         ("same writes"); and with the update and the ledger
#                         insert only ("minimal", the issue's select, update,
#                         ledger insert). Each on NAIVE_ROWS (10k) of the due
#                         rows, extrapolated per row to all of them.
#     floor               one statement, no batching: WITH due ... UPDATE ...
#                         RETURNING feeding the ledger append, with the same
#                         writes as vigil-expire and with the update and the
#                         ledger append only. It appends through
#                         vigil.ledger_append, as vigil-expire does: the floor
#                         is the cheapest way the database offers.
#   Then a larger table with the same 100k due: 3M certifications by default,
#   10M with BENCH_LARGE=1 (generating 10M rows takes several minutes), and the
#   ratio of the two sweep times: the partial index makes the sweep cost what
#   is due, not what is stored.
#
#   tests/bench/run starts the cluster with fsync and synchronous_commit on,
#   as production runs (BENCH_FAST=1 for the tests' fsync-off settings): the
#   naive loop commits once per certification and pays a WAL flush each time.
#
# Prints figures and ratios; never fails on a timing (the machine is noisy).
set -eu
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
PATH=$TOP/bin:$PATH
AS_OF=2026-06-01T00:00:00Z
DUE=${BENCH_DUE:-100000}
CERTS=${BENCH_CERTS:-1000000}
NAIVE_ROWS=${NAIVE_ROWS:-10000}
if [ "${BENCH_LARGE:-0}" = 1 ]; then LARGE=${BENCH_LARGE_CERTS:-10000000}; else LARGE=${BENCH_LARGE_CERTS:-3000000}; fi
TMP=$(mktemp -d "${TMPDIR:-/tmp}/vigil-bench.XXXXXX")
chmod 755 "$TMP"
trap 'rm -rf "$TMP"' EXIT
printf 'jobs: { expire: { warn_days = [ ]; }; };\n' >"$TMP/sweep.conf"

q() { psql -X -A -t -q -v ON_ERROR_STOP=1 -c "$1"; }
now() { date +%s.%N; }
secs() { echo "$2 - $1" | bc -l | xargs printf '%.2f'; }
ratio() { echo "$1 / $2" | bc -l | xargs printf '%.1f'; }
. "$TOP/tests/bench/lib.sh"
generate() {   # generate DB CERTS
	psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $1" >/dev/null 2>&1
	psql -X -q -d postgres -v ON_ERROR_STOP=1 -c "CREATE DATABASE $1 TEMPLATE vigil_template" >/dev/null
	local t0=$(now)
	PGDATABASE=$1 "$TOP/samples/generate" --orgs 20 --employees $(($2 / 10)) --certs "$2" --due "$DUE" >/dev/null
	PGDATABASE=$1 psql -X -q -c "VACUUM ANALYZE" >/dev/null
	echo "generated $2 certifications ($DUE due) in $(secs "$t0" "$(now)") s"
}
# runs vigil-expire on the current database, prints its seconds
sweep() {
	local t0 t1
	t0=$(now)
	vigil-expire -q -c "$TMP/sweep.conf" --as-of $AS_OF "$@"
	t1=$(now)
	[ "$(q "SELECT count(*) FROM vigil.ledger WHERE event_type = 'certification.expired'")" = "$DUE" ] ||
		{ echo "bench_expire: vigil-expire did not expire $DUE rows" >&2; exit 1; }
	secs "$t0" "$t1"
}

# What the last sweep on the current database read and wrote: index entries
# read from idx_cert_expiration_status, sequential scans of certifications,
# and the WAL it generated (full-page images: the first change of a page
# after a checkpoint logs the whole page, so WAL grows with the number of
# distinct pages the sweep changes — mostly the leaf pages of the primary key
# and idx_cert_employee_status that the non-HOT updates add entries to, more
# of them in a larger table — not with the scan).
sweepstats() {
	sleep 1   # a finished backend's statistics reach the shared counters
	q "SELECT (SELECT idx_tup_read FROM pg_stat_user_indexes WHERE indexrelname = 'idx_cert_expiration_status')
	          || ' index entries read, ' ||
	          (SELECT seq_scan FROM pg_stat_user_tables WHERE relid = 'vigil.certifications'::regclass)
	          || ' sequential scans of certifications, WAL ' || pg_size_pretty(wal_bytes) || ' (' || wal_fpi || ' full-page images)'
	   FROM pg_stat_wal"
}
reset_wal() { q "SELECT pg_stat_reset_shared('wal')" >/dev/null; }

generate bench_expire_1m "$CERTS"

fresh bench_expire_run bench_expire_1m
reset_wal
t_vigil=$(sweep)
stats_1m=$(sweepstats)
t0=$(now)
vigil-expire -q --as-of $AS_OF
t_notices=$(secs "$t0" "$(now)")
notices=$(q "SELECT count(*) FROM vigil.notification_outbox")

fresh bench_expire_workers bench_expire_1m
t_workers=$(sweep --workers 2)

fresh bench_expire_floor bench_expire_1m
t0=$(now)
psql -X -q -v ON_ERROR_STOP=1 -v as_of=$AS_OF >/dev/null <<'SQL'
-- as vigil-expire does (vigil_ledger_plan_guard): every lookup on its index,
-- whatever the statistics say
SET enable_seqscan = off;
WITH due AS (
  SELECT c.id, c.employee_id, c.status, c.expiration_date
  FROM vigil.certifications c
  WHERE c.status IN ('PASS', 'INCOMPLETE') AND c.expiration_date <= :'as_of' AND NOT c.is_non_expiring
  FOR NO KEY UPDATE
), upd AS (
  UPDATE vigil.certifications c SET status = 'EXPIRED', updated_at = now()
  FROM due WHERE c.id = due.id
  RETURNING c.id, due.employee_id, due.status AS old_status, due.expiration_date
), ce AS (
  INSERT INTO vigil.certification_enforcement (certification_id, is_blocked, reason, evaluated_at)
  SELECT id, true, 'expired', now() FROM upd
  ON CONFLICT (certification_id) DO UPDATE SET is_blocked = true, reason = 'expired', evaluated_at = excluded.evaluated_at
), eq AS (
  INSERT INTO vigil.enforcement_queue (employee_id, enqueued_at, reason)
  SELECT DISTINCT employee_id, now(), 'certification expired' FROM upd
  ON CONFLICT (employee_id) DO UPDATE SET enqueued_at = excluded.enqueued_at, reason = excluded.reason
)
SELECT vigil.ledger_append(array_agg(ROW('certification.expired', 'certification', id::text, NULL, 'floor', NULL,
       jsonb_build_object('old_status', old_status,
                          'expiration_date', to_char(expiration_date AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
                          'employee_id', employee_id))::vigil.ledger_entry))
FROM upd;
SQL
t_floor=$(secs "$t0" "$(now)")

fresh bench_expire_floor bench_expire_1m
t0=$(now)
psql -X -q -v ON_ERROR_STOP=1 -v as_of=$AS_OF >/dev/null <<'SQL'
-- as vigil-expire does (vigil_ledger_plan_guard): every lookup on its index,
-- whatever the statistics say
SET enable_seqscan = off;
WITH upd AS (
  UPDATE vigil.certifications c SET status = 'EXPIRED', updated_at = now()
  FROM (SELECT id, status FROM vigil.certifications
        WHERE status IN ('PASS', 'INCOMPLETE') AND expiration_date <= :'as_of' AND NOT is_non_expiring
        FOR NO KEY UPDATE) due
  WHERE c.id = due.id
  RETURNING c.id, c.employee_id, due.status AS old_status, c.expiration_date
)
SELECT vigil.ledger_append(array_agg(ROW('certification.expired', 'certification', id::text, NULL, 'floor', NULL,
       jsonb_build_object('old_status', old_status,
                          'expiration_date', to_char(expiration_date AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
                          'employee_id', employee_id))::vigil.ledger_entry))
FROM upd;
SQL
t_floor_min=$(secs "$t0" "$(now)")

# naive FILE SAME: the per-certification loop; SAME=1 adds vigil-expire's
# certification_enforcement and enforcement_queue upserts.
naive() {
	q "SELECT id FROM vigil.certifications WHERE status IN ('PASS', 'INCOMPLETE') AND expiration_date <= '$AS_OF' AND NOT is_non_expiring ORDER BY expiration_date, id LIMIT $NAIVE_ROWS" |
	awk -v q="'" -v same="$2" 'BEGIN { print "SET enable_seqscan = off;" } {
		print "BEGIN;"
		print "SELECT status AS old_status, employee_id, expiration_date FROM vigil.certifications WHERE id = " q $1 q " FOR UPDATE \\gset"
		print "UPDATE vigil.certifications SET status = " q "EXPIRED" q ", updated_at = now() WHERE id = " q $1 q ";"
		if (same) {
			print "INSERT INTO vigil.certification_enforcement (certification_id, is_blocked, reason, evaluated_at) VALUES (" q $1 q ", true, " q "expired" q ", now()) ON CONFLICT (certification_id) DO UPDATE SET is_blocked = true, reason = " q "expired" q ", evaluated_at = excluded.evaluated_at;"
			print "INSERT INTO vigil.enforcement_queue (employee_id, enqueued_at, reason) VALUES (:" q "employee_id" q ", now(), " q "certification expired" q ") ON CONFLICT (employee_id) DO UPDATE SET enqueued_at = excluded.enqueued_at, reason = excluded.reason;"
		}
		print "INSERT INTO vigil.ledger (event_type, entity_type, entity_id, actor, payload) VALUES (" q "certification.expired" q ", " q "certification" q ", " q $1 q ", " q "naive" q ", jsonb_build_object(" q "old_status" q ", :" q "old_status" q "::text, " q "expiration_date" q ", :" q "expiration_date" q "::text, " q "employee_id" q ", :" q "employee_id" q "::text));"
		print "COMMIT;"
	}' >"$1"
	local t0=$(now)
	psql -X -q -v ON_ERROR_STOP=1 -f "$1" >/dev/null
	secs "$t0" "$(now)"
}
extrapolate() { echo "$1 * $DUE / $NAIVE_ROWS" | bc -l | xargs printf '%.2f'; }
fresh bench_expire_naive bench_expire_1m
t_naive_part=$(naive "$TMP/naive.sql" 1)
[ "$(q "SELECT count(*) FROM vigil.enforcement_queue")" -gt 0 ] ||
	{ echo "bench_expire: the naive loop queued no employee" >&2; exit 1; }
t_naive=$(extrapolate "$t_naive_part")
fresh bench_expire_naive bench_expire_1m
t_naive_min_part=$(naive "$TMP/naive_min.sql" 0)
t_naive_min=$(extrapolate "$t_naive_min_part")

generate bench_expire_large "$LARGE"
fresh bench_expire_run_large bench_expire_large
reset_wal
t_large=$(sweep)
stats_large=$(sweepstats)

echo "vigil-expire, $DUE due of $CERTS certifications (each on a fresh copy):"
printf '  %-44s %8s s  (%s rows/s)\n' "vigil-expire sweep (batch 5000, 1 worker)" "$t_vigil" "$(echo "$DUE / $t_vigil" | bc)"
printf '  %-44s %8s s  (%s rows/s)\n' "vigil-expire sweep, --workers 2" "$t_workers" "$(echo "$DUE / $t_workers" | bc)"
printf '  %-44s %8s s  (%s warnings queued)\n' "warning scan alone (30/7/1 days)" "$t_notices" "$notices"
printf '  %-44s %8s s  (measured %s s on %s rows, x%s)\n' "naive loop, same writes" "$t_naive" "$t_naive_part" "$NAIVE_ROWS" "$((DUE / NAIVE_ROWS))"
printf '  %-44s %8s s  (measured %s s on %s rows, x%s)\n' "naive loop, minimal (select, update, ledger)" "$t_naive_min" "$t_naive_min_part" "$NAIVE_ROWS" "$((DUE / NAIVE_ROWS))"
printf '  %-44s %8s s\n' "floor, one statement, same writes" "$t_floor"
printf '  %-44s %8s s\n' "floor, one statement, update + ledger only" "$t_floor_min"
echo "ratios (target: naive / vigil-expire >= 20x, vigil-expire / floor <= 1.5x):"
echo "  naive same writes / vigil-expire --workers 2  = $(ratio "$t_naive" "$t_workers")x"
echo "  naive same writes / vigil-expire 1 worker     = $(ratio "$t_naive" "$t_vigil")x"
echo "  naive minimal / vigil-expire --workers 2      = $(ratio "$t_naive_min" "$t_workers")x"
echo "  naive minimal / vigil-expire 1 worker         = $(ratio "$t_naive_min" "$t_vigil")x"
echo "  vigil-expire 1 worker / floor (same writes)   = $(echo "$t_vigil / $t_floor" | bc -l | xargs printf '%.2f')x"
echo "  vigil-expire --workers 2 / floor (same writes) = $(echo "$t_workers / $t_floor" | bc -l | xargs printf '%.2f')x"
echo "  vigil-expire 1 worker / floor (minimal)       = $(echo "$t_vigil / $t_floor_min" | bc -l | xargs printf '%.2f')x"
echo "  vigil-expire --workers 2 / floor (minimal)    = $(echo "$t_workers / $t_floor_min" | bc -l | xargs printf '%.2f')x"
echo "table size, same $DUE due:"
printf '  %-44s %8s s\n' "vigil-expire on $LARGE certifications" "$t_large"
echo "  $CERTS: $stats_1m"
echo "  $LARGE: $stats_large"
echo "  $LARGE / $CERTS sweep time = $(echo "$t_large / $t_vigil" | bc -l | xargs printf '%.2f')x  (target <= 1.2x)"
[ "${BENCH_LARGE:-0}" = 1 ] || echo "  (3M by default; BENCH_LARGE=1 runs the 10M case)"

for db in bench_expire_run bench_expire_workers bench_expire_floor bench_expire_naive bench_expire_run_large bench_expire_large bench_expire_1m; do
	psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1
done
