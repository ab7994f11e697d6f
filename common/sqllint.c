/*
 * sqllint.c — tokenizer, statement splitter and lint rules for migration
 * files (see sqllint.h).
 *
 * The rules look at the top level of a statement only (parenthesis depth 0
 * for WHERE and for ALTER TABLE's comma-separated actions), so a WHERE in a
 * subquery does not excuse a DELETE and a column list in parentheses does
 * not split an action. "Existing table" for not-null-without-default means
 * one not created earlier in the same file.
 */
#include "sqllint.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *const vigil_sqllint_rules[] = {
	"drop-table",
	"drop-column",
	"alter-column-type",
	"rename",
	"truncate",
	"delete-without-where",
	"update-without-where",
	"enum-value-removal",
	"not-null-without-default",
	NULL,
};

enum {
	RULE_DROP_TABLE,
	RULE_DROP_COLUMN,
	RULE_ALTER_COLUMN_TYPE,
	RULE_RENAME,
	RULE_TRUNCATE,
	RULE_DELETE_WITHOUT_WHERE,
	RULE_UPDATE_WITHOUT_WHERE,
	RULE_ENUM_VALUE_REMOVAL,
	RULE_NOT_NULL_WITHOUT_DEFAULT,
	RULE_COUNT,
};

#define STATEMENT_MAX 120

static bool
word_start(unsigned char c)
{
	return isalpha(c) || c == '_' || c >= 0x80;
}

static bool
word_char(unsigned char c)
{
	return isalnum(c) || c == '_' || c == '$' || c >= 0x80;
}

/* Length of a dollar-quote tag ("$", name, "$") starting at p, or 0. */
static size_t
dollar_tag(const char *p)
{
	size_t i = 1;

	if (p[0] != '$')
		return 0;
	if (p[1] == '$')
		return 2;
	if (!word_start((unsigned char) p[1]))
		return 0;
	while (p[i] && p[i] != '$' && (isalnum((unsigned char) p[i]) || p[i] == '_' || (unsigned char) p[i] >= 0x80))
		i++;
	return p[i] == '$' ? i + 1 : 0;
}

/* Scans a quoted run starting at p (on the opening quote q); doubled quotes
 * stay inside, and with backslashes a backslash escapes the next byte. */
static const char *
scan_quoted(const char *p, char q, bool backslashes, int *line)
{
	p++;
	while (*p) {
		if (*p == '\n')
			(*line)++;
		if (backslashes && *p == '\\' && p[1]) {
			if (p[1] == '\n')
				(*line)++;
			p += 2;
			continue;
		}
		if (*p == q) {
			if (p[1] == q) {
				p += 2;
				continue;
			}
			return p + 1;
		}
		p++;
	}
	return p;
}

vigil_sql_token *
vigil_sql_tokenize(const char *sql, size_t *n)
{
	size_t cap = 256;
	vigil_sql_token *toks = vigil_malloc(cap * sizeof(*toks));
	const char *p = sql;
	int line = 1;

	*n = 0;
	while (*p) {
		vigil_sql_token t = {VIGIL_TOK_PUNCT, p, 0, line};
		unsigned char c = (unsigned char) *p;
		size_t tag;

		if (c == '\n') {
			line++;
			p++;
			continue;
		}
		if (isspace(c)) {
			p++;
			continue;
		}
		if (c == '-' && p[1] == '-') {
			t.type = VIGIL_TOK_COMMENT;
			while (*p && *p != '\n')
				p++;
		} else if (c == '/' && p[1] == '*') {
			int depth = 0;

			t.type = VIGIL_TOK_COMMENT;
			while (*p) {
				if (p[0] == '/' && p[1] == '*') {
					depth++;
					p += 2;
				} else if (p[0] == '*' && p[1] == '/') {
					p += 2;
					if (--depth == 0)
						break;
				} else {
					if (*p == '\n')
						line++;
					p++;
				}
			}
		} else if (c == '\'') {
			t.type = VIGIL_TOK_STRING;
			p = scan_quoted(p, '\'', false, &line);
		} else if (c == '"') {
			t.type = VIGIL_TOK_QIDENT;
			p = scan_quoted(p, '"', false, &line);
		} else if ((c == 'E' || c == 'e') && p[1] == '\'') {
			t.type = VIGIL_TOK_STRING;
			p = scan_quoted(p + 1, '\'', true, &line);
		} else if ((c == 'B' || c == 'b' || c == 'X' || c == 'x' || c == 'N' || c == 'n') && p[1] == '\'') {
			t.type = VIGIL_TOK_STRING;
			p = scan_quoted(p + 1, '\'', false, &line);
		} else if ((c == 'U' || c == 'u') && p[1] == '&' && (p[2] == '\'' || p[2] == '"')) {
			t.type = p[2] == '\'' ? VIGIL_TOK_STRING : VIGIL_TOK_QIDENT;
			p = scan_quoted(p + 2, p[2], false, &line);
		} else if ((tag = dollar_tag(p)) > 0) {
			const char *end;

			t.type = VIGIL_TOK_STRING;
			p += tag;
			for (end = p; *end; end++)
				if (*end == '$' && strncmp(end, t.start, tag) == 0)
					break;
			for (; p < end; p++)
				if (*p == '\n')
					line++;
			p = *end ? end + tag : end;
		} else if (word_start(c)) {
			t.type = VIGIL_TOK_WORD;
			while (word_char((unsigned char) *p))
				p++;
		} else if (isdigit(c)) {
			t.type = VIGIL_TOK_NUMBER;
			while (isalnum((unsigned char) *p) || *p == '.' || *p == '_')
				p++;
		} else {
			p++;
		}
		t.len = (size_t) (p - t.start);
		if (*n == cap) {
			cap *= 2;
			toks = vigil_realloc(toks, cap * sizeof(*toks));
		}
		toks[(*n)++] = t;
	}
	return toks;
}

/* ---- statements ---- */

typedef struct stmt {
	const vigil_sql_token *tok;  /* the statement's tokens, comments removed */
	size_t n;
	const vigil_sql_token *all;  /* first token, comments included (for the text) */
	const vigil_sql_token *last; /* last token before ';' */
	bool allowed[RULE_COUNT];
} stmt;

static bool
is_word(const vigil_sql_token *t, const char *w)
{
	return t->type == VIGIL_TOK_WORD && t->len == strlen(w) && strncasecmp(t->start, w, t->len) == 0;
}

static bool
is_punct(const vigil_sql_token *t, char c)
{
	return t->type == VIGIL_TOK_PUNCT && t->start[0] == c;
}

/* Word at index i of the statement is w (false past the end). */
static bool
at(const stmt *s, size_t i, const char *w)
{
	return i < s->n && is_word(&s->tok[i], w);
}

static int
rule_index(const char *name, size_t len)
{
	for (int r = 0; r < RULE_COUNT; r++)
		if (strlen(vigil_sqllint_rules[r]) == len && strncmp(vigil_sqllint_rules[r], name, len) == 0)
			return r;
	return -1;
}

/* Reads "-- vigil:allow rule[, rule]...: reason" into allowed[]. */
static void
parse_allow(const vigil_sql_token *c, bool allowed[RULE_COUNT])
{
	const char *p = c->start, *end = c->start + c->len;
	const char *colon;
	bool pending[RULE_COUNT] = {false};

	if (c->len < 2 || strncmp(p, "--", 2) != 0)
		return;
	p += 2;
	while (p < end && isspace((unsigned char) *p))
		p++;
	if ((size_t) (end - p) < 12 || strncmp(p, "vigil:allow", 11) != 0 || !isspace((unsigned char) p[11]))
		return;
	p += 11;
	colon = memchr(p, ':', (size_t) (end - p));
	if (colon == NULL)
		return;
	for (const char *r = colon + 1; r < end; r++)
		if (!isspace((unsigned char) *r))
			goto has_reason;
	return;                      /* no reason given: not an exemption */
has_reason:
	while (p < colon) {
		const char *w;
		int r;

		while (p < colon && (isspace((unsigned char) *p) || *p == ','))
			p++;
		w = p;
		while (p < colon && !isspace((unsigned char) *p) && *p != ',')
			p++;
		if (p == w)
			break;
		r = rule_index(w, (size_t) (p - w));
		if (r < 0)
			return;              /* an unknown rule name voids the annotation */
		pending[r] = true;
	}
	for (int r = 0; r < RULE_COUNT; r++)
		allowed[r] |= pending[r];
}

/* The last component of a (qualified) name at tok[i], lowercased unless
 * quoted, into out; returns the index after the name. */
static size_t
read_name(const stmt *s, size_t i, char *out, size_t outsize)
{
	out[0] = '\0';
	while (i < s->n && (s->tok[i].type == VIGIL_TOK_WORD || s->tok[i].type == VIGIL_TOK_QIDENT)) {
		const vigil_sql_token *t = &s->tok[i];
		size_t o = 0;

		if (t->type == VIGIL_TOK_QIDENT) {
			for (size_t k = 1; k + 1 < t->len && o + 1 < outsize; k++) {
				if (t->start[k] == '"' && t->start[k + 1] == '"')
					k++;
				out[o++] = t->start[k];
			}
		} else {
			for (size_t k = 0; k < t->len && o + 1 < outsize; k++)
				out[o++] = (char) tolower((unsigned char) t->start[k]);
		}
		out[o] = '\0';
		i++;
		if (i < s->n && is_punct(&s->tok[i], '.'))
			i++;
		else
			break;
	}
	return i;
}

/* Table names created earlier in the file. */
typedef struct name_list {
	char **names;
	size_t n, cap;
} name_list;

static void
names_add(name_list *l, const char *name)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 16;
		l->names = vigil_realloc(l->names, l->cap * sizeof(*l->names));
	}
	l->names[l->n++] = vigil_strdup(name);
}

static bool
names_has(const name_list *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->names[i], name) == 0)
			return true;
	return false;
}

/* Index of the first depth-0 word w at or after i, or s->n. */
static size_t
find_top(const stmt *s, size_t i, size_t end, const char *w)
{
	int depth = 0;

	for (; i < end; i++) {
		if (is_punct(&s->tok[i], '('))
			depth++;
		else if (is_punct(&s->tok[i], ')'))
			depth--;
		else if (depth == 0 && is_word(&s->tok[i], w))
			return i;
	}
	return s->n;
}

/* Checks one ALTER TABLE action, tokens [i, end). */
static void
alter_table_action(const stmt *s, size_t i, size_t end, bool created_here, bool found[RULE_COUNT])
{
	if (i >= end)
		return;
	if (at(s, i, "DROP")) {
		if (!at(s, i + 1, "CONSTRAINT"))
			found[RULE_DROP_COLUMN] = true;
	} else if (at(s, i, "RENAME")) {
		found[RULE_RENAME] = true;
	} else if (at(s, i, "ALTER")) {
		size_t j = i + 1;

		if (at(s, j, "COLUMN"))
			j++;
		j++;                     /* the column name */
		if (at(s, j, "TYPE") || (at(s, j, "SET") && at(s, j + 1, "DATA") && at(s, j + 2, "TYPE")))
			found[RULE_ALTER_COLUMN_TYPE] = true;
		else if (at(s, j, "SET") && at(s, j + 1, "NOT") && at(s, j + 2, "NULL") && !created_here)
			found[RULE_NOT_NULL_WITHOUT_DEFAULT] = true;
	} else if (at(s, i, "ADD")) {
		size_t j = i + 1;
		bool not_null = false, has_default = false;

		if (at(s, j, "CONSTRAINT") || at(s, j, "PRIMARY") || at(s, j, "UNIQUE") || at(s, j, "CHECK") ||
			at(s, j, "FOREIGN") || at(s, j, "EXCLUDE"))
			return;
		for (int depth = 0; j < end; j++) {
			if (is_punct(&s->tok[j], '('))
				depth++;
			else if (is_punct(&s->tok[j], ')'))
				depth--;
			else if (depth == 0 && at(s, j, "NOT") && at(s, j + 1, "NULL"))
				not_null = true;
			else if (depth == 0 && (at(s, j, "DEFAULT") || at(s, j, "GENERATED")))
				has_default = true;
		}
		if (not_null && !has_default && !created_here)
			found[RULE_NOT_NULL_WITHOUT_DEFAULT] = true;
	}
}

static void
lint_statement(const stmt *s, name_list *created, bool found[RULE_COUNT])
{
	char name[128];
	size_t i = 0;

	if (s->n == 0)
		return;
	if (at(s, 0, "DROP")) {
		if (at(s, 1, "TABLE") || (at(s, 1, "FOREIGN") && at(s, 2, "TABLE")))
			found[RULE_DROP_TABLE] = true;
		else if (at(s, 1, "TYPE"))
			found[RULE_ENUM_VALUE_REMOVAL] = true;
		return;
	}
	if (at(s, 0, "TRUNCATE")) {
		found[RULE_TRUNCATE] = true;
		return;
	}
	if (at(s, 0, "CREATE")) {
		i = 1;
		while (i < s->n && (at(s, i, "GLOBAL") || at(s, i, "LOCAL") || at(s, i, "TEMP") ||
							at(s, i, "TEMPORARY") || at(s, i, "UNLOGGED")))
			i++;
		if (at(s, i, "TABLE")) {
			i++;
			if (at(s, i, "IF") && at(s, i + 1, "NOT") && at(s, i + 2, "EXISTS"))
				i += 3;
			read_name(s, i, name, sizeof(name));
			if (name[0])
				names_add(created, name);
		}
		return;
	}
	if (at(s, 0, "ALTER")) {
		if (find_top(s, 1, s->n, "RENAME") < s->n)
			found[RULE_RENAME] = true;
		if (at(s, 1, "TYPE")) {
			size_t d = find_top(s, 2, s->n, "DROP");

			if (d < s->n && at(s, d + 1, "VALUE"))
				found[RULE_ENUM_VALUE_REMOVAL] = true;
			return;
		}
		if (!at(s, 1, "TABLE"))
			return;
		i = 2;
		if (at(s, i, "IF") && at(s, i + 1, "EXISTS"))
			i += 2;
		if (at(s, i, "ONLY"))
			i++;
		i = read_name(s, i, name, sizeof(name));
		if (i < s->n && is_punct(&s->tok[i], '*'))
			i++;
		bool created_here = names_has(created, name);
		for (int depth = 0; i < s->n;) {
			size_t start = i;

			for (; i < s->n; i++) {
				if (is_punct(&s->tok[i], '('))
					depth++;
				else if (is_punct(&s->tok[i], ')'))
					depth--;
				else if (depth == 0 && is_punct(&s->tok[i], ','))
					break;
			}
			alter_table_action(s, start, i, created_here, found);
			i++;
		}
		return;
	}
	/* DELETE / UPDATE, possibly after a WITH list of CTEs */
	if (at(s, 0, "WITH")) {
		size_t d = find_top(s, 1, s->n, "DELETE"), u = find_top(s, 1, s->n, "UPDATE");
		size_t sel = find_top(s, 1, s->n, "SELECT"), ins = find_top(s, 1, s->n, "INSERT");

		i = d < u ? d : u;
		if (i == s->n || sel < i || ins < i)
			return;
	}
	if (at(s, i, "DELETE")) {
		if (find_top(s, i + 1, s->n, "WHERE") == s->n)
			found[RULE_DELETE_WITHOUT_WHERE] = true;
		read_name(s, at(s, i + 1, "FROM") ? (at(s, i + 2, "ONLY") ? i + 3 : i + 2) : i + 1, name, sizeof(name));
		if (strcmp(name, "pg_enum") == 0)
			found[RULE_ENUM_VALUE_REMOVAL] = true;
	} else if (at(s, i, "UPDATE")) {
		if (find_top(s, i + 1, s->n, "WHERE") == s->n)
			found[RULE_UPDATE_WITHOUT_WHERE] = true;
	}
}

/* Appends "file:line: rule: statement" with the statement on one line. */
static void
report(vigil_buf *out, const char *file, const stmt *s, int rule)
{
	const char *p = s->all->start, *end = s->last->start + s->last->len;
	size_t written = 0;
	bool space = false;

	vigil_buf_printf(out, "%s:%d: %s: ", file, s->tok[0].line, vigil_sqllint_rules[rule]);
	for (; p < end; p++) {
		if (isspace((unsigned char) *p)) {
			space = true;
			continue;
		}
		if (written + (space && written > 0) >= STATEMENT_MAX) {
			vigil_buf_puts(out, "...");
			break;
		}
		if (space && written > 0) {
			vigil_buf_append(out, " ", 1);
			written++;
		}
		space = false;
		vigil_buf_append(out, p, 1);
		written++;
	}
	vigil_buf_append(out, "\n", 1);
}

size_t
vigil_sqllint(const char *file, const char *sql, vigil_buf *out)
{
	size_t ntok, findings = 0, i = 0;
	vigil_sql_token *toks = vigil_sql_tokenize(sql, &ntok);
	vigil_sql_token *code = vigil_malloc((ntok ? ntok : 1) * sizeof(*code));
	name_list created = {0};

	while (i < ntok) {
		stmt s = {0};
		int atomic = 0, cases = 0;
		size_t ncode = 0;

		/* leading comments: the annotations */
		while (i < ntok && toks[i].type == VIGIL_TOK_COMMENT)
			parse_allow(&toks[i++], s.allowed);
		if (i == ntok)
			break;
		s.all = &toks[i];
		for (; i < ntok; i++) {
			const vigil_sql_token *t = &toks[i];

			if (t->type == VIGIL_TOK_COMMENT)
				continue;
			if (is_punct(t, ';') && atomic == 0)
				break;
			/* BEGIN ATOMIC ... END bodies hold ';' (CASE ... END nests inside) */
			if (is_word(t, "ATOMIC") && ncode > 0 && is_word(&code[ncode - 1], "BEGIN"))
				atomic++;
			else if (atomic > 0 && is_word(t, "CASE"))
				cases++;
			else if (atomic > 0 && is_word(t, "END")) {
				if (cases > 0)
					cases--;
				else
					atomic--;
			}
			code[ncode++] = *t;
			s.last = t;
		}
		i++;                     /* the ';' */
		if (ncode == 0)
			continue;
		s.tok = code;
		s.n = ncode;

		bool found[RULE_COUNT] = {false};

		lint_statement(&s, &created, found);
		for (int r = 0; r < RULE_COUNT; r++) {
			if (found[r] && !s.allowed[r]) {
				report(out, file, &s, r);
				findings++;
			}
		}
	}
	for (size_t k = 0; k < created.n; k++)
		free(created.names[k]);
	free(created.names);
	free(code);
	free(toks);
	return findings;
}
