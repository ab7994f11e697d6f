/*
 * ledger.h — the hash-chained ledger (DESIGN §5): appending entries and the
 * canonical form both the database and vigil-verify --ledger compute.
 *
 * The chain is built in the database: a BEFORE INSERT trigger on
 * vigil.ledger (sql/migrations) serialises appends with the transaction
 * advisory lock (7447, 0), assigns seq = previous seq + 1, created_at =
 * clock_timestamp(), prev_hash = the previous entry_hash (32 zero bytes for
 * the first entry), and
 *
 *	entry_hash = SHA-256(prev_hash || canonical)
 *
 * where canonical is these nine fields, in this order, joined by "\n" (no
 * trailing newline), each NULL written as the empty string, encoded UTF-8:
 *
 *	1 seq                decimal
 *	2 created_at         UTC with microseconds: YYYY-MM-DDTHH:MM:SS.ffffffZ
 *	3 event_type         e.g. certification.expired
 *	4 entity_type        e.g. certification
 *	5 entity_id          text (a uuid or a number)
 *	6 evidence_node_id   uuid in PostgreSQL's lowercase text form
 *	7 actor              who appended it (a program name or database user)
 *	8 run_id             decimal job_runs.id
 *	9 payload            the jsonb as PostgreSQL prints it (payload::text)
 *
 * Check constraints keep newlines out of fields 3, 4, 5 and 7, and jsonb's
 * text form never holds a raw newline, so the form is unambiguous. Writers
 * in the same transaction as their domain change call vigil_ledger_append;
 * set-based writers INSERT ... SELECT into vigil.ledger directly, the trigger
 * chains each row.
 */
#ifndef VIGIL_LEDGER_H
#define VIGIL_LEDGER_H

#include <libpq-fe.h>

#include "hash.h"
#include "util.h"
#include "vigil.h"

/* The columns to SELECT from vigil.ledger, in order, to fill a
 * vigil_ledger_entry with PQgetvalue (seq, created_at, event_type,
 * entity_type, entity_id, evidence_node_id, actor, run_id, payload,
 * prev_hash hex, entry_hash hex). */
#define VIGIL_LEDGER_COLUMNS \
	"seq::text, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), " \
	"event_type, entity_type, entity_id, evidence_node_id::text, actor, run_id::text, " \
	"payload::text, encode(prev_hash, 'hex'), encode(entry_hash, 'hex')"

/* One entry in text form; NULL fields are NULL or "" (the same in the form). */
typedef struct vigil_ledger_entry {
	const char *seq;
	const char *created_at;
	const char *event_type;
	const char *entity_type;
	const char *entity_id;
	const char *evidence_node_id;
	const char *actor;
	const char *run_id;
	const char *payload;
} vigil_ledger_entry;

/* Writes the canonical text of e into out (replacing its content). */
void vigil_ledger_canonical(const vigil_ledger_entry *e, vigil_buf *out);

/* entry_hash = SHA-256(prev_hash || canonical(e)). scratch is reused between
 * calls to avoid an allocation per entry. */
void vigil_ledger_hash(const unsigned char prev_hash[VIGIL_SHA256_LEN], const vigil_ledger_entry *e,
					   vigil_buf *scratch, unsigned char out[VIGIL_SHA256_LEN]);

/*
 * Appends one entry in the caller's transaction (the trigger fills seq,
 * created_at and the hashes). entity_type, entity_id, evidence_node_id and
 * actor may be NULL (actor NULL = the database user); run_id 0 = none;
 * payload_json NULL = {}. Returns 0, or an exit code with err filled.
 * When seq_out is not NULL it receives the new entry's seq.
 */
int vigil_ledger_append(PGconn *conn, const char *event_type, const char *entity_type,
						const char *entity_id, const char *evidence_node_id, const char *actor,
						int64_t run_id, const char *payload_json, int64_t *seq_out,
						vigil_error *err);

#endif
