/*
 * test_migrations.c — common/migrations.c: the NNNN_name.sql rule, BOM and
 * CRLF normalisation (same checksum as the LF file), loading a directory
 * (order, ignored files, gap, duplicate, bad name, missing directory) and
 * the snapshot diff report.
 *
 * Creates its directories under $TMPDIR (or /tmp) and removes them.
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

#include "hash.h"
#include "migrations.h"
#include "util.h"

static char tmpdir[256];

static int
make_tmpdir(void **state)
{
	const char *base = getenv("TMPDIR");

	(void) state;
	snprintf(tmpdir, sizeof(tmpdir), "%s/vigil-test-migrations.XXXXXX", base && *base ? base : "/tmp");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int
remove_tmpdir(void **state)
{
	char *cmd = vigil_asprintf("rm -rf '%s'", tmpdir);
	int rc = system(cmd);

	(void) state;
	free(cmd);
	return rc == 0 ? 0 : -1;
}

/* A fresh subdirectory of tmpdir; returns its path (caller frees). */
static char *
subdir(const char *name)
{
	char *dir = vigil_asprintf("%s/%s", tmpdir, name);

	assert_int_equal(mkdir(dir, 0755), 0);
	return dir;
}

static void
write_file(const char *dir, const char *name, const char *content, size_t len)
{
	char *path = vigil_asprintf("%s/%s", dir, name);
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(content, 1, len, f), len);
	fclose(f);
	free(path);
}

static void
test_parse_name(void **state)
{
	int version;
	char *name = NULL;

	(void) state;
	assert_int_equal(vigil_migration_parse_name("0001_roles_schema.sql", &version, &name), 0);
	assert_int_equal(version, 1);
	assert_string_equal(name, "roles_schema");
	free(name);
	assert_int_equal(vigil_migration_parse_name("0123_a.sql", &version, NULL), 0);
	assert_int_equal(version, 123);
	assert_int_equal(vigil_migration_parse_name("9999_x9_y.sql", &version, NULL), 0);
	assert_int_equal(version, 9999);

	const char *bad[] = {"001_a.sql", "00001_a.sql", "0001a.sql", "0001_.sql", "0001_A.sql", "0001_a-b.sql",
						 "0001_a.SQL", "0001_a.sql~", "0000_zero.sql", "abcd_a.sql", "0001_a b.sql", "", NULL};
	for (int i = 0; bad[i]; i++)
		if (vigil_migration_parse_name(bad[i], &version, NULL) == 0)
			fail_msg("accepted bad name \"%s\"", bad[i]);
}

static void
test_normalize(void **state)
{
	char a[] = "\xEF\xBB\xBFSELECT 1;\r\nSELECT 2;\r\n";
	char b[] = "x\ry\r\n\r\n";
	char c[] = "\xEF\xBB";

	(void) state;
	assert_int_equal(vigil_migration_normalize(a, strlen(a)), strlen("SELECT 1;\nSELECT 2;\n"));
	assert_string_equal(a, "SELECT 1;\nSELECT 2;\n");
	assert_int_equal(vigil_migration_normalize(b, strlen(b)), 5);
	assert_string_equal(b, "x\ry\n\n");                /* a lone CR stays */
	assert_int_equal(vigil_migration_normalize(c, strlen(c)), 2);   /* half a BOM is not a BOM */
	assert_int_equal(vigil_migration_normalize(c, 0), 0);
}

static void
test_read_same_checksum(void **state)
{
	const char lf[] = "-- x\nSELECT 1;\n";
	const char crlf[] = "\xEF\xBB\xBF-- x\r\nSELECT 1;\r\n";
	char *dir = subdir("read");
	char *p1 = vigil_asprintf("%s/0001_lf.sql", dir), *p2 = vigil_asprintf("%s/0001_crlf.sql", dir);
	char want[2 * VIGIL_SHA256_LEN + 1];
	vigil_migration m1, m2;
	vigil_error err = {0};

	(void) state;
	write_file(dir, "0001_lf.sql", lf, strlen(lf));
	write_file(dir, "0001_crlf.sql", crlf, strlen(crlf));
	assert_int_equal(vigil_migration_read(&m1, p1, &err), 0);
	assert_int_equal(vigil_migration_read(&m2, p2, &err), 0);
	vigil_sha256_hex(lf, strlen(lf), want);
	assert_string_equal(m1.checksum_hex, want);
	assert_string_equal(m2.checksum_hex, want);
	assert_string_equal(m2.sql, lf);
	assert_int_equal(m2.sql_len, strlen(lf));
	assert_int_equal(m1.version, 1);
	assert_string_equal(m1.name, "lf");
	assert_string_equal(m1.file, "0001_lf.sql");
	vigil_migration_free(&m1);
	vigil_migration_free(&m2);

	free(p1);
	p1 = vigil_asprintf("%s/missing.sql", dir);
	assert_int_equal(vigil_migration_read(&m1, p1, &err), 66);
	vigil_migration_free(&m1);
	free(p1);
	free(p2);
	free(dir);
}

static void
test_load_ok(void **state)
{
	char *dir = subdir("ok");
	vigil_migration_set set;
	vigil_error err = {0};

	(void) state;
	write_file(dir, "0002_second.sql", "SELECT 2;\n", 10);
	write_file(dir, "0001_first.sql", "SELECT 1;\n", 10);
	write_file(dir, "0003_third.sql", "", 0);
	write_file(dir, "README.md", "notes\n", 6);
	write_file(dir, ".0004_hidden.sql", "x", 1);
	assert_int_equal(vigil_migrations_load(&set, dir, &err), 0);
	assert_int_equal(set.n, 3);
	assert_string_equal(set.items[0].file, "0001_first.sql");
	assert_string_equal(set.items[1].name, "second");
	assert_int_equal(set.items[2].sql_len, 0);
	assert_non_null(vigil_migrations_find(&set, 3));
	assert_null(vigil_migrations_find(&set, 4));
	assert_null(vigil_migrations_find(&set, 0));
	vigil_migrations_free(&set);
	free(dir);
}

static void
expect_load_error(const char *dirname, const char *const files[], int code, const char *needle)
{
	char *dir = subdir(dirname);
	vigil_migration_set set;
	vigil_error err = {0};

	for (int i = 0; files[i]; i++)
		write_file(dir, files[i], "SELECT 1;\n", 10);
	assert_int_equal(vigil_migrations_load(&set, dir, &err), code);
	if (strstr(err.msg, needle) == NULL)
		fail_msg("error \"%s\" does not contain \"%s\"", err.msg, needle);
	vigil_migrations_free(&set);
	free(dir);
}

static void
test_load_errors(void **state)
{
	vigil_migration_set set;
	vigil_error err = {0};
	char *missing = vigil_asprintf("%s/none", tmpdir);

	(void) state;
	expect_load_error("gap", (const char *const[]){"0001_a.sql", "0003_c.sql", NULL}, 65,
					  "0003_c.sql leaves a gap: expected number 0002");
	expect_load_error("nofirst", (const char *const[]){"0002_b.sql", NULL}, 65, "0002_b.sql leaves a gap");
	expect_load_error("dup", (const char *const[]){"0001_a.sql", "0002_b.sql", "0002_c.sql", NULL}, 65,
					  "0002_c.sql duplicates number 0002 of 0002_b.sql");
	expect_load_error("badname", (const char *const[]){"0001_a.sql", "2_b.sql", NULL}, 65,
					  "2_b.sql is not named NNNN_name.sql");
	expect_load_error("upper", (const char *const[]){"0001_Add.sql", NULL}, 65, "0001_Add.sql is not named");
	expect_load_error("digitstart", (const char *const[]){"0001_a.sql", "0002_b.sql.orig", NULL}, 65,
					  "0002_b.sql.orig is not named");
	assert_int_equal(vigil_migrations_load(&set, missing, &err), 66);
	assert_non_null(strstr(err.msg, "does not exist"));
	vigil_migrations_free(&set);
	free(missing);
}

static void
test_snapshot_diff(void **state)
{
	const char *stored =
		"# header line\n"
		"column\tvigil.t.a\tinteger not null\n"
		"index\tvigil.i\tCREATE INDEX i ON vigil.t USING btree (a)\n"
		"grant\tvigil.t to app\tSELECT\n";
	const char *live =
		"grant\tvigil.t to app\tDELETE, SELECT\n"
		"column\tvigil.t.b\tinteger\n"
		"column\tvigil.t.a\tinteger not null\n";
	vigil_buf out = {0};
	size_t nlive = 0;

	(void) state;
	assert_int_equal(vigil_snapshot_diff(stored, live, &out, &nlive), 3);
	assert_int_equal(nlive, 3);
	assert_string_equal(out.data,
						"+ column vigil.t.b: integer\n"
						"~ grant vigil.t to app: SELECT -> DELETE, SELECT\n"
						"- index vigil.i: CREATE INDEX i ON vigil.t USING btree (a)\n");
	vigil_buf_reset(&out);
	assert_int_equal(vigil_snapshot_diff(live, live, &out, &nlive), 0);
	assert_int_equal(out.len, 0);
	assert_int_equal(vigil_snapshot_diff("", "", &out, &nlive), 0);
	assert_int_equal(nlive, 0);
	assert_int_equal(vigil_snapshot_diff(NULL, "table\tvigil.t\towner o\n", &out, &nlive), 1);
	assert_string_equal(out.data, "+ table vigil.t: owner o\n");
	vigil_buf_free(&out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_name),
		cmocka_unit_test(test_normalize),
		cmocka_unit_test(test_read_same_checksum),
		cmocka_unit_test(test_load_ok),
		cmocka_unit_test(test_load_errors),
		cmocka_unit_test(test_snapshot_diff),
	};

	return cmocka_run_group_tests(tests, make_tmpdir, remove_tmpdir);
}
