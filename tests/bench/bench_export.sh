#!/bin/bash
# bench_export — peak memory and throughput of vigil-export as the media
# grow: a case with 10 MB of media, then one with 200 MB (BENCH_LARGE=1:
# 2 GB). Peak RSS should stay flat (media are streamed, never held). Baseline
# for throughput, same run: sha256sum over the same files (one read and one
# hash; the export reads each file twice — the check before writing and the
# streamed copy — hashes both times and writes the ZIP).
set -u
. "$TOP/tests/lib.sh"
newdb bench_export
LARGE_MB=$([ "${BENCH_LARGE:-0}" = 1 ] && echo 2048 || echo 200)
MEDIA=$TMP/media
mkdir -p "$MEDIA"
vigil-export --generate-key "$TMP/key.pem" >/dev/null 2>&1

q "INSERT INTO vigil.organizations (id, name) VALUES ('10000000-0000-4000-8000-0000000000b1', 'Bench Org')" >/dev/null

# make_case N CASE_NO FILES MB_EACH: a case with FILES media files of MB_EACH MiB.
make_case() {
	local case_id=80000000-0000-4000-8000-0000000000$(printf '%02d' "$1") files=$2 mb=$3 i sql
	q "INSERT INTO vigil.audit_cases (id, organization_id, title, created_at) VALUES ('$case_id', '10000000-0000-4000-8000-0000000000b1', 'bench $1', '2026-01-01')" >/dev/null
	sql=""
	for i in $(seq 1 "$files"); do
		local node=70000000-0000-4000-$(printf '%04d' "$1")-$(printf '%012d' "$i")
		local media=71000000-0000-4000-$(printf '%04d' "$1")-$(printf '%012d' "$i")
		local f="c$1/clip$i.mp4"
		mkdir -p "$MEDIA/c$1"
		head -c $((mb * 1048576)) /dev/urandom > "$MEDIA/$f"
		local sha
		sha=$(sha256sum "$MEDIA/$f" | cut -c1-64)
		sql="$sql
		INSERT INTO vigil.evidence_nodes (id, entity_type, entity_id, created_at) VALUES ('$node', 'proof', 'p$i', '2026-01-01');
		INSERT INTO vigil.audit_evidence_links (audit_case_id, evidence_node_id, attached_at) VALUES ('$case_id', '$node', '2026-01-01');
		INSERT INTO vigil.media_objects (id, evidence_node_id, file_name, content_type, byte_size, sha256, storage_key, created_at)
		VALUES ('$media', '$node', 'clip$i.mp4', 'video/mp4', $((mb * 1048576)), decode('$sha', 'hex'), '$f', '2026-01-01');"
	done
	psql -X -q -v ON_ERROR_STOP=1 -c "BEGIN; $sql COMMIT;" >/dev/null
	echo "$case_id"
}

measure() {  # measure CASE_ID LABEL MB
	local case_id=$1 label=$2 mb=$3 rss secs base
	sync
	/usr/bin/time -f '%M %e' -o "$TMP/time" vigil-export --case "$case_id" --media-root "$MEDIA" \
		--as-of 2026-06-01T00:00:00Z --key "$TMP/key.pem" -o "$TMP/$label.zip" -q >/dev/null ||
		{ echo "export $label failed"; exit 1; }
	read -r rss secs < "$TMP/time"
	local t0 t1
	t0=$(date +%s.%N)
	find "$MEDIA/c${case_id: -1}" -type f -exec sha256sum {} + >/dev/null
	t1=$(date +%s.%N)
	base=$(echo "$t1 - $t0" | bc)
	vigil-verify --allow-embedded-key "$TMP/$label.zip" >/dev/null 2>&1 || { echo "package $label does not verify"; exit 1; }
	printf '%-6s media %5d MB: peak RSS %6d KiB, export %6.2f s (%6.1f MB/s); sha256sum baseline %6.2f s (%6.1f MB/s); ratio %.2f\n' \
		"$label" "$mb" "$rss" "$secs" "$(echo "$mb / $secs" | bc -l)" "$base" "$(echo "$mb / $base" | bc -l)" \
		"$(echo "($mb / $secs) / ($mb / $base)" | bc -l)"
	echo "$rss" > "$TMP/rss_$label"
	rm -f "$TMP/$label.zip"
}

small=$(make_case 1 10 1)
measure "$small" small 10
large=$(make_case 2 $((LARGE_MB / 100 > 0 ? LARGE_MB / 100 : 1)) $((LARGE_MB >= 100 ? 100 : LARGE_MB)))
measure "$large" large "$LARGE_MB"
printf 'peak RSS ratio large/small: %.2f (flat = 1.00)\n' "$(echo "$(cat "$TMP/rss_large") / $(cat "$TMP/rss_small")" | bc -l)"
