/*
 * test_csvout.c — common/csvout.c: RFC 4180 quoting through libcsv (quotes
 * doubled, commas, CR/LF and UTF-8 kept inside quotes), NULL as an empty
 * unquoted field, CRLF row ends; and the output parses back with libcsv's
 * own parser to the same fields.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include <csv.h>

#include "csvout.h"
#include "util.h"

static void
test_row_quoting(void **state)
{
	vigil_buf out = {0};
	const char *row[] = {"plain", "with \"quotes\"", "a,b", NULL, "", "line1\r\nline2", "Zürich ✓"};

	(void) state;
	vigil_csv_row(&out, row, 7);
	assert_string_equal(out.data, "\"plain\",\"with \"\"quotes\"\"\",\"a,b\",,\"\",\"line1\r\nline2\","
						"\"Zürich ✓\"\r\n");
	vigil_buf_free(&out);
}

static void
test_fields_and_rows(void **state)
{
	vigil_buf out = {0};

	(void) state;
	vigil_csv_field(&out, "a", true);
	vigil_csv_field(&out, NULL, false);
	vigil_csv_field(&out, "b", false);
	vigil_csv_end_row(&out);
	vigil_csv_field(&out, NULL, true);
	vigil_csv_end_row(&out);
	assert_string_equal(out.data, "\"a\",,\"b\"\r\n\r\n");
	assert_int_equal(out.len, strlen(out.data));
	vigil_buf_free(&out);
}

static void
test_long_field_grows_buffer(void **state)
{
	vigil_buf out = {0};
	char big[10001];

	(void) state;
	memset(big, '"', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	vigil_csv_field(&out, big, true);
	assert_int_equal(out.len, 2 + 2 * 10000);
	assert_int_equal(out.data[0], '"');
	assert_int_equal(out.data[out.len - 1], '"');
	assert_int_equal(out.data[out.len], '\0');
	vigil_buf_free(&out);
}

/* Parsing back with libcsv gives the original fields. */
typedef struct parsed {
	char fields[16][64];
	int n;
	int rows;
} parsed;

static void
on_field(void *s, size_t len, void *data)
{
	parsed *p = data;

	assert_true(len < 64);
	memcpy(p->fields[p->n], s, len);
	p->fields[p->n][len] = '\0';
	p->n++;
}

static void
on_row(int c, void *data)
{
	(void) c;
	((parsed *) data)->rows++;
}

static void
test_round_trip_with_libcsv(void **state)
{
	vigil_buf out = {0};
	const char *row[] = {"x,y", "\"q\"", "multi\nline", "", "ü"};
	struct csv_parser p;
	parsed got = {0};

	(void) state;
	vigil_csv_row(&out, row, 5);
	assert_int_equal(csv_init(&p, CSV_STRICT | CSV_STRICT_FINI), 0);
	assert_int_equal(csv_parse(&p, out.data, out.len, on_field, on_row, &got), out.len);
	csv_fini(&p, on_field, on_row, &got);
	csv_free(&p);
	assert_int_equal(got.rows, 1);
	assert_int_equal(got.n, 5);
	for (int i = 0; i < 5; i++)
		assert_string_equal(got.fields[i], row[i]);
	vigil_buf_free(&out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_row_quoting),
		cmocka_unit_test(test_fields_and_rows),
		cmocka_unit_test(test_long_field_grows_buffer),
		cmocka_unit_test(test_round_trip_with_libcsv),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
