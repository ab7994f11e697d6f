#!/bin/bash
# t_migrate — vigil-migrate against a real database: a fresh apply, the
# no-op re-apply, status, the refusals of a bad migration set (changed file,
# gap, duplicate, bad name, missing file, a file below the last applied one,
# a database past the last file), CRLF/BOM checkouts, locking between two
# runs, drift reports by object name, --accept-drift with its ledger entry,
# lint rules and annotations, and an unreachable database.
. "$(dirname "$0")/../lib.sh"

MIG=$TOP/sql/migrations
NFILES=$(ls "$MIG"/[0-9][0-9][0-9][0-9]_*.sql | wc -l)
LAST=$(printf '%04d' "$NFILES")

program_help_ok vigil-migrate
program_version_ok vigil-migrate
program_options_handling_ok vigil-migrate
exits 64 "an unknown command is a usage error" vigil-migrate frobnicate
like "$ERR" 'unknown command "frobnicate"' "the unknown command is named"
exits 64 "a command is required" vigil-migrate
like "$ERR" "missing command" "the missing command is explained"
exits 0 "--print-config needs no command" vigil-migrate --print-config
exits 64 "--lock-wait wants a number" vigil-migrate --lock-wait soon up
exits 64 "--accept-drift applies to up only" vigil-migrate --accept-drift "x" verify
exits 66 "a missing migrations directory exits 66" vigil-migrate --migrations "$TMP/nowhere" status
like "$ERR" "$TMP/nowhere" "the missing directory is named"

# copy_migrations DIR: a private copy of sql/migrations to edit.
copy_migrations() {
	rm -rf "$1"
	mkdir -p "$1"
	cp "$MIG"/*.sql "$1"/
}

# ---- fresh apply -----------------------------------------------------------
emptydb migrate_fresh
exits 0 "up on an empty database exits 0 (default migrations dir beside the binary)" vigil-migrate up
like "$ERR" "applied=$NFILES " "the summary line counts the applied migrations"
is "$(q "SELECT count(*) FROM vigil.schema_migrations")" "$NFILES" "one schema_migrations row per file"
is "$(q "SELECT string_agg(version::text, ',' ORDER BY version) FROM vigil.schema_migrations")" \
	"$(seq -s, 1 "$NFILES")" "versions applied in order"
for f in "$MIG"/0002_domain.sql "$MIG"/0004_ledger.sql; do
	v=$(basename "$f" | cut -c1-4)
	is "$(q "SELECT encode(checksum, 'hex') FROM vigil.schema_migrations WHERE version = $((10#$v))")" \
		"$(sha256sum "$f" | cut -d' ' -f1)" "checksum of $(basename "$f") is its SHA-256"
done
is "$(q "SELECT count(*) FROM vigil.schema_migrations WHERE snapshot LIKE '%index' || chr(9) || 'vigil.idx_qr_token' || chr(9) || '%'
	AND duration_ms >= 0 AND applied_by = session_user")" "$((NFILES - 1))" \
	"snapshots (from the domain migration on) list the indexes; duration and applied_by recorded"
for t in organizations employees certifications ledger job_runs retention_policies zones audit_trails; do
	is "$(q "SELECT to_regclass('vigil.$t') IS NOT NULL")" "t" "table vigil.$t exists"
done
is "$(q "SELECT count(*) FROM pg_indexes WHERE schemaname = 'vigil' AND indexname IN ('idx_cert_employee_status',
	'idx_qr_token', 'idx_verification_events', 'idx_evidence_entity', 'idx_ledger_created_at',
	'idx_enforcement_target', 'idx_cert_enforcement_blocked', 'idx_jha_ack_jha_employee', 'idx_work_window_time',
	'idx_incident_org_occurred', 'idx_near_miss_category_reported', 'idx_audit_evidence_link',
	'idx_cert_expiration_status')")" "13" "the 13 named indexes exist"
like "$(q "SELECT indexdef FROM pg_indexes WHERE indexname = 'idx_cert_expiration_status'")" \
	"\(expiration_date, status\) WHERE \(status = ANY \(ARRAY\['PASS'::vigil.cert_status, 'INCOMPLETE'::vigil.cert_status\]\)\)" \
	"idx_cert_expiration_status is partial on PASS and INCOMPLETE"
is "$(q "SELECT count(*) FROM vigil.ledger WHERE event_type = 'schema.migrated'")" \
	"$(q "SELECT count(*) FROM vigil.schema_migrations WHERE version >= (SELECT min(version) FROM vigil.schema_migrations
		WHERE snapshot LIKE '%table' || chr(9) || 'vigil.ledger' || chr(9) || '%')")" \
	"one schema.migrated ledger entry per migration applied once the ledger exists"
is "$(q "SELECT payload->>'name' || ' ' || (payload->>'version') || ' ' || (payload->>'checksum' = encode(m.checksum, 'hex'))
	FROM vigil.ledger l JOIN vigil.schema_migrations m ON m.version = (l.payload->>'version')::int
	WHERE event_type = 'schema.migrated' ORDER BY seq DESC LIMIT 1")" \
	"$(basename "$MIG/${LAST}"_*.sql .sql | cut -c6-) $NFILES true" "the ledger entry carries version, name and checksum"

# ---- re-apply is a no-op ----------------------------------------------------
before=$(q "SELECT count(*), max(applied_at) FROM vigil.schema_migrations")
ledger_before=$(q "SELECT count(*) FROM vigil.ledger")
exits 0 "a second up exits 0" vigil-migrate --migrations "$MIG" up
like "$ERR" "applied=0 " "the second up applies nothing"
is "$(q "SELECT count(*), max(applied_at) FROM vigil.schema_migrations")" "$before" "schema_migrations unchanged"
is "$(q "SELECT count(*) FROM vigil.ledger")" "$ledger_before" "no new ledger entry"

# ---- status ----------------------------------------------------------------
exits 0 "status exits 0 on a clean database" vigil-migrate --migrations "$MIG" status
like "$OUT" "^0001_roles_schema\.sql +applied +[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z +postgres +ok" "status shows applied_at, applied_by, ok"
is "$(echo "$OUT" | grep -c ' applied .* ok$')" "$NFILES" "every file is applied with its checksum ok"
like "$OUT" "database at $LAST, 0 pending" "status ends with the version and the pending count"
emptydb migrate_status_empty
exits 0 "status on an empty database exits 0" vigil-migrate --migrations "$MIG" status
is "$(echo "$OUT" | grep -c ' pending ')" "$NFILES" "every file is pending on an empty database"

# ---- verify right after up --------------------------------------------------
export PGDATABASE=migrate_fresh
exits 0 "verify exits 0 straight after up" vigil-migrate --migrations "$MIG" verify
like "$OUT" "^no drift: [0-9]+ objects match migration $LAST$" "verify says no drift and names the migration"

# ---- a changed applied file --------------------------------------------------
copy_migrations "$TMP/changed"
echo "-- an innocent-looking edit" >>"$TMP/changed/0003_operations.sql"
exits 65 "up refuses a changed applied file" vigil-migrate --migrations "$TMP/changed" up
like "$ERR" "0003_operations\.sql was changed after it was applied" "the changed file is named"
exits 1 "status exits 1 when an applied file changed" vigil-migrate --migrations "$TMP/changed" status
like "$OUT" "^0003_operations\.sql +applied .* CHANGED$" "status marks the file CHANGED"
exits 1 "verify exits 1 when an applied file changed" vigil-migrate --migrations "$TMP/changed" verify
like "$OUT" "0003_operations\.sql was changed" "verify names the changed file"

# ---- CRLF and BOM are not changes ---------------------------------------------
copy_migrations "$TMP/crlf"
{ printf '\357\273\277'; sed 's/$/\r/' "$MIG/0002_domain.sql"; } >"$TMP/crlf/0002_domain.sql"
sed 's/$/\r/' "$MIG/0005_zones_triggers.sql" >"$TMP/crlf/0005_zones_triggers.sql"
isnt "$(sha256sum <"$TMP/crlf/0002_domain.sql")" "$(sha256sum <"$MIG/0002_domain.sql")" "the CRLF/BOM copy differs byte for byte"
exits 0 "up accepts a CRLF + BOM checkout of applied files" vigil-migrate --migrations "$TMP/crlf" up
exits 0 "verify accepts it too" vigil-migrate --migrations "$TMP/crlf" verify
emptydb migrate_crlf
exits 0 "a CRLF + BOM checkout applies to an empty database" vigil-migrate --migrations "$TMP/crlf" up
is "$(q "SELECT encode(checksum, 'hex') FROM vigil.schema_migrations WHERE version = 2")" \
	"$(sha256sum "$MIG/0002_domain.sql" | cut -d' ' -f1)" "with the checksum of the LF text"
export PGDATABASE=migrate_fresh

# ---- bad migration sets ------------------------------------------------------
copy_migrations "$TMP/gap"
echo "SELECT 1;" >"$TMP/gap/$(printf '%04d' $((NFILES + 2)))_skipped.sql"
exits 65 "a gap in the numbering is refused" vigil-migrate --migrations "$TMP/gap" up
like "$ERR" "$(printf '%04d' $((NFILES + 2)))_skipped\.sql leaves a gap" "the file after the gap is named"
copy_migrations "$TMP/dup"
echo "SELECT 1;" >"$TMP/dup/${LAST}_again.sql"
exits 65 "a duplicate number is refused" vigil-migrate --migrations "$TMP/dup" up
like "$ERR" "duplicates number $LAST" "a duplicate number is reported"
like "$ERR" "${LAST}_again\.sql" "the duplicate is named"
copy_migrations "$TMP/badname"
echo "SELECT 1;" >"$TMP/badname/$(printf '%04d' $((NFILES + 1)))-Add-Stuff.sql"
exits 65 "a file not named NNNN_name.sql is refused" vigil-migrate --migrations "$TMP/badname" up
like "$ERR" "-Add-Stuff\.sql is not named NNNN_name\.sql" "the badly named file is named"
copy_migrations "$TMP/renamed"
mv "$TMP/renamed/0003_operations.sql" "$TMP/renamed/0003_ops.sql"
exits 65 "an applied migration whose file is gone is refused" vigil-migrate --migrations "$TMP/renamed" up
like "$ERR" "applied migration 0003_operations\.sql has no file" "the applied migration without a file is named"
copy_migrations "$TMP/older"
rm "$TMP/older/${LAST}"_*.sql
exits 65 "a database migrated past the last file is refused" vigil-migrate --migrations "$TMP/older" up
like "$ERR" "database has migration ${LAST}_[a-z_]+ applied, beyond $(printf '%04d' $((NFILES - 1))), the last migration vigil-migrate [0-9.]+ knows" \
	"the message says the database is newer than the files"
exits 1 "verify reports the database past the last file" vigil-migrate --migrations "$TMP/older" verify

newdb migrate_below
q "DELETE FROM vigil.schema_migrations WHERE version = 3" >/dev/null
exits 65 "a pending file numbered below the last applied one is refused" vigil-migrate --migrations "$MIG" up
like "$ERR" "0003_operations\.sql is not applied but numbered below the last applied migration $LAST" \
	"the out-of-order file is named"

# ---- a failing migration leaves nothing behind ------------------------------------
newdb migrate_fail
copy_migrations "$TMP/fail"
printf 'CREATE TABLE vigil.half_done (id int);\nSELECT 1;\nSELEC 2;\n' >"$TMP/fail/$(printf '%04d' $((NFILES + 1)))_broken.sql"
exits 65 "a migration with an SQL error exits 65" vigil-migrate --migrations "$TMP/fail" up
like "$ERR" "_broken\.sql, line 3: syntax error" "the error names the file and line"
is "$(q "SELECT count(*) FROM vigil.schema_migrations")" "$NFILES" "the broken migration is not recorded"
is "$(q "SELECT to_regclass('vigil.half_done') IS NULL")" "t" "and its first statement was rolled back"

# ---- dry run --------------------------------------------------------------------
emptydb migrate_dry
exits 0 "up --dry-run exits 0" vigil-migrate --migrations "$MIG" --dry-run up
like "$ERR" "would apply ${LAST}_" "the dry run says what it would apply"
is "$(q "SELECT to_regclass('vigil.schema_migrations') IS NULL")" "t" "the dry run leaves nothing behind"

# ---- SIGTERM: the first stops before the next migration, a second cancels ------------
copy_migrations "$TMP/slow"
n1=$(printf '%04d' $((NFILES + 1)))
n2=$(printf '%04d' $((NFILES + 2)))
printf 'SELECT pg_sleep(2);\n' >"$TMP/slow/${n1}_slow.sql"
printf 'SET LOCAL ROLE vigil_owner;\nCREATE TABLE vigil.after_slow (id int);\n' >"$TMP/slow/${n2}_after.sql"
newdb migrate_term
vigil-migrate --migrations "$TMP/slow" up >"$TMP/term.out" 2>&1 &
pid=$!
sleep 1
kill -TERM $pid
wait $pid
is "$?" "75" "SIGTERM during a migration exits 75"
like "$(cat "$TMP/term.out")" "interrupted before migration ${n2}_after\.sql; 1 applied" "it finished the running migration and stopped"
is "$(q "SELECT max(version) FROM vigil.schema_migrations")" "$((NFILES + 1))" "the running migration was recorded, the next was not"
newdb migrate_term2
vigil-migrate --migrations "$TMP/slow" up >"$TMP/term.out" 2>&1 &
pid=$!
sleep 1
kill -TERM $pid
sleep 0.2
kill -TERM $pid
wait $pid
is "$?" "75" "a second SIGTERM cancels the running migration, exit 75"
is "$(q "SELECT max(version) FROM vigil.schema_migrations")" "$NFILES" "the cancelled migration was rolled back"

# ---- two concurrent ups on an empty database ----------------------------------------
emptydb migrate_race
vigil-migrate --migrations "$MIG" up >"$TMP/race1.out" 2>&1 &
p1=$!
vigil-migrate --migrations "$MIG" up >"$TMP/race2.out" 2>&1 &
p2=$!
wait $p1; rc1=$?
wait $p2; rc2=$?
is "$rc1 $rc2" "0 0" "two concurrent ups both exit 0"
is "$(q "SELECT count(*), count(DISTINCT version) FROM vigil.schema_migrations")" "$NFILES|$NFILES" "each migration applied once"
is "$(cat "$TMP/race1.out" "$TMP/race2.out" | grep -o 'applied=[0-9]*' | sort | tr '\n' ' ')" "applied=0 applied=$NFILES " \
	"one run applied everything, the other waited and found nothing to do"

# ---- --lock-wait while another session holds the lock ---------------------------------
psql -X -q -c "SELECT pg_advisory_lock(7447, hashtext('vigil-migrate')); SELECT pg_sleep(5)" >/dev/null 2>&1 &
holder=$!
for _ in $(seq 1 50); do
	[ "$(q "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = 7447 AND granted")" != 0 ] && break
	sleep 0.1
done
start=$(date +%s)
exits 75 "--lock-wait 1 exits 75 while another session holds the lock" vigil-migrate --migrations "$MIG" --lock-wait 1 up
like "$ERR" "held the lock for more than 1 seconds" "the lock message says how long it waited"
[ $(($(date +%s) - start)) -le 3 ] && pass "it gave up after about a second" || fail "it gave up after about a second"
wait $holder

# ---- drift ---------------------------------------------------------------------------
newdb migrate_drift
exits 0 "verify exits 0 on a clone of the migrated template" vigil-migrate --migrations "$MIG" verify
q "ALTER TABLE vigil.certifications ADD COLUMN x int" >/dev/null
q "DROP INDEX vigil.idx_work_window_time" >/dev/null
q "CREATE OR REPLACE FUNCTION vigil.ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS \$\$BEGIN RETURN NULL; END\$\$" >/dev/null
q "ALTER TYPE vigil.cert_status ADD VALUE 'SUSPENDED'" >/dev/null
q "GRANT DELETE ON vigil.certifications TO vigil_app" >/dev/null
exits 1 "verify exits 1 on drift" vigil-migrate --migrations "$MIG" verify
like "$OUT" "^\+ column vigil\.certifications\.x: integer$" "an added column is named"
like "$OUT" "^- index vigil\.idx_work_window_time: CREATE INDEX idx_work_window_time ON vigil\.work_windows USING btree \(start_time, end_time\)$" "a dropped index is named with its definition"
like "$OUT" "^~ function vigil\.ledger_refuse_change\(\): owner vigil_owner, returns trigger, definition sha256 [0-9a-f]{64} -> " "a changed function is named"
like "$OUT" "^~ type vigil\.cert_status: enum \(.*'REVOKED'\), owner vigil_owner -> enum \(.*'REVOKED', 'SUSPENDED'\)" "an added enum value is shown"
like "$OUT" "^~ grant vigil\.certifications to vigil_app: INSERT, SELECT, UPDATE -> DELETE, INSERT, SELECT, UPDATE$" "a changed grant is named"
is "$(echo "$OUT" | grep -c '^[-+~] ')" "5" "exactly the five changes are reported"
like "$ERR" "5 differences from migration $LAST" "the error line counts the differences"

copy_migrations "$TMP/next"
next=$(printf '%04d' $((NFILES + 1)))
printf -- '-- %s_add_note — a test migration\nSET LOCAL ROLE vigil_owner;\nALTER TABLE vigil.organizations ADD COLUMN note text;\n' "$next" \
	>"$TMP/next/${next}_add_note.sql"
exits 1 "up refuses a drifted database" vigil-migrate --migrations "$TMP/next" up
like "$OUT" "^\+ column vigil\.certifications\.x" "up prints the drift report"
like "$ERR" "accept-drift" "the hint names --accept-drift"
is "$(q "SELECT count(*) FROM vigil.schema_migrations")" "$NFILES" "nothing applied on a drifted database"
is "$(q "SELECT count(*) FROM information_schema.columns WHERE table_schema = 'vigil' AND table_name = 'organizations' AND column_name = 'note'")" \
	"0" "the pending migration did not run"
exits 1 "verify still reports the drift before it is accepted" vigil-migrate --migrations "$TMP/next" verify
exits 0 "up --accept-drift applies" vigil-migrate --migrations "$TMP/next" --accept-drift "hotfix 42 applied by hand" up
is "$(q "SELECT count(*) FROM vigil.schema_migrations")" "$((NFILES + 1))" "the pending migration is recorded"
is "$(q "SELECT payload->>'reason' || '|' || jsonb_array_length(payload->'diff') || '|' || entity_id
	FROM vigil.ledger WHERE event_type = 'schema.drift_accepted'")" "hotfix 42 applied by hand|5|$((10#$next))" \
	"the ledger has schema.drift_accepted with the reason and the five diff lines"
like "$(q "SELECT payload->'diff' FROM vigil.ledger WHERE event_type = 'schema.drift_accepted'")" \
	"\+ column vigil\.certifications\.x: integer" "the accepted diff lines are in the payload"
exits 0 "verify is clean after the accepted migration" vigil-migrate --migrations "$TMP/next" verify

# a snapshot in another format is not compared line by line
newdb migrate_format
is "$(q "SELECT split_part(snapshot, chr(10), 1) FROM vigil.schema_migrations WHERE version = $NFILES")" \
	"# vigil-migrate snapshot 1" "the stored snapshot starts with its format line"
q "UPDATE vigil.schema_migrations SET snapshot = '# vigil-migrate snapshot 0' || chr(10) || 'table' || chr(9) || 'vigil.gone' WHERE version = $NFILES" >/dev/null
exits 1 "verify exits 1 when the stored snapshot has another format" vigil-migrate --migrations "$MIG" verify
like "$ERR" "no stored snapshot in format \"# vigil-migrate snapshot 1\"" "and says why"
unlike "$OUT" "vigil\.gone" "without reporting every object as drift"
exits 0 "up proceeds without a comparable snapshot" vigil-migrate --migrations "$TMP/next" up
like "$ERR" "drift not checked" "with a warning that drift was not checked"
exits 0 "the new migration's snapshot makes verify work again" vigil-migrate --migrations "$TMP/next" verify

# ---- lint -----------------------------------------------------------------------------
exits 0 "lint is clean on sql/migrations" vigil-migrate lint
exits 0 "lint works without a database" env PGHOST=/nonexistent vigil-migrate --migrations "$MIG" lint
cat >"$TMP/risky.sql" <<'EOF'
-- a file with one statement per rule
CREATE TABLE vigil.fresh (id int);
ALTER TABLE vigil.fresh ADD COLUMN created int NOT NULL;
DROP TABLE vigil.old_things;
ALTER TABLE vigil.employees DROP COLUMN email;
ALTER TABLE vigil.employees
	ALTER COLUMN job_role TYPE varchar(40);
ALTER TABLE vigil.zones RENAME COLUMN name TO title;
TRUNCATE vigil.audit_trails;
DELETE FROM vigil.notification_outbox;
UPDATE vigil.employees SET status = 'inactive';
ALTER TYPE vigil.cert_status DROP VALUE 'FAIL';
ALTER TABLE vigil.employees ADD COLUMN badge text NOT NULL;
SELECT 'DROP TABLE vigil.x; TRUNCATE y' AS not_a_statement, $q$DELETE FROM z$q$;
DELETE FROM vigil.notification_outbox WHERE delivered_at < now() - interval '30 days';
-- vigil:allow drop-column: email moved to vigil.contacts in 0009
ALTER TABLE vigil.employees DROP COLUMN email;
EOF
exits 1 "lint exits 1 on findings" vigil-migrate lint "$TMP/risky.sql"
F="$TMP/risky.sql"
like "$OUT" "^$F:4: drop-table: DROP TABLE vigil\.old_things$" "drop-table flagged with file:line"
like "$OUT" "^$F:5: drop-column: ALTER TABLE vigil\.employees DROP COLUMN email$" "drop-column flagged"
like "$OUT" "^$F:6: alter-column-type: ALTER TABLE vigil\.employees ALTER COLUMN job_role TYPE varchar\(40\)$" \
	"alter-column-type flagged, the statement collapsed to one line"
like "$OUT" "^$F:8: rename: ALTER TABLE vigil\.zones RENAME COLUMN name TO title$" "rename flagged"
like "$OUT" "^$F:9: truncate: TRUNCATE vigil\.audit_trails$" "truncate flagged"
like "$OUT" "^$F:10: delete-without-where: DELETE FROM vigil\.notification_outbox$" "delete-without-where flagged"
like "$OUT" "^$F:11: update-without-where: UPDATE vigil\.employees SET status = 'inactive'$" "update-without-where flagged"
like "$OUT" "^$F:12: enum-value-removal: ALTER TYPE vigil\.cert_status DROP VALUE 'FAIL'$" "enum-value-removal flagged"
like "$OUT" "^$F:13: not-null-without-default: ALTER TABLE vigil\.employees ADD COLUMN badge text NOT NULL$" \
	"not-null-without-default flagged"
unlike "$OUT" ":3: " "NOT NULL on a table created in the same file is not flagged"
unlike "$OUT" ":1[45]: " "quoted text and a DELETE with WHERE are not flagged"
unlike "$OUT" ":17: " "an annotated statement is not flagged"
is "$(echo "$OUT" | grep -c .)" "9" "exactly nine findings"
like "$ERR" "9 findings in 1 file" "the error line counts the findings"
exits 66 "lint of a missing file exits 66" vigil-migrate lint "$TMP/nope.sql"

# ---- a role that may not migrate ------------------------------------------------------
psql -X -q -c "DO \$\$BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 't_migrate_nobody') THEN
	CREATE ROLE t_migrate_nobody LOGIN; END IF; END\$\$" >/dev/null
emptydb migrate_noperm
exits 77 "a role that is not vigil_owner cannot migrate (77)" vigil-migrate --migrations "$MIG" -d "dbname=migrate_noperm user=t_migrate_nobody" up
like "$ERR" "permission denied" "the server's reason is shown"
is "$(q "SELECT to_regclass('vigil.schema_migrations') IS NULL")" "t" "nothing was created"

# ---- an unreachable database ----------------------------------------------------------------
printf 'database:\n{\n  connect_timeout_s = 1;\n};\n' >"$TMP/fast.conf"
start=$(date +%s)
exits 69 "an unreachable database exits 69" vigil-migrate -c "$TMP/fast.conf" -d "host=/nonexistent" --migrations "$MIG" up
[ $(($(date +%s) - start)) -le 5 ] && pass "within a few seconds" || fail "within a few seconds"

done_testing
