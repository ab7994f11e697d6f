#!/bin/bash
# bench_verify — vigil-verify --ledger on BENCH_LEDGER_ROWS ledger entries
# (default 1000000). Baseline, same run: the database recomputing the same
# hashes itself in one set-based query (sha256 over vigil.ledger_canonical),
# which reads the same rows without shipping them to a client. Prints
# entries/s of both and their ratio, and vigil-verify's peak RSS at two
# sizes (the cursor keeps it flat).
set -u
. "$TOP/tests/lib.sh"
ROWS=${BENCH_LEDGER_ROWS:-1000000}
newdb bench_verify

echo "generating $ROWS ledger entries (the trigger chains each one)..."
t0=$(date +%s.%N)
q "INSERT INTO vigil.ledger (event_type, entity_type, entity_id, actor, payload)
   SELECT 'bench.event', 'certification', 'c' || g, 'bench',
          jsonb_build_object('n', g, 'note', repeat('x', 40))
   FROM generate_series(1, $ROWS) g" >/dev/null
echo "generated in $(echo "$(date +%s.%N) - $t0" | bc) s"
N=$(q "SELECT count(*) FROM vigil.ledger")

t0=$(date +%s.%N)
bad=$(q "SELECT count(*) FROM vigil.ledger l
         WHERE l.entry_hash <> sha256(l.prev_hash || convert_to(vigil.ledger_canonical(l), 'UTF8'))")
t_sql=$(echo "$(date +%s.%N) - $t0" | bc)
[ "$bad" = 0 ] || { echo "baseline found $bad bad rows"; exit 1; }

/usr/bin/time -f '%M' -o "$TMP/rss" vigil-verify --ledger >"$TMP/vout" 2>"$TMP/verr" || { cat "$TMP/vout" "$TMP/verr"; exit 1; }
rss_full=$(cat "$TMP/rss")
rate=$(sed -n 's/.*entries_per_s=\([0-9]*\).*/\1/p' "$TMP/verr")
secs=$(sed -n 's/.*seconds=\([0-9.]*\).*/\1/p' "$TMP/verr")
/usr/bin/time -f '%M' -o "$TMP/rss" vigil-verify --ledger --to 10000 >/dev/null 2>&1
rss_small=$(cat "$TMP/rss")
rate_sql=$(echo "$N / $t_sql" | bc)

printf 'entries:                          %d\n' "$N"
printf 'vigil-verify --ledger:            %.2f s, %d entries/s\n' "$secs" "$rate"
printf 'baseline (SQL recompute, no I/O): %.2f s, %d entries/s\n' "$t_sql" "$rate_sql"
printf 'ratio vigil-verify / baseline:    %.2f\n' "$(echo "scale=2; $rate / $rate_sql" | bc)"
printf 'peak RSS: 10000 entries %d KiB, %d entries %d KiB\n' "$rss_small" "$N" "$rss_full"
