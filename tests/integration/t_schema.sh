#!/bin/bash
# t_schema — the schema of DESIGN §3 and §5 against a real database: tables,
# the 13 named indexes, enums, roles and their grants, the ledger's hash
# chain and append-only triggers under concurrency, the zone status trigger,
# and the samples fixture with its media files.
. "$(dirname "$0")/../lib.sh"

newdb
GENESIS=0000000000000000000000000000000000000000000000000000000000000000

# chain_problems: number of ledger rows whose seq, prev_hash or entry_hash is wrong.
chain_problems() {
	q "SELECT count(*) FROM (
		SELECT l.seq, row_number() OVER (ORDER BY l.seq) AS rn,
		       l.prev_hash = coalesce(lag(l.entry_hash) OVER (ORDER BY l.seq), decode('$GENESIS', 'hex')) AS prev_ok,
		       l.entry_hash = sha256(l.prev_hash || convert_to(vigil.ledger_canonical(l), 'UTF8')) AS hash_ok
		FROM vigil.ledger l) s
	   WHERE NOT prev_ok OR NOT hash_ok OR seq <> rn"
}

# --- tables, columns, indexes, enums -----------------------------------------
for t in organizations employees role_requirements certifications certification_enforcement \
	employee_enforcement enforcement_queue enforcement_actions jhas jha_acknowledgments \
	work_windows work_window_assignments verification_tokens verification_events incidents \
	near_misses evidence_nodes media_objects audit_cases audit_evidence_links audit_exports \
	projects zones proofs escalation_events audit_trails legal_holds notification_outbox \
	job_runs retention_policies schema_migrations ledger; do
	is "$(q "SELECT to_regclass('vigil.$t') IS NOT NULL")" t "table vigil.$t exists"
done

is "$(q "SELECT string_agg(column_name, ',' ORDER BY ordinal_position) FROM information_schema.columns
	WHERE table_schema = 'vigil' AND table_name = 'ledger'")" \
	"seq,created_at,event_type,entity_type,entity_id,evidence_node_id,actor,run_id,payload,prev_hash,entry_hash" \
	"ledger has exactly the columns of DESIGN §5"
is "$(q "SELECT count(*) FROM information_schema.columns WHERE table_schema = 'vigil' AND table_name = 'certifications'
	AND column_name IN ('id','employee_id','cert_type','status','issued_at','expiration_date','is_non_expiring',
	'last_verified_at','preset_category','created_at','updated_at')")" 11 "certifications has its 11 columns"
is "$(q "SELECT count(*) FROM information_schema.columns WHERE table_schema = 'vigil' AND table_name = 'zones'
	AND column_name IN ('id','project_id','name','required_proof_types','required_proof_count','computed_status',
	'status_computed_at','current_escalation_level','last_escalated_at','readiness_deadline','escalation_policy')")" 11 \
	"zones has its 11 columns"
is "$(q "SELECT count(*) FROM information_schema.columns WHERE table_schema = 'vigil' AND table_name = 'audit_trails'
	AND column_name IN ('id','message_id','project_id','timestamp','model','reasoning','context_layers','tokens',
	'cost','created_at','updated_at')")" 11 "audit_trails has its 11 columns"

declare -A index_table=(
	[idx_cert_employee_status]=certifications [idx_qr_token]=verification_tokens
	[idx_verification_events]=verification_events [idx_evidence_entity]=evidence_nodes
	[idx_ledger_created_at]=ledger [idx_enforcement_target]=enforcement_actions
	[idx_cert_enforcement_blocked]=certification_enforcement [idx_jha_ack_jha_employee]=jha_acknowledgments
	[idx_work_window_time]=work_windows [idx_incident_org_occurred]=incidents
	[idx_near_miss_category_reported]=near_misses [idx_audit_evidence_link]=audit_evidence_links
	[idx_cert_expiration_status]=certifications
)
for idx in "${!index_table[@]}"; do
	is "$(q "SELECT tablename FROM pg_indexes WHERE schemaname = 'vigil' AND indexname = '$idx'")" \
		"${index_table[$idx]}" "index $idx exists on ${index_table[$idx]}"
done
like "$(q "SELECT indexdef FROM pg_indexes WHERE schemaname = 'vigil' AND indexname = 'idx_cert_expiration_status'")" \
	"\(expiration_date, status\) WHERE \(status = ANY \(ARRAY\['PASS'::vigil.cert_status, 'INCOMPLETE'::vigil.cert_status\]\)\)" \
	"idx_cert_expiration_status is partial on PASS/INCOMPLETE"
like "$(q "SELECT indexdef FROM pg_indexes WHERE schemaname = 'vigil' AND indexname = 'idx_enforcement_target'")" \
	"\(target_type, target_id, created_at\)" "idx_enforcement_target columns"

is "$(q "SELECT string_agg(enumlabel, ',' ORDER BY enumsortorder) FROM pg_enum WHERE enumtypid = 'vigil.cert_status'::regtype")" \
	"PASS,FAIL,INCOMPLETE,EXPIRED,REVOKED" "enum vigil.cert_status"
is "$(q "SELECT string_agg(enumlabel, ',' ORDER BY enumsortorder) FROM pg_enum WHERE enumtypid = 'vigil.enforcement_type'::regtype")" \
	"BLOCK,UNBLOCK,WORK_WINDOW_CONFLICT" "enum vigil.enforcement_type"

is "$(q "SELECT string_agg(DISTINCT tableowner, ',') FROM pg_tables WHERE schemaname = 'vigil'")" vigil_owner \
	"vigil_owner owns every table"
is "$(q "SELECT table_name || ' ' || time_column || ' ' || keep_interval || ' ' || enabled FROM vigil.retention_policies ORDER BY 1")" \
	"audit_trails timestamp 7 days true
notification_outbox delivered_at 30 days true
verification_tokens expires_at 90 days true" "default retention policies"
exits 1 "retention_policies refuses an evidence table" \
	psql -X -q -v ON_ERROR_STOP=1 -c "INSERT INTO vigil.retention_policies VALUES ('ledger', 'created_at', '1 day', true)"
like "$ERR" "retention_policies_not_evidence" "the refusal names the check"

# --- roles ------------------------------------------------------------------
for r in vigil_owner vigil_app vigil_jobs vigil_auditor; do
	is "$(q "SELECT rolcanlogin FROM pg_roles WHERE rolname = '$r'")" f "role $r exists and is NOLOGIN"
done

# --- the fixture ------------------------------------------------------------
exits 0 "samples/fixture.sql loads" psql -X -q -v ON_ERROR_STOP=1 -f "$TOP/samples/fixture.sql"
is "$(q "SELECT count(*) FROM vigil.certifications")" 19 "fixture has 19 certifications"
is "$(q "SELECT string_agg(right(id::text, 2), ',' ORDER BY id) FROM vigil.certifications
	WHERE status IN ('PASS','INCOMPLETE') AND NOT is_non_expiring AND expiration_date <= '2026-06-01T00:00:00Z'")" \
	"02,03,08,12,17" "fixture: C02 C03 C08 C12 C17 are due at the reference as-of"
is "$(q "SELECT string_agg(name || '=' || computed_status, ',' ORDER BY id) FROM vigil.zones")" \
	"Lobby=GREEN,Roof=RED,Basement=RED,Loading Dock=RED,Cold Storage=RED,Switchyard=RED,Control Room=RED,Penthouse=RED,Scaffold=GREEN,Yard=RED" \
	"fixture zones computed by the proofs trigger"
media_ok=0
media_n=0
while IFS='|' read -r key hex size; do
	media_n=$((media_n + 1))
	f="$TOP/samples/media/$key"
	if [ -f "$f" ] && [ "$(sha256sum "$f" | cut -c1-64)" = "$hex" ] && [ "$(stat -c %s "$f")" = "$size" ]; then
		media_ok=$((media_ok + 1))
	else
		echo "# media mismatch: $key"
	fi
done < <(q "SELECT storage_key, encode(sha256, 'hex'), byte_size FROM vigil.media_objects ORDER BY storage_key")
is "$media_ok/$media_n" "5/5" "every fixture media file matches its media_objects sha256 and byte_size"
is "$(chain_problems)" 0 "fixture ledger chain is intact"
is "$(q "SELECT encode(prev_hash, 'hex') FROM vigil.ledger WHERE seq = 1")" "$GENESIS" "the first entry chains to 32 zero bytes"

# The canonical form recomputed outside the database: fields joined by \n,
# NULL as empty, SHA-256 over prev_hash || text.
row=$(q "SELECT seq, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), event_type,
	coalesce(entity_type, ''), coalesce(entity_id, ''), coalesce(evidence_node_id::text, ''), actor,
	coalesce(run_id::text, ''), payload::text, encode(prev_hash, 'hex'), encode(entry_hash, 'hex')
	FROM vigil.ledger WHERE seq = 3")
IFS='|' read -r f1 f2 f3 f4 f5 f6 f7 f8 f9 prev entry <<<"$row"
got=$( { printf '%s' "$prev" | sed 's/../\\x&/g' | xargs -0 printf '%b'; \
	printf '%s\n%s\n%s\n%s\n%s\n%s\n%s\n%s\n%s' "$f1" "$f2" "$f3" "$f4" "$f5" "$f6" "$f7" "$f8" "$f9"; } | sha256sum | cut -c1-64)
is "$got" "$entry" "entry_hash of seq 3 recomputed with sha256sum from the documented canonical form"

# --- grants -----------------------------------------------------------------
APP=t_schema_app_login
JOBS=t_schema_jobs_login
psql -X -q -d postgres -c "DROP ROLE IF EXISTS $APP" -c "DROP ROLE IF EXISTS $JOBS" >/dev/null 2>&1
q "CREATE ROLE $APP LOGIN IN ROLE vigil_app; CREATE ROLE $JOBS LOGIN IN ROLE vigil_jobs" >/dev/null
trap 'psql -X -q -d postgres -c "DROP ROLE IF EXISTS $APP" -c "DROP ROLE IF EXISTS $JOBS" >/dev/null 2>&1; rm -rf "$TMP"' EXIT

for t in ledger evidence_nodes media_objects verification_events enforcement_actions audit_cases \
	audit_evidence_links audit_exports escalation_events; do
	for who in $APP $JOBS; do
		run psql -X -q -U "$who" -v ON_ERROR_STOP=1 -c "DELETE FROM vigil.$t"
		like "$RC $ERR" "^[1-9].*permission denied for table $t" "$who cannot DELETE from evidence table $t"
	done
done
for t in evidence_nodes media_objects verification_events enforcement_actions audit_evidence_links audit_exports; do
	col=created_at
	[ "$t" = audit_evidence_links ] && col=attached_at
	[ "$t" = verification_events ] && col=scanned_at
	run psql -X -q -U "$APP" -v ON_ERROR_STOP=1 -c "UPDATE vigil.$t SET $col = $col"
	like "$RC $ERR" "^[1-9].*permission denied for table $t" "$APP cannot UPDATE evidence table $t"
done
run psql -X -q -U "$JOBS" -v ON_ERROR_STOP=1 -c "DELETE FROM vigil.certifications"
like "$RC $ERR" "^[1-9].*permission denied" "$JOBS cannot DELETE from certifications"
run psql -X -q -U "$APP" -v ON_ERROR_STOP=1 -c "DELETE FROM vigil.zones"
like "$RC $ERR" "^[1-9].*permission denied" "$APP cannot DELETE from zones"
exits 0 "$JOBS may DELETE from the retention tables and the enforcement queue" \
	psql -X -q -U "$JOBS" -v ON_ERROR_STOP=1 -c "BEGIN; DELETE FROM vigil.audit_trails WHERE message_id = 'msg-p1-060d';
	DELETE FROM vigil.verification_tokens WHERE false; DELETE FROM vigil.notification_outbox WHERE false;
	DELETE FROM vigil.enforcement_queue; ROLLBACK"
exits 0 "$JOBS may run a job: job_runs, ledger, outbox, enforcement rows" \
	psql -X -q -U "$JOBS" -v ON_ERROR_STOP=1 -c "BEGIN;
	INSERT INTO vigil.job_runs (job, as_of) VALUES ('vigil-test', '2026-06-01T00:00:00Z');
	UPDATE vigil.job_runs SET status = 'succeeded' WHERE job = 'vigil-test';
	UPDATE vigil.certifications SET status = 'EXPIRED' WHERE id = '30000000-0000-4000-8000-000000000002';
	INSERT INTO vigil.enforcement_actions (action_type, target_type, target_id) VALUES ('BLOCK', 'employee', 'x');
	INSERT INTO vigil.notification_outbox (kind, dedupe_key) VALUES ('test', 'test:1');
	INSERT INTO vigil.ledger (event_type) VALUES ('job.finished');
	ROLLBACK"
exits 0 "$APP may insert into the ledger and acknowledge an escalation" \
	psql -X -q -U "$APP" -v ON_ERROR_STOP=1 -c "BEGIN;
	INSERT INTO vigil.ledger (event_type, entity_type, entity_id) VALUES ('app.test', 'x', '1');
	UPDATE vigil.escalation_events SET acknowledged = true, acknowledged_by = 'me', acknowledged_at = now()
	WHERE id = '62000000-0000-4000-8000-000000000001';
	ROLLBACK"
run psql -X -q -v ON_ERROR_STOP=1 -c "SET ROLE vigil_auditor; INSERT INTO vigil.ledger (event_type) VALUES ('x.y')"
like "$RC $ERR" "^[1-9].*permission denied for table ledger" "vigil_auditor cannot write the ledger"

# --- ledger: append-only even for its owner -----------------------------------
# (vigil-migrate appends schema.migrated entries, so count relative to now)
ledger_before=$(q "SELECT count(*) FROM vigil.ledger")
for stmt in "UPDATE vigil.ledger SET actor = 'mallory' WHERE seq = 1" \
	"DELETE FROM vigil.ledger WHERE seq = 1" "DELETE FROM vigil.ledger WHERE false" "TRUNCATE vigil.ledger"; do
	run psql -X -q -v ON_ERROR_STOP=1 -c "SET ROLE vigil_owner; $stmt"
	like "$RC $ERR" "^[1-9].*vigil.ledger is append-only" "as vigil_owner refused: $stmt"
done
run psql -X -q -v ON_ERROR_STOP=1 -c "SET session_replication_role = replica; DELETE FROM vigil.ledger WHERE seq = 1"
like "$RC $ERR" "^[1-9].*append-only" "DELETE refused even with session_replication_role = replica"
is "$(q "SELECT count(*) FROM vigil.ledger")" "$ledger_before" "the refused statements left every ledger entry in place"

# Callers cannot forge seq, time or hashes.
q "INSERT INTO vigil.ledger (seq, created_at, event_type, prev_hash, entry_hash)
	VALUES (999, '2000-01-01', 'forged.entry', '\\x00', '\\x00')" >/dev/null
is "$(q "SELECT seq || ' ' || (created_at > '2020-01-01') FROM vigil.ledger WHERE event_type = 'forged.entry'")" \
	"$((ledger_before + 1)) true" "supplied seq and created_at are replaced by the trigger"
is "$(chain_problems)" 0 "chain intact after an attempted forgery"

run psql -X -q -v ON_ERROR_STOP=1 -c "BEGIN ISOLATION LEVEL REPEATABLE READ; INSERT INTO vigil.ledger (event_type) VALUES ('rr.insert'); COMMIT"
like "$RC $ERR" "^[1-9].*READ COMMITTED" "a REPEATABLE READ transaction cannot append"
run psql -X -q -v ON_ERROR_STOP=1 -c "BEGIN ISOLATION LEVEL SERIALIZABLE; INSERT INTO vigil.ledger (event_type) VALUES ('rr.insert'); COMMIT"
like "$RC $ERR" "^[1-9].*READ COMMITTED" "a SERIALIZABLE transaction cannot append"
run psql -X -q -v ON_ERROR_STOP=1 -c "INSERT INTO vigil.ledger (event_type, entity_id) VALUES ('a.b', E'x\ny')"
like "$RC $ERR" "^[1-9].*ledger_entity_id_check" "a newline in entity_id is refused"
run psql -X -q -v ON_ERROR_STOP=1 -c "INSERT INTO vigil.ledger (event_type) VALUES ('Bad Type')"
like "$RC $ERR" "^[1-9].*ledger_event_type_check" "a malformed event_type is refused"

# One statement inserting many rows: each row's trigger sees the earlier ones.
before=$(q "SELECT max(seq) FROM vigil.ledger")
q "INSERT INTO vigil.ledger (event_type, entity_type, entity_id, payload)
	SELECT 'test.bulk', 'n', g::text, jsonb_build_object('g', g, 'text', 'é \"quoted\" \\ back') FROM generate_series(1, 1000) g" >/dev/null
is "$(q "SELECT count(*) || ' ' || max(seq) FROM vigil.ledger WHERE event_type = 'test.bulk'")" "1000 $((before + 1000))" \
	"INSERT ... SELECT of 1000 rows gets consecutive seqs"
is "$(chain_problems)" 0 "chain intact after a 1000-row statement"

# Four concurrent writers, 100 single-row transactions each, as the app role.
before=$(q "SELECT count(*) FROM vigil.ledger")
for w in 1 2 3 4; do
	for i in $(seq 1 100); do
		echo "INSERT INTO vigil.ledger (event_type, entity_type, entity_id, payload) VALUES ('test.concurrent', 'writer$w', '$i', '{\"w\": $w}');"
	done >"$TMP/writer$w.sql"
done
pids=()
for w in 1 2 3 4; do
	psql -X -q -U "$APP" -v ON_ERROR_STOP=1 -f "$TMP/writer$w.sql" >"$TMP/writer$w.out" 2>&1 &
	pids+=($!)
done
writers_ok=0
for p in "${pids[@]}"; do wait "$p" && writers_ok=$((writers_ok + 1)); done
is "$writers_ok" 4 "four concurrent writers finished without error"
is "$(q "SELECT count(*) FROM vigil.ledger")" "$((before + 400))" "400 concurrent entries appended"
is "$(q "SELECT count(DISTINCT entity_type) || ' ' || count(*) FROM vigil.ledger WHERE event_type = 'test.concurrent'")" "4 400" \
	"every writer's entries are there"
is "$(chain_problems)" 0 "one unbroken chain after concurrent writers"
is "$(q "SELECT count(*) FROM (SELECT prev_hash FROM vigil.ledger GROUP BY prev_hash HAVING count(*) > 1) s")" 0 \
	"no fork: no two entries share a prev_hash"

# --- vigil.ledger_append: a batch chained set-based (migration 0010) -----------
entry() {   # entry EVENT ENTITY_ID [PAYLOAD]: one vigil.ledger_entry literal
	echo "ROW('$1', 'bulk', '$2', NULL, NULL, 7, ${3:-NULL})::vigil.ledger_entry"
}
before=$(q "SELECT max(seq) FROM vigil.ledger")
is "$(psql -X -A -t -q -U "$JOBS" -v ON_ERROR_STOP=1 -c "SELECT vigil.ledger_append(ARRAY[$(entry test.append 1 "'{\"é\": \"a\\\\nb\"}'"),
	$(entry test.append 2), $(entry test.append 3 "'[1, 2]'")])")" 3 "$JOBS appends 3 entries in one call"
is "$(q "SELECT string_agg(seq - $before || ':' || entity_id || ':' || actor || ':' || run_id || ':' || payload::text, ' ' ORDER BY seq)
	FROM vigil.ledger WHERE seq > $before")" \
	'1:1:'"$JOBS"':7:{"é": "a\\nb"} 2:2:'"$JOBS"':7:{} 3:3:'"$JOBS"':7:[1, 2]' \
	"entries in array order, consecutive seqs, actor = session user, NULL payload = {}"
is "$(chain_problems)" 0 "chain intact after a bulk append"
exits 0 "trigger appends and bulk appends interleave in one transaction" \
	psql -X -q -U "$APP" -v ON_ERROR_STOP=1 -c "BEGIN;
	INSERT INTO vigil.ledger (event_type, entity_id) VALUES ('test.single', 'a');
	SELECT vigil.ledger_append(ARRAY[$(entry test.append 4), $(entry test.append 5)]);
	INSERT INTO vigil.ledger (event_type, entity_id) VALUES ('test.single', 'b');
	SELECT vigil.ledger_append(ARRAY[$(entry test.append 6)]);
	COMMIT"
is "$(q "SELECT string_agg(entity_id, ',' ORDER BY seq) FROM vigil.ledger WHERE seq > $before")" "1,2,3,a,4,5,b,6" \
	"interleaved entries in the order they were appended"
is "$(chain_problems)" 0 "chain intact after interleaved appends"
is "$(q "SELECT vigil.ledger_append('{}') || ' ' || vigil.ledger_append(NULL)")" "0 0" "an empty or NULL batch appends nothing"
count=$(q "SELECT count(*) FROM vigil.ledger")
run psql -X -q -U "$APP" -v ON_ERROR_STOP=1 -c "SELECT vigil.ledger_append(ARRAY[$(entry test.append 7), ROW(NULL, 'x', 'y', NULL, NULL, NULL, NULL)::vigil.ledger_entry])"
like "$RC $ERR" '^[1-9].*null value in column "event_type"' "an entry without event_type is refused"
run psql -X -q -U "$APP" -v ON_ERROR_STOP=1 -c "SELECT vigil.ledger_append(ARRAY[$(entry test.append 7), ROW('test.append', 'bulk', E'x\\ny', NULL, NULL, NULL, NULL)::vigil.ledger_entry])"
like "$RC $ERR" '^[1-9].*ledger_entity_id_check' "an entity_id with a newline is refused"
is "$(q "SELECT count(*) FROM vigil.ledger")" "$count" "a refused batch appends none of its entries"
run psql -X -q -v ON_ERROR_STOP=1 -c "SET ROLE vigil_auditor; SELECT vigil.ledger_append(ARRAY[$(entry test.append 8)])"
like "$RC $ERR" "^[1-9].*permission denied for function ledger_append" "vigil_auditor cannot append in bulk"
run psql -X -q -v ON_ERROR_STOP=1 -c "BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT vigil.ledger_append(ARRAY[$(entry test.append 9)]); COMMIT"
like "$RC $ERR" "^[1-9].*READ COMMITTED" "a REPEATABLE READ transaction cannot append in bulk"
# Only the function (running as vigil_owner) may supply hashes: the
# application's supplied hashes are recomputed, and the owner's own plain
# inserts without hashes are still chained by the trigger.
psql -X -q -U "$APP" -v ON_ERROR_STOP=1 -c "INSERT INTO vigil.ledger (seq, event_type, prev_hash, entry_hash)
	VALUES (1, 'forged.app', sha256('x'), sha256('y'))" >/dev/null
is "$(q "SELECT (seq > $before) || ' ' || (entry_hash <> sha256('y')) FROM vigil.ledger WHERE event_type = 'forged.app'")" "true true" \
	"an application's supplied seq and hashes are replaced"
psql -X -q -v ON_ERROR_STOP=1 -c "SET ROLE vigil_owner; INSERT INTO vigil.ledger (event_type) VALUES ('owner.plain')" >/dev/null
is "$(chain_problems)" 0 "chain intact after forged and owner inserts"
before=$(q "SELECT max(seq) FROM vigil.ledger")
q "SELECT vigil.ledger_append(array_agg(ROW('test.bulk5k', 'n', g::text, NULL, 'bulk', g,
	jsonb_build_object('g', g, 'text', 'é \"quoted\" \\ back'))::vigil.ledger_entry ORDER BY g))
	FROM generate_series(1, 5000) g" >/dev/null
is "$(q "SELECT count(*) || ' ' || min(seq) - $before || ' ' || max(seq) - $before || ' ' || bool_and(entity_id = (seq - $before)::text)
	FROM vigil.ledger WHERE event_type = 'test.bulk5k'")" "5000 1 5000 true" "5000 entries in one call, consecutive and in order"
is "$(chain_problems)" 0 "chain intact after a 5000-entry append"

# Bulk and single-row writers at once: one chain, no fork.
before=$(q "SELECT count(*) FROM vigil.ledger")
for w in 1 2; do
	for i in $(seq 1 50); do
		echo "SELECT vigil.ledger_append(ARRAY[$(entry test.mixed "b$w.$i.1"), $(entry test.mixed "b$w.$i.2")]);"
		echo "INSERT INTO vigil.ledger (event_type, entity_type, entity_id) VALUES ('test.mixed', 'single', 's$w.$i');"
	done >"$TMP/mixed$w.sql"
done
pids=()
for w in 1 2; do
	psql -X -q -U "$JOBS" -v ON_ERROR_STOP=1 -f "$TMP/mixed$w.sql" >"$TMP/mixed$w.out" 2>&1 &
	pids+=($!)
done
writers_ok=0
for p in "${pids[@]}"; do wait "$p" && writers_ok=$((writers_ok + 1)); done
is "$writers_ok" 2 "two writers mixing bulk and single appends finished"
is "$(q "SELECT count(*) FROM vigil.ledger")" "$((before + 300))" "300 mixed entries appended"
is "$(chain_problems)" 0 "one unbroken chain after mixed concurrent writers"
is "$(q "SELECT count(*) FROM (SELECT prev_hash FROM vigil.ledger GROUP BY prev_hash HAVING count(*) > 1) s")" 0 \
	"no fork after mixed concurrent writers"

# --- zones: RED -> GREEN -> RED as proofs come and go --------------------------
q "INSERT INTO vigil.zones (id, project_id, name, required_proof_types, required_proof_count, current_escalation_level, readiness_deadline)
	VALUES ('6f000000-0000-4000-8000-000000000001', '50000000-0000-4000-8000-000000000001', 'Test zone', '{photo,document}', 2, 2, '2026-05-01')" >/dev/null
zone_state() { q "SELECT computed_status || ' ' || current_escalation_level || ' ' || (status_computed_at IS NOT NULL)
	FROM vigil.zones WHERE id = '6f000000-0000-4000-8000-000000000001'"; }
is "$(zone_state)" "RED 2 true" "a new zone with requirements and no proofs is RED"
exits 0 "$APP adds a photo" psql -X -q -U "$APP" -v ON_ERROR_STOP=1 -c "INSERT INTO vigil.proofs (id, zone_id, proof_type)
	VALUES ('6f100000-0000-4000-8000-000000000001', '6f000000-0000-4000-8000-000000000001', 'photo')"
is "$(zone_state)" "RED 2 true" "one photo: still RED (count and types not met)"
q "INSERT INTO vigil.proofs (id, zone_id, proof_type) VALUES
	('6f100000-0000-4000-8000-000000000002', '6f000000-0000-4000-8000-000000000001', 'photo')" >/dev/null
is "$(zone_state)" "RED 2 true" "two photos: still RED (document missing)"
exits 0 "$APP adds a document" psql -X -q -U "$APP" -v ON_ERROR_STOP=1 -c "INSERT INTO vigil.proofs (id, zone_id, proof_type)
	VALUES ('6f100000-0000-4000-8000-000000000003', '6f000000-0000-4000-8000-000000000001', 'document')"
is "$(zone_state)" "GREEN 2 true" "photo + document: GREEN, escalation level untouched"
exits 0 "$APP invalidates the document" psql -X -q -U "$APP" -v ON_ERROR_STOP=1 -c "UPDATE vigil.proofs SET is_valid = false
	WHERE id = '6f100000-0000-4000-8000-000000000003'"
is "$(zone_state)" "RED 2 true" "document invalidated: RED again"
q "UPDATE vigil.zones SET required_proof_types = '{photo}', required_proof_count = 1 WHERE id = '6f000000-0000-4000-8000-000000000001'" >/dev/null
is "$(zone_state)" "GREEN 2 true" "requirements lowered to one photo: GREEN"
q "UPDATE vigil.proofs SET zone_id = '60000000-0000-4000-8000-000000000004' WHERE id = '6f100000-0000-4000-8000-000000000001'" >/dev/null
is "$(zone_state)" "GREEN 2 true" "moving one of two photos to another zone keeps this one GREEN"
is "$(q "SELECT computed_status FROM vigil.zones WHERE id = '60000000-0000-4000-8000-000000000004'")" GREEN \
	"the zone the photo moved to is recomputed too"
q "DELETE FROM vigil.proofs WHERE id = '6f100000-0000-4000-8000-000000000002'" >/dev/null
is "$(zone_state)" "RED 2 true" "deleting the last valid photo: RED"

done_testing
