/*
 * package.h — the audit package (DESIGN §6): a ZIP holding one BagIt
 * (RFC 8493) bag, written deterministically and checked offline.
 *
 * Writing: the caller adds payload files ("data/...") from memory or from
 * disk, then vigil_package_write lays out the bag — bagit.txt, bag-info.txt,
 * manifest-sha256.txt, tagmanifest-sha256.txt, its Ed25519 signature
 * tagmanifest-sha256.txt.sig and signer.pub.pem — under one top-level
 * directory, and writes the ZIP with every entry in byte order of its path,
 * the DOS time of `as_of` (UTC), Unix modes 0644/0755, no extra fields, and a
 * fixed compression per entry. Same inputs, same bytes.
 *
 * Checking: vigil_package_check_* read a package without extracting it and
 * report every problem (one call of the problem callback each, naming the
 * entry), not only the first.
 */
#ifndef VIGIL_PACKAGE_H
#define VIGIL_PACKAGE_H

#include "hash.h"
#include "sign.h"
#include "vigil.h"

/* The tag files of the bag, relative to its top-level directory. */
#define VIGIL_BAGIT_TXT "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"

typedef struct vigil_package vigil_package;

/* Called while the ZIP is written, after each chunk of a file added with
 * vigil_package_add_file: files and bytes of those done so far. */
typedef void (*vigil_package_progress_fn)(void *ctx, int files_done, int files_total,
										  uint64_t bytes_done, uint64_t bytes_total);

/*
 * A new, empty package whose bag is the directory `top` ("audit-<case>-
 * <as-of>") and whose entries carry the time as_of_us. Free with
 * vigil_package_free.
 */
vigil_package *vigil_package_new(const char *top, int64_t as_of_us);
void vigil_package_free(vigil_package *pkg);

void vigil_package_set_progress(vigil_package *pkg, vigil_package_progress_fn fn, void *ctx);

/* Asked between chunks of the media files, in vigil_package_precheck and
 * vigil_package_write: when it returns true the work stops and fails with
 * 75 (a signal arrived), leaving no file. */
void vigil_package_set_cancel(vigil_package *pkg, bool (*cancelled)(void));

/*
 * Adds a payload file from memory. path is relative to the bag and starts
 * with "data/"; the data is copied. compress: deflate (text) or store.
 */
void vigil_package_add_data(vigil_package *pkg, const char *path, const void *data, size_t len,
							bool compress);

/*
 * Adds a payload file that is streamed from fs_path while the ZIP is
 * written, hashed as it is read and checked against size and sha256 (the
 * values the database holds); label names it in errors ("media object
 * <uuid>"). Nothing is read until vigil_package_write.
 */
void vigil_package_add_file(vigil_package *pkg, const char *path, const char *fs_path, uint64_t size,
							const unsigned char sha256[VIGIL_SHA256_LEN], bool compress,
							const char *label);

/*
 * Checks, before anything is written, that every file added with
 * vigil_package_add_file exists and has the size and SHA-256 it was added
 * with (reading each one through once). Returns 0, or 66 (missing or
 * unreadable) / 65 (different size or hash) with err naming the label and
 * the path.
 */
int vigil_package_precheck(vigil_package *pkg, vigil_error *err);

/* The bag-info.txt values the caller provides; Payload-Oxum and
 * Signing-Key-SHA256 are computed. Values must be one line. */
typedef struct vigil_bag_info {
	const char *source_organization;
	const char *bagging_date;         /* YYYY-MM-DD */
	const char *external_identifier;
	const char *as_of;
} vigil_bag_info;

typedef struct vigil_package_result {
	unsigned char package_sha256[VIGIL_SHA256_LEN];  /* of the ZIP file */
	unsigned char manifest_sha256[VIGIL_SHA256_LEN]; /* of manifest-sha256.txt */
	char key_fingerprint[VIGIL_FINGERPRINT_LEN + 1];
	uint64_t byte_size;                              /* of the ZIP file */
	uint64_t payload_bytes;
	int payload_files;
} vigil_package_result;

/*
 * Writes the package to `path` (which must not exist: the caller passes a
 * temporary name and renames it). Files added from disk are streamed and
 * checked while they are written; a missing file (66) or a size or hash
 * mismatch (65) stops the write and leaves no file at path. Returns 0 with
 * res filled, 73 when the file cannot be written, or the code of the
 * failure. Sets TZ=UTC for the process: libzip 1.7 turns DOS times into
 * time_t through the local time zone, which must not change the bytes.
 */
int vigil_package_write(vigil_package *pkg, const char *path, const vigil_key *key,
						const vigil_bag_info *info, vigil_package_result *res, vigil_error *err);

/* Turns a stored file name into one that is safe as a single path component
 * in the package: no '/', '\\', '%', control characters, Windows-reserved
 * punctuation, no "." or "..", at most 200 bytes (cut on a UTF-8 boundary).
 * Returns a malloc'd string. */
char *vigil_package_safe_name(const char *name);

/* Checking a package. */
typedef struct vigil_package_check_opts {
	vigil_key *const *pinned;     /* trusted public keys */
	size_t npinned;
	bool allow_embedded_key;      /* accept signer.pub.pem when nothing is pinned */
	/* One problem: the entry it concerns (NULL: the package) and what is
	 * wrong, one line. */
	void (*problem)(void *ctx, const char *entry, const char *msg);
	/* Something worth saying that is not a problem by itself (may be NULL). */
	void (*note)(void *ctx, const char *msg);
	void *ctx;
} vigil_package_check_opts;

typedef struct vigil_package_report {
	int problems;
	int entries;
	int payload_files;
	uint64_t payload_bytes;
	bool signature_ok;
	bool signer_pinned;
	char key_fingerprint[VIGIL_FINGERPRINT_LEN + 1];  /* "" when no key verified */
} vigil_package_report;

/*
 * Checks the package in file path. Returns 0 with rep filled (rep->problems
 * says whether it is valid), 66 when the file is missing or unreadable, or
 * 65 when it is not a ZIP at all (no ZIP signature at its start).
 */
int vigil_package_check_file(const char *path, const vigil_package_check_opts *opts,
							 vigil_package_report *rep, vigil_error *err);

/* The same over a package in memory (tests and fuzzing); name is used for
 * package-level problems. */
int vigil_package_check_buffer(const void *data, size_t len, const char *name,
							   const vigil_package_check_opts *opts, vigil_package_report *rep,
							   vigil_error *err);

#endif
