#!/bin/bash
# bench_escalate — vigil-escalate raising 100,000 RED zones past their
# readiness deadline (BENCH_ZONES to change), in batches, reported as zones/s.
#
# Baseline, in the same run on an identical copy (CREATE DATABASE ...
# TEMPLATE): one bare UPDATE of the same zones' level and deadline — the least
# work any escalation can do, without the escalation events, ledger entries
# and outbox rows vigil-escalate writes. The ratio is the price of those.
set -eu
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
BIN=$TOP/bin
ZONES=${BENCH_ZONES:-100000}
BATCH=${BENCH_BATCH:-5000}
REF=2026-06-01T00:00:00Z
DB=bench_escalate
BASE=bench_escalate_update
LOG=$(mktemp)
trap 'rm -f "$LOG"' EXIT

now() { date +%s.%N; }
q() { psql -X -A -t -q -v ON_ERROR_STOP=1 -d "$1" -c "$2"; }

psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB" -c "DROP DATABASE IF EXISTS $BASE" >/dev/null 2>&1
psql -X -q -d postgres -v ON_ERROR_STOP=1 -c "CREATE DATABASE $DB TEMPLATE vigil_template" >/dev/null

t0=$(now)
# 1000 projects in 10 organizations; every zone requires a photo it does not
# have (RED), at levels 0, 1, 2 alike, 1 to 2000 minutes past its deadline so
# that most but not all are due.
q $DB "
INSERT INTO vigil.organizations (id, name)
	SELECT md5('bench-org-' || o)::uuid, 'bench org ' || o FROM generate_series(1, 10) o;
INSERT INTO vigil.projects (id, organization_id, name)
	SELECT md5('bench-project-' || p)::uuid, md5('bench-org-' || (p % 10 + 1))::uuid, 'bench project ' || p
	FROM generate_series(1, 1000) p;
INSERT INTO vigil.zones (id, project_id, name, required_proof_types, required_proof_count, current_escalation_level, readiness_deadline)
SELECT md5('bench-zone-' || g)::uuid, md5('bench-project-' || (g % 1000 + 1))::uuid, 'bench zone ' || g, '{photo}', 1,
	g % 3, '$REF'::timestamptz - make_interval(mins => 1 + (g * 7919) % 2000)
FROM generate_series(1, $ZONES) g;"
psql -X -q -d $DB -c "VACUUM ANALYZE vigil.zones" >/dev/null
t1=$(now)
psql -X -q -d postgres -v ON_ERROR_STOP=1 -c "CREATE DATABASE $BASE TEMPLATE $DB" >/dev/null
due=$(q $DB "SELECT count(*) FROM vigil.zones WHERE computed_status = 'RED' AND readiness_deadline
	+ make_interval(mins => (ARRAY[0, 480, 960])[current_escalation_level + 1]) <= '$REF'")
printf 'data: %d RED zones past their deadline, %d due at the default policy; generated in %.1fs\n' \
	"$ZONES" "$due" "$(echo "$t1 - $t0" | bc)"

t0=$(now)
"$BIN/vigil-escalate" -d "dbname=$DB" --as-of $REF --batch-size "$BATCH" 2>"$LOG" || { cat "$LOG"; exit 1; }
t1=$(now)
esc_s=$(echo "$t1 - $t0" | bc)
summary=$(grep -E 'status=succeeded' "$LOG" | tail -n 1)
escalated=$(echo "$summary" | sed -E 's/.* escalated=([0-9]+) .*/\1/')
notified=$(echo "$summary" | sed -E 's/.* notified=([0-9]+) .*/\1/')
[ "$escalated" = "$due" ] || { echo "bench_escalate: escalated $escalated zones, $due were due"; exit 1; }

t0=$(now)
updated=$(q $BASE "WITH u AS (UPDATE vigil.zones SET current_escalation_level = current_escalation_level + 1,
	last_escalated_at = '$REF', readiness_deadline = '$REF'::timestamptz + interval '1 day'
	WHERE computed_status = 'RED' AND current_escalation_level < 3 AND readiness_deadline
	+ make_interval(mins => (ARRAY[0, 480, 960])[current_escalation_level + 1]) <= '$REF' RETURNING 1) SELECT count(*) FROM u")
t1=$(now)
base_s=$(echo "$t1 - $t0" | bc)

printf 'vigil-escalate:   %d zones escalated (%d events, %d ledger entries, %d outbox rows) in %.2fs = %.0f zones/s, batches of %d\n' \
	"$escalated" "$(q $DB "SELECT count(*) FROM vigil.escalation_events")" \
	"$(q $DB "SELECT count(*) FROM vigil.ledger WHERE event_type = 'zone.escalated'")" "$notified" \
	"$esc_s" "$(echo "$escalated / $esc_s" | bc -l)" "$BATCH"
printf 'one bare UPDATE:  %d zones updated in %.2fs = %.0f zones/s\n' "$updated" "$base_s" "$(echo "$updated / $base_s" | bc -l)"
printf 'ratio:            vigil-escalate takes %.1fx the time of the bare UPDATE\n' "$(echo "$esc_s / $base_s" | bc -l)"

# A rerun at the same as-of has nothing to do: what a 15-minute timer costs
# when nothing is due.
t0=$(now)
"$BIN/vigil-escalate" -d "dbname=$DB" --as-of $REF --batch-size "$BATCH" 2>"$LOG" || { cat "$LOG"; exit 1; }
t1=$(now)
printf 'idle rerun:       %.2fs with %d RED zones and nothing due\n' "$(echo "$t1 - $t0" | bc)" "$ZONES"

psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB" -c "DROP DATABASE IF EXISTS $BASE" >/dev/null 2>&1 || true
