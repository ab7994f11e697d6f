#!/bin/bash
# t_expire.sh — vigil-expire on the samples fixture (every rule and boundary of
# DESIGN §4 and issue 3), idempotency, dry run, the partial index, --workers,
# the job lock, and kill -9 at random moments followed by a rerun.
#
# KILL_TRIALS=N (default 10) sets how many kill -9 trials run.
. "$(dirname "$0")/../lib.sh"

AS_OF=2026-06-01T00:00:00Z
C=30000000-0000-4000-8000-0000000000
E=20000000-0000-4000-8000-0000000000

program_help_ok vigil-expire
program_version_ok vigil-expire
program_options_handling_ok vigil-expire
exits 64 "--workers 0 is a usage error" vigil-expire --workers 0
like "$ERR" "invalid --workers" "the message names --workers"
exits 64 "a positional argument is a usage error" vigil-expire extra
exits 64 "a malformed --as-of is a usage error" vigil-expire --as-of yesterday

newdb
load_samples

# Everything vigil-expire may change, in one comparable text.
snapshot() {
	q "SELECT (SELECT string_agg(id || ':' || status || ':' || updated_at, ',' ORDER BY id) FROM vigil.certifications)
	  || '|' || (SELECT coalesce(string_agg(certification_id || ':' || is_blocked || ':' || coalesce(reason, '') || ':' || evaluated_at, ',' ORDER BY certification_id), '') FROM vigil.certification_enforcement)
	  || '|' || (SELECT coalesce(string_agg(employee_id || ':' || enqueued_at, ',' ORDER BY employee_id), '') FROM vigil.enforcement_queue)
	  || '|' || (SELECT string_agg(dedupe_key, ',' ORDER BY dedupe_key) FROM vigil.notification_outbox)
	  || '|' || (SELECT count(*) FROM vigil.ledger WHERE event_type <> 'job.finished')"
}

# --- dry run first: it reports the counts and changes nothing ---------------
before=$(snapshot)
ledger_before=$(q "SELECT count(*) FROM vigil.ledger")
exits 0 "dry run exits 0" vigil-expire --as-of $AS_OF --dry-run
like "$ERR" "status=dry-run .*expired=5 notices=9 null_expiration=1 " "dry run reports what it would do"
is "$(snapshot)" "$before" "dry run changes no row"
is "$(q "SELECT count(*) FROM vigil.ledger")" "$ledger_before" "dry run appends no ledger entry"
is "$(q "SELECT count(*) FROM vigil.job_runs")" "0" "dry run records no job run"

# --- the sweep at the reference as-of ---------------------------------------
exits 0 "vigil-expire exits 0" vigil-expire --as-of $AS_OF
like "$ERR" "info vigil-expire run=[0-9]+ status=succeeded expired=5 notices=9 null_expiration=1 batches=[0-9]+ ms=[0-9]+" \
	"summary line carries the counts"
is "$(printf '%s\n' "$ERR" | grep -c 'have no expiration_date')" "1" "null expiration_date logged once per run"
like "$ERR" "warning vigil-expire 1 PASS or INCOMPLETE certifications have no expiration_date" "the log line gives the count"

is "$(q "SELECT string_agg(right(id::text, 2), ' ' ORDER BY id) FROM vigil.certifications WHERE status = 'EXPIRED'")" \
	"02 03 08 12 15 17" "exactly C02 (= as-of), C03, C08 (INCOMPLETE), C12 (inactive employee), C17 (1 µs before) expired, C15 as before"
is "$(q "SELECT status FROM vigil.certifications WHERE id = '${C}18'")" "INCOMPLETE" "C18 (1 µs after as-of) is not due"
is "$(q "SELECT status FROM vigil.certifications WHERE id = '${C}19'")" "PASS" "non-expiring C19 with a past date never expires"
is "$(q "SELECT status FROM vigil.certifications WHERE id = '${C}09'")" "PASS" "C09 with a NULL expiration_date is left alone"
is "$(q "SELECT status FROM vigil.certifications WHERE id = '${C}14'")" "REVOKED" "REVOKED C14 is not touched"
is "$(q "SELECT string_agg(right(id::text, 2), ' ' ORDER BY id) FROM vigil.certifications WHERE updated_at >= (SELECT started_at FROM vigil.job_runs ORDER BY id DESC LIMIT 1)")" \
	"02 03 08 12 17" "updated_at set on the newly expired only"

is "$(q "SELECT string_agg(right(entity_id, 2) || '=' || (payload->>'old_status'), ' ' ORDER BY entity_id) FROM vigil.ledger WHERE event_type = 'certification.expired'")" \
	"02=PASS 03=PASS 08=INCOMPLETE 12=PASS 17=PASS" "one certification.expired entry per certification with the old status"
is "$(q "SELECT payload->>'expiration_date' || ' ' || (payload->>'employee_id') || ' ' || entity_type || ' ' || actor || ' ' || (run_id = (SELECT max(id) FROM vigil.job_runs)) FROM vigil.ledger WHERE event_type = 'certification.expired' AND entity_id = '${C}17'")" \
	"2026-05-31T23:59:59.999999Z ${E}11 certification vigil-expire true" "ledger payload: expiration date, employee, actor and run id"
is "$(q "SELECT string_agg(right(certification_id::text, 2) || ':' || is_blocked || ':' || reason, ' ' ORDER BY certification_id) FROM vigil.certification_enforcement WHERE certification_id IN (SELECT id FROM vigil.certifications WHERE status = 'EXPIRED')")" \
	"02:true:expired 03:true:expired 08:true:expired 12:true:expired 15:true:expired 17:true:expired" "certification_enforcement blocked with the reason"
is "$(q "SELECT string_agg(right(employee_id::text, 2), ' ' ORDER BY employee_id) FROM vigil.enforcement_queue")" \
	"01 02 04 09 11" "the employees of the expired certifications are queued"

is "$(q "SELECT string_agg(dedupe_key, ' ' ORDER BY dedupe_key) FROM vigil.notification_outbox WHERE kind = 'certification.expiring'")" \
	"cert-expiring:${C}04:1 cert-expiring:${C}04:30 cert-expiring:${C}04:7 cert-expiring:${C}05:30 cert-expiring:${C}05:7 cert-expiring:${C}06:30 cert-expiring:${C}18:1 cert-expiring:${C}18:30 cert-expiring:${C}18:7" \
	"one warning per certification and horizon it is inside (C04 12h, C05 4d, C06 19d, C18 1µs)"
is "$(q "SELECT payload->>'employee_id' || ' ' || (payload->>'cert_type') || ' ' || (payload->>'expiration_date') || ' ' || organization_id FROM vigil.notification_outbox WHERE dedupe_key = 'cert-expiring:${C}05:7'")" \
	"${E}03 electrical_safety 2026-06-05T00:00:00.000000Z 10000000-0000-4000-8000-000000000001" "warning payload: employee, type, expiration date"

is "$(q "SELECT status || ' ' || (counts->>'expired') || ' ' || (counts->>'notices') || ' ' || (counts->>'null_expiration') || ' ' || (counts->>'batches' > '0') FROM vigil.job_runs ORDER BY id DESC LIMIT 1")" \
	"succeeded 5 9 1 true" "job_runs.counts holds expired, notices, null_expiration, batches"
is "$(q "SELECT payload->'counts'->>'expired' FROM vigil.ledger WHERE event_type = 'job.finished' ORDER BY seq DESC LIMIT 1")" "5" \
	"job.finished ledger entry carries the counts"

# --- idempotency: the same as-of again changes nothing ----------------------
before=$(snapshot)
ledger_before=$(q "SELECT count(*) FROM vigil.ledger")
exits 0 "second run exits 0" vigil-expire --as-of $AS_OF
like "$ERR" "expired=0 notices=0 null_expiration=1" "second run finds nothing to do"
is "$(snapshot)" "$before" "second run changes no row and adds no outbox row"
is "$(q "SELECT count(*) FROM vigil.ledger")" "$((ledger_before + 1))" "second run appends only its job.finished entry"

# --- a later as-of: boundaries move, warnings are never repeated ------------
exits 0 "run as of 2026-06-05" vigil-expire --as-of 2026-06-05T00:00:00Z
is "$(q "SELECT string_agg(right(id::text, 2), ' ' ORDER BY id) FROM vigil.certifications WHERE status = 'EXPIRED'")" \
	"02 03 04 05 08 12 15 17 18" "C04, C05 (exactly at the new as-of) and C18 expire"
is "$(q "SELECT count(*) FROM vigil.notification_outbox WHERE kind = 'certification.expiring'")" "9" \
	"no new warning: C06 was warned at 30 days already, nothing else within 30 days"
exits 0 "run as of 2026-06-20T00:00:00Z" vigil-expire --as-of 2026-06-20T00:00:00Z
is "$(q "SELECT string_agg(dedupe_key, ' ' ORDER BY dedupe_key) FROM vigil.notification_outbox WHERE dedupe_key LIKE 'cert-expiring:${C}16:%'")" \
	"cert-expiring:${C}16:30" "C16 (2026-07-15) warned at 30 days on its first sighting"
exits 0 "run as of 2026-07-10T00:00:00Z" vigil-expire --as-of 2026-07-10T00:00:00Z
is "$(q "SELECT string_agg(dedupe_key, ' ' ORDER BY dedupe_key) FROM vigil.notification_outbox WHERE dedupe_key LIKE 'cert-expiring:${C}16:%'")" \
	"cert-expiring:${C}16:30 cert-expiring:${C}16:7" "then at 7 days, the 30-day warning not repeated"
is "$(q "SELECT count(*) FROM vigil.ledger WHERE event_type = 'certification.expired' GROUP BY entity_id ORDER BY 1 DESC LIMIT 1")" "1" \
	"never more than one certification.expired entry per certification"

# --- configuration: the horizons come from jobs.expire.warn_days ------------
newdb ${_tname}_conf
load_samples
mkdir -p "$TMP/metrics"
printf 'jobs: { expire: { warn_days = [ 2 ]; }; };\nmetrics: { textfile_dir = "%s"; };\n' "$TMP/metrics" >"$TMP/vigil.conf"
# as a login role that is only a member of vigil_jobs: the grants suffice
q "DO \$\$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 't_expire_jobs') THEN CREATE ROLE t_expire_jobs LOGIN IN ROLE vigil_jobs; END IF; END \$\$" >/dev/null
# even on a tiny, freshly analysed table the sweep does not scan it
q "ANALYZE" >/dev/null
q "SELECT pg_stat_reset()" >/dev/null
sleep 0.6
seq_before=$(q "SELECT seq_scan FROM pg_stat_user_tables WHERE relid = 'vigil.certifications'::regclass")
exits 0 "run with warn_days = [2] as a vigil_jobs member" vigil-expire -c "$TMP/vigil.conf" -d "dbname=$PGDATABASE user=t_expire_jobs" --as-of $AS_OF
like "$ERR" "expired=5 notices=2 " "the vigil_jobs member expires and warns"
is "$(q "SELECT string_agg(dedupe_key, ' ' ORDER BY dedupe_key) FROM vigil.notification_outbox WHERE kind = 'certification.expiring'")" \
	"cert-expiring:${C}04:2 cert-expiring:${C}18:2" "only the configured horizon is used"
sleep 0.6
is "$(q "SELECT seq_scan FROM pg_stat_user_tables WHERE relid = 'vigil.certifications'::regclass")" "$seq_before" \
	"no sequential scan of the 19-row certifications table"
like "$(cat "$TMP/metrics/vigil_expire.prom" 2>&1)" 'vigil_job_items_total\{job="expire",kind="expired"\} 5' "the metrics file has the counts"

# --- the job lock ------------------------------------------------------------
psql -X -q -d "$PGDATABASE" -c "SELECT pg_advisory_lock(7447, hashtext('vigil-expire'))" -c "SELECT pg_sleep(30)" >/dev/null 2>&1 &
holder=$!
for _ in $(seq 50); do
	[ "$(q "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = 7447 AND granted")" = 1 ] && break
	sleep 0.1
done
exits 75 "another run holding the lock: exit 75" vigil-expire --as-of $AS_OF
like "$ERR" "another vigil-expire run holds the lock" "the message says the lock is held"
q "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE '%pg_sleep(30)%' AND pid <> pg_backend_pid()" >/dev/null
wait "$holder" 2>/dev/null

# --- large generated data: the partial index, workers, concurrency, kill -9 --
# Generated once into a template; each scenario clones it.
gen=${_tname}_gen
newdb $gen
DUE=12000
samples/generate --orgs 4 --employees 10000 --certs 60000 --due $DUE --seed 7 >/dev/null ||
	{ echo "not ok - cannot generate data"; exit 1; }
q "CHECKPOINT" >/dev/null
clone() {
	psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $1" >/dev/null 2>&1
	psql -X -q -d postgres -v ON_ERROR_STOP=1 -c "CREATE DATABASE $1 TEMPLATE $gen" >/dev/null ||
		{ echo "not ok - cannot clone $gen"; exit 1; }
	export PGDATABASE=$1
}

# the state two runs must agree on (ids, not timestamps or ledger order)
state() {
	q "SELECT md5((SELECT string_agg(id || ':' || status, ',' ORDER BY id) FROM vigil.certifications))
	  || ' ' || md5((SELECT coalesce(string_agg(certification_id || ':' || is_blocked || ':' || reason, ',' ORDER BY certification_id), '') FROM vigil.certification_enforcement))
	  || ' ' || md5((SELECT coalesce(string_agg(employee_id::text, ',' ORDER BY employee_id), '') FROM vigil.enforcement_queue))
	  || ' ' || md5((SELECT coalesce(string_agg(dedupe_key, ',' ORDER BY dedupe_key), '') FROM vigil.notification_outbox))
	  || ' ' || md5((SELECT coalesce(string_agg(entity_id || ':' || payload::text, ',' ORDER BY entity_id), '') FROM vigil.ledger WHERE event_type = 'certification.expired'))"
}
# every entry's prev_hash is the previous entry_hash and entry_hash is recomputed
chain_ok() {
	q "SELECT count(*) FROM (SELECT l AS r, l.prev_hash, l.entry_hash, lag(l.entry_hash) OVER (ORDER BY l.seq) AS prev FROM vigil.ledger l) x
	   WHERE (x.prev IS NOT NULL AND x.prev_hash <> x.prev)
	      OR x.entry_hash <> sha256(x.prev_hash || convert_to(vigil.ledger_canonical(x.r), 'UTF8'))"
}

clone ${_tname}_ref
exits 0 "reference sweep on generated data" vigil-expire --as-of $AS_OF --batch-size 2000
like "$ERR" "expired=$DUE " "exactly the $DUE due certifications expired"
ref_state=$(state)
is "$(q "SELECT count(*) FROM vigil.ledger WHERE event_type = 'certification.expired'")" "$DUE" "$DUE ledger entries"
is "$(chain_ok)" "0" "the ledger chain is intact"

# The partial index does the work: its idx_scan rises and the sweep never
# scans certifications sequentially.
clone ${_tname}_idx
stats() { q "SELECT (SELECT idx_scan FROM pg_stat_user_indexes WHERE indexrelname = 'idx_cert_expiration_status') || ' ' || (SELECT seq_scan FROM pg_stat_user_tables WHERE relid = 'vigil.certifications'::regclass)"; }
q "SELECT pg_stat_reset()" >/dev/null
sleep 0.6
read -r idx0 seq0 <<<"$(stats)"
exits 0 "sweep for the index statistics" vigil-expire --as-of $AS_OF --batch-size 2000
sleep 0.6
read -r idx1 seq1 <<<"$(stats)"
is "$seq1" "$seq0" "no sequential scan of certifications during the sweep"
like "$((idx1 - idx0))" "^[1-9][0-9]*$" "idx_cert_expiration_status scanned (idx_scan rose by $((idx1 - idx0)))"
# The undated-certification count reads its own partial index (only the
# undated rows), not the non-expiring ones idx_cert_expiration_status holds.
is "$(q "SELECT idx_scan > 0 FROM pg_stat_user_indexes WHERE indexrelname = 'idx_cert_null_expiration'")" "t" \
	"the null_expiration count uses idx_cert_null_expiration"
plan=$(q "EXPLAIN SELECT c.id FROM vigil.certifications c WHERE c.status IN ('PASS', 'INCOMPLETE') AND c.expiration_date <= '$AS_OF' AND c.expiration_date >= '-infinity' AND (c.expiration_date, c.id) > ('-infinity'::timestamptz, '00000000-0000-0000-0000-000000000000'::uuid) AND NOT c.is_non_expiring ORDER BY c.expiration_date, c.id LIMIT 5000 FOR NO KEY UPDATE SKIP LOCKED")
like "$plan" "Index Scan using idx_cert_expiration_status" "the claim query's plan uses idx_cert_expiration_status"

# --workers: the same end state as one worker
clone ${_tname}_w
exits 0 "sweep with --workers 3" vigil-expire --as-of $AS_OF --batch-size 700 --workers 3
like "$ERR" "expired=$DUE " "three workers expire the same $DUE"
is "$(state)" "$ref_state" "--workers 3 ends in the single worker's state"
is "$(chain_ok)" "0" "the ledger chain is intact after parallel workers"
exits 0 "dry run with --workers 2" vigil-expire --as-of 2026-08-01T00:00:00Z --dry-run --batch-size 500 --workers 2
like "$ERR" "status=dry-run .*expired=[1-9]" "dry run with workers counts each row once"
dry=$(printf '%s' "$ERR" | sed -E 's/.* expired=([0-9]+) .*/\1/')
is "$dry" "$(q "SELECT count(*) FROM vigil.certifications WHERE status IN ('PASS','INCOMPLETE') AND NOT is_non_expiring AND expiration_date <= '2026-08-01T00:00:00Z'")" \
	"the dry-run count equals the rows due"
is "$(state)" "$ref_state" "dry run with workers changed nothing"

# several processes at once: one runs, the others exit 75
clone ${_tname}_conc
for n in 1 2 3; do
	vigil-expire --as-of $AS_OF --batch-size 200 >"$TMP/conc$n.out" 2>"$TMP/conc$n.err" &
	eval "pid$n=\$!"
done
codes=""
for n in 1 2 3; do eval "wait \$pid$n"; codes="$codes $?"; done
is "$(echo $codes | tr ' ' '\n' | sort | tr '\n' ' ')" "0 75 75 " "three processes at once: one exits 0, two exit 75"
is "$(state)" "$ref_state" "and the state is the reference state"

# SIGTERM: the batch in flight finishes, exit 75, the run is recorded interrupted
clone ${_tname}_term
vigil-expire --as-of $AS_OF --batch-size 200 >/dev/null 2>"$TMP/term.err" &
pid=$!
sleep 0.3
kill -TERM "$pid"
wait "$pid"
is "$?" "75" "SIGTERM: exit 75"
like "$(cat "$TMP/term.err")" "interrupted by a signal" "SIGTERM: the message says it was interrupted"
is "$(q "SELECT status FROM vigil.job_runs ORDER BY id DESC LIMIT 1")" "interrupted" "SIGTERM: job_runs says interrupted"
like "$(q "SELECT count(*) FROM vigil.certifications WHERE status = 'EXPIRED'")" "^[1-9]" "SIGTERM: the committed batches stay"
exits 0 "the rerun after SIGTERM exits 0" vigil-expire --as-of $AS_OF --batch-size 2000
is "$(state)" "$ref_state" "the rerun after SIGTERM ends in the reference state"

# kill -9 at random moments, then a rerun: exactly the uninterrupted state
trials=${KILL_TRIALS:-10}
RANDOM=4242
clone ${_tname}_kill
killed=0
for trial in $(seq "$trials"); do
	# a run that had already finished is not counted as killed
	kill_after $((RANDOM % 600 + 150)) vigil-expire --as-of $AS_OF --batch-size 200 && killed=$((killed + 1))
	note_left_running
	# next trial starts from the state this one left: progress accumulates
	[ $((trial % 3)) = 0 ] || continue
	# every third trial: rerun to the end and compare, then start afresh
	run vigil-expire --as-of $AS_OF --batch-size 200
	if [ "$RC" = 0 ] && [ "$(state)" = "$ref_state" ] && [ "$(chain_ok)" = 0 ] &&
		[ "$(q "SELECT count(*) FROM vigil.ledger WHERE event_type = 'certification.expired'")" = $DUE ]; then
		pass "kill -9 trial $trial: the rerun ends in the reference state"
	else
		fail "kill -9 trial $trial: the rerun ends in the reference state" "rc=$RC err=$ERR" "state $(state)" "want  $ref_state"
	fi
	check_abandoned
	clone ${_tname}_kill
done
run vigil-expire --as-of $AS_OF --batch-size 200
is "$RC" "0" "final rerun after the last kill exits 0"
is "$(state)" "$ref_state" "final rerun ends in the reference state"
is "$(chain_ok)" "0" "the ledger chain is intact after kill -9"
is "$(q "SELECT count(*) FROM vigil.ledger WHERE event_type = 'certification.expired'")" "$DUE" "exactly one ledger entry per expired certification"
like "$killed" "^[1-9]" "the process was killed mid-run in $killed of $trials trials"
check_abandoned
is "$ABANDON_BAD" "" "every run a kill left running is marked abandoned by the next run, and no other"
like "$ABANDONED" "^[1-9]" "kills left $ABANDONED runs mid-way, all marked abandoned"
is "$(runs_in running)" "" "no run is left running after the final rerun"

done_testing
