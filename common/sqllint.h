/*
 * sqllint.h — a small SQL tokenizer and the rules `vigil-migrate lint`
 * applies to migration files: statements that destroy data or take long
 * exclusive locks on existing tables.
 *
 * The tokenizer knows what PostgreSQL's lexer knows about where a statement
 * ends: '...' strings (with '' inside), E'...' strings (with backslash
 * escapes), "..." identifiers, $tag$...$tag$ dollar quotes, -- comments and
 * nested block comments, and BEGIN ATOMIC ... END function bodies. It never
 * fails: unterminated quotes or comments run to the end of the input. Rules
 * are matched on the token stream of each statement, case-insensitively;
 * statements inside dollar-quoted bodies (DO blocks, functions) are not
 * linted.
 *
 * Rules: drop-table, drop-column, alter-column-type, rename, truncate,
 * delete-without-where, update-without-where, enum-value-removal,
 * not-null-without-default. A statement is exempt from a rule when one of
 * the comments right before it reads `-- vigil:allow <rule>[, <rule>]...:
 * <reason>` with a non-empty reason.
 */
#ifndef VIGIL_SQLLINT_H
#define VIGIL_SQLLINT_H

#include "util.h"
#include "vigil.h"

typedef enum vigil_sql_token_type {
	VIGIL_TOK_WORD,          /* keyword or unquoted identifier */
	VIGIL_TOK_QIDENT,        /* "quoted identifier" */
	VIGIL_TOK_STRING,        /* '...', E'...', B'...', X'...', U&'...', $tag$...$tag$ */
	VIGIL_TOK_NUMBER,
	VIGIL_TOK_PUNCT,         /* one character: ( ) , ; . and operators */
	VIGIL_TOK_COMMENT,       /* -- to end of line, or a block comment */
} vigil_sql_token_type;

typedef struct vigil_sql_token {
	vigil_sql_token_type type;
	const char *start;       /* points into the text tokenized */
	size_t len;
	int line;                /* 1-based line of the first character */
} vigil_sql_token;

/* Tokenizes the NUL-terminated sql. Returns a malloc'd array (free it) of
 * *n tokens; whitespace produces none. */
vigil_sql_token *vigil_sql_tokenize(const char *sql, size_t *n);

/* The rule names, NULL-terminated. */
extern const char *const vigil_sqllint_rules[];

/*
 * Lints sql (the normalised text of file `file`) and appends one line per
 * finding to out: "file:line: rule: statement", the statement collapsed to
 * one line and cut at 120 characters. Returns the number of findings.
 */
size_t vigil_sqllint(const char *file, const char *sql, vigil_buf *out);

#endif
