#!/bin/bash
# t_enforce.sh — vigil-enforce on the samples fixture (queue, --full,
# --employee; blocks, unblocks, a changed missing set, work window conflicts
# once per block), idempotency, dry run, --workers, the job lock, and kill -9
# at random moments followed by a rerun.
#
# KILL_TRIALS=N (default 8) sets how many kill -9 trials run.
. "$(dirname "$0")/../lib.sh"

AS_OF=2026-06-01T00:00:00Z
C=30000000-0000-4000-8000-0000000000
E=20000000-0000-4000-8000-0000000000
W=40000000-0000-4000-8000-0000000000

program_help_ok vigil-enforce
program_version_ok vigil-enforce
program_options_handling_ok vigil-enforce
exits 64 "--full with --employee is a usage error" vigil-enforce --full --employee ${E}01
like "$ERR" "cannot be used together" "the message says why"
exits 64 "a malformed --employee is a usage error" vigil-enforce --employee alice
like "$ERR" 'invalid --employee "alice"' "the message names the value"
exits 64 "--workers 65 is a usage error" vigil-enforce --workers 65

newdb
load_samples
exits 65 "an unknown --employee is bad input" vigil-enforce --employee 20000000-0000-4000-8000-000000000099 --as-of $AS_OF
like "$ERR" "no employee 20000000-0000-4000-8000-000000000099" "the message names the employee"

# vigil-expire fills the queue: Alice 01, Bob 02, Dan 04, Ivy 09 (inactive), Kim 11
vigil-expire --as-of $AS_OF -q 2>/dev/null
is "$(q "SELECT count(*) FROM vigil.enforcement_queue")" "5" "vigil-expire queued five employees"

snapshot() {
	q "SELECT (SELECT coalesce(string_agg(employee_id || ':' || is_blocked || ':' || missing_cert_types::text || ':' || evaluated_at, ',' ORDER BY employee_id), '') FROM vigil.employee_enforcement)
	  || '|' || (SELECT string_agg(id || ':' || action_type || ':' || details::text, ',' ORDER BY id) FROM vigil.enforcement_actions)
	  || '|' || (SELECT string_agg(certification_id || ':' || is_blocked || ':' || coalesce(reason, '') || ':' || evaluated_at, ',' ORDER BY certification_id) FROM vigil.certification_enforcement)
	  || '|' || (SELECT coalesce(string_agg(employee_id::text, ',' ORDER BY employee_id), '') FROM vigil.enforcement_queue)
	  || '|' || (SELECT string_agg(dedupe_key, ',' ORDER BY dedupe_key) FROM vigil.notification_outbox)
	  || '|' || (SELECT count(*) FROM vigil.ledger WHERE event_type <> 'job.finished')"
}
actions() { q "SELECT coalesce(string_agg(right(target_id, 2) || '=' || action_type || coalesce(':' || (SELECT string_agg(x, ',' ORDER BY x) FROM jsonb_array_elements_text(details->'missing_cert_types') x), '') || coalesce('@' || right(details->>'work_window_id', 1), ''), ' ' ORDER BY id), '') FROM vigil.enforcement_actions WHERE id > ${1:-2}"; }

# --- dry run ------------------------------------------------------------------
before=$(snapshot)
exits 0 "dry run exits 0" vigil-enforce --as-of $AS_OF --dry-run
like "$ERR" "status=dry-run .*evaluated=4 blocked=4 unblocked=0 conflicts=2 " "dry run reports what it would do"
is "$(snapshot)" "$before" "dry run changes no row, keeps the queue"

# --- the queued employees -------------------------------------------------------
n=$(q "SELECT max(id) FROM vigil.enforcement_actions")
exits 0 "vigil-enforce exits 0" vigil-enforce --as-of $AS_OF
like "$ERR" "info vigil-enforce run=[0-9]+ status=succeeded evaluated=4 blocked=4 unblocked=0 conflicts=2 certifications=2 dequeued=5 inactive=1 batches=1 " \
	"summary line carries the counts"
is "$(q "SELECT string_agg(right(employee_id::text, 2) || ':' || is_blocked || ':' || missing_cert_types::text, ' ' ORDER BY employee_id) FROM vigil.employee_enforcement")" \
	"01:true:{first_aid} 02:true:{hot_work} 03:false:{} 04:true:{first_aid} 10:true:{first_aid} 11:true:{electrical_safety}" \
	"Alice, Bob, Dan, Kim blocked with their missing types; Jack and Carol as before"
is "$(actions "$n")" "01=BLOCK:first_aid 02=BLOCK:hot_work 04=BLOCK:first_aid 11=BLOCK:electrical_safety 01=WORK_WINDOW_CONFLICT:first_aid@1 11=WORK_WINDOW_CONFLICT:electrical_safety@4" \
	"one BLOCK per newly blocked employee, one conflict for W1 (Alice) and W4 (Kim spans as-of)"
is "$(q "SELECT count(*) FROM vigil.employee_enforcement WHERE employee_id = '${E}09'")" "0" "inactive Ivy is not evaluated"
is "$(q "SELECT count(*) FROM vigil.enforcement_queue")" "0" "the processed queue rows are removed, Ivy's too"
is "$(q "SELECT string_agg(event_type || ':' || right(entity_id, 2), ' ' ORDER BY seq) FROM vigil.ledger WHERE event_type LIKE 'employee.%'")" \
	"employee.blocked:01 employee.blocked:02 employee.blocked:04 employee.blocked:11 employee.work_window_conflict:01 employee.work_window_conflict:11" \
	"one ledger entry per action"
is "$(q "SELECT (payload->'missing_cert_types')::text || ' ' || (payload->>'enforcement_action_id' = (SELECT id::text FROM vigil.enforcement_actions WHERE target_id = '${E}02' AND action_type = 'BLOCK')) || ' ' || actor || ' ' || (run_id = (SELECT max(id) FROM vigil.job_runs)) FROM vigil.ledger WHERE event_type = 'employee.blocked' AND entity_id = '${E}02'")" \
	'["hot_work"] true vigil-enforce true' "the ledger entry names the missing types, the action, actor and run"
is "$(q "SELECT (details->'missing_cert_types')::text || ' ' || reason || ' ' || (run_id IS NOT NULL) FROM vigil.enforcement_actions WHERE target_id = '${E}04' AND action_type = 'BLOCK'")" \
	'["first_aid"] missing required certification true' "BLOCK details hold the missing cert types"
block01=$(q "SELECT id FROM vigil.enforcement_actions WHERE target_id = '${E}01' AND action_type = 'BLOCK'")
block11=$(q "SELECT id FROM vigil.enforcement_actions WHERE target_id = '${E}11' AND action_type = 'BLOCK'")
is "$(q "SELECT string_agg(dedupe_key || ' ' || recipient_role || ' ' || organization_id, ' / ' ORDER BY dedupe_key) FROM vigil.notification_outbox WHERE kind = 'enforcement.work_window_conflict'")" \
	"ww-conflict:${W}01:${E}01:$block01 project_manager 10000000-0000-4000-8000-000000000001 / ww-conflict:${W}04:${E}11:$block11 project_manager 10000000-0000-4000-8000-000000000002" \
	"one outbox row per conflict for the organization's project managers, keyed by window, employee and block"
is "$(q "SELECT payload->>'employee_name' || ' ' || (payload->>'work_window_name') FROM vigil.notification_outbox WHERE dedupe_key LIKE 'ww-conflict:${W}04:%'")" \
	"Kim Kowalski Substation night shift" "the conflict payload names the employee and the window"
is "$(q "SELECT string_agg(right(certification_id::text, 2) || ':' || is_blocked || ':' || coalesce(reason, '-'), ' ' ORDER BY certification_id) FROM vigil.certification_enforcement WHERE certification_id IN (SELECT id FROM vigil.certifications WHERE employee_id IN ('${E}02', '${E}04'))")" \
	"03:true:expired 04:false:- 07:false:- 08:true:expired" "certification_enforcement brought up to date for evaluated employees"
is "$(q "SELECT counts->>'evaluated' || ' ' || (counts->>'blocked') || ' ' || (counts->>'conflicts') || ' ' || (counts->>'dequeued') FROM vigil.job_runs WHERE job = 'enforce' ORDER BY id DESC LIMIT 1")" \
	"4 4 2 5" "job_runs.counts of the run"

# --- idempotency ------------------------------------------------------------------
before=$(snapshot)
exits 0 "second queue run exits 0" vigil-enforce --as-of $AS_OF
like "$ERR" "evaluated=0 blocked=0 unblocked=0 conflicts=0" "the empty queue: nothing to do"
is "$(snapshot)" "$before" "the second run changes nothing"

# --- --full -----------------------------------------------------------------------
n=$(q "SELECT max(id) FROM vigil.enforcement_actions")
exits 0 "--full exits 0" vigil-enforce --full --as-of $AS_OF
like "$ERR" "evaluated=12 blocked=3 unblocked=0 conflicts=1 " "--full evaluates the 12 active employees"
is "$(actions "$n")" "05=BLOCK:first_aid 06=BLOCK:first_aid 12=BLOCK:first_aid 06=WORK_WINDOW_CONFLICT:first_aid@1" \
	"Erin (NULL expiration date), Frank (no first_aid), Leo (INCOMPLETE) blocked; Frank conflicts on W1"
is "$(q "SELECT string_agg(right(employee_id::text, 2), ' ' ORDER BY employee_id) FROM vigil.employee_enforcement WHERE NOT is_blocked")" \
	"03 07 08 13" "first seen and not blocked (Grace, Henry, Mia) get a row; Carol keeps hers"
is "$(q "SELECT count(*) FROM vigil.enforcement_actions WHERE target_id IN ('${E}07', '${E}08', '${E}13', '${E}03', '${E}10') AND id > 2")" "0" \
	"and no action for them, nor for already blocked Jack"
is "$(q "SELECT string_agg(right(certification_id::text, 2) || ':' || is_blocked || ':' || coalesce(reason, '-'), ' ' ORDER BY certification_id) FROM vigil.certification_enforcement WHERE certification_id IN ('${C}09', '${C}13', '${C}14', '${C}16', '${C}18', '${C}19')")" \
	"09:true:no expiration date 13:true:fail 14:true:revoked 16:false:- 18:true:incomplete 19:false:-" \
	"certification reasons: no expiration date, fail, revoked, incomplete; valid ones unblocked"
before=$(snapshot)
ledger_before=$(q "SELECT count(*) FROM vigil.ledger")
exits 0 "--full again exits 0" vigil-enforce --full --as-of $AS_OF
like "$ERR" "evaluated=12 blocked=0 unblocked=0 conflicts=0 certifications=0 " "second --full: nothing changes"
is "$(snapshot)" "$before" "second --full changes no row and adds no outbox row"
is "$(q "SELECT count(*) FROM vigil.ledger")" "$((ledger_before + 1))" "second --full appends only its job.finished entry"

# --- a changed missing set, an unblock, and a new block --------------------------
q "UPDATE vigil.certifications SET status = 'FAIL' WHERE id = '${C}01'" >/dev/null
q "INSERT INTO vigil.enforcement_queue (employee_id, reason) VALUES ('${E}01', 'test')" >/dev/null
n=$(q "SELECT max(id) FROM vigil.enforcement_actions")
exits 0 "run after Alice lost electrical_safety" vigil-enforce --as-of $AS_OF
is "$(actions "$n")" "01=BLOCK:electrical_safety,first_aid" "a new BLOCK with the new missing set, no second conflict for W1"
is "$(q "SELECT missing_cert_types::text FROM vigil.employee_enforcement WHERE employee_id = '${E}01'")" "{electrical_safety,first_aid}" \
	"employee_enforcement holds the new set"

q "UPDATE vigil.certifications SET status = 'PASS' WHERE id = '${C}01'" >/dev/null
q "INSERT INTO vigil.certifications (id, employee_id, cert_type, status, issued_at, expiration_date) VALUES ('${C}99', '${E}01', 'first_aid', 'PASS', '2026-05-30', '2027-05-30')" >/dev/null
n=$(q "SELECT max(id) FROM vigil.enforcement_actions")
exits 0 "run with Alice's certifications renewed" vigil-enforce --employee ${E}01 --as-of $AS_OF
like "$ERR" "evaluated=1 blocked=0 unblocked=1 " "--employee evaluates only Alice"
is "$(actions "$n")" "01=UNBLOCK" "Alice is unblocked"
is "$(q "SELECT is_blocked || ' ' || missing_cert_types::text FROM vigil.employee_enforcement WHERE employee_id = '${E}01'")" "false {}" "her row says so"
is "$(q "SELECT count(*) FROM vigil.ledger WHERE event_type = 'employee.unblocked' AND entity_id = '${E}01'")" "1" "with an employee.unblocked ledger entry"

q "UPDATE vigil.certifications SET status = 'REVOKED' WHERE id = '${C}99'" >/dev/null
n=$(q "SELECT max(id) FROM vigil.enforcement_actions")
exits 0 "run after Alice's new first_aid was revoked" vigil-enforce --employee ${E}01 --as-of $AS_OF
is "$(actions "$n")" "01=BLOCK:first_aid 01=WORK_WINDOW_CONFLICT:first_aid@1" "a new block raises the W1 conflict again"
newblock=$(q "SELECT max(id) FROM vigil.enforcement_actions WHERE target_id = '${E}01' AND action_type = 'BLOCK'")
is "$(q "SELECT count(*) FROM vigil.notification_outbox WHERE dedupe_key = 'ww-conflict:${W}01:${E}01:$newblock'")" "1" \
	"with an outbox row keyed by the new block"
is "$(q "SELECT count(*) FROM vigil.notification_outbox WHERE dedupe_key LIKE 'ww-conflict:${W}01:${E}01:%'")" "2" \
	"two conflict rows for Alice and W1 in all: one per block"

# --- a window that has ended, or an as-of after the window ---------------------
exits 0 "--full as of 2026-06-02" vigil-enforce --full --as-of 2026-06-02T00:00:00Z
is "$(q "SELECT count(*) FROM vigil.enforcement_actions WHERE action_type = 'WORK_WINDOW_CONFLICT' AND details->>'as_of' LIKE '2026-06-02%'")" "0" \
	"no conflict for windows that ended before as-of"

# --- the job lock -------------------------------------------------------------------
psql -X -q -c "SELECT pg_advisory_lock(7447, hashtext('vigil-enforce'))" -c "SELECT pg_sleep(30)" >/dev/null 2>&1 &
holder=$!
for _ in $(seq 50); do
	[ "$(q "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = 7447 AND granted")" = 1 ] && break
	sleep 0.1
done
exits 75 "another run holding the lock: exit 75" vigil-enforce --as-of $AS_OF
like "$ERR" "another vigil-enforce run holds the lock" "the message says the lock is held"
q "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE '%pg_sleep(30)%' AND pid <> pg_backend_pid()" >/dev/null
wait "$holder" 2>/dev/null

# --- as a vigil_jobs member ---------------------------------------------------------
newdb ${_tname}_role
load_samples
vigil-expire --as-of $AS_OF -q 2>/dev/null
q "DO \$\$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 't_enforce_jobs') THEN CREATE ROLE t_enforce_jobs LOGIN IN ROLE vigil_jobs; END IF; END \$\$" >/dev/null
exits 0 "a vigil_jobs member runs vigil-enforce" vigil-enforce -d "dbname=$PGDATABASE user=t_enforce_jobs" --as-of $AS_OF
like "$ERR" "evaluated=4 blocked=4 unblocked=0 conflicts=2 " "with the grants of vigil_jobs alone"

# --- generated data: workers, concurrency, kill -9 -----------------------------------
gen=${_tname}_gen
newdb $gen
samples/generate --orgs 4 --employees 16000 --certs 24000 --due 8000 --seed 11 >/dev/null ||
	{ echo "not ok - cannot generate data"; exit 1; }
# one scheduled window per organization from as-of on, every 40th employee assigned
q "INSERT INTO vigil.work_windows (id, organization_id, name, start_time, end_time, status)
   SELECT md5('t-window' || o.id)::uuid, o.id, 'night shift', '$AS_OF'::timestamptz, '$AS_OF'::timestamptz + interval '8 hours', 'scheduled'
   FROM vigil.organizations o;
   INSERT INTO vigil.work_window_assignments (work_window_id, employee_id)
   SELECT md5('t-window' || e.organization_id)::uuid, e.id FROM vigil.employees e WHERE hashtext(e.id::text) % 40 = 0" >/dev/null
vigil-expire --as-of $AS_OF -q 2>/dev/null
q "CHECKPOINT" >/dev/null
clone() {
	psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $1" >/dev/null 2>&1
	psql -X -q -d postgres -v ON_ERROR_STOP=1 -c "CREATE DATABASE $1 TEMPLATE $gen" >/dev/null ||
		{ echo "not ok - cannot clone $gen"; exit 1; }
	export PGDATABASE=$1
}
# what two runs must agree on: not action ids or times, but who, what and which window
state() {
	q "SELECT md5((SELECT coalesce(string_agg(employee_id || ':' || is_blocked || ':' || missing_cert_types::text, ',' ORDER BY employee_id), '') FROM vigil.employee_enforcement))
	  || ' ' || md5((SELECT coalesce(string_agg(x, ',' ORDER BY x), '') FROM (SELECT target_id || ':' || action_type || ':' || (details->'missing_cert_types')::text || ':' || coalesce(details->>'work_window_id', '') AS x FROM vigil.enforcement_actions) a))
	  || ' ' || md5((SELECT coalesce(string_agg(certification_id || ':' || is_blocked || ':' || coalesce(reason, ''), ',' ORDER BY certification_id), '') FROM vigil.certification_enforcement))
	  || ' ' || md5((SELECT coalesce(string_agg(employee_id::text, ',' ORDER BY employee_id), '') FROM vigil.enforcement_queue))
	  || ' ' || md5((SELECT coalesce(string_agg(regexp_replace(dedupe_key, ':[0-9]+$', ''), ',' ORDER BY dedupe_key), '') FROM vigil.notification_outbox))
	  || ' ' || md5((SELECT coalesce(string_agg(x, ',' ORDER BY x), '') FROM (SELECT event_type || ':' || entity_id AS x FROM vigil.ledger WHERE event_type LIKE 'employee.%') l))"
}
# every conflict row is keyed by the BLOCK that starts its employee's block
conflicts_keyed() {
	q "SELECT count(*) FROM vigil.notification_outbox o
	   WHERE o.kind = 'enforcement.work_window_conflict'
	     AND split_part(o.dedupe_key, ':', 4)::bigint <> (SELECT min(id) FROM vigil.enforcement_actions a
	         WHERE a.target_id = split_part(o.dedupe_key, ':', 3) AND a.action_type = 'BLOCK')"
}
chain_ok() {
	q "SELECT count(*) FROM (SELECT l AS r, l.prev_hash, l.entry_hash, lag(l.entry_hash) OVER (ORDER BY l.seq) AS prev FROM vigil.ledger l) x
	   WHERE (x.prev IS NOT NULL AND x.prev_hash <> x.prev)
	      OR x.entry_hash <> sha256(x.prev_hash || convert_to(vigil.ledger_canonical(x.r), 'UTF8'))"
}

clone ${_tname}_ref
exits 0 "reference queue run on generated data" vigil-enforce --as-of $AS_OF --batch-size 1000
like "$ERR" "blocked=[1-9][0-9]* .*conflicts=[1-9]" "it blocks employees and raises conflicts"
ref_queue=$(state)
is "$(conflicts_keyed)" "0" "conflicts keyed by their block"
exits 0 "reference --full run" vigil-enforce --full --as-of $AS_OF --batch-size 1000
ref_full=$(state)
is "$(chain_ok)" "0" "the ledger chain is intact"

clone ${_tname}_w
exits 0 "queue run with --workers 3" vigil-enforce --as-of $AS_OF --batch-size 500 --workers 3
is "$(state)" "$ref_queue" "--workers 3 ends in the single worker's state (queue)"
exits 0 "--full with --workers 3" vigil-enforce --full --as-of $AS_OF --batch-size 700 --workers 3
is "$(state)" "$ref_full" "--workers 3 ends in the single worker's state (--full)"
is "$(chain_ok)" "0" "the ledger chain is intact after parallel workers"
is "$(conflicts_keyed)" "0" "conflicts keyed by their block with workers"

clone ${_tname}_conc
for n in 1 2 3; do
	vigil-enforce --as-of $AS_OF --batch-size 200 >/dev/null 2>&1 &
	eval "pid$n=\$!"
done
codes=""
for n in 1 2 3; do eval "wait \$pid$n"; codes="$codes $?"; done
is "$(echo $codes | tr ' ' '\n' | sort | tr '\n' ' ')" "0 75 75 " "three processes at once: one exits 0, two exit 75"
is "$(state)" "$ref_queue" "and the state is the reference state"

trials=${KILL_TRIALS:-8}
RANDOM=1717
clone ${_tname}_kill
killed=0
for trial in $(seq "$trials"); do
	# a run that had already finished is not counted as killed
	kill_after $((RANDOM % 700 + 150)) vigil-enforce --as-of $AS_OF --batch-size 150 && killed=$((killed + 1))
	note_left_running
	[ $((trial % 2)) = 0 ] || continue
	run vigil-enforce --as-of $AS_OF --batch-size 150
	if [ "$RC" = 0 ] && [ "$(state)" = "$ref_queue" ] && [ "$(chain_ok)" = 0 ] && [ "$(conflicts_keyed)" = 0 ]; then
		pass "kill -9 trial $trial: the rerun ends in the reference state"
	else
		fail "kill -9 trial $trial: the rerun ends in the reference state" "rc=$RC err=$ERR" "state $(state)" "want  $ref_queue"
	fi
	check_abandoned
	clone ${_tname}_kill
done
run vigil-enforce --as-of $AS_OF --batch-size 150
is "$RC" "0" "final rerun after the last kill exits 0"
is "$(state)" "$ref_queue" "final rerun ends in the reference state"
check_abandoned
like "$killed" "^[1-9]" "the process was killed mid-run in $killed of $trials trials"
is "$ABANDON_BAD" "" "every run a kill left running is marked abandoned by the next run, and no other"
like "$ABANDONED" "^[1-9]" "kills left $ABANDONED runs mid-way, all marked abandoned"
is "$(runs_in running)" "" "no run is left running after the final rerun"

done_testing
