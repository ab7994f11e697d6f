/*
 * sign.h — Ed25519 keys and signatures for audit packages (DESIGN §6), with
 * OpenSSL 3's EVP interface.
 *
 * A private key is a PEM file (PKCS#8, what `openssl genpkey -algorithm
 * ed25519` writes) that must not be readable by group or others; a public key
 * is a PEM SubjectPublicKeyInfo (`openssl pkey -pubout`). A key's fingerprint
 * is the SHA-256 of its DER SubjectPublicKeyInfo in lowercase hex, so anyone
 * can recompute it with
 *
 *	openssl pkey -pubin -in signer.pub.pem -outform DER | sha256sum
 *
 * Ed25519 signatures are deterministic: the same key and message always give
 * the same 64 bytes, which keeps exported packages byte-identical.
 */
#ifndef VIGIL_SIGN_H
#define VIGIL_SIGN_H

#include "util.h"
#include "vigil.h"

#define VIGIL_SIG_LEN 64
#define VIGIL_FINGERPRINT_LEN 64   /* hex characters, without the NUL */

/* An Ed25519 key, private (can sign) or public only (can verify). */
typedef struct vigil_key vigil_key;

/*
 * Loads a private signing key from a PEM file. Returns 0 and sets *key, or:
 * 66 when the file does not exist; 77 when it is readable by group or others
 * (hint: chmod 600) or cannot be read; 65 when it is not a PEM private key or
 * not an Ed25519 key. The caller frees *key with vigil_key_free.
 */
int vigil_key_load_private(const char *path, vigil_key **key, vigil_error *err);

/* Loads a public key from a PEM file (66 missing, 77 unreadable, 65 not an
 * Ed25519 public key). */
int vigil_key_load_public(const char *path, vigil_key **key, vigil_error *err);

/* Parses a PEM public key from memory; NULL when it is not one of an Ed25519
 * key. `what` names the source in err ("signer.pub.pem"). */
vigil_key *vigil_key_parse_public(const void *pem, size_t len, const char *what, vigil_error *err);

/*
 * Generates a new Ed25519 key and writes it as PEM to path, created with
 * mode 0600 (O_EXCL: an existing file is never overwritten). Fills fpr with
 * the public key's fingerprint. Returns 0, or 73 with err filled.
 */
int vigil_key_generate(const char *path, char fpr[VIGIL_FINGERPRINT_LEN + 1], vigil_error *err);

/* The fingerprint (hex SHA-256 of the DER SubjectPublicKeyInfo). */
void vigil_key_fingerprint(const vigil_key *key, char fpr[VIGIL_FINGERPRINT_LEN + 1]);

/* Appends the public key as PEM ("-----BEGIN PUBLIC KEY-----...") to out. */
void vigil_key_public_pem(const vigil_key *key, vigil_buf *out);

/* Signs data with a private key. Returns 0, or 70 with err filled. */
int vigil_sign(const vigil_key *key, const void *data, size_t len, unsigned char sig[VIGIL_SIG_LEN],
			   vigil_error *err);

/* True when sig (siglen bytes) is a valid signature of data by key. */
bool vigil_verify(const vigil_key *key, const void *data, size_t len, const unsigned char *sig,
				  size_t siglen);

/* True when both keys have the same public key. */
bool vigil_key_equal(const vigil_key *a, const vigil_key *b);

void vigil_key_free(vigil_key *key);

#endif
