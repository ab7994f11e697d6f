/*
 * migrations.h — the set of migration files vigil-migrate applies: listing a
 * directory, the naming and ordering rules, the text normalisation and the
 * checksum recorded in vigil.schema_migrations.
 *
 * A migration is a file NNNN_name.sql (four digits, then lowercase letters,
 * digits and underscores). The set is strictly linear: versions 1, 2, 3, ...
 * with no gap and no duplicate. The text is normalised before anything else
 * sees it — a leading UTF-8 byte order mark is removed and CRLF becomes LF —
 * so a checkout on another operating system has the same checksum, and the
 * SQL executed is exactly the SQL checksummed.
 */
#ifndef VIGIL_MIGRATIONS_H
#define VIGIL_MIGRATIONS_H

#include "hash.h"
#include "util.h"
#include "vigil.h"

typedef struct vigil_migration {
	int version;                 /* NNNN */
	char *name;                  /* the part after "NNNN_", without ".sql" */
	char *file;                  /* "0001_roles_schema.sql" */
	char *path;                  /* directory + "/" + file */
	char *sql;                   /* normalised text, NUL-terminated */
	size_t sql_len;
	unsigned char checksum[VIGIL_SHA256_LEN];
	char checksum_hex[2 * VIGIL_SHA256_LEN + 1];
} vigil_migration;

typedef struct vigil_migration_set {
	char *dir;
	vigil_migration *items;      /* sorted by version: items[i].version == i + 1 */
	size_t n;
} vigil_migration_set;

/*
 * Parses a file name of the form NNNN_name.sql. Returns 0 and sets *version
 * and, when name is not NULL, *name (malloc'd, caller frees); -1 when the
 * name does not follow the rule.
 */
int vigil_migration_parse_name(const char *file, int *version, char **name);

/*
 * Normalises migration text in place: drops a leading UTF-8 BOM and turns
 * every CRLF into LF. Returns the new length (the text stays NUL-terminated
 * when it was).
 */
size_t vigil_migration_normalize(char *text, size_t len);

/*
 * Reads one file, normalises it and fills m (path, file, sql, checksum;
 * version and name too when the file name follows the rule, else version 0
 * and name NULL). Returns 0, or 66/77 with err filled, or 65 when the text
 * holds a NUL byte, is not UTF-8, or has a statement that controls the
 * transaction (BEGIN, COMMIT, ROLLBACK, ...). Free with
 * vigil_migration_free.
 */
int vigil_migration_read(vigil_migration *m, const char *path, vigil_error *err);

void vigil_migration_free(vigil_migration *m);

/*
 * Lists and reads every migration in dir. Files whose names start with "."
 * are ignored, as are names that neither end in ".sql" nor start with a digit
 * (README, notes); any other name must follow the rule. Returns 0, or 66 when
 * dir does not exist, 65 naming the file for a bad name, a duplicate number
 * or a gap, 77 when unreadable. set must be freed with vigil_migrations_free
 * in all cases.
 */
int vigil_migrations_load(vigil_migration_set *set, const char *dir, vigil_error *err);

/* The migration with that version, or NULL. */
const vigil_migration *vigil_migrations_find(const vigil_migration_set *set, int version);

void vigil_migrations_free(vigil_migration_set *set);

/*
 * Catalog snapshots. A snapshot is text, one object a line:
 * "kind<TAB>name<TAB>definition", e.g.
 * "index<TAB>vigil.idx_qr_token<TAB>CREATE INDEX idx_qr_token ON ...";
 * lines starting with '#' are headers and ignored here.
 * vigil_snapshot_diff compares a stored snapshot with a live one (both in any
 * line order) and appends one report line per difference to out, sorted by
 * kind and name:
 *
 *	+ kind name: definition          in live, not in stored
 *	- kind name: definition          in stored, not in live
 *	~ kind name: old -> new          definition changed
 *
 * Returns the number of differences; *nlive (when not NULL) receives the
 * number of objects in live.
 */
size_t vigil_snapshot_diff(const char *stored, const char *live, vigil_buf *out, size_t *nlive);

#endif
