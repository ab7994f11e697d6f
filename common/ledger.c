/*
 * ledger.c — the C side of the ledger's canonical form (see ledger.h) and the
 * single-entry append. Keep vigil_ledger_canonical in step with
 * vigil.ledger_canonical() in sql/migrations: test_ledger.c pins the form with
 * a known vector and the integration tests compare both on real rows.
 */
#include "ledger.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"

static void
field(vigil_buf *out, const char *v, bool last)
{
	if (v)
		vigil_buf_puts(out, v);
	if (!last)
		vigil_buf_append(out, "\n", 1);
}

void
vigil_ledger_canonical(const vigil_ledger_entry *e, vigil_buf *out)
{
	vigil_buf_reset(out);
	field(out, e->seq, false);
	field(out, e->created_at, false);
	field(out, e->event_type, false);
	field(out, e->entity_type, false);
	field(out, e->entity_id, false);
	field(out, e->evidence_node_id, false);
	field(out, e->actor, false);
	field(out, e->run_id, false);
	field(out, e->payload, true);
}

void
vigil_ledger_hash(const unsigned char prev_hash[VIGIL_SHA256_LEN], const vigil_ledger_entry *e,
				  vigil_buf *scratch, unsigned char out[VIGIL_SHA256_LEN])
{
	vigil_ledger_canonical(e, scratch);
	/* prefix the previous hash in the same buffer: one digest call */
	size_t len = scratch->len;
	vigil_buf_append(scratch, (const char *) prev_hash, VIGIL_SHA256_LEN);
	memmove(scratch->data + VIGIL_SHA256_LEN, scratch->data, len);
	memcpy(scratch->data, prev_hash, VIGIL_SHA256_LEN);
	vigil_sha256(scratch->data, len + VIGIL_SHA256_LEN, out);
}

int
vigil_ledger_append(PGconn *conn, const char *event_type, const char *entity_type,
					const char *entity_id, const char *evidence_node_id, const char *actor,
					int64_t run_id, const char *payload_json, int64_t *seq_out, vigil_error *err)
{
	char run[24], seq[24];
	const char *params[6];
	int rc;

	snprintf(run, sizeof(run), "%lld", (long long) run_id);
	params[0] = event_type;
	params[1] = entity_type;
	params[2] = entity_id;
	params[3] = evidence_node_id;
	params[4] = run_id ? run : NULL;
	params[5] = payload_json ? payload_json : "{}";
	if (actor) {
		const char *p7[7] = {params[0], params[1], params[2], params[3], params[4], params[5], actor};
		rc = vigil_db_value(conn, "append to the ledger",
							"INSERT INTO vigil.ledger (event_type, entity_type, entity_id, evidence_node_id, "
							"run_id, payload, actor) VALUES ($1, $2, $3, $4::uuid, $5::bigint, $6::jsonb, $7) "
							"RETURNING seq", 7, p7, seq, sizeof(seq), NULL, err);
	} else
		rc = vigil_db_value(conn, "append to the ledger",
							"INSERT INTO vigil.ledger (event_type, entity_type, entity_id, evidence_node_id, "
							"run_id, payload) VALUES ($1, $2, $3, $4::uuid, $5::bigint, $6::jsonb) "
							"RETURNING seq", 6, params, seq, sizeof(seq), NULL, err);
	if (rc == 0 && seq_out)
		*seq_out = strtoll(seq, NULL, 10);
	return rc;
}
