/*
 * test_sqllint.c — common/sqllint.c: the tokenizer (strings, E'' escapes,
 * quoted identifiers, dollar quotes, nested comments, line numbers), the
 * statement splitter (';' in quotes, BEGIN ATOMIC bodies), every rule with
 * its file:line output, the cases that must not be flagged, and the
 * -- vigil:allow annotations.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "sqllint.h"
#include "util.h"

static vigil_buf out;

static int
free_out(void **state)
{
	(void) state;
	vigil_buf_free(&out);
	return 0;
}

/* Lints sql as file "m.sql"; returns the report (a buffer reused by the next call). */
static const char *
lint(const char *sql, size_t *findings)
{
	vigil_buf_reset(&out);
	vigil_buf_append(&out, "", 0);
	*findings = vigil_sqllint("m.sql", sql, &out);
	return out.data;
}

static void
assert_finding(const char *sql, const char *expected)
{
	size_t n;
	const char *got = lint(sql, &n);

	assert_int_equal(n, 1);
	assert_string_equal(got, expected);
}

static void
assert_clean(const char *sql)
{
	size_t n;
	const char *got = lint(sql, &n);

	if (n != 0)
		fail_msg("unexpected findings for \"%s\":\n%s", sql, got);
}

static void
test_tokenize_kinds(void **state)
{
	(void) state;
	const char *sql = "SELECT 'a;''b', E'c\\'d;', \"q;\"\"x\", $f$ ; $g$ $f$, $1 -- c;\n/* a /* b */ c; */ x1$y;";
	size_t n;
	vigil_sql_token *t = vigil_sql_tokenize(sql, &n);

	assert_int_equal(n, 15);
	assert_int_equal(t[0].type, VIGIL_TOK_WORD);
	assert_int_equal(t[1].type, VIGIL_TOK_STRING);
	assert_int_equal(t[1].len, strlen("'a;''b'"));
	assert_int_equal(t[3].type, VIGIL_TOK_STRING);
	assert_int_equal(t[3].len, strlen("E'c\\'d;'"));
	assert_int_equal(t[5].type, VIGIL_TOK_QIDENT);
	assert_int_equal(t[5].len, strlen("\"q;\"\"x\""));
	assert_int_equal(t[7].type, VIGIL_TOK_STRING);
	assert_int_equal(t[7].len, strlen("$f$ ; $g$ $f$"));
	assert_int_equal(t[9].type, VIGIL_TOK_PUNCT);      /* $ of $1 */
	assert_int_equal(t[10].type, VIGIL_TOK_NUMBER);
	assert_int_equal(t[11].type, VIGIL_TOK_COMMENT);
	assert_int_equal(t[12].type, VIGIL_TOK_COMMENT);
	assert_int_equal(t[12].len, strlen("/* a /* b */ c; */"));
	assert_int_equal(t[12].line, 2);
	assert_int_equal(t[13].type, VIGIL_TOK_WORD);
	assert_int_equal(t[13].len, strlen("x1$y"));
	assert_int_equal(t[14].type, VIGIL_TOK_PUNCT);
	free(t);
}

static void
test_tokenize_lines_and_unterminated(void **state)
{
	(void) state;
	size_t n;
	vigil_sql_token *t = vigil_sql_tokenize("a\n'multi\nline'\nb\r\nc $$never closed\n", &n);

	assert_int_equal(n, 5);
	assert_int_equal(t[0].line, 1);
	assert_int_equal(t[1].line, 2);
	assert_int_equal(t[2].line, 4);
	assert_int_equal(t[3].line, 5);
	assert_int_equal(t[4].type, VIGIL_TOK_STRING);   /* runs to the end */
	free(t);
	t = vigil_sql_tokenize("", &n);
	assert_int_equal(n, 0);
	free(t);
	t = vigil_sql_tokenize("'open /* no end", &n);
	assert_int_equal(n, 1);
	free(t);
}

static void
test_rules_each(void **state)
{
	(void) state;
	assert_finding("DROP TABLE vigil.t;", "m.sql:1: drop-table: DROP TABLE vigil.t\n");
	assert_finding("drop table if exists t cascade", "m.sql:1: drop-table: drop table if exists t cascade\n");
	assert_finding("ALTER TABLE t DROP COLUMN a;", "m.sql:1: drop-column: ALTER TABLE t DROP COLUMN a\n");
	assert_finding("ALTER TABLE ONLY t DROP a;", "m.sql:1: drop-column: ALTER TABLE ONLY t DROP a\n");
	assert_finding("ALTER TABLE t ALTER COLUMN a TYPE bigint;",
				   "m.sql:1: alter-column-type: ALTER TABLE t ALTER COLUMN a TYPE bigint\n");
	assert_finding("ALTER TABLE t ALTER a SET DATA TYPE text USING a::text;",
				   "m.sql:1: alter-column-type: ALTER TABLE t ALTER a SET DATA TYPE text USING a::text\n");
	assert_finding("ALTER TABLE t RENAME TO u;", "m.sql:1: rename: ALTER TABLE t RENAME TO u\n");
	assert_finding("ALTER TABLE t RENAME CONSTRAINT c TO d;", "m.sql:1: rename: ALTER TABLE t RENAME CONSTRAINT c TO d\n");
	assert_finding("ALTER INDEX i RENAME TO j;", "m.sql:1: rename: ALTER INDEX i RENAME TO j\n");
	assert_finding("TRUNCATE t;", "m.sql:1: truncate: TRUNCATE t\n");
	assert_finding("DELETE FROM t;", "m.sql:1: delete-without-where: DELETE FROM t\n");
	assert_finding("DELETE FROM t USING (SELECT 1 WHERE true) s;",
				   "m.sql:1: delete-without-where: DELETE FROM t USING (SELECT 1 WHERE true) s\n");
	assert_finding("WITH x AS (SELECT 1) DELETE FROM t;",
				   "m.sql:1: delete-without-where: WITH x AS (SELECT 1) DELETE FROM t\n");
	assert_finding("UPDATE t SET a = (SELECT 1 WHERE true);",
				   "m.sql:1: update-without-where: UPDATE t SET a = (SELECT 1 WHERE true)\n");
	assert_finding("ALTER TYPE s.e DROP VALUE 'x';", "m.sql:1: enum-value-removal: ALTER TYPE s.e DROP VALUE 'x'\n");
	assert_finding("DROP TYPE s.e;", "m.sql:1: enum-value-removal: DROP TYPE s.e\n");
	assert_finding("DELETE FROM pg_catalog.pg_enum WHERE enumlabel = 'x';",
				   "m.sql:1: enum-value-removal: DELETE FROM pg_catalog.pg_enum WHERE enumlabel = 'x'\n");
	assert_finding("ALTER TABLE t ADD COLUMN b int NOT NULL;",
				   "m.sql:1: not-null-without-default: ALTER TABLE t ADD COLUMN b int NOT NULL\n");
	assert_finding("ALTER TABLE t ALTER COLUMN b SET NOT NULL;",
				   "m.sql:1: not-null-without-default: ALTER TABLE t ALTER COLUMN b SET NOT NULL\n");
}

static void
test_rules_not_flagged(void **state)
{
	(void) state;
	assert_clean("ALTER TABLE t DROP CONSTRAINT c;");
	assert_clean("ALTER TABLE t ALTER COLUMN a DROP DEFAULT, ALTER COLUMN a DROP NOT NULL;");
	assert_clean("ALTER TABLE t ADD COLUMN b int NOT NULL DEFAULT 0;");
	assert_clean("ALTER TABLE t ADD COLUMN b bigint NOT NULL GENERATED ALWAYS AS IDENTITY;");
	assert_clean("ALTER TABLE t ADD COLUMN b int CHECK (b IS NOT NULL);");
	assert_clean("ALTER TABLE t ADD CONSTRAINT c CHECK (a IS NOT NULL);");
	assert_clean("CREATE TABLE t (a int); ALTER TABLE t ADD COLUMN b int NOT NULL; ALTER TABLE t ALTER b SET NOT NULL;");
	assert_clean("DELETE FROM t WHERE a = 1;");
	assert_clean("UPDATE t SET a = 1 WHERE b;");
	assert_clean("INSERT INTO t VALUES (1) ON CONFLICT (a) DO UPDATE SET b = 2;");
	assert_clean("CREATE TRIGGER x BEFORE UPDATE OR DELETE ON t FOR EACH ROW EXECUTE FUNCTION f();");
	assert_clean("GRANT UPDATE, DELETE ON t TO r; REVOKE TRUNCATE ON t FROM PUBLIC;");
	assert_clean("CREATE INDEX i ON t (a);");
	assert_clean("ALTER TYPE e ADD VALUE 'y';");
	assert_clean("SELECT 'DROP TABLE t; TRUNCATE u'; SELECT \"DELETE FROM t\" FROM v;");
	assert_clean("DO $$ BEGIN DELETE FROM t; END $$; DO $body$ TRUNCATE t; $body$;");
	assert_clean("-- DROP TABLE t;\n/* TRUNCATE t; */ SELECT 1;");
	assert_clean("CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT CASE WHEN true THEN 1 END; "
				 "UPDATE t SET a = 1 WHERE false; END; SELECT 1;");
	assert_clean("");
	assert_clean(";;");
}

static void
test_line_and_collapse(void **state)
{
	(void) state;
	size_t n;
	const char *got = lint("-- header\nSELECT 1;\n\n-- about t\nALTER TABLE t\n\tDROP COLUMN a,\n\tDROP COLUMN b;\n"
						   "TRUNCATE a, b;", &n);

	assert_int_equal(n, 2);
	assert_string_equal(got, "m.sql:5: drop-column: ALTER TABLE t DROP COLUMN a, DROP COLUMN b\n"
							 "m.sql:8: truncate: TRUNCATE a, b\n");
}

static void
test_truncated_statement(void **state)
{
	(void) state;
	size_t n;
	vigil_buf sql = {0};
	const char *got;

	vigil_buf_puts(&sql, "UPDATE t SET a = 1");
	for (int i = 0; i < 40; i++)
		vigil_buf_puts(&sql, ", a = 1");
	got = lint(sql.data, &n);
	assert_int_equal(n, 1);
	assert_non_null(strstr(got, "..."));
	/* at most 120 characters of the statement, then "..." */
	assert_in_range(strlen(got) - strlen("m.sql:1: update-without-where: ...\n"), 110, 120);
	vigil_buf_free(&sql);
}

static void
test_two_rules_one_statement(void **state)
{
	(void) state;
	size_t n;
	const char *got = lint("ALTER TABLE t DROP COLUMN a, ALTER COLUMN b TYPE int, RENAME c TO d;", &n);

	assert_int_equal(n, 3);
	assert_non_null(strstr(got, "m.sql:1: drop-column: "));
	assert_non_null(strstr(got, "m.sql:1: alter-column-type: "));
	assert_non_null(strstr(got, "m.sql:1: rename: "));
}

static void
test_annotations(void **state)
{
	(void) state;
	assert_clean("-- vigil:allow drop-table: replaced by vigil.sites in 0012\nDROP TABLE old;");
	assert_clean("-- first a note\n--vigil:allow truncate: staging table only\nTRUNCATE s;");
	assert_clean("-- vigil:allow drop-column, rename: split of the address column\n"
				 "ALTER TABLE t DROP COLUMN a, RENAME b TO c;");
	/* only the named rule is allowed */
	assert_finding("-- vigil:allow drop-column: ok\nALTER TABLE t DROP COLUMN a, ALTER b TYPE int;",
				   "m.sql:2: alter-column-type: ALTER TABLE t DROP COLUMN a, ALTER b TYPE int\n");
	/* no reason, unknown rule, or not right before the statement: no exemption */
	assert_finding("-- vigil:allow drop-table:\nDROP TABLE t;", "m.sql:2: drop-table: DROP TABLE t\n");
	assert_finding("-- vigil:allow drop-tables: typo\nDROP TABLE t;", "m.sql:2: drop-table: DROP TABLE t\n");
	assert_finding("-- vigil:allow drop-table: for the first only\nDROP TABLE a;\nDROP TABLE b;",
				   "m.sql:3: drop-table: DROP TABLE b\n");
	assert_finding("/* vigil:allow drop-table: block comments do not count */ DROP TABLE a;",
				   "m.sql:1: drop-table: DROP TABLE a\n");
}

static void
test_rule_names(void **state)
{
	(void) state;
	size_t n = 0;

	while (vigil_sqllint_rules[n])
		n++;
	assert_int_equal(n, 9);
	assert_string_equal(vigil_sqllint_rules[0], "drop-table");
	assert_string_equal(vigil_sqllint_rules[8], "not-null-without-default");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tokenize_kinds),
		cmocka_unit_test(test_tokenize_lines_and_unterminated),
		cmocka_unit_test(test_rules_each),
		cmocka_unit_test(test_rules_not_flagged),
		cmocka_unit_test(test_line_and_collapse),
		cmocka_unit_test(test_truncated_statement),
		cmocka_unit_test(test_two_rules_one_statement),
		cmocka_unit_test(test_annotations),
		cmocka_unit_test(test_rule_names),
	};

	return cmocka_run_group_tests(tests, NULL, free_out);
}
