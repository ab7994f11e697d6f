/*
 * sign.c — Ed25519 signing keys (load, generate, sign, verify) for audit
 * packages.
 *
 * Ed25519 is used through EVP_DigestSign/EVP_DigestVerify with a NULL digest:
 * the algorithm hashes the message itself ("PureEdDSA"), which is also what
 * `openssl pkeyutl -sign|-verify -rawin` does, so a package signed here can
 * be checked with stock openssl. The private key file's mode is checked with
 * fstat on the descriptor we read from, so a file swapped in between the check
 * and the read cannot slip through.
 */
#include "sign.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "hash.h"

struct vigil_key {
	EVP_PKEY *pkey;
};

static vigil_key *
key_wrap(EVP_PKEY *pkey)
{
	vigil_key *key = vigil_malloc(sizeof(*key));

	key->pkey = pkey;
	return key;
}

void
vigil_key_free(vigil_key *key)
{
	if (key == NULL)
		return;
	EVP_PKEY_free(key->pkey);
	free(key);
}

/* Opens path for reading; with private set, refuses a mode that lets group
 * or others read it. Returns the descriptor or -1 with err filled. */
static int
open_key_file(const char *path, bool private, vigil_error *err)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);

	if (fd < 0) {
		vigil_error_set(err, errno == ENOENT ? VIGIL_EXIT_NOINPUT : VIGIL_EXIT_NOPERM,
						"cannot open %s key %s: %s", private ? "signing" : "public", path,
						strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0) {
		vigil_error_set(err, VIGIL_EXIT_NOPERM, "cannot stat key %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		vigil_error_set(err, VIGIL_EXIT_DATAERR, "key %s is not a regular file", path);
		close(fd);
		return -1;
	}
	if (private && (st.st_mode & 077) != 0) {
		vigil_error_set(err, VIGIL_EXIT_NOPERM,
						"signing key %s is readable by group or others (mode %04o)", path,
						(unsigned) (st.st_mode & 07777));
		vigil_error_hint(err, "chmod 600 %s", path);
		close(fd);
		return -1;
	}
	return fd;
}

static int
check_ed25519(EVP_PKEY *pkey, const char *path, vigil_error *err)
{
	if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_ED25519) {
		vigil_error_set(err, VIGIL_EXIT_DATAERR, "key %s is a %s key, not Ed25519", path,
						OBJ_nid2sn(EVP_PKEY_get_base_id(pkey)));
		vigil_error_hint(err, "create one with: vigil-export --generate-key FILE");
		return VIGIL_EXIT_DATAERR;
	}
	return 0;
}

static int
load_key(const char *path, bool private, vigil_key **key, vigil_error *err)
{
	EVP_PKEY *pkey = NULL;
	FILE *f = NULL;
	int fd, rc = 0;

	*key = NULL;
	fd = open_key_file(path, private, err);
	if (fd < 0)
		return err->code;
	f = fdopen(fd, "r");
	if (f == NULL) {
		close(fd);
		return vigil_error_set(err, VIGIL_EXIT_SOFTWARE, "cannot read key %s: %s", path, strerror(errno));
	}
	pkey = private ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : PEM_read_PUBKEY(f, NULL, NULL, NULL);
	ERR_clear_error();
	if (pkey == NULL) {
		rc = vigil_error_set(err, VIGIL_EXIT_DATAERR, "%s is not a PEM %s key", path,
							 private ? "private" : "public");
		if (private)
			vigil_error_hint(err, "create one with: vigil-export --generate-key FILE");
		goto done;
	}
	rc = check_ed25519(pkey, path, err);
	if (rc)
		goto done;
	*key = key_wrap(pkey);
	pkey = NULL;
done:
	EVP_PKEY_free(pkey);
	fclose(f);
	return rc;
}

int
vigil_key_load_private(const char *path, vigil_key **key, vigil_error *err)
{
	return load_key(path, true, key, err);
}

int
vigil_key_load_public(const char *path, vigil_key **key, vigil_error *err)
{
	return load_key(path, false, key, err);
}

vigil_key *
vigil_key_parse_public(const void *pem, size_t len, const char *what, vigil_error *err)
{
	BIO *bio;
	EVP_PKEY *pkey;

	if (len > INT32_MAX) {
		vigil_error_set(err, VIGIL_EXIT_DATAERR, "%s is too large for a public key", what);
		return NULL;
	}
	bio = BIO_new_mem_buf(pem, (int) len);
	if (bio == NULL) {
		vigil_error_set(err, VIGIL_EXIT_SOFTWARE, "cannot allocate a buffer for %s", what);
		return NULL;
	}
	pkey = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
	BIO_free(bio);
	ERR_clear_error();
	if (pkey == NULL) {
		vigil_error_set(err, VIGIL_EXIT_DATAERR, "%s is not a PEM public key", what);
		return NULL;
	}
	if (check_ed25519(pkey, what, err) != 0) {
		EVP_PKEY_free(pkey);
		return NULL;
	}
	return key_wrap(pkey);
}

int
vigil_key_generate(const char *path, char fpr[VIGIL_FINGERPRINT_LEN + 1], vigil_error *err)
{
	EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	FILE *f = NULL;
	vigil_key key;
	int fd = -1, rc = 0;

	if (pkey == NULL) {
		ERR_clear_error();
		return vigil_error_set(err, VIGIL_EXIT_SOFTWARE, "cannot generate an Ed25519 key");
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = vigil_error_set(err, VIGIL_EXIT_CANTCREAT, "cannot create key file %s: %s", path,
							 strerror(errno));
		if (errno == EEXIST)
			vigil_error_hint(err, "an existing key is never overwritten; choose another file name");
		goto done;
	}
	/* O_CREAT's mode is filtered by the umask; make 0600 exact. */
	if (fchmod(fd, 0600) != 0 || (f = fdopen(fd, "w")) == NULL) {
		rc = vigil_error_set(err, VIGIL_EXIT_CANTCREAT, "cannot write key file %s: %s", path,
							 strerror(errno));
		goto done;
	}
	fd = -1;
	if (!PEM_write_PrivateKey(f, pkey, NULL, NULL, 0, NULL, NULL) || fflush(f) != 0 ||
		fsync(fileno(f)) != 0) {
		ERR_clear_error();
		rc = vigil_error_set(err, VIGIL_EXIT_CANTCREAT, "cannot write key file %s", path);
		goto done;
	}
	key.pkey = pkey;
	vigil_key_fingerprint(&key, fpr);
done:
	if (f != NULL && fclose(f) != 0 && rc == 0)
		rc = vigil_error_set(err, VIGIL_EXIT_CANTCREAT, "cannot write key file %s: %s", path,
							 strerror(errno));
	if (fd >= 0)
		close(fd);
	if (rc != 0 && (f != NULL || fd >= 0))
		unlink(path);
	EVP_PKEY_free(pkey);
	return rc;
}

void
vigil_key_fingerprint(const vigil_key *key, char fpr[VIGIL_FINGERPRINT_LEN + 1])
{
	unsigned char *der = NULL;
	int len = i2d_PUBKEY(key->pkey, &der);

	if (len <= 0) {
		/* An EVP_PKEY that holds an Ed25519 key always encodes. */
		ERR_clear_error();
		memset(fpr, '0', VIGIL_FINGERPRINT_LEN);
		fpr[VIGIL_FINGERPRINT_LEN] = '\0';
		return;
	}
	vigil_sha256_hex(der, (size_t) len, fpr);
	OPENSSL_free(der);
}

void
vigil_key_public_pem(const vigil_key *key, vigil_buf *out)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data;
	long len;

	if (bio == NULL || !PEM_write_bio_PUBKEY(bio, key->pkey)) {
		fprintf(stderr, "vigil: out of memory\n");
		abort();
	}
	len = BIO_get_mem_data(bio, &data);
	vigil_buf_append(out, data, (size_t) len);
	BIO_free(bio);
}

int
vigil_sign(const vigil_key *key, const void *data, size_t len, unsigned char sig[VIGIL_SIG_LEN],
		   vigil_error *err)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	size_t siglen = VIGIL_SIG_LEN;
	int rc = 0;

	if (md == NULL || EVP_DigestSignInit(md, NULL, NULL, NULL, key->pkey) != 1 ||
		EVP_DigestSign(md, sig, &siglen, data, len) != 1 || siglen != VIGIL_SIG_LEN) {
		ERR_clear_error();
		rc = vigil_error_set(err, VIGIL_EXIT_SOFTWARE, "cannot sign with the Ed25519 key");
		vigil_error_hint(err, "is the key a private key?");
	}
	EVP_MD_CTX_free(md);
	return rc;
}

bool
vigil_verify(const vigil_key *key, const void *data, size_t len, const unsigned char *sig,
			 size_t siglen)
{
	EVP_MD_CTX *md;
	bool ok;

	if (siglen != VIGIL_SIG_LEN)
		return false;
	md = EVP_MD_CTX_new();
	ok = md != NULL && EVP_DigestVerifyInit(md, NULL, NULL, NULL, key->pkey) == 1 &&
		EVP_DigestVerify(md, sig, siglen, data, len) == 1;
	ERR_clear_error();
	EVP_MD_CTX_free(md);
	return ok;
}

bool
vigil_key_equal(const vigil_key *a, const vigil_key *b)
{
	return EVP_PKEY_eq(a->pkey, b->pkey) == 1;
}
