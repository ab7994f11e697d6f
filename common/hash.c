/*
 * hash.c — thin wrappers over OpenSSL's EVP SHA-256 so callers never touch
 * EVP contexts or forget to free them.
 */
#include "hash.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

struct vigil_sha256_ctx {
	EVP_MD_CTX *ctx;
};

vigil_sha256_ctx *
vigil_sha256_new(void)
{
	vigil_sha256_ctx *h = vigil_malloc(sizeof(*h));

	h->ctx = EVP_MD_CTX_new();
	if (h->ctx == NULL || EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL) != 1)
		abort();
	return h;
}

void
vigil_sha256_update(vigil_sha256_ctx *h, const void *data, size_t len)
{
	if (len)
		EVP_DigestUpdate(h->ctx, data, len);
}

void
vigil_sha256_final(vigil_sha256_ctx *h, unsigned char out[VIGIL_SHA256_LEN])
{
	unsigned int n = 0;

	EVP_DigestFinal_ex(h->ctx, out, &n);
	EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL);
}

void
vigil_sha256_free(vigil_sha256_ctx *h)
{
	if (h == NULL)
		return;
	EVP_MD_CTX_free(h->ctx);
	free(h);
}

void
vigil_sha256(const void *data, size_t len, unsigned char out[VIGIL_SHA256_LEN])
{
	unsigned int n = 0;

	EVP_Digest(data, len, out, &n, EVP_sha256(), NULL);
}

void
vigil_sha256_hex(const void *data, size_t len, char out[2 * VIGIL_SHA256_LEN + 1])
{
	unsigned char d[VIGIL_SHA256_LEN];

	vigil_sha256(data, len, d);
	vigil_hex(d, sizeof(d), out);
}

int
vigil_sha256_file(const char *path, unsigned char out[VIGIL_SHA256_LEN], vigil_error *err)
{
	unsigned char buf[65536];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	vigil_sha256_ctx *h;

	if (fd < 0)
		return vigil_error_set(err, errno == EACCES ? VIGIL_EXIT_NOPERM : VIGIL_EXIT_NOINPUT,
							   "cannot open %s: %s", path, strerror(errno));
	h = vigil_sha256_new();
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;
			close(fd);
			vigil_sha256_free(h);
			return vigil_error_set(err, VIGIL_EXIT_NOINPUT, "cannot read %s: %s", path, strerror(e));
		}
		if (n == 0)
			break;
		vigil_sha256_update(h, buf, (size_t) n);
	}
	close(fd);
	vigil_sha256_final(h, out);
	vigil_sha256_free(h);
	return 0;
}
