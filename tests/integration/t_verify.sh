#!/bin/bash
# t_verify — vigil-verify on a package from vigil-export and on copies
# tampered in the ways an attacker or a broken disk would: every one exits 1
# and names the entry at fault; and vigil-verify --ledger on a ledger whose
# row was changed behind the triggers' back finds the right seq.
. "$(dirname "$0")/../lib.sh"

newdb
load_samples
CASE=80000000-0000-4000-8000-000000000001
ASOF=2030-01-01T00:00:00Z
umask 022
: > "$TMP/empty.conf"

program_help_ok vigil-verify
program_version_ok vigil-verify
program_options_handling_ok vigil-verify

vigil-export --generate-key "$TMP/key.pem" >/dev/null 2>&1
vigil-export --generate-key "$TMP/other.pem" >/dev/null 2>&1
openssl pkey -in "$TMP/key.pem" -pubout -out "$TMP/key.pub.pem"
openssl pkey -in "$TMP/other.pem" -pubout -out "$TMP/other.pub.pem"
exits 0 "export a package to check" vigil-export --case "$CASE" --media-root "$TOP/samples/media" \
	--as-of "$ASOF" --key "$TMP/key.pem" -o "$TMP/good.zip"
TOPDIR=audit-$CASE-20300101T000000Z
GOOD=$TMP/good.zip

# --- the intact package --------------------------------------------------------
exits 0 "a good package with the pinned key is valid" vigil-verify --pubkey "$TMP/key.pub.pem" "$GOOD"
is "$OUT" "valid" "it prints valid"
printf 'jobs: { verify: { trusted_keys = [ "%s" ]; }; };\n' "$TMP/key.pub.pem" > "$TMP/vigil.conf"
exits 0 "the pinned key can come from jobs.verify.trusted_keys" vigil-verify -c "$TMP/vigil.conf" "$GOOD"
exits 0 "any of several pinned keys will do" vigil-verify --pubkey "$TMP/other.pub.pem" --pubkey "$TMP/key.pub.pem" "$GOOD"
exits 1 "without a pinned key: exit 1" env VIGIL_CONFIG="$TMP/empty.conf" vigil-verify "$GOOD"
like "$OUT" "signer is NOT pinned" "it says loudly that the signer is not pinned"
like "$OUT" "INVALID \(1 problem\)" "and counts it as the one problem"
exits 0 "--allow-embedded-key accepts the embedded key" env VIGIL_CONFIG="$TMP/empty.conf" vigil-verify --allow-embedded-key "$GOOD"
like "$OUT" "NOT pinned" "still saying the signer is not pinned"
exits 66 "a missing package: exit 66" vigil-verify --pubkey "$TMP/key.pub.pem" "$TMP/nope.zip"
echo "hello" > "$TMP/text.zip"
exits 65 "a file that is not a ZIP at all: exit 65" vigil-verify --pubkey "$TMP/key.pub.pem" "$TMP/text.zip"
exits 66 "a missing --pubkey file: exit 66" vigil-verify --pubkey "$TMP/nokey.pem" "$GOOD"
exits 64 "--ledger takes no package" vigil-verify --ledger "$GOOD"

# check NAME DESC REGEX: the tampered package $TMP/NAME.zip is invalid and
# the report matches REGEX.
check() {
	exits 1 "$2: exit 1" vigil-verify --pubkey "$TMP/key.pub.pem" "$TMP/$1.zip"
	like "$OUT" "$3" "$2: named"
	like "$OUT" "INVALID \([0-9]+ problems?\)" "$2: INVALID with a count"
}
# unpack / repack with stock zip, keeping entry order
unpack() { rm -rf "$TMP/u"; mkdir "$TMP/u"; unzip -q "$GOOD" -d "$TMP/u"; }
repack() { rm -f "$TMP/$1.zip"; (cd "$TMP/u" && zip -q -X -D "$TMP/$1.zip" $(zipinfo -1 "$GOOD" | grep -v '/$')); }

# --- tampering -------------------------------------------------------------------
exits 1 "a wrong pinned key: exit 1" vigil-verify --pubkey "$TMP/other.pub.pem" "$GOOD"
like "$OUT" "tagmanifest-sha256.txt.sig: does not verify with any pinned key" "the signature problem is named"

unpack
printf 'X' | dd of="$TMP/u/$TOPDIR/data/media/70000000-0000-4000-8000-000000000003/z1-lobby-checklist.txt" bs=1 seek=5 conv=notrunc 2>/dev/null
repack payload
check payload "a tampered payload byte" "$TOPDIR/data/media/70000000-0000-4000-8000-000000000003/z1-lobby-checklist.txt: SHA-256 .* does not match manifest-sha256.txt"

# A byte flipped inside the stored PNG of the ZIP itself: the CRC catches it.
cp "$GOOD" "$TMP/flip.zip"
off=$(grep -obUaP 'IHDR' "$TMP/flip.zip" | head -1 | cut -d: -f1)
printf 'J' | dd of="$TMP/flip.zip" bs=1 seek="$off" conv=notrunc 2>/dev/null
check flip "a byte flipped inside the ZIP" "z1-lobby.png: CRC mismatch"

unpack
sed -i '1s/^./0/; 1s/^0/1/' "$TMP/u/$TOPDIR/manifest-sha256.txt"
repack manifest
check manifest "a tampered manifest line" "$TOPDIR/manifest-sha256.txt: SHA-256 .* does not match tagmanifest-sha256.txt"
like "$OUT" "data/case.json: SHA-256 .* does not match manifest-sha256.txt" "the file whose line changed is named too"

unpack
sed -i 's/^\(Payload-Oxum: \)[0-9]*/\1999/' "$TMP/u/$TOPDIR/bag-info.txt"
repack oxum
check oxum "a changed Payload-Oxum" "bag-info.txt: Payload-Oxum 999.9 does not match the payload"

cp "$GOOD" "$TMP/added.zip"
mkdir -p "$TMP/add/$TOPDIR/data"; echo extra > "$TMP/add/$TOPDIR/data/extra.txt"
(cd "$TMP/add" && zip -q -X "$TMP/added.zip" "$TOPDIR/data/extra.txt")
check added "an added file" "$TOPDIR/data/extra.txt: not listed in manifest-sha256.txt"
like "$OUT" "Payload-Oxum" "the added file also breaks Payload-Oxum"

cp "$GOOD" "$TMP/removed.zip"
zip -q -d "$TMP/removed.zip" "$TOPDIR/data/media/70000000-0000-4000-8000-000000000002/z1-lobby.png"
check removed "a removed file" "manifest-sha256.txt: line [0-9]+ names data/media/70000000-0000-4000-8000-000000000002/z1-lobby.png, which is not in the package"

cp "$GOOD" "$TMP/toplevel.zip"
echo hi > "$TMP/add/README"; (cd "$TMP/add" && zip -q -X "$TMP/toplevel.zip" README)
check toplevel "a file outside the top-level directory" "^README: not inside a top-level directory|README: outside"

cp "$GOOD" "$TMP/tagextra.zip"
echo hi > "$TMP/add/$TOPDIR/notes.txt"; (cd "$TMP/add" && zip -q -X "$TMP/tagextra.zip" "$TOPDIR/notes.txt")
check tagextra "an extra tag file" "$TOPDIR/notes.txt: not covered by any manifest"

# Entries named with ../ and duplicated names: zip will not write them, so
# write an innocent name of the same length and patch it in place.
mkdir -p "$TMP/add/$TOPDIR/data/XX"; echo evil > "$TMP/add/$TOPDIR/data/XX/evil.txt"
cp "$GOOD" "$TMP/dotdot.zip"
(cd "$TMP/add" && zip -q -X "$TMP/dotdot.zip" "$TOPDIR/data/XX/evil.txt")
perl -0777 -pi -e 's{/data/XX/evil}{/data/../evil}g' "$TMP/dotdot.zip"
check dotdot "a ../ entry" "$TOPDIR/data/\.\./evil.txt: '\.\.' in path"

cp "$GOOD" "$TMP/dup.zip"
echo a > "$TMP/add/$TOPDIR/data/dup1.txt"; echo b > "$TMP/add/$TOPDIR/data/dup2.txt"
(cd "$TMP/add" && zip -q -X "$TMP/dup.zip" "$TOPDIR/data/dup1.txt" "$TOPDIR/data/dup2.txt")
perl -0777 -pi -e 's{/data/dup2\.txt}{/data/dup1.txt}g' "$TMP/dup.zip"
check dup "a duplicate entry name" "$TOPDIR/data/dup1.txt: duplicate entry name"

cp "$GOOD" "$TMP/symlink.zip"
ln -s /etc/passwd "$TMP/add/$TOPDIR/data/link"
(cd "$TMP/add" && zip -q -X --symlinks "$TMP/symlink.zip" "$TOPDIR/data/link")
check symlink "a symbolic link" "$TOPDIR/data/link: symbolic link"

cp "$GOOD" "$TMP/comment.zip"; echo "approved by the regulator" | zip -q -z "$TMP/comment.zip"
check comment "an archive comment added" "comment.zip: the ZIP has an archive comment"

head -c $(( $(stat -c %s "$GOOD") - 200 )) "$GOOD" > "$TMP/truncated.zip"
check truncated "a truncated ZIP" "truncated.zip: damaged or truncated ZIP"

unpack
sed -i 's/ bagit.txt$/ bagit.txt/' "$TMP/u/$TOPDIR/tagmanifest-sha256.txt"
printf '\xef\xbb\xbfBagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n' > "$TMP/u/$TOPDIR/bagit.txt"
repack bom
check bom "bagit.txt with a byte order mark" "bagit.txt: starts with a byte order mark"
like "$OUT" "bagit.txt: SHA-256 .* does not match tagmanifest-sha256.txt" "and its hash no longer matches"

unpack
openssl pkey -in "$TMP/other.pem" -pubout -out "$TMP/u/$TOPDIR/signer.pub.pem"
repack swapkey
check swapkey "a swapped signer.pub.pem" "signer.pub.pem: is not the key that signed the package"

# Several problems at once are all reported.
cp "$TMP/removed.zip" "$TMP/many.zip"
(cd "$TMP/add" && zip -q -X "$TMP/many.zip" "$TOPDIR/data/extra.txt" "$TOPDIR/notes.txt")
exits 1 "several problems: exit 1" vigil-verify --pubkey "$TMP/other.pub.pem" "$TMP/many.zip"
like "$OUT" "not listed in manifest-sha256.txt" "reports the added file"
like "$OUT" "which is not in the package" "and the removed one"
like "$OUT" "notes.txt: not covered" "and the extra tag file"
like "$OUT" "does not verify with any pinned key" "and the signature"
like "$OUT" "INVALID \(5 problems\)" "and counts them all"

# --- the ledger --------------------------------------------------------------------
exits 0 "an intact ledger is valid" vigil-verify --ledger
N=$(q "SELECT count(*) FROM vigil.ledger")
like "$OUT" "valid: $N entries checked" "it says how many entries it checked"
like "$ERR" "entries_per_s=" "and logs the rate"
ORIG=$(q "SELECT payload::text FROM vigil.ledger WHERE seq = 6")
q "ALTER TABLE vigil.ledger DISABLE TRIGGER ALL;
   UPDATE vigil.ledger SET payload = '{\"title\": \"Nothing to see\"}' WHERE seq = 6;
   ALTER TABLE vigil.ledger ENABLE TRIGGER ALL" >/dev/null
exits 1 "a tampered ledger row: exit 1" vigil-verify --ledger
like "$OUT" "ledger entry 6: entry_hash does not match" "the broken seq is named"
like "$OUT" "first broken entry is seq 6 \(5 entries checked before it\)" "with the count checked"
exits 0 "--from past the broken entry chains from the stored hash" vigil-verify --ledger --from 7
exits 0 "--to before it is valid" vigil-verify --ledger --to 5
like "$OUT" "valid: 5 entries checked" "and checks 5 entries"
q "ALTER TABLE vigil.ledger DISABLE TRIGGER ALL;
   UPDATE vigil.ledger SET payload = '$ORIG' WHERE seq = 6;
   DELETE FROM vigil.ledger WHERE seq = 8;
   ALTER TABLE vigil.ledger ENABLE TRIGGER ALL" >/dev/null
exits 1 "a deleted ledger row: exit 1" vigil-verify --ledger
like "$OUT" "ledger entry 9: seq 9 follows 7" "the gap is named"
exits 64 "--from must be a number" vigil-verify --ledger --from x

# Past the cursor's 10000-row fetches: the chain carries across them.
newdb "${_tname}_big"
q "INSERT INTO vigil.ledger (event_type, entity_type, entity_id, payload)
   SELECT 'test.event', 'thing', 't' || g, jsonb_build_object('n', g) FROM generate_series(1, 25000) g" >/dev/null
N=$(q "SELECT count(*) FROM vigil.ledger")
exits 0 "$N entries over several fetches are valid" vigil-verify --ledger
like "$OUT" "valid: $N entries checked" "all $N are checked"
q "ALTER TABLE vigil.ledger DISABLE TRIGGER ALL;
   UPDATE vigil.ledger SET entry_hash = sha256(entry_hash) WHERE seq = 20001;
   ALTER TABLE vigil.ledger ENABLE TRIGGER ALL" >/dev/null
exits 1 "an entry_hash rewritten in the third fetch: exit 1" vigil-verify --ledger
like "$OUT" "ledger entry 20001: entry_hash does not match" "its seq is named"
like "$OUT" "20000 entries checked before it" "after 20000 good ones"
exits 1 "starting right after it, the next prev_hash no longer matches" vigil-verify --ledger --from 20002
like "$OUT" "ledger entry 20002: prev_hash is not the entry_hash of seq 20001" "and that is named"

done_testing
