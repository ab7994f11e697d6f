/*
 * hash.h — SHA-256 over memory, files and streams (OpenSSL EVP), the one
 * digest vigil uses: migration checksums, ledger entries, package manifests.
 */
#ifndef VIGIL_HASH_H
#define VIGIL_HASH_H

#include "vigil.h"

#define VIGIL_SHA256_LEN 32

/* Streaming digest; the context is opaque. */
typedef struct vigil_sha256_ctx vigil_sha256_ctx;

vigil_sha256_ctx *vigil_sha256_new(void);
void vigil_sha256_update(vigil_sha256_ctx *h, const void *data, size_t len);
/* Writes the digest and resets the context for reuse. */
void vigil_sha256_final(vigil_sha256_ctx *h, unsigned char out[VIGIL_SHA256_LEN]);
void vigil_sha256_free(vigil_sha256_ctx *h);

/* One-shot digest of memory. */
void vigil_sha256(const void *data, size_t len, unsigned char out[VIGIL_SHA256_LEN]);
/* One-shot digest as 64 lowercase hex characters plus NUL. */
void vigil_sha256_hex(const void *data, size_t len, char out[2 * VIGIL_SHA256_LEN + 1]);

/* Digest of a file's contents, read in chunks. Returns 0 or an exit code
 * (66 missing, 77 unreadable) with err filled. */
int vigil_sha256_file(const char *path, unsigned char out[VIGIL_SHA256_LEN], vigil_error *err);

#endif
