/*
 * test_config.c — common/config.c: defaults, a complete file, every kind of
 * error with its file:line message and exit code, the escalation policy's
 * validation, --print-config output that loads back to the same values, and
 * the shipped config/vigil.conf being exactly the defaults.
 *
 * Runs with the current directory tests/unit (make unit-test does that).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "util.h"

#define SHIPPED_CONF "../../config/vigil.conf"

/* Every setting, none at its default. */
static const char full_conf[] =
	"# a complete configuration\n"
	"database:\n"
	"{\n"
	"  conninfo = \"host=/run/postgresql dbname=vigil user=vigil_jobs\";\n"
	"  connect_timeout_s = 7;\n"
	"  statement_timeout_ms = 60000;\n"
	"  lock_timeout_ms = 1500;\n"
	"};\n"
	"log: { format = \"json\"; level = \"warning\"; };\n"
	"metrics: { textfile_dir = \"/var/lib/node_exporter\"; };\n"
	"jobs:\n"
	"{\n"
	"  batch_size = 250;\n"
	"  workers = 4;\n"
	"  expire: { warn_days = [ 60, 14, 3, 1 ]; };\n"
	"  enforce: { };\n"
	"  escalate:\n"
	"  {\n"
	"    default_policy = (\n"
	"      { level = 1; threshold_minutes_past_deadline = 10;\n"
	"        recipients_role = [ \"site_coordinator\", \"safety_officer\" ];\n"
	"        new_deadline_minutes_from_now = 120; },\n"
	"      { level = 2; threshold_minutes_past_deadline = 600;\n"
	"        recipients_role = [ \"org_admin\" ]; new_deadline_minutes_from_now = 60; }\n"
	"    );\n"
	"  };\n"
	"  retain: { lock_timeout_ms = 750; };\n"
	"  export: { media_root = \"/srv/media\"; output_dir = \"/srv/exports\";\n"
	"            signing_key = \"/etc/vigil/signing.pem\"; };\n"
	"  verify: { trusted_keys = [ \"/etc/vigil/a.pub\", \"/etc/vigil/b.pub\" ]; };\n"
	"};\n";

static const char full_policy_json[] =
	"[{\"level\": 1, \"threshold_minutes_past_deadline\": 10, "
	"\"recipients_role\": [\"site_coordinator\", \"safety_officer\"], "
	"\"new_deadline_minutes_from_now\": 120}, "
	"{\"level\": 2, \"threshold_minutes_past_deadline\": 600, "
	"\"recipients_role\": [\"org_admin\"], \"new_deadline_minutes_from_now\": 60}]";

static const char default_policy_json[] =
	"[{\"level\": 1, \"threshold_minutes_past_deadline\": 0, "
	"\"recipients_role\": [\"site_coordinator\"], \"new_deadline_minutes_from_now\": 1440}, "
	"{\"level\": 2, \"threshold_minutes_past_deadline\": 480, "
	"\"recipients_role\": [\"project_manager\"], \"new_deadline_minutes_from_now\": 960}, "
	"{\"level\": 3, \"threshold_minutes_past_deadline\": 960, "
	"\"recipients_role\": [\"org_admin\"], \"new_deadline_minutes_from_now\": 480}]";

/* Asserts that two configurations hold the same values (path aside). */
static void
assert_config_equal(const vigil_config *a, const vigil_config *b)
{
	assert_string_equal(a->database.conninfo, b->database.conninfo);
	assert_int_equal(a->database.connect_timeout_s, b->database.connect_timeout_s);
	assert_int_equal(a->database.statement_timeout_ms, b->database.statement_timeout_ms);
	assert_int_equal(a->database.lock_timeout_ms, b->database.lock_timeout_ms);
	assert_string_equal(a->log.format, b->log.format);
	assert_string_equal(a->log.level, b->log.level);
	assert_string_equal(a->metrics.textfile_dir, b->metrics.textfile_dir);
	assert_int_equal(a->jobs.batch_size, b->jobs.batch_size);
	assert_int_equal(a->jobs.workers, b->jobs.workers);
	assert_int_equal(a->expire.n_warn_days, b->expire.n_warn_days);
	for (int i = 0; i < a->expire.n_warn_days; i++)
		assert_int_equal(a->expire.warn_days[i], b->expire.warn_days[i]);
	assert_string_equal(a->escalate.default_policy_json, b->escalate.default_policy_json);
	assert_int_equal(a->retain.lock_timeout_ms, b->retain.lock_timeout_ms);
	assert_string_equal(a->export_.media_root, b->export_.media_root);
	assert_string_equal(a->export_.output_dir, b->export_.output_dir);
	assert_string_equal(a->export_.signing_key, b->export_.signing_key);
	assert_int_equal(a->verify.n_trusted_keys, b->verify.n_trusted_keys);
	for (int i = 0; i < a->verify.n_trusted_keys; i++)
		assert_string_equal(a->verify.trusted_keys[i], b->verify.trusted_keys[i]);
}

/* Loads text as "t.conf" and expects failure with exactly message msg. */
static void
load_fails(const char *text, int code, const char *msg)
{
	vigil_config cfg, def;
	vigil_error err = {0};
	int rc = vigil_config_load_string(&cfg, text, "t.conf", &err);

	if (rc != code || strcmp(err.msg, msg) != 0)
		fail_msg("config\n%s\ngave %d \"%s\", want %d \"%s\"", text, rc, err.msg, code, msg);
	assert_int_equal(err.code, code);
	/* even after an error cfg holds a valid configuration: the defaults */
	vigil_config_defaults(&def);
	assert_config_equal(&cfg, &def);
	vigil_config_free(&def);
	vigil_config_free(&cfg);
}

static void
load_ok(const char *text, vigil_config *cfg)
{
	vigil_error err = {0};

	if (vigil_config_load_string(cfg, text, "t.conf", &err) != 0)
		fail_msg("config\n%s\nfailed: %s", text, err.msg);
}

static char *
write_temp(const char *text)
{
	char *path = vigil_strdup("/tmp/vigil-test-config.XXXXXX");
	int fd = mkstemp(path);
	size_t len = strlen(text);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t) len);
	close(fd);
	return path;
}

static void
test_defaults(void **state)
{
	vigil_config cfg;

	(void) state;
	vigil_config_defaults(&cfg);
	assert_null(cfg.path);
	assert_string_equal(cfg.database.conninfo, "");
	assert_int_equal(cfg.database.connect_timeout_s, 30);
	assert_int_equal(cfg.database.statement_timeout_ms, 0);
	assert_int_equal(cfg.database.lock_timeout_ms, 5000);
	assert_string_equal(cfg.log.format, "text");
	assert_string_equal(cfg.log.level, "info");
	assert_string_equal(cfg.metrics.textfile_dir, "");
	assert_int_equal(cfg.jobs.batch_size, 5000);
	assert_int_equal(cfg.jobs.workers, 1);
	assert_int_equal(cfg.expire.n_warn_days, 3);
	assert_int_equal(cfg.expire.warn_days[0], 30);
	assert_int_equal(cfg.expire.warn_days[1], 7);
	assert_int_equal(cfg.expire.warn_days[2], 1);
	assert_string_equal(cfg.escalate.default_policy_json, default_policy_json);
	assert_int_equal(cfg.retain.lock_timeout_ms, 2000);
	assert_string_equal(cfg.export_.media_root, "");
	assert_string_equal(cfg.export_.output_dir, ".");
	assert_string_equal(cfg.export_.signing_key, "");
	assert_int_equal(cfg.verify.n_trusted_keys, 0);
	vigil_config_free(&cfg);

	/* an empty file is the defaults too */
	vigil_config def;
	vigil_config_defaults(&def);
	load_ok("", &cfg);
	assert_config_equal(&cfg, &def);
	vigil_config_free(&cfg);
	load_ok("# only a comment\n", &cfg);
	assert_config_equal(&cfg, &def);
	vigil_config_free(&cfg);
	vigil_config_free(&def);
}

static void
test_full_file(void **state)
{
	vigil_config cfg;
	vigil_error err = {0};
	char *path = write_temp(full_conf);

	(void) state;
	assert_int_equal(vigil_config_load(&cfg, path, &err), 0);
	assert_string_equal(cfg.path, path);
	assert_string_equal(cfg.database.conninfo, "host=/run/postgresql dbname=vigil user=vigil_jobs");
	assert_int_equal(cfg.database.connect_timeout_s, 7);
	assert_int_equal(cfg.database.statement_timeout_ms, 60000);
	assert_int_equal(cfg.database.lock_timeout_ms, 1500);
	assert_string_equal(cfg.log.format, "json");
	assert_string_equal(cfg.log.level, "warning");
	assert_string_equal(cfg.metrics.textfile_dir, "/var/lib/node_exporter");
	assert_int_equal(cfg.jobs.batch_size, 250);
	assert_int_equal(cfg.jobs.workers, 4);
	assert_int_equal(cfg.expire.n_warn_days, 4);
	assert_int_equal(cfg.expire.warn_days[0], 60);
	assert_int_equal(cfg.expire.warn_days[3], 1);
	assert_string_equal(cfg.escalate.default_policy_json, full_policy_json);
	assert_int_equal(cfg.retain.lock_timeout_ms, 750);
	assert_string_equal(cfg.export_.media_root, "/srv/media");
	assert_string_equal(cfg.export_.output_dir, "/srv/exports");
	assert_string_equal(cfg.export_.signing_key, "/etc/vigil/signing.pem");
	assert_int_equal(cfg.verify.n_trusted_keys, 2);
	assert_string_equal(cfg.verify.trusted_keys[0], "/etc/vigil/a.pub");
	assert_string_equal(cfg.verify.trusted_keys[1], "/etc/vigil/b.pub");
	vigil_config_free(&cfg);

	/* $VIGIL_CONFIG names the file when no path is given */
	setenv("VIGIL_CONFIG", path, 1);
	assert_int_equal(vigil_config_load(&cfg, NULL, &err), 0);
	assert_string_equal(cfg.path, path);
	assert_int_equal(cfg.jobs.workers, 4);
	vigil_config_free(&cfg);
	unsetenv("VIGIL_CONFIG");
	unlink(path);
	free(path);
}

static void
test_missing_file(void **state)
{
	vigil_config cfg;
	vigil_error err = {0};

	(void) state;
	assert_int_equal(vigil_config_load(&cfg, "/nonexistent/vigil.conf", &err), 66);
	assert_string_equal(err.msg, "cannot open configuration file /nonexistent/vigil.conf: No such file or directory");
	assert_true(err.hint[0] != '\0');
	assert_string_equal(cfg.log.format, "text");
	vigil_config_free(&cfg);

	setenv("VIGIL_CONFIG", "/nonexistent/env.conf", 1);
	assert_int_equal(vigil_config_load(&cfg, NULL, &err), 66);
	assert_non_null(strstr(err.msg, "/nonexistent/env.conf"));
	vigil_config_free(&cfg);
	unsetenv("VIGIL_CONFIG");

	/* a directory is not a configuration file */
	assert_int_equal(vigil_config_load(&cfg, "/", &err), 78);
	vigil_config_free(&cfg);
}

static void
test_unknown_key(void **state)
{
	(void) state;
	load_fails("database:\n{\n  conninfo = \"\";\n  colour = 1;\n};\n", 78,
			   "t.conf:4: database.colour: unknown setting");
	load_fails("\n\nverbose = true;\n", 78, "t.conf:3: verbose: unknown setting");
	load_fails("jobs: { expire: { warn_day = [ 1 ]; }; };\n", 78,
			   "t.conf:1: jobs.expire.warn_day: unknown setting");
	load_fails("jobs:\n{\n  nightly:\n  {\n  };\n};\n", 78, "t.conf:3: jobs.nightly: unknown setting");

	/* the same from a file: the file's name and line */
	vigil_config cfg;
	vigil_error err = {0};
	char *path = write_temp("log:\n{\n  format = \"text\";\n  colour = \"auto\";\n};\n");
	char want[512];

	assert_int_equal(vigil_config_load(&cfg, path, &err), 78);
	snprintf(want, sizeof(want), "%s:4: log.colour: unknown setting", path);
	assert_string_equal(err.msg, want);
	assert_null(cfg.path);
	vigil_config_free(&cfg);
	unlink(path);
	free(path);
}

static void
test_wrong_type(void **state)
{
	(void) state;
	load_fails("jobs:\n{\n  batch_size = \"10\";\n};\n", 78, "t.conf:3: jobs.batch_size: expected an integer");
	load_fails("jobs: { batch_size = 10.5; };\n", 78, "t.conf:1: jobs.batch_size: expected an integer");
	load_fails("database: { conninfo = 5; };\n", 78, "t.conf:1: database.conninfo: expected a string");
	load_fails("database = \"host=x\";\n", 78, "t.conf:1: database: expected a group { ... }");
	load_fails("jobs: { expire: { warn_days = 30; }; };\n", 78,
			   "t.conf:1: jobs.expire.warn_days: expected an array of integers [ ... ]");
	load_fails("jobs: { expire: { warn_days = [ \"30\" ]; }; };\n", 78,
			   "t.conf:1: jobs.expire.warn_days: expected an array of integers [ ... ]");
	load_fails("jobs: { verify: { trusted_keys = [ 1 ]; }; };\n", 78,
			   "t.conf:1: jobs.verify.trusted_keys: expected an array of strings [ ... ]");
	load_fails("jobs: { escalate: { default_policy = [ 1 ]; }; };\n", 78,
			   "t.conf:1: jobs.escalate.default_policy: expected a list of level groups ( { ... }, ... )");
	load_fails("database: { lock_timeout_ms = -1; };\n", 78,
			   "t.conf:1: database.lock_timeout_ms: must be between 0 and 1000000000");
	load_fails("database: { connect_timeout_s = 1000000001; };\n", 78,
			   "t.conf:1: database.connect_timeout_s: must be between 0 and 1000000000");
	load_fails("log: { format = \"xml\"; };\n", 78, "t.conf:1: log.format: must be \"text\" or \"json\"");
	load_fails("log:\n{\n  level = \"loud\";\n};\n", 78,
			   "t.conf:3: log.level: must be \"debug\", \"info\", \"warning\" or \"error\"");
	load_fails("jobs: { batch_size = 0; };\n", 78, "t.conf:1: jobs.batch_size: must be at least 1");
	load_fails("jobs: { workers = 0; };\n", 78, "t.conf:1: jobs.workers: must be between 1 and 64");
	load_fails("jobs: { workers = 65; };\n", 78, "t.conf:1: jobs.workers: must be between 1 and 64");
	/* libconfig 1.5 would wrap these to 32 bits (4294967297 -> 1) */
	load_fails("# a comment 99999999999\njobs:\n{\n  batch_size = 4294967297;\n};\n", 78,
			   "t.conf:4: integer 4294967297 is out of range");
	load_fails("jobs: { batch_size = 0x100000001; };\n", 78, "t.conf:1: integer 0x100000001 is out of range");
	load_fails("database: { conninfo = \"port=99999999999\"; statement_timeout_ms = 99999999999999; };\n", 78,
			   "t.conf:1: integer 99999999999999 is out of range");

	vigil_config cfg;
	load_ok("jobs: { workers = 64; batch_size = 1; };\ndatabase: { connect_timeout_s = 0; };\n", &cfg);
	assert_int_equal(cfg.jobs.workers, 64);
	assert_int_equal(cfg.jobs.batch_size, 1);
	assert_int_equal(cfg.database.connect_timeout_s, 0);
	vigil_config_free(&cfg);
	/* 64-bit integer literals are integers too */
	load_ok("jobs: { batch_size = 100L; };\n", &cfg);
	assert_int_equal(cfg.jobs.batch_size, 100);
	vigil_config_free(&cfg);
}

static void
test_syntax_error(void **state)
{
	vigil_config cfg;
	vigil_error err = {0};

	(void) state;
	assert_int_equal(vigil_config_load_string(&cfg, "log:\n{\n  format = \"text\";\n  level = ;\n};\n",
											  "t.conf", &err), 78);
	/* the line of the bad value (a missing ';' is not an error in libconfig) */
	assert_string_equal(err.msg, "t.conf:4: syntax error: syntax error");
	vigil_config_free(&cfg);

	char *path = write_temp("jobs:\n{\n  batch_size = 5\n  workers 4;\n};\n");
	char want[512];
	assert_int_equal(vigil_config_load(&cfg, path, &err), 78);
	snprintf(want, sizeof(want), "%s:4: syntax error: syntax error", path);
	assert_string_equal(err.msg, want);
	vigil_config_free(&cfg);
	unlink(path);
	free(path);
}

static void
test_warn_days(void **state)
{
	vigil_config cfg;

	(void) state;
	load_ok("jobs: { expire: { warn_days = [ 3650, 1 ]; }; };\n", &cfg);
	assert_int_equal(cfg.expire.n_warn_days, 2);
	assert_int_equal(cfg.expire.warn_days[0], 3650);
	assert_int_equal(cfg.expire.warn_days[1], 1);
	vigil_config_free(&cfg);

	load_ok("jobs: { expire: { warn_days = [ ]; }; };\n", &cfg);
	assert_int_equal(cfg.expire.n_warn_days, 0);
	vigil_config_free(&cfg);

	load_ok("jobs: { expire: { warn_days = [ 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 ]; }; };\n", &cfg);
	assert_int_equal(cfg.expire.n_warn_days, 16);
	assert_int_equal(cfg.expire.warn_days[15], 16);
	vigil_config_free(&cfg);

	load_fails("jobs: { expire: { warn_days = [ 30, 0 ]; }; };\n", 78,
			   "t.conf:1: jobs.expire.warn_days: each horizon must be 1 to 3650 days");
	load_fails("jobs:\n{\n  expire:\n  {\n    warn_days = [ 3651 ];\n  };\n};\n", 78,
			   "t.conf:5: jobs.expire.warn_days: each horizon must be 1 to 3650 days");
	load_fails("jobs: { expire: { warn_days = [ -7 ]; }; };\n", 78,
			   "t.conf:1: jobs.expire.warn_days: each horizon must be 1 to 3650 days");
	load_fails("jobs: { expire: { warn_days = [ 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17 ]; }; };\n",
			   78, "t.conf:1: jobs.expire.warn_days: at most 16 horizons");
}

#define POLICY(levels) "jobs:\n{\n  escalate:\n  {\n    default_policy = (\n" levels "\n    );\n  };\n};\n"
#define LEVEL(n, th, roles, nd) \
	"      { level = " #n "; threshold_minutes_past_deadline = " #th "; recipients_role = [ " roles " ]; " \
	"new_deadline_minutes_from_now = " #nd "; }"

static void
test_policy(void **state)
{
	vigil_config cfg;

	(void) state;
	load_ok(POLICY(LEVEL(1, 0, "\"a\"", 0)), &cfg);
	assert_string_equal(cfg.escalate.default_policy_json,
						"[{\"level\": 1, \"threshold_minutes_past_deadline\": 0, \"recipients_role\": [\"a\"], "
						"\"new_deadline_minutes_from_now\": 0}]");
	vigil_config_free(&cfg);

	/* the policy lines are 6, 7, ... in these files */
	load_fails(POLICY("      { threshold_minutes_past_deadline = 0; recipients_role = [ \"a\" ]; "
					  "new_deadline_minutes_from_now = 60; }"),
			   78, "t.conf:6: jobs.escalate.default_policy.[0].level: missing");
	load_fails(POLICY(LEVEL(1, 0, "\"a\"", 60) ",\n      { level = 2; recipients_role = [ \"b\" ]; "
										  "new_deadline_minutes_from_now = 60; }"),
			   78, "t.conf:7: jobs.escalate.default_policy.[1].threshold_minutes_past_deadline: missing");
	load_fails(POLICY(LEVEL(1, -5, "\"a\"", 60)), 78,
			   "t.conf:6: jobs.escalate.default_policy.[0].threshold_minutes_past_deadline: must not be negative");
	load_fails(POLICY(LEVEL(1, 0, "\"a\"", -60)), 78,
			   "t.conf:6: jobs.escalate.default_policy.[0].new_deadline_minutes_from_now: must not be negative");
	load_fails(POLICY(LEVEL(1, 0, "\"a\"", 60) ",\n" LEVEL(3, 10, "\"b\"", 60)), 78,
			   "t.conf:7: jobs.escalate.default_policy.[1].level: levels must be 1, 2, 3, ... in order");
	load_fails(POLICY(LEVEL(2, 0, "\"a\"", 60) ",\n" LEVEL(1, 10, "\"b\"", 60)), 78,
			   "t.conf:6: jobs.escalate.default_policy.[0].level: levels must be 1, 2, 3, ... in order");
	load_fails(POLICY(LEVEL(1, 0, "\"a\"", 60) ",\n" LEVEL(1, 10, "\"b\"", 60)), 78,
			   "t.conf:7: jobs.escalate.default_policy.[1].level: levels must be 1, 2, 3, ... in order");
	load_fails(POLICY("      { level = 1; threshold_minutes_past_deadline = 0; recipients_role = [ \"a\" ]; "
					  "new_deadline_minutes_from_now = 60; colour = \"red\"; }"),
			   78, "t.conf:6: jobs.escalate.default_policy.[0].colour: unknown setting");
	load_fails(POLICY(LEVEL(1, 0, "", 60)), 78,
			   "t.conf:6: jobs.escalate.default_policy.[0].recipients_role: expected a non-empty array of role names");
	load_fails(POLICY(LEVEL(1, 0, "\"\"", 60)), 78,
			   "t.conf:6: jobs.escalate.default_policy.[0].recipients_role: expected a non-empty array of role names");
	load_fails(POLICY("      { level = 1; threshold_minutes_past_deadline = 0; recipients_role = \"a\"; "
					  "new_deadline_minutes_from_now = 60; }"),
			   78, "t.conf:6: jobs.escalate.default_policy.[0].recipients_role: expected a non-empty array of role names");
	load_fails(POLICY("      { level = \"1\"; threshold_minutes_past_deadline = 0; recipients_role = [ \"a\" ]; "
					  "new_deadline_minutes_from_now = 60; }"),
			   78, "t.conf:6: jobs.escalate.default_policy.[0].level: expected an integer");
	load_fails(POLICY("      1"), 78,
			   "t.conf:6: jobs.escalate.default_policy.[0]: expected a group { level = ...; ... }");
	load_fails("jobs: { escalate: { default_policy = ( ); }; };\n", 78,
			   "t.conf:1: jobs.escalate.default_policy: must name at least one level");
}

/* Prints cfg into a string. */
static char *
print_config(const vigil_config *cfg)
{
	char *text = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&text, &len);

	assert_non_null(fp);
	vigil_config_print(cfg, fp);
	fclose(fp);
	return text;
}

static void
test_print_round_trip(void **state)
{
	vigil_config cfg, back, def;
	vigil_error err = {0};
	char *text;

	(void) state;
	/* the defaults */
	vigil_config_defaults(&def);
	text = print_config(&def);
	assert_non_null(strstr(text, "# effective vigil configuration (built-in defaults)\n"));
	if (vigil_config_load_string(&back, text, "printed", &err) != 0)
		fail_msg("printed defaults do not load: %s\n%s", err.msg, text);
	assert_config_equal(&back, &def);
	vigil_config_free(&back);
	free(text);

	/* every setting changed */
	load_ok(full_conf, &cfg);
	text = print_config(&cfg);
	if (vigil_config_load_string(&back, text, "printed", &err) != 0)
		fail_msg("printed configuration does not load: %s\n%s", err.msg, text);
	assert_config_equal(&back, &cfg);
	vigil_config_free(&back);
	free(text);
	vigil_config_free(&cfg);

	/* strings that need escaping, and no warning horizons at all */
	load_ok("metrics: { textfile_dir = \"/srv/a \\\"b\\\" \\\\c\\td\"; };\n"
			"jobs: { expire: { warn_days = [ ]; };\n"
			"  export: { media_root = \"/srv/\\x01odd\"; };\n"
			"  verify: { trusted_keys = [ \"/k\\x02\\\"ey\" ]; }; };\n", &cfg);
	assert_string_equal(cfg.metrics.textfile_dir, "/srv/a \"b\" \\c\td");
	assert_string_equal(cfg.export_.media_root, "/srv/\x01odd");
	assert_string_equal(cfg.verify.trusted_keys[0], "/k\x02\"ey");
	text = print_config(&cfg);
	if (vigil_config_load_string(&back, text, "printed", &err) != 0)
		fail_msg("printed configuration does not load: %s\n%s", err.msg, text);
	assert_config_equal(&back, &cfg);
	vigil_config_free(&back);
	free(text);
	vigil_config_free(&cfg);
	vigil_config_free(&def);
}

static void
test_print_masks_password(void **state)
{
	vigil_config cfg, back;
	vigil_error err = {0};
	char *text;

	(void) state;
	load_ok("database: { conninfo = \"host=db1 user=jobs password=s3cr3t-pw dbname=vigil\"; };\n", &cfg);
	text = print_config(&cfg);
	assert_null(strstr(text, "s3cr3t-pw"));
	assert_non_null(strstr(text, "password=********"));
	assert_int_equal(vigil_config_load_string(&back, text, "printed", &err), 0);
	assert_non_null(strstr(back.database.conninfo, "host=db1"));
	assert_non_null(strstr(back.database.conninfo, "dbname=vigil"));
	assert_null(strstr(back.database.conninfo, "s3cr3t-pw"));
	vigil_config_free(&back);
	free(text);
	vigil_config_free(&cfg);

	load_ok("database: { conninfo = \"postgresql://jobs:s3cr3t-pw@db1:5433/vigil\"; };\n", &cfg);
	text = print_config(&cfg);
	assert_null(strstr(text, "s3cr3t-pw"));
	assert_non_null(strstr(text, "********"));
	assert_non_null(strstr(text, "db1"));
	free(text);
	vigil_config_free(&cfg);
}

static void
test_shipped_conf_is_defaults(void **state)
{
	vigil_config cfg, def;
	vigil_error err = {0};

	(void) state;
	if (vigil_config_load(&cfg, SHIPPED_CONF, &err) != 0)
		fail_msg("%s does not load: %s", SHIPPED_CONF, err.msg);
	assert_string_equal(cfg.path, SHIPPED_CONF);
	vigil_config_defaults(&def);
	assert_config_equal(&cfg, &def);
	vigil_config_free(&def);
	vigil_config_free(&cfg);
}

/* Every key of config.c's table appears in the shipped file (a new key must
 * be documented there): the printed configuration names all of them, so
 * each printed "name =" must be in the file. */
static void
test_shipped_conf_names_every_key(void **state)
{
	vigil_config def;
	vigil_buf file = {0};
	vigil_error err = {0};
	char *text, *save = NULL;
	int n = 0;

	(void) state;
	assert_int_equal(vigil_read_file(SHIPPED_CONF, &file, &err), 0);
	vigil_config_defaults(&def);
	text = print_config(&def);
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char name[64], pat[80];

		if (sscanf(line, " %63[a-z_] =", name) != 1 || strstr(line, " = ") == NULL)
			continue;
		if (strcmp(name, "level") == 0 && strstr(line, "threshold"))
			continue;   /* a policy level, not a key */
		snprintf(pat, sizeof(pat), "  %s = ", name);
		if (strstr(file.data, pat) == NULL)
			fail_msg("%s does not document %s", SHIPPED_CONF, name);
		n++;
	}
	assert_int_equal(n, 16);   /* every scalar and array key */
	free(text);
	vigil_config_free(&def);
	vigil_buf_free(&file);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_full_file),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_unknown_key),
		cmocka_unit_test(test_wrong_type),
		cmocka_unit_test(test_syntax_error),
		cmocka_unit_test(test_warn_days),
		cmocka_unit_test(test_policy),
		cmocka_unit_test(test_print_round_trip),
		cmocka_unit_test(test_print_masks_password),
		cmocka_unit_test(test_shipped_conf_is_defaults),
		cmocka_unit_test(test_shipped_conf_names_every_key),
	};

	unsetenv("VIGIL_CONFIG");
	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
