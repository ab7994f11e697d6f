/*
 * test_ledger.c — common/ledger.c: the canonical form of an entry, byte for
 * byte, and entry_hash = SHA-256(prev_hash || canonical) on a fixed chain of
 * two entries. The expected hashes were derived independently of vigil with
 * Python's hashlib:
 *
 *	python3 - <<'PY'
 *	import hashlib
 *	f1 = ["1", "2026-06-01T00:00:00.000000Z", "job.finished", "job_run", "42", "",
 *	      "vigil-expire", "42", '{"job": "expire", "counts": {"expired": 3}}']
 *	h1 = hashlib.sha256(b"\0" * 32 + "\n".join(f1).encode()).digest()
 *	f2 = ["2", "2026-06-01T00:00:00.123456Z", "certification.expired", "certification",
 *	      "7d0c6a0e-0000-4000-8000-000000000001", "0b6f7c43-0000-4000-8000-00000000000a",
 *	      "vigil_app", "", '{"note": "Zürich ✓", "old_status": "PASS"}']
 *	h2 = hashlib.sha256(h1 + "\n".join(f2).encode()).digest()
 *	print(h1.hex(), h2.hex())
 *	PY
 *
 * vigil_ledger_append needs a database: tests/integration/t_run.sh covers it
 * through the job.finished entry of every run.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "ledger.h"
#include "util.h"

static const vigil_ledger_entry entry1 = {
	.seq = "1",
	.created_at = "2026-06-01T00:00:00.000000Z",
	.event_type = "job.finished",
	.entity_type = "job_run",
	.entity_id = "42",
	.evidence_node_id = NULL,
	.actor = "vigil-expire",
	.run_id = "42",
	.payload = "{\"job\": \"expire\", \"counts\": {\"expired\": 3}}",
};

static const vigil_ledger_entry entry2 = {
	.seq = "2",
	.created_at = "2026-06-01T00:00:00.123456Z",
	.event_type = "certification.expired",
	.entity_type = "certification",
	.entity_id = "7d0c6a0e-0000-4000-8000-000000000001",
	.evidence_node_id = "0b6f7c43-0000-4000-8000-00000000000a",
	.actor = "vigil_app",
	.run_id = "",
	.payload = "{\"note\": \"Zürich ✓\", \"old_status\": \"PASS\"}",
};

#define HASH1 "14857d5a5bc81027d5573b241374590de6294a1fc472656e1e07e51d20af89ea"
#define HASH2 "7afa6c4075c8eb5b15be44a2c0f3662321404989ca6449a7501f3c336fabdb99"

static void
test_canonical(void **state)
{
	vigil_buf out = {0};
	static const char want[] =
		"1\n2026-06-01T00:00:00.000000Z\njob.finished\njob_run\n42\n\nvigil-expire\n42\n"
		"{\"job\": \"expire\", \"counts\": {\"expired\": 3}}";

	(void) state;
	vigil_buf_puts(&out, "old content is replaced");
	vigil_ledger_canonical(&entry1, &out);
	assert_int_equal(out.len, sizeof(want) - 1);
	assert_memory_equal(out.data, want, sizeof(want));   /* no trailing newline */

	/* all NULL: eight separators, nothing else */
	vigil_ledger_entry empty = {0};
	vigil_ledger_canonical(&empty, &out);
	assert_string_equal(out.data, "\n\n\n\n\n\n\n\n");

	/* NULL and "" give the same form */
	vigil_ledger_entry e = entry1;
	e.run_id = NULL;
	e.evidence_node_id = "";
	vigil_buf other = {0};
	vigil_ledger_canonical(&e, &out);
	e.run_id = "";
	e.evidence_node_id = NULL;
	vigil_ledger_canonical(&e, &other);
	assert_string_equal(out.data, other.data);
	vigil_buf_free(&other);
	vigil_buf_free(&out);
}

static void
test_hash_chain(void **state)
{
	unsigned char zero[VIGIL_SHA256_LEN] = {0}, h1[VIGIL_SHA256_LEN], h2[VIGIL_SHA256_LEN];
	char hex[2 * VIGIL_SHA256_LEN + 1];
	vigil_buf scratch = {0};

	(void) state;
	vigil_ledger_hash(zero, &entry1, &scratch, h1);
	vigil_hex(h1, sizeof(h1), hex);
	assert_string_equal(hex, HASH1);
	vigil_ledger_hash(h1, &entry2, &scratch, h2);   /* scratch reused */
	vigil_hex(h2, sizeof(h2), hex);
	assert_string_equal(hex, HASH2);

	/* the same with a fresh scratch buffer, and again: deterministic */
	vigil_buf fresh = {0};
	unsigned char again[VIGIL_SHA256_LEN];
	vigil_ledger_hash(h1, &entry2, &fresh, again);
	assert_memory_equal(again, h2, sizeof(h2));
	vigil_buf_free(&fresh);

	/* any change to a field or to prev_hash changes the hash */
	vigil_ledger_entry e = entry2;
	e.payload = "{\"note\": \"Zürich ✓\", \"old_status\": \"FAIL\"}";
	vigil_ledger_hash(h1, &e, &scratch, again);
	assert_memory_not_equal(again, h2, sizeof(h2));
	e = entry2;
	e.seq = "3";
	vigil_ledger_hash(h1, &e, &scratch, again);
	assert_memory_not_equal(again, h2, sizeof(h2));
	vigil_ledger_hash(zero, &entry2, &scratch, again);
	assert_memory_not_equal(again, h2, sizeof(h2));
	/* moving a value to the neighbouring field changes it too */
	e = entry1;
	e.entity_id = "";
	e.evidence_node_id = "42";
	vigil_ledger_hash(zero, &e, &scratch, again);
	assert_memory_not_equal(again, h1, sizeof(h1));
	vigil_buf_free(&scratch);
}

static void
test_columns(void **state)
{
	(void) state;
	/* the SELECT list prints created_at in the canonical form */
	assert_non_null(strstr(VIGIL_LEDGER_COLUMNS,
						   "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"));
	assert_true(strncmp(VIGIL_LEDGER_COLUMNS, "seq::text, ", 11) == 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_canonical),
		cmocka_unit_test(test_hash_chain),
		cmocka_unit_test(test_columns),
	};

	return cmocka_run_group_tests_name("ledger", tests, NULL, NULL);
}
