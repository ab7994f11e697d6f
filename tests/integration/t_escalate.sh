#!/bin/bash
# t_escalate — vigil-escalate against a real database: the samples fixture at
# its reference as-of, the L1 → L2 → L3 ladder over a sequence of --as-of
# values, a zone that goes GREEN between runs, zone policies with several
# recipients and malformed ones, reruns, dry runs, the job lock, overlapping
# runs, a login member of vigil_jobs, and kill -9 mid-run.
. "$(dirname "$0")/../lib.sh"

P=vigil-escalate
program_help_ok $P
program_version_ok $P
program_options_handling_ok $P
exits 64 "$P takes no arguments" $P extra
exits 64 "$P rejects a bad --as-of" $P --as-of yesterday

REF=2026-06-01T00:00:00Z
Z=60000000-0000-4000-8000-0000000000

# state: the domain rows a run may change, one line (ids of events and outbox
# rows are random, so they are left out).
state() {
	q "SELECT md5(string_agg(x, ';' ORDER BY x)) FROM (
		SELECT concat_ws(',', id, computed_status, current_escalation_level, last_escalated_at, readiness_deadline) x FROM vigil.zones
		UNION ALL SELECT concat_ws(',', zone_id, level, status, recipients, threshold_minutes_past_deadline, new_deadline_set_to, triggered_at, resolved_at) FROM vigil.escalation_events
		UNION ALL SELECT concat_ws(',', kind, organization_id, recipient_role, payload - 'escalation_event_id', delivered_at) FROM vigil.notification_outbox) s"
}
domain_ledger() { q "SELECT count(*) FROM vigil.ledger WHERE event_type <> 'job.finished'"; }

# --- the fixture at its reference as-of --------------------------------------
newdb
load_samples
L0=$(q "SELECT max(seq) FROM vigil.ledger")  # the migrations' and the fixture's entries
exits 65 "fixture: a run with a malformed zone policy exits 65" $P --as-of $REF
like "$ERR" "zone ${Z}07: bad escalation policy: not a JSON array of levels" "fixture: the malformed policy is reported by zone id"
like "$ERR" "1 zone skipped: bad escalation policy" "fixture: the error line counts the skipped zones"
like "$ERR" "escalated=3 level1=2 level2=1 level3=0 notified=3 resolved=1 zones_resolved=1 bad_policy=1" "fixture: summary counts"
is "$(q "SELECT string_agg(right(id::text, 2) || ':' || current_escalation_level, ' ' ORDER BY id) FROM vigil.zones")" \
	"01:0 02:1 03:1 04:2 05:3 06:0 07:0 08:0 09:0 10:0" "fixture: Z2 and Z3 rose to L1, Z4 to L2, Z9 back to 0, the rest unchanged"
is "$(q "SELECT string_agg(right(id::text, 2) || '=' || to_char(readiness_deadline, 'MM-DD HH24:MI'), ' ' ORDER BY id) FROM vigil.zones WHERE id IN ('${Z}02', '${Z}03', '${Z}04')")" \
	"02=06-02 00:00 03=06-02 00:00 04=06-01 16:00" "fixture: new deadlines are as-of + new_deadline_minutes_from_now"
is "$(q "SELECT count(*) FROM vigil.zones WHERE last_escalated_at = '$REF' AND id IN ('${Z}02', '${Z}03', '${Z}04')")" 3 \
	"fixture: last_escalated_at is the run's as-of"
is "$(q "SELECT string_agg(right(zone_id::text, 2) || ':' || level || ':' || recipients::text || ':' || threshold_minutes_past_deadline, ' ' ORDER BY zone_id)
	FROM vigil.escalation_events WHERE triggered_at = '$REF'")" \
	'02:1:["site_coordinator"]:0 03:1:["site_coordinator"]:0 04:2:["project_manager"]:480' "fixture: escalation events with recipients and thresholds"
is "$(q "SELECT count(*) FROM vigil.escalation_events WHERE triggered_at = '$REF' AND status = 'active' AND run_id = (SELECT max(id) FROM vigil.job_runs)")" 3 \
	"fixture: the new events are active and carry the run id"
is "$(q "SELECT status || ':' || resolved_at FROM vigil.escalation_events WHERE zone_id = '${Z}09'")" "resolved:2026-06-01 00:00:00+00" \
	"fixture: the GREEN zone's escalation is resolved"
is "$(q "SELECT count(*) FROM vigil.escalation_events WHERE zone_id = '${Z}05' AND status = 'active'")" 3 "fixture: the RED zone at L3 keeps its escalations"
is "$(q "SELECT string_agg(right(payload->>'zone_id', 2) || ':' || recipient_role || ':' || organization_id, ' ' ORDER BY payload->>'zone_id')
	FROM vigil.notification_outbox WHERE kind = 'zone.escalated' AND dedupe_key LIKE 'zone-esc:%'")" \
	"02:site_coordinator:10000000-0000-4000-8000-000000000001 03:site_coordinator:10000000-0000-4000-8000-000000000001 04:project_manager:10000000-0000-4000-8000-000000000001" \
	"fixture: one outbox row per recipient role, for the zone's organization"
is "$(q "SELECT count(*) FROM vigil.notification_outbox o JOIN vigil.escalation_events e ON o.dedupe_key =
	'zone-esc:' || e.zone_id || ':' || e.level || ':' || e.id || ':' || o.recipient_role")" 3 \
	"fixture: dedupe_key is zone-esc:<zone>:<level>:<event id>:<role>"
is "$(q "SELECT string_agg(event_type || ':' || right(entity_id, 2), ' ' ORDER BY seq) FROM vigil.ledger WHERE seq > $L0 AND event_type <> 'job.finished'")" \
	"zone.escalations_resolved:09 zone.escalated:02 zone.escalated:03 zone.escalated:04" "fixture: one ledger entry per change"
is "$(q "SELECT payload->>'level' || '/' || (payload->>'previous_level') || '/' || (payload->>'escalation_event_id' =
	(SELECT id::text FROM vigil.escalation_events WHERE zone_id = '${Z}04' AND level = 2)) FROM vigil.ledger WHERE event_type = 'zone.escalated' AND entity_id = '${Z}04'")" \
	"2/1/true" "fixture: the ledger entry names the level and the event"
is "$(q "SELECT computed_status FROM vigil.zones WHERE id = '${Z}09'")" GREEN "fixture: the job never writes computed_status"

before=$(state)
ledger_before=$(domain_ledger)
exits 65 "fixture: a rerun at the same as-of still reports the bad policy" $P --as-of $REF
like "$ERR" "escalated=0 .*resolved=0 zones_resolved=0 bad_policy=1" "fixture rerun: nothing escalated or resolved"
is "$(state)" "$before" "fixture rerun: no row changed"
is "$(domain_ledger)" "$ledger_before" "fixture rerun: no ledger entry besides job.finished"

# The bad zone fixed: it escalates with the default policy.
q "UPDATE vigil.zones SET escalation_policy = NULL WHERE id = '${Z}07'" >/dev/null
exits 0 "fixture: once the policy is fixed the run exits 0" $P --as-of $REF
is "$(q "SELECT current_escalation_level FROM vigil.zones WHERE id = '${Z}07'")" 1 "fixture: the fixed zone escalates"

# --- the ladder over a sequence of --as-of values -----------------------------
newdb escalate_ladder
q "INSERT INTO vigil.organizations (id, name) VALUES ('10000000-0000-4000-8000-00000000aaaa', 'Ladder Org');
   INSERT INTO vigil.projects (id, organization_id, name) VALUES ('50000000-0000-4000-8000-00000000aaaa', '10000000-0000-4000-8000-00000000aaaa', 'Ladder');
   INSERT INTO vigil.zones (id, project_id, name, required_proof_types, required_proof_count, readiness_deadline) VALUES
	('${Z}a1', '50000000-0000-4000-8000-00000000aaaa', 'A stays red', '{photo}', 1, '2026-06-01T00:00:00Z'),
	('${Z}a2', '50000000-0000-4000-8000-00000000aaaa', 'B goes green', '{photo}', 1, '2026-06-01T00:00:00Z')" >/dev/null
level() { q "SELECT current_escalation_level FROM vigil.zones WHERE id = '${Z}$1'"; }
events() { q "SELECT count(*) FROM vigil.escalation_events WHERE zone_id = '${Z}$1'"; }

exits 0 "ladder: one minute before the deadline" $P --as-of 2026-05-31T23:59:00Z
is "$(level a1)/$(events a1)" "0/0" "ladder: nothing before the deadline"
exits 0 "ladder: at the deadline" $P --as-of 2026-06-01T00:00:00Z
is "$(level a1)/$(level a2)" "1/1" "ladder: L1 at deadline + 0 min"
is "$(q "SELECT readiness_deadline FROM vigil.zones WHERE id = '${Z}a1'")" "2026-06-02 00:00:00+00" "ladder: L1 moves the deadline 1440 min on"
is "$(q "SELECT string_agg(recipient_role, ',') FROM vigil.notification_outbox WHERE payload->>'zone_id' = '${Z}a1'")" site_coordinator \
	"ladder: L1 notifies the site coordinator"
exits 0 "ladder: a second run at the same as-of" $P --as-of 2026-06-01T00:00:00Z
is "$(level a1)/$(events a1)" "1/1" "ladder: one level per zone per as-of"

# B gets its proof between runs: GREEN, resolved, never escalated again.
q "INSERT INTO vigil.proofs (zone_id, proof_type) VALUES ('${Z}a2', 'photo')" >/dev/null
exits 0 "ladder: 479 min past the new deadline" $P --as-of 2026-06-02T07:59:00Z
is "$(level a1)" 1 "ladder: L2 not before 480 min past the deadline"
is "$(level a2)/$(q "SELECT string_agg(status, ',') FROM vigil.escalation_events WHERE zone_id = '${Z}a2'")" "0/resolved" \
	"ladder: the zone that went GREEN is resolved and back to level 0"
is "$(q "SELECT count(*) FROM vigil.ledger WHERE event_type = 'zone.escalations_resolved' AND entity_id = '${Z}a2'")" 1 \
	"ladder: zone.escalations_resolved in the ledger"
exits 0 "ladder: 480 min past the deadline" $P --as-of 2026-06-02T08:00:00Z
is "$(level a1)/$(level a2)" "2/0" "ladder: L2 at 480 min; the GREEN zone is not escalated"
is "$(q "SELECT readiness_deadline FROM vigil.zones WHERE id = '${Z}a1'")" "2026-06-03 00:00:00+00" "ladder: L2 moves the deadline 960 min on"
exits 0 "ladder: 959 min past the L2 deadline" $P --as-of 2026-06-03T15:59:00Z
is "$(level a1)" 2 "ladder: L3 not before 960 min past the deadline"
exits 0 "ladder: 960 min past the L2 deadline" $P --as-of 2026-06-03T16:00:00Z
is "$(level a1)" 3 "ladder: L3 at 960 min"
exits 0 "ladder: long after" $P --as-of 2026-07-01T00:00:00Z
is "$(level a1)/$(events a1)" "3/3" "ladder: nothing after L3"
is "$(q "SELECT string_agg(level || ':' || recipients::text || ':' || threshold_minutes_past_deadline || ':' || to_char(triggered_at, 'MM-DD HH24:MI') || '>' || to_char(new_deadline_set_to, 'MM-DD HH24:MI'), ' ' ORDER BY level)
	FROM vigil.escalation_events WHERE zone_id = '${Z}a1'")" \
	'1:["site_coordinator"]:0:06-01 00:00>06-02 00:00 2:["project_manager"]:480:06-02 08:00>06-03 00:00 3:["org_admin"]:960:06-03 16:00>06-04 00:00' \
	"ladder: the three events with their thresholds, triggers and new deadlines"
is "$(q "SELECT string_agg(recipient_role || ':' || (payload->>'level'), ',' ORDER BY id) FROM vigil.notification_outbox WHERE payload->>'zone_id' = '${Z}a1'")" \
	"site_coordinator:1,project_manager:2,org_admin:3" "ladder: one notification per level to its role"
is "$(q "SELECT count(*) FROM vigil.ledger WHERE event_type = 'zone.escalated' AND entity_id = '${Z}a1'")" 3 "ladder: three zone.escalated entries"

# --- zone policies: several recipients, and malformed ones -------------------
newdb escalate_policies
q "INSERT INTO vigil.organizations (id, name) VALUES ('10000000-0000-4000-8000-00000000bbbb', 'Policy Org');
   INSERT INTO vigil.projects (id, organization_id, name) VALUES ('50000000-0000-4000-8000-00000000bbbb', '10000000-0000-4000-8000-00000000bbbb', 'Policies');
   INSERT INTO vigil.zones (id, project_id, name, required_proof_types, required_proof_count, readiness_deadline, escalation_policy)
   SELECT ('${Z}' || v.n)::uuid, '50000000-0000-4000-8000-00000000bbbb', 'zone ' || v.n, '{photo}', 1, '2026-05-31T00:00:00Z', v.p::jsonb
   FROM (VALUES
	('b1', '[{\"level\": 1, \"threshold_minutes_past_deadline\": 10, \"recipients_role\": [\"project_manager\", \"org_admin\", \"org_admin\"], \"new_deadline_minutes_from_now\": 30}]'),
	('c1', '[{\"threshold_minutes_past_deadline\": 0, \"recipients_role\": [\"a\"], \"new_deadline_minutes_from_now\": 1}]'),
	('c2', '[{\"level\": 1, \"threshold_minutes_past_deadline\": -5, \"recipients_role\": [\"a\"], \"new_deadline_minutes_from_now\": 1}]'),
	('c3', '[{\"level\": 2, \"threshold_minutes_past_deadline\": 0, \"recipients_role\": [\"a\"], \"new_deadline_minutes_from_now\": 1}]'),
	('c4', '[{\"level\": 1, \"threshold_minutes_past_deadline\": 0, \"recipients_role\": [\"a\"], \"new_deadline_minutes_from_now\": 1},
	         {\"level\": 3, \"threshold_minutes_past_deadline\": 0, \"recipients_role\": [\"a\"], \"new_deadline_minutes_from_now\": 1}]'),
	('c5', '[]'),
	('c6', '[{\"level\": 1, \"threshold_minutes_past_deadline\": 0, \"recipients_role\": \"org_admin\", \"new_deadline_minutes_from_now\": 1}]'),
	('c7', '[{\"level\": 1, \"threshold_minutes_past_deadline\": \"soon\", \"recipients_role\": [\"a\"], \"new_deadline_minutes_from_now\": 1}]'),
	('c8', '[{\"level\": 1, \"threshold_minutes_past_deadline\": 0, \"recipients_role\": [\"a\"]}]'),
	('c9', '[{\"level\": 1.5, \"threshold_minutes_past_deadline\": 0, \"recipients_role\": [\"a\"], \"new_deadline_minutes_from_now\": 1}]')
   ) AS v(n, p)" >/dev/null
exits 65 "policies: malformed zone policies exit 65" $P --as-of 2026-06-01T00:00:00Z
for want in "c1: bad escalation policy: element 1: missing level" \
	"c2: bad escalation policy: element 1: threshold_minutes_past_deadline is negative" \
	"c3: bad escalation policy: element 1: levels out of order: level 2 where 1 was expected" \
	"c4: bad escalation policy: element 2: levels out of order: level 3 where 2 was expected" \
	"c5: bad escalation policy: no levels" \
	"c6: bad escalation policy: element 1: recipients_role is not an array" \
	"c7: bad escalation policy: element 1: threshold_minutes_past_deadline is not an integer" \
	"c8: bad escalation policy: element 1: missing new_deadline_minutes_from_now" \
	"c9: bad escalation policy: element 1: level is not an integer"; do
	like "$ERR" "zone ${Z}$want" "policies: reported: ${want%%:*} ${want#*policy: }"
done
like "$ERR" "9 zones skipped: bad escalation policy" "policies: the error counts the skipped zones"
is "$(q "SELECT count(*) FROM vigil.escalation_events WHERE zone_id <> '${Z}b1'")" 0 "policies: no malformed zone escalated"
is "$(q "SELECT current_escalation_level || ':' || to_char(readiness_deadline, 'HH24:MI') FROM vigil.zones WHERE id = '${Z}b1'")" "1:00:30" \
	"policies: the valid zone escalated the same run, with its own new deadline"
is "$(q "SELECT recipients::text FROM vigil.escalation_events WHERE zone_id = '${Z}b1'")" '["project_manager", "org_admin", "org_admin"]' \
	"policies: the event lists the policy's recipients"
is "$(q "SELECT string_agg(recipient_role, ',' ORDER BY recipient_role) FROM vigil.notification_outbox")" "org_admin,project_manager" \
	"policies: one outbox row per distinct recipient role"
q "UPDATE vigil.zones SET escalation_policy = NULL WHERE id::text LIKE '${Z}c%'" >/dev/null
exits 0 "policies: with the default policy the zones escalate" $P --as-of 2026-06-01T00:00:00Z --batch-size 2
is "$(q "SELECT count(*) FROM vigil.zones WHERE current_escalation_level = 1")" 10 "policies: batches of 2 escalate all 9 fixed zones and keep b1 at 1"
exits 0 "policies: b1's one-level policy has no level 2" $P --as-of 2026-07-01T00:00:00Z
is "$(q "SELECT current_escalation_level FROM vigil.zones WHERE id = '${Z}b1'")" 1 "policies: a zone past the last level of its policy stays"

# --- dry run, the lock, overlapping runs, vigil_jobs ---------------------------
newdb escalate_ops
load_samples
L0=$(q "SELECT max(seq) FROM vigil.ledger")
q "UPDATE vigil.zones SET escalation_policy = NULL WHERE id = '${Z}07'" >/dev/null
before=$(state)
exits 0 "dry run exits 0" $P --dry-run --as-of $REF
like "$ERR" "status=dry-run escalated=4 " "dry run reports what would escalate"
is "$(state)" "$before" "dry run changes no row"
is "$(q "SELECT count(*) FROM vigil.ledger WHERE seq > $L0")/$(q "SELECT count(*) FROM vigil.job_runs")" "0/0" "dry run writes no ledger entry and no job_runs row"

psql -X -q -c "SELECT pg_advisory_lock(7447, hashtext('vigil-escalate')); SELECT pg_sleep(30)" >/dev/null 2>&1 &
holder=$!
for _ in $(seq 50); do
	[ "$(q "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = 7447 AND granted")" = 1 ] && break
	sleep 0.1
done
exits 75 "a second run while the lock is held exits 75" $P --as-of $REF
like "$ERR" "another vigil-escalate run holds the lock" "the lock message names the job"
kill "$holder" 2>/dev/null; wait "$holder" 2>/dev/null
q "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(30)%' AND pid <> pg_backend_pid()" >/dev/null
is "$(state)" "$before" "the refused run changed nothing"

q "DO \$\$ BEGIN CREATE ROLE jobs_login LOGIN IN ROLE vigil_jobs; EXCEPTION WHEN duplicate_object THEN NULL; END \$\$" >/dev/null
$P -d "dbname=$PGDATABASE user=jobs_login" --as-of $REF >"$TMP/o1" 2>"$TMP/e1" &
p1=$!
$P -d "dbname=$PGDATABASE user=jobs_login" --as-of $REF >"$TMP/o2" 2>"$TMP/e2" &
p2=$!
wait $p1; rc1=$?
wait $p2; rc2=$?
like "$rc1 $rc2" "^(0 (0|75)|75 0)$" "two overlapping runs as a vigil_jobs member: one works, the other exits 0 or 75 ($rc1 $rc2)"
is "$(q "SELECT string_agg(right(id::text, 2) || ':' || current_escalation_level, ' ' ORDER BY id) FROM vigil.zones")" \
	"01:0 02:1 03:1 04:2 05:3 06:0 07:1 08:0 09:0 10:0" "overlapping runs raise each zone once"
is "$(q "SELECT count(*) FROM vigil.escalation_events WHERE triggered_at = '$REF'")/$(q "SELECT count(*) FROM vigil.notification_outbox WHERE dedupe_key LIKE 'zone-esc:%'")" \
	"4/4" "overlapping runs write each event and notification once"
is "$(q "SELECT count(*) FROM vigil.ledger WHERE event_type = 'zone.escalated' AND actor = 'vigil-escalate'")" 4 "ledger actor is the program"
exits 0 "a vigil_jobs member can run a later escalation" $P -d "dbname=$PGDATABASE user=jobs_login" --as-of 2026-06-01T08:00:00Z
is "$(q "SELECT current_escalation_level FROM vigil.zones WHERE id = '${Z}06'")" 1 "Z6 rises by its own policy (L1 at 60 min past its deadline)"

# --- kill -9 mid-run, then rerun: the state of an uninterrupted run -------------
newdb escalate_killref
seed_zones() {
	q "INSERT INTO vigil.organizations (id, name) VALUES ('10000000-0000-4000-8000-00000000cccc', 'Kill Org');
	   INSERT INTO vigil.projects (id, organization_id, name) VALUES ('50000000-0000-4000-8000-00000000cccc', '10000000-0000-4000-8000-00000000cccc', 'Kill');
	   INSERT INTO vigil.zones (id, project_id, name, required_proof_types, required_proof_count, current_escalation_level, readiness_deadline)
	   SELECT md5('kill-zone-' || g)::uuid, '50000000-0000-4000-8000-00000000cccc', 'zone ' || g, '{photo}', 1, g % 3,
	          '2026-05-31T00:00:00Z'::timestamptz - make_interval(mins => (g * 7) % 1500)
	   FROM generate_series(1, 6000) g" >/dev/null
}
seed_zones
exits 0 "kill -9: reference run" $P --as-of $REF --batch-size 100
ref_state=$(state)
isnt "$(q "SELECT count(*) FROM vigil.escalation_events")" 0 "kill -9: the reference run escalated zones"
RANDOM=4242
for trial in 1 2 3 4 5; do
	newdb escalate_kill
	seed_zones
	delay=$(printf '0.%02d' $((RANDOM % 60 + 5)))
	$P --as-of $REF --batch-size 100 >/dev/null 2>&1 &
	pid=$!
	sleep "$delay"
	kill -9 $pid 2>/dev/null
	wait $pid 2>/dev/null
	echo "# trial $trial: killed after ${delay}s with $(q "SELECT count(*) FROM vigil.escalation_events") of 6000 zones escalated"
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		run $P --as-of $REF --batch-size 100
		[ "$RC" = 75 ] || break
		sleep 0.5
	done
	is "$RC" 0 "kill -9 trial $trial (after ${delay}s): the rerun exits 0"
	is "$(state)" "$ref_state" "kill -9 trial $trial: end state equals the uninterrupted run"
	is "$(q "SELECT count(*) FROM (SELECT zone_id, level FROM vigil.escalation_events GROUP BY 1, 2 HAVING count(*) > 1) d")" 0 \
		"kill -9 trial $trial: no zone raised twice to a level"
done

done_testing
