#!/bin/bash
# bench_enforce.sh — vigil-enforce --full against a one-employee-at-a-time
# baseline, measured in the same run.
#
#   200k employees by default (BENCH_LARGE=1: 1M), 1.5 certifications each,
#   every 40th assigned to a scheduled work window (samples/generate + one
#   INSERT). Each measurement on its own checkpointed copy of the same
#   database (fresh, tests/bench/lib.sh):
#     vigil-enforce --full          first pass: every employee seen for the
#                                   first time (a row each, BLOCK actions with
#                                   their ledger entries, conflicts)
#     vigil-enforce --full again    steady state: nothing changes
#     --workers 2                   the first pass with two sessions
#     baseline                      the same statements one employee per batch
#                                   (--batch-size 1: claim, evaluate, conflicts,
#                                   ledger, commit for each employee), run on
#                                   BASE_EMPLOYEES (2000) employees named with
#                                   --employee and extrapolated per employee
#
# Prints employees/s and ratios; never fails on a timing.
set -eu
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
PATH=$TOP/bin:$PATH
AS_OF=2026-06-01T00:00:00Z
if [ "${BENCH_LARGE:-0}" = 1 ]; then EMPLOYEES=${BENCH_EMPLOYEES:-1000000}; else EMPLOYEES=${BENCH_EMPLOYEES:-200000}; fi
BASE=${BASE_EMPLOYEES:-2000}

q() { psql -X -A -t -q -v ON_ERROR_STOP=1 -c "$1"; }
now() { date +%s.%N; }
secs() { echo "$2 - $1" | bc -l | xargs printf '%.2f'; }
per_s() { echo "$1 / $2" | bc -l | xargs printf '%.0f'; }
. "$TOP/tests/bench/lib.sh"

psql -X -q -d postgres -c "DROP DATABASE IF EXISTS bench_enforce_src" >/dev/null 2>&1
psql -X -q -d postgres -v ON_ERROR_STOP=1 -c "CREATE DATABASE bench_enforce_src TEMPLATE vigil_template" >/dev/null
export PGDATABASE=bench_enforce_src
t0=$(now)
"$TOP/samples/generate" --orgs 20 --employees "$EMPLOYEES" --certs $((EMPLOYEES * 3 / 2)) --due $((EMPLOYEES / 10)) >/dev/null
q "INSERT INTO vigil.work_windows (id, organization_id, name, start_time, end_time, status)
   SELECT md5('bench-window' || o.id)::uuid, o.id, 'night shift', '$AS_OF'::timestamptz, '$AS_OF'::timestamptz + interval '8 hours', 'scheduled'
   FROM vigil.organizations o;
   INSERT INTO vigil.work_window_assignments (work_window_id, employee_id)
   SELECT md5('bench-window' || e.organization_id)::uuid, e.id FROM vigil.employees e WHERE hashtext(e.id::text) % 40 = 0" >/dev/null
q "VACUUM ANALYZE" >/dev/null
active=$(q "SELECT count(*) FROM vigil.employees WHERE status = 'active'")
echo "generated $EMPLOYEES employees ($active active) in $(secs "$t0" "$(now)") s"
TMP_IDS=$(mktemp)
trap 'rm -f "$TMP_IDS"' EXIT
q "SELECT id FROM vigil.employees WHERE status = 'active' ORDER BY md5(id::text) LIMIT $BASE" >"$TMP_IDS"

fresh bench_enforce_run bench_enforce_src
t0=$(now)
vigil-enforce -q --full --as-of $AS_OF
t_full=$(secs "$t0" "$(now)")
blocked=$(q "SELECT count(*) FROM vigil.employee_enforcement WHERE is_blocked")
conflicts=$(q "SELECT count(*) FROM vigil.enforcement_actions WHERE action_type = 'WORK_WINDOW_CONFLICT'")
t0=$(now)
vigil-enforce -q --full --as-of $AS_OF
t_steady=$(secs "$t0" "$(now)")

fresh bench_enforce_workers bench_enforce_src
t0=$(now)
vigil-enforce -q --full --as-of $AS_OF --workers 2
t_workers=$(secs "$t0" "$(now)")

fresh bench_enforce_base bench_enforce_src
args=()
while read -r id; do args+=(--employee "$id"); done <"$TMP_IDS"
t0=$(now)
vigil-enforce -q --batch-size 1 --as-of $AS_OF "${args[@]}"
t_base=$(secs "$t0" "$(now)")
t0=$(now)
vigil-enforce -q --batch-size 1 --as-of $AS_OF "${args[@]}"
t_base_steady=$(secs "$t0" "$(now)")

rate_full=$(per_s "$active" "$t_full")
rate_steady=$(per_s "$active" "$t_steady")
rate_base=$(per_s "$BASE" "$t_base")
rate_base_steady=$(per_s "$BASE" "$t_base_steady")
echo "vigil-enforce --full, $active active employees (each on a fresh copy):"
printf '  %-46s %8s s  %8s employees/s  (%s blocked, %s conflicts)\n' "first pass (batch 5000)" "$t_full" "$rate_full" "$blocked" "$conflicts"
printf '  %-46s %8s s  %8s employees/s\n' "first pass, --workers 2" "$t_workers" "$(per_s "$active" "$t_workers")"
printf '  %-46s %8s s  %8s employees/s\n' "steady state (second pass, nothing changes)" "$t_steady" "$rate_steady"
printf '  %-46s %8s s  %8s employees/s  (%s employees, extrapolated)\n' "baseline, one employee per batch, first pass" "$t_base" "$rate_base" "$BASE"
printf '  %-46s %8s s  %8s employees/s\n' "baseline, one employee per batch, steady" "$t_base_steady" "$rate_base_steady"
echo "ratios:"
echo "  first pass:   vigil-enforce / baseline = $(echo "$rate_full / $rate_base" | bc -l | xargs printf '%.1f')x"
echo "  steady state: vigil-enforce / baseline = $(echo "$rate_steady / $rate_base_steady" | bc -l | xargs printf '%.1f')x"
[ "${BENCH_LARGE:-0}" = 1 ] || echo "  (200k employees by default; BENCH_LARGE=1 runs 1M)"

for db in bench_enforce_run bench_enforce_workers bench_enforce_base bench_enforce_src; do
	psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1
done
