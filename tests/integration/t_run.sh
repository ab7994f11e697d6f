#!/bin/bash
# t_run.sh — the life of a job run (common/run.c, db.c, log.c, metrics.c)
# against a real PostgreSQL, through build/tests/vigil-testjob: the job_runs
# row and the job.finished ledger entry, the job lock, abandoned runs,
# SIGTERM, --dry-run, the metrics file, json and journald logging, password
# redaction, and the exit codes of connection, permission and
# not-migrated errors.
. "$(dirname "$0")/../lib.sh"

PATH=$TOP/build/tests:$PATH
AS_OF=2026-06-01T00:00:00Z
[ -x "$TOP/build/tests/vigil-testjob" ] || { echo "not ok - build/tests/vigil-testjob is not built (make build/tests/vigil-testjob)"; exit 1; }

newdb

# wait_for SQL: polls until the query prints "t" (10 s at most).
wait_for() {
	local i
	for i in $(seq 1 100); do
		[ "$(q "$1")" = t ] && return 0
		sleep 0.1
	done
	return 1
}

program_help_ok vigil-testjob
program_version_ok vigil-testjob
program_options_handling_ok vigil-testjob
exits 64 "a bad program option value is a usage error" vigil-testjob --batches many
like "$ERR" 'invalid --batches "many"' "the bad value is named"

# --- one successful run -------------------------------------------------------
exits 0 "a run succeeds" vigil-testjob --as-of "$AS_OF" --batches 3 --batch-size 10
RUN1=$(q "SELECT max(id) FROM vigil.job_runs")
is "$(q "SELECT count(*) FROM vigil.job_runs")" 1 "the run inserted one job_runs row"
is "$(q "SELECT job, status FROM vigil.job_runs WHERE id = $RUN1")" "testjob|succeeded" "job_runs: job and status succeeded"
is "$(q "SELECT counts = '{\"batches\": 3, \"items\": 30}' FROM vigil.job_runs WHERE id = $RUN1")" t \
	"job_runs.counts holds the counts (items follow --batch-size)"
is "$(q "SELECT as_of = '$AS_OF' FROM vigil.job_runs WHERE id = $RUN1")" t "job_runs.as_of is --as-of"
is "$(q "SELECT host, version FROM vigil.job_runs WHERE id = $RUN1")" "$(uname -n)|0.1.0" "job_runs: host and version"
is "$(q "SELECT pid > 0 AND finished_at >= started_at AND error IS NULL FROM vigil.job_runs WHERE id = $RUN1")" t \
	"job_runs: pid, finished_at after started_at, no error"
is "$(q "SELECT params = '{\"batches\": 3, \"sleep_ms\": 0, \"fail\": 0}' FROM vigil.job_runs WHERE id = $RUN1")" t \
	"job_runs.params describes the options"
like "$ERR" "^[0-9T:-]{19}Z info vigil-testjob run=$RUN1 status=succeeded batches=3 items=30 ms=[0-9]+ as_of=2026-06-01T00:00:00.000000Z$" \
	"one summary line on stderr"
is "$OUT" "" "nothing on stdout"

is "$(q "SELECT count(*) FROM vigil.ledger WHERE event_type = 'job.finished' AND run_id = $RUN1")" 1 \
	"one job.finished ledger entry for the run"
is "$(q "SELECT entity_type, entity_id, actor FROM vigil.ledger WHERE run_id = $RUN1")" "job_run|$RUN1|vigil-testjob" \
	"the entry names the run and the program"
is "$(q "SELECT payload->'counts' = '{\"batches\": 3, \"items\": 30}' AND payload->>'status' = 'succeeded'
	AND payload->>'exit_code' = '0' AND payload->>'job' = 'testjob'
	AND payload->>'as_of' = '2026-06-01T00:00:00.000000Z' FROM vigil.ledger WHERE run_id = $RUN1")" t \
	"the entry's payload carries the counts, status, exit code and as-of"

# the chain the trigger built matches ledger.h's canonical form, recomputed
# outside PostgreSQL
q "SELECT encode(prev_hash, 'hex'), encode(entry_hash, 'hex'), seq::text,
	to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), event_type,
	coalesce(entity_type, ''), coalesce(entity_id, ''), coalesce(evidence_node_id::text, ''), actor,
	coalesce(run_id::text, ''), payload::text
	FROM vigil.ledger WHERE run_id = $RUN1" >"$TMP/ledger.txt"
is "$(python3 -c '
import hashlib, sys
f = open(sys.argv[1], encoding="utf-8").read().rstrip("\n").split("|")
prev, want, fields = bytes.fromhex(f[0]), f[1], f[2:]
print(hashlib.sha256(prev + "\n".join(fields).encode()).hexdigest() == want)' "$TMP/ledger.txt")" True \
	"entry_hash = SHA-256(prev_hash || canonical form of ledger.h)"

# without --as-of the run is as of the database's now()
exits 0 "a run without --as-of succeeds" vigil-testjob --batches 0
is "$(q "SELECT abs(extract(epoch FROM as_of - started_at)) < 5 FROM vigil.job_runs ORDER BY id DESC LIMIT 1")" t \
	"as_of defaults to the database's now()"

# --- the lock -----------------------------------------------------------------
vigil-testjob --as-of "$AS_OF" --batches 1 --sleep-ms 4000 2>"$TMP/first.err" &
FIRST=$!
wait_for "SELECT EXISTS (SELECT 1 FROM vigil.job_runs WHERE status = 'running' AND pid = $FIRST)" ||
	fail "the first run did not start"
exits 75 "a second run while the first holds the lock exits 75" vigil-testjob --as-of "$AS_OF"
like "$ERR" "error vigil-testjob another vigil-testjob run holds the lock on this database" "it says the lock is held"
like "$ERR" "hint: nothing was done" "with a hint"
is "$(q "SELECT count(*) FROM vigil.job_runs WHERE status = 'running'")" 1 "the second run left no job_runs row"
wait "$FIRST"
is "$?" 0 "the first run finishes normally"
is "$(q "SELECT status FROM vigil.job_runs WHERE pid = $FIRST")" succeeded "the first run is recorded as succeeded"
exits 0 "once the lock is free a run succeeds" vigil-testjob --batches 1

# vigil_lock_wait: waits, gives up with 75, and leaves the session's
# lock_timeout as configured (database.lock_timeout_ms, 5000 by default)
exits 0 "a free lock is taken at once" vigil-testjob --lock-wait 1 --batches 0
is "$(q "SELECT counts->>'lock_timeout_ms' FROM vigil.job_runs ORDER BY id DESC LIMIT 1")" 5000 \
	"the session's lock_timeout is restored after the wait"
psql -X -q -c "SELECT pg_advisory_lock(7447, hashtext('vigil-testjob-wait')), pg_sleep(60)" >/dev/null 2>&1 &
HOLDER=$!
wait_for "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND classid = 7447
	AND objid = hashtext('vigil-testjob-wait')::oid AND granted)" || fail "the lock holder did not start"
START=$(date +%s%N)
exits 75 "a lock held longer than --lock-wait exits 75" vigil-testjob --lock-wait 1 --batches 0
ELAPSED_MS=$(( ($(date +%s%N) - START) / 1000000 ))
is "$([ "$ELAPSED_MS" -ge 900 ] && [ "$ELAPSED_MS" -lt 5000 ] && echo yes)" yes "after waiting about 1 s (${ELAPSED_MS} ms)"
like "$ERR" "another vigil-testjob-wait run held the lock for more than 1 seconds" "it says how long it waited"
is "$(q "SELECT status FROM vigil.job_runs ORDER BY id DESC LIMIT 1")" failed "the run is recorded as failed"
q "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND classid = 7447
	AND objid = hashtext('vigil-testjob-wait')::oid" >/dev/null
wait "$HOLDER"

# --- a run killed with -9 becomes abandoned --------------------------------------
vigil-testjob --batches 1 --sleep-ms 20000 2>/dev/null &
KILLED=$!
disown "$KILLED"   # no "Killed" notice from the shell
wait_for "SELECT EXISTS (SELECT 1 FROM vigil.job_runs WHERE status = 'running' AND pid = $KILLED)" ||
	fail "the run to kill did not start"
KILLED_ID=$(q "SELECT id FROM vigil.job_runs WHERE pid = $KILLED")
kill -9 "$KILLED"
wait_for "SELECT NOT EXISTS (SELECT 1 FROM pg_stat_activity WHERE application_name = 'vigil-testjob')" ||
	fail "the killed run's session did not end"
is "$(q "SELECT status FROM vigil.job_runs WHERE id = $KILLED_ID")" running "the killed run is left running"
exits 0 "the next run succeeds" vigil-testjob --batches 1
is "$(q "SELECT status, finished_at IS NOT NULL, error FROM vigil.job_runs WHERE id = $KILLED_ID")" \
	"abandoned|t|the process ended without recording an outcome" "the killed run is marked abandoned"
like "$ERR" "warning vigil-testjob run $KILLED_ID of vigil-testjob ended without recording an outcome; marked abandoned" \
	"the next run says so"
is "$(q "SELECT count(*) || ':' || min(payload->>'status') FROM vigil.ledger WHERE event_type = 'job.abandoned'
	AND entity_id = '$KILLED_ID' AND run_id = $KILLED_ID")" "1:abandoned" "the abandoned run gets one job.abandoned ledger entry"
is "$(q "SELECT count(*) FROM vigil.job_runs WHERE status = 'running'")" 0 "no run is left running"

# --- SIGTERM mid-run ------------------------------------------------------------
vigil-testjob --batches 100 --sleep-ms 100 2>"$TMP/term.err" &
TERMED=$!
wait_for "SELECT EXISTS (SELECT 1 FROM vigil.job_runs WHERE status = 'running' AND pid = $TERMED)" ||
	fail "the run to interrupt did not start"
sleep 0.5
kill -TERM "$TERMED"
wait "$TERMED"
is "$?" 75 "SIGTERM mid-run exits 75"
TERM_ID=$(q "SELECT id FROM vigil.job_runs WHERE pid = $TERMED")
is "$(q "SELECT status FROM vigil.job_runs WHERE id = $TERM_ID")" interrupted "the run is recorded as interrupted"
is "$(q "SELECT (counts->>'batches')::int BETWEEN 1 AND 99 FROM vigil.job_runs WHERE id = $TERM_ID")" t \
	"it stopped between batches, after some work"
is "$(q "SELECT error LIKE 'interrupted after % of 100 batches' FROM vigil.job_runs WHERE id = $TERM_ID")" t \
	"job_runs.error says why"
is "$(q "SELECT payload->>'status', payload->>'exit_code', payload->'counts' = (SELECT counts FROM vigil.job_runs WHERE id = $TERM_ID)
	FROM vigil.ledger WHERE event_type = 'job.finished' AND run_id = $TERM_ID")" "interrupted|75|t" \
	"the interrupted run has its ledger entry with the counts"
like "$(cat "$TMP/term.err")" "error vigil-testjob run=$TERM_ID status=interrupted" "the summary says interrupted"

# --- dry run ----------------------------------------------------------------------
RUNS=$(q "SELECT count(*) FROM vigil.job_runs")
ENTRIES=$(q "SELECT count(*) FROM vigil.ledger")
exits 0 "a dry run succeeds" vigil-testjob --dry-run --as-of "$AS_OF" --batches 2
is "$(q "SELECT count(*) FROM vigil.job_runs")" "$RUNS" "a dry run writes no job_runs row"
is "$(q "SELECT count(*) FROM vigil.ledger")" "$ENTRIES" "a dry run writes no ledger entry"
like "$ERR" "info vigil-testjob run=0 status=dry-run batches=2 items=10000 ms=[0-9]+ as_of=2026-06-01T00:00:00.000000Z dry_run=1$" "the summary reports the dry run's counts"

# --- metrics --------------------------------------------------------------------------
mkdir "$TMP/metrics"
cat >"$TMP/metrics.conf" <<EOF
metrics: { textfile_dir = "$TMP/metrics"; };
jobs: { batch_size = 7; };
EOF
BEFORE=$(date +%s)
exits 0 "a run with metrics.textfile_dir succeeds" vigil-testjob -c "$TMP/metrics.conf" --batches 2
PROM=$(cat "$TMP/metrics/vigil_testjob.prom" 2>/dev/null)
like "$PROM" 'vigil_job_exit_code\{job="testjob"\} 0' "metrics: exit code 0"
like "$PROM" 'vigil_job_items_total\{job="testjob",kind="batches"\} 2' "metrics: the batches count"
like "$PROM" 'vigil_job_items_total\{job="testjob",kind="items"\} 14' "metrics: the items count (batch_size 7 from the file)"
RUN_TS=$(echo "$PROM" | sed -n 's/^vigil_job_last_run_timestamp_seconds{job="testjob"} \([0-9]*\)\..*/\1/p')
SUCCESS_TS=$(echo "$PROM" | sed -n 's/^vigil_job_last_success_timestamp_seconds{job="testjob"} //p')
is "$([ -n "$RUN_TS" ] && [ "$RUN_TS" -ge "$BEFORE" ] && [ "$RUN_TS" -le "$(date +%s)" ] && echo yes)" yes \
	"metrics: the last run timestamp is the run's start"
like "$PROM" 'vigil_job_duration_seconds\{job="testjob"\} [0-9]+\.[0-9]{6}' "metrics: the duration"
exits 70 "--fail 70 ends the run with 70" vigil-testjob -c "$TMP/metrics.conf" --batches 1 --fail 70
like "$ERR" "error vigil-testjob failing with exit code 70 as asked by --fail" "the error is logged"
PROM=$(cat "$TMP/metrics/vigil_testjob.prom")
like "$PROM" 'vigil_job_exit_code\{job="testjob"\} 70' "metrics: exit code 70 after the failure"
is "$(echo "$PROM" | sed -n 's/^vigil_job_last_success_timestamp_seconds{job="testjob"} //p')" "$SUCCESS_TS" \
	"metrics: the last success is carried over from the successful run"
is "$(q "SELECT status, error FROM vigil.job_runs ORDER BY id DESC LIMIT 1")" \
	"failed|failing with exit code 70 as asked by --fail" "job_runs: status failed with the error"
is "$(ls -A "$TMP/metrics")" "vigil_testjob.prom" "no temporary file is left in the metrics directory"

# --- json logs --------------------------------------------------------------------------
exits 0 "a run with --log-format json succeeds" vigil-testjob --log-format json -v --batches 2
is "$(printf '%s\n' "$ERR" | python3 -c '
import json, sys
lines = [json.loads(l) for l in sys.stdin]
print(len(lines) >= 3 and all(set(("ts", "level", "prog")) <= l.keys() for l in lines)
      and isinstance(lines[-1]["run"], int) and lines[-1]["status"] == "succeeded"
      and lines[-1]["batches"] == 2)' 2>&1)" True "every json log line parses, the summary has numeric counts"
cat >"$TMP/json.conf" <<EOF
log: { format = "json"; };
EOF
exits 0 "log.format = \"json\" in the file works too" vigil-testjob -c "$TMP/json.conf" --batches 1
like "$ERR" '^\{"ts":"[0-9T:-]{19}Z","level":"info","prog":"vigil-testjob","run":[0-9]+,' "a json summary line"

# --- journald prefix ----------------------------------------------------------------------
: >"$TMP/journal.err"
JOURNAL_STREAM=$(stat -c '%d:%i' "$TMP/journal.err") vigil-testjob --batches 1 --fail 3 2>>"$TMP/journal.err"
is "$?" 3 "a run under JOURNAL_STREAM exits as asked"
JLOG=$(cat "$TMP/journal.err")
is "$(printf '%s\n' "$JLOG" | grep -vc '^<[0-7]>')" 0 "with JOURNAL_STREAM naming stderr every line has a <N> prefix"
like "$JLOG" "^<3>[0-9T:-]{19}Z error vigil-testjob failing with exit code 3" "errors carry <3>"
: >"$TMP/other.err"
: >"$TMP/notjournal.err"
JOURNAL_STREAM=$(stat -c '%d:%i' "$TMP/other.err") vigil-testjob --batches 1 2>>"$TMP/notjournal.err"
like "$(cat "$TMP/notjournal.err")" "^[0-9T:-]{19}Z info vigil-testjob run=" \
	"with JOURNAL_STREAM naming another file there is no prefix"

# --- passwords never appear ----------------------------------------------------------------
exits 0 "a run with a password in -d succeeds (trust auth ignores it)" \
	vigil-testjob -v -d "dbname=$PGDATABASE password=Sekr1tPw" --batches 1
unlike "$OUT$ERR" "Sekr1tPw" "the password from -d is not printed"
echo 'database: { connect_timeout_s = 0; };' >"$TMP/noretry.conf"
exits 69 "an unreachable server with a password in -d" \
	vigil-testjob -d "postgresql://someone:Sekr1tPw@/vigil?host=/nonexistent-dir" -c "$TMP/noretry.conf"
unlike "$OUT$ERR" "Sekr1tPw" "the password from a URI is not printed on failure"
cat >"$TMP/pw.conf" <<EOF
database: { conninfo = "dbname=$PGDATABASE password=Sekr1tPw"; };
EOF
exits 0 "--print-config with a password in database.conninfo" vigil-testjob -c "$TMP/pw.conf" --print-config
unlike "$OUT$ERR" "Sekr1tPw" "--print-config masks the password"
like "$OUT" 'conninfo = ".*password=\*\*\*\*\*\*\*\*' "and shows that one is set"

# --- unreachable database --------------------------------------------------------------
cat >"$TMP/unreachable.conf" <<EOF
database: { connect_timeout_s = 2; };
EOF
START=$(date +%s%N)
exits 69 "an unreachable database exits 69" vigil-testjob -c "$TMP/unreachable.conf" -d 'host=/nonexistent-dir'
ELAPSED_MS=$(( ($(date +%s%N) - START) / 1000000 ))
is "$([ "$ELAPSED_MS" -ge 1500 ] && [ "$ELAPSED_MS" -lt 10000 ] && echo yes)" yes \
	"it retried for about connect_timeout_s and gave up in under 10 s (${ELAPSED_MS} ms)"
like "$ERR" "warning vigil-testjob cannot connect to the database \(attempt 1\)" "each retry is logged"
like "$ERR" "error vigil-testjob cannot connect to the database .*No such file or directory \(gave up after [0-9]+ attempts in 2s\)" \
	"the error names the failure and the retries"
like "$ERR" "hint: check that PostgreSQL is running" "with a hint"

# --- a role without grants -----------------------------------------------------------------
q "DROP ROLE IF EXISTS t_run_nogrants" >/dev/null 2>&1
q "CREATE ROLE t_run_nogrants LOGIN" >/dev/null
exits 77 "a role without grants exits 77" vigil-testjob -d "dbname=$PGDATABASE user=t_run_nogrants" --batches 1
like "$ERR" "error vigil-testjob cannot [a-z ]+: permission denied for (schema vigil|table job_runs)" \
	"the error says permission denied on what"
like "$ERR" "hint: run as a role that is a member of vigil_jobs" "with a hint naming vigil_jobs"

exits 77 "a role that does not exist exits 77, without retrying" \
	vigil-testjob -d "dbname=$PGDATABASE user=t_run_nosuchrole" --batches 1
like "$ERR" 'role "t_run_nosuchrole" does not exist' "the error names the role"
like "$ERR" "hint: check the user and password" "with a hint about the user"

# the jobs role is enough for a whole run: job_runs, the ledger, the lock
q "DROP ROLE IF EXISTS t_run_jobs" >/dev/null 2>&1
q "CREATE ROLE t_run_jobs LOGIN IN ROLE vigil_jobs" >/dev/null
exits 0 "a member of vigil_jobs can run a job" vigil-testjob -d "dbname=$PGDATABASE user=t_run_jobs" --batches 1
is "$(q "SELECT status, counts->>'batches' FROM vigil.job_runs ORDER BY id DESC LIMIT 1")" "succeeded|1" \
	"its run is recorded"

# --- bad command lines ----------------------------------------------------------------------
exits 64 "a malformed --as-of is a usage error" vigil-testjob --as-of 2026-13-01
like "$ERR" 'invalid --as-of "2026-13-01": expected ISO 8601' "the bad --as-of is named"
exits 64 "--as-of with a bad offset is a usage error" vigil-testjob --as-of "2026-06-01T00:00:00+25:00"
exits 64 "a bad --batch-size is a usage error" vigil-testjob --batch-size 0
exits 64 "a bad --log-format is a usage error" vigil-testjob --log-format xml
exits 64 "a positional argument is a usage error" vigil-testjob extra
exits 66 "a missing -c file exits 66" vigil-testjob -c "$TMP/nonexistent.conf"
echo 'jobs: { batch_sise = 1; };' >"$TMP/typo.conf"
exits 78 "an unknown configuration key exits 78" vigil-testjob -c "$TMP/typo.conf"
like "$ERR" "typo.conf:1: jobs.batch_sise: unknown setting" "the key and line are named"
is "$(q "SELECT count(*) FROM vigil.job_runs WHERE status = 'running'")" 0 "no failed start left a running row"

# --- a database that was never migrated ---------------------------------------------------------
MIGRATED=$PGDATABASE
emptydb
exits 78 "a database that is not migrated exits 78 (configuration error)" vigil-testjob --batches 1
like "$ERR" 'error vigil-testjob cannot [a-z ]+: relation "vigil.job_runs" does not exist' \
	"the error names the missing relation"
like "$ERR" "hint: .*run vigil-migrate up" "the hint says to run vigil-migrate up"
export PGDATABASE=$MIGRATED

q "DROP ROLE IF EXISTS t_run_nogrants" >/dev/null 2>&1
q "DROP OWNED BY t_run_jobs; DROP ROLE IF EXISTS t_run_jobs" >/dev/null 2>&1
done_testing
