#!/bin/bash
# t_retain — vigil-retain against a real database: the samples fixture at its
# reference as-of (cutoffs at the boundary, the default policies), every kind
# of hold, a hold released between runs, --policy, --dry-run, batches and the
# lock-timeout halving, refusal of evidence tables and of bad policies, the
# grants of vigil_jobs, reruns, the job lock, and kill -9 mid-run.
. "$(dirname "$0")/../lib.sh"

P=vigil-retain
program_help_ok $P
program_version_ok $P
program_options_handling_ok $P
exits 64 "$P takes no arguments" $P extra
exits 64 "$P rejects a --policy that is not a table name" $P --policy 'audit_trails;drop'
like "$ERR" "invalid --policy" "$P names the bad --policy"

REF=2026-06-01T00:00:00Z
ORG1=10000000-0000-4000-8000-000000000001
ORG2=10000000-0000-4000-8000-000000000002
P1=50000000-0000-4000-8000-000000000001
P2=50000000-0000-4000-8000-000000000002
P3=50000000-0000-4000-8000-000000000003

trails() { q "SELECT coalesce(string_agg(message_id, ' ' ORDER BY message_id), '') FROM vigil.audit_trails"; }
tokens() { q "SELECT coalesce(string_agg(right(id::text, 1), ' ' ORDER BY id), '') FROM vigil.verification_tokens"; }
outbox() { q "SELECT coalesce(string_agg(dedupe_key, ' ' ORDER BY dedupe_key), '') FROM vigil.notification_outbox"; }
domain_ledger() { q "SELECT count(*) FROM vigil.ledger WHERE event_type <> 'job.finished'"; }
# evidence: a digest of every evidence table; must never change.
evidence() {
	q "SELECT md5(concat_ws('|',
		(SELECT string_agg(seq || ':' || encode(entry_hash, 'hex'), ',' ORDER BY seq) FROM vigil.ledger WHERE event_type <> 'job.finished' AND event_type <> 'retention.purged'),
		(SELECT string_agg(id::text, ',' ORDER BY id) FROM vigil.evidence_nodes),
		(SELECT string_agg(id::text, ',' ORDER BY id) FROM vigil.media_objects),
		(SELECT string_agg(id::text, ',' ORDER BY id) FROM vigil.verification_events),
		(SELECT string_agg(id::text, ',' ORDER BY id) FROM vigil.enforcement_actions),
		(SELECT string_agg(id::text, ',' ORDER BY id) FROM vigil.audit_cases),
		(SELECT string_agg(audit_case_id || '/' || evidence_node_id, ',' ORDER BY 1) FROM vigil.audit_evidence_links),
		(SELECT string_agg(id::text, ',' ORDER BY id) FROM vigil.audit_exports),
		(SELECT string_agg(id::text, ',' ORDER BY id) FROM vigil.escalation_events)))"
}

q "DO \$\$ BEGIN CREATE ROLE jobs_login LOGIN IN ROLE vigil_jobs; EXCEPTION WHEN duplicate_object THEN NULL; END \$\$" >/dev/null
JOBS="user=jobs_login"

# --- the fixture at its reference as-of, as a login member of vigil_jobs --------
newdb
load_samples
L0=$(q "SELECT max(seq) FROM vigil.ledger")  # the migrations' and the fixture's entries
ev_before=$(evidence)
exits 0 "dry run exits 0" $P -d "dbname=$PGDATABASE $JOBS" --dry-run --as-of $REF
is "$OUT" "audit_trails: would delete 6 rows with timestamp before 2026-05-25T00:00:00.000000Z, keep 2 under legal hold
notification_outbox: would delete 2 rows with delivered_at before 2026-05-02T00:00:00.000000Z
verification_tokens: would delete 2 rows with expires_at before 2026-03-03T00:00:00.000000Z, keep 0 under legal hold, keep 1 scanned" \
	"dry run prints per policy what would go and what is held"
is "$(q "SELECT count(*) FROM vigil.audit_trails")/$(q "SELECT count(*) FROM vigil.ledger WHERE seq > $L0")/$(q "SELECT count(*) FROM vigil.job_runs")" \
	"13/0/0" "dry run deletes nothing and records nothing"

exits 0 "fixture: a vigil_jobs member purges" $P -d "dbname=$PGDATABASE $JOBS" --as-of $REF
like "$ERR" "policies=3 deleted=10 kept_under_hold=2 kept_scanned=1 " "fixture: summary counts"
is "$(trails)" "msg-p1-001d msg-p1-003d msg-p1-006d msg-p1-007d msg-p2-002d msg-p2-010d msg-p2-045d" \
	"fixture: audit_trails older than 7 days go, exactly 7 days stays, the held project's stay"
is "$(tokens)" "1 3 4" "fixture: tokens expired over 90 days and never scanned go; the scanned one and the recent one stay"
is "$(outbox)" "sample:recent-delivered sample:undelivered" "fixture: outbox rows delivered over 30 days ago go; undelivered ones stay"
is "$(q "SELECT string_agg(entity_id || ':' || (payload->>'deleted') || ':' || (payload->>'cutoff') || ':' || coalesce(payload->>'kept_under_hold', '-'), ' ' ORDER BY seq)
	FROM vigil.ledger WHERE event_type = 'retention.purged'")" \
	"audit_trails:6:2026-05-25T00:00:00.000000Z:2 notification_outbox:2:2026-05-02T00:00:00.000000Z:- verification_tokens:2:2026-03-03T00:00:00.000000Z:0" \
	"fixture: one retention.purged entry per policy with cutoff, rows deleted and rows held"
is "$(q "SELECT count(*) FROM vigil.ledger WHERE event_type = 'retention.purged' AND actor = 'vigil-retain' AND run_id = (SELECT max(id) FROM vigil.job_runs)")" 3 \
	"fixture: the entries name the program and the run"
is "$(evidence)" "$ev_before" "fixture: evidence tables untouched"

ledger_before=$(domain_ledger)
exits 0 "fixture: rerun" $P -d "dbname=$PGDATABASE $JOBS" --as-of $REF
like "$ERR" "deleted=0 " "fixture rerun: nothing deleted"
is "$(trails)|$(tokens)|$(outbox)" "msg-p1-001d msg-p1-003d msg-p1-006d msg-p1-007d msg-p2-002d msg-p2-010d msg-p2-045d|1 3 4|sample:recent-delivered sample:undelivered" \
	"fixture rerun: no row changed"
is "$(domain_ledger)" "$ledger_before" "fixture rerun: no ledger entry besides job.finished"

# One second later the row of exactly 7 days goes.
exits 0 "boundary: one second later" $P --policy audit_trails --as-of 2026-06-01T00:00:01Z
is "$(trails)" "msg-p1-001d msg-p1-003d msg-p1-006d msg-p2-002d msg-p2-010d msg-p2-045d" "boundary: the 7-day row goes one second after its cutoff"

# The hold on P2 released between runs: its expired rows go, the recent one stays.
q "UPDATE vigil.legal_holds SET released_at = '2026-06-01T00:00:00Z' WHERE scope_id = '$P2'" >/dev/null
exits 0 "released hold: rerun" $P --policy audit_trails --as-of 2026-06-01T00:00:01Z
is "$(trails)" "msg-p1-001d msg-p1-003d msg-p1-006d msg-p2-002d" "released hold: the rows it kept go at the next run"
is "$(q "SELECT payload->>'deleted' || '/' || (payload->>'kept_under_hold') FROM vigil.ledger WHERE event_type = 'retention.purged' ORDER BY seq DESC LIMIT 1")" \
	"2/0" "released hold: the ledger entry counts them"
is "$(evidence)" "$ev_before" "evidence tables untouched after every run"

# --- every kind of hold ---------------------------------------------------------
newdb retain_holds
load_samples
q "UPDATE vigil.legal_holds SET released_at = '2026-05-31T00:00:00Z' WHERE released_at IS NULL" >/dev/null
q "INSERT INTO vigil.audit_trails (message_id, project_id, \"timestamp\") VALUES
	('h-p3-org', '$P3', '2026-05-01T00:00:00Z'),
	('h-p1-proj', '$P1', '2026-05-01T00:00:00Z'),
	('h-p2-case', '$P2', '2026-05-01T00:00:00Z')" >/dev/null
# org2 (P3 and its employees' tokens) under an organization hold, P1 under a
# project hold, P2 only under an audit-case hold (which covers no audit trails).
q "INSERT INTO vigil.legal_holds (scope_type, scope_id, reason) VALUES
	('organization', '$ORG2', 'org hold'), ('project', '$P1', 'project hold'),
	('audit_case', '80000000-0000-4000-8000-000000000001', 'case hold')" >/dev/null
q "INSERT INTO vigil.verification_tokens (id, certification_id, token_hash, expires_at)
	SELECT ('90000000-0000-4000-8000-00000000000' || n)::uuid, c.id, sha256(('hold-token-' || n)::bytea), '2025-12-01T00:00:00Z'
	FROM (VALUES (6, 'org1'), (7, 'org2')) v(n, org)
	JOIN LATERAL (SELECT c.id FROM vigil.certifications c JOIN vigil.employees e ON e.id = c.employee_id
	              WHERE e.organization_id = CASE v.org WHEN 'org1' THEN '$ORG1'::uuid ELSE '$ORG2'::uuid END ORDER BY c.id LIMIT 1) c ON true" >/dev/null
exits 0 "holds: run as a vigil_jobs member" $P -d "dbname=$PGDATABASE $JOBS" --as-of $REF
is "$(q "SELECT string_agg(message_id, ' ' ORDER BY message_id) FROM vigil.audit_trails WHERE \"timestamp\" < '2026-05-25'")" \
	"h-p1-proj h-p3-org msg-p1-007d1s msg-p1-008d msg-p1-010d msg-p1-030d msg-p1-060d" \
	"holds: a project hold and an organization hold keep expired audit trails; an audit-case hold and no project do not"
is "$(tokens)" "1 3 4 7" "holds: a token whose certification's employee is in a held organization stays; the other goes"
is "$(q "SELECT payload->>'kept_under_hold' FROM vigil.ledger WHERE event_type = 'retention.purged' AND entity_id = 'verification_tokens'")" 1 \
	"holds: the token kept under hold is counted"
is "$(q "SELECT payload->>'kept_under_hold' || '/' || (payload->>'deleted') FROM vigil.ledger WHERE event_type = 'retention.purged' AND entity_id = 'audit_trails'")" "7/4" \
	"holds: audit trails kept and deleted are counted"

# --- batches, --policy, disabled policies ------------------------------------------
newdb retain_batches
q "INSERT INTO vigil.audit_trails (message_id, \"timestamp\")
	SELECT 'b-' || g, '2026-05-01T00:00:00Z'::timestamptz + make_interval(mins => g) FROM generate_series(1, 25) g;
   INSERT INTO vigil.notification_outbox (kind, dedupe_key, delivered_at) VALUES ('x', 'old', '2026-01-01')" >/dev/null
exits 0 "batches: --policy audit_trails --batch-size 4" $P --policy audit_trails --batch-size 4 --as-of $REF
like "$ERR" "policies=1 deleted=25 .*batches=7 " "batches: 25 rows in 7 batches of 4"
is "$(q "SELECT count(*) FROM vigil.audit_trails")/$(outbox)" "0/old" "batches: --policy leaves the other policies alone"
is "$(q "SELECT count(*) || ':' || min(payload->>'deleted') FROM vigil.ledger WHERE event_type = 'retention.purged'")" "1:25" \
	"batches: one ledger entry for the policy, not one per batch"
exits 64 "--policy for a table without a policy" $P --policy incidents --as-of $REF
like "$ERR" "no retention policy for table incidents" "the unknown policy is named"
q "UPDATE vigil.retention_policies SET enabled = false WHERE table_name = 'notification_outbox'" >/dev/null
exits 64 "--policy for a disabled policy" $P --policy notification_outbox --as-of $REF
like "$ERR" "the retention policy for notification_outbox is disabled" "the disabled policy is named"
exits 0 "a disabled policy is skipped by a full run" $P --as-of $REF
is "$(outbox)" "old" "the disabled policy deleted nothing"

# --- a batch that hits the lock timeout halves the batch size -------------------
q "INSERT INTO vigil.audit_trails (message_id, \"timestamp\")
	SELECT 'l-' || g, '2026-05-01T00:00:00Z' FROM generate_series(1, 40) g" >/dev/null
printf 'jobs: { retain: { lock_timeout_ms = 200; }; };\n' >"$TMP/lock.conf"
psql -X -q -c "BEGIN; LOCK TABLE vigil.audit_trails IN SHARE MODE; SELECT pg_sleep(30)" >/dev/null 2>&1 &
holder=$!
for _ in $(seq 50); do
	[ "$(q "SELECT count(*) FROM pg_locks WHERE relation = 'vigil.audit_trails'::regclass AND mode = 'ShareLock' AND granted")" = 1 ] && break
	sleep 0.1
done
exits 75 "lock timeout: gives up at batch size 1" $P -c "$TMP/lock.conf" --policy audit_trails --batch-size 8 --as-of $REF
like "$ERR" "lock timeout deleting 8 rows from vigil.audit_trails; retrying with 4" "lock timeout: 8 → 4"
like "$ERR" "lock timeout deleting 2 rows from vigil.audit_trails; retrying with 1" "lock timeout: 2 → 1"
like "$ERR" "lock_timeouts=3 " "lock timeout: three retries counted"
like "$ERR" "cannot delete a batch from vigil.audit_trails: canceling statement due to lock timeout" "lock timeout: the last failure is named"
is "$(q "SELECT count(*) FROM vigil.audit_trails")" 40 "lock timeout: nothing deleted"
q "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(30)%' AND pid <> pg_backend_pid()" >/dev/null
wait "$holder" 2>/dev/null
# The lock is released while the run retries: it goes on with the smaller batch.
psql -X -q -c "BEGIN; LOCK TABLE vigil.audit_trails IN SHARE MODE; SELECT pg_sleep(0.5)" >/dev/null 2>&1 &
holder=$!
for _ in $(seq 50); do
	[ "$(q "SELECT count(*) FROM pg_locks WHERE relation = 'vigil.audit_trails'::regclass AND mode = 'ShareLock' AND granted")" = 1 ] && break
	sleep 0.05
done
exits 0 "lock timeout: the run continues once the lock is released" $P -c "$TMP/lock.conf" --policy audit_trails --batch-size 32 --as-of $REF
wait "$holder" 2>/dev/null
like "$ERR" "lock_timeouts=[1-4] " "lock timeout: at least one retry with a halved batch"
is "$(q "SELECT count(*) FROM vigil.audit_trails")" 0 "lock timeout: every expired row deleted in the end"

# A row another session has locked: skipped by a role that may lock rows
# (FOR UPDATE SKIP LOCKED needs UPDATE privilege: migration 0008 grants
# vigil_jobs UPDATE on the id column for that); a role with only DELETE waits
# for the row, times out, and halves down to the row.
lock_row() {
	psql -X -q -c "BEGIN; SELECT 1 FROM vigil.audit_trails WHERE message_id = 'r-6' FOR UPDATE; SELECT pg_sleep(30)" >/dev/null 2>&1 &
	holder=$!
	for _ in $(seq 50); do
		[ "$(q "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(30)%' AND state = 'active' AND pid <> pg_backend_pid()")" = 1 ] && break
		sleep 0.1
	done
}
unlock_row() {
	q "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(30)%' AND pid <> pg_backend_pid()" >/dev/null
	wait "$holder" 2>/dev/null
}
q "INSERT INTO vigil.audit_trails (message_id, \"timestamp\")
	SELECT 'r-' || g, '2026-05-01T00:00:00Z'::timestamptz + make_interval(mins => g) FROM generate_series(1, 10) g" >/dev/null
lock_row
exits 0 "locked row: a superuser run skips it" $P -c "$TMP/lock.conf" --policy audit_trails --batch-size 4 --as-of $REF
is "$(q "SELECT string_agg(message_id, ' ') FROM vigil.audit_trails")" "r-6" "locked row: every other expired row deleted"
unlock_row
q "DELETE FROM vigil.audit_trails; INSERT INTO vigil.audit_trails (message_id, \"timestamp\")
	SELECT 'r-' || g, '2026-05-01T00:00:00Z'::timestamptz + make_interval(mins => g) FROM generate_series(1, 10) g" >/dev/null
lock_row
exits 0 "locked row: a vigil_jobs member skips it too (FOR UPDATE SKIP LOCKED)" \
	$P -d "dbname=$PGDATABASE $JOBS" -c "$TMP/lock.conf" --policy audit_trails --batch-size 4 --as-of $REF
is "$(q "SELECT string_agg(message_id, ' ') FROM vigil.audit_trails")" "r-6" "locked row: a vigil_jobs member deletes every other expired row"
unlock_row
q "DELETE FROM vigil.audit_trails; INSERT INTO vigil.audit_trails (message_id, \"timestamp\")
	SELECT 'r-' || g, '2026-05-01T00:00:00Z'::timestamptz + make_interval(mins => g) FROM generate_series(1, 10) g" >/dev/null
q "REVOKE UPDATE (id) ON vigil.audit_trails FROM vigil_jobs" >/dev/null
lock_row
exits 75 "locked row: a role without UPDATE waits, halves, and gives up at the row" \
	$P -d "dbname=$PGDATABASE $JOBS" -c "$TMP/lock.conf" --policy audit_trails --batch-size 4 --as-of $REF
like "$ERR" "deleted=5 .*lock_timeouts=2 " "locked row: the rows before it deleted, two halvings (4 → 2 → 1)"
is "$(q "SELECT string_agg(message_id, ' ' ORDER BY \"timestamp\") FROM vigil.audit_trails")" "r-6 r-7 r-8 r-9 r-10" "locked row: the rows from it on are left"
is "$(q "SELECT payload->>'deleted' || ':' || (payload->>'complete') FROM vigil.ledger WHERE event_type = 'retention.purged' ORDER BY seq DESC LIMIT 1")" \
	"5:false" "locked row: the partial purge is in the ledger"
unlock_row
exits 0 "locked row: the next run purges the rest" $P -d "dbname=$PGDATABASE $JOBS" -c "$TMP/lock.conf" --policy audit_trails --batch-size 4 --as-of $REF
is "$(q "SELECT count(*) FROM vigil.audit_trails")" 0 "locked row: nothing left"
q "GRANT UPDATE (id) ON vigil.audit_trails TO vigil_jobs" >/dev/null

# --- refused policies: evidence tables, bad columns, no id key, no privilege ------
newdb retain_refuse
load_samples
ev_before=$(evidence)
run psql -X -q -v ON_ERROR_STOP=1 -c "INSERT INTO vigil.retention_policies VALUES ('escalation_events', 'triggered_at', '1 day')"
like "$RC:$ERR" "^[1-3]:.*retention_policies_not_evidence" "the CHECK on retention_policies refuses an evidence table"
# Past the CHECK (an owner dropping it), the program still refuses them.
q "ALTER TABLE vigil.retention_policies DROP CONSTRAINT retention_policies_not_evidence" >/dev/null
for ev in ledger:created_at evidence_nodes:created_at media_objects:created_at verification_events:scanned_at \
	enforcement_actions:created_at audit_cases:created_at audit_evidence_links:attached_at audit_exports:created_at \
	escalation_events:triggered_at; do
	q "INSERT INTO vigil.retention_policies VALUES ('${ev%%:*}', '${ev#*:}', '1 second')" >/dev/null
	exits 65 "evidence table ${ev%%:*}: the policy is refused" $P --as-of 2030-01-01T00:00:00Z
	like "$ERR" "retention policy ${ev%%:*} refused: vigil.${ev%%:*} is an evidence table and is never purged" \
		"evidence table ${ev%%:*}: the refusal names the table"
	like "$ERR" "1 retention policy refused; nothing was purged" "evidence table ${ev%%:*}: nothing purged"
	q "DELETE FROM vigil.retention_policies WHERE table_name = '${ev%%:*}'" >/dev/null
done
is "$(evidence)|$(q "SELECT count(*) FROM vigil.audit_trails")" "$ev_before|13" "refused runs deleted nothing, evidence untouched"
q "INSERT INTO vigil.retention_policies VALUES ('enforcement_queue', 'enqueued_at', '1 day')" >/dev/null
exits 65 "a table whose primary key is not id is refused" $P --policy enforcement_queue --as-of $REF
like "$ERR" "retention policy enforcement_queue refused: vigil.enforcement_queue has no primary key column id" "no-id refusal names the table"
q "UPDATE vigil.retention_policies SET time_column = 'no_such_column' WHERE table_name = 'audit_trails'" >/dev/null
exits 65 "a missing time column is refused" $P --policy audit_trails --as-of $REF
like "$ERR" "column vigil.audit_trails.no_such_column does not exist" "the missing column is named"
q "UPDATE vigil.retention_policies SET time_column = 'model' WHERE table_name = 'audit_trails'" >/dev/null
exits 65 "a time column that is not a timestamp is refused" $P --policy audit_trails --as-of $REF
like "$ERR" "column vigil.audit_trails.model is text, not a timestamp or date" "the wrong type is named"
q "UPDATE vigil.retention_policies SET time_column = 'timestamp' WHERE table_name = 'audit_trails';
   INSERT INTO vigil.retention_policies VALUES ('no_such_table', 'created_at', '1 day'), ('incidents', 'occurred_at', '1 day')" >/dev/null
exits 65 "a missing table is refused" $P --policy no_such_table --as-of $REF
like "$ERR" "table vigil.no_such_table does not exist" "the missing table is named"
exits 77 "a table vigil_jobs may not DELETE from is refused with 77" $P -d "dbname=$PGDATABASE $JOBS" --policy incidents --as-of 2030-01-01T00:00:00Z
like "$ERR" "the current role may not DELETE from vigil.incidents" "the privilege refusal names the table"
is "$(q "SELECT count(*) FROM vigil.incidents")/$(q "SELECT count(*) FROM vigil.audit_trails")" "2/13" "refused runs deleted nothing"

# A member of vigil_jobs cannot DELETE from the ledger or any evidence table.
for t in ledger evidence_nodes media_objects verification_events enforcement_actions audit_cases \
	audit_evidence_links audit_exports escalation_events; do
	run psql -X -q -v ON_ERROR_STOP=1 -d "dbname=$PGDATABASE $JOBS" -c "DELETE FROM vigil.$t"
	like "$RC:$ERR" "^[1-3]:.*permission denied for table $t" "vigil_jobs cannot DELETE from $t"
done
is "$(evidence)" "$ev_before" "evidence untouched by the attempts"

# --- the job lock ------------------------------------------------------------------
newdb retain_lock
load_samples
psql -X -q -c "SELECT pg_advisory_lock(7447, hashtext('vigil-retain')); SELECT pg_sleep(30)" >/dev/null 2>&1 &
holder=$!
for _ in $(seq 50); do
	[ "$(q "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = 7447 AND granted")" = 1 ] && break
	sleep 0.1
done
exits 75 "a run while another holds the lock exits 75" $P --as-of $REF
like "$ERR" "another vigil-retain run holds the lock" "the lock message names the job"
is "$(q "SELECT count(*) FROM vigil.audit_trails")" 13 "the refused run deleted nothing"
q "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(30)%' AND pid <> pg_backend_pid()" >/dev/null
wait "$holder" 2>/dev/null

# --- kill -9 mid-run, then rerun: the rows of an uninterrupted run ---------------------
seed_trails() {
	q "INSERT INTO vigil.audit_trails (message_id, project_id, \"timestamp\")
		SELECT 'k-' || g, CASE WHEN g % 10 = 0 THEN '$P2'::uuid WHEN g % 10 = 1 THEN NULL ELSE '$P1'::uuid END,
		       '2026-06-01T00:00:00Z'::timestamptz - make_interval(secs => (g * 97) % (14 * 86400))
		FROM generate_series(1, 30000) g" >/dev/null
}
remaining() { q "SELECT md5(string_agg(message_id, ',' ORDER BY message_id)) || ':' || count(*) FROM vigil.audit_trails"; }
newdb retain_killref
load_samples
seed_trails
exits 0 "kill -9: reference run" $P --as-of $REF --batch-size 200
ref=$(remaining)
RANDOM=777
for trial in 1 2 3 4 5; do
	newdb retain_kill
	load_samples
	seed_trails
	delay=$(printf '0.%02d' $((RANDOM % 35 + 5)))
	$P --as-of $REF --batch-size 200 >/dev/null 2>&1 &
	pid=$!
	sleep "$delay"
	kill -9 $pid 2>/dev/null
	wait $pid 2>/dev/null
	echo "# trial $trial: killed after ${delay}s with $(q "SELECT count(*) FROM vigil.audit_trails") audit trails left"
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		run $P --as-of $REF --batch-size 200
		[ "$RC" = 75 ] || break
		sleep 0.5
	done
	is "$RC" 0 "kill -9 trial $trial: the rerun exits 0"
	is "$(remaining)" "$ref" "kill -9 trial $trial: the rows left equal the uninterrupted run's"
done

done_testing
