/*
 * migrations.c — listing, naming, normalising and checksumming migration
 * files. Everything here works without a database so `vigil-migrate lint`
 * and the unit tests can use it; what the database has applied is compared
 * in jobs/vigil-migrate.c.
 */
#include "migrations.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "sqllint.h"
#include "util.h"

int
vigil_migration_parse_name(const char *file, int *version, char **name)
{
	size_t len = strlen(file);
	size_t name_len;

	if (len < 4 + 1 + 1 + 4)     /* NNNN _ x .sql */
		return -1;
	for (int i = 0; i < 4; i++)
		if (!isdigit((unsigned char) file[i]))
			return -1;
	if (file[4] != '_' || strcmp(file + len - 4, ".sql") != 0)
		return -1;
	name_len = len - 5 - 4;
	for (size_t i = 5; i < 5 + name_len; i++) {
		char c = file[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
			return -1;
	}
	*version = (file[0] - '0') * 1000 + (file[1] - '0') * 100 + (file[2] - '0') * 10 + (file[3] - '0');
	if (*version == 0)
		return -1;
	if (name) {
		*name = vigil_malloc(name_len + 1);
		memcpy(*name, file + 5, name_len);
		(*name)[name_len] = '\0';
	}
	return 0;
}

size_t
vigil_migration_normalize(char *text, size_t len)
{
	size_t in = 0, out = 0;

	if (len >= 3 && (unsigned char) text[0] == 0xEF && (unsigned char) text[1] == 0xBB &&
		(unsigned char) text[2] == 0xBF)
		in = 3;
	for (; in < len; in++) {
		if (text[in] == '\r' && in + 1 < len && text[in + 1] == '\n')
			continue;
		text[out++] = text[in];
	}
	if (out < len)
		text[out] = '\0';
	return out;
}

/* Length of the UTF-8 sequence at p (at most n bytes), 0 if invalid. */
static size_t
utf8_len(const unsigned char *p, size_t n)
{
	size_t want;
	unsigned min;
	unsigned cp;

	if (p[0] < 0x80)
		return 1;
	if ((p[0] & 0xE0) == 0xC0)
		want = 2, min = 0x80, cp = p[0] & 0x1F;
	else if ((p[0] & 0xF0) == 0xE0)
		want = 3, min = 0x800, cp = p[0] & 0x0F;
	else if ((p[0] & 0xF8) == 0xF0)
		want = 4, min = 0x10000, cp = p[0] & 0x07;
	else
		return 0;
	if (want > n)
		return 0;
	for (size_t i = 1; i < want; i++) {
		if ((p[i] & 0xC0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3F);
	}
	if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return want;
}

static bool
word_is(const vigil_sql_token *t, const char *w)
{
	return t->type == VIGIL_TOK_WORD && strlen(w) == t->len && strncasecmp(t->start, w, t->len) == 0;
}

/*
 * A migration runs inside the transaction vigil-migrate opens around it, so
 * a file must be UTF-8 text (a NUL byte would silently cut the SQL libpq
 * sends) and must not end or nest that transaction itself: a COMMIT inside
 * the file would make everything before it permanent even when a later
 * statement fails.
 */
static int
check_text(const vigil_migration *m, vigil_error *err)
{
	const unsigned char *p = (const unsigned char *) m->sql;
	static const char *const txn[] = {
		"begin", "commit", "rollback", "end", "abort", "start", "savepoint", "release", "prepare", NULL,
	};
	vigil_sql_token *toks;
	size_t ntok;
	int line = 1;
	bool first = true;

	for (size_t i = 0; i < m->sql_len;) {
		size_t l;

		if (p[i] == '\0')
			return vigil_error_set(err, VIGIL_EXIT_DATAERR, "migration %s, line %d: contains a NUL byte; "
								   "a migration must be UTF-8 text", m->path, line);
		l = utf8_len(p + i, m->sql_len - i);
		if (l == 0)
			return vigil_error_set(err, VIGIL_EXIT_DATAERR, "migration %s, line %d: not valid UTF-8; "
								   "a migration must be UTF-8 text", m->path, line);
		if (p[i] == '\n')
			line++;
		i += l;
	}
	toks = vigil_sql_tokenize(m->sql, &ntok);
	for (size_t i = 0; i < ntok; i++) {
		const vigil_sql_token *t = &toks[i];

		if (t->type == VIGIL_TOK_COMMENT)
			continue;
		if (t->type == VIGIL_TOK_PUNCT && t->len == 1 && t->start[0] == ';') {
			first = true;
			continue;
		}
		if (first) {
			for (int k = 0; txn[k]; k++)
				if (word_is(t, txn[k]) && !(k == 8 && !(i + 1 < ntok && word_is(&toks[i + 1], "transaction")))) {
					int rc = vigil_error_set(err, VIGIL_EXIT_DATAERR,
											 "migration %s, line %d: %.*s controls the transaction; vigil-migrate "
											 "runs each file in its own transaction", m->path, t->line,
											 (int) t->len, t->start);
					vigil_error_hint(err, "remove the statement: a migration must not BEGIN, COMMIT or ROLLBACK");
					free(toks);
					return rc;
				}
		}
		first = false;
	}
	free(toks);
	return 0;
}

int
vigil_migration_read(vigil_migration *m, const char *path, vigil_error *err)
{
	vigil_buf buf = {0};
	const char *slash = strrchr(path, '/');
	int rc;

	memset(m, 0, sizeof(*m));
	m->path = vigil_strdup(path);
	m->file = vigil_strdup(slash ? slash + 1 : path);
	rc = vigil_read_file(path, &buf, err);
	if (rc != 0) {
		vigil_buf_free(&buf);
		return rc;
	}
	m->sql_len = vigil_migration_normalize(buf.data, buf.len);
	m->sql = buf.data;           /* ownership moves to m */
	vigil_sha256(m->sql, m->sql_len, m->checksum);
	vigil_hex(m->checksum, VIGIL_SHA256_LEN, m->checksum_hex);
	if (vigil_migration_parse_name(m->file, &m->version, &m->name) != 0) {
		m->version = 0;
		m->name = NULL;
	}
	return check_text(m, err);
}

void
vigil_migration_free(vigil_migration *m)
{
	if (m == NULL)
		return;
	free(m->name);
	free(m->file);
	free(m->path);
	free(m->sql);
	memset(m, 0, sizeof(*m));
}

static int
cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

int
vigil_migrations_load(vigil_migration_set *set, const char *dir, vigil_error *err)
{
	DIR *d;
	struct dirent *de;
	char **names = NULL;
	size_t nnames = 0, cap = 0;
	int rc = 0;

	memset(set, 0, sizeof(*set));
	set->dir = vigil_strdup(dir);
	d = opendir(dir);
	if (d == NULL) {
		if (errno == ENOENT || errno == ENOTDIR) {
			vigil_error_set(err, VIGIL_EXIT_NOINPUT, "migrations directory %s does not exist", dir);
			vigil_error_hint(err, "give the directory with --migrations DIR");
			return VIGIL_EXIT_NOINPUT;
		}
		return vigil_error_set(err, errno == EACCES ? VIGIL_EXIT_NOPERM : VIGIL_EXIT_NOINPUT,
							   "cannot open migrations directory %s: %s", dir, strerror(errno));
	}
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);

		if (de->d_name[0] == '.')
			continue;
		if (!isdigit((unsigned char) de->d_name[0]) && !(len >= 4 && strcmp(de->d_name + len - 4, ".sql") == 0))
			continue;
		if (nnames == cap) {
			cap = cap ? cap * 2 : 16;
			names = vigil_realloc(names, cap * sizeof(*names));
		}
		names[nnames++] = vigil_strdup(de->d_name);
	}
	closedir(d);
	if (nnames > 1)
		qsort(names, nnames, sizeof(*names), cmp_name);

	set->items = vigil_malloc((nnames ? nnames : 1) * sizeof(*set->items));
	for (size_t i = 0; i < nnames; i++) {
		int version;
		char *path;

		if (vigil_migration_parse_name(names[i], &version, NULL) != 0) {
			rc = vigil_error_set(err, VIGIL_EXIT_DATAERR,
								 "migration file %s/%s is not named NNNN_name.sql", dir, names[i]);
			vigil_error_hint(err, "name it with the next four-digit number and a lowercase name, e.g. 0008_add_sites.sql");
			goto done;
		}
		if (set->n > 0 && set->items[set->n - 1].version == version) {
			rc = vigil_error_set(err, VIGIL_EXIT_DATAERR, "migration file %s/%s duplicates number %04d of %s",
								 dir, names[i], version, set->items[set->n - 1].file);
			vigil_error_hint(err, "each migration needs its own number; renumber the newer file");
			goto done;
		}
		if (version != (int) set->n + 1) {
			rc = vigil_error_set(err, VIGIL_EXIT_DATAERR, "migration file %s/%s leaves a gap: expected number %04d",
								 dir, names[i], (int) set->n + 1);
			vigil_error_hint(err, "migrations are numbered 0001, 0002, ... without gaps");
			goto done;
		}
		path = vigil_asprintf("%s/%s", dir, names[i]);
		rc = vigil_migration_read(&set->items[set->n], path, err);
		free(path);
		if (rc != 0) {
			vigil_migration_free(&set->items[set->n]);
			goto done;
		}
		set->n++;
	}
done:
	for (size_t i = 0; i < nnames; i++)
		free(names[i]);
	free(names);
	return rc;
}

const vigil_migration *
vigil_migrations_find(const vigil_migration_set *set, int version)
{
	if (version >= 1 && (size_t) version <= set->n)
		return &set->items[version - 1];
	return NULL;
}

void
vigil_migrations_free(vigil_migration_set *set)
{
	for (size_t i = 0; i < set->n; i++)
		vigil_migration_free(&set->items[i]);
	free(set->items);
	free(set->dir);
	memset(set, 0, sizeof(*set));
}

/* One snapshot line split in place into its three fields. */
typedef struct snap_obj {
	const char *kind;
	const char *name;
	const char *def;
} snap_obj;

static int
snap_cmp(const snap_obj *a, const snap_obj *b)
{
	int c = strcmp(a->kind, b->kind);

	return c ? c : strcmp(a->name, b->name);
}

static int
snap_qsort_cmp(const void *a, const void *b)
{
	return snap_cmp(a, b);
}

/* Splits text (a private copy, modified) into objects sorted by kind, name. */
static snap_obj *
snap_parse(char *text, size_t *n)
{
	size_t cap = 64;
	snap_obj *objs = vigil_malloc(cap * sizeof(*objs));
	char *line = text;

	*n = 0;
	while (line && *line) {
		char *nl = strchr(line, '\n');
		char *tab1, *tab2;

		if (nl)
			*nl = '\0';
		if (*line && *line != '#') {     /* '#' lines are headers, not objects */
			if (*n == cap) {
				cap *= 2;
				objs = vigil_realloc(objs, cap * sizeof(*objs));
			}
			tab1 = strchr(line, '\t');
			tab2 = tab1 ? strchr(tab1 + 1, '\t') : NULL;
			if (tab1)
				*tab1 = '\0';
			if (tab2)
				*tab2 = '\0';
			objs[*n].kind = line;
			objs[*n].name = tab1 ? tab1 + 1 : "";
			objs[*n].def = tab2 ? tab2 + 1 : "";
			(*n)++;
		}
		line = nl ? nl + 1 : NULL;
	}
	qsort(objs, *n, sizeof(*objs), snap_qsort_cmp);
	return objs;
}

size_t
vigil_snapshot_diff(const char *stored, const char *live, vigil_buf *out, size_t *nlive)
{
	char *s_text = vigil_strdup(stored ? stored : "");
	char *l_text = vigil_strdup(live ? live : "");
	size_t ns, nl, si = 0, li = 0, ndiff = 0;
	snap_obj *s = snap_parse(s_text, &ns);
	snap_obj *l = snap_parse(l_text, &nl);

	while (si < ns || li < nl) {
		int c = si == ns ? 1 : li == nl ? -1 : snap_cmp(&s[si], &l[li]);

		if (c < 0) {
			vigil_buf_printf(out, "- %s %s: %s\n", s[si].kind, s[si].name, s[si].def);
			si++;
			ndiff++;
		} else if (c > 0) {
			vigil_buf_printf(out, "+ %s %s: %s\n", l[li].kind, l[li].name, l[li].def);
			li++;
			ndiff++;
		} else {
			if (strcmp(s[si].def, l[li].def) != 0) {
				vigil_buf_printf(out, "~ %s %s: %s -> %s\n", l[li].kind, l[li].name, s[si].def, l[li].def);
				ndiff++;
			}
			si++;
			li++;
		}
	}
	if (nlive)
		*nlive = nl;
	free(s);
	free(l);
	free(s_text);
	free(l_text);
	return ndiff;
}
