/*
 * fuzz_sqllint.c — libFuzzer target for the migration linter
 * (vigil_sql_tokenize and vigil_sqllint in common/sqllint.c). The tokenizer
 * "never fails" (sqllint.h): on any bytes it must return tokens that tile the
 * input, and the linter must report without crashing, leaking or reading
 * out of bounds (ASan and UBSan).
 *
 *	make fuzz-more          a long run of each target (FUZZ_TIME seconds)
 *	make fuzz-short-more    a short bounded run of each, part of `make test`
 *
 * The input up to its first NUL is the SQL text. Checked on every input:
 *  - tokens lie inside the text, in order, are not empty and do not overlap;
 *    only whitespace lies between them;
 *  - a token's line is 1 + the newlines before its first character;
 *  - the linter writes exactly one line per finding it counts, each
 *    "fuzz.sql:LINE: RULE: STATEMENT" with a known rule, a line the text
 *    has, and the statement cut at 120 characters (plus "...");
 *  - linting the same text twice gives the same report.
 * A broken promise aborts, so libFuzzer keeps the input as a crash.
 */
#include <ctype.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sqllint.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SQLLINT_NAME "fuzz.sql"

static void
sqllint_expect(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_sqllint: %s\n", what);
		abort();
	}
}

static void
check_tokens(const char *sql, size_t len, int lines)
{
	size_t ntok;
	vigil_sql_token *toks = vigil_sql_tokenize(sql, &ntok);
	const char *pos = sql;
	int line = 1;

	for (size_t i = 0; i < ntok; i++) {
		const vigil_sql_token *t = &toks[i];

		sqllint_expect(t->start >= pos && t->start < sql + len, "token outside the text or out of order");
		sqllint_expect(t->len > 0, "empty token");
		sqllint_expect(t->len <= (size_t) (sql + len - t->start), "token runs past the end of the text");
		for (; pos < t->start; pos++) {
			sqllint_expect(isspace((unsigned char) *pos), "a non-space byte between tokens");
			line += *pos == '\n';
		}
		sqllint_expect(t->line == line, "token line is not 1 + the newlines before it");
		sqllint_expect(t->type >= VIGIL_TOK_WORD && t->type <= VIGIL_TOK_COMMENT, "unknown token type");
		for (; pos < t->start + t->len; pos++)
			line += *pos == '\n';
	}
	for (; pos < sql + len; pos++)
		sqllint_expect(isspace((unsigned char) *pos), "a non-space byte after the last token");
	sqllint_expect(line <= lines, "more lines counted than the text has");
	free(toks);
}

/* Checks one report line [p, end): "fuzz.sql:LINE: RULE: STATEMENT". */
static void
check_finding(const char *p, const char *end, int lines)
{
	const char *rule, *colon;
	char *after;
	long line;
	size_t statement_len;
	bool known = false;

	sqllint_expect((size_t) (end - p) > strlen(SQLLINT_NAME ":") && strncmp(p, SQLLINT_NAME ":", strlen(SQLLINT_NAME ":")) == 0,
		   "finding does not start with the file name");
	p += strlen(SQLLINT_NAME ":");
	line = strtol(p, &after, 10);
	sqllint_expect(after > p && line >= 1 && line <= lines, "finding's line is not a line of the text");
	sqllint_expect(after + 2 <= end && after[0] == ':' && after[1] == ' ', "no ': ' after the line number");
	rule = after + 2;
	colon = memchr(rule, ':', (size_t) (end - rule));
	sqllint_expect(colon != NULL && colon + 1 < end && colon[1] == ' ', "no ': ' after the rule");
	for (size_t r = 0; vigil_sqllint_rules[r]; r++)
		known |= strlen(vigil_sqllint_rules[r]) == (size_t) (colon - rule) &&
			strncmp(vigil_sqllint_rules[r], rule, (size_t) (colon - rule)) == 0;
	sqllint_expect(known, "finding names an unknown rule");
	statement_len = (size_t) (end - (colon + 2));
	sqllint_expect(statement_len <= 120 + 3, "statement is longer than 120 characters and \"...\"");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *sql = malloc(size + 1);
	vigil_buf out = {0}, again = {0};
	size_t findings, len, seen = 0;
	int lines = 1;

	memcpy(sql, data, size);
	sql[size] = '\0';
	len = strlen(sql);
	for (size_t i = 0; i < len; i++)
		lines += sql[i] == '\n';

	check_tokens(sql, len, lines);

	findings = vigil_sqllint(SQLLINT_NAME, sql, &out);
	for (const char *p = out.data, *end = p ? p + out.len : NULL; p && p < end;) {
		const char *nl = memchr(p, '\n', (size_t) (end - p));

		sqllint_expect(nl != NULL, "report does not end with a newline");
		check_finding(p, nl, lines);
		seen++;
		p = nl + 1;
	}
	sqllint_expect(seen == findings, "report lines differ from the number of findings");
	sqllint_expect(vigil_sqllint(SQLLINT_NAME, sql, &again) == findings, "a second lint counts differently");
	sqllint_expect(again.len == out.len && (out.len == 0 || memcmp(again.data, out.data, out.len) == 0),
		   "a second lint reports differently");

	vigil_buf_free(&out);
	vigil_buf_free(&again);
	free(sql);
	return 0;
}
