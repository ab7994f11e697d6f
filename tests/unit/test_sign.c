/*
 * test_sign.c — common/sign.c: a generated key is 0600, never overwrites a
 * file, loads back, signs deterministically and verifies; a changed message
 * or another key does not verify; the fingerprint is the SHA-256 of the DER
 * public key; a key readable by others is refused with 77 and a chmod hint;
 * a missing file is 66; an RSA/EC or garbage key is 65.
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

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "hash.h"
#include "sign.h"
#include "util.h"

static char dir[64];

static int
setup(void **state)
{
	(void) state;
	snprintf(dir, sizeof(dir), "/tmp/vigil-test-sign.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int
teardown(void **state)
{
	char *cmd = vigil_asprintf("rm -rf '%s'", dir);

	(void) state;
	assert_int_equal(system(cmd), 0);
	free(cmd);
	return 0;
}

static char *
path_in(const char *name)
{
	return vigil_asprintf("%s/%s", dir, name);
}

static void
test_generate_load_sign_verify(void **state)
{
	char *path = path_in("k1.pem");
	char fpr[VIGIL_FINGERPRINT_LEN + 1], fpr2[VIGIL_FINGERPRINT_LEN + 1];
	unsigned char sig[VIGIL_SIG_LEN], sig2[VIGIL_SIG_LEN];
	vigil_error err = {0};
	vigil_key *key = NULL;
	struct stat st;
	mode_t old = umask(0);

	(void) state;
	assert_int_equal(vigil_key_generate(path, fpr, &err), 0);
	umask(old);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(strlen(fpr), 64);
	assert_int_equal(vigil_key_generate(path, fpr2, &err), VIGIL_EXIT_CANTCREAT);

	assert_int_equal(vigil_key_load_private(path, &key, &err), 0);
	vigil_key_fingerprint(key, fpr2);
	assert_string_equal(fpr, fpr2);
	assert_int_equal(vigil_sign(key, "message", 7, sig, &err), 0);
	assert_int_equal(vigil_sign(key, "message", 7, sig2, &err), 0);
	assert_memory_equal(sig, sig2, VIGIL_SIG_LEN);           /* Ed25519 is deterministic */
	assert_true(vigil_verify(key, "message", 7, sig, VIGIL_SIG_LEN));
	assert_false(vigil_verify(key, "messagE", 7, sig, VIGIL_SIG_LEN));
	assert_false(vigil_verify(key, "message", 7, sig, VIGIL_SIG_LEN - 1));
	sig[0] ^= 1;
	assert_false(vigil_verify(key, "message", 7, sig, VIGIL_SIG_LEN));
	vigil_key_free(key);
	free(path);
}

static void
test_public_pem_and_fingerprint(void **state)
{
	char *path = path_in("k2.pem"), *other = path_in("k3.pem");
	char fpr[VIGIL_FINGERPRINT_LEN + 1], fpr_pub[VIGIL_FINGERPRINT_LEN + 1], hex[65];
	vigil_error err = {0};
	vigil_key *key = NULL, *pub = NULL, *okey = NULL;
	vigil_buf pem = {0};
	unsigned char sig[VIGIL_SIG_LEN], *der = NULL;
	EVP_PKEY *pk;
	BIO *bio;
	int len;

	(void) state;
	assert_int_equal(vigil_key_generate(path, fpr, &err), 0);
	assert_int_equal(vigil_key_generate(other, fpr_pub, &err), 0);
	assert_int_equal(vigil_key_load_private(path, &key, &err), 0);
	assert_int_equal(vigil_key_load_private(other, &okey, &err), 0);
	vigil_key_public_pem(key, &pem);
	assert_non_null(strstr(pem.data, "-----BEGIN PUBLIC KEY-----"));
	pub = vigil_key_parse_public(pem.data, pem.len, "test", &err);
	assert_non_null(pub);
	vigil_key_fingerprint(pub, fpr_pub);
	assert_string_equal(fpr, fpr_pub);
	assert_true(vigil_key_equal(key, pub));
	assert_false(vigil_key_equal(okey, pub));

	/* fingerprint = SHA-256 of the DER SubjectPublicKeyInfo */
	bio = BIO_new_mem_buf(pem.data, (int) pem.len);
	pk = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
	len = i2d_PUBKEY(pk, &der);
	assert_int_equal(len, 44);
	vigil_sha256_hex(der, (size_t) len, hex);
	assert_string_equal(hex, fpr);
	OPENSSL_free(der);
	EVP_PKEY_free(pk);
	BIO_free(bio);

	/* a signature by one key does not verify with another */
	assert_int_equal(vigil_sign(key, "m", 1, sig, &err), 0);
	assert_true(vigil_verify(pub, "m", 1, sig, VIGIL_SIG_LEN));
	assert_false(vigil_verify(okey, "m", 1, sig, VIGIL_SIG_LEN));
	/* a public key cannot sign */
	assert_int_equal(vigil_sign(pub, "m", 1, sig, &err), VIGIL_EXIT_SOFTWARE);
	assert_null(vigil_key_parse_public("junk", 4, "junk", &err));
	assert_int_equal(err.code, VIGIL_EXIT_DATAERR);

	vigil_key_free(key);
	vigil_key_free(okey);
	vigil_key_free(pub);
	vigil_buf_free(&pem);
	free(path);
	free(other);
}

static void
test_load_refusals(void **state)
{
	char *path = path_in("k4.pem"), *missing = path_in("none.pem"), *rsa = path_in("ec.pem");
	char *junk = path_in("junk.pem"), fpr[VIGIL_FINGERPRINT_LEN + 1];
	vigil_error err = {0};
	vigil_key *key = NULL;
	EVP_PKEY *ec;
	FILE *f;

	(void) state;
	assert_int_equal(vigil_key_generate(path, fpr, &err), 0);
	chmod(path, 0640);
	assert_int_equal(vigil_key_load_private(path, &key, &err), VIGIL_EXIT_NOPERM);
	assert_null(key);
	assert_non_null(strstr(err.msg, "readable by group or others"));
	assert_non_null(strstr(err.hint, "chmod 600"));
	chmod(path, 0604);
	assert_int_equal(vigil_key_load_private(path, &key, &err), VIGIL_EXIT_NOPERM);

	assert_int_equal(vigil_key_load_private(missing, &key, &err), VIGIL_EXIT_NOINPUT);
	assert_int_equal(vigil_key_load_public(missing, &key, &err), VIGIL_EXIT_NOINPUT);

	ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	assert_non_null(ec);
	f = fopen(rsa, "w");
	assert_non_null(f);
	assert_int_equal(PEM_write_PrivateKey(f, ec, NULL, NULL, 0, NULL, NULL), 1);
	fclose(f);
	EVP_PKEY_free(ec);
	chmod(rsa, 0600);
	assert_int_equal(vigil_key_load_private(rsa, &key, &err), VIGIL_EXIT_DATAERR);
	assert_non_null(strstr(err.msg, "not Ed25519"));

	f = fopen(junk, "w");
	fputs("not a key\n", f);
	fclose(f);
	chmod(junk, 0600);
	assert_int_equal(vigil_key_load_private(junk, &key, &err), VIGIL_EXIT_DATAERR);
	assert_int_equal(vigil_key_load_public(junk, &key, &err), VIGIL_EXIT_DATAERR);
	assert_null(key);
	free(path);
	free(missing);
	free(rsa);
	free(junk);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_generate_load_sign_verify),
		cmocka_unit_test(test_public_pem_and_fingerprint),
		cmocka_unit_test(test_load_refusals),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
