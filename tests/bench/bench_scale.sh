#!/bin/bash
# bench_scale.sh — how every job's time and memory grow with the data stored
# (issue 7, "Scale").
#
#   Two sizes S of certifications: 200k and 2M by default (about 10 minutes
#   on the 2-core machine), 1M and 10M with BENCH_LARGE=1 (BENCH_SIZES="A B"
#   to choose). For each size one source database (samples/generate):
#     S certifications, S/10 employees in 20 organizations, a fixed 100,000
#     due at the as-of (as bench_expire), S/100 RED zones past their deadline,
#     S/5 audit_trails rows of which S/25 are past the 7-day retention, and
#     the ledger pre-filled with S entries by one INSERT ... SELECT (the chain
#     trigger links each one; that generation is timed, and when S entries
#     would take longer than BENCH_LEDGER_BUDGET seconds at the rate measured
#     on the smaller size, the largest count that fits is used and printed).
#   Every job runs once, on its own checkpointed copy (fresh,
#   tests/bench/lib.sh), at the fixed as-of 2026-06-01T00:00:00Z:
#     vigil-expire --workers 1, vigil-enforce --full --workers 1,
#     vigil-escalate, vigil-retain --policy audit_trails, vigil-verify --ledger
#   timed with /usr/bin/time -f '%e %M' (wall seconds; peak RSS of the job's
#   own process — the PostgreSQL backends' memory is not in it). Throughput is
#   the job's own count from its summary line per wall second. Then, on the
#   larger size, vigil-expire and vigil-enforce --full with --workers 2 and 4
#   (fresh copy each; --workers 1 is the run above).
#
# Prints the figures, the ratio time(large) / time(small) per job and a final
# table; never fails on a timing (the machine is small and noisy). Fails when
# a job exits non-zero or does not do the work the data calls for.
set -eu
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
PATH=$TOP/bin:$PATH
AS_OF=2026-06-01T00:00:00Z
DUE=${BENCH_DUE:-100000}
if [ "${BENCH_LARGE:-0}" = 1 ]; then
	SIZES=${BENCH_SIZES:-"1000000 10000000"}
	LEDGER_BUDGET=${BENCH_LEDGER_BUDGET:-600}
	MODE="BENCH_LARGE=1"
else
	SIZES=${BENCH_SIZES:-"200000 2000000"}
	LEDGER_BUDGET=${BENCH_LEDGER_BUDGET:-60}
	MODE="default (BENCH_LARGE=1 for 1M and 10M)"
fi
read -r SMALL LARGE <<<"$SIZES"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/vigil-bench-scale.XXXXXX")
DBS=(bench_scale_run)   # dropped on exit: the copy each job runs on, and what build() adds
cleanup() {
	for db in "${DBS[@]}"; do psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true; done
	rm -rf "$TMP"
}
trap cleanup EXIT

q() { psql -X -A -t -q -v ON_ERROR_STOP=1 -c "$1"; }
now() { date +%s.%N; }
secs() { echo "$2 - $1" | bc -l | xargs printf '%.1f'; }
fmt() { echo "$1" | awk '{ if ($1 >= 1000000) printf "%gM", $1 / 1000000; else if ($1 >= 1000) printf "%gk", $1 / 1000; else print $1 }'; }
. "$TOP/tests/bench/lib.sh"

echo "sizes: $(fmt "$SMALL") and $(fmt "$LARGE") certifications, $MODE; ledger budget ${LEDGER_BUDGET} s"

LEDGER_RATE=
# build S: the source database bench_scale_S
build() {
	local s=$1 db=bench_scale_$1 t0 t_gen t_led t_vac ledger
	psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1
	psql -X -q -d postgres -v ON_ERROR_STOP=1 -c "CREATE DATABASE $db TEMPLATE vigil_template" >/dev/null
	DBS+=("$db")
	export PGDATABASE=$db
	t0=$(now)
	"$TOP/samples/generate" --orgs 20 --employees $((s / 10)) --certs "$s" --due $DUE --zones $((s / 100)) >/dev/null
	# audit trails in time order: the first S/25 older than the 7-day cutoff
	q "INSERT INTO vigil.audit_trails (id, message_id, project_id, \"timestamp\", model, tokens, cost, created_at, updated_at)
	   SELECT md5('scale-trail-' || g)::uuid, 'scale-' || g, pr.ids[g % array_length(pr.ids, 1) + 1], ts,
	          'assistant-large-2026-04', '{\"input\": 812, \"output\": 164}', '{\"usd\": 0.0042}', ts, ts
	   FROM (SELECT array_agg(id ORDER BY id) AS ids FROM vigil.projects) pr,
	        LATERAL (SELECT g, CASE WHEN g <= $((s / 25))
	                 THEN '$AS_OF'::timestamptz - interval '7 days' - make_interval(secs => ($((s / 25)) - g + 1) * 2)
	                 ELSE '$AS_OF'::timestamptz - interval '7 days' + make_interval(secs => (g - $((s / 25))) * (600000.0 / $((s / 5 - s / 25))))
	                 END AS ts FROM generate_series(1, $((s / 5))) g) x" >/dev/null
	t_gen=$(secs "$t0" "$(now)")
	ledger=$s
	if [ -n "$LEDGER_RATE" ]; then
		local fit
		fit=$(echo "$LEDGER_RATE * $LEDGER_BUDGET" | bc -l | xargs printf '%.0f')
		if [ "$fit" -lt "$ledger" ]; then
			echo "  ledger: $(fmt "$s") entries would take about $(echo "$s / $LEDGER_RATE" | bc) s at the measured $LEDGER_RATE entries/s, over the ${LEDGER_BUDGET} s budget: using $fit"
			ledger=$fit
		fi
	fi
	t0=$(now)
	q "INSERT INTO vigil.ledger (event_type, entity_type, entity_id, actor, payload)
	   SELECT 'bench.event', 'certification', 'c' || g, 'bench', jsonb_build_object('n', g, 'note', repeat('x', 40))
	   FROM generate_series(1, $ledger) g" >/dev/null
	t_led=$(secs "$t0" "$(now)")
	[ -n "$LEDGER_RATE" ] || LEDGER_RATE=$(echo "$ledger / $t_led" | bc)
	t0=$(now)
	q "VACUUM ANALYZE" >/dev/null
	t_vac=$(secs "$t0" "$(now)")
	eval "LEDGER_$s=$ledger"
	echo "  built $(fmt "$s"): $s certifications ($DUE due), $((s / 10)) employees, $((s / 100)) zones, $((s / 5)) audit trails in $t_gen s;" \
		"$ledger ledger entries in $t_led s ($(echo "$ledger / $t_led" | bc) entries/s); VACUUM ANALYZE $t_vac s;" \
		"$(q "SELECT pg_size_pretty(pg_database_size(current_database()))")"
}

# job KEY SIZE COUNT_FIELD PROGRAM ARGS...: runs on a fresh copy of SIZE's
# database, records KEY_SIZE_{t,rss,n}
job() {
	local key=$1 s=$2 field=$3 rc=0 t rss n
	shift 3
	fresh "bench_scale_run" "bench_scale_$s"
	/usr/bin/time -f '%e %M' -o "$TMP/time" "$@" 2>"$TMP/log" >/dev/null || rc=$?
	if [ $rc -ne 0 ]; then
		echo "bench_scale: $* exited $rc on $(fmt "$s"):" >&2
		tail -n 5 "$TMP/log" >&2
		exit 1
	fi
	read -r t rss <"$TMP/time"
	n=$(sed -n "s/.* $field=\([0-9]*\).*/\1/p" "$TMP/log" | tail -n 1)
	[ -n "$n" ] && [ "$n" -gt 0 ] || { echo "bench_scale: $1 did no work on $(fmt "$s"): $(tail -n 1 "$TMP/log")" >&2; exit 1; }
	eval "T_${key}_$s=$t RSS_${key}_$s=$rss N_${key}_$s=$n"
	printf '  %-34s %8s s  %9d %-10s %9.0f /s  peak RSS %6.1f MB\n' "$key" "$t" "$n" "$field" \
		"$(echo "$n / $t" | bc -l)" "$(echo "$rss / 1024" | bc -l)"
}

run_all() {
	local s=$1 exp
	echo "jobs on $(fmt "$s") certifications (each on a fresh copy):"
	job expire "$s" expired vigil-expire --as-of $AS_OF --workers 1
	exp=$(q "SELECT count(*) FROM vigil.ledger WHERE event_type = 'certification.expired'")
	[ "$exp" = $DUE ] || { echo "bench_scale: vigil-expire expired $exp, $DUE are due" >&2; exit 1; }
	eval "NOTICES_$s=$(sed -n 's/.* notices=\([0-9]*\).*/\1/p' "$TMP/log" | tail -n 1)"
	echo "    (expire also queued $(eval echo "\$NOTICES_$s") expiry warnings: they grow with the certifications stored)"
	job enforce "$s" evaluated vigil-enforce --full --as-of $AS_OF --workers 1
	job escalate "$s" escalated vigil-escalate --as-of $AS_OF
	job retain "$s" deleted vigil-retain --policy audit_trails --as-of $AS_OF
	[ "$(eval echo "\$N_retain_$s")" = $((s / 25)) ] || { echo "bench_scale: vigil-retain deleted $(eval echo "\$N_retain_$s"), $((s / 25)) are expired" >&2; exit 1; }
	job verify "$s" checked vigil-verify --ledger
}

build "$SMALL"
run_all "$SMALL"
build "$LARGE"
run_all "$LARGE"

echo "workers on $(fmt "$LARGE") certifications (fresh copy each; 1 worker is the run above):"
T_expire_w1=$(eval echo "\$T_expire_$LARGE") RSS_expire_w1=$(eval echo "\$RSS_expire_$LARGE") N_expire_w1=$(eval echo "\$N_expire_$LARGE")
T_enforce_w1=$(eval echo "\$T_enforce_$LARGE") RSS_enforce_w1=$(eval echo "\$RSS_enforce_$LARGE") N_enforce_w1=$(eval echo "\$N_enforce_$LARGE")
for w in 2 4; do
	job expire_w$w "$LARGE" expired vigil-expire --as-of $AS_OF --workers $w
	eval "T_expire_w$w=\$T_expire_w${w}_$LARGE RSS_expire_w$w=\$RSS_expire_w${w}_$LARGE N_expire_w$w=\$N_expire_w${w}_$LARGE"
	job enforce_w$w "$LARGE" evaluated vigil-enforce --full --as-of $AS_OF --workers $w
	eval "T_enforce_w$w=\$T_enforce_w${w}_$LARGE RSS_enforce_w$w=\$RSS_enforce_w${w}_$LARGE N_enforce_w$w=\$N_enforce_w${w}_$LARGE"
done

S=$(fmt "$SMALL") L=$(fmt "$LARGE")
echo
echo "scale summary ($MODE): $S -> $L certifications; throughput = the job's count / wall second; RSS = the job's process only"
printf '| %-8s | %-19s | %9s | %9s | %11s | %11s | %11s | %11s | %8s |\n' job "count ($S / $L)" "$S s" "$L s" "$S /s" "$L /s" "$S RSS MB" "$L RSS MB" "time x"
printf '|%s|%s|%s|%s|%s|%s|%s|%s|%s|\n' ---------- --------------------- ----------: ----------: ------------: ------------: ------------: ------------: ---------:
for key in expire enforce escalate retain verify; do
	eval "ts=\$T_${key}_$SMALL tl=\$T_${key}_$LARGE ns=\$N_${key}_$SMALL nl=\$N_${key}_$LARGE rs=\$RSS_${key}_$SMALL rl=\$RSS_${key}_$LARGE"
	printf '| %-8s | %-19s | %9s | %9s | %11.0f | %11.0f | %11.1f | %11.1f | %8.2f |\n' "$key" "$ns / $nl" \
		"$ts" "$tl" "$(echo "$ns / $ts" | bc -l)" "$(echo "$nl / $tl" | bc -l)" \
		"$(echo "$rs / 1024" | bc -l)" "$(echo "$rl / 1024" | bc -l)" "$(echo "$tl / $ts" | bc -l)"
done
echo
echo "workers on $L ($N_expire_w1 expired, $N_enforce_w1 employees evaluated):"
printf '| %-19s | %9s | %11s | %11s | %8s |\n' job "time s" "items/s" "RSS MB" "speed-up"
printf '|%s|%s|%s|%s|%s|\n' --------------------- ----------: ------------: ------------: ---------:
for key in expire enforce; do
	for w in 1 2 4; do
		eval "t=\$T_${key}_w$w n=\$N_${key}_w$w r=\$RSS_${key}_w$w t1=\$T_${key}_w1"
		printf '| %-19s | %9s | %11.0f | %11.1f | %8.2f |\n' "$key --workers $w" "$t" "$(echo "$n / $t" | bc -l)" \
			"$(echo "$r / 1024" | bc -l)" "$(echo "$t1 / $t" | bc -l)"
	done
done
eval "echo \"ledger entries pre-filled: $S: \$LEDGER_$SMALL, $L: \$LEDGER_$LARGE\""
eval "echo \"expiry warnings queued by expire: $S: \$NOTICES_$SMALL, $L: \$NOTICES_$LARGE\""
