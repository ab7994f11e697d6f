/*
 * test_cli.c — common/cli.c: every common option, bad values (exit 64 with a
 * message naming the option), --help and --version on stdout, positional
 * argument bounds, a program's own options through its handler, and
 * vigil_cli_setup's configuration overrides and --print-config.
 *
 * stdout and stderr are captured by pointing fds 1 and 2 at temporary files.
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

#include "cli.h"
#include "log.h"
#include "util.h"

/* --- capturing fds 1 and 2 --- */

static int saved_fd[3] = {-1, -1, -1};
static char cap_path[3][64];
static char *cap_text[3];

static void
capture_start(void)
{
	fflush(stdout);
	fflush(stderr);
	for (int fd = 1; fd <= 2; fd++) {
		snprintf(cap_path[fd], sizeof(cap_path[fd]), "/tmp/vigil-test-cli.%d.XXXXXX", fd);
		int tmp = mkstemp(cap_path[fd]);

		assert_true(tmp >= 0);
		saved_fd[fd] = dup(fd);
		dup2(tmp, fd);
		close(tmp);
	}
}

static void
capture_end(void)
{
	fflush(stdout);
	fflush(stderr);
	for (int fd = 1; fd <= 2; fd++) {
		vigil_buf b = {0};
		vigil_error err = {0};

		dup2(saved_fd[fd], fd);
		close(saved_fd[fd]);
		assert_int_equal(vigil_read_file(cap_path[fd], &b, &err), 0);
		unlink(cap_path[fd]);
		free(cap_text[fd]);
		cap_text[fd] = b.data;
	}
}

#define OUT (cap_text[1])
#define ERR (cap_text[2])

/* --- a program with options of its own --- */

enum { OPT_CASE = 300, OPT_WORKERS };

typedef struct test_ctx {
	const char *case_id;
	const char *output;
	int workers;
	int calls;
} test_ctx;

static const vigil_option prog_options[] = {
	{"case", required_argument, OPT_CASE, "UUID", "the audit case to export"},
	{"output", required_argument, 'o', "FILE", "where to write the package"},
	{"workers", required_argument, OPT_WORKERS, "N", "worker connections"},
	{NULL, 0, 0, NULL, NULL},
};

static int
handle(int val, const char *arg, void *ctx, vigil_error *err)
{
	test_ctx *c = ctx;

	c->calls++;
	switch (val) {
	case OPT_CASE:
		if (strlen(arg) != 36)
			return vigil_error_set(err, VIGIL_EXIT_USAGE, "invalid --case \"%s\": expected a UUID", arg);
		c->case_id = arg;
		return 0;
	case 'o':
		c->output = arg;
		return 0;
	case OPT_WORKERS:
		c->workers = atoi(arg);
		return 0;
	}
	return vigil_error_set(err, VIGIL_EXIT_SOFTWARE, "unexpected option %d", val);
}

static test_ctx ctx;

static vigil_program prog = {
	.name = "vigil-test",
	.synopsis = "[OPTION]... [FILE]...",
	.summary = "Tests the command line.",
	.example = "  # export a case\n  vigil-test --case 0b6f7c43-0000-4000-8000-000000000001\n",
	.options = prog_options,
	.handle = handle,
	.ctx = &ctx,
	.min_args = 0,
	.max_args = 2,
};

/* Parses the NULL-terminated words as argv (argv[0] = the program name). */
static int
parse_words(const vigil_program *p, vigil_opts *opts, const char *const *words)
{
	static char *argv[32];
	int argc = 0;
	int rc;

	memset(&ctx, 0, sizeof(ctx));
	argv[argc++] = (char *) p->name;
	for (; *words; words++)
		argv[argc++] = (char *) *words;
	argv[argc] = NULL;
	capture_start();
	rc = vigil_cli_parse(p, argc, argv, opts);
	capture_end();
	return rc;
}

#define PARSE(opts, ...) parse_words(&prog, (opts), (const char *const[]) {__VA_ARGS__, NULL})
#define PARSE_NONE(opts) parse_words(&prog, (opts), (const char *const[]) {NULL})

static void
test_defaults(void **state)
{
	vigil_opts o;

	(void) state;
	assert_int_equal(PARSE_NONE(&o), -1);
	assert_null(o.config_path);
	assert_null(o.conninfo);
	assert_null(o.as_of_text);
	assert_false(o.dry_run);
	assert_int_equal(o.batch_size, 0);
	assert_int_equal(o.workers, 0);
	assert_int_equal(o.log_format, -1);
	assert_int_equal(o.verbosity, 0);
	assert_false(o.print_config);
	assert_int_equal(o.nargs, 0);
	assert_string_equal(OUT, "");
	assert_string_equal(ERR, "");
}

static void
test_common_options(void **state)
{
	vigil_opts o;

	(void) state;
	assert_int_equal(PARSE(&o, "-c", "/etc/x.conf", "-d", "dbname=a", "--as-of", "2026-06-01T02:00:00+02:00",
						   "--dry-run", "--batch-size", "250", "--log-format", "json", "--print-config",
						   "-v", "-v", "-q", "-v"), -1);
	assert_string_equal(o.config_path, "/etc/x.conf");
	assert_string_equal(o.conninfo, "dbname=a");
	assert_string_equal(o.as_of_text, "2026-06-01T02:00:00+02:00");
	assert_true(o.as_of_us == INT64_C(1780272000000000));
	assert_true(o.dry_run);
	assert_int_equal(o.batch_size, 250);
	assert_int_equal(o.log_format, VIGIL_LOG_JSON);
	assert_true(o.print_config);
	assert_int_equal(o.verbosity, 2);
	assert_string_equal(ERR, "");

	/* long forms, with '=' */
	assert_int_equal(PARSE(&o, "--config=/c.conf", "--db=host=/tmp dbname=b", "--as-of=2026-06-01",
						   "--batch-size=1", "--log-format=text", "--verbose", "--quiet", "--quiet"), -1);
	assert_string_equal(o.config_path, "/c.conf");
	assert_string_equal(o.conninfo, "host=/tmp dbname=b");
	assert_true(o.as_of_us == INT64_C(1780272000000000));
	assert_int_equal(o.batch_size, 1);
	assert_int_equal(o.log_format, VIGIL_LOG_TEXT);
	assert_int_equal(o.verbosity, -1);
	assert_false(o.dry_run);

	/* attached short arguments and bundles */
	assert_int_equal(PARSE(&o, "-c/x.conf", "-ddbname=z", "-vq", "--batch-size", "10000000"), -1);
	assert_string_equal(o.config_path, "/x.conf");
	assert_string_equal(o.conninfo, "dbname=z");
	assert_int_equal(o.verbosity, 0);
	assert_int_equal(o.batch_size, 10000000);
}

static void
test_positional_args(void **state)
{
	vigil_opts o;

	(void) state;
	/* options and arguments may be mixed */
	assert_int_equal(PARSE(&o, "a.sql", "-q", "b.sql"), -1);
	assert_int_equal(o.nargs, 2);
	assert_string_equal(o.args[0], "a.sql");
	assert_string_equal(o.args[1], "b.sql");
	assert_int_equal(o.verbosity, -1);
	/* "--" ends the options */
	assert_int_equal(PARSE(&o, "--", "-q"), -1);
	assert_int_equal(o.nargs, 1);
	assert_string_equal(o.args[0], "-q");
	assert_int_equal(o.verbosity, 0);

	assert_int_equal(PARSE(&o, "a", "b", "c"), 64);
	assert_string_equal(ERR, "vigil-test: unexpected argument \"c\"\n"
							 "Try \"vigil-test --help\" for more information.\n");
	assert_string_equal(OUT, "");

	vigil_program p = prog;
	p.min_args = 1;
	p.max_args = -1;   /* no upper bound */
	assert_int_equal(parse_words(&p, &o, (const char *const[]) {"-v", NULL}), 64);
	assert_string_equal(ERR, "vigil-test: missing argument\nTry \"vigil-test --help\" for more information.\n");
	assert_int_equal(parse_words(&p, &o, (const char *const[]) {"1", "2", "3", "4", "5", NULL}), -1);
	assert_int_equal(o.nargs, 5);
	assert_string_equal(o.args[4], "5");

	p.max_args = 0;
	p.min_args = 0;
	assert_int_equal(parse_words(&p, &o, (const char *const[]) {"up", NULL}), 64);
	assert_non_null(strstr(ERR, "unexpected argument \"up\""));
}

/* Expects exit 64 and a stderr whose first line is exactly want. */
static void
usage_error(const char *want, const char *const *words)
{
	vigil_opts o;
	int rc = parse_words(&prog, &o, words);
	char line[512];

	if (rc != 64)
		fail_msg("%s ...: exit %d, want 64 (stderr: %s)", words[0], rc, ERR);
	snprintf(line, sizeof(line), "%s\nTry \"vigil-test --help\" for more information.\n", want);
	assert_string_equal(ERR, line);
	assert_string_equal(OUT, "");
}

#define USAGE_ERROR(want, ...) usage_error((want), (const char *const[]) {__VA_ARGS__, NULL})

static void
test_bad_values(void **state)
{
	(void) state;
	USAGE_ERROR("vigil-test: invalid --as-of \"yesterday\": expected ISO 8601 such as 2026-11-22T02:00:00Z",
				"--as-of", "yesterday");
	USAGE_ERROR("vigil-test: invalid --as-of \"2026-02-30\": expected ISO 8601 such as 2026-11-22T02:00:00Z",
				"--as-of=2026-02-30");
	USAGE_ERROR("vigil-test: invalid --as-of \"\": expected ISO 8601 such as 2026-11-22T02:00:00Z",
				"--as-of", "");
	USAGE_ERROR("vigil-test: invalid --batch-size \"0\": expected a number from 1 to 10000000",
				"--batch-size", "0");
	USAGE_ERROR("vigil-test: invalid --batch-size \"-5\": expected a number from 1 to 10000000",
				"--batch-size=-5");
	USAGE_ERROR("vigil-test: invalid --batch-size \"10000001\": expected a number from 1 to 10000000",
				"--batch-size", "10000001");
	USAGE_ERROR("vigil-test: invalid --batch-size \"12abc\": expected a number from 1 to 10000000",
				"--batch-size", "12abc");
	USAGE_ERROR("vigil-test: invalid --batch-size \"\": expected a number from 1 to 10000000",
				"--batch-size", "");
	USAGE_ERROR("vigil-test: invalid --batch-size \"99999999999999999999\": expected a number from 1 to 10000000",
				"--batch-size", "99999999999999999999");
	USAGE_ERROR("vigil-test: invalid --log-format \"xml\": expected text or json", "--log-format", "xml");
	USAGE_ERROR("vigil-test: invalid --log-format \"JSON\": expected text or json", "--log-format=JSON");
	USAGE_ERROR("vigil-test: unrecognized option '--no-such-option'", "--no-such-option");
	USAGE_ERROR("vigil-test: unrecognized option '--no-such=1'", "-v", "--no-such=1");
	USAGE_ERROR("vigil-test: option '--as-of' requires an argument", "--as-of");
	USAGE_ERROR("vigil-test: option '--config' requires an argument", "--config");
	USAGE_ERROR("vigil-test: option '--dry-run' doesn't allow an argument", "--dry-run=yes");
	USAGE_ERROR("vigil-test: option requires an argument -- 'c'", "-c");
	USAGE_ERROR("vigil-test: option requires an argument -- 'o'", "-o");
	USAGE_ERROR("vigil-test: invalid option -- 'x'", "-x");
	USAGE_ERROR("vigil-test: invalid option -- 'x'", "--dry-run", "-vx");
	/* the program's handler rejects a value */
	USAGE_ERROR("vigil-test: invalid --case \"42\": expected a UUID", "--case", "42");
}

static void
test_program_options(void **state)
{
	vigil_opts o;

	(void) state;
	assert_int_equal(PARSE(&o, "--case", "0b6f7c43-0000-4000-8000-000000000001", "-o", "out.zip",
						   "--workers=3", "--dry-run", "file1"), -1);
	assert_string_equal(ctx.case_id, "0b6f7c43-0000-4000-8000-000000000001");
	assert_string_equal(ctx.output, "out.zip");
	assert_int_equal(ctx.workers, 3);
	assert_int_equal(ctx.calls, 3);
	assert_true(o.dry_run);
	assert_int_equal(o.nargs, 1);
	assert_string_equal(o.args[0], "file1");
	/* a long option's unambiguous prefix works as in getopt */
	assert_int_equal(PARSE(&o, "--out", "x.zip"), -1);
	assert_string_equal(ctx.output, "x.zip");

	/* a program without a handler cannot be given its own options */
	vigil_program p = prog;
	p.handle = NULL;
	assert_int_equal(parse_words(&p, &o, (const char *const[]) {"-o", "x", NULL}), 64);
	assert_non_null(strstr(ERR, "vigil-test: "));
}

static void
test_help(void **state)
{
	vigil_opts o;

	(void) state;
	assert_int_equal(PARSE(&o, "--help"), 0);
	assert_string_equal(ERR, "");
	assert_true(strncmp(OUT, "Tests the command line.\n\nUsage:\n  vigil-test [OPTION]... [FILE]...\n", 64) == 0);
	assert_non_null(strstr(OUT, "\nOptions:\n"));
	assert_non_null(strstr(OUT, "\n      --case=UUID             the audit case to export\n"));
	assert_non_null(strstr(OUT, "  -o, --output FILE"));
	assert_non_null(strstr(OUT, "the audit case to export"));
	assert_non_null(strstr(OUT, "\nCommon options:\n"));
	static const char *const common[] = {
		"-c, --config FILE", "-d, --db CONNINFO", "--as-of=TIMESTAMP", "--dry-run",
		"--batch-size=N", "--log-format=text|json", "--print-config", "-v, --verbose",
		"-q, --quiet", "--help", "--version",
	};
	for (size_t i = 0; i < sizeof(common) / sizeof(common[0]); i++)
		if (strstr(OUT, common[i]) == NULL)
			fail_msg("--help does not show %s:\n%s", common[i], OUT);
	assert_non_null(strstr(OUT, "\nExit status:\n"));
	assert_non_null(strstr(OUT, "75 locked by another run or interrupted"));
	assert_non_null(strstr(OUT, "\nExample:\n  # export a case\n  vigil-test --case "));
	/* long-only options line up with the long names of the others */
	assert_non_null(strstr(OUT, "\n  -c, --config FILE "));
	assert_non_null(strstr(OUT, "\n      --dry-run "));

	/* --help wins even after other options, and stops parsing */
	assert_int_equal(PARSE(&o, "-v", "--help", "--no-such-option"), 0);
	assert_non_null(strstr(OUT, "Usage:"));

	/* a program without a database hides the database options */
	vigil_program p = prog;
	p.no_database = true;
	assert_int_equal(parse_words(&p, &o, (const char *const[]) {"--help", NULL}), 0);
	assert_null(strstr(OUT, "--db"));
	assert_null(strstr(OUT, "--as-of"));
	assert_null(strstr(OUT, "--dry-run"));
	assert_null(strstr(OUT, "--batch-size"));
	assert_non_null(strstr(OUT, "--config"));
	assert_int_equal(parse_words(&p, &o, (const char *const[]) {"-d", "dbname=x", NULL}), 64);
	assert_int_equal(parse_words(&p, &o, (const char *const[]) {"--dry-run", NULL}), 64);
	assert_non_null(strstr(ERR, "unrecognized option '--dry-run'"));
}

static void
test_version(void **state)
{
	vigil_opts o;

	(void) state;
	assert_int_equal(PARSE(&o, "--version"), 0);
	assert_string_equal(OUT, "vigil-test " VIGIL_VERSION "\n");
	assert_string_equal(ERR, "");
}

static void
test_usage_error(void **state)
{
	(void) state;
	capture_start();
	int rc = vigil_cli_usage_error(&prog, "cannot combine %s and %s", "--full", "--queue");
	capture_end();
	assert_int_equal(rc, 64);
	assert_string_equal(ERR, "vigil-test: cannot combine --full and --queue\n"
							 "Try \"vigil-test --help\" for more information.\n");
	assert_string_equal(OUT, "");
}

static char *
write_temp(const char *text)
{
	char *path = vigil_strdup("/tmp/vigil-test-cli-conf.XXXXXX");
	int fd = mkstemp(path);
	size_t len = strlen(text);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t) len);
	close(fd);
	return path;
}

static void
test_setup(void **state)
{
	vigil_opts o;
	vigil_config cfg;
	char *path = write_temp("log: { format = \"json\"; level = \"warning\"; };\n"
							"jobs: { batch_size = 77; workers = 2; };\n");
	int rc;

	(void) state;
	/* the file's values, and the command line over them */
	assert_int_equal(PARSE(&o, "-c", path), -1);
	capture_start();
	rc = vigil_cli_setup(&prog, &o, &cfg);
	capture_end();
	assert_int_equal(rc, -1);
	assert_int_equal(cfg.jobs.batch_size, 77);
	assert_int_equal(cfg.jobs.workers, 2);
	assert_int_equal(o.log_format, VIGIL_LOG_JSON);
	vigil_config_free(&cfg);

	assert_int_equal(PARSE(&o, "-c", path, "--batch-size", "5", "--log-format", "text"), -1);
	o.workers = 9;   /* programs with --workers set it in their handler */
	capture_start();
	rc = vigil_cli_setup(&prog, &o, &cfg);
	capture_end();
	assert_int_equal(rc, -1);
	assert_int_equal(cfg.jobs.batch_size, 5);
	assert_int_equal(cfg.jobs.workers, 9);
	assert_int_equal(o.log_format, VIGIL_LOG_TEXT);
	vigil_config_free(&cfg);

	/* --print-config prints the effective configuration and says stop (0) */
	assert_int_equal(PARSE(&o, "-c", path, "--print-config", "--batch-size", "12"), -1);
	capture_start();
	rc = vigil_cli_setup(&prog, &o, &cfg);
	capture_end();
	assert_int_equal(rc, 0);
	assert_non_null(strstr(OUT, "batch_size = 12;"));
	assert_non_null(strstr(OUT, "workers = 2;"));
	assert_non_null(strstr(OUT, path));
	vigil_config_free(&cfg);

	/* configuration errors are logged and returned */
	assert_int_equal(PARSE(&o, "-c", "/nonexistent/vigil.conf"), -1);
	capture_start();
	rc = vigil_cli_setup(&prog, &o, &cfg);
	capture_end();
	assert_int_equal(rc, 66);
	assert_non_null(strstr(ERR, " error vigil-test cannot open configuration file /nonexistent/vigil.conf: "));
	assert_non_null(strstr(ERR, " error vigil-test hint: "));
	assert_string_equal(OUT, "");
	vigil_config_free(&cfg);

	unlink(path);
	free(path);
	path = write_temp("jobs: { batch_sise = 1; };\n");
	assert_int_equal(PARSE(&o, "-c", path, "--log-format", "json"), -1);
	capture_start();
	rc = vigil_cli_setup(&prog, &o, &cfg);
	capture_end();
	assert_int_equal(rc, 78);
	assert_non_null(strstr(ERR, "\"level\":\"error\",\"prog\":\"vigil-test\",\"msg\":\""));
	assert_non_null(strstr(ERR, ":1: jobs.batch_sise: unknown setting\"}\n"));
	vigil_config_free(&cfg);
	unlink(path);
	free(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_common_options),
		cmocka_unit_test(test_positional_args),
		cmocka_unit_test(test_bad_values),
		cmocka_unit_test(test_program_options),
		cmocka_unit_test(test_help),
		cmocka_unit_test(test_version),
		cmocka_unit_test(test_usage_error),
		cmocka_unit_test(test_setup),
	};
	int rc;

	unsetenv("VIGIL_CONFIG");
	unsetenv("JOURNAL_STREAM");
	unsetenv("POSIXLY_CORRECT");
	rc = cmocka_run_group_tests_name("cli", tests, NULL, NULL);
	free(cap_text[1]);
	free(cap_text[2]);
	return rc;
}
