/*
 * test_fuzz_regressions.c — every seed of the fuzz corpora, among them the
 * reproducers of what fuzzing found (tests/fuzz/corpus/TARGET/regress-*),
 * run through the fuzz targets' own checks: the configuration loader, the
 * migration linter and the CSV writer (tests/fuzz/fuzz_*.c, compiled in
 * here under other names). A broken check aborts with a message naming it;
 * built with SANITIZE=1, ASan and UBSan watch the same inputs, so a crash
 * fuzzing found stays found without clang or libFuzzer.
 *
 * Found so far:
 *  - a role name with a control character or a ']' in
 *    jobs.escalate.default_policy was printed by vigil_config_print as text
 *    that loads back to another name (regress-role-*.conf);
 *  - `@include "/"` made libconfig's scanner exit(2) from inside the loader
 *    ("input in flex scanner failed"): includes are now refused with 78
 *    (regress-include-*.conf).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <glob.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

#define LLVMFuzzerTestOneInput fuzz_config_one
#include "../fuzz/fuzz_config.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_sqllint_one
#include "../fuzz/fuzz_sqllint.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_csv_one
#include "../fuzz/fuzz_csv.c"
#undef LLVMFuzzerTestOneInput

/* Under SANITIZE=1: the leak inside libconfig 1.5 that is not vigil's, as
 * tests/fuzz/lsan.supp explains (LeakSanitizer calls this when present). */
const char *__lsan_default_suppressions(void);
const char *
__lsan_default_suppressions(void)
{
	return "leak:strbuf_append\nleak:libconfig_yylex\n";
}

const char *__lsan_default_options(void);
const char *
__lsan_default_options(void)
{
	return "print_suppressions=0";
}

/* The input being run, named when a check aborts. */
static const char *current_input;

static void
on_abort(int sig)
{
	if (current_input) {
		(void) !write(2, "input: ", 7);
		(void) !write(2, current_input, strlen(current_input));
		(void) !write(2, "\n", 1);
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Runs one() on every file of tests/fuzz/corpus/target; returns how many. */
static size_t
run_corpus(const char *target, int (*one)(const uint8_t *, size_t))
{
	char pattern[256];
	glob_t g;
	size_t n = 0;

	snprintf(pattern, sizeof(pattern), "../fuzz/corpus/%s/*", target);
	assert_int_equal(glob(pattern, 0, NULL, &g), 0);
	for (size_t i = 0; i < g.gl_pathc; i++) {
		vigil_buf data = {0};
		vigil_error err = {0};

		if (vigil_read_file(g.gl_pathv[i], &data, &err) != 0)
			fail_msg("%s", err.msg);
		current_input = g.gl_pathv[i];
		assert_int_equal(one((const uint8_t *) data.data, data.len), 0);
		current_input = NULL;
		vigil_buf_free(&data);
		n++;
	}
	globfree(&g);
	return n;
}

/* Counts the files of the corpus whose name starts with "regress-". */
static size_t
count_regressions(const char *target)
{
	char pattern[256];
	glob_t g;
	size_t n;

	snprintf(pattern, sizeof(pattern), "../fuzz/corpus/%s/regress-*", target);
	if (glob(pattern, 0, NULL, &g) != 0)
		return 0;
	n = g.gl_pathc;
	globfree(&g);
	return n;
}

static void
test_config_corpus(void **state)
{
	(void) state;
	assert_true(run_corpus("config", fuzz_config_one) >= 10);
	assert_true(count_regressions("config") >= 4);
}

/* The reproducer written out, so the test fails here even if the corpus
 * file goes: the role names must come back through vigil_config_print. */
static void
test_config_policy_roles_print_back(void **state)
{
	static const char text[] =
		"jobs: { escalate: { default_policy = ( { level = 1; threshold_minutes_past_deadline = 0;\n"
		"  recipients_role = [ \"a]b\", \"ff\\x0cx\", \"q\\\"u\\\\\", \"tab\\there\" ];\n"
		"  new_deadline_minutes_from_now = 5; } ); }; };\n";
	vigil_config cfg, again;
	vigil_error err = {0};
	char *printed = NULL;
	size_t len = 0;
	FILE *mem;

	(void) state;
	assert_int_equal(vigil_config_load_string(&cfg, text, "t.conf", &err), 0);
	mem = open_memstream(&printed, &len);
	assert_non_null(mem);
	vigil_config_print(&cfg, mem);
	fclose(mem);
	if (vigil_config_load_string(&again, printed, "printed", &err) != 0)
		fail_msg("%s\n%s", err.msg, printed);
	assert_string_equal(again.escalate.default_policy_json, cfg.escalate.default_policy_json);
	assert_non_null(strstr(cfg.escalate.default_policy_json,
						   "[\"a]b\", \"ff\\u000cx\", \"q\\\"u\\\\\", \"tab\\there\"]"));
	vigil_config_free(&again);
	vigil_config_free(&cfg);
	free(printed);
}

/* An @include line is refused, from a string and from a file, before
 * libconfig can try to read a directory. */
static void
test_config_include_refused(void **state)
{
	char path[] = "/tmp/vigil-test-include-XXXXXX";
	vigil_config cfg;
	vigil_error err = {0};
	int fd;

	(void) state;
	assert_int_equal(vigil_config_load_string(&cfg, "log: { level = \"info\"; };\n  @include \"/\"\n",
											  "t.conf", &err), VIGIL_EXIT_CONFIG);
	assert_string_equal(err.msg, "t.conf:2: @include is not supported");
	assert_string_equal(cfg.log.level, "info");
	vigil_config_free(&cfg);

	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "@include \"/tmp\"\n", 16), 16);
	close(fd);
	assert_int_equal(vigil_config_load(&cfg, path, &err), VIGIL_EXIT_CONFIG);
	unlink(path);
	assert_non_null(strstr(err.msg, ":1: @include is not supported"));
	vigil_config_free(&cfg);

	/* the same text inside a string value is a value */
	assert_int_equal(vigil_config_load_string(&cfg, "metrics: { textfile_dir = \"@include \\\"x\\\"\"; };",
											  "t.conf", &err), 0);
	assert_string_equal(cfg.metrics.textfile_dir, "@include \"x\"");
	vigil_config_free(&cfg);
}

static void
test_sqllint_corpus(void **state)
{
	(void) state;
	assert_true(run_corpus("sqllint", fuzz_sqllint_one) >= 10);
}

static void
test_csv_corpus(void **state)
{
	(void) state;
	assert_true(run_corpus("csv", fuzz_csv_one) >= 4);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_corpus),
		cmocka_unit_test(test_config_policy_roles_print_back),
		cmocka_unit_test(test_config_include_refused),
		cmocka_unit_test(test_sqllint_corpus),
		cmocka_unit_test(test_csv_corpus),
	};

	signal(SIGABRT, on_abort);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
