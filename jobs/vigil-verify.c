/*
 * vigil-verify — checks an audit package offline, or the ledger's hash chain
 * in the database (DESIGN §4, §5, §6).
 *
 * Package mode needs no database: common/package.c reads the ZIP without
 * extracting it and reports every problem it finds, one line each, then
 * "valid" or "INVALID (N problems)". The signature must verify with a pinned
 * key (--pubkey, else jobs.verify.trusted_keys); a package that only verifies
 * with the key it carries is reported loudly and is invalid unless
 * --allow-embedded-key.
 *
 * Ledger mode (--ledger) streams vigil.ledger in seq order through a cursor
 * in a REPEATABLE READ READ ONLY transaction, recomputes every entry_hash in
 * C (common/ledger.c, the canonical form of ledger.h) and checks that each
 * prev_hash is the entry_hash before it and that seq has no gaps. It stops
 * at the first broken entry. It writes nothing, so the read-only role
 * vigil_auditor can run it; it is not a job run (no lock, no job_runs row).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "config.h"
#include "db.h"
#include "ledger.h"
#include "log.h"
#include "package.h"
#include "sign.h"
#include "util.h"

#define FETCH_ROWS 10000
#define FETCH_SQL "FETCH 10000 FROM ledger_scan"   /* FETCH_ROWS rows */

enum {
	OPT_PUBKEY = 300,
	OPT_ALLOW_EMBEDDED,
	OPT_LEDGER,
	OPT_FROM,
	OPT_TO,
};

typedef struct verify_opts {
	const char *pubkeys[VIGIL_MAX_TRUSTED_KEYS];
	int npubkeys;
	bool allow_embedded;
	bool ledger;
	long long from;
	long long to;
} verify_opts;

static const vigil_option options[] = {
	{"pubkey", required_argument, OPT_PUBKEY, "FILE",
	 "trust this Ed25519 public key (PEM); repeatable (default jobs.verify.trusted_keys)"},
	{"allow-embedded-key", no_argument, OPT_ALLOW_EMBEDDED, NULL,
	 "with no pinned key, accept a signature by the package's own signer.pub.pem"},
	{"ledger", no_argument, OPT_LEDGER, NULL,
	 "check the ledger's hash chain in the database instead of a package"},
	{"from", required_argument, OPT_FROM, "SEQ", "with --ledger: start at this seq (default 1)"},
	{"to", required_argument, OPT_TO, "SEQ", "with --ledger: stop after this seq (default the last)"},
	{NULL, 0, 0, NULL, NULL},
};

static int
parse_seq(const char *arg, const char *opt, long long *out, vigil_error *err)
{
	char *end;
	long long v = strtoll(arg, &end, 10);

	if (*arg == '\0' || *end != '\0' || v < 1)
		return vigil_error_set(err, VIGIL_EXIT_USAGE, "invalid %s \"%s\": expected a seq >= 1", opt, arg);
	*out = v;
	return 0;
}

static int
handle(int val, const char *arg, void *ctx, vigil_error *err)
{
	verify_opts *o = ctx;

	switch (val) {
	case OPT_PUBKEY:
		if (o->npubkeys == VIGIL_MAX_TRUSTED_KEYS)
			return vigil_error_set(err, VIGIL_EXIT_USAGE, "at most %d --pubkey options",
								   VIGIL_MAX_TRUSTED_KEYS);
		o->pubkeys[o->npubkeys++] = arg;
		return 0;
	case OPT_ALLOW_EMBEDDED:
		o->allow_embedded = true;
		return 0;
	case OPT_LEDGER:
		o->ledger = true;
		return 0;
	case OPT_FROM:
		return parse_seq(arg, "--from", &o->from, err);
	case OPT_TO:
		return parse_seq(arg, "--to", &o->to, err);
	}
	return vigil_error_set(err, VIGIL_EXIT_USAGE, "unhandled option");
}

static verify_opts vopts;

static vigil_program program = {
	.name = "vigil-verify",
	.synopsis = "PACKAGE.zip [--pubkey FILE]... [--allow-embedded-key] [OPTION]...\n"
				"  vigil-verify --ledger [--from SEQ] [--to SEQ] [OPTION]...",
	.summary = "Check an audit package offline (structure, safe paths, every hash, Payload-Oxum,\n"
			   "the signature against a pinned key), naming every problem; or, with --ledger,\n"
			   "recompute the ledger's hash chain in the database and name the first broken entry.",
	.example = "  # a package received from vigil-export, against the exporter's public key\n"
			   "  vigil-verify --pubkey vigil-signing.pub.pem audit-80000000-...-20260601T000000Z.zip\n"
			   "  # the whole ledger\n"
			   "  vigil-verify --ledger -d 'dbname=vigil'\n",
	.options = options,
	.handle = handle,
	.ctx = &vopts,
	.min_args = 0,
	.max_args = 1,
};

static void
print_problem(void *ctx, const char *entry, const char *msg)
{
	(void) ctx;
	printf("%s: %s\n", entry, msg);
}

static void
print_note(void *ctx, const char *msg)
{
	(void) ctx;
	printf("%s\n", msg);
}

static int
verify_package(const vigil_config *cfg, const char *path)
{
	vigil_key *keys[VIGIL_MAX_TRUSTED_KEYS] = {0};
	size_t nkeys = 0;
	vigil_error err = {0};
	vigil_package_report rep;
	vigil_package_check_opts copts = {0};
	int rc = 0;

	/* Pinned keys: the command line replaces the configuration. */
	if (vopts.npubkeys > 0)
		for (int i = 0; i < vopts.npubkeys && rc == 0; i++)
			rc = vigil_key_load_public(vopts.pubkeys[i], &keys[nkeys++], &err);
	else
		for (int i = 0; i < cfg->verify.n_trusted_keys && rc == 0; i++)
			rc = vigil_key_load_public(cfg->verify.trusted_keys[i], &keys[nkeys++], &err);
	if (rc) {
		vigil_log_error(&err);
		goto done;
	}
	copts.pinned = keys;
	copts.npinned = nkeys;
	while (copts.npinned > 0 && keys[copts.npinned - 1] == NULL)
		copts.npinned--;
	copts.allow_embedded_key = vopts.allow_embedded;
	copts.problem = print_problem;
	copts.note = print_note;
	rc = vigil_package_check_file(path, &copts, &rep, &err);
	if (rc) {
		vigil_log_error(&err);
		goto done;
	}
	if (rep.problems == 0) {
		printf("valid\n");
		vigil_log(VIGIL_LOG_INFO, "%s: valid: %d entries, %d payload files, %llu payload bytes, "
				  "signed by %s (%s)", path, rep.entries, rep.payload_files,
				  (unsigned long long) rep.payload_bytes, rep.key_fingerprint,
				  rep.signer_pinned ? "pinned" : "NOT pinned");
	} else {
		printf("INVALID (%d problem%s)\n", rep.problems, rep.problems == 1 ? "" : "s");
		vigil_log(VIGIL_LOG_ERROR, "%s: INVALID: %d problem%s", path, rep.problems,
				  rep.problems == 1 ? "" : "s");
		rc = VIGIL_EXIT_PROBLEM;
	}
done:
	for (size_t i = 0; i < nkeys; i++)
		vigil_key_free(keys[i]);
	return rc;
}

/* Where the chain broke, if it did. */
typedef struct chain_state {
	unsigned char prev[VIGIL_SHA256_LEN];
	bool have_prev;
	long long prev_seq;
	long long checked;
	long long broken_seq;
	char why[256];
} chain_state;

/* Checks one fetched batch; returns false at the first break. */
static bool
check_rows(const PGresult *res, chain_state *st, vigil_buf *scratch)
{
	for (int row = 0; row < PQntuples(res); row++) {
		vigil_ledger_entry e;
		unsigned char stored_prev[VIGIL_SHA256_LEN], stored[VIGIL_SHA256_LEN], got[VIGIL_SHA256_LEN];
		long long seq = strtoll(PQgetvalue(res, row, 0), NULL, 10);

#define COL(i) (PQgetisnull(res, row, (i)) ? NULL : PQgetvalue(res, row, (i)))
		e.seq = COL(0);
		e.created_at = COL(1);
		e.event_type = COL(2);
		e.entity_type = COL(3);
		e.entity_id = COL(4);
		e.evidence_node_id = COL(5);
		e.actor = COL(6);
		e.run_id = COL(7);
		e.payload = COL(8);
#undef COL
		if (vigil_unhex(PQgetvalue(res, row, 9), stored_prev, VIGIL_SHA256_LEN) != 0 ||
			vigil_unhex(PQgetvalue(res, row, 10), stored, VIGIL_SHA256_LEN) != 0) {
			st->broken_seq = seq;
			snprintf(st->why, sizeof(st->why), "prev_hash or entry_hash is not 32 bytes");
			return false;
		}
		if (st->prev_seq > 0 && seq != st->prev_seq + 1) {
			st->broken_seq = seq;
			snprintf(st->why, sizeof(st->why), "seq %lld follows %lld: entries are missing", seq,
					 st->prev_seq);
			return false;
		}
		if (st->have_prev && memcmp(stored_prev, st->prev, VIGIL_SHA256_LEN) != 0) {
			st->broken_seq = seq;
			snprintf(st->why, sizeof(st->why), "prev_hash is not the entry_hash of seq %lld", seq - 1);
			return false;
		}
		vigil_ledger_hash(stored_prev, &e, scratch, got);
		if (memcmp(got, stored, VIGIL_SHA256_LEN) != 0) {
			st->broken_seq = seq;
			snprintf(st->why, sizeof(st->why), "entry_hash does not match the entry's content");
			return false;
		}
		memcpy(st->prev, stored, VIGIL_SHA256_LEN);
		st->have_prev = true;
		st->prev_seq = seq;
		st->checked++;
	}
	return true;
}

static int
verify_ledger(const vigil_config *cfg, const vigil_opts *opts)
{
	char from[24], to[24];
	const char *params[2] = {from, to};
	chain_state st = {0};
	vigil_buf scratch = {0};
	vigil_error err = {0};
	PGconn *conn;
	double started, secs;
	int rc;

	snprintf(from, sizeof(from), "%lld", vopts.from ? vopts.from : 1);
	snprintf(to, sizeof(to), "%lld", vopts.to ? vopts.to : 9223372036854775807LL);
	conn = vigil_db_connect(cfg, opts->conninfo, program.name, &err);
	if (conn == NULL) {
		vigil_log_error(&err);
		return err.code;
	}
	started = vigil_monotonic();
	rc = vigil_db_exec(conn, "start reading the ledger", "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
					   0, NULL, &err);
	if (rc)
		goto done;
	/* The chain starts from the entry before --from (or from 32 zero bytes
	 * at seq 1). */
	if (vopts.from > 1) {
		PGresult *res = vigil_db_query(conn, "read the entry before --from",
									   "SELECT encode(entry_hash, 'hex') FROM vigil.ledger "
									   "WHERE seq = $1::bigint - 1", 1, params, PGRES_TUPLES_OK, &err);

		if (res == NULL) {
			rc = err.code;
			goto done;
		}
		/* Without that entry (deleted, or --from past a gap) there is
		 * nothing to chain from: the first entry's prev_hash is taken as
		 * given, and the gap shows as a problem only in a wider run. */
		if (PQntuples(res) == 1 && vigil_unhex(PQgetvalue(res, 0, 0), st.prev, VIGIL_SHA256_LEN) == 0) {
			st.have_prev = true;
			st.prev_seq = vopts.from - 1;
		}
		PQclear(res);
	} else {
		memset(st.prev, 0, sizeof(st.prev));
		st.have_prev = true;
	}
	rc = vigil_db_exec(conn, "open the ledger cursor",
					   "DECLARE ledger_scan NO SCROLL CURSOR FOR SELECT " VIGIL_LEDGER_COLUMNS
					   " FROM vigil.ledger WHERE seq BETWEEN $1::bigint AND $2::bigint ORDER BY ledger.seq",
					   2, params, &err);
	if (rc)
		goto done;
	for (;;) {
		PGresult *res = vigil_db_query(conn, "read the ledger", FETCH_SQL, 0,
									   NULL, PGRES_TUPLES_OK, &err);
		bool more, ok;

		if (res == NULL) {
			rc = err.code;
			goto done;
		}
		more = PQntuples(res) == FETCH_ROWS;
		/* With --from 1 (or none) the first entry must be seq 1. */
		if (st.checked == 0 && PQntuples(res) > 0 && vopts.from <= 1 &&
			strcmp(PQgetvalue(res, 0, 0), "1") != 0) {
			st.broken_seq = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
			snprintf(st.why, sizeof(st.why), "the ledger does not start at seq 1: entries are missing");
			PQclear(res);
			break;
		}
		ok = check_rows(res, &st, &scratch);
		PQclear(res);
		if (!ok || !more)
			break;
	}
	vigil_db_rollback(conn);
	secs = vigil_monotonic() - started;
	if (st.broken_seq) {
		printf("ledger entry %lld: %s\n", st.broken_seq, st.why);
		printf("INVALID: first broken entry is seq %lld (%lld entries checked before it)\n",
			   st.broken_seq, st.checked);
		vigil_log(VIGIL_LOG_ERROR, "ledger broken at seq %lld: %s; checked=%lld", st.broken_seq,
				  st.why, st.checked);
		rc = VIGIL_EXIT_PROBLEM;
	} else {
		printf("valid: %lld entries checked%s\n", st.checked, st.checked ? "" : " (none in range)");
		vigil_log(VIGIL_LOG_INFO, "ledger valid: checked=%lld last_seq=%lld seconds=%.3f entries_per_s=%.0f",
				  st.checked, st.prev_seq, secs, secs > 0 ? (double) st.checked / secs : 0.0);
	}
done:
	if (rc && rc != VIGIL_EXIT_PROBLEM) {
		vigil_db_rollback(conn);
		vigil_log_error(&err);
	}
	vigil_db_close(conn);
	vigil_buf_free(&scratch);
	return rc;
}

int
main(int argc, char **argv)
{
	vigil_opts opts;
	vigil_config cfg;
	int rc = vigil_cli_parse(&program, argc, argv, &opts);

	if (rc >= 0)
		return rc;
	if (vopts.ledger && opts.nargs > 0)
		return vigil_cli_usage_error(&program, "--ledger takes no package argument");
	if (!vopts.ledger && opts.nargs != 1)
		return vigil_cli_usage_error(&program, "name the package to check, or pass --ledger");
	if (!vopts.ledger && (vopts.from || vopts.to))
		return vigil_cli_usage_error(&program, "--from and --to go with --ledger");
	if (vopts.ledger && (vopts.npubkeys || vopts.allow_embedded))
		return vigil_cli_usage_error(&program, "--pubkey and --allow-embedded-key go with a package");
	if (vopts.from && vopts.to && vopts.from > vopts.to)
		return vigil_cli_usage_error(&program, "--from %lld is after --to %lld", vopts.from, vopts.to);
	rc = vigil_cli_setup(&program, &opts, &cfg);
	if (rc < 0)
		rc = vopts.ledger ? verify_ledger(&cfg, &opts) : verify_package(&cfg, opts.args[0]);
	vigil_config_free(&cfg);
	return rc;
}
