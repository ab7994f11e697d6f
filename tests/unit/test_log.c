/*
 * test_log.c — common/log.c: the text and json line shapes, level filtering,
 * one line per event, the journald "<N>" prefix exactly when $JOURNAL_STREAM
 * names stderr, and conninfo redaction (key=value and URI forms).
 *
 * fd 2 is pointed at a temporary file while a test logs, then read back.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "log.h"
#include "util.h"

static int saved_stderr = -1;
static char cap_path[64];
static char *logged;

static void
capture_start(void)
{
	int fd;

	snprintf(cap_path, sizeof(cap_path), "/tmp/vigil-test-log.XXXXXX");
	fd = mkstemp(cap_path);
	assert_true(fd >= 0);
	fflush(stderr);
	saved_stderr = dup(2);
	dup2(fd, 2);
	close(fd);
}

static void
capture_end(void)
{
	vigil_buf b = {0};
	vigil_error err = {0};

	dup2(saved_stderr, 2);
	close(saved_stderr);
	assert_int_equal(vigil_read_file(cap_path, &b, &err), 0);
	unlink(cap_path);
	free(logged);
	logged = b.data;
}

/* Checks that s starts with a "YYYY-MM-DDTHH:MM:SSZ" within a minute of now. */
static void
assert_timestamp(const char *s)
{
	char ts[21];
	int64_t us;

	memcpy(ts, s, 20);
	ts[20] = '\0';
	assert_int_equal(ts[19], 'Z');
	if (vigil_time_parse(ts, &us) != 0)
		fail_msg("bad timestamp \"%s\"", ts);
	assert_true(llabs(vigil_time_now_us() - us) < INT64_C(60000000));
}

static int
count_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static void
test_text_lines(void **state)
{
	(void) state;
	vigil_log_init("vigil-expire", VIGIL_LOG_TEXT, VIGIL_LOG_INFO);
	capture_start();
	vigil_log(VIGIL_LOG_INFO, "expired %d certifications", 120);
	capture_end();
	assert_timestamp(logged);
	assert_string_equal(logged + 20, " info vigil-expire expired 120 certifications\n");

	capture_start();
	vigil_kv kv[] = {
		{"run", "42", true},
		{"expired", "120", true},
		{"note", "two words", false},
		{"empty", "", false},
		{"quote", "say \"x\"", false},
		{"eq", "a=b", false},
		{"missing", NULL, false},
		{"path", "/var/lib/x", false},
	};
	vigil_log_fields(VIGIL_LOG_INFO, kv, sizeof(kv) / sizeof(kv[0]));
	capture_end();
	assert_timestamp(logged);
	assert_string_equal(logged + 20, " info vigil-expire run=42 expired=120 note=\"two words\" empty=\"\" "
									 "quote=\"say \\\"x\\\"\" eq=\"a=b\" missing=\"\" path=/var/lib/x\n");

	/* a message with newlines stays one line */
	capture_start();
	vigil_log(VIGIL_LOG_WARNING, "first\nsecond\r\nthird");
	capture_end();
	assert_string_equal(logged + 20, " warning vigil-expire first second  third\n");
	assert_int_equal(count_lines(logged), 1);
}

static void
test_json_lines(void **state)
{
	(void) state;
	vigil_log_init("vigil-expire", VIGIL_LOG_JSON, VIGIL_LOG_INFO);
	capture_start();
	vigil_log(VIGIL_LOG_ERROR, "cannot \"%s\":\tno\nway", "x");
	capture_end();
	assert_string_equal(strchr(logged, ','), ",\"level\":\"error\",\"prog\":\"vigil-expire\","
											 "\"msg\":\"cannot \\\"x\\\":\\tno way\"}\n");
	assert_true(strncmp(logged, "{\"ts\":\"", 7) == 0);
	assert_timestamp(logged + 7);
	assert_true(strncmp(logged + 27, "\",\"level\"", 9) == 0);

	capture_start();
	vigil_kv kv[] = {
		{"run", "42", true},
		{"status", "succeeded", false},
		{"expired", "", true},     /* an empty numeric value stays valid JSON */
		{"as_of", "2026-06-01T00:00:00.000000Z", false},
		{"weird\"key", "v", false},
	};
	vigil_log_fields(VIGIL_LOG_INFO, kv, sizeof(kv) / sizeof(kv[0]));
	capture_end();
	assert_string_equal(strchr(logged, ','), ",\"level\":\"info\",\"prog\":\"vigil-expire\",\"run\":42,"
											 "\"status\":\"succeeded\",\"expired\":\"\","
											 "\"as_of\":\"2026-06-01T00:00:00.000000Z\",\"weird\\\"key\":\"v\"}\n");
}

static void
test_levels(void **state)
{
	(void) state;
	vigil_log_init("p", VIGIL_LOG_TEXT, VIGIL_LOG_WARNING);
	capture_start();
	vigil_log(VIGIL_LOG_DEBUG, "d");
	vigil_log(VIGIL_LOG_INFO, "i");
	vigil_log(VIGIL_LOG_WARNING, "w");
	vigil_log(VIGIL_LOG_ERROR, "e");
	vigil_log_fields(VIGIL_LOG_INFO, &(vigil_kv) {"k", "v", false}, 1);
	capture_end();
	assert_int_equal(count_lines(logged), 2);
	assert_non_null(strstr(logged, " warning p w\n"));
	assert_non_null(strstr(logged, " error p e\n"));

	vigil_log_init("p", VIGIL_LOG_TEXT, VIGIL_LOG_DEBUG);
	capture_start();
	vigil_log(VIGIL_LOG_DEBUG, "d");
	capture_end();
	assert_string_equal(logged + 20, " debug p d\n");

	assert_int_equal(vigil_log_level_parse("debug"), VIGIL_LOG_DEBUG);
	assert_int_equal(vigil_log_level_parse("info"), VIGIL_LOG_INFO);
	assert_int_equal(vigil_log_level_parse("warning"), VIGIL_LOG_WARNING);
	assert_int_equal(vigil_log_level_parse("error"), VIGIL_LOG_ERROR);
	assert_int_equal(vigil_log_level_parse("warn"), -1);
	assert_int_equal(vigil_log_level_parse("INFO"), -1);
	assert_int_equal(vigil_log_level_parse(""), -1);
}

static void
test_log_error(void **state)
{
	vigil_error err = {0};

	(void) state;
	vigil_log_init("vigil-retain", VIGIL_LOG_TEXT, VIGIL_LOG_ERROR);
	vigil_error_set(&err, 77, "cannot delete from vigil.audit_trails: permission denied");
	vigil_error_hint(&err, "run as a member of vigil_jobs");
	capture_start();
	vigil_log_error(&err);
	capture_end();
	assert_int_equal(count_lines(logged), 2);
	const char *want1 = " error vigil-retain cannot delete from vigil.audit_trails: permission denied\n";
	assert_memory_equal(logged + 20, want1, strlen(want1));
	assert_string_equal(strchr(logged, '\n') + 21, " error vigil-retain hint: run as a member of vigil_jobs\n");

	vigil_error_clear(&err);
	capture_start();
	vigil_log_error(&err);   /* no message, no hint */
	capture_end();
	assert_string_equal(logged + 20, " error vigil-retain unknown error\n");
}

static void
test_journal_prefix(void **state)
{
	struct stat st;
	char js[64];

	(void) state;
	capture_start();
	assert_int_equal(fstat(2, &st), 0);
	snprintf(js, sizeof(js), "%llu:%llu", (unsigned long long) st.st_dev, (unsigned long long) st.st_ino);
	setenv("JOURNAL_STREAM", js, 1);
	vigil_log_init("vigil-expire", VIGIL_LOG_TEXT, VIGIL_LOG_DEBUG);
	vigil_log(VIGIL_LOG_DEBUG, "d");
	vigil_log(VIGIL_LOG_INFO, "i");
	vigil_log(VIGIL_LOG_WARNING, "w");
	vigil_log(VIGIL_LOG_ERROR, "e");
	vigil_log_init("vigil-expire", VIGIL_LOG_JSON, VIGIL_LOG_DEBUG);
	vigil_log_fields(VIGIL_LOG_INFO, &(vigil_kv) {"run", "1", true}, 1);
	capture_end();
	assert_int_equal(count_lines(logged), 5);
	char *line = logged;
	static const char *const want[] = {"<7>", "<6>", "<4>", "<3>", "<6>{\"ts\":\""};
	for (int i = 0; i < 5; i++) {
		if (strncmp(line, want[i], strlen(want[i])) != 0)
			fail_msg("line %d does not start with %s: %s", i + 1, want[i], line);
		line = strchr(line, '\n') + 1;
	}
	assert_timestamp(logged + 3);

	/* another file's inode: stderr is not the journal, no prefix */
	snprintf(js, sizeof(js), "%llu:%llu", (unsigned long long) st.st_dev, (unsigned long long) st.st_ino + 1);
	setenv("JOURNAL_STREAM", js, 1);
	vigil_log_init("vigil-expire", VIGIL_LOG_TEXT, VIGIL_LOG_INFO);
	capture_start();
	vigil_log(VIGIL_LOG_INFO, "i");
	capture_end();
	assert_true(logged[0] >= '0' && logged[0] <= '9');
	assert_string_equal(logged + 20, " info vigil-expire i\n");

	/* the variable names another stream (/dev/null): no prefix either */
	assert_int_equal(stat("/dev/null", &st), 0);
	snprintf(js, sizeof(js), "%llu:%llu", (unsigned long long) st.st_dev, (unsigned long long) st.st_ino);
	setenv("JOURNAL_STREAM", js, 1);
	vigil_log_init("vigil-expire", VIGIL_LOG_TEXT, VIGIL_LOG_INFO);
	capture_start();
	vigil_log(VIGIL_LOG_INFO, "i");
	capture_end();
	assert_string_equal(logged + 20, " info vigil-expire i\n");

	/* malformed or empty variable: no prefix */
	static const char *const bad[] = {"", "garbage", "12", ":"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		setenv("JOURNAL_STREAM", bad[i], 1);
		vigil_log_init("vigil-expire", VIGIL_LOG_TEXT, VIGIL_LOG_INFO);
		capture_start();
		vigil_log(VIGIL_LOG_INFO, "i");
		capture_end();
		assert_string_equal(logged + 20, " info vigil-expire i\n");
	}
	unsetenv("JOURNAL_STREAM");
	vigil_log_init("vigil-expire", VIGIL_LOG_TEXT, VIGIL_LOG_INFO);
	capture_start();
	vigil_log(VIGIL_LOG_INFO, "i");
	capture_end();
	assert_string_equal(logged + 20, " info vigil-expire i\n");
}

static void
redacts_to(const char *in, const char *want)
{
	char out[512];

	vigil_conninfo_redact(in, out, sizeof(out));
	if (strcmp(out, want) != 0)
		fail_msg("redact(\"%s\") = \"%s\", want \"%s\"", in ? in : "(null)", out, want);
	if (strstr(out, "s3cret") != NULL)
		fail_msg("redact(\"%s\") kept the password: %s", in, out);
	/* what is shown is itself a valid conninfo */
	if (strchr(out, '=') && strcmp(out, "(unparsable conninfo)") != 0) {
		PQconninfoOption *opts = PQconninfoParse(out, NULL);

		if (opts == NULL)
			fail_msg("redact(\"%s\") = \"%s\" does not parse", in, out);
		PQconninfoFree(opts);
	}
}

static void
test_redact(void **state)
{
	(void) state;
	/* without a password the string is shown as written */
	redacts_to("host=/tmp dbname=vigil user=jobs", "host=/tmp dbname=vigil user=jobs");
	redacts_to("postgresql://jobs@db1:5433/vigil", "postgresql://jobs@db1:5433/vigil");
	redacts_to("vigil", "vigil");   /* a bare database name */
	redacts_to("", "");
	redacts_to(NULL, "");
	/* with one, only the password is replaced (the form becomes key=value) */
	redacts_to("host=/tmp dbname=vigil user=jobs password=s3cret",
			   "user=jobs password=******** dbname=vigil host=/tmp");
	redacts_to("password='s3cret with spaces' dbname=vigil", "password=******** dbname=vigil");
	redacts_to("postgresql://jobs:s3cret@db1:5433/vigil?sslmode=require",
			   "user=jobs password=******** dbname=vigil host=db1 port=5433 sslmode=require");
	redacts_to("postgres://:s3cret@/vigil?host=/run/postgresql",
			   "password=******** dbname=vigil host=/run/postgresql");
	redacts_to("dbname='my db' password=s3cret application_name='it\\'s'",
			   "password=******** dbname='my db' application_name='it\\'s'");
	/* what libpq cannot parse is not shown at all: it may hold a password */
	redacts_to("host=/tmp password='s3cret", "(unparsable conninfo)");
	redacts_to("nosuchkey=1 password=s3cret", "(unparsable conninfo)");
	redacts_to("postgresql://jobs:s3cret@[::1/vigil", "(unparsable conninfo)");

	/* a small buffer truncates, never overflows */
	char small[12];
	memset(small, 'x', sizeof(small));
	vigil_conninfo_redact("user=jobs password=s3cret dbname=vigil", small, sizeof(small));
	assert_int_equal(strlen(small), sizeof(small) - 1);
	assert_null(strstr(small, "s3c"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text_lines),
		cmocka_unit_test(test_json_lines),
		cmocka_unit_test(test_levels),
		cmocka_unit_test(test_log_error),
		cmocka_unit_test(test_journal_prefix),
		cmocka_unit_test(test_redact),
	};
	int rc;

	unsetenv("JOURNAL_STREAM");
	rc = cmocka_run_group_tests_name("log", tests, NULL, NULL);
	free(logged);
	return rc;
}
