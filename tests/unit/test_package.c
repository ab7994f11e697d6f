/*
 * test_package.c — common/package.c: a written package checks clean against
 * its pinned key and is byte-identical when written again; files streamed
 * from disk are checked against their size and SHA-256 before and while
 * they are written (a mismatch leaves no file); the checker reports a
 * flipped byte, a wrong key, an unpinned signer and a non-ZIP; file names
 * are made safe.
 */
#define _GNU_SOURCE     /* memmem */
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
#include "package.h"
#include "sign.h"
#include "util.h"

static char dir[64];
static vigil_key *key, *other;
static char *media_path;
static unsigned char media_sha[VIGIL_SHA256_LEN];

static const vigil_bag_info info = {
	.source_organization = "Test Org",
	.bagging_date = "2026-06-01",
	.external_identifier = "80000000-0000-4000-8000-000000000001",
	.as_of = "2026-06-01T00:00:00.000000Z",
};

static vigil_key *
new_key(const char *name)
{
	char *path = vigil_asprintf("%s/%s", dir, name);
	char fpr[VIGIL_FINGERPRINT_LEN + 1];
	vigil_error err = {0};
	vigil_key *k = NULL;

	assert_int_equal(vigil_key_generate(path, fpr, &err), 0);
	assert_int_equal(vigil_key_load_private(path, &k, &err), 0);
	free(path);
	return k;
}

static int
setup(void **state)
{
	FILE *f;

	(void) state;
	snprintf(dir, sizeof(dir), "/tmp/vigil-test-package.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	key = new_key("key.pem");
	other = new_key("other.pem");
	media_path = vigil_asprintf("%s/photo.png", dir);
	f = fopen(media_path, "w");
	for (int i = 0; i < 100000; i++)
		fputc(i * 7 % 251, f);
	fclose(f);
	vigil_error err = {0};
	return vigil_sha256_file(media_path, media_sha, &err);
}

static int
teardown(void **state)
{
	char *cmd = vigil_asprintf("rm -rf '%s'", dir);

	(void) state;
	vigil_key_free(key);
	vigil_key_free(other);
	free(media_path);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	return 0;
}

static vigil_package *
sample_package(const unsigned char *sha)
{
	vigil_package *pkg = vigil_package_new("audit-test-20260601T000000Z", 1780272000000000LL);

	vigil_package_add_data(pkg, "data/case.json", "{}\n", 3, true);
	vigil_package_add_data(pkg, "data/evidence.csv", "\"a\"\r\n", 5, true);
	vigil_package_add_file(pkg, "data/media/n1/photo.png", media_path, 100000, sha, false,
						   "media object m1");
	return pkg;
}

static char *
write_sample(const char *name, const unsigned char *sha, int want_rc, vigil_package_result *res)
{
	char *path = vigil_asprintf("%s/%s", dir, name);
	vigil_package *pkg = sample_package(sha);
	vigil_error err = {0};

	assert_int_equal(vigil_package_write(pkg, path, key, &info, res, &err), want_rc);
	vigil_package_free(pkg);
	return path;
}

typedef struct problems {
	int n;
	char text[4096];
} problems;

static void
on_problem(void *ctx, const char *entry, const char *msg)
{
	problems *p = ctx;
	size_t len = strlen(p->text);

	p->n++;
	snprintf(p->text + len, sizeof(p->text) - len, "%s: %s\n", entry, msg);
}

static int
check_with(const char *path, vigil_key *pinned, bool allow_embedded, problems *p,
		   vigil_package_report *rep)
{
	vigil_key *keys[1] = {pinned};
	vigil_package_check_opts opts = {
		.pinned = keys, .npinned = pinned ? 1 : 0, .allow_embedded_key = allow_embedded,
		.problem = on_problem, .ctx = p,
	};
	vigil_error err = {0};

	memset(p, 0, sizeof(*p));
	return vigil_package_check_file(path, &opts, rep, &err);
}

static void
test_write_and_check(void **state)
{
	vigil_package_result res, res2;
	vigil_package_report rep;
	problems p;
	char *a = write_sample("a.zip", media_sha, 0, &res);
	char *b = write_sample("b.zip", media_sha, 0, &res2);
	vigil_buf ba = {0}, bb = {0};
	vigil_error err = {0};
	char fpr[VIGIL_FINGERPRINT_LEN + 1];

	(void) state;
	assert_int_equal(res.payload_files, 3);
	assert_int_equal(res.payload_bytes, 100008);
	vigil_key_fingerprint(key, fpr);
	assert_string_equal(res.key_fingerprint, fpr);
	assert_memory_equal(res.package_sha256, res2.package_sha256, VIGIL_SHA256_LEN);
	assert_int_equal(vigil_read_file(a, &ba, &err), 0);
	assert_int_equal(vigil_read_file(b, &bb, &err), 0);
	assert_int_equal(ba.len, bb.len);
	assert_memory_equal(ba.data, bb.data, ba.len);
	assert_int_equal(ba.len, res.byte_size);

	assert_int_equal(check_with(a, key, false, &p, &rep), 0);
	assert_int_equal(rep.problems, 0);
	assert_int_equal(p.n, 0);
	assert_true(rep.signature_ok);
	assert_true(rep.signer_pinned);
	assert_int_equal(rep.payload_files, 3);
	assert_string_equal(rep.key_fingerprint, fpr);

	/* another pinned key: the signature does not verify */
	assert_int_equal(check_with(a, other, false, &p, &rep), 0);
	assert_int_equal(rep.problems, 1);
	assert_non_null(strstr(p.text, "tagmanifest-sha256.txt.sig: does not verify with any pinned key"));
	/* no pinned key: invalid, unless the embedded key is allowed */
	assert_int_equal(check_with(a, NULL, false, &p, &rep), 0);
	assert_int_equal(rep.problems, 1);
	assert_non_null(strstr(p.text, "not pinned"));
	assert_int_equal(check_with(a, NULL, true, &p, &rep), 0);
	assert_int_equal(rep.problems, 0);
	assert_false(rep.signer_pinned);

	/* the same checks from memory; then a flipped byte in the stored PNG */
	{
		vigil_package_check_opts opts = {.pinned = &key, .npinned = 1, .problem = on_problem, .ctx = &p};
		unsigned char *hit = memmem(ba.data, ba.len, "\x07\x0e\x15\x1c", 4);

		memset(&p, 0, sizeof(p));
		assert_int_equal(vigil_package_check_buffer(ba.data, ba.len, "a.zip", &opts, &rep, &err), 0);
		assert_int_equal(rep.problems, 0);
		assert_non_null(hit);
		hit[1] ^= 0x40;
		assert_int_equal(vigil_package_check_buffer(ba.data, ba.len, "a.zip", &opts, &rep, &err), 0);
		assert_true(rep.problems >= 1);
		assert_non_null(strstr(p.text, "photo.png: CRC mismatch"));
		assert_int_equal(vigil_package_check_buffer("hello", 5, "x", &opts, &rep, &err), VIGIL_EXIT_DATAERR);
	}
	vigil_buf_free(&ba);
	vigil_buf_free(&bb);
	free(a);
	free(b);
}

static void
test_bad_media_leaves_no_file(void **state)
{
	unsigned char wrong[VIGIL_SHA256_LEN];
	vigil_package_result res;
	vigil_error err = {0};
	vigil_package *pkg;
	char *path;

	(void) state;
	memcpy(wrong, media_sha, sizeof(wrong));
	wrong[0] ^= 1;
	/* caught by the precheck ... */
	pkg = sample_package(wrong);
	assert_int_equal(vigil_package_precheck(pkg, &err), VIGIL_EXIT_DATAERR);
	assert_non_null(strstr(err.msg, "media object m1"));
	assert_non_null(strstr(err.msg, media_path));
	vigil_package_free(pkg);
	/* ... and while streaming, when the file changes after it */
	path = write_sample("bad.zip", wrong, VIGIL_EXIT_DATAERR, &res);
	assert_int_equal(access(path, F_OK), -1);
	free(path);
	/* a missing file */
	pkg = vigil_package_new("t", 0);
	vigil_package_add_file(pkg, "data/x", "/nonexistent/x", 1, media_sha, true, "media object m2");
	assert_int_equal(vigil_package_precheck(pkg, &err), VIGIL_EXIT_NOINPUT);
	assert_non_null(strstr(err.msg, "media object m2"));
	path = vigil_asprintf("%s/missing.zip", dir);
	assert_int_equal(vigil_package_write(pkg, path, key, &info, &res, &err), VIGIL_EXIT_NOINPUT);
	assert_int_equal(access(path, F_OK), -1);
	vigil_package_free(pkg);
	free(path);
	/* an unwritable target */
	pkg = sample_package(media_sha);
	assert_int_equal(vigil_package_write(pkg, "/nonexistent/dir/p.zip", key, &info, &res, &err),
					 VIGIL_EXIT_CANTCREAT);
	vigil_package_free(pkg);
}

static void
expect_safe(const char *in, const char *want)
{
	char *got = vigil_package_safe_name(in);

	assert_string_equal(got, want);
	free(got);
}

static void
test_safe_name(void **state)
{
	char long_name[301];
	char *got;

	(void) state;
	expect_safe("report.pdf", "report.pdf");
	expect_safe("../x", "_._x");
	expect_safe("..", "unnamed");
	expect_safe(".", "unnamed");
	expect_safe("", "unnamed");
	expect_safe("a/b\\c%2F\x01" "d", "a_b_c_2F_d");
	expect_safe("what?:*<>|\".txt", "what_______.txt");
	expect_safe(" lead and trail. ", "_lead and trail");
	expect_safe("Zürich.jpg", "Zürich.jpg");
	for (int i = 0; i < 150; i++)
		memcpy(long_name + 2 * i, "\xc3\xa9", 2);
	long_name[300] = '\0';
	got = vigil_package_safe_name(long_name);
	assert_int_equal(strlen(got), 200);
	assert_int_equal((unsigned char) got[199], 0xa9);
	free(got);
	long_name[1] = 'x';     /* now the cut falls inside a character */
	memmove(long_name + 1, long_name + 2, 299);
	got = vigil_package_safe_name(long_name);
	assert_true(strlen(got) <= 200);
	assert_true(((unsigned char) got[strlen(got) - 1] & 0xC0) != 0xC0);
	free(got);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_write_and_check),
		cmocka_unit_test(test_bad_media_leaves_no_file),
		cmocka_unit_test(test_safe_name),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
