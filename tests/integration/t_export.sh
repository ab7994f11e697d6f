#!/bin/bash
# t_export — vigil-export against the samples fixture: the package checks
# out with unzip, sha256sum and openssl alone; it is byte-identical across
# time zones and umasks; --as-of leaves later evidence out; file names are
# made safe; a media file that changed on disk, a missing file, a bad key or
# an unwritable target stop the export with the documented exit code and
# leave no file; audit_exports and the ledger record a package only once.
. "$(dirname "$0")/../lib.sh"

newdb
load_samples
CASE=80000000-0000-4000-8000-000000000001
MEDIA=$TMP/media
cp -r "$TOP/samples/media" "$MEDIA"
# As-of just after the fixture was loaded: the fixture's ledger entries get
# their created_at at load time.
sleep 1
ASOF=$(q "SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')")
STAMP=$(echo "$ASOF" | tr -d ':-')
TOPDIR=audit-$CASE-$STAMP
umask 022

program_help_ok vigil-export
program_version_ok vigil-export
program_options_handling_ok vigil-export

# --- keys ----------------------------------------------------------------------
exits 0 "--generate-key writes a key" vigil-export --generate-key "$TMP/key.pem"
like "$OUT" '^[0-9a-f]{64}  ' "--generate-key prints the public key fingerprint"
FPR=${OUT%% *}
is "$(stat -c %a "$TMP/key.pem")" 600 "the new key has mode 0600"
is "$(openssl pkey -in "$TMP/key.pem" -pubout | openssl pkey -pubin -outform DER | sha256sum | cut -c1-64)" \
	"$FPR" "the fingerprint is the SHA-256 of the DER public key"
exits 73 "--generate-key never overwrites a key" vigil-export --generate-key "$TMP/key.pem"

BASE=(--case "$CASE" --media-root "$MEDIA" --as-of "$ASOF")
exits 78 "no key configured: exit 78" env -u CREDENTIALS_DIRECTORY vigil-export "${BASE[@]}" -o "$TMP/x.zip"
like "$ERR" "no signing key" "the message says no key is configured"
exits 66 "a missing key file: exit 66" vigil-export "${BASE[@]}" --key "$TMP/nokey.pem" -o "$TMP/x.zip"
cp "$TMP/key.pem" "$TMP/open.pem"; chmod 644 "$TMP/open.pem"
exits 77 "a key readable by others: exit 77" vigil-export "${BASE[@]}" --key "$TMP/open.pem" -o "$TMP/x.zip"
like "$ERR" "readable by group or others" "the message says why"
like "$ERR" "hint: chmod 600 $TMP/open.pem" "the hint says chmod 600"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$TMP/ec.pem" 2>/dev/null; chmod 600 "$TMP/ec.pem"
exits 65 "a key that is not Ed25519: exit 65" vigil-export "${BASE[@]}" --key "$TMP/ec.pem" -o "$TMP/x.zip"
like "$ERR" "not Ed25519" "the message says the key is not Ed25519"
mkdir -p "$TMP/creds"; cp "$TMP/key.pem" "$TMP/creds/vigil-signing-key"
exits 0 "the key comes from \$CREDENTIALS_DIRECTORY under systemd" \
	env CREDENTIALS_DIRECTORY="$TMP/creds" vigil-export "${BASE[@]}" -o "$TMP/creds.zip" --dry-run
is "$(ls "$TMP" | grep -c 'creds.zip')" 0 "a dry run leaves no file"
is "$(q "SELECT count(*) FROM vigil.audit_exports")" 0 "a dry run records nothing"
ls -a "$TMP" | grep -q '\.tmp-' && fail "a dry run leaves a temporary file" || pass "a dry run leaves no temporary file"

# --- usage and inputs ------------------------------------------------------------
exits 64 "--case is required" vigil-export --key "$TMP/key.pem"
exits 64 "--case must be a UUID" vigil-export --case nope --key "$TMP/key.pem"
exits 64 "-o - is refused" vigil-export "${BASE[@]}" --key "$TMP/key.pem" -o -
like "$ERR" "seekable" "the message says a ZIP needs a seekable file"
exits 66 "an unknown case: exit 66" vigil-export --case 80000000-0000-4000-8000-0000000000ff \
	--key "$TMP/key.pem" --media-root "$MEDIA" -o "$TMP/x.zip"
like "$ERR" "no audit case 80000000-0000-4000-8000-0000000000ff" "the message names the case"
exits 66 "a case created after --as-of: exit 66" vigil-export --case "$CASE" --as-of 2026-05-19T00:00:00Z \
	--key "$TMP/key.pem" --media-root "$MEDIA" -o "$TMP/x.zip"
exits 73 "an output directory that does not exist: exit 73" vigil-export "${BASE[@]}" --key "$TMP/key.pem" \
	-o "$TMP/no/such/dir/x.zip"
is "$(q "SELECT count(*) FROM vigil.job_runs WHERE job = 'export' AND status = 'failed'")" 3 \
	"failed runs are recorded as failed"

# --- the package, checked with stock tools only ---------------------------------
mkdir "$TMP/pkg"
exits 0 "export of the sample case" vigil-export "${BASE[@]}" --key "$TMP/key.pem" -o "$TMP/pkg/p1.zip"
is "$OUT" "$TMP/pkg/p1.zip" "prints the package path"
is "$(ls -A "$TMP/pkg")" "p1.zip" "only the package is left in the output directory"
mkdir "$TMP/x1"
exits 0 "unzip extracts it" unzip -q "$TMP/pkg/p1.zip" -d "$TMP/x1"
is "$(ls "$TMP/x1")" "$TOPDIR" "one top-level directory audit-<case>-<as-of>"
cd "$TMP/x1/$TOPDIR" || exit 1
is "$(cat bagit.txt)" "BagIt-Version: 1.0
Tag-File-Character-Encoding: UTF-8" "bagit.txt is exactly the two BagIt lines"
exits 0 "sha256sum -c --strict accepts manifest-sha256.txt" sha256sum -c --strict manifest-sha256.txt
exits 0 "sha256sum -c --strict accepts tagmanifest-sha256.txt" sha256sum -c --strict tagmanifest-sha256.txt
is "$(cut -d' ' -f3 tagmanifest-sha256.txt | tr '\n' ' ')" "bag-info.txt bagit.txt manifest-sha256.txt " \
	"the tag manifest covers bag-info.txt, bagit.txt and the manifest"
exits 0 "openssl verifies the signature over the tag manifest" openssl pkeyutl -verify -pubin \
	-inkey signer.pub.pem -rawin -in tagmanifest-sha256.txt -sigfile tagmanifest-sha256.txt.sig
is "$(stat -c %s tagmanifest-sha256.txt.sig)" 64 "the signature is 64 raw bytes"
is "$(cut -d' ' -f3 manifest-sha256.txt | LC_ALL=C sort -c && echo sorted)" sorted "the manifest is sorted"
is "$(grep -c . manifest-sha256.txt)" 9 "the manifest lists 5 data files and 4 media files"
is "$(find data -type f | wc -l)" 9 "and there are exactly those 9 files"
is "$(grep -E '^(Source-Organization|External-Identifier|Signing-Key-SHA256|Payload-Oxum):' bag-info.txt | tr '\n' '|')" \
	"Source-Organization: Northwind Construction|Payload-Oxum: $(find data -type f -printf '%s\n' | awk '{s += $1} END {print s}').9|External-Identifier: $CASE|Signing-Key-SHA256: $FPR|" \
	"bag-info.txt names the organization, Payload-Oxum, the case and the key"
like "$(cat bag-info.txt)" "As-Of: ${ASOF%Z}\.000000Z" "bag-info.txt has As-Of"
is "$(head -1 data/timeline.csv | tr -d '\r')" '"seq","created_at","event_type","entity_type","entity_id","evidence_node_id","actor","run_id","payload","prev_hash","entry_hash"' \
	"timeline.csv has its header"
is "$(grep -c 'evidence.created' data/timeline.csv)" 6 "the timeline holds the ledger entries of the case's evidence"
unlike "$(cat data/timeline.csv)" "61000000-0000-4000-8000-000000000007" "but not those of other cases' evidence"
is "$(grep -c '^"700' data/evidence.csv)" 6 "evidence.csv has one row per node (and media object)"
like "$(cat data/evidence.csv)" '"data/media/70000000-0000-4000-8000-000000000002/z1-lobby.png"' \
	"evidence.csv gives each media file's path in the package"
like "$(cat data/enforcement_actions.csv)" '"BLOCK","employee","20000000-0000-4000-8000-000000000010"' \
	"enforcement_actions.csv holds the action the evidence points at"
is "$(grep -c '^"91' data/verification_events.csv)" 2 "verification_events.csv holds the scans of the case's certificate"
like "$(cat data/case.json)" "\"as_of\": \"${ASOF%Z}.000000Z\"" "case.json has as_of"
like "$(cat data/case.json)" '"name": "Northwind Construction"' "case.json has the organization"
cmp -s data/media/70000000-0000-4000-8000-000000000001/c01-electrical-safety.pdf \
	"$MEDIA/org1/certs/c01-electrical-safety.pdf" && pass "media files are copied byte for byte" || fail "media files are copied byte for byte"
# The timeline is checkable offline: entry_hash = sha256(prev_hash || canonical).
line=$(sed -n 2p data/timeline.csv)
is "$(q "SELECT encode(entry_hash, 'hex') FROM vigil.ledger WHERE seq = $(echo "$line" | cut -d'"' -f2)")" \
	"$(echo "$line" | sed -E 's/.*,"([0-9a-f]{64})"\r?$/\1/')" "timeline rows carry the ledger's entry_hash"
cd "$TOP" || exit 1
zi=$(zipinfo -v "$TMP/pkg/p1.zip")
is "$(echo "$zi" | grep -c 'length of extra field: *0 bytes')" "$(echo "$zi" | grep -c 'length of extra field')" \
	"no entry carries extra fields (no timestamps beyond the DOS time)"
like "$(echo "$zi" | grep -A1 'z1-lobby.png$' ; echo "$zi" | grep -E 'compression method' | sort | uniq -c)" "stored" \
	"already-compressed media is stored"
is "$(zipinfo "$TMP/pkg/p1.zip" | grep -c '^-rw-r--r--')" 15 "files have mode 0644"
is "$(zipinfo "$TMP/pkg/p1.zip" | grep -c '^drwxr-xr-x')" 7 "directories have mode 0755"
is "$(zipinfo -1 "$TMP/pkg/p1.zip" | LC_ALL=C sort -c && echo sorted)" sorted "entries are in byte order of their paths"

# --- recorded once, reproducible byte for byte --------------------------------
is "$(q "SELECT count(*) FROM vigil.audit_exports WHERE audit_case_id = '$CASE'")" 1 "one audit_exports row"
is "$(q "SELECT encode(package_sha256, 'hex') = '$(sha256sum "$TMP/pkg/p1.zip" | cut -c1-64)' AND byte_size = $(stat -c %s "$TMP/pkg/p1.zip") AND key_fingerprint = '$FPR' AND file_name = 'p1.zip' FROM vigil.audit_exports")" \
	t "audit_exports holds the package's SHA-256, size, key and name"
is "$(q "SELECT count(*) FROM vigil.ledger WHERE event_type = 'audit.exported' AND entity_id = '$CASE'")" 1 \
	"one audit.exported ledger entry"
exits 0 "re-export in another time zone and umask" \
	bash -c "umask 077; TZ=Pacific/Chatham vigil-export --case $CASE --media-root $MEDIA --as-of $ASOF --key $TMP/key.pem -o $TMP/pkg/p2.zip"
exits 0 "and in a third one" \
	bash -c "umask 002; TZ=America/St_Johns vigil-export --case $CASE --media-root $MEDIA --as-of $ASOF --key $TMP/key.pem -o $TMP/pkg/p3.zip"
exits 0 "and with the case id in capitals" vigil-export --case "${CASE^^}" --media-root "$MEDIA" --as-of "$ASOF" \
	--key "$TMP/key.pem" -o "$TMP/pkg/p4.zip"
cmp -s "$TMP/pkg/p1.zip" "$TMP/pkg/p2.zip" && cmp -s "$TMP/pkg/p1.zip" "$TMP/pkg/p3.zip" &&
	cmp -s "$TMP/pkg/p1.zip" "$TMP/pkg/p4.zip" &&
	pass "the packages are byte-identical" || fail "the packages are byte-identical"
is "$(q "SELECT count(*) FROM vigil.audit_exports")" 1 "an identical package adds no audit_exports row"
is "$(q "SELECT count(*) FROM vigil.ledger WHERE event_type = 'audit.exported'")" 1 "nor a ledger entry"
exits 0 "default file name in jobs.export.output_dir" bash -c "cd $TMP/pkg && vigil-export ${BASE[*]} --key $TMP/key.pem"
is "$OUT" "./$TOPDIR.zip" "named audit-<case>-<as-of>.zip"
unlike "$ERR" "exporting:" "no progress bar when stderr is not a terminal"
tty_out=$(script -qec "vigil-export ${BASE[*]} --key $TMP/key.pem -o $TMP/pkg/tty.zip" /dev/null 2>&1)
like "$tty_out" "exporting: 4/4 files, 0.0/0.0 MB" "a progress bar (files, MB, rate) on a terminal"
cmp -s "$TMP/pkg/p1.zip" "$TMP/pkg/$TOPDIR.zip" && pass "same bytes under the default name" || fail "same bytes under the default name"

# --- as-of leaves later evidence out -------------------------------------------
exits 0 "export as of 2026-05-25" vigil-export --case "$CASE" --media-root "$MEDIA" --as-of 2026-05-25T00:00:00Z \
	--key "$TMP/key.pem" -o "$TMP/early.zip"
ev=$(unzip -p "$TMP/early.zip" "audit-$CASE-20260525T000000Z/data/evidence.csv")
unlike "$ev" "70000000-0000-4000-8000-000000000002" "evidence attached after as-of is left out"
is "$(echo "$ev" | grep -c '^"700')" 4 "the 4 nodes attached by then are in"
unlike "$(zipinfo -1 "$TMP/early.zip")" "z1-lobby" "and so are their media files"
like "$(unzip -p "$TMP/early.zip" "audit-$CASE-20260525T000000Z/data/case.json")" '"evidence_nodes": 4' "case.json counts 4 nodes"
is "$(unzip -p "$TMP/early.zip" "audit-$CASE-20260525T000000Z/data/timeline.csv" | wc -l)" 1 \
	"ledger entries written after as-of are left out"
is "$(q "SELECT count(*) FROM vigil.audit_exports")" 2 "a different package is recorded"

# --- file names are made safe, collisions resolved ----------------------------
printf 'one\n' > "$MEDIA/evil1"; printf 'two\n' > "$MEDIA/evil2"; printf 'three\n' > "$MEDIA/evil3"
q "INSERT INTO vigil.evidence_nodes (id, entity_type, entity_id, created_at) VALUES
	('70000000-0000-4000-8000-0000000000e1', 'incident', 'x', '2026-05-01');
   INSERT INTO vigil.audit_evidence_links (audit_case_id, evidence_node_id, attached_at) VALUES
	('80000000-0000-4000-8000-000000000003', '70000000-0000-4000-8000-0000000000e1', '2026-05-23');
   INSERT INTO vigil.media_objects (id, evidence_node_id, file_name, content_type, byte_size, sha256, storage_key, created_at) VALUES
	('71000000-0000-4000-8000-0000000000e1', '70000000-0000-4000-8000-0000000000e1', E'../../etc/pass\\\\wd%0A\x01.txt', 'text/plain', 4, decode('$(sha256sum "$MEDIA/evil1" | cut -c1-64)', 'hex'), 'evil1', '2026-05-01'),
	('71000000-0000-4000-8000-0000000000e2', '70000000-0000-4000-8000-0000000000e1', 'Report.TXT', 'text/plain', 4, decode('$(sha256sum "$MEDIA/evil2" | cut -c1-64)', 'hex'), 'evil2', '2026-05-01'),
	('71000000-0000-4000-8000-0000000000e3', '70000000-0000-4000-8000-0000000000e1', 'report.txt', 'text/plain', 6, decode('$(sha256sum "$MEDIA/evil3" | cut -c1-64)', 'hex'), 'evil3', '2026-05-01')" >/dev/null
exits 0 "export of a case with hostile file names" vigil-export --case 80000000-0000-4000-8000-000000000003 \
	--media-root "$MEDIA" --as-of "$ASOF" --key "$TMP/key.pem" -o "$TMP/names.zip"
names=$(zipinfo -1 "$TMP/names.zip" | grep '/data/media/.*[^/]$' | sed 's|.*/data/media/[^/]*/||' | tr '\n' '|')
is "$names" "Report.TXT|_._.._etc_pass_wd_0A_.txt|report~2.txt|" "names are made safe and collisions get ~2"
unlike "$(zipinfo -1 "$TMP/names.zip")" '(\.\./|\\|%)' "no entry holds ../, a backslash or %"
mkdir "$TMP/x2"; unzip -q "$TMP/names.zip" -d "$TMP/x2"
(cd "$TMP/x2"/audit-* && sha256sum -c --strict manifest-sha256.txt >/dev/null 2>&1) &&
	pass "sha256sum accepts the manifest of safe names" || fail "sha256sum accepts the manifest of safe names"

# --- a bad media file stops the export and leaves nothing ---------------------
mkdir "$TMP/pkg2"
printf 'X' | dd of="$MEDIA/org1/zones/z1-lobby-checklist.txt" bs=1 seek=10 conv=notrunc 2>/dev/null
exits 65 "a media file changed on disk: exit 65" vigil-export "${BASE[@]}" --key "$TMP/key.pem" -o "$TMP/pkg2/bad.zip"
like "$ERR" "media object 71000000-0000-4000-8000-000000000003" "the message names the media object"
like "$ERR" "org1/zones/z1-lobby-checklist.txt" "and its path"
is "$(ls -A "$TMP/pkg2")" "" "no output file and no temporary file is left"
cp "$TOP/samples/media/org1/zones/z1-lobby-checklist.txt" "$MEDIA/org1/zones/"
rm "$MEDIA/org1/zones/z1-lobby.png"
exits 66 "a missing media file: exit 66" vigil-export "${BASE[@]}" --key "$TMP/key.pem" -o "$TMP/pkg2/bad.zip"
like "$ERR" "media object 71000000-0000-4000-8000-000000000002.*z1-lobby.png" "the message names the object and the path"
is "$(ls -A "$TMP/pkg2")" "" "no output file is left"
is "$(q "SELECT count(*) FROM vigil.audit_exports")" 3 "failed exports record nothing"
# SIGTERM while the media are read: exit 75, nothing left, run interrupted.
truncate -s 3G "$MEDIA/huge.mp4"
q "INSERT INTO vigil.audit_cases (id, organization_id, title, created_at) VALUES
	('80000000-0000-4000-8000-0000000000a5', '10000000-0000-4000-8000-000000000001', 'big', '2026-01-01');
   INSERT INTO vigil.evidence_nodes (id, entity_type, entity_id, created_at) VALUES
	('70000000-0000-4000-8000-0000000000a5', 'proof', 'huge', '2026-01-01');
   INSERT INTO vigil.audit_evidence_links (audit_case_id, evidence_node_id, attached_at) VALUES
	('80000000-0000-4000-8000-0000000000a5', '70000000-0000-4000-8000-0000000000a5', '2026-01-01');
   INSERT INTO vigil.media_objects (evidence_node_id, file_name, content_type, byte_size, sha256, storage_key, created_at) VALUES
	('70000000-0000-4000-8000-0000000000a5', 'huge.mp4', 'video/mp4', 3221225472, sha256('not checked'), 'huge.mp4', '2026-01-01')" >/dev/null
vigil-export --case 80000000-0000-4000-8000-0000000000a5 --media-root "$MEDIA" --as-of "$ASOF" \
	--key "$TMP/key.pem" -o "$TMP/pkg2/big.zip" 2>"$TMP/big.err" &
pid=$!
# Once its job_runs row exists the signal handlers are in place.
for _ in $(seq 100); do
	[ "$(q "SELECT count(*) FROM vigil.job_runs WHERE job = 'export' AND status = 'running'")" = 1 ] && break
	sleep 0.1
done
kill -TERM "$pid"
wait "$pid"
is "$?" 75 "SIGTERM during the export: exit 75 (not 65 after reading 3 GB)"
like "$(cat "$TMP/big.err")" "interrupted" "it says it was interrupted"
is "$(ls -A "$TMP/pkg2")" "" "and leaves no file"
is "$(q "SELECT status FROM vigil.job_runs ORDER BY id DESC LIMIT 1")" interrupted "the run is recorded as interrupted"
rm -f "$MEDIA/huge.mp4"

: > "$TMP/empty.conf"
rm -f "$MEDIA/org1/zones/z1-lobby.png"; mkfifo "$MEDIA/org1/zones/z1-lobby.png"
exits 65 "a media path that is a FIFO, not a file: exit 65, no hang" timeout 20 vigil-export "${BASE[@]}" \
	--key "$TMP/key.pem" -o "$TMP/pkg2/bad.zip"
like "$ERR" "z1-lobby.png" "the message names the path"
exits 78 "media without a media root: exit 78" env VIGIL_CONFIG="$TMP/empty.conf" vigil-export --case "$CASE" --as-of "$ASOF" \
	--key "$TMP/key.pem" -o "$TMP/pkg2/bad.zip"
like "$ERR" "no media root" "the message says the media root is missing"

done_testing
