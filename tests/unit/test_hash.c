/*
 * test_hash.c — common/hash.c: SHA-256 of memory, streams and files against
 * the FIPS 180-2 test vectors (also reproduced with
 *	python3 -c 'import hashlib; print(hashlib.sha256(b"a" * 1000000).hexdigest())'
 * ), streaming in uneven chunks, context reuse after final, and file errors.
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

#include "hash.h"
#include "util.h"

#define EMPTY_SHA  "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define ABC_SHA    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define ABC448     "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
#define ABC448_SHA "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
#define MILLION_A_SHA "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"

static char *million_a;

static void
digest_is(const unsigned char d[VIGIL_SHA256_LEN], const char *want)
{
	char hex[2 * VIGIL_SHA256_LEN + 1];

	vigil_hex(d, VIGIL_SHA256_LEN, hex);
	assert_string_equal(hex, want);
}

static void
test_vectors(void **state)
{
	unsigned char d[VIGIL_SHA256_LEN];
	char hex[2 * VIGIL_SHA256_LEN + 1];

	(void) state;
	vigil_sha256("", 0, d);
	digest_is(d, EMPTY_SHA);
	vigil_sha256("abc", 3, d);
	digest_is(d, ABC_SHA);
	vigil_sha256(ABC448, strlen(ABC448), d);
	digest_is(d, ABC448_SHA);
	vigil_sha256(million_a, 1000000, d);
	digest_is(d, MILLION_A_SHA);

	vigil_sha256_hex("abc", 3, hex);
	assert_string_equal(hex, ABC_SHA);
	vigil_sha256_hex(NULL, 0, hex);
	assert_string_equal(hex, EMPTY_SHA);
	/* binary data with NUL bytes is hashed whole */
	vigil_sha256_hex("abc\0", 4, hex);
	assert_string_not_equal(hex, ABC_SHA);
}

static void
test_streaming(void **state)
{
	vigil_sha256_ctx *h = vigil_sha256_new();
	unsigned char d[VIGIL_SHA256_LEN];

	(void) state;
	/* a million 'a' in uneven chunks, with empty updates between */
	size_t off = 0, step = 1;
	while (off < 1000000) {
		size_t n = step < 1000000 - off ? step : 1000000 - off;

		vigil_sha256_update(h, million_a + off, n);
		vigil_sha256_update(h, "", 0);
		off += n;
		step = step * 3 + 1;
	}
	vigil_sha256_final(h, d);
	digest_is(d, MILLION_A_SHA);

	/* final resets: the context hashes a new message from scratch */
	vigil_sha256_update(h, "a", 1);
	vigil_sha256_update(h, "bc", 2);
	vigil_sha256_final(h, d);
	digest_is(d, ABC_SHA);
	vigil_sha256_final(h, d);
	digest_is(d, EMPTY_SHA);
	vigil_sha256_free(h);
	vigil_sha256_free(NULL);
}

static void
test_file(void **state)
{
	char path[] = "/tmp/vigil-test-hash.XXXXXX";
	unsigned char d[VIGIL_SHA256_LEN];
	vigil_error err = {0};
	int fd = mkstemp(path);

	(void) state;
	assert_true(fd >= 0);
	assert_int_equal(vigil_sha256_file(path, d, &err), 0);   /* empty */
	digest_is(d, EMPTY_SHA);
	/* larger than the 64 KiB read buffer, not a multiple of it */
	assert_int_equal(write(fd, million_a, 1000000), 1000000);
	close(fd);
	assert_int_equal(vigil_sha256_file(path, d, &err), 0);
	digest_is(d, MILLION_A_SHA);
	unlink(path);

	assert_int_equal(vigil_sha256_file(path, d, &err), 66);
	assert_int_equal(err.code, 66);
	assert_non_null(strstr(err.msg, path));
	assert_non_null(strstr(err.msg, "No such file or directory"));

	/* a directory cannot be read */
	assert_int_equal(vigil_sha256_file("/", d, &err), 66);
	assert_non_null(strstr(err.msg, "cannot read /: "));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_streaming),
		cmocka_unit_test(test_file),
	};
	int rc;

	million_a = vigil_malloc(1000000);
	memset(million_a, 'a', 1000000);
	rc = cmocka_run_group_tests_name("hash", tests, NULL, NULL);
	free(million_a);
	return rc;
}
