#!/bin/bash
# t_ops — what an operator relies on from every job, whatever it does:
# --print-config prints the effective configuration, secrets masked, in a
# form that loads back unchanged; log lines in text and json, with journald
# priority prefixes when stderr is the journal; the metrics textfile agrees
# with the run record, records a lock-held run as exit 75, keeps the last
# success across a failure, and is not written by a dry run.
. "$(dirname "$0")/../lib.sh"

newdb
load_samples
AS_OF=2026-06-01T00:00:00Z
jobs=(expire enforce escalate retain)

# --- --print-config ----------------------------------------------------------
cat > "$TMP/custom.conf" <<'CONF'
database: { conninfo = "host=db.example dbname=vigil user=vigil_jobs password=s3cret-pw"; connect_timeout_s = 7; };
log: { format = "json"; level = "warning"; };
metrics: { textfile_dir = "/var/lib/vigil/metrics"; };
jobs: {
  batch_size = 1234;
  workers = 3;
  expire: { warn_days = [ 60, 14 ]; };
  escalate: { default_policy = (
    { level = 1; threshold_minutes_past_deadline = 5; recipients_role = [ "site_coordinator", "safety_officer" ]; new_deadline_minutes_from_now = 60; },
    { level = 2; threshold_minutes_past_deadline = 90; recipients_role = [ "project_manager" ]; new_deadline_minutes_from_now = 30; } ); };
  retain: { lock_timeout_ms = 750; };
  export: { media_root = "/srv/media \"quoted\""; output_dir = "/var/lib/vigil/exports"; signing_key = "/etc/vigil/k.pem"; };
  verify: { trusted_keys = [ "/etc/vigil/a.pub", "/etc/vigil/b.pub" ]; };
};
CONF
# the arguments each program needs before it gets as far as its configuration
declare -A args=([vigil-migrate]=status [vigil-export]="--case 80000000-0000-4000-8000-000000000001"
	[vigil-verify]=--ledger)
for p in $(cd "$TOP/jobs" && ls vigil-*.c | sed 's/\.c$//'); do
	set -- ${args[$p]:-}
	exits 0 "$p --print-config exits 0" "$p" "$@" -c "$TMP/custom.conf" --print-config
	printf '%s\n' "$OUT" > "$TMP/printed.conf"
	unlike "$OUT" 's3cret-pw' "$p --print-config masks the password"
	like "$OUT" 'password=\*+' "$p --print-config shows that a password is set"
	like "$OUT" 'batch_size = 1234;' "$p --print-config shows the file's values"
	like "$OUT" 'statement_timeout_ms = 0;' "$p --print-config shows defaults the file left out"
	exits 0 "$p loads its printed configuration" "$p" "$@" -c "$TMP/printed.conf" --print-config
	is "$(printf '%s\n' "$OUT" | sed 1d)" "$(sed 1d "$TMP/printed.conf")" "$p: the printed configuration loads back unchanged"
	# with nothing configured: the defaults, and they load back too
	: > "$TMP/empty.conf"
	exits 0 "$p --print-config of the defaults" "$p" "$@" -c "$TMP/empty.conf" --print-config
	printf '%s\n' "$OUT" > "$TMP/defaults.conf"
	exits 0 "$p loads the printed defaults" "$p" "$@" -c "$TMP/defaults.conf" --print-config
	is "$(printf '%s\n' "$OUT" | sed 1d)" "$(sed 1d "$TMP/defaults.conf")" "$p: the printed defaults load back unchanged"
done
like "$(cat "$TMP/printed.conf")" 'media_root = "/srv/media \\"quoted\\"";' "strings are printed with their quotes escaped"
like "$(cat "$TMP/printed.conf")" 'recipients_role = \[ "site_coordinator", "safety_officer" \]' "the escalation policy is printed back as a libconfig list"

# --- logs --------------------------------------------------------------------
mkdir -p "$TMP/metrics"
cat > "$TMP/vigil.conf" <<CONF
metrics: { textfile_dir = "$TMP/metrics"; };
CONF
exits 0 "vigil-expire runs (text log)" vigil-expire -c "$TMP/vigil.conf" --as-of "$AS_OF"
like "$ERR" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z info vigil-expire run=[0-9]+ status=succeeded expired=[0-9]+ ' \
	"text: the summary line is 'TIME info PROG run=N status=... counts'"
unlike "$ERR" '^<[0-9]>' "text: no priority prefix when stderr is not the journal"
run_id=$(q "SELECT max(id) FROM vigil.job_runs WHERE job = 'expire'")
like "$ERR" " run=$run_id " "text: the summary line names the job_runs id"

exits 0 "vigil-enforce runs (json log)" vigil-enforce -c "$TMP/vigil.conf" --as-of "$AS_OF" --log-format json
is "$(printf '%s\n' "$ERR" | grep -vc '^{.*}$')" 0 "json: every line is one object"
printf '%s\n' "$ERR" > "$TMP/log.json"
psql -X -q -c "CREATE TEMP TABLE l (line text)" -c "\\copy l FROM '$TMP/log.json' WITH (FORMAT text)" \
	-c "SELECT count(*) FILTER (WHERE (line::jsonb) ? 'ts') FROM l" -At > "$TMP/json.out" 2>&1
is "$(tail -n1 "$TMP/json.out")" "$(wc -l < "$TMP/log.json" | tr -d ' ')" "json: every line parses and has ts"
summary=$(grep '"run":' "$TMP/log.json" | tail -n1)
like "$summary" '"level":"info","prog":"vigil-enforce"' "json: level and program"
like "$summary" '"run":[0-9]+,' "json: counts are numbers"
like "$summary" '"status":"succeeded"' "json: status"

# journald: JOURNAL_STREAM names stderr's device and inode
exec 3>"$TMP/journal.log"
js=$(stat -c '%d:%i' "$TMP/journal.log")
JOURNAL_STREAM=$js vigil-retain -c "$TMP/vigil.conf" --as-of "$AS_OF" 2>&3
rc=$?
exec 3>&-
is "$rc" 0 "vigil-retain runs with JOURNAL_STREAM set"
like "$(cat "$TMP/journal.log")" '^<6>[0-9-]+T[0-9:]+Z info vigil-retain run=' "journal: an info line starts with <6>"
is "$(grep -vc '^<[0-7]>' "$TMP/journal.log")" 0 "journal: every line has a priority prefix"
JOURNAL_STREAM=$js vigil-expire -c "$TMP/nonexistent.conf" 2>"$TMP/journal2.log"
like "$(cat "$TMP/journal2.log")" '^[0-9]' "journal: no prefix when JOURNAL_STREAM names another file"
exec 3>"$TMP/journal3.log"
JOURNAL_STREAM=$(stat -c '%d:%i' "$TMP/journal3.log") vigil-expire -c "$TMP/nonexistent.conf" 2>&3
rc=$?
exec 3>&-
is "$rc" 66 "a missing configuration file exits 66"
like "$(head -n1 "$TMP/journal3.log")" '^<3>.* error vigil-expire cannot open configuration file' "journal: an error line starts with <3>"
like "$(cat "$TMP/journal3.log")" '^<3>.*hint: ' "journal: its hint line too"
exits 0 "a run with a password in the conninfo" vigil-retain -v -c "$TMP/vigil.conf" --as-of "$AS_OF" \
	-d "dbname=$PGDATABASE password=hunter2-pw"
unlike "$ERR" 'hunter2-pw' "the password in the conninfo is never logged"

# --- metrics -------------------------------------------------------------------
f=$TMP/metrics/vigil_expire.prom
[ -f "$f" ]; is $? 0 "vigil-expire wrote vigil_expire.prom"
expired=$(q "SELECT counts->>'expired' FROM vigil.job_runs WHERE id = $run_id")
like "$(cat "$f")" "^vigil_job_items_total\\{job=\"expire\",kind=\"expired\"\\} $expired$" \
	"metrics: items_total{kind=expired} is the run's count ($expired)"
started=$(q "SELECT extract(epoch FROM started_at)::bigint FROM vigil.job_runs WHERE id = $run_id")
last_run=$(sed -n 's/^vigil_job_last_run_timestamp_seconds{job="expire"} \([0-9]*\)\..*/\1/p' "$f")
d=$((last_run - started)); d=${d#-}
[ "$d" -le 2 ]; is $? 0 "metrics: last run timestamp is the run's start (metrics $last_run, job_runs $started)"
success=$(sed -n 's/^vigil_job_last_success_timestamp_seconds{job="expire"} //p' "$f")
like "$(cat "$f")" '^vigil_job_exit_code\{job="expire"\} 0$' "metrics: exit code 0"
is "$(grep -c '^# TYPE ' "$f")" 5 "metrics: five metric families with their TYPE"

# a second run while another session holds the job's lock: exit 75, recorded as such
psql -X -q -c "SELECT pg_advisory_lock(7447, hashtext('vigil-expire'))" -c "SELECT pg_sleep(30)" >/dev/null 2>&1 &
holder=$!
for _ in $(seq 50); do
	[ "$(q "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = 7447 AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())")" -ge 1 ] && break
	sleep 0.1
done
sleep 1.1
exits 75 "vigil-expire exits 75 while another session holds its lock" vigil-expire -c "$TMP/vigil.conf" --as-of "$AS_OF"
kill "$holder" 2>/dev/null; wait "$holder" 2>/dev/null
q "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(30)%' AND pid <> pg_backend_pid()" >/dev/null
like "$(cat "$f")" '^vigil_job_exit_code\{job="expire"\} 75$' "metrics: the lock-held run's exit code is 75"
like "$(cat "$f")" "^vigil_job_last_success_timestamp_seconds\\{job=\"expire\"\\} $success$" "metrics: the last success is kept"
[ "$(sed -n 's/^vigil_job_last_run_timestamp_seconds{job="expire"} \([0-9]*\)\..*/\1/p' "$f")" -gt "$last_run" ]
is $? 0 "metrics: the last run timestamp moved past the first run's"

# a dry run writes no metrics
before=$(md5sum < "$f")
exits 0 "vigil-expire --dry-run" vigil-expire -c "$TMP/vigil.conf" --as-of "$AS_OF" --dry-run
is "$(md5sum < "$f")" "$before" "a dry run leaves the metrics file alone"

# an unwritable textfile directory is reported with a hint
cat > "$TMP/bad.conf" <<CONF
metrics: { textfile_dir = "$TMP/no/such/dir"; };
CONF
run vigil-escalate -c "$TMP/bad.conf" --as-of "$AS_OF"
like "$ERR" "error vigil-escalate cannot write metrics file $TMP/no/such/dir/" "a metrics file that cannot be written is logged"
like "$ERR" 'hint: create metrics.textfile_dir' "with a hint"

# every scheduled job writes its file
for j in "${jobs[@]}"; do
	run "vigil-$j" -q -c "$TMP/vigil.conf" --as-of "$AS_OF"
	[ -f "$TMP/metrics/vigil_$j.prom" ]; is $? 0 "vigil-$j writes vigil_$j.prom"
	like "$(cat "$TMP/metrics/vigil_$j.prom")" "^vigil_job_exit_code\\{job=\"$j\"\\} $RC$" "vigil_$j.prom records exit code $RC"
done
if command -v promtool >/dev/null; then
	for j in "${jobs[@]}"; do
		run promtool check metrics < "$TMP/metrics/vigil_$j.prom"
		is "$RC:$OUT$ERR" "0:" "promtool check metrics accepts vigil_$j.prom"
	done
fi
done_testing
