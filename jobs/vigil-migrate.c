/*
 * vigil-migrate — applies sql/migrations/NNNN_name.sql in order and checks
 * that a database still is what its migrations made it.
 *
 *	up       applies the pending files, each in its own transaction together
 *	         with its vigil.schema_migrations row (checksum, catalog
 *	         snapshot) and its schema.migrated ledger entry, under the session
 *	         advisory lock (7447, hashtext('vigil-migrate'))
 *	status   one line per file: applied or pending, when, by whom, checksum
 *	verify   the live catalog of schema vigil against the snapshot stored
 *	         with the last applied migration, and every file's checksum
 *	lint     destructive or locking statements in migration files
 *
 * The set is strictly linear and append-only: a changed applied file, an
 * applied version without its file, a gap, a new file numbered below the
 * last applied one or a database migrated past the last file are refused
 * (65) before anything runs. A drifted database is not migrated (exit 1)
 * unless the operator gives --accept-drift REASON, which the ledger records.
 * The catalog snapshot is computed by one query (SNAPSHOT_SQL) with a fixed
 * search_path so every name in it is schema-qualified the same way at apply
 * time and at verify time.
 */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "config.h"
#include "db.h"
#include "ledger.h"
#include "log.h"
#include "migrations.h"
#include "run.h"
#include "sqllint.h"
#include "util.h"
#include "vigil.h"

#define PROG "vigil-migrate"

enum {
	OPT_MIGRATIONS = 256,
	OPT_LOCK_WAIT,
	OPT_ACCEPT_DRIFT,
};

typedef struct migrate_opts {
	const char *dir;             /* --migrations; NULL = default */
	int lock_wait;               /* --lock-wait seconds */
	const char *accept_drift;    /* --accept-drift reason; NULL = refuse */
} migrate_opts;

static const vigil_option options[] = {
	{"migrations", required_argument, OPT_MIGRATIONS, "DIR",
	 "migration files (default ../sql/migrations beside the binary, else " VIGIL_SHAREDIR "/sql/migrations)"},
	{"lock-wait", required_argument, OPT_LOCK_WAIT, "SECONDS",
	 "wait this long for another vigil-migrate to finish (default 60), then exit 75"},
	{"accept-drift", required_argument, OPT_ACCEPT_DRIFT, "REASON",
	 "up: migrate a drifted database anyway; the reason and the drift go to the ledger"},
	{NULL, 0, 0, NULL, NULL},
};

/*
 * The catalog of schema vigil, one row per object: kind, name, definition.
 * Objects that belong to an extension are left out, as are OIDs, sizes and
 * statistics. Privileges are the effective ones (acldefault when the ACL is
 * NULL), one row per object and grantee. Function bodies are represented by
 * the SHA-256 of pg_get_functiondef. Whitespace runs are collapsed to one
 * space so every object stays on one line of the stored snapshot.
 */
static const char SNAPSHOT_SQL[] =
	"WITH ns AS (SELECT oid, nspname, nspowner, nspacl FROM pg_catalog.pg_namespace WHERE nspname = 'vigil'), "
	"ext AS (SELECT classid, objid FROM pg_catalog.pg_depend WHERE deptype = 'e'), "
	"rels AS ("
	" SELECT c.oid, c.relkind, c.relowner, c.relacl, c.relrowsecurity, c.relpersistence,"
	"  format('%I.%I', ns.nspname, c.relname) AS qname"
	" FROM pg_catalog.pg_class c JOIN ns ON c.relnamespace = ns.oid"
	" WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')"
	"  AND NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_catalog.pg_class'::regclass AND ext.objid = c.oid)), "
	"procs AS ("
	" SELECT p.oid, p.prokind, p.proowner, p.proacl,"
	"  format('%I.%I(%s)', ns.nspname, p.proname, pg_catalog.pg_get_function_identity_arguments(p.oid)) AS qname"
	" FROM pg_catalog.pg_proc p JOIN ns ON p.pronamespace = ns.oid"
	" WHERE NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_catalog.pg_proc'::regclass AND ext.objid = p.oid)), "
	"acls AS ("
	" SELECT qname AS obj, coalesce(relacl, pg_catalog.acldefault(CASE WHEN relkind = 'S' THEN 's'::\"char\" ELSE 'r'::\"char\" END, relowner)) AS acl FROM rels"
	" UNION ALL SELECT r.qname || '.' || quote_ident(a.attname), a.attacl FROM rels r"
	"  JOIN pg_catalog.pg_attribute a ON a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped WHERE a.attacl IS NOT NULL"
	" UNION ALL SELECT qname, coalesce(proacl, pg_catalog.acldefault('f', proowner)) FROM procs"
	" UNION ALL SELECT 'schema ' || quote_ident(nspname), coalesce(nspacl, pg_catalog.acldefault('n', nspowner)) FROM ns), "
	"objs AS ("
	" SELECT 'schema' AS kind, quote_ident(nspname) AS name, 'owner ' || pg_catalog.pg_get_userbyid(nspowner) AS def FROM ns"
	" UNION ALL"
	" SELECT CASE relkind WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view' WHEN 'S' THEN 'sequence'"
	"   WHEN 'f' THEN 'foreign table' ELSE 'table' END, qname,"
	"  concat_ws(', ', 'owner ' || pg_catalog.pg_get_userbyid(relowner),"
	"   CASE WHEN relkind = 'p' THEN 'partitioned' END,"
	"   CASE WHEN relpersistence = 'u' THEN 'unlogged' END,"
	"   CASE WHEN relrowsecurity THEN 'row level security' END,"
	"   CASE WHEN relkind IN ('v', 'm') THEN 'as ' || pg_catalog.pg_get_viewdef(oid) END,"
	"   (SELECT format('%s start %s increment %s min %s max %s cache %s%s', pg_catalog.format_type(s.seqtypid, NULL),"
	"     s.seqstart, s.seqincrement, s.seqmin, s.seqmax, s.seqcache, CASE WHEN s.seqcycle THEN ' cycle' ELSE '' END)"
	"    FROM pg_catalog.pg_sequence s WHERE s.seqrelid = rels.oid))"
	" FROM rels"
	" UNION ALL"
	" SELECT 'column', r.qname || '.' || quote_ident(a.attname),"
	"  concat_ws(' ', pg_catalog.format_type(a.atttypid, a.atttypmod),"
	"   CASE WHEN a.attcollation <> t.typcollation THEN 'collate ' ||"
	"    (SELECT quote_ident(co.collname) FROM pg_catalog.pg_collation co WHERE co.oid = a.attcollation) END,"
	"   CASE WHEN a.attnotnull THEN 'not null' END,"
	"   CASE a.attidentity WHEN 'a' THEN 'generated always as identity' WHEN 'd' THEN 'generated by default as identity' END,"
	"   CASE WHEN a.attgenerated = 's' THEN 'generated always as (' || pg_catalog.pg_get_expr(d.adbin, d.adrelid) || ') stored'"
	"    WHEN d.adbin IS NOT NULL THEN 'default ' || pg_catalog.pg_get_expr(d.adbin, d.adrelid) END)"
	" FROM rels r JOIN pg_catalog.pg_attribute a ON a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped"
	"  JOIN pg_catalog.pg_type t ON t.oid = a.atttypid"
	"  LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum"
	" WHERE r.relkind <> 'S'"
	" UNION ALL"
	" SELECT 'constraint', coalesce(r.qname, format('%I.%I', ns.nspname, ty.typname)) || '.' || quote_ident(con.conname),"
	"  pg_catalog.pg_get_constraintdef(con.oid)"
	" FROM pg_catalog.pg_constraint con JOIN ns ON con.connamespace = ns.oid"
	"  LEFT JOIN rels r ON r.oid = con.conrelid LEFT JOIN pg_catalog.pg_type ty ON ty.oid = con.contypid"
	" WHERE r.oid IS NOT NULL OR (con.contypid <> 0 AND NOT EXISTS (SELECT 1 FROM ext"
	"  WHERE ext.classid = 'pg_catalog.pg_type'::regclass AND ext.objid = con.contypid))"
	" UNION ALL"
	" SELECT 'index', format('%I.%I', ns.nspname, ic.relname), pg_catalog.pg_get_indexdef(i.indexrelid)"
	" FROM pg_catalog.pg_index i JOIN rels r ON r.oid = i.indrelid"
	"  JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid JOIN ns ON ic.relnamespace = ns.oid"
	" UNION ALL"
	" SELECT 'trigger', r.qname || '.' || quote_ident(tg.tgname), pg_catalog.pg_get_triggerdef(tg.oid) ||"
	"  CASE tg.tgenabled WHEN 'D' THEN ' (disabled)' WHEN 'R' THEN ' (replica only)' WHEN 'A' THEN ' (always)' ELSE '' END"
	" FROM pg_catalog.pg_trigger tg JOIN rels r ON r.oid = tg.tgrelid WHERE NOT tg.tgisinternal"
	" UNION ALL"
	" SELECT CASE prokind WHEN 'p' THEN 'procedure' WHEN 'a' THEN 'aggregate' WHEN 'w' THEN 'window function' ELSE 'function' END,"
	"  qname,"
	"  concat_ws(', ', 'owner ' || pg_catalog.pg_get_userbyid(proowner),"
	"   'returns ' || pg_catalog.pg_get_function_result(oid),"
	"   CASE WHEN prokind <> 'a' THEN 'definition sha256 ' ||"
	"    encode(sha256(convert_to(pg_catalog.pg_get_functiondef(oid), 'UTF8')), 'hex') END)"
	" FROM procs"
	" UNION ALL"
	" SELECT 'type', format('%I.%I', ns.nspname, t.typname),"
	"  CASE t.typtype"
	"   WHEN 'e' THEN 'enum (' || (SELECT string_agg(quote_literal(e.enumlabel), ', ' ORDER BY e.enumsortorder)"
	"    FROM pg_catalog.pg_enum e WHERE e.enumtypid = t.oid) || ')'"
	"   WHEN 'd' THEN concat_ws(' ', 'domain over', pg_catalog.format_type(t.typbasetype, t.typtypmod),"
	"    CASE WHEN t.typnotnull THEN 'not null' END, 'default ' || t.typdefault)"
	"   WHEN 'r' THEN 'range over ' || (SELECT pg_catalog.format_type(rg.rngsubtype, NULL) FROM pg_catalog.pg_range rg"
	"    WHERE rg.rngtypid = t.oid)"
	"   ELSE 'composite (' || (SELECT string_agg(quote_ident(a.attname) || ' ' || pg_catalog.format_type(a.atttypid, a.atttypmod),"
	"    ', ' ORDER BY a.attnum) FROM pg_catalog.pg_attribute a WHERE a.attrelid = t.typrelid AND a.attnum > 0"
	"    AND NOT a.attisdropped) || ')' END || ', owner ' || pg_catalog.pg_get_userbyid(t.typowner)"
	" FROM pg_catalog.pg_type t JOIN ns ON t.typnamespace = ns.oid"
	" WHERE (t.typtype IN ('e', 'd', 'r') OR (t.typtype = 'c' AND"
	"   (SELECT c.relkind FROM pg_catalog.pg_class c WHERE c.oid = t.typrelid) = 'c'))"
	"  AND NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_catalog.pg_type'::regclass AND ext.objid = t.oid)"
	" UNION ALL"
	" SELECT 'policy', format('%I.%I.%I', schemaname, tablename, policyname),"
	"  concat_ws(' ', permissive, 'for', cmd, 'to', array_to_string(roles, ', '),"
	"   'using (' || qual || ')', 'with check (' || with_check || ')')"
	" FROM pg_catalog.pg_policies WHERE schemaname = 'vigil'"
	" UNION ALL"
	" SELECT 'grant', g.obj || ' to ' || CASE WHEN x.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_catalog.pg_get_userbyid(x.grantee)) END,"
	"  string_agg(x.privilege_type || CASE WHEN x.is_grantable THEN ' with grant option' ELSE '' END, ', '"
	"   ORDER BY x.privilege_type)"
	" FROM acls g, LATERAL pg_catalog.aclexplode(g.acl) x GROUP BY g.obj, x.grantee) "
	"SELECT kind, name, def FROM (SELECT kind, regexp_replace(name, '\\s+', ' ', 'g') AS name,"
	" regexp_replace(coalesce(def, ''), '\\s+', ' ', 'g') AS def FROM objs) o "
	"ORDER BY kind COLLATE \"C\", name COLLATE \"C\"";

/*
 * The first line of every stored snapshot. A snapshot in another format (a
 * future vigil-migrate that changed SNAPSHOT_SQL) is not compared line by
 * line: that would report every object as drift.
 */
#define SNAPSHOT_HEADER "# vigil-migrate snapshot 1"

/* What the database has applied, read once after taking the lock. */
typedef struct applied_state {
	bool has_table;              /* vigil.schema_migrations exists */
	PGresult *rows;              /* version, name, checksum hex, applied_at, applied_by */
	int last_version;            /* highest applied, 0 when none */
} applied_state;

static int
handle(int val, const char *arg, void *ctx, vigil_error *err)
{
	migrate_opts *mo = ctx;
	char *end;
	long v;

	switch (val) {
	case OPT_MIGRATIONS:
		mo->dir = arg;
		return 0;
	case OPT_LOCK_WAIT:
		v = strtol(arg, &end, 10);
		if (*arg == '\0' || *end != '\0' || v < 0 || v > 86400)
			return vigil_error_set(err, VIGIL_EXIT_USAGE,
								   "invalid --lock-wait \"%s\": expected seconds from 0 to 86400", arg);
		mo->lock_wait = (int) v;
		return 0;
	case OPT_ACCEPT_DRIFT:
		if (arg[0] == '\0' || strchr(arg, '\n'))
			return vigil_error_set(err, VIGIL_EXIT_USAGE,
								   "invalid --accept-drift: give the reason as one non-empty line");
		mo->accept_drift = arg;
		return 0;
	}
	return vigil_error_set(err, VIGIL_EXIT_USAGE, "unhandled option");
}

/* --migrations, else ../sql/migrations beside the binary (a source tree),
 * else the installed copy. Returns a malloc'd path. */
static char *
default_migrations_dir(const migrate_opts *mo)
{
	char exe[4096];
	ssize_t n;
	struct stat st;

	if (mo->dir)
		return vigil_strdup(mo->dir);
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		char *slash, *dir;

		exe[n] = '\0';
		slash = strrchr(exe, '/');
		if (slash) {
			*slash = '\0';
			dir = vigil_asprintf("%s/../sql/migrations", exe);
			if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode)) {
				char *real = realpath(dir, NULL);   /* shorter paths in messages */

				if (real) {
					free(dir);
					return real;
				}
				return dir;
			}
			free(dir);
		}
	}
	return vigil_strdup(VIGIL_SHAREDIR "/sql/migrations");
}

static void
applied_free(applied_state *st)
{
	PQclear(st->rows);
	memset(st, 0, sizeof(*st));
}

/* The applied row for version, or -1. */
static int
applied_row(const applied_state *st, int version)
{
	for (int i = 0; st->rows && i < PQntuples(st->rows); i++)
		if (atoi(PQgetvalue(st->rows, i, 0)) == version)
			return i;
	return -1;
}

static int
applied_load(PGconn *conn, applied_state *st, vigil_error *err)
{
	char value[16];
	int rc;

	memset(st, 0, sizeof(*st));
	rc = vigil_db_value(conn, "look for vigil.schema_migrations",
						"SELECT (to_regclass('vigil.schema_migrations') IS NOT NULL)::text",
						0, NULL, value, sizeof(value), NULL, err);
	if (rc)
		return rc;
	st->has_table = strcmp(value, "true") == 0;
	if (!st->has_table)
		return 0;
	st->rows = vigil_db_query(conn, "read vigil.schema_migrations",
							  "SELECT version, name, encode(checksum, 'hex'),"
							  " to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), applied_by"
							  " FROM vigil.schema_migrations ORDER BY version",
							  0, NULL, PGRES_TUPLES_OK, err);
	if (st->rows == NULL)
		return err->code;
	for (int i = 0; i < PQntuples(st->rows); i++) {
		int v = atoi(PQgetvalue(st->rows, i, 0));

		if (v > st->last_version)
			st->last_version = v;
	}
	return 0;
}

/*
 * Checks the applied versions against the files. Each problem is written to
 * report (when not NULL) as one line; the first one also fills err (65).
 * Returns the number of problems.
 */
static int
check_applied(const vigil_migration_set *set, const applied_state *st, vigil_buf *report, vigil_error *err)
{
	int problems = 0;
	vigil_error e = {0};

	for (int i = 0; st->rows && i < PQntuples(st->rows); i++) {
		int version = atoi(PQgetvalue(st->rows, i, 0));
		const char *name = PQgetvalue(st->rows, i, 1);
		const char *sum = PQgetvalue(st->rows, i, 2);
		const vigil_migration *m = vigil_migrations_find(set, version);

		vigil_error_clear(&e);
		if (version > (int) set->n) {
			vigil_error_set(&e, VIGIL_EXIT_DATAERR,
							"database has migration %04d_%s applied, beyond %04d, the last migration %s knows in %s",
							version, name, (int) set->n, PROG " " VIGIL_VERSION, set->dir);
			vigil_error_hint(&e, "this database was migrated by a newer vigil; use that release or a newer one");
		} else if (m == NULL || strcmp(m->name, name) != 0) {
			vigil_error_set(&e, VIGIL_EXIT_DATAERR, "applied migration %04d_%s.sql has no file in %s%s%s", version,
							name, set->dir, m ? ": found " : "", m ? m->file : "");
			vigil_error_hint(&e, "restore the file as it was applied; migrations are never renamed or removed");
		} else if (strcmp(m->checksum_hex, sum) != 0) {
			vigil_error_set(&e, VIGIL_EXIT_DATAERR,
							"migration file %s was changed after it was applied (checksum %.12s, applied %.12s)",
							m->path, m->checksum_hex, sum);
			vigil_error_hint(&e, "restore the applied version of the file and put the change in a new migration");
		} else
			continue;
		if (report)
			vigil_buf_printf(report, "%s\n", e.msg);
		if (problems++ == 0 && err)
			*err = e;
	}
	for (size_t i = 0; i < set->n; i++) {
		const vigil_migration *m = &set->items[i];

		if (m->version >= st->last_version || applied_row(st, m->version) >= 0)
			continue;
		vigil_error_set(&e, VIGIL_EXIT_DATAERR,
						"migration file %s is not applied but numbered below the last applied migration %04d",
						m->path, st->last_version);
		vigil_error_hint(&e, "a new migration takes the next number after the last applied one");
		if (report)
			vigil_buf_printf(report, "%s\n", e.msg);
		if (problems++ == 0 && err)
			*err = e;
	}
	return problems;
}

/* The live catalog snapshot as text. The fixed search_path makes every name
 * schema-qualified, at apply time and at verify time alike. */
static int
live_snapshot(PGconn *conn, vigil_buf *out, vigil_error *err)
{
	PGresult *res;
	int rc;

	rc = vigil_db_exec(conn, "fix the search_path for the snapshot",
					   "SELECT set_config('search_path', 'pg_catalog, pg_temp', true)", 0, NULL, err);
	if (rc)
		return rc;
	res = vigil_db_query(conn, "read the catalog of schema vigil", SNAPSHOT_SQL, 0, NULL, PGRES_TUPLES_OK, err);
	if (res == NULL)
		return err->code;
	vigil_buf_reset(out);
	vigil_buf_puts(out, SNAPSHOT_HEADER "\n");
	for (int i = 0; i < PQntuples(res); i++)
		vigil_buf_printf(out, "%s\t%s\t%s\n", PQgetvalue(res, i, 0), PQgetvalue(res, i, 1), PQgetvalue(res, i, 2));
	PQclear(res);
	return 0;
}

/*
 * Compares the live catalog with the snapshot of the last applied migration,
 * in a read-only transaction. Fills diff with the report lines; *ndiff and
 * *nobjects with the counts; *has_baseline false when no snapshot in this
 * format is stored.
 */
static int
drift_check(PGconn *conn, const applied_state *st, vigil_buf *diff, size_t *ndiff, size_t *nobjects,
			bool *has_baseline, vigil_error *err)
{
	vigil_buf live = {0};
	PGresult *res = NULL;
	char version[16];
	int rc;

	*ndiff = 0;
	*nobjects = 0;
	*has_baseline = false;
	snprintf(version, sizeof(version), "%d", st->last_version);
	rc = vigil_db_exec(conn, "start the drift check", "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", 0, NULL, err);
	if (rc)
		return rc;
	const char *params[] = {version};
	res = vigil_db_query(conn, "read the stored snapshot",
						 "SELECT snapshot FROM vigil.schema_migrations WHERE version = $1::int AND snapshot IS NOT NULL",
						 1, params, PGRES_TUPLES_OK, err);
	if (res == NULL) {
		rc = err->code;
		goto done;
	}
	rc = live_snapshot(conn, &live, err);
	if (rc)
		goto done;
	if (PQntuples(res) == 1 && strncmp(PQgetvalue(res, 0, 0), SNAPSHOT_HEADER "\n", strlen(SNAPSHOT_HEADER) + 1) == 0) {
		*has_baseline = true;
		*ndiff = vigil_snapshot_diff(PQgetvalue(res, 0, 0), live.data, diff, nobjects);
	}
done:
	PQclear(res);
	vigil_db_rollback(conn);
	vigil_buf_free(&live);
	return rc;
}

/* Converts an error position (1-based, in characters) into a line number. */
static int
position_line(const char *sql, const char *pos_text)
{
	long pos = pos_text ? strtol(pos_text, NULL, 10) : 0;
	int line = 1;

	for (const unsigned char *p = (const unsigned char *) sql; *p && pos > 1; p++) {
		if ((*p & 0xC0) != 0x80)
			pos--;
		if (*p == '\n')
			line++;
	}
	return pos_text ? line : 0;
}

static void
json_payload(vigil_buf *b, const vigil_migration *m)
{
	vigil_buf_printf(b, "{\"version\": %d, \"name\": ", m->version);
	vigil_buf_json_string(b, m->name);
	vigil_buf_puts(b, ", \"checksum\": ");
	vigil_buf_json_string(b, m->checksum_hex);
	vigil_buf_puts(b, "}");
}

/*
 * Runs one migration in the open transaction: the file, its
 * schema_migrations row with the snapshot, its ledger entry when the ledger
 * exists (it may have just been created by this very file).
 */
static int
apply_one(PGconn *conn, const vigil_migration *m, vigil_buf *drift_payload, vigil_error *err)
{
	char purpose[512], version[16], ms[32], has_ledger[8];
	vigil_buf snap = {0}, payload = {0};
	PGresult *res;
	double t0 = vigil_monotonic();
	int rc = 0;

	res = PQexec(conn, m->sql);     /* many statements and DO blocks: the simple protocol */
	if (res == NULL || (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK &&
						PQresultStatus(res) != PGRES_EMPTY_QUERY)) {
		int line = res ? position_line(m->sql, PQresultErrorField(res, PG_DIAG_STATEMENT_POSITION)) : 0;

		if (line > 0)
			snprintf(purpose, sizeof(purpose), "apply migration %s, line %d", m->path, line);
		else
			snprintf(purpose, sizeof(purpose), "apply migration %s", m->path);
		rc = vigil_db_error(conn, res, purpose, err);
		if (rc == VIGIL_EXIT_SOFTWARE)   /* an SQL error in the file: bad input, not a vigil bug */
			rc = err->code = VIGIL_EXIT_DATAERR;
		PQclear(res);
		goto done;
	}
	PQclear(res);
	snprintf(ms, sizeof(ms), "%lld", (long long) ((vigil_monotonic() - t0) * 1000.0));
	snprintf(version, sizeof(version), "%d", m->version);

	rc = live_snapshot(conn, &snap, err);
	if (rc)
		goto done;
	const char *params[] = {version, m->name, m->checksum_hex, ms, snap.data};
	rc = vigil_db_exec(conn, "record the migration",
					   "INSERT INTO vigil.schema_migrations (version, name, checksum, applied_by, duration_ms, snapshot)"
					   " VALUES ($1::int, $2, decode($3, 'hex'), session_user, $4::bigint, $5)",
					   5, params, err);
	if (rc)
		goto done;
	rc = vigil_db_value(conn, "look for vigil.ledger", "SELECT (to_regclass('vigil.ledger') IS NOT NULL)::text",
						0, NULL, has_ledger, sizeof(has_ledger), NULL, err);
	if (rc)
		goto done;
	if (strcmp(has_ledger, "true") == 0) {
		if (drift_payload && drift_payload->len) {
			rc = vigil_ledger_append(conn, "schema.drift_accepted", "schema_migration", version, NULL, PROG, 0,
									 drift_payload->data, NULL, err);
			if (rc)
				goto done;
			vigil_buf_reset(drift_payload);
		}
		json_payload(&payload, m);
		rc = vigil_ledger_append(conn, "schema.migrated", "schema_migration", version, NULL, PROG, 0,
								 payload.data, NULL, err);
	}
done:
	vigil_buf_free(&snap);
	vigil_buf_free(&payload);
	return rc;
}

static int
migrate_up(PGconn *conn, const vigil_opts *opts, const migrate_opts *mo, const vigil_migration_set *set,
		   vigil_error *err)
{
	applied_state st = {0};
	vigil_buf diff = {0}, drift_payload = {0};
	double t0 = vigil_monotonic();
	int rc, applied = 0, first = 0;
	bool in_tx = false;

	rc = vigil_lock_wait(conn, PROG, mo->lock_wait, err);
	if (rc)
		goto done;
	rc = applied_load(conn, &st, err);
	if (rc)
		goto done;
	if (check_applied(set, &st, NULL, err) > 0) {
		rc = err->code;
		goto done;
	}
	first = st.last_version + 1;

	if (first <= (int) set->n && st.last_version > 0) {
		size_t ndiff, nobjects;
		bool has_baseline;

		rc = drift_check(conn, &st, &diff, &ndiff, &nobjects, &has_baseline, err);
		if (rc)
			goto done;
		if (!has_baseline)
			vigil_log(VIGIL_LOG_WARNING, "migration %04d has no stored snapshot in format \"%s\"; drift not checked", st.last_version, SNAPSHOT_HEADER);
		if (ndiff > 0) {
			fputs(diff.data, stdout);
			fflush(stdout);
			if (mo->accept_drift == NULL) {
				rc = vigil_error_set(err, VIGIL_EXIT_PROBLEM,
									 "database drifted from migration %04d: %zu difference%s; nothing applied",
									 st.last_version, ndiff, ndiff == 1 ? "" : "s");
				vigil_error_hint(err, "undo the manual changes, or run up --accept-drift \"REASON\" to record and keep them");
				goto done;
			}
			vigil_log(VIGIL_LOG_WARNING, "accepting %zu difference%s from migration %04d: %s", ndiff,
					  ndiff == 1 ? "" : "s", st.last_version, mo->accept_drift);
			vigil_buf_puts(&drift_payload, "{\"reason\": ");
			vigil_buf_json_string(&drift_payload, mo->accept_drift);
			vigil_buf_printf(&drift_payload, ", \"from_version\": %d, \"diff\": [", st.last_version);
			for (char *line = diff.data, *nl; line && *line; line = nl ? nl + 1 : NULL) {
				nl = strchr(line, '\n');
				if (nl)
					*nl = '\0';
				if (line != diff.data)
					vigil_buf_puts(&drift_payload, ", ");
				vigil_buf_json_string(&drift_payload, line);
			}
			vigil_buf_puts(&drift_payload, "]}");
		}
	}

	for (int v = first; v <= (int) set->n; v++) {
		const vigil_migration *m = vigil_migrations_find(set, v);
		double t1 = vigil_monotonic();

		if (vigil_run_interrupted()) {
			rc = vigil_error_set(err, VIGIL_EXIT_TEMPFAIL, "interrupted before migration %s; %d applied", m->file,
								 opts->dry_run ? 0 : applied);
			vigil_error_hint(err, "run vigil-migrate up again to apply the rest");
			goto done;
		}
		if (!in_tx) {
			rc = vigil_db_begin(conn, err);
			if (rc)
				goto done;
			in_tx = true;
		}
		rc = apply_one(conn, m, &drift_payload, err);
		if (rc)
			goto done;
		if (!opts->dry_run) {
			rc = vigil_db_commit(conn, err);
			in_tx = false;
			if (rc)
				goto done;
		}
		applied++;
		vigil_log(VIGIL_LOG_INFO, "%s %s in %.0f ms", opts->dry_run ? "would apply" : "applied", m->file,
				  (vigil_monotonic() - t1) * 1000.0);
	}

	if (drift_payload.len && !opts->dry_run)     /* no migration created the ledger */
		vigil_log(VIGIL_LOG_WARNING, "no vigil.ledger: the drift acceptance is recorded only in this log");
done:
	if (in_tx)
		vigil_db_rollback(conn);
	if (rc == 0) {
		char n_applied[16], n_version[16], n_ms[32];
		vigil_kv kv[] = {
			{"command", "up", false},
			{"applied", n_applied, true},
			{"version", n_version, true},
			{"dry_run", opts->dry_run ? "1" : "0", true},
			{"ms", n_ms, true},
		};

		snprintf(n_applied, sizeof(n_applied), "%d", applied);
		snprintf(n_version, sizeof(n_version), "%d", st.last_version + (opts->dry_run ? 0 : applied));
		snprintf(n_ms, sizeof(n_ms), "%.0f", (vigil_monotonic() - t0) * 1000.0);
		vigil_log_fields(VIGIL_LOG_INFO, kv, sizeof(kv) / sizeof(kv[0]));
	}
	applied_free(&st);
	vigil_buf_free(&diff);
	vigil_buf_free(&drift_payload);
	return rc;
}

static int
migrate_status(PGconn *conn, const vigil_migration_set *set, vigil_error *err)
{
	applied_state st = {0};
	vigil_buf report = {0};
	int rc, problems, pending = 0;

	rc = applied_load(conn, &st, err);
	if (rc)
		goto done;
	printf("%-40s %-8s %-20s %-16s %s\n", "migration", "state", "applied_at", "applied_by", "checksum");
	for (size_t i = 0; i < set->n; i++) {
		const vigil_migration *m = &set->items[i];
		int row = applied_row(&st, m->version);

		if (row < 0) {
			pending++;
			printf("%-40s %-8s %-20s %-16s %.12s\n", m->file, "pending", "-", "-", m->checksum_hex);
			continue;
		}
		bool same_name = strcmp(PQgetvalue(st.rows, row, 1), m->name) == 0;
		bool same_sum = strcmp(PQgetvalue(st.rows, row, 2), m->checksum_hex) == 0;

		printf("%-40s %-8s %-20s %-16s %s\n", m->file, "applied", PQgetvalue(st.rows, row, 3),
			   PQgetvalue(st.rows, row, 4), !same_name ? "RENAMED" : same_sum ? "ok" : "CHANGED");
	}
	for (int i = 0; st.rows && i < PQntuples(st.rows); i++) {
		int version = atoi(PQgetvalue(st.rows, i, 0));

		if (vigil_migrations_find(set, version) == NULL) {
			char file[300];

			snprintf(file, sizeof(file), "%04d_%s.sql", version, PQgetvalue(st.rows, i, 1));
			printf("%-40s %-8s %-20s %-16s %s\n", file, "applied", PQgetvalue(st.rows, i, 3),
				   PQgetvalue(st.rows, i, 4), "NO FILE");
		}
	}
	problems = check_applied(set, &st, &report, err);
	if (problems > 0) {
		fputs(report.data, stdout);   /* the report, like verify's, is output */
		rc = vigil_error_set(err, VIGIL_EXIT_PROBLEM, "%d problem%s with the applied migrations in %s", problems,
							 problems == 1 ? "" : "s", set->dir);
		vigil_error_hint(err, "restore the files as they were applied; put changes in new migrations");
		goto done;
	}
	if (st.last_version > 0)
		printf("database at %04d, %d pending\n", st.last_version, pending);
	else
		printf("database not migrated, %d pending\n", pending);
done:
	applied_free(&st);
	vigil_buf_free(&report);
	return rc;
}

static int
migrate_verify(PGconn *conn, const vigil_migration_set *set, vigil_error *err)
{
	applied_state st = {0};
	vigil_buf report = {0}, diff = {0};
	size_t ndiff = 0, nobjects = 0;
	bool has_baseline = false;
	int rc, problems;

	rc = applied_load(conn, &st, err);
	if (rc)
		goto done;
	if (!st.has_table || st.last_version == 0) {
		rc = vigil_error_set(err, VIGIL_EXIT_PROBLEM, "database is not migrated: no vigil.schema_migrations rows");
		vigil_error_hint(err, "run vigil-migrate up");
		goto done;
	}
	problems = check_applied(set, &st, &report, NULL);
	rc = drift_check(conn, &st, &diff, &ndiff, &nobjects, &has_baseline, err);
	if (rc)
		goto done;
	if (problems)
		fputs(report.data, stdout);
	if (ndiff)
		fputs(diff.data, stdout);
	if (!has_baseline) {
		rc = vigil_error_set(err, VIGIL_EXIT_PROBLEM, "migration %04d has no stored snapshot in format \"%s\" to compare with",
							 st.last_version, SNAPSHOT_HEADER);
		vigil_error_hint(err, "the next migration applied stores one; until then only checksums are checked");
		goto done;
	}
	if (problems || ndiff) {
		rc = vigil_error_set(err, VIGIL_EXIT_PROBLEM, "%zu difference%s from migration %04d, %d file problem%s",
							 ndiff, ndiff == 1 ? "" : "s", st.last_version, problems, problems == 1 ? "" : "s");
		if (ndiff)
			vigil_error_hint(err, "undo the manual changes, or write a migration that makes them and run up --accept-drift");
		goto done;
	}
	printf("no drift: %zu objects match migration %04d\n", nobjects, st.last_version);
done:
	applied_free(&st);
	vigil_buf_free(&report);
	vigil_buf_free(&diff);
	return rc;
}

/* Lints the files named, or every file of the migrations directory. */
static int
migrate_lint(const vigil_opts *opts, const char *dir, vigil_error *err)
{
	vigil_migration_set set = {0};
	vigil_buf out = {0};
	size_t findings = 0, files = 0;
	int rc = 0;

	if (opts->nargs > 1) {
		for (int i = 1; i < opts->nargs; i++) {
			vigil_migration m;

			rc = vigil_migration_read(&m, opts->args[i], err);
			if (rc) {
				vigil_migration_free(&m);
				goto done;
			}
			findings += vigil_sqllint(m.path, m.sql, &out);
			files++;
			vigil_migration_free(&m);
		}
	} else {
		rc = vigil_migrations_load(&set, dir, err);
		if (rc)
			goto done;
		for (size_t i = 0; i < set.n; i++)
			findings += vigil_sqllint(set.items[i].path, set.items[i].sql, &out);
		files = set.n;
	}
	if (out.len)
		fputs(out.data, stdout);
	if (findings) {
		rc = vigil_error_set(err, VIGIL_EXIT_PROBLEM, "%zu finding%s in %zu file%s", findings,
							 findings == 1 ? "" : "s", files, files == 1 ? "" : "s");
		vigil_error_hint(err, "make the change safely, or annotate it: -- vigil:allow <rule>: <reason>");
	} else
		vigil_log(VIGIL_LOG_INFO, "lint clean: %zu file%s", files, files == 1 ? "" : "s");
done:
	vigil_migrations_free(&set);
	vigil_buf_free(&out);
	return rc;
}

static int
migrate_run(const char *command, const vigil_opts *opts, const vigil_config *cfg, const migrate_opts *mo,
			vigil_error *err)
{
	vigil_migration_set set = {0};
	char *dir = default_migrations_dir(mo);
	PGconn *conn = NULL;
	int rc;

	if (strcmp(command, "lint") == 0) {
		rc = migrate_lint(opts, dir, err);
		goto done;
	}
	rc = vigil_migrations_load(&set, dir, err);
	if (rc)
		goto done;
	conn = vigil_db_connect(cfg, opts->conninfo, PROG, err);
	if (conn == NULL) {
		rc = err->code;
		goto done;
	}
	if (strcmp(command, "up") == 0) {
		/* a first SIGINT/SIGTERM stops before the next migration, a second
		 * one cancels the migration running (its transaction rolls back) */
		vigil_run_catch_signals();
		vigil_run_set_cancel_conn(conn);
		rc = migrate_up(conn, opts, mo, &set, err);
		vigil_run_set_cancel_conn(NULL);
	}
	else if (strcmp(command, "status") == 0)
		rc = migrate_status(conn, &set, err);
	else
		rc = migrate_verify(conn, &set, err);
done:
	vigil_db_close(conn);
	vigil_migrations_free(&set);
	free(dir);
	return rc;
}

static migrate_opts mopts = {.lock_wait = 60};

static vigil_program program = {
	.name = PROG,
	.synopsis = "[OPTION]... up|status|verify\n  " PROG " [OPTION]... lint [FILE]...",
	.summary = "Applies vigil's schema migrations in order and checks the database and the migration files:\n"
			   "up applies pending migrations, status lists them, verify reports drift of the live schema\n"
			   "from the last migration's snapshot, lint flags destructive statements (no database needed).",
	.example = "  # apply what is pending, waiting up to 5 minutes for another migrate\n"
			   "  vigil-migrate -d \"dbname=vigil\" --lock-wait 300 up\n"
			   "  # did anyone change the schema by hand?\n"
			   "  vigil-migrate -d \"dbname=vigil\" verify\n"
			   "  # check a new migration before committing it\n"
			   "  vigil-migrate lint sql/migrations/0008_add_sites.sql\n",
	.options = options,
	.handle = handle,
	.ctx = &mopts,
	.min_args = 0,               /* checked in main: --print-config needs no command */
	.max_args = -1,
};

int
main(int argc, char **argv)
{
	vigil_opts opts;
	vigil_config cfg;
	vigil_error err = {0};
	const char *command;
	int rc;

	rc = vigil_cli_parse(&program, argc, argv, &opts);
	if (rc >= 0)
		return rc;
	if (opts.nargs == 0 && !opts.print_config)
		return vigil_cli_usage_error(&program, "missing command: up, status, verify or lint");
	command = opts.nargs > 0 ? opts.args[0] : "status";
	if (strcmp(command, "up") != 0 && strcmp(command, "status") != 0 && strcmp(command, "verify") != 0 &&
		strcmp(command, "lint") != 0)
		return vigil_cli_usage_error(&program, "unknown command \"%s\": expected up, status, verify or lint", command);
	if (strcmp(command, "lint") != 0 && opts.nargs > 1)
		return vigil_cli_usage_error(&program, "unexpected argument \"%s\" after %s", opts.args[1], command);
	if (mopts.accept_drift && strcmp(command, "up") != 0)
		return vigil_cli_usage_error(&program, "--accept-drift applies to up only");
	rc = vigil_cli_setup(&program, &opts, &cfg);
	if (rc >= 0) {
		vigil_config_free(&cfg);
		return rc;
	}
	rc = migrate_run(command, &opts, &cfg, &mopts, &err);
	if (rc != 0)
		vigil_log_error(&err);
	vigil_config_free(&cfg);
	return rc;
}
