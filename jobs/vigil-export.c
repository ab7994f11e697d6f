/*
 * vigil-export — the signed audit package of one audit case (DESIGN §4, §6).
 *
 * Reads the case, its evidence, the ledger entries about that evidence, the
 * enforcement actions and QR verification events it concerns, as of --as-of,
 * in one REPEATABLE READ READ ONLY transaction (a consistent snapshot), and
 * writes them with the media files as a BagIt bag in a ZIP (common/package.c)
 * signed with an Ed25519 key (common/sign.c). The ZIP goes to a temporary
 * file next to the target and is renamed only when complete; a media file
 * that is missing or no longer matches media_objects stops the export and
 * leaves nothing behind. Then, in a READ COMMITTED transaction (the ledger
 * trigger requires it), the first export of a given package records an
 * audit_exports row and an `audit.exported` ledger entry; a rerun that
 * produces the same bytes records nothing.
 *
 * `vigil-export --generate-key FILE` creates a signing key instead.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "config.h"
#include "csvout.h"
#include "db.h"
#include "ledger.h"
#include "log.h"
#include "package.h"
#include "run.h"
#include "sign.h"
#include "util.h"

enum {
	OPT_CASE = 300,
	OPT_KEY,
	OPT_MEDIA_ROOT,
	OPT_GENERATE_KEY,
};

typedef struct export_opts {
	const char *case_id;
	const char *output;
	const char *key_path;
	const char *media_root;
	const char *generate_key;
} export_opts;

static const vigil_option options[] = {
	{"case", required_argument, OPT_CASE, "UUID", "the audit case to export (required)"},
	{"output", required_argument, 'o', "FILE",
	 "write the package to FILE (default jobs.export.output_dir/audit-<case>-<as-of>.zip)"},
	{"key", required_argument, OPT_KEY, "FILE",
	 "Ed25519 signing key, PEM, mode 0600 (default jobs.export.signing_key, else "
	 "$CREDENTIALS_DIRECTORY/vigil-signing-key)"},
	{"media-root", required_argument, OPT_MEDIA_ROOT, "DIR",
	 "directory media_objects.storage_key is relative to (default jobs.export.media_root)"},
	{"generate-key", required_argument, OPT_GENERATE_KEY, "FILE",
	 "create a new Ed25519 signing key in FILE (mode 0600), print its fingerprint, and exit"},
	{NULL, 0, 0, NULL, NULL},
};

static bool
is_uuid(const char *s)
{
	if (strlen(s) != 36)
		return false;
	for (int i = 0; i < 36; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? s[i] != '-' : !((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f') ||
									(s[i] >= 'A' && s[i] <= 'F')))
			return false;
	}
	return true;
}

static int
handle(int val, const char *arg, void *ctx, vigil_error *err)
{
	export_opts *o = ctx;

	switch (val) {
	case OPT_CASE: {
		/* Lowercase, as PostgreSQL prints uuids: the id is part of the
		 * package's bytes, which must not depend on how it was typed. */
		static char id[37];

		if (!is_uuid(arg))
			return vigil_error_set(err, VIGIL_EXIT_USAGE, "invalid --case \"%s\": expected a UUID", arg);
		for (int i = 0; i < 36; i++)
			id[i] = (char) tolower((unsigned char) arg[i]);
		o->case_id = id;
		return 0;
	}
	case 'o':
		if (strcmp(arg, "-") == 0 || *arg == '\0')
			return vigil_error_set(err, VIGIL_EXIT_USAGE,
								   "cannot write the package to standard output: a ZIP needs a "
								   "seekable file; use -o FILE");
		o->output = arg;
		return 0;
	case OPT_KEY:
		o->key_path = arg;
		return 0;
	case OPT_MEDIA_ROOT:
		o->media_root = arg;
		return 0;
	case OPT_GENERATE_KEY:
		o->generate_key = arg;
		return 0;
	}
	return vigil_error_set(err, VIGIL_EXIT_USAGE, "unhandled option");
}

static export_opts xopts;

static vigil_program program = {
	.name = "vigil-export",
	.synopsis = "--case UUID [-o FILE] [--key FILE] [--media-root DIR] [OPTION]...\n"
				"  vigil-export --generate-key FILE",
	.summary = "Write the signed audit package of an audit case as of --as-of: a ZIP holding a "
			   "BagIt bag\n(case.json, evidence, timeline, enforcement actions, verification "
			   "events, media)\nthat unzip, sha256sum and openssl can check, and vigil-verify "
			   "checks completely.",
	.example = "  # once: a signing key, kept readable by its owner only\n"
			   "  vigil-export --generate-key /etc/vigil/signing-key.pem\n"
			   "  # the package of a case as it stood on 1 June 2026\n"
			   "  vigil-export --case 80000000-0000-4000-8000-000000000001 \\\n"
			   "      --as-of 2026-06-01T00:00:00Z --key /etc/vigil/signing-key.pem -o case.zip\n",
	.options = options,
	.handle = handle,
	.ctx = &xopts,
	.min_args = 0,
	.max_args = 0,
};

/* Timestamps in one fixed text form whatever the session's TimeZone. */
#define TS(col) "to_char((" col ") AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"

/* The case's evidence nodes as of $2: linked and created by then. */
#define NODES_CTE \
	"WITH nodes AS (" \
	" SELECT n.id, n.entity_type, n.entity_id, n.created_at, l.attached_by, l.attached_at" \
	" FROM vigil.audit_evidence_links l JOIN vigil.evidence_nodes n ON n.id = l.evidence_node_id" \
	" WHERE l.audit_case_id = $1 AND l.attached_at <= $2 AND n.created_at <= $2) "

static const char *const evidence_cols[] = {
	"evidence_node_id", "entity_type", "entity_id", "node_created_at", "attached_by", "attached_at",
	"media_object_id", "file_name", "content_type", "byte_size", "sha256", "package_path",
};
static const char evidence_sql[] =
	NODES_CTE
	"SELECT n.id::text, n.entity_type, n.entity_id, " TS("n.created_at") ", n.attached_by, "
	TS("n.attached_at") ", m.id::text, m.file_name, m.content_type, m.byte_size::text, "
	"encode(m.sha256, 'hex'), m.storage_key "
	"FROM nodes n LEFT JOIN vigil.media_objects m ON m.evidence_node_id = n.id AND m.created_at <= $2 "
	"ORDER BY n.id, m.id";

static const char *const timeline_cols[] = {
	"seq", "created_at", "event_type", "entity_type", "entity_id", "evidence_node_id", "actor",
	"run_id", "payload", "prev_hash", "entry_hash",
};
static const char timeline_sql[] =
	NODES_CTE
	"SELECT " VIGIL_LEDGER_COLUMNS " FROM vigil.ledger "
	"WHERE created_at <= $2 AND (evidence_node_id IN (SELECT id FROM nodes) "
	" OR (entity_type, entity_id) IN (SELECT entity_type, entity_id FROM nodes)) "
	"ORDER BY ledger.seq";

static const char *const actions_cols[] = {
	"id", "action_type", "target_type", "target_id", "reason", "details", "run_id", "created_at",
};
static const char actions_sql[] =
	NODES_CTE
	"SELECT a.id::text, a.action_type::text, a.target_type, a.target_id, a.reason, a.details::text, "
	"a.run_id::text, " TS("a.created_at") " FROM vigil.enforcement_actions a "
	"WHERE a.created_at <= $2 AND ("
	" EXISTS (SELECT 1 FROM nodes n WHERE n.entity_type = 'enforcement_action' AND n.entity_id = a.id::text)"
	" OR EXISTS (SELECT 1 FROM nodes n WHERE n.entity_type = a.target_type AND n.entity_id = a.target_id)"
	" OR (a.target_type = 'employee' AND a.target_id IN ("
	"   SELECT c.employee_id::text FROM nodes n JOIN vigil.certifications c"
	"   ON n.entity_type = 'certification' AND c.id::text = n.entity_id))) "
	"ORDER BY a.id";

static const char *const events_cols[] = {
	"id", "verification_token_id", "certification_id", "scanned_at", "verified_by", "location", "result",
};
static const char events_sql[] =
	NODES_CTE
	"SELECT v.id::text, v.verification_token_id::text, t.certification_id::text, " TS("v.scanned_at")
	", v.verified_by, v.location, v.result FROM vigil.verification_events v "
	"JOIN vigil.verification_tokens t ON t.id = v.verification_token_id "
	"WHERE v.scanned_at <= $2 AND ("
	" EXISTS (SELECT 1 FROM nodes n WHERE n.entity_type = 'verification_event' AND n.entity_id = v.id::text)"
	" OR EXISTS (SELECT 1 FROM nodes n WHERE n.entity_type = 'certification'"
	"   AND n.entity_id = t.certification_id::text)) "
	"ORDER BY v.scanned_at, v.id";

static const char case_sql[] =
	"SELECT c.id::text, c.title, c.description, c.status, c.legal_hold::text, c.created_by, "
	TS("c.created_at") ", o.id::text, o.name, (c.created_at <= $2)::text "
	"FROM vigil.audit_cases c JOIN vigil.organizations o ON o.id = c.organization_id WHERE c.id = $1";

/* Media that is already compressed is stored; everything else deflated. */
static bool
should_compress(const char *content_type, const char *file_name)
{
	static const char *const stored_types[] = {
		"image/jpeg", "image/png", "image/gif", "image/webp", "image/heic", "application/pdf",
		"application/zip", "application/gzip", "application/x-7z-compressed", "application/zstd",
		"application/x-xz", "application/x-bzip2",
	};
	static const char *const stored_ext[] = {
		".jpg", ".jpeg", ".png", ".gif", ".webp", ".heic", ".pdf", ".zip", ".gz", ".tgz", ".xz",
		".bz2", ".zst", ".7z", ".mp4", ".m4v", ".mov", ".mkv", ".webm", ".mp3", ".m4a", ".ogg",
		".docx", ".xlsx", ".pptx", ".odt",
	};
	const char *dot = strrchr(file_name, '.');

	if (strncmp(content_type, "video/", 6) == 0 || strncmp(content_type, "audio/", 6) == 0)
		return false;
	for (size_t i = 0; i < sizeof(stored_types) / sizeof(stored_types[0]); i++)
		if (strcasecmp(content_type, stored_types[i]) == 0)
			return false;
	for (size_t i = 0; dot && i < sizeof(stored_ext) / sizeof(stored_ext[0]); i++)
		if (strcasecmp(dot, stored_ext[i]) == 0)
			return false;
	return true;
}

/* A storage key that stays inside the media root (the schema's CHECK says
 * the same; checked again because the file system is at stake). */
static bool
safe_storage_key(const char *key)
{
	const char *p = key;

	if (*key == '\0' || *key == '/' || strchr(key, '\\'))
		return false;
	while (*p) {
		const char *slash = strchr(p, '/');
		size_t len = slash ? (size_t) (slash - p) : strlen(p);

		if (len == 0 || (len == 1 && p[0] == '.') || (len == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		for (size_t i = 0; i < len; i++)
			if ((unsigned char) p[i] < 0x20 || p[i] == 0x7f)
				return false;
		if (!slash)
			break;
		p = slash + 1;
	}
	return true;
}

/* The file name a media object gets inside data/media/<node>/: made safe,
 * then, when an earlier object of the node (in id order) took it, "~2",
 * "~3"... before the extension. Names are compared case-insensitively so
 * the package also unpacks on case-insensitive file systems. */
static char *
unique_name(const char *file_name, char **taken, size_t ntaken)
{
	char *safe = vigil_package_safe_name(file_name);
	char *name = vigil_strdup(safe);
	const char *dot = strrchr(safe, '.');
	size_t stem = dot && dot != safe ? (size_t) (dot - safe) : strlen(safe);

	for (int n = 2;; n++) {
		bool clash = false;

		for (size_t i = 0; i < ntaken && !clash; i++)
			clash = strcasecmp(taken[i], name) == 0;
		if (!clash)
			break;
		free(name);
		name = vigil_asprintf("%.*s~%d%s", (int) stem, safe, n, safe + stem);
	}
	free(safe);
	return name;
}

/* Writes a query's rows as CSV with a header row. */
static void
result_csv(const PGresult *res, const char *const *cols, int ncols, vigil_buf *out)
{
	vigil_csv_row(out, cols, (size_t) ncols);
	for (int row = 0; row < PQntuples(res); row++) {
		for (int col = 0; col < ncols; col++)
			vigil_csv_field(out, PQgetisnull(res, row, col) ? NULL : PQgetvalue(res, row, col), col == 0);
		vigil_csv_end_row(out);
	}
}

typedef struct progress {
	bool on;                   /* stderr is a terminal and not -q */
	double started;
	double last;
} progress;

/* Draws the progress bar, at most ten times a second and once at the end. */
static void
show_progress(void *ctx, int files_done, int files_total, uint64_t bytes_done, uint64_t bytes_total)
{
	progress *p = ctx;
	double now = vigil_monotonic();
	double rate;

	if (now - p->last < 0.1 && files_done < files_total)
		return;
	p->last = now;
	rate = now > p->started ? (double) bytes_done / (now - p->started) : 0;
	fprintf(stderr, "\rexporting: %d/%d files, %.1f/%.1f MB, %.1f MB/s   ", files_done, files_total,
			(double) bytes_done / 1e6, (double) bytes_total / 1e6, rate / 1e6);
	fflush(stderr);
}

/* What the snapshot gave us. */
typedef struct snapshot {
	PGresult *kase, *evidence, *timeline, *actions, *events;
} snapshot;

static void
snapshot_free(snapshot *s)
{
	PQclear(s->kase);
	PQclear(s->evidence);
	PQclear(s->timeline);
	PQclear(s->actions);
	PQclear(s->events);
}

static int
read_snapshot(vigil_run *run, const char *case_id, snapshot *s, vigil_error *err)
{
	const char *params[] = {case_id, run->as_of};
	int rc;

	rc = vigil_db_exec(run->conn, "start the export snapshot",
					   "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", 0, NULL, err);
	if (rc)
		return rc;
	s->kase = vigil_db_query(run->conn, "read the audit case", case_sql, 2, params, PGRES_TUPLES_OK, err);
	if (s->kase == NULL)
		goto fail;
	if (PQntuples(s->kase) == 0 || strcmp(PQgetvalue(s->kase, 0, 9), "true") != 0) {
		vigil_error_set(err, VIGIL_EXIT_NOINPUT,
						PQntuples(s->kase) == 0 ? "no audit case %s" :
						"audit case %s did not exist yet as of %s", case_id, run->as_of);
		vigil_error_hint(err, "list cases with: SELECT id, title FROM vigil.audit_cases");
		goto fail;
	}
	if ((s->evidence = vigil_db_query(run->conn, "read the case's evidence", evidence_sql, 2, params,
									  PGRES_TUPLES_OK, err)) == NULL ||
		(s->timeline = vigil_db_query(run->conn, "read the case's ledger entries", timeline_sql, 2,
									  params, PGRES_TUPLES_OK, err)) == NULL ||
		(s->actions = vigil_db_query(run->conn, "read the case's enforcement actions", actions_sql, 2,
									 params, PGRES_TUPLES_OK, err)) == NULL ||
		(s->events = vigil_db_query(run->conn, "read the case's verification events", events_sql, 2,
									params, PGRES_TUPLES_OK, err)) == NULL)
		goto fail;
	return vigil_db_commit(run->conn, err);
fail:
	vigil_db_rollback(run->conn);
	return err->code ? err->code : VIGIL_EXIT_SOFTWARE;
}

/* Fills the package from the snapshot: case.json, the CSVs, the media. */
static int
fill_package(vigil_run *run, const snapshot *s, const char *media_root, vigil_package *pkg,
			 vigil_error *err)
{
	vigil_buf csv = {0}, json = {0};
	char **taken = NULL;
	size_t ntaken = 0;
	char prev_node[40] = "";
	int64_t nodes = 0, media = 0, media_bytes = 0;
	int rc = 0;
	const PGresult *ev = s->evidence;

	/* evidence.csv, and each media file under data/media/<node>/. */
	vigil_csv_row(&csv, evidence_cols, sizeof(evidence_cols) / sizeof(evidence_cols[0]));
	for (int row = 0; row < PQntuples(ev); row++) {
		const char *node = PQgetvalue(ev, row, 0);
		char *pkg_path = NULL;

		if (strcmp(node, prev_node) != 0) {
			for (size_t i = 0; i < ntaken; i++)
				free(taken[i]);
			ntaken = 0;
			snprintf(prev_node, sizeof(prev_node), "%s", node);
			nodes++;
		}
		if (!PQgetisnull(ev, row, 6)) {
			const char *mid = PQgetvalue(ev, row, 6), *fname = PQgetvalue(ev, row, 7);
			const char *ctype = PQgetvalue(ev, row, 8), *key = PQgetvalue(ev, row, 11);
			uint64_t size = strtoull(PQgetvalue(ev, row, 9), NULL, 10);
			unsigned char sha[VIGIL_SHA256_LEN];
			char *name, *fs_path, *label;

			if (*media_root == '\0') {
				rc = vigil_error_set(err, VIGIL_EXIT_CONFIG, "no media root to read media object %s from",
									 mid);
				vigil_error_hint(err, "pass --media-root DIR or set jobs.export.media_root");
				goto done;
			}
			if (!safe_storage_key(key) || vigil_unhex(PQgetvalue(ev, row, 10), sha, sizeof(sha)) != 0) {
				rc = vigil_error_set(err, VIGIL_EXIT_DATAERR,
									 "media object %s has an unusable storage_key or sha256", mid);
				goto done;
			}
			name = unique_name(fname, taken, ntaken);
			taken = vigil_realloc(taken, (ntaken + 1) * sizeof(*taken));
			taken[ntaken++] = vigil_strdup(name);
			pkg_path = vigil_asprintf("data/media/%s/%s", node, name);
			fs_path = vigil_asprintf("%s/%s", media_root, key);
			label = vigil_asprintf("media object %s", mid);
			vigil_package_add_file(pkg, pkg_path, fs_path, size, sha, should_compress(ctype, name), label);
			free(name);
			free(fs_path);
			free(label);
			media++;
			media_bytes += (int64_t) size;
		}
		for (int col = 0; col < 11; col++)
			vigil_csv_field(&csv, PQgetisnull(ev, row, col) ? NULL : PQgetvalue(ev, row, col), col == 0);
		vigil_csv_field(&csv, pkg_path, false);
		vigil_csv_end_row(&csv);
		free(pkg_path);
	}
	vigil_package_add_data(pkg, "data/evidence.csv", csv.data, csv.len, true);

	vigil_buf_reset(&csv);
	result_csv(s->timeline, timeline_cols, 11, &csv);
	vigil_package_add_data(pkg, "data/timeline.csv", csv.data, csv.len, true);
	vigil_buf_reset(&csv);
	result_csv(s->actions, actions_cols, 8, &csv);
	vigil_package_add_data(pkg, "data/enforcement_actions.csv", csv.data, csv.len, true);
	vigil_buf_reset(&csv);
	result_csv(s->events, events_cols, 7, &csv);
	vigil_package_add_data(pkg, "data/verification_events.csv", csv.data, csv.len, true);

	/* case.json: what the package is about, stable key order. */
	vigil_buf_puts(&json, "{\n  \"case\": {\n    \"id\": ");
	vigil_buf_json_string(&json, PQgetvalue(s->kase, 0, 0));
	vigil_buf_puts(&json, ",\n    \"title\": ");
	vigil_buf_json_string(&json, PQgetvalue(s->kase, 0, 1));
	vigil_buf_puts(&json, ",\n    \"description\": ");
	vigil_buf_json_string(&json, PQgetisnull(s->kase, 0, 2) ? NULL : PQgetvalue(s->kase, 0, 2));
	vigil_buf_puts(&json, ",\n    \"status\": ");
	vigil_buf_json_string(&json, PQgetvalue(s->kase, 0, 3));
	vigil_buf_printf(&json, ",\n    \"legal_hold\": %s,\n    \"created_by\": ",
					 strcmp(PQgetvalue(s->kase, 0, 4), "true") == 0 ? "true" : "false");
	vigil_buf_json_string(&json, PQgetvalue(s->kase, 0, 5));
	vigil_buf_puts(&json, ",\n    \"created_at\": ");
	vigil_buf_json_string(&json, PQgetvalue(s->kase, 0, 6));
	vigil_buf_puts(&json, "\n  },\n  \"organization\": {\n    \"id\": ");
	vigil_buf_json_string(&json, PQgetvalue(s->kase, 0, 7));
	vigil_buf_puts(&json, ",\n    \"name\": ");
	vigil_buf_json_string(&json, PQgetvalue(s->kase, 0, 8));
	vigil_buf_puts(&json, "\n  },\n  \"as_of\": ");
	vigil_buf_json_string(&json, run->as_of);
	vigil_buf_puts(&json, ",\n  \"vigil_version\": ");
	vigil_buf_json_string(&json, VIGIL_VERSION);
	vigil_buf_printf(&json,
					 ",\n  \"counts\": {\n    \"evidence_nodes\": %lld,\n    \"media_objects\": %lld,\n"
					 "    \"media_bytes\": %lld,\n    \"timeline_entries\": %d,\n"
					 "    \"enforcement_actions\": %d,\n    \"verification_events\": %d\n  }\n}\n",
					 (long long) nodes, (long long) media, (long long) media_bytes,
					 PQntuples(s->timeline), PQntuples(s->actions), PQntuples(s->events));
	vigil_package_add_data(pkg, "data/case.json", json.data, json.len, true);

	vigil_run_count(run, "evidence_nodes", nodes);
	vigil_run_count(run, "media_files", media);
	vigil_run_count(run, "media_bytes", media_bytes);
	vigil_run_count(run, "timeline_entries", PQntuples(s->timeline));
	vigil_run_count(run, "enforcement_actions", PQntuples(s->actions));
	vigil_run_count(run, "verification_events", PQntuples(s->events));
done:
	for (size_t i = 0; i < ntaken; i++)
		free(taken[i]);
	free(taken);
	vigil_buf_free(&csv);
	vigil_buf_free(&json);
	return rc;
}

/* Records the package: audit_exports row and ledger entry, only the first
 * time this package (by SHA-256) is produced for the case. Runs in the
 * caller's open transaction. */
static int
record_export(vigil_run *run, const char *case_id, const char *file_name,
			  const vigil_package_result *res, vigil_error *err)
{
	char pkg_hex[65], man_hex[65], size[24], run_id[24], id[64];
	const char *params[8];
	vigil_buf payload = {0};
	bool isnull = false;
	int rc;

	vigil_hex(res->package_sha256, VIGIL_SHA256_LEN, pkg_hex);
	vigil_hex(res->manifest_sha256, VIGIL_SHA256_LEN, man_hex);
	snprintf(size, sizeof(size), "%llu", (unsigned long long) res->byte_size);
	snprintf(run_id, sizeof(run_id), "%lld", (long long) run->id);
	params[0] = case_id;
	params[1] = run->id ? run_id : NULL;
	params[2] = run->as_of;
	params[3] = pkg_hex;
	params[4] = man_hex;
	params[5] = res->key_fingerprint;
	params[6] = file_name;
	params[7] = size;
	rc = vigil_db_value(run->conn, "record the export",
						"WITH ins AS (INSERT INTO vigil.audit_exports (audit_case_id, run_id, as_of, "
						"package_sha256, manifest_sha256, key_fingerprint, file_name, byte_size) "
						"VALUES ($1, $2, $3, decode($4, 'hex'), decode($5, 'hex'), $6, $7, $8) "
						"ON CONFLICT (audit_case_id, package_sha256) DO NOTHING RETURNING id::text) "
						"SELECT (SELECT id FROM ins)",
						8, params, id, sizeof(id), &isnull, err);
	if (rc || isnull) {
		vigil_run_count(run, "exports_recorded", 0);
		return rc;
	}
	vigil_buf_puts(&payload, "{\"audit_export_id\": ");
	vigil_buf_json_string(&payload, id);
	vigil_buf_printf(&payload, ", \"package_sha256\": \"%s\", \"manifest_sha256\": \"%s\", "
					 "\"key_fingerprint\": \"%s\", \"byte_size\": %s, \"as_of\": \"%s\", \"file_name\": ",
					 pkg_hex, man_hex, res->key_fingerprint, size, run->as_of);
	vigil_buf_json_string(&payload, file_name);
	vigil_buf_puts(&payload, "}");
	rc = vigil_ledger_append(run->conn, "audit.exported", "audit_case", case_id, NULL, run->prog,
							 run->id, payload.data, NULL, err);
	vigil_buf_free(&payload);
	if (rc == 0)
		vigil_run_count(run, "exports_recorded", 1);
	return rc;
}

static int
fsync_path(const char *path, bool dir)
{
	int fd = open(path, (dir ? O_RDONLY | O_DIRECTORY : O_RDONLY) | O_CLOEXEC);
	int rc;

	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}


/*
 * An export killed with SIGKILL leaves its temporary file (".NAME.tmp-PID",
 * and libzip's ".NAME.tmp-PID.XXXXXX" while closing) in the output
 * directory. Before writing, remove those of the same target whose process
 * no longer exists; a live process's file (another export to the same
 * name) is left alone.
 */
static void
remove_stale_temps(const char *dir, const char *base)
{
	char *prefix = vigil_asprintf(".%s.tmp-", base);
	size_t plen = strlen(prefix);
	DIR *d = opendir(dir);
	struct dirent *de;

	while (d && (de = readdir(d)) != NULL) {
		char *end;
		long pid;

		if (strncmp(de->d_name, prefix, plen) != 0)
			continue;
		pid = strtol(de->d_name + plen, &end, 10);
		if (end == de->d_name + plen || (*end != '\0' && *end != '.') || pid <= 0 || pid == (long) getpid())
			continue;
		if (kill((pid_t) pid, 0) == 0 || errno != ESRCH)
			continue;
		char *path = vigil_asprintf("%s/%s", dir, de->d_name);
		if (unlink(path) == 0)
			vigil_log(VIGIL_LOG_WARNING, "removed %s, left by export process %ld that no longer runs", path, pid);
		free(path);
	}
	if (d)
		closedir(d);
	free(prefix);
}

static int
export_work(vigil_run *run, const vigil_key *key, const char *media_root, vigil_error *err)
{
	const char *case_id = xopts.case_id;
	char stamp[24], date[16], *output = NULL, *tmp = NULL, *dir = NULL, *base = NULL, *top = NULL;
	char *org = NULL;
	time_t secs = (time_t) (run->as_of_us / 1000000);
	struct tm tm;
	snapshot snap = {0};
	vigil_package *pkg = NULL;
	vigil_package_result res;
	progress prog = {0};
	bool tmp_made = false;
	int rc;

	gmtime_r(&secs, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	strftime(date, sizeof(date), "%Y-%m-%d", &tm);
	top = vigil_asprintf("audit-%s-%s", case_id, stamp);
	output = xopts.output ? vigil_strdup(xopts.output)
		: vigil_asprintf("%s/%s.zip", run->cfg->export_.output_dir, top);
	{
		char *d = vigil_strdup(output), *b = vigil_strdup(output);

		dir = vigil_strdup(dirname(d));
		base = vigil_strdup(basename(b));
		free(d);
		free(b);
	}
	/* Fail before any work when the target directory is not writable. */
	struct stat dst;
	if (stat(dir, &dst) == 0 && !S_ISDIR(dst.st_mode)) {
		rc = vigil_error_set(err, VIGIL_EXIT_CANTCREAT, "cannot write the package into %s: %s", dir,
							 strerror(ENOTDIR));
		goto done;
	}
	if (access(dir, W_OK | X_OK) != 0) {
		rc = vigil_error_set(err, VIGIL_EXIT_CANTCREAT, "cannot write the package into %s: %s", dir,
							 strerror(errno));
		goto done;
	}
	tmp = vigil_asprintf("%s/.%s.tmp-%ld", dir, base, (long) getpid());

	vigil_run_count(run, "evidence_nodes", 0);
	vigil_run_count(run, "media_files", 0);
	vigil_run_count(run, "exports_recorded", 0);
	rc = read_snapshot(run, case_id, &snap, err);
	if (rc)
		goto done;
	pkg = vigil_package_new(top, run->as_of_us);
	vigil_package_set_cancel(pkg, vigil_run_interrupted);
	rc = fill_package(run, &snap, media_root, pkg, err);
	if (rc)
		goto done;
	rc = vigil_package_precheck(pkg, err);
	if (rc)
		goto done;
	if (vigil_run_interrupted()) {
		rc = vigil_error_set(err, VIGIL_EXIT_TEMPFAIL, "interrupted before the package was written");
		goto done;
	}

	prog.on = isatty(STDERR_FILENO) && run->opts->verbosity >= 0;
	prog.started = vigil_monotonic();
	if (prog.on)
		vigil_package_set_progress(pkg, show_progress, &prog);
	remove_stale_temps(dir, base);
	unlink(tmp);    /* a leftover of an earlier process with our pid */
	tmp_made = true;
	/* bag-info.txt values are one line each. */
	org = vigil_strdup(PQgetvalue(snap.kase, 0, 8));
	for (char *c = org; *c; c++)
		if ((unsigned char) *c < 0x20 || *c == 0x7f)
			*c = ' ';
	rc = vigil_package_write(pkg, tmp, key,
							 &(vigil_bag_info) {
								 .source_organization = org,
								 .bagging_date = date,
								 .external_identifier = case_id,
								 .as_of = run->as_of,
							 }, &res, err);
	if (prog.on)
		fputs("\n", stderr);
	if (rc)
		goto done;
	if (fsync_path(tmp, false) != 0) {
		rc = vigil_error_set(err, VIGIL_EXIT_CANTCREAT, "cannot write %s: %s", tmp, strerror(errno));
		goto done;
	}
	vigil_run_count(run, "package_bytes", (int64_t) res.byte_size);

	if (run->dry_run) {
		char hex[65];

		vigil_hex(res.package_sha256, VIGIL_SHA256_LEN, hex);
		vigil_log(VIGIL_LOG_INFO, "dry run: package would be %s (%llu bytes, sha256 %s); nothing kept",
				  output, (unsigned long long) res.byte_size, hex);
		goto done;
	}

	/* Record, rename, commit: a failure at any step leaves neither the file
	 * nor the record. */
	rc = vigil_db_exec(run->conn, "start recording the export", "BEGIN ISOLATION LEVEL READ COMMITTED",
					   0, NULL, err);
	if (rc)
		goto done;
	rc = record_export(run, case_id, base, &res, err);
	if (rc) {
		vigil_db_rollback(run->conn);
		goto done;
	}
	if (rename(tmp, output) != 0) {
		rc = vigil_error_set(err, VIGIL_EXIT_CANTCREAT, "cannot rename %s to %s: %s", tmp, output,
							 strerror(errno));
		vigil_db_rollback(run->conn);
		goto done;
	}
	tmp_made = false;
	fsync_path(dir, true);
	rc = vigil_db_commit(run->conn, err);
	if (rc) {
		unlink(output);
		goto done;
	}
	{
		char hex[65];

		vigil_hex(res.package_sha256, VIGIL_SHA256_LEN, hex);
		vigil_log(VIGIL_LOG_INFO, "wrote %s (%llu bytes, sha256 %s, signing key %s)", output,
				  (unsigned long long) res.byte_size, hex, res.key_fingerprint);
		printf("%s\n", output);
	}
done:
	if (tmp_made && tmp)
		unlink(tmp);
	vigil_package_free(pkg);
	snapshot_free(&snap);
	free(output);
	free(tmp);
	free(dir);
	free(base);
	free(top);
	free(org);
	return rc;
}

/* --key, else jobs.export.signing_key, else the systemd credential. */
static int
resolve_key_path(const vigil_config *cfg, char **path, vigil_error *err)
{
	const char *creds = getenv("CREDENTIALS_DIRECTORY");

	if (xopts.key_path)
		*path = vigil_strdup(xopts.key_path);
	else if (cfg->export_.signing_key[0])
		*path = vigil_strdup(cfg->export_.signing_key);
	else if (creds && *creds)
		*path = vigil_asprintf("%s/vigil-signing-key", creds);
	else {
		vigil_error_set(err, VIGIL_EXIT_CONFIG, "no signing key configured");
		vigil_error_hint(err, "pass --key FILE, set jobs.export.signing_key, or provide the systemd "
						 "credential vigil-signing-key; create a key with vigil-export --generate-key FILE");
		return VIGIL_EXIT_CONFIG;
	}
	return 0;
}

static int
generate_key(const char *path)
{
	char fpr[VIGIL_FINGERPRINT_LEN + 1];
	vigil_error err = {0};
	int rc = vigil_key_generate(path, fpr, &err);

	if (rc) {
		vigil_log_error(&err);
		return rc;
	}
	printf("%s  %s\n", fpr, path);
	vigil_log(VIGIL_LOG_INFO, "wrote Ed25519 signing key %s (mode 0600), public key SHA-256 %s", path, fpr);
	return 0;
}

int
main(int argc, char **argv)
{
	vigil_opts opts;
	vigil_config cfg;
	vigil_run run;
	vigil_error err = {0};
	vigil_key *key = NULL;
	char *key_path = NULL, *params = NULL, fpr[VIGIL_FINGERPRINT_LEN + 1];
	const char *media_root;
	vigil_buf pj = {0};
	int rc = vigil_cli_parse(&program, argc, argv, &opts);

	if (rc >= 0)
		return rc;
	if (xopts.generate_key && xopts.case_id)
		return vigil_cli_usage_error(&program, "--generate-key cannot be combined with --case");
	if (!xopts.generate_key && !xopts.case_id)
		return vigil_cli_usage_error(&program, "--case UUID is required");
	rc = vigil_cli_setup(&program, &opts, &cfg);
	if (rc >= 0) {
		vigil_config_free(&cfg);
		return rc;
	}
	if (xopts.generate_key) {
		rc = generate_key(xopts.generate_key);
		vigil_config_free(&cfg);
		return rc;
	}

	/* The key is checked before anything touches the database. */
	rc = resolve_key_path(&cfg, &key_path, &err);
	if (rc == 0)
		rc = vigil_key_load_private(key_path, &key, &err);
	if (rc) {
		vigil_log_error(&err);
		goto out;
	}
	vigil_key_fingerprint(key, fpr);
	media_root = xopts.media_root ? xopts.media_root : cfg.export_.media_root;

	vigil_buf_puts(&pj, "{\"case\": ");
	vigil_buf_json_string(&pj, xopts.case_id);
	vigil_buf_puts(&pj, ", \"output\": ");
	vigil_buf_json_string(&pj, xopts.output);
	vigil_buf_printf(&pj, ", \"key_fingerprint\": \"%s\"}", fpr);
	params = pj.data;

	rc = vigil_run_begin(&run, program.name, &cfg, &opts, params, &err);
	if (rc == 0)
		rc = export_work(&run, key, media_root, &err);
	rc = vigil_run_finish(&run, rc, &err);
out:
	vigil_key_free(key);
	free(key_path);
	vigil_buf_free(&pj);
	vigil_config_free(&cfg);
	return rc;
}
