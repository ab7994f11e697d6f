# fixtures.sh — the files the bad-input cases feed to the programs, built
# into $TMP by tests/badinput/run (sourced there: it uses q, die, $TOP, $TMP).
#
#   $TMP/conf/*.conf    configuration files: syntax errors, unknown keys,
#                       wrong types, out-of-range values, a BOM, a directory
#   $TMP/mig/*/         copies of sql/migrations with one defect each: a gap,
#                       a duplicate number, a bad name, a BOM, CRLF line ends,
#                       an edit, a missing file, an SQL error, a COMMIT,
#                       a NUL byte (new files take the number after the last)
#   $TMP/keys/          a signing key and its public key, the same key with
#                       mode 0644, garbage, an RSA key, another Ed25519 key
#   $TMP/good.zip       vigil-export of case AC1 of the fixture (as-of
#                       2026-06-01T00:00:00Z, --media-root samples/media)
#   $TMP/pkg/*.zip      broken copies of it (mkpackages.py), a FIFO, a directory
#   $TMP/media-*/       samples/media with one file changed / removed
#
# The cases reach them through the variables exported at the end.

make_fixtures() {
	local c=$TMP/conf m=$TMP/mig k=$TMP/keys src=$TOP/sql/migrations
	mkdir -p "$c" "$m" "$k" "$TMP/out" || return 1

	# -- configuration files
	printf 'database: { connect_timeout_s = 1; };\n' > "$c/fast.conf"
	printf 'database: { connect_timeout_s = 2;\n  conninfo = "dbname=x" \n' > "$c/syntax.conf"
	printf 'database: { connect_timeout_s = 2; };\nbogus = 1;\n' > "$c/unknown.conf"
	printf 'jobs: {\n  expire: { warn_dayz = [ 30 ]; };\n};\n' > "$c/unknown-nested.conf"
	printf 'jobs: { batch_size = "many"; };\n' > "$c/type-string.conf"
	printf 'jobs = 5;\n' > "$c/type-group.conf"
	printf 'log: { level = [ "info" ]; };\n' > "$c/type-array.conf"
	printf 'jobs: { batch_size = 0; };\n' > "$c/range-batch.conf"
	printf 'jobs: { workers = 65; };\n' > "$c/range-workers.conf"
	printf 'database: { lock_timeout_ms = -5; };\n' > "$c/range-negative.conf"
	# 4294967297 = 2^32 + 1: must be refused, not read as 1
	printf 'jobs: { batch_size = 4294967297; };\n' > "$c/range-wrap.conf"
	printf 'log: { format = "xml"; };\n' > "$c/enum-format.conf"
	printf 'log: { level = "loud"; };\n' > "$c/enum-level.conf"
	printf 'jobs: { expire: { warn_days = [ 0 ]; }; };\n' > "$c/warn-zero.conf"
	printf 'jobs: { expire: { warn_days = [ 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17 ]; }; };\n' \
		> "$c/warn-many.conf"
	printf 'jobs: { escalate: { default_policy = ( { level = 2; threshold_minutes_past_deadline = 0;\n  recipients_role = [ "org_admin" ]; new_deadline_minutes_from_now = 60; } ); }; };\n' \
		> "$c/policy-level.conf"
	printf 'jobs: { escalate: { default_policy = ( { level = 1; threshold_minutes_past_deadline = 0;\n  recipients_role = [ ]; new_deadline_minutes_from_now = 60; } ); }; };\n' \
		> "$c/policy-roles.conf"
	printf 'jobs: { export: { media_root = 5; }; };\n' > "$c/type-media-root.conf"
	printf '\357\273\277jobs: { batch_size = 10; };\n' > "$c/bom.conf"
	printf 'jobs: { batch_size = 10; };\r\nlog: { level = "warning"; };\r\n' > "$c/crlf.conf"
	printf '\000\001\377\376' > "$c/binary.conf"
	printf 'database: { conninfo = "dbname='"'"'unterminated"; };\n' > "$c/bad-conninfo.conf"
	printf 'metrics: { textfile_dir = "%s/no/such/dir"; };\n' "$TMP" > "$c/metrics-missing.conf"
	: > "$c/empty.conf"
	mkdir -p "$c/dir.conf"

	# -- migration sets, one defect each
	copy_migrations() { rm -rf "$m/$1" && mkdir -p "$m/$1" && cp "$src"/*.sql "$m/$1/"; }
	copy_migrations gap && rm "$m"/gap/0003_*.sql
	copy_migrations dup && cp "$m"/dup/0003_*.sql "$m/dup/0003_again.sql"
	copy_migrations badname && printf 'SELECT 1;\n' > "$m/badname/0008-Add_Sites.sql"
	copy_migrations bom && for f in "$src"/0002_*.sql; do
		{ printf '\357\273\277'; cat "$f"; } > "$m/bom/$(basename "$f")"; done
	copy_migrations crlf && for f in "$src"/*.sql; do sed 's/$/\r/' "$f" > "$m/crlf/$(basename "$f")"; done
	copy_migrations edit && echo "-- an edit after the file was applied" >> "$(ls "$m"/edit/0005_*.sql)"
	# the next number after the last shipped migration, whatever it is
	local next last_file
	next=$(printf '%04d' $((10#$LAST_MIGRATION + 1)))
	last_file=$(ls "$src"/[0-9]*.sql | tail -n 1)
	copy_migrations sqlerr && printf 'CREATE TABLE vigil.half_done (id int);\nSELEC 1;\n' \
		> "$m/sqlerr/${next}_broken.sql"
	copy_migrations runerr && printf 'CREATE TABLE vigil.half_done (id int);\nSELECT 1 / 0;\n' \
		> "$m/runerr/${next}_divide.sql"
	copy_migrations commit && printf 'CREATE TABLE vigil.escaped (id int);\nCOMMIT;\nSELECT 1 / 0;\n' \
		> "$m/commit/${next}_commit.sql"
	copy_migrations nul && printf 'CREATE TABLE vigil.before_nul (id int);\n\000SELECT 1 / 0;\n' \
		> "$m/nul/${next}_nul_byte.sql"
	copy_migrations binary && printf '\000\377\376garbage' > "$m/binary/${next}_binary.sql"
	copy_migrations missing && rm "$m/missing/$(basename "$last_file")"
	mkdir -p "$m/empty"
	: > "$m/not-a-dir"

	# -- keys
	vigil-export -q --generate-key "$k/key.pem" >/dev/null || return 1
	openssl pkey -in "$k/key.pem" -pubout -out "$k/key.pub.pem" 2>/dev/null || return 1
	cp "$k/key.pem" "$k/key644.pem" && chmod 644 "$k/key644.pem"
	echo "not a key" > "$k/garbage.pem" && chmod 600 "$k/garbage.pem"
	cp "$k/garbage.pem" "$k/garbage.pub.pem"
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out "$k/rsa.pem" 2>/dev/null &&
		chmod 600 "$k/rsa.pem" || return 1
	openssl pkey -in "$k/rsa.pem" -pubout -out "$k/rsa.pub.pem" 2>/dev/null || return 1
	openssl genpkey -algorithm ED25519 -out "$k/other.pem" 2>/dev/null &&
		openssl pkey -in "$k/other.pem" -pubout -out "$k/other.pub.pem" 2>/dev/null || return 1

	# -- a valid package of case AC1, and broken copies
	q postgres "CREATE DATABASE bi_export TEMPLATE bi_samples" >/dev/null || return 1
	vigil-export -q -d dbname=bi_export --case 80000000-0000-4000-8000-000000000001 \
		--as-of 2026-06-01T00:00:00Z --key "$k/key.pem" --media-root "$TOP/samples/media" \
		-o "$TMP/good.zip" >/dev/null || return 1
	q postgres "DROP DATABASE bi_export" >/dev/null
	vigil-verify -q --pubkey "$k/key.pub.pem" "$TMP/good.zip" >/dev/null || return 1
	python3 "$TOP/tests/badinput/mkpackages.py" "$TMP/good.zip" "$TMP/pkg" || return 1
	mkfifo "$TMP/pkg/fifo.zip" && mkdir -p "$TMP/pkg/dir.zip" || return 1

	# -- media trees that no longer match media_objects
	cp -r "$TOP/samples/media" "$TMP/media-changed" && cp -r "$TOP/samples/media" "$TMP/media-missing" || return 1
	echo "changed" >> "$TMP/media-changed/org1/zones/z1-lobby-checklist.txt"
	rm "$TMP/media-missing/org1/zones/z1-lobby-checklist.txt"
	: > "$TMP/afile"

	CONF=$c MIG=$m KEYS=$k PKG=$TMP/pkg GOOD=$TMP/good.zip MEDIA=$TOP/samples/media
	CASE1=80000000-0000-4000-8000-000000000001 ASOF=2026-06-01T00:00:00Z
	export CONF MIG KEYS PKG GOOD MEDIA CASE1 ASOF
	LAST=$((10#$LAST_MIGRATION)) NEXT=$next PREV=$(printf '%04d' $((10#$LAST_MIGRATION - 1)))
	export LAST NEXT PREV
}
