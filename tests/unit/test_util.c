/*
 * test_util.c — common/util.c: the error record, the growable buffer, JSON
 * string quoting, ISO 8601 parsing and formatting, hex and whole-file reads.
 *
 * The expected instants were computed independently with Python:
 *	python3 -c 'from datetime import *; d=datetime.fromisoformat("2026-05-31T19:30:00-04:30");
 *	            print((d-datetime(1970,1,1,tzinfo=timezone.utc))//timedelta(microseconds=1))'
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

/* 2026-06-01T00:00:00Z, the fixture's reference as-of */
#define REF_US INT64_C(1780272000000000)

static void
test_error_set(void **state)
{
	vigil_error err = {0};

	(void) state;
	assert_int_equal(vigil_error_set(&err, 78, "bad %s: %d", "thing", 7), 78);
	assert_int_equal(err.code, 78);
	assert_string_equal(err.msg, "bad thing: 7");
	assert_string_equal(err.hint, "");
	vigil_error_hint(&err, "do %s", "this");
	assert_string_equal(err.hint, "do this");
	/* a server message with newlines and a trailing period becomes one line */
	vigil_error_set(&err, 70, "cannot x: %s", "line one\nline two.\n");
	assert_string_equal(err.msg, "cannot x: line one line two");
	assert_string_equal(err.hint, "");
	vigil_error_clear(&err);
	assert_int_equal(err.code, 0);
	assert_string_equal(err.msg, "");
	/* NULL is allowed and still returns the code */
	assert_int_equal(vigil_error_set(NULL, 69, "x"), 69);
	vigil_error_hint(NULL, "x");
	vigil_error_clear(NULL);
}

static void
test_buf_growth(void **state)
{
	vigil_buf b = {0};
	char expect[10001];

	(void) state;
	/* appending one byte at a time through many reallocations keeps every byte */
	for (int i = 0; i < 10000; i++) {
		char c = (char) ('a' + i % 26);

		expect[i] = c;
		vigil_buf_append(&b, &c, 1);
		assert_int_equal(b.len, (size_t) i + 1);
		assert_true(b.cap > b.len);
		assert_int_equal(b.data[b.len], '\0');
	}
	expect[10000] = '\0';
	assert_memory_equal(b.data, expect, 10001);

	size_t cap = b.cap;
	vigil_buf_reset(&b);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.cap, cap);
	assert_string_equal(b.data, "");

	/* one big printf past the capacity */
	vigil_buf_printf(&b, "%s|%05d|%s", "x", 42, expect);
	assert_int_equal(b.len, 1 + 7 + 10000);
	assert_memory_equal(b.data, "x|00042|abc", 11);
	vigil_buf_free(&b);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.cap, 0);
}

static void
test_buf_empty_and_binary(void **state)
{
	vigil_buf b;

	(void) state;
	vigil_buf_init(&b);
	vigil_buf_append(&b, "", 0);      /* an empty append still gives a string */
	assert_non_null(b.data);
	assert_string_equal(b.data, "");
	vigil_buf_append(&b, "a\0b", 3);  /* embedded NUL bytes are kept */
	assert_int_equal(b.len, 3);
	assert_memory_equal(b.data, "a\0b", 4);
	vigil_buf_free(&b);

	vigil_buf_init(&b);
	vigil_buf_printf(&b, "%s", "");
	assert_non_null(b.data);
	assert_int_equal(b.len, 0);
	vigil_buf_puts(&b, "abc");
	vigil_buf_puts(&b, "def");
	assert_string_equal(b.data, "abcdef");
	vigil_buf_free(&b);

	char *s = vigil_asprintf("%d-%s", 12, "x");
	assert_string_equal(s, "12-x");
	free(s);
	s = vigil_strdup("copy");
	assert_string_equal(s, "copy");
	free(s);
	assert_null(vigil_strdup(NULL));
}

static void
json_is(const char *in, const char *want)
{
	vigil_buf b = {0};

	vigil_buf_json_string(&b, in);
	assert_string_equal(b.data, want);
	vigil_buf_free(&b);
}

static void
test_json_string(void **state)
{
	(void) state;
	json_is(NULL, "null");
	json_is("", "\"\"");
	json_is("plain", "\"plain\"");
	json_is("say \"hi\"", "\"say \\\"hi\\\"\"");
	json_is("back\\slash", "\"back\\\\slash\"");
	json_is("a\nb\rc\td", "\"a\\nb\\rc\\td\"");
	/* every other control character as \u00XX, lowercase hex */
	json_is("\x01\x1f\b\f\x7f", "\"\\u0001\\u001f\\u0008\\u000c\x7f\"");
	/* UTF-8 passes through unchanged */
	json_is("Zürich – ✓", "\"Zürich – ✓\"");
	json_is("/slash/", "\"/slash/\"");
}

static void
parses_to(const char *text, int64_t want)
{
	int64_t got = 12345;

	if (vigil_time_parse(text, &got) != 0)
		fail_msg("\"%s\" was rejected", text);
	if (got != want)
		fail_msg("\"%s\" parsed to %lld, want %lld", text, (long long) got, (long long) want);
}

static void
rejects(const char *text)
{
	int64_t got = 12345;

	if (vigil_time_parse(text, &got) == 0)
		fail_msg("\"%s\" was accepted (as %lld)", text, (long long) got);
}

static void
test_time_parse_accepts(void **state)
{
	(void) state;
	parses_to("2026-06-01", REF_US);
	parses_to("2026-06-01T00:00:00Z", REF_US);
	parses_to("2026-06-01T00:00:00z", REF_US);
	parses_to("2026-06-01t00:00:00Z", REF_US);
	parses_to("2026-06-01 00:00:00", REF_US);          /* no zone means UTC */
	parses_to("2026-06-01T00:00", REF_US);             /* seconds optional */
	parses_to("2026-06-01T00:00Z", REF_US);
	parses_to("2026-06-01T02:00:00+02:00", REF_US);
	parses_to("2026-06-01T02:00:00+02", REF_US);       /* hours-only offset */
	parses_to("2026-06-01T02:00:00+0200", REF_US);     /* basic-format offset */
	parses_to("2026-06-01T05:30:00+05:30", REF_US);
	parses_to("2026-05-31T19:30:00-04:30", REF_US);
	parses_to("2026-06-01T00:00:00-00:00", REF_US);
	parses_to("2026-06-01T00:00:00+00:00", REF_US);
	parses_to("2026-06-01T00:00:00.1Z", REF_US + 100000);
	parses_to("2026-06-01T00:00:00,1Z", REF_US + 100000); /* ISO allows a comma */
	parses_to("2026-06-01T00:00:00.000001Z", REF_US + 1);
	parses_to("2026-06-01T00:00:00.123456789Z", REF_US + 123456); /* beyond µs truncated */
	parses_to("2024-02-29T12:34:56.789012Z", INT64_C(1709210096789012));
	parses_to("2024-02-29T12:34:56.789012+00:00", INT64_C(1709210096789012));
	parses_to("2000-02-29T00:00:00Z", INT64_C(951782400000000));   /* 400-year leap */
	parses_to("1970-01-01T00:00:00Z", 0);
	parses_to("1969-12-31T23:59:59.5Z", -500000);
	parses_to("1900-03-01", INT64_C(-2203891200000000));
	parses_to("2026-11-22T02:05:00Z", INT64_C(1795313100000000));
	parses_to("9999-12-31T23:59:59.999999Z", INT64_C(253402300799999999));
}

static void
test_time_parse_rejects(void **state)
{
	(void) state;
	rejects("");
	rejects("now");
	rejects("2026");
	rejects("2026-06");
	rejects("2026-6-01");
	rejects("2026-06-1");
	rejects("26-06-01");
	rejects("2026/06/01");
	rejects("20260601");
	rejects("2026-13-01");
	rejects("2026-00-01");
	rejects("2026-06-00");
	rejects("2026-06-31");             /* June has 30 days */
	rejects("2026-04-31");
	rejects("2023-02-29");             /* not a leap year */
	rejects("1900-02-29");             /* century, not a leap year */
	rejects("2026-02-30");
	rejects("2026-06-01T");
	rejects("2026-06-01T24:00:00Z");
	rejects("2026-06-01T23:60:00Z");
	rejects("2026-06-01T23:59:60Z");   /* no leap seconds */
	rejects("2026-06-01T1:00:00Z");
	rejects("2026-06-01T01");
	rejects("2026-06-01T01:00:");
	rejects("2026-06-01T01:00:0");
	rejects("2026-06-01T00:00:00.Z");  /* a fraction needs digits */
	rejects("2026-06-01T00:00.5Z");    /* a fraction needs seconds */
	rejects("2026-06-01T00:00:00+2");
	rejects("2026-06-01T00:00:00+24:00");
	rejects("2026-06-01T00:00:00+02:60");
	rejects("2026-06-01T00:00:00+02:");
	rejects("2026-06-01T00:00:00+02:0");
	rejects("2026-06-01T00:00:00+02:000");
	rejects("2026-06-01T00:00:00ZZ");
	rejects("2026-06-01T00:00:00Z ");
	rejects(" 2026-06-01");
	rejects("2026-06-01T00:00:00 UTC");
	rejects("2026-06-01T00:00:00EST");
	rejects("-2026-06-01");
	assert_int_equal(vigil_time_parse(NULL, &(int64_t) {0}), -1);
}

static void
test_time_format(void **state)
{
	char out[32], shrt[24];

	(void) state;
	vigil_time_format(REF_US, out);
	assert_string_equal(out, "2026-06-01T00:00:00.000000Z");
	vigil_time_format_short(REF_US + 999999, shrt);
	assert_string_equal(shrt, "2026-06-01T00:00:00Z");   /* truncated, not rounded */
	vigil_time_format(INT64_C(1709210096789012), out);
	assert_string_equal(out, "2024-02-29T12:34:56.789012Z");
	vigil_time_format(0, out);
	assert_string_equal(out, "1970-01-01T00:00:00.000000Z");
	vigil_time_format(-1, out);
	assert_string_equal(out, "1969-12-31T23:59:59.999999Z");
	vigil_time_format(-500000, out);
	assert_string_equal(out, "1969-12-31T23:59:59.500000Z");
	vigil_time_format(INT64_C(-2203891200000000), out);
	assert_string_equal(out, "1900-03-01T00:00:00.000000Z");
	vigil_time_format(INT64_C(253402300799999999), out);
	assert_string_equal(out, "9999-12-31T23:59:59.999999Z");
}

static void
test_time_round_trip(void **state)
{
	char out[32];
	int64_t back;

	(void) state;
	/* every day of 1999..2101 at a varying time of day, leap days included */
	int64_t start, end;
	assert_int_equal(vigil_time_parse("1999-01-01", &start), 0);
	assert_int_equal(vigil_time_parse("2101-01-01", &end), 0);
	int leap_days = 0;
	for (int64_t us = start, k = 0; us < end; us += INT64_C(86400000000), k++) {
		int64_t t = us + (k * INT64_C(7919000123)) % INT64_C(86400000000);

		vigil_time_format(t, out);
		assert_int_equal(strlen(out), 27);
		if (vigil_time_parse(out, &back) != 0)
			fail_msg("formatted %s does not parse", out);
		assert_true(back == t);
		leap_days += strncmp(out + 4, "-02-29", 6) == 0;
	}
	/* 2000, 2004, ..., 2096: 25 leap days; 2100 is not leap */
	assert_int_equal(leap_days, 25);
	/* the same instant written with an offset formats back to UTC */
	assert_int_equal(vigil_time_parse("2026-03-01T01:30:00+03:00", &back), 0);
	vigil_time_format(back, out);
	assert_string_equal(out, "2026-02-28T22:30:00.000000Z");
}

static void
test_time_now(void **state)
{
	int64_t a = vigil_time_now_us();
	int64_t ref;
	double m1 = vigil_monotonic(), m2;

	(void) state;
	assert_int_equal(vigil_time_parse("2026-01-01", &ref), 0);
	assert_true(a > ref - INT64_C(366) * 86400 * 1000000); /* a sane clock */
	usleep(2000);
	m2 = vigil_monotonic();
	assert_true(m2 - m1 >= 0.0015 && m2 - m1 < 5);
}

static void
test_hex(void **state)
{
	const unsigned char data[] = {0x00, 0x01, 0x7f, 0x80, 0xab, 0xff};
	unsigned char back[6];
	char out[13];

	(void) state;
	vigil_hex(data, sizeof(data), out);
	assert_string_equal(out, "00017f80abff");
	vigil_hex(data, 0, out);
	assert_string_equal(out, "");

	memset(back, 0, sizeof(back));
	assert_int_equal(vigil_unhex("00017f80abff", back, 6), 0);
	assert_memory_equal(back, data, 6);
	memset(back, 0, sizeof(back));
	assert_int_equal(vigil_unhex("00017F80ABFF", back, 6), 0);   /* uppercase */
	assert_memory_equal(back, data, 6);
	memset(back, 0, sizeof(back));
	assert_int_equal(vigil_unhex("\\x00017f80abff", back, 6), 0); /* bytea output */
	assert_memory_equal(back, data, 6);

	assert_int_equal(vigil_unhex("00017f80abf", back, 6), -1);   /* too short */
	assert_int_equal(vigil_unhex("00017f80ab", back, 6), -1);
	assert_int_equal(vigil_unhex("", back, 6), -1);
	assert_int_equal(vigil_unhex("00017f80abff00", back, 6), -1); /* too long */
	assert_int_equal(vigil_unhex("00017g80abff", back, 6), -1);  /* not hex */
	assert_int_equal(vigil_unhex("0x017f80abff", back, 6), -1);
	assert_int_equal(vigil_unhex("", back, 0), 0);
}

static void
test_read_file(void **state)
{
	char path[] = "/tmp/vigil-test-util.XXXXXX";
	vigil_buf b = {0};
	vigil_error err = {0};
	int fd = mkstemp(path);
	char big[20000];

	(void) state;
	assert_true(fd >= 0);
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char) ('A' + i % 23);
	assert_int_equal(write(fd, big, sizeof(big)), (ssize_t) sizeof(big));
	close(fd);
	assert_int_equal(vigil_read_file(path, &b, &err), 0);
	assert_int_equal(b.len, sizeof(big));
	assert_memory_equal(b.data, big, sizeof(big));
	assert_int_equal(b.data[b.len], '\0');

	/* an empty file gives an empty string, not NULL; old content is replaced */
	fd = open(path, O_WRONLY | O_TRUNC);
	close(fd);
	assert_int_equal(vigil_read_file(path, &b, &err), 0);
	assert_int_equal(b.len, 0);
	assert_string_equal(b.data, "");
	vigil_buf_free(&b);
	assert_int_equal(vigil_read_file(path, &b, &err), 0);
	assert_non_null(b.data);
	assert_string_equal(b.data, "");
	unlink(path);

	assert_int_equal(vigil_read_file(path, &b, &err), 66);
	assert_int_equal(err.code, 66);
	assert_non_null(strstr(err.msg, path));
	assert_non_null(strstr(err.msg, "No such file"));
	vigil_buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_error_set),
		cmocka_unit_test(test_buf_growth),
		cmocka_unit_test(test_buf_empty_and_binary),
		cmocka_unit_test(test_json_string),
		cmocka_unit_test(test_time_parse_accepts),
		cmocka_unit_test(test_time_parse_rejects),
		cmocka_unit_test(test_time_format),
		cmocka_unit_test(test_time_round_trip),
		cmocka_unit_test(test_time_now),
		cmocka_unit_test(test_hex),
		cmocka_unit_test(test_read_file),
	};

	return cmocka_run_group_tests_name("util", tests, NULL, NULL);
}
