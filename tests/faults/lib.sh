# tests/faults/lib.sh — data sets, normalized state and checks for the fault
# injection suite (tests/faults/run sources it).
#
# Every trial runs on its own database cloned from a per-job base, and ends by
# comparing that database with a reference database on which the same job ran
# once, uninterrupted. The comparison is by content, never by physical row:
# each "component" below is a query that returns the rows a user relies on,
# without the columns that legitimately differ between two runs (created_at,
# evaluated_at, identity ids, gen_random_uuid ids, run ids). Components are
# compared by an md5 computed in the database (cheap); only a mismatch dumps
# both sides and prints the first lines of the diff.
#
# Kill points are seeded: trial K of job J with seed S kills the job after
# frac(S, J, K) × the reference run's duration, where frac comes from md5,
# so `FAULTS_SEED=S tests/faults/run --jobs J --trial K` replays the same kill
# point (as a fraction of a run; the run's duration itself is measured).

AS_OF=${AS_OF:-2026-06-01T00:00:00Z}
CASE_ID=80000000-0000-4000-8000-000000000001

fq() { psql -X -A -t -q -v ON_ERROR_STOP=1 "$@"; }

# now_ms: wall clock in milliseconds
now_ms() { date +%s%3N; }

# frac_permille SEED JOB TRIAL: a reproducible number in 0..999
frac_permille() {
	local h
	h=$(printf '%s:%s:%s' "$1" "$2" "$3" | md5sum | cut -c1-8)
	echo $((16#$h % 1000))
}

# clone DB TEMPLATE: (re)create DB as a copy of TEMPLATE. A backend of a killed
# job may still be finishing its statement on the old copy: terminate it first.
clone() {
	fq -d postgres -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '$1' AND pid <> pg_backend_pid()" >/dev/null
	fq -d postgres -c "DROP DATABASE IF EXISTS $1" 2>/dev/null
	fq -d postgres -c "CREATE DATABASE $1 TEMPLATE $2" >/dev/null
}

dropdb_quiet() {
	fq -d postgres -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '$1' AND pid <> pg_backend_pid()" >/dev/null 2>&1
	fq -d postgres -c "DROP DATABASE IF EXISTS $1" >/dev/null 2>&1
}

# ---------------------------------------------------------------------------
# Data sets

# build_bases: base_all (fixture + generated rows for expire, escalate,
# retain; big media files on audit case AC1 for export) and base_enforce
# (base_all after one vigil-expire run: thousands of employees queued).
# FAULTS_SCALE (percent, default 100: 25,000 certifications, 1,500 due,
# 1,000 RED zones, 10,000 audit trails) sizes the generated rows.
build_bases() {
	local pct=${FAULTS_SCALE:-100}
	clone base_all vigil_template
	PGDATABASE=base_all fq -f "$TOP/samples/fixture.sql" >/dev/null
	PGDATABASE=base_all "$TOP/samples/generate" --orgs 5 --employees $((25 * pct)) \
		--certs $((250 * pct)) --due $((15 * pct)) --zones $((10 * pct)) \
		--audit-trails $((100 * pct)) --as-of "$AS_OF" --seed 7 >/dev/null || return 1
	# Z7's malformed policy makes every escalate run exit 65 by design
	# (t_escalate.sh covers it); here a run that completes exits 0.
	PGDATABASE=base_all fq -c "UPDATE vigil.zones SET escalation_policy = NULL
		WHERE id = '60000000-0000-4000-8000-000000000007'" >/dev/null
	make_media base_all || return 1
	PGDATABASE=base_all fq -c "VACUUM ANALYZE" >/dev/null
	clone base_enforce base_all
	PGDATABASE=base_enforce vigil-expire -q -c "$CONF" --as-of "$AS_OF" 2>"$WORK/base_enforce.log" || {
		cat "$WORK/base_enforce.log" >&2; return 1; }
	PGDATABASE=base_enforce fq -c "VACUUM ANALYZE" >/dev/null
	vigil-export -q --generate-key "$WORK/key.pem" >/dev/null || return 1
}

# make_media DB: FAULTS_MEDIA_FILES files of FAULTS_MEDIA_MB MiB of seeded
# pseudo-random bytes (deflate works hard and gains nothing: a slow export),
# each an evidence node attached to AC1 before the as-of.
make_media() {
	local n=${FAULTS_MEDIA_FILES:-6} mb=${FAULTS_MEDIA_MB:-4} i key sum
	mkdir -p "$WORK/media/faults"
	cp -r "$TOP/samples/media/." "$WORK/media/"
	for ((i = 1; i <= n; i++)); do
		key=faults/blob-$i.bin
		openssl enc -aes-128-ctr -nosalt -pass "pass:vigil-faults-$i" -pbkdf2 \
			-in /dev/zero 2>/dev/null | head -c $((mb * 1048576)) >"$WORK/media/$key"
		sum=$(sha256sum "$WORK/media/$key" | cut -d' ' -f1)
		PGDATABASE=$1 fq >/dev/null <<-SQL || return 1
			INSERT INTO vigil.evidence_nodes (id, entity_type, entity_id, created_at)
			VALUES (md5('faults-node-$i')::uuid, 'incident', 'b0000000-0000-4000-8000-000000000001',
			        '2026-05-20T10:00:00Z');
			INSERT INTO vigil.media_objects (id, evidence_node_id, file_name, content_type, byte_size,
			        sha256, storage_key, created_at)
			VALUES (md5('faults-media-$i')::uuid, md5('faults-node-$i')::uuid, 'blob-$i.bin',
			        'application/octet-stream', $((mb * 1048576)), '\\x$sum', '$key', '2026-05-20T10:00:00Z');
			INSERT INTO vigil.audit_evidence_links (audit_case_id, evidence_node_id, attached_by, attached_at)
			VALUES ('$CASE_ID', md5('faults-node-$i')::uuid, 'faults', '2026-05-20T10:00:00Z');
		SQL
	done
}

# ---------------------------------------------------------------------------
# Jobs: base database and command line (an array JOBCMD) of each. expire-w4
# and enforce-w4 are vigil-expire and vigil-enforce with --workers 4.

base_of() {
	case $1 in
	enforce | enforce-w4) echo base_enforce ;;
	*) echo base_all ;;
	esac
}

# set_jobcmd JOB OUTDIR: JOBCMD=(the job's command line). OUTDIR is where
# vigil-export writes its package (one directory per trial).
set_jobcmd() {
	local bs=${FAULTS_BATCH:-50}
	case $1 in
	expire) JOBCMD=(vigil-expire -q -c "$CONF" --as-of "$AS_OF" --batch-size "$bs") ;;
	enforce) JOBCMD=(vigil-enforce -q -c "$CONF" --as-of "$AS_OF" --batch-size "$bs") ;;
	# four sessions claiming batches: a kill lands with several in flight
	expire-w4) JOBCMD=(vigil-expire -q -c "$CONF" --as-of "$AS_OF" --batch-size "$bs" --workers 4) ;;
	enforce-w4) JOBCMD=(vigil-enforce -q -c "$CONF" --as-of "$AS_OF" --batch-size "$bs" --workers 4) ;;
	escalate) JOBCMD=(vigil-escalate -q -c "$CONF" --as-of "$AS_OF" --batch-size "$bs") ;;
	retain) JOBCMD=(vigil-retain -q -c "$CONF" --as-of "$AS_OF" --batch-size "$bs") ;;
	export) JOBCMD=(vigil-export -q -c "$CONF" --as-of "$AS_OF" --case "$CASE_ID" --key "$WORK/key.pem"
		--media-root "$WORK/media" -o "$2/package.zip") ;;
	*) echo "faults: unknown job $1" >&2; return 64 ;;
	esac
}

# run_to_completion DB LOG CMD...: runs CMD on DB; while it exits 75 (the
# backend of a killed run still holds the job's lock until it notices its
# client is gone) retries for up to 30 s. Sets RC.
run_to_completion() {
	local db=$1 log=$2 deadline=$(($(date +%s) + 30))
	shift 2
	while :; do
		PGDATABASE=$db "$@" >>"$log" 2>&1
		RC=$?
		[ "$RC" = 75 ] && [ "$(date +%s)" -lt "$deadline" ] || break
		sleep 0.2
	done
}

# ---------------------------------------------------------------------------
# Normalized state

COMPONENTS="certifications certification_enforcement employee_enforcement enforcement_queue
enforcement_actions zones escalation_events notification_outbox audit_trails verification_tokens
audit_exports ledger ledger_purged"

# component_sql NAME: the rows of one component, volatile columns left out.
component_sql() {
	case $1 in
	certifications) echo "SELECT id, status, expiration_date, is_non_expiring FROM vigil.certifications" ;;
	certification_enforcement) echo "SELECT certification_id, is_blocked, reason FROM vigil.certification_enforcement" ;;
	employee_enforcement) echo "SELECT employee_id, is_blocked, missing_cert_types FROM vigil.employee_enforcement" ;;
	enforcement_queue) echo "SELECT employee_id FROM vigil.enforcement_queue" ;;
	enforcement_actions) echo "SELECT action_type, target_type, target_id, reason,
		details - 'block_action_id' - 'enforcement_action_id' AS details FROM vigil.enforcement_actions" ;;
	zones) echo "SELECT id, computed_status, current_escalation_level, last_escalated_at, readiness_deadline
		FROM vigil.zones" ;;
	escalation_events) echo "SELECT zone_id, project_id, level, triggered_at, recipients,
		threshold_minutes_past_deadline, new_deadline_set_to, acknowledged, status FROM vigil.escalation_events" ;;
	# dedupe keys embed the id of the action or event that caused them
	# (an identity or a gen_random_uuid): compared without it.
	notification_outbox) echo "SELECT kind, organization_id, recipient_role, delivered_at,
		CASE WHEN dedupe_key LIKE 'zone-esc:%'
		     THEN concat_ws(':', split_part(dedupe_key, ':', 1), split_part(dedupe_key, ':', 2),
		                    split_part(dedupe_key, ':', 3), '*', split_part(dedupe_key, ':', 5))
		     ELSE regexp_replace(dedupe_key, ':[0-9]+\$', ':#') END AS dedupe_key,
		payload - 'escalation_event_id' - 'block_action_id' - 'enforcement_action_id' AS payload
		FROM vigil.notification_outbox" ;;
	audit_trails) echo "SELECT id FROM vigil.audit_trails" ;;
	verification_tokens) echo "SELECT id, revoked_at FROM vigil.verification_tokens" ;;
	audit_exports) echo "SELECT audit_case_id, as_of, encode(package_sha256, 'hex'), encode(manifest_sha256, 'hex'),
		key_fingerprint, file_name, byte_size FROM vigil.audit_exports" ;;
	# the multiset of events: one per transition, never two. Run records
	# (job.finished, job.abandoned) differ with the number of runs; what an
	# abandoned run did is checked by ledger_purged and compare_state.
	ledger) echo "SELECT event_type, entity_type, entity_id, count(*) FROM vigil.ledger
		WHERE event_type NOT LIKE 'job.%' AND event_type NOT LIKE 'schema.%' GROUP BY 1, 2, 3" ;;
	# every purged row accounted for in the ledger: by a retention.purged
	# entry, or by the checkpoint of a run killed before it wrote one
	# (job.abandoned, common/run.c)
	ledger_purged) echo "SELECT policy, sum(deleted) FROM (
		SELECT entity_id AS policy, (payload->>'deleted')::bigint AS deleted FROM vigil.ledger
		WHERE event_type = 'retention.purged'
		UNION ALL
		SELECT payload->'checkpoint'->>'policy', (payload->'checkpoint'->>'deleted')::bigint FROM vigil.ledger
		WHERE event_type = 'job.abandoned' AND payload->'checkpoint' ? 'policy') p GROUP BY 1" ;;
	esac
}

# state_digest DB: one line per component, "name md5 rows".
state_digest() {
	local c sql=""
	for c in $COMPONENTS; do
		[ -n "$sql" ] && sql="$sql UNION ALL "
		sql="$sql SELECT '$c', md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '')), count(*)
			FROM ($(component_sql "$c")) t"
	done
	fq -F ' ' -d "$1" -c "SELECT * FROM ($sql) d ORDER BY 1"
}

# component_rows DB NAME: the component's rows, sorted, for a diff.
component_rows() {
	fq -d "$1" -c "SELECT t::text FROM ($(component_sql "$2")) t ORDER BY 1"
}

# ledger_broken DB: entries whose hash or link to the previous one is wrong
# (0 when the chain is intact), then whether seq has gaps.
ledger_broken() {
	fq -F ' ' -d "$1" -c "SELECT count(*) FILTER (WHERE (p IS NOT NULL AND p <> prev_hash) OR h <> entry_hash),
		max(seq) - min(seq) + 1 - count(*)
		FROM (SELECT seq, prev_hash, entry_hash, lag(entry_hash) OVER (ORDER BY seq) AS p,
		             sha256(prev_hash || convert_to(vigil.ledger_canonical(l), 'UTF8')) AS h
		      FROM vigil.ledger l) x"
}

# compare_state DB REFDB REFDIGEST: 0 when DB's state equals the reference;
# else prints what differs (MISMATCH lines with the first lines of the diff).
compare_state() {
	local db=$1 ref=$2 refdigest=$3 got bad=0 c chain
	got=$(state_digest "$db")
	if [ "$got" != "$refdigest" ]; then
		for c in $(diff <(echo "$refdigest") <(echo "$got") | sed -n 's/^> \([a-z_]*\) .*/\1/p'); do
			echo "    component $c differs from the reference (< reference, > after the crash and rerun):"
			diff <(component_rows "$ref" "$c") <(component_rows "$db" "$c") | grep '^[<>]' | head -8 |
				sed 's/^/      /'
		done
		bad=1
	fi
	chain=$(ledger_broken "$db")
	if [ "$chain" != "0 0" ]; then
		echo "    ledger chain broken: $chain (bad entries, seq gaps)"
		bad=1
	fi
	# the killed run's row must have been marked abandoned by the rerun
	c=$(fq -d "$db" -c "SELECT count(*) FROM vigil.job_runs WHERE status = 'running'")
	if [ "$c" != 0 ]; then
		echo "    $c job_runs rows still 'running' after the rerun"
		bad=1
	fi
	return $bad
}

# compare_package OUTDIR REFZIP: the package is byte-identical to the
# reference and nothing else (no temporary file) is left in OUTDIR.
compare_package() {
	local dir=$1 ref=$2 bad=0 extra
	if [ ! -f "$dir/package.zip" ]; then
		echo "    no package written"
		bad=1
	elif ! cmp -s "$dir/package.zip" "$ref"; then
		echo "    package differs from the reference ($(stat -c %s "$dir/package.zip") vs $(stat -c %s "$ref") bytes)"
		bad=1
	fi
	extra=$(cd "$dir" && ls -A | grep -vx package.zip)
	if [ -n "$extra" ]; then
		echo "    partial files left in the output directory: $(echo $extra)"
		bad=1
	fi
	return $bad
}
