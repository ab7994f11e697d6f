#!/bin/bash
# bench_retain — vigil-retain purging expired audit_trails rows in batches,
# against one unbatched DELETE of the same rows on an identical copy of the
# database (CREATE DATABASE ... TEMPLATE), in the same run.
#
# Reports rows/s for both and the longest time any single transaction held
# its row locks: for vigil-retain the slowest batch (max_batch_ms, timed in
# C from BEGIN to COMMIT), for the baseline the whole DELETE.
#
# Default size: 1,000,000 rows of which 200,000 expired (fits the ~5 minute
# bench budget on a 2-core machine). BENCH_LARGE=1: 5,000,000 rows of which
# 1,000,000 expired, the size of the issue. 1% of the rows belong to a
# project under a legal hold and must survive.
set -eu
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
BIN=$TOP/bin
if [ "${BENCH_LARGE:-0}" = 1 ]; then
	TOTAL=5000000 EXPIRED=1000000
else
	TOTAL=1000000 EXPIRED=200000
fi
BATCH=${BENCH_BATCH:-5000}
REF=2026-06-01T00:00:00Z
DB=bench_retain
BASE=bench_retain_unbatched

LOG=$(mktemp)
trap 'rm -f "$LOG"' EXIT
now() { date +%s.%N; }
q() { psql -X -A -t -q -v ON_ERROR_STOP=1 -d "$1" -c "$2"; }

psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB" -c "DROP DATABASE IF EXISTS $BASE" >/dev/null 2>&1
psql -X -q -d postgres -v ON_ERROR_STOP=1 -c "CREATE DATABASE $DB TEMPLATE vigil_template" >/dev/null

t0=$(now)
# 100 projects in 10 organizations; project 1 is under a legal hold. Rows are
# chronological (the heap in time order, as the application writes them):
# the first EXPIRED are older than the 7-day cutoff, 2 s apart; the rest are
# spread over the 7 days before as-of.
q $DB "
INSERT INTO vigil.organizations (id, name)
	SELECT md5('bench-org-' || o)::uuid, 'bench org ' || o FROM generate_series(1, 10) o;
INSERT INTO vigil.projects (id, organization_id, name)
	SELECT md5('bench-project-' || p)::uuid, md5('bench-org-' || (p % 10 + 1))::uuid, 'bench project ' || p
	FROM generate_series(1, 100) p;
INSERT INTO vigil.legal_holds (scope_type, scope_id, reason)
	VALUES ('project', md5('bench-project-1')::uuid, 'bench hold');
INSERT INTO vigil.audit_trails (id, message_id, project_id, \"timestamp\", model, tokens, cost, created_at, updated_at)
SELECT md5('bench-trail-' || g)::uuid, 'bench-' || g, md5('bench-project-' || (g % 100 + 1))::uuid, ts,
	'assistant-large-2026-04', '{\"input\": 812, \"output\": 164}', '{\"usd\": 0.0042}', ts, ts
FROM (SELECT g, CASE WHEN g <= $EXPIRED
		THEN '$REF'::timestamptz - interval '7 days' - make_interval(secs => ($EXPIRED - g + 1) * 2)
		ELSE '$REF'::timestamptz - interval '7 days' + make_interval(secs => (g - $EXPIRED) * (604800.0 / ($TOTAL - $EXPIRED + 1)))
		END AS ts
	FROM generate_series(1, $TOTAL) g) s;"
psql -X -q -d $DB -c "VACUUM ANALYZE vigil.audit_trails" >/dev/null
t1=$(now)
psql -X -q -d postgres -v ON_ERROR_STOP=1 -c "CREATE DATABASE $BASE TEMPLATE $DB" >/dev/null
held=$(q $DB "SELECT count(*) FROM vigil.audit_trails WHERE \"timestamp\" < '$REF'::timestamptz - interval '7 days' AND project_id = md5('bench-project-1')::uuid")
printf 'data: %d audit_trails rows, %d expired (%d of them under a legal hold); generated in %.1fs\n' \
	"$TOTAL" "$EXPIRED" "$held" "$(echo "$t1 - $t0" | bc)"

# vigil-retain, batched.
t0=$(now)
"$BIN/vigil-retain" -d "dbname=$DB" --policy audit_trails --as-of $REF --batch-size "$BATCH" 2>"$LOG" || {
	cat "$LOG"; exit 1; }
t1=$(now)
summary=$(grep -E "status=succeeded" "$LOG" | tail -n 1)
deleted=$(echo "$summary" | sed -E 's/.* deleted=([0-9]+) .*/\1/')
batches=$(echo "$summary" | sed -E 's/.* batches=([0-9]+) .*/\1/')
max_ms=$(echo "$summary" | sed -E 's/.* max_batch_ms=([0-9]+) .*/\1/')
rm -f "$LOG"
retain_s=$(echo "$t1 - $t0" | bc)

# Baseline: the same rows in one DELETE (the hold rule as vigil-retain writes it).
t0=$(now)
base_deleted=$(q $BASE "WITH d AS (DELETE FROM vigil.audit_trails s WHERE s.\"timestamp\" < '$REF'::timestamptz - interval '7 days'
	AND NOT (EXISTS (SELECT 1 FROM vigil.legal_holds h WHERE h.released_at IS NULL AND h.scope_type = 'project' AND h.scope_id = s.project_id)
	      OR EXISTS (SELECT 1 FROM vigil.projects p JOIN vigil.legal_holds h ON h.released_at IS NULL AND h.scope_type = 'organization'
	                 AND h.scope_id = p.organization_id WHERE p.id = s.project_id)) RETURNING 1) SELECT count(*) FROM d")
t1=$(now)
base_s=$(echo "$t1 - $t0" | bc)

left=$(q $DB "SELECT count(*) FROM vigil.audit_trails")
base_left=$(q $BASE "SELECT count(*) FROM vigil.audit_trails")
[ "$deleted" = "$base_deleted" ] && [ "$left" = "$base_left" ] || {
	echo "bench_retain: vigil-retain deleted $deleted (left $left), the baseline $base_deleted (left $base_left)"; exit 1; }

printf 'vigil-retain:     %d rows deleted in %.2fs = %.0f rows/s; %d batches of %d; longest batch held its locks %d ms\n' \
	"$deleted" "$retain_s" "$(echo "$deleted / $retain_s" | bc -l)" "$batches" "$BATCH" "$max_ms"
printf 'one DELETE:       %d rows deleted in %.2fs = %.0f rows/s; held its locks %.0f ms\n' \
	"$base_deleted" "$base_s" "$(echo "$base_deleted / $base_s" | bc -l)" "$(echo "$base_s * 1000" | bc -l)"
printf 'ratios:           throughput %.2fx the unbatched DELETE; longest lock hold %.4fx (%.1f times shorter)\n' \
	"$(echo "$base_s / $retain_s" | bc -l)" "$(echo "$max_ms / ($base_s * 1000)" | bc -l)" \
	"$(echo "($base_s * 1000) / ($max_ms + 0.001)" | bc -l)"

psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB" -c "DROP DATABASE IF EXISTS $BASE" >/dev/null 2>&1 || true
