/*
 * package.c — writing and checking the audit package, a BagIt bag in a ZIP
 * (see package.h).
 *
 * Why media is read twice. manifest-sha256.txt must hold every payload
 * file's hash, but libzip writes all entries only at zip_close, in index
 * order, and needs each source's size and content when it gets there. So
 * vigil_package_precheck first reads every media file once, checking its size
 * and SHA-256 against the database (an export with a bad file stops before a
 * single byte is written); then zip_close streams each file again through
 * file_source(), which hashes what libzip reads and fails the write if it no
 * longer matches — the manifest cannot describe bytes that are not in the
 * ZIP, and memory stays flat whatever the media weigh. (A lazily generated
 * manifest source would save the first read, but would depend on the order
 * in which libzip stats and opens sources, which libzip does not promise.)
 *
 * Determinism: entries are added in byte order of their paths; each gets
 * zip_file_set_dostime from as_of in UTC, Unix attributes 0100644 (files) or
 * 040755 (directories), and an explicit method (deflate at level 6, or
 * store); sources report no mtime and libzip 1.7 adds no extra fields of its
 * own. Ed25519 signatures are deterministic.
 *
 * Checking never extracts: each entry is read through libzip (which checks
 * its CRC) and hashed; only the small tag files are kept in memory.
 */
#include "package.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <zip.h>

#include "util.h"

#define DEFLATE_LEVEL 6
#define CHUNK (64 * 1024)
#define TAG_FILE_MAX (64 * 1024 * 1024)

typedef struct pkg_entry {
	char *path;                 /* relative to the bag, e.g. "data/case.json" */
	bool is_dir;
	bool compress;
	bool payload;
	/* memory entries */
	unsigned char *data;
	size_t len;
	/* file entries */
	char *fs_path;
	char *label;
	uint64_t size;
	unsigned char sha256[VIGIL_SHA256_LEN];
	bool from_file;
} pkg_entry;

struct vigil_package {
	char *top;
	int64_t as_of_us;
	pkg_entry *entries;
	size_t nentries;
	size_t cap;
	vigil_package_progress_fn progress;
	void *progress_ctx;
	bool (*cancelled)(void);
	/* while writing */
	int files_done;
	int files_total;
	uint64_t bytes_done;
	uint64_t bytes_total;
	vigil_error src_err;        /* the first failure of a file source */
};

vigil_package *
vigil_package_new(const char *top, int64_t as_of_us)
{
	vigil_package *pkg = vigil_malloc(sizeof(*pkg));

	memset(pkg, 0, sizeof(*pkg));
	pkg->top = vigil_strdup(top);
	pkg->as_of_us = as_of_us;
	return pkg;
}

void
vigil_package_free(vigil_package *pkg)
{
	if (pkg == NULL)
		return;
	for (size_t i = 0; i < pkg->nentries; i++) {
		free(pkg->entries[i].path);
		free(pkg->entries[i].data);
		free(pkg->entries[i].fs_path);
		free(pkg->entries[i].label);
	}
	free(pkg->entries);
	free(pkg->top);
	free(pkg);
}

void
vigil_package_set_progress(vigil_package *pkg, vigil_package_progress_fn fn, void *ctx)
{
	pkg->progress = fn;
	pkg->progress_ctx = ctx;
}

void
vigil_package_set_cancel(vigil_package *pkg, bool (*cancelled)(void))
{
	pkg->cancelled = cancelled;
}

static int
cancel_error(vigil_error *err)
{
	return vigil_error_set(err, VIGIL_EXIT_TEMPFAIL, "interrupted while writing the package; nothing was kept");
}

static pkg_entry *
entry_push(vigil_package *pkg, const char *path)
{
	pkg_entry *e;

	if (pkg->nentries == pkg->cap) {
		pkg->cap = pkg->cap ? pkg->cap * 2 : 32;
		pkg->entries = vigil_realloc(pkg->entries, pkg->cap * sizeof(*pkg->entries));
	}
	e = &pkg->entries[pkg->nentries++];
	memset(e, 0, sizeof(*e));
	e->path = vigil_strdup(path);
	return e;
}

static void
entry_set_data(pkg_entry *e, const void *data, size_t len)
{
	e->data = vigil_malloc(len ? len : 1);
	if (len)
		memcpy(e->data, data, len);
	e->len = len;
	e->size = len;
	vigil_sha256(data, len, e->sha256);
}

void
vigil_package_add_data(vigil_package *pkg, const char *path, const void *data, size_t len,
					   bool compress)
{
	pkg_entry *e = entry_push(pkg, path);

	entry_set_data(e, data, len);
	e->compress = compress;
	e->payload = true;
}

void
vigil_package_add_file(vigil_package *pkg, const char *path, const char *fs_path, uint64_t size,
					   const unsigned char sha256[VIGIL_SHA256_LEN], bool compress, const char *label)
{
	pkg_entry *e = entry_push(pkg, path);

	e->fs_path = vigil_strdup(fs_path);
	e->label = vigil_strdup(label);
	e->size = size;
	memcpy(e->sha256, sha256, VIGIL_SHA256_LEN);
	e->compress = compress;
	e->payload = true;
	e->from_file = true;
}

static int
file_error(const pkg_entry *e, int code, const char *what, vigil_error *err)
{
	vigil_error_set(err, code, "%s: %s %s", e->label, what, e->fs_path);
	if (code == VIGIL_EXIT_DATAERR)
		vigil_error_hint(err, "the stored file no longer matches media_objects; nothing was exported");
	return code;
}

/* Opens a media file for reading; refuses anything but a regular file (a
 * FIFO would block the export forever). Returns the descriptor, or -1 with
 * *what describing the failure and *code its exit code. */
static int
open_regular(const char *path, char *what, size_t whatsize, int *code)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);

	if (fd < 0) {
		snprintf(what, whatsize, "cannot open (%s)", strerror(errno));
		*code = errno == EACCES ? VIGIL_EXIT_NOPERM : VIGIL_EXIT_NOINPUT;
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(what, whatsize, "is not a regular file:");
		*code = VIGIL_EXIT_DATAERR;
		close(fd);
		return -1;
	}
	return fd;
}

int
vigil_package_precheck(vigil_package *pkg, vigil_error *err)
{
	unsigned char *buf = vigil_malloc(CHUNK);
	vigil_sha256_ctx *h = vigil_sha256_new();
	unsigned char got[VIGIL_SHA256_LEN];
	char what[512];
	int rc = 0;

	for (size_t i = 0; i < pkg->nentries && rc == 0; i++) {
		pkg_entry *e = &pkg->entries[i];
		uint64_t total = 0;
		int fd;

		if (!e->from_file)
			continue;
		fd = open_regular(e->fs_path, what, sizeof(what), &rc);
		if (fd < 0) {
			rc = file_error(e, rc, what, err);
			break;
		}
		for (;;) {
			ssize_t n = read(fd, buf, CHUNK);

			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0) {
				snprintf(what, sizeof(what), "cannot read (%s)", strerror(errno));
				rc = file_error(e, VIGIL_EXIT_NOINPUT, what, err);
				break;
			}
			if (n == 0)
				break;
			vigil_sha256_update(h, buf, (size_t) n);
			total += (uint64_t) n;
			if (pkg->cancelled && pkg->cancelled()) {
				rc = cancel_error(err);
				break;
			}
		}
		close(fd);
		vigil_sha256_final(h, got);
		if (rc)
			break;
		if (total != e->size) {
			snprintf(what, sizeof(what), "has %llu bytes, media_objects.byte_size says %llu:",
					 (unsigned long long) total, (unsigned long long) e->size);
			rc = file_error(e, VIGIL_EXIT_DATAERR, what, err);
		} else if (memcmp(got, e->sha256, VIGIL_SHA256_LEN) != 0)
			rc = file_error(e, VIGIL_EXIT_DATAERR, "SHA-256 differs from media_objects.sha256:", err);
	}
	vigil_sha256_free(h);
	free(buf);
	return rc;
}

char *
vigil_package_safe_name(const char *name)
{
	vigil_buf out = {0};
	size_t len = strlen(name);

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char) name[i];

		if (c < 0x20 || c == 0x7f || strchr("/\\%:*?\"<>|", c) != NULL)
			vigil_buf_append(&out, "_", 1);
		else
			vigil_buf_append(&out, (const char *) &c, 1);
	}
	vigil_buf_append(&out, "", 0);
	/* At most 200 bytes, cut before a UTF-8 continuation byte never inside
	 * a character. */
	if (out.len > 200) {
		size_t cut = 200;

		while (cut > 0 && ((unsigned char) out.data[cut] & 0xC0) == 0x80)
			cut--;
		out.len = cut;
		out.data[cut] = '\0';
	}
	/* Leading and trailing spaces and dots confuse file systems and
	 * sha256sum alike; "", "." and ".." are not names. */
	while (out.len > 0 && (out.data[out.len - 1] == ' ' || out.data[out.len - 1] == '.'))
		out.data[--out.len] = '\0';
	if (out.len > 0 && (out.data[0] == ' ' || out.data[0] == '.'))
		out.data[0] = '_';
	if (out.len == 0) {
		vigil_buf_free(&out);
		return vigil_strdup("unnamed");
	}
	return out.data;
}

/* Streams one file into libzip, hashing it and checking it at EOF. */
typedef struct file_src {
	vigil_package *pkg;
	pkg_entry *e;
	int fd;
	uint64_t done;
	vigil_sha256_ctx *h;
	zip_error_t zerr;
} file_src;

static zip_int64_t
src_fail(file_src *s, int code, const char *what, int zip_code, int sys_errno)
{
	if (s->pkg->src_err.code == 0)
		file_error(s->e, code, what, &s->pkg->src_err);
	zip_error_set(&s->zerr, zip_code, sys_errno);
	return -1;
}

static zip_int64_t
file_source(void *userdata, void *data, zip_uint64_t len, zip_source_cmd_t cmd)
{
	file_src *s = userdata;
	char what[256];

	switch (cmd) {
	case ZIP_SOURCE_OPEN: {
		int code;

		s->fd = open_regular(s->e->fs_path, what, sizeof(what), &code);
		if (s->fd < 0)
			return src_fail(s, code, what, ZIP_ER_OPEN, errno);
		s->done = 0;
		if (s->h == NULL)
			s->h = vigil_sha256_new();
		return 0;
	}
	case ZIP_SOURCE_READ: {
		ssize_t n;
		unsigned char got[VIGIL_SHA256_LEN];

		if (len > CHUNK * 16)
			len = CHUNK * 16;
		do
			n = read(s->fd, data, len);
		while (n < 0 && errno == EINTR);
		if (n < 0) {
			snprintf(what, sizeof(what), "cannot read (%s)", strerror(errno));
			return src_fail(s, VIGIL_EXIT_NOINPUT, what, ZIP_ER_READ, errno);
		}
		vigil_sha256_update(s->h, data, (size_t) n);
		s->done += (uint64_t) n;
		s->pkg->bytes_done += (uint64_t) n;
		if (s->done > s->e->size)
			return src_fail(s, VIGIL_EXIT_DATAERR, "grew while it was exported:", ZIP_ER_INCONS, 0);
		if (n == 0) {
			vigil_sha256_final(s->h, got);
			if (s->done != s->e->size)
				return src_fail(s, VIGIL_EXIT_DATAERR, "shrank while it was exported:", ZIP_ER_INCONS, 0);
			if (memcmp(got, s->e->sha256, VIGIL_SHA256_LEN) != 0)
				return src_fail(s, VIGIL_EXIT_DATAERR, "changed while it was exported (SHA-256 differs):",
								ZIP_ER_INCONS, 0);
		}
		if (s->pkg->cancelled && s->pkg->cancelled()) {
			if (s->pkg->src_err.code == 0)
				cancel_error(&s->pkg->src_err);
			zip_error_set(&s->zerr, ZIP_ER_CANCELLED, 0);
			return -1;
		}
		if (s->pkg->progress)
			s->pkg->progress(s->pkg->progress_ctx, s->pkg->files_done, s->pkg->files_total,
							 s->pkg->bytes_done, s->pkg->bytes_total);
		return n;
	}
	case ZIP_SOURCE_CLOSE:
		if (s->fd >= 0)
			close(s->fd);
		s->fd = -1;
		s->pkg->files_done++;
		if (s->pkg->progress)
			s->pkg->progress(s->pkg->progress_ctx, s->pkg->files_done, s->pkg->files_total,
									s->pkg->bytes_done, s->pkg->bytes_total);
		return 0;
	case ZIP_SOURCE_STAT: {
		zip_stat_t *st = data;

		if (len < sizeof(*st))
			return -1;
		zip_stat_init(st);
		st->size = s->e->size;
		st->valid |= ZIP_STAT_SIZE;
		return sizeof(*st);
	}
	case ZIP_SOURCE_ERROR:
		return zip_error_to_data(&s->zerr, data, len);
	case ZIP_SOURCE_FREE:
		if (s->fd >= 0)
			close(s->fd);
		vigil_sha256_free(s->h);
		zip_error_fini(&s->zerr);
		free(s);
		return 0;
	case ZIP_SOURCE_SUPPORTS:
		return zip_source_make_command_bitmap(ZIP_SOURCE_OPEN, ZIP_SOURCE_READ, ZIP_SOURCE_CLOSE,
											  ZIP_SOURCE_STAT, ZIP_SOURCE_ERROR, ZIP_SOURCE_FREE, -1);
	default:
		zip_error_set(&s->zerr, ZIP_ER_OPNOTSUPP, 0);
		return -1;
	}
}

static int
cmp_entry(const void *a, const void *b)
{
	return strcmp(((const pkg_entry *) a)->path, ((const pkg_entry *) b)->path);
}

static void
dos_time(int64_t us, zip_uint16_t *dtime, zip_uint16_t *ddate)
{
	time_t t = (time_t) (us / 1000000 - (us % 1000000 < 0 ? 1 : 0));
	struct tm tm;

	gmtime_r(&t, &tm);
	if (tm.tm_year < 80) {
		tm.tm_year = 80, tm.tm_mon = 0, tm.tm_mday = 1;
		tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	} else if (tm.tm_year > 207) {
		tm.tm_year = 207, tm.tm_mon = 11, tm.tm_mday = 31;
		tm.tm_hour = 23, tm.tm_min = 59, tm.tm_sec = 58;
	}
	*ddate = (zip_uint16_t) (((tm.tm_year - 80) << 9) | ((tm.tm_mon + 1) << 5) | tm.tm_mday);
	*dtime = (zip_uint16_t) ((tm.tm_hour << 11) | (tm.tm_min << 5) | (tm.tm_sec / 2));
}

static int
cmp_strp(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

/* Adds the directory entries every path needs ("", "data/", "data/media/"
 * ...): every prefix ending in '/', collected, sorted and made unique, so
 * the cost is n log n however many directories there are. */
static void
add_directories(vigil_package *pkg)
{
	size_t n = pkg->nentries, ndirs = 0, cap = 16;
	char **dirs = vigil_malloc(cap * sizeof(*dirs));

	dirs[ndirs++] = vigil_strdup("");     /* the bag's own directory */
	for (size_t i = 0; i < n; i++) {
		const char *path = pkg->entries[i].path;

		for (const char *slash = strchr(path, '/'); slash; slash = strchr(slash + 1, '/')) {
			if (ndirs == cap) {
				cap *= 2;
				dirs = vigil_realloc(dirs, cap * sizeof(*dirs));
			}
			dirs[ndirs++] = vigil_asprintf("%.*s", (int) (slash - path + 1), path);
		}
	}
	qsort(dirs, ndirs, sizeof(*dirs), cmp_strp);
	for (size_t i = 0; i < ndirs; i++) {
		if (i == 0 || strcmp(dirs[i], dirs[i - 1]) != 0)
			entry_push(pkg, dirs[i])->is_dir = true;
	}
	for (size_t i = 0; i < ndirs; i++)
		free(dirs[i]);
	free(dirs);
}

static pkg_entry *
add_tag(vigil_package *pkg, const char *path, const void *data, size_t len)
{
	pkg_entry *e = entry_push(pkg, path);

	entry_set_data(e, data, len);
	e->compress = true;
	return e;
}

static int
zip_fail(zip_t *za, const char *path, const char *what, vigil_error *err)
{
	return vigil_error_set(err, VIGIL_EXIT_CANTCREAT, "cannot %s %s: %s", what, path,
						   zip_error_strerror(zip_get_error(za)));
}

/* Adds every entry (sorted) to za. */
static int
add_entries(vigil_package *pkg, zip_t *za, const char *path, vigil_error *err)
{
	zip_uint16_t dtime, ddate;

	dos_time(pkg->as_of_us, &dtime, &ddate);
	for (size_t i = 0; i < pkg->nentries; i++) {
		pkg_entry *e = &pkg->entries[i];
		char *name = vigil_asprintf("%s/%s", pkg->top, e->path);
		zip_source_t *src = NULL;
		zip_int64_t idx;
		zip_uint32_t mode;

		if (e->is_dir) {
			name[strlen(name) - 1] = '\0';
			idx = zip_dir_add(za, name, ZIP_FL_ENC_UTF_8);
			mode = 040755;
		} else {
			if (e->from_file) {
				file_src *s = vigil_malloc(sizeof(*s));

				memset(s, 0, sizeof(*s));
				s->pkg = pkg;
				s->e = e;
				s->fd = -1;
				zip_error_init(&s->zerr);
				src = zip_source_function(za, file_source, s);
				if (src == NULL)
					free(s);
			} else
				src = zip_source_buffer(za, e->data, e->len, 0);
			if (src == NULL) {
				free(name);
				return zip_fail(za, path, "create a source for", err);
			}
			idx = zip_file_add(za, name, src, ZIP_FL_ENC_UTF_8);
			if (idx < 0)
				zip_source_free(src);
			mode = 0100644;
		}
		free(name);
		if (idx < 0)
			return zip_fail(za, path, "add an entry to", err);
		if ((!e->is_dir && zip_set_file_compression(za, (zip_uint64_t) idx,
							e->compress ? ZIP_CM_DEFLATE : ZIP_CM_STORE,
							e->compress ? DEFLATE_LEVEL : 0) != 0) ||
			zip_file_set_dostime(za, (zip_uint64_t) idx, dtime, ddate, 0) != 0 ||
			zip_file_set_external_attributes(za, (zip_uint64_t) idx, 0, ZIP_OPSYS_UNIX,
											 mode << 16) != 0)
			return zip_fail(za, path, "set the attributes of an entry in", err);
	}
	return 0;
}

static int
hash_output(const char *path, vigil_package_result *res, vigil_error *err)
{
	struct stat st;
	int rc = vigil_sha256_file(path, res->package_sha256, err);

	if (rc)
		return rc;
	if (stat(path, &st) != 0)
		return vigil_error_set(err, VIGIL_EXIT_CANTCREAT, "cannot stat %s: %s", path, strerror(errno));
	res->byte_size = (uint64_t) st.st_size;
	return 0;
}

int
vigil_package_write(vigil_package *pkg, const char *path, const vigil_key *key,
					const vigil_bag_info *info, vigil_package_result *res, vigil_error *err)
{
	vigil_buf manifest = {0}, baginfo = {0}, tagmanifest = {0}, pem = {0};
	unsigned char sig[VIGIL_SIG_LEN];
	char hex[2 * VIGIL_SHA256_LEN + 1];
	zip_t *za = NULL;
	int zerr = 0, rc = 0;
	size_t npayload = pkg->nentries;

	memset(res, 0, sizeof(*res));
	vigil_error_clear(&pkg->src_err);
	setenv("TZ", "UTC0", 1);
	tzset();

	/* The payload manifest, sorted by path, and its totals. */
	qsort(pkg->entries, pkg->nentries, sizeof(*pkg->entries), cmp_entry);
	for (size_t i = 0; i < npayload; i++) {
		pkg_entry *e = &pkg->entries[i];

		if (i > 0 && strcmp(e->path, pkg->entries[i - 1].path) == 0) {
			rc = vigil_error_set(err, VIGIL_EXIT_SOFTWARE, "two payload files named %s", e->path);
			goto done;
		}
		vigil_hex(e->sha256, VIGIL_SHA256_LEN, hex);
		vigil_buf_printf(&manifest, "%s  %s\n", hex, e->path);
		res->payload_bytes += e->size;
		res->payload_files++;
	}
	vigil_buf_append(&manifest, "", 0);
	vigil_sha256(manifest.data, manifest.len, res->manifest_sha256);
	vigil_key_fingerprint(key, res->key_fingerprint);

	vigil_buf_printf(&baginfo,
					 "Source-Organization: %s\nBagging-Date: %s\nPayload-Oxum: %llu.%d\n"
					 "External-Identifier: %s\nAs-Of: %s\nSigning-Key-SHA256: %s\n",
					 info->source_organization, info->bagging_date,
					 (unsigned long long) res->payload_bytes, res->payload_files,
					 info->external_identifier, info->as_of, res->key_fingerprint);

	add_tag(pkg, "bagit.txt", VIGIL_BAGIT_TXT, strlen(VIGIL_BAGIT_TXT));
	add_tag(pkg, "bag-info.txt", baginfo.data, baginfo.len);
	add_tag(pkg, "manifest-sha256.txt", manifest.data, manifest.len);
	/* In byte order: bag-info.txt, bagit.txt, manifest-sha256.txt. */
	for (size_t j = 0; j < 3; j++) {
		static const char *const order[] = {"bag-info.txt", "bagit.txt", "manifest-sha256.txt"};

		for (size_t i = npayload; i < pkg->nentries; i++)
			if (strcmp(pkg->entries[i].path, order[j]) == 0) {
				vigil_hex(pkg->entries[i].sha256, VIGIL_SHA256_LEN, hex);
				vigil_buf_printf(&tagmanifest, "%s  %s\n", hex, order[j]);
			}
	}
	add_tag(pkg, "tagmanifest-sha256.txt", tagmanifest.data, tagmanifest.len);
	rc = vigil_sign(key, tagmanifest.data, tagmanifest.len, sig, err);
	if (rc)
		goto done;
	add_tag(pkg, "tagmanifest-sha256.txt.sig", sig, sizeof(sig))->compress = false;
	vigil_key_public_pem(key, &pem);
	add_tag(pkg, "signer.pub.pem", pem.data, pem.len);
	add_directories(pkg);
	qsort(pkg->entries, pkg->nentries, sizeof(*pkg->entries), cmp_entry);

	pkg->files_done = 0;
	pkg->files_total = 0;
	pkg->bytes_done = 0;
	pkg->bytes_total = 0;
	for (size_t i = 0; i < pkg->nentries; i++)
		if (pkg->entries[i].from_file) {
			pkg->files_total++;
			pkg->bytes_total += pkg->entries[i].size;
		}

	za = zip_open(path, ZIP_CREATE | ZIP_EXCL, &zerr);
	if (za == NULL) {
		zip_error_t ze;

		zip_error_init_with_code(&ze, zerr);
		rc = vigil_error_set(err, VIGIL_EXIT_CANTCREAT, "cannot create %s: %s", path,
							 zip_error_strerror(&ze));
		zip_error_fini(&ze);
		goto done;
	}
	rc = add_entries(pkg, za, path, err);
	if (rc)
		goto done;
	if (zip_close(za) != 0) {
		if (pkg->src_err.code != 0) {
			*err = pkg->src_err;
			rc = err->code;
		} else
			rc = zip_fail(za, path, "write", err);
		goto done;
	}
	za = NULL;
	rc = hash_output(path, res, err);
	if (rc)
		unlink(path);
done:
	if (za != NULL)
		zip_discard(za);
	vigil_buf_free(&manifest);
	vigil_buf_free(&baginfo);
	vigil_buf_free(&tagmanifest);
	vigil_buf_free(&pem);
	return rc;
}

/* ---- Checking ----------------------------------------------------------- */

typedef struct chk_entry {
	char *name;                 /* as stored (raw bytes) */
	const char *rel;            /* after "<top>/", or NULL when unsafe/outside */
	bool is_dir;
	bool read_ok;
	bool listed;                /* named by a manifest */
	uint64_t size;
	char hex[2 * VIGIL_SHA256_LEN + 1];
	vigil_buf content;          /* tag files only */
} chk_entry;

typedef struct checker {
	const vigil_package_check_opts *opts;
	vigil_package_report *rep;
	const char *pkgname;
	chk_entry *entries;
	zip_int64_t n;
	char *top;
	chk_entry **by_rel;         /* entries with a usable path, sorted by it */
	size_t nrel;
} checker;

/* Makes a name printable on one line: control bytes become \xNN. */
static void
printable(const char *s, vigil_buf *out)
{
	vigil_buf_reset(out);
	for (; *s; s++) {
		unsigned char c = (unsigned char) *s;

		if (c < 0x20 || c == 0x7f)
			vigil_buf_printf(out, "\\x%02x", c);
		else
			vigil_buf_append(out, (const char *) &c, 1);
	}
	vigil_buf_append(out, "", 0);
}

static void problem(checker *c, const char *entry, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
problem(checker *c, const char *entry, const char *fmt, ...)
{
	vigil_buf msg = {0}, name = {0};
	va_list ap;

	va_start(ap, fmt);
	vigil_buf_vprintf(&msg, fmt, ap);
	va_end(ap);
	printable(entry ? entry : c->pkgname, &name);
	c->rep->problems++;
	if (c->opts->problem)
		c->opts->problem(c->opts->ctx, name.data, msg.data);
	vigil_buf_free(&msg);
	vigil_buf_free(&name);
}

static void note(checker *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
note(checker *c, const char *fmt, ...)
{
	vigil_buf msg = {0};
	va_list ap;

	if (c->opts->note == NULL)
		return;
	va_start(ap, fmt);
	vigil_buf_vprintf(&msg, fmt, ap);
	va_end(ap);
	c->opts->note(c->opts->ctx, msg.data);
	vigil_buf_free(&msg);
}

/* The full name of a bag-relative path, for messages. */
static char *
full(const checker *c, const char *rel)
{
	return vigil_asprintf("%s/%s", c->top ? c->top : "", rel);
}

static int
cmp_rel(const void *a, const void *b)
{
	return strcmp((*(chk_entry *const *) a)->rel, (*(chk_entry *const *) b)->rel);
}

/* Indexes the entries by bag-relative path, for find_rel. */
static void
index_rel(checker *c)
{
	c->by_rel = vigil_malloc(((size_t) c->n + 1) * sizeof(*c->by_rel));
	c->nrel = 0;
	for (zip_int64_t i = 0; i < c->n; i++)
		if (c->entries[i].rel)
			c->by_rel[c->nrel++] = &c->entries[i];
	qsort(c->by_rel, c->nrel, sizeof(*c->by_rel), cmp_rel);
}

static chk_entry *
find_rel(checker *c, const char *rel)
{
	chk_entry key = {.rel = rel}, *kp = &key, **hit;

	hit = c->nrel ? bsearch(&kp, c->by_rel, c->nrel, sizeof(*c->by_rel), cmp_rel) : NULL;
	return hit ? *hit : NULL;
}

static bool
is_tag_name(const char *rel)
{
	static const char *const tags[] = {"bagit.txt", "bag-info.txt", "manifest-sha256.txt",
		"tagmanifest-sha256.txt", "tagmanifest-sha256.txt.sig", "signer.pub.pem"};

	for (size_t i = 0; i < sizeof(tags) / sizeof(tags[0]); i++)
		if (strcmp(rel, tags[i]) == 0)
			return true;
	return false;
}

/* Checks one name; returns false when it is unsafe (already reported). */
static bool
check_name(checker *c, const char *name)
{
	const char *p = name;

	if (*name == '\0') {
		problem(c, "(empty name)", "entry with an empty name");
		return false;
	}
	if (name[0] == '/') {
		problem(c, name, "absolute path");
		return false;
	}
	if (strchr(name, '\\')) {
		problem(c, name, "backslash in path");
		return false;
	}
	for (const char *q = name; *q; q++)
		if ((unsigned char) *q < 0x20 || *q == 0x7f) {
			problem(c, name, "control character in path");
			return false;
		}
	while (*p) {
		const char *slash = strchr(p, '/');
		size_t len = slash ? (size_t) (slash - p) : strlen(p);

		if (len == 2 && p[0] == '.' && p[1] == '.') {
			problem(c, name, "'..' in path");
			return false;
		}
		if ((len == 0 && slash) || (len == 1 && p[0] == '.')) {
			problem(c, name, "empty or '.' path component");
			return false;
		}
		if (!slash)
			break;
		p = slash + 1;
	}
	return true;
}

/* Reads entry i through libzip (CRC checked), hashing it; keeps the content
 * of tag files. */
static void
read_entry(checker *c, zip_t *za, zip_int64_t i, unsigned char *buf)
{
	chk_entry *e = &c->entries[i];
	bool keep = e->rel && strchr(e->rel, '/') == NULL;
	vigil_sha256_ctx *h = vigil_sha256_new();
	unsigned char digest[VIGIL_SHA256_LEN];
	zip_file_t *zf = zip_fopen_index(za, (zip_uint64_t) i, 0);
	bool too_big = false;

	if (zf == NULL) {
		problem(c, e->name, "cannot read: %s", zip_error_strerror(zip_get_error(za)));
		zip_error_clear(za);
		goto done;
	}
	e->size = 0;
	for (;;) {
		zip_int64_t n = zip_fread(zf, buf, CHUNK);

		if (n < 0) {
			zip_error_t *ze = zip_file_get_error(zf);

			if (zip_error_code_zip(ze) == ZIP_ER_CRC)
				problem(c, e->name, "CRC mismatch: the entry is damaged");
			else
				problem(c, e->name, "cannot read: %s", zip_error_strerror(ze));
			goto done;
		}
		if (n == 0)
			break;
		vigil_sha256_update(h, buf, (size_t) n);
		e->size += (uint64_t) n;
		if (keep && !too_big) {
			if (e->size > TAG_FILE_MAX) {
				too_big = true;
				vigil_buf_free(&e->content);
			} else
				vigil_buf_append(&e->content, (const char *) buf, (size_t) n);
		}
	}
	if (too_big) {
		problem(c, e->name, "tag file larger than %d bytes", TAG_FILE_MAX);
		goto done;
	}
	{
		/* A declared size that differs from what the data holds is a
		 * forged header (the zip-bomb shape): libzip reads what is there. */
		zip_stat_t st;

		zip_stat_init(&st);
		if (zip_stat_index(za, (zip_uint64_t) i, 0, &st) == 0 && (st.valid & ZIP_STAT_SIZE) &&
			st.size != e->size) {
			problem(c, e->name, "declared size %llu bytes but holds %llu", (unsigned long long) st.size,
					(unsigned long long) e->size);
			goto done;
		}
	}
	vigil_buf_append(&e->content, "", 0);
	vigil_sha256_final(h, digest);
	vigil_hex(digest, VIGIL_SHA256_LEN, e->hex);
	e->read_ok = true;
done:
	if (zf)
		zip_fclose(zf);
	vigil_sha256_free(h);
}

static bool
is_lower_hex64(const char *s)
{
	for (int i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/* One well-formed manifest line. */
typedef struct mline {
	const char *hash;
	const char *path;
	int lineno;
	bool dup;
} mline;

static int
cmp_mline(const void *a, const void *b)
{
	const mline *x = *(mline *const *) a, *y = *(mline *const *) b;
	int d = strcmp(x->path, y->path);

	return d ? d : (x->lineno > y->lineno) - (x->lineno < y->lineno);
}

/*
 * Checks a manifest ("manifest-sha256.txt" or the tag manifest) line by
 * line against the entries: format, duplicates, each hash, each file
 * present. payload: lines must name data/ files, else tag files.
 */
static void
check_manifest(checker *c, const char *mname, bool payload)
{
	chk_entry *m = find_rel(c, mname);
	char *mfull = full(c, mname), *text = NULL, *p;
	mline *lines = NULL, **sorted = NULL;
	size_t n = 0, cap = 0;
	int lineno = 0;

	if (m == NULL) {
		problem(c, mfull, "missing");
		goto done;
	}
	if (!m->read_ok)
		goto done;
	if (m->content.len != strlen(m->content.data)) {
		problem(c, mfull, "contains a NUL byte");
		goto done;
	}
	if (m->content.len > 0 && m->content.data[m->content.len - 1] != '\n')
		problem(c, mfull, "last line does not end with a newline");
	/* Split a copy into lines (the tag manifest's bytes are still needed
	 * intact for the signature). */
	text = vigil_strdup(m->content.data);
	for (p = text; *p;) {
		char *nl = strchr(p, '\n'), *line = p;
		size_t len = nl ? (size_t) (nl - p) : strlen(p);

		p += len + (nl ? 1 : 0);
		line[len] = '\0';
		lineno++;
		if (len < 67 || !is_lower_hex64(line) || line[64] != ' ' || line[65] != ' ') {
			problem(c, mfull, "line %d is not \"<64 lowercase hex>  <path>\"", lineno);
			continue;
		}
		line[64] = '\0';
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			lines = vigil_realloc(lines, cap * sizeof(*lines));
		}
		lines[n++] = (mline) {.hash = line, .path = line + 66, .lineno = lineno};
	}
	/* Duplicates: sorted by path, each later line of a path is one. */
	sorted = vigil_malloc((n ? n : 1) * sizeof(*sorted));
	for (size_t i = 0; i < n; i++)
		sorted[i] = &lines[i];
	qsort(sorted, n, sizeof(*sorted), cmp_mline);
	for (size_t i = 1; i < n; i++)
		if (strcmp(sorted[i]->path, sorted[i - 1]->path) == 0) {
			sorted[i]->dup = true;
			problem(c, mfull, "line %d lists %s twice", sorted[i]->lineno, sorted[i]->path);
		}
	for (size_t i = 0; i < n; i++) {
		const mline *l = &lines[i];
		chk_entry *e;

		if (l->dup)
			continue;
		if (payload && strncmp(l->path, "data/", 5) != 0)
			problem(c, mfull, "line %d names %s, which is not under data/", l->lineno, l->path);
		else if (!payload && (strncmp(l->path, "data/", 5) == 0 || strcmp(l->path, mname) == 0))
			problem(c, mfull, "line %d names %s, which is not a tag file", l->lineno, l->path);
		else if ((e = find_rel(c, l->path)) == NULL || e->is_dir)
			problem(c, mfull, "line %d names %s, which is not in the package", l->lineno, l->path);
		else {
			char *efull = full(c, l->path);

			e->listed = true;
			if (e->read_ok && strcmp(e->hex, l->hash) != 0)
				problem(c, efull, "SHA-256 %s does not match %s (%s)", e->hex, mname, l->hash);
			free(efull);
		}
	}
done:
	free(sorted);
	free(lines);
	free(text);
	free(mfull);
}

/* The value of "Key: value" in bag-info.txt, or NULL (malloc'd). */
static char *
bag_info_value(const char *text, const char *key)
{
	size_t klen = strlen(key);

	for (const char *p = text; p && *p;) {
		const char *nl = strchr(p, '\n');

		if (strncmp(p, key, klen) == 0 && p[klen] == ':') {
			const char *v = p + klen + 1;
			size_t len;

			while (*v == ' ' || *v == '\t')
				v++;
			len = nl ? (size_t) (nl - v) : strlen(v);
			while (len > 0 && v[len - 1] == '\r')
				len--;
			char *out = vigil_malloc(len + 1);

			memcpy(out, v, len);
			out[len] = '\0';
			return out;
		}
		p = nl ? nl + 1 : NULL;
	}
	return NULL;
}

static void
check_bag_info(checker *c)
{
	static const char *const keys[] = {"Source-Organization", "Bagging-Date", "Payload-Oxum",
		"External-Identifier", "As-Of", "Signing-Key-SHA256"};
	chk_entry *b = find_rel(c, "bag-info.txt");
	char *bfull = full(c, "bag-info.txt");
	char *oxum = NULL, *fpr = NULL;

	if (b == NULL) {
		problem(c, bfull, "missing");
		goto done;
	}
	if (!b->read_ok)
		goto done;
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		char *v = bag_info_value(b->content.data, keys[i]);

		if (v == NULL || *v == '\0')
			problem(c, bfull, "no %s", keys[i]);
		free(v);
	}
	oxum = bag_info_value(b->content.data, "Payload-Oxum");
	if (oxum && *oxum) {
		char want[64];

		snprintf(want, sizeof(want), "%llu.%d", (unsigned long long) c->rep->payload_bytes,
				 c->rep->payload_files);
		if (strcmp(oxum, want) != 0)
			problem(c, bfull, "Payload-Oxum %s does not match the payload (%s)", oxum, want);
	}
	fpr = bag_info_value(b->content.data, "Signing-Key-SHA256");
	if (fpr && *fpr && c->rep->key_fingerprint[0] && strcmp(fpr, c->rep->key_fingerprint) != 0)
		problem(c, bfull, "Signing-Key-SHA256 %s is not the key that signed the package (%s)", fpr,
				c->rep->key_fingerprint);
done:
	free(oxum);
	free(fpr);
	free(bfull);
}

static void
check_bagit_txt(checker *c)
{
	chk_entry *b = find_rel(c, "bagit.txt");
	char *bfull = full(c, "bagit.txt");

	if (b == NULL)
		problem(c, bfull, "missing");
	else if (b->read_ok) {
		if (b->content.len >= 3 && memcmp(b->content.data, "\xEF\xBB\xBF", 3) == 0)
			problem(c, bfull, "starts with a byte order mark");
		else if (b->content.len != strlen(VIGIL_BAGIT_TXT) ||
				 memcmp(b->content.data, VIGIL_BAGIT_TXT, b->content.len) != 0)
			problem(c, bfull, "is not exactly \"BagIt-Version: 1.0\" and "
					"\"Tag-File-Character-Encoding: UTF-8\"");
	}
	free(bfull);
}

static void
check_signature(checker *c)
{
	chk_entry *tm = find_rel(c, "tagmanifest-sha256.txt");
	chk_entry *sig = find_rel(c, "tagmanifest-sha256.txt.sig");
	chk_entry *pub = find_rel(c, "signer.pub.pem");
	char *sfull = full(c, "tagmanifest-sha256.txt.sig");
	char *pfull = full(c, "signer.pub.pem");
	vigil_key *embedded = NULL;
	vigil_error err = {0};
	const vigil_key *good = NULL;

	if (pub && pub->read_ok) {
		embedded = vigil_key_parse_public(pub->content.data, pub->content.len, "signer.pub.pem", &err);
		if (embedded == NULL)
			problem(c, pfull, "%s", err.msg);
	} else if (pub == NULL && c->opts->npinned == 0)
		problem(c, pfull, "missing, and no key is pinned");
	if (sig == NULL) {
		problem(c, sfull, "missing: the package is not signed");
		goto done;
	}
	if (!sig->read_ok || tm == NULL || !tm->read_ok)
		goto done;
	if (sig->content.len != VIGIL_SIG_LEN) {
		problem(c, sfull, "is %zu bytes, an Ed25519 signature is %d", sig->content.len, VIGIL_SIG_LEN);
		goto done;
	}
	if (c->opts->npinned > 0) {
		for (size_t i = 0; i < c->opts->npinned && good == NULL; i++)
			if (vigil_verify(c->opts->pinned[i], tm->content.data, tm->content.len,
							 (const unsigned char *) sig->content.data, sig->content.len))
				good = c->opts->pinned[i];
		if (good == NULL) {
			problem(c, sfull, "does not verify with any pinned key");
			goto done;
		}
		c->rep->signer_pinned = true;
		if (embedded && !vigil_key_equal(embedded, good))
			problem(c, pfull, "is not the key that signed the package");
	} else if (embedded) {
		if (!vigil_verify(embedded, tm->content.data, tm->content.len,
						  (const unsigned char *) sig->content.data, sig->content.len)) {
			problem(c, sfull, "does not verify with the embedded signer.pub.pem");
			goto done;
		}
		good = embedded;
	} else
		goto done;
	c->rep->signature_ok = true;
	vigil_key_fingerprint(good, c->rep->key_fingerprint);
	if (!c->rep->signer_pinned) {
		note(c, "WARNING: the signer is NOT pinned: the signature only proves the package was "
			 "signed by the key inside it (%s), which anyone can make", c->rep->key_fingerprint);
		if (!c->opts->allow_embedded_key)
			problem(c, sfull, "signer %s is not pinned (pass --pubkey FILE or set "
					"jobs.verify.trusted_keys; --allow-embedded-key accepts it)",
					c->rep->key_fingerprint);
	}
done:
	vigil_key_free(embedded);
	free(sfull);
	free(pfull);
}

static void
check_archive(checker *c, zip_t *za)
{
	unsigned char *buf = vigil_malloc(CHUNK);
	char **sorted;

	c->n = zip_get_num_entries(za, 0);
	if (c->n < 0)
		c->n = 0;
	c->rep->entries = (int) c->n;
	if (c->n == 0) {
		problem(c, NULL, "the ZIP holds no entries");
		free(buf);
		return;
	}
	/* vigil writes no comments; one added later is text no hash covers,
	 * shown by unzip as if it belonged to the package. */
	{
		int clen = 0;

		if (zip_get_archive_comment(za, &clen, ZIP_FL_ENC_RAW) != NULL && clen > 0)
			problem(c, NULL, "the ZIP has an archive comment, which no manifest covers");
	}
	c->entries = vigil_malloc((size_t) c->n * sizeof(*c->entries));
	memset(c->entries, 0, (size_t) c->n * sizeof(*c->entries));
	sorted = vigil_malloc((size_t) c->n * sizeof(*sorted));

	/* Names: safe, unique, all under one top-level directory. */
	for (zip_int64_t i = 0; i < c->n; i++) {
		const char *name = zip_get_name(za, (zip_uint64_t) i, ZIP_FL_ENC_RAW);

		c->entries[i].name = vigil_strdup(name ? name : "");
		sorted[i] = c->entries[i].name;
	}
	qsort(sorted, (size_t) c->n, sizeof(*sorted), cmp_strp);
	for (zip_int64_t i = 1; i < c->n; i++)
		if (strcmp(sorted[i], sorted[i - 1]) == 0 && (i < 2 || strcmp(sorted[i], sorted[i - 2]) != 0))
			problem(c, sorted[i], "duplicate entry name");
	free(sorted);

	for (zip_int64_t i = 0; i < c->n; i++) {
		chk_entry *e = &c->entries[i];
		const char *slash;
		zip_uint8_t opsys;
		zip_uint32_t attr;
		size_t len = strlen(e->name);

		if (!check_name(c, e->name))
			continue;
		{
			zip_uint32_t clen = 0;

			if (zip_file_get_comment(za, (zip_uint64_t) i, &clen, ZIP_FL_ENC_RAW) != NULL && clen > 0)
				problem(c, e->name, "entry has a comment, which no manifest covers");
		}
		e->is_dir = len > 0 && e->name[len - 1] == '/';
		if (zip_file_get_external_attributes(za, (zip_uint64_t) i, 0, &opsys, &attr) == 0 &&
			opsys == ZIP_OPSYS_UNIX) {
			zip_uint32_t mode = attr >> 16;

			if ((mode & 0170000) == 0120000) {
				problem(c, e->name, "symbolic link");
				continue;
			}
			if ((mode & 0170000) != 0 && (mode & 0170000) != 0100000 && (mode & 0170000) != 0040000) {
				problem(c, e->name, "neither a regular file nor a directory");
				continue;
			}
		}
		slash = strchr(e->name, '/');
		if (c->top == NULL) {
			if (slash == NULL) {
				problem(c, e->name, "not inside a top-level directory");
				continue;
			}
			c->top = vigil_asprintf("%.*s", (int) (slash - e->name), e->name);
		}
		if (slash == NULL || (size_t) (slash - e->name) != strlen(c->top) ||
			strncmp(e->name, c->top, strlen(c->top)) != 0) {
			problem(c, e->name, "outside the top-level directory %s/", c->top);
			continue;
		}
		e->rel = slash + 1;
		if (*e->rel == '\0')
			e->rel = NULL;      /* the top-level directory itself */
	}

	index_rel(c);
	for (zip_int64_t i = 0; i < c->n; i++) {
		chk_entry *e = &c->entries[i];

		if (e->rel == NULL)
			continue;
		if (e->is_dir) {
			zip_stat_t st;

			if (zip_stat_index(za, (zip_uint64_t) i, 0, &st) == 0 && (st.valid & ZIP_STAT_SIZE) &&
				st.size != 0)
				problem(c, e->name, "directory entry with content");
			continue;
		}
		read_entry(c, za, i, buf);
		if (strncmp(e->rel, "data/", 5) == 0) {
			c->rep->payload_files++;
			c->rep->payload_bytes += e->size;
		}
	}
	free(buf);

	check_bagit_txt(c);
	check_manifest(c, "manifest-sha256.txt", true);
	check_manifest(c, "tagmanifest-sha256.txt", false);
	for (size_t i = 0; i < 3; i++) {
		static const char *const must[] = {"bagit.txt", "bag-info.txt", "manifest-sha256.txt"};
		chk_entry *e = find_rel(c, must[i]);

		if (e && !e->listed) {
			char *f = full(c, must[i]);

			problem(c, f, "not covered by tagmanifest-sha256.txt");
			free(f);
		}
	}
	check_signature(c);
	check_bag_info(c);
	/* Completeness the other way: every file is covered by something. */
	for (zip_int64_t i = 0; i < c->n; i++) {
		chk_entry *e = &c->entries[i];

		if (e->rel == NULL || e->is_dir || e->listed)
			continue;
		if (strncmp(e->rel, "data/", 5) == 0)
			problem(c, e->name, "not listed in manifest-sha256.txt");
		else if (!is_tag_name(e->rel))
			problem(c, e->name, "not covered by any manifest");
	}
}

static void
checker_free(checker *c)
{
	for (zip_int64_t i = 0; i < c->n; i++) {
		free(c->entries[i].name);
		vigil_buf_free(&c->entries[i].content);
	}
	free(c->entries);
	free(c->by_rel);
	free(c->top);
}

/* Opens src as an archive (consistency checked; if that fails, reported and
 * retried without, so the other checks still run) and checks it. */
static void
check_source(checker *c, zip_source_t *src)
{
	zip_error_t ze;
	zip_t *za;

	zip_error_init(&ze);
	zip_source_keep(src);
	za = zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &ze);
	if (za == NULL) {
		zip_source_free(src);   /* drops the reference kept above */
		problem(c, NULL, "damaged or truncated ZIP: %s", zip_error_strerror(&ze));
		zip_error_fini(&ze);
		zip_error_init(&ze);
		zip_source_keep(src);
		za = zip_open_from_source(src, ZIP_RDONLY, &ze);
		if (za == NULL) {
			zip_source_free(src);
			zip_error_fini(&ze);
			return;
		}
	}
	zip_error_fini(&ze);
	check_archive(c, za);
	zip_discard(za);
}

/* A ZIP starts with a local header (or, empty, with the end record); one
 * with something prepended still has its end-of-central-directory record
 * in the last 64 KiB + 22 bytes. Anything else is not a ZIP at all. */
static bool
looks_like_zip(const unsigned char *head, size_t hlen, const unsigned char *tail, size_t tlen)
{
	if (hlen >= 4 && head[0] == 'P' && head[1] == 'K' &&
		((head[2] == 3 && head[3] == 4) || (head[2] == 5 && head[3] == 6)))
		return true;
	for (size_t i = tlen >= 22 ? tlen - 22 + 1 : 0; i-- > 0;)
		if (tail[i] == 'P' && tail[i + 1] == 'K' && tail[i + 2] == 5 && tail[i + 3] == 6)
			return true;
	return false;
}

#define EOCD_SEARCH (65535 + 22)

int
vigil_package_check_buffer(const void *data, size_t len, const char *name,
						   const vigil_package_check_opts *opts, vigil_package_report *rep,
						   vigil_error *err)
{
	checker c = {.opts = opts, .rep = rep, .pkgname = name};
	zip_error_t ze;
	zip_source_t *src;

	memset(rep, 0, sizeof(*rep));
	if (!looks_like_zip(data, len, (const unsigned char *) data + (len > EOCD_SEARCH ? len - EOCD_SEARCH : 0),
						len > EOCD_SEARCH ? EOCD_SEARCH : len))
		return vigil_error_set(err, VIGIL_EXIT_DATAERR, "%s is not a ZIP file", name);
	zip_error_init(&ze);
	src = zip_source_buffer_create(data, len, 0, &ze);
	zip_error_fini(&ze);
	if (src == NULL)
		return vigil_error_set(err, VIGIL_EXIT_SOFTWARE, "cannot read %s from memory", name);
	check_source(&c, src);
	zip_source_free(src);
	checker_free(&c);
	return 0;
}

int
vigil_package_check_file(const char *path, const vigil_package_check_opts *opts,
						 vigil_package_report *rep, vigil_error *err)
{
	checker c = {.opts = opts, .rep = rep, .pkgname = path};
	unsigned char head[4], *tail = NULL;
	zip_error_t ze;
	zip_source_t *src;
	ssize_t n, tlen = 0;
	bool zipish;
	struct stat st;
	int fd;

	memset(rep, 0, sizeof(*rep));
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return vigil_error_set(err, errno == EACCES ? VIGIL_EXIT_NOPERM : VIGIL_EXIT_NOINPUT,
							   "cannot open package %s: %s", path, strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return vigil_error_set(err, VIGIL_EXIT_NOINPUT, "package %s is not a regular file", path);
	}
	n = read(fd, head, sizeof(head));
	if (n >= 0) {
		off_t start = st.st_size > EOCD_SEARCH ? st.st_size - EOCD_SEARCH : 0;

		tail = vigil_malloc(EOCD_SEARCH);
		tlen = pread(fd, tail, EOCD_SEARCH, start);
	}
	close(fd);
	if (n < 0 || tlen < 0) {
		free(tail);
		return vigil_error_set(err, VIGIL_EXIT_NOINPUT, "cannot read package %s: %s", path,
							   strerror(errno));
	}
	zipish = looks_like_zip(head, (size_t) n, tail, (size_t) tlen);
	free(tail);
	if (!zipish) {
		vigil_error_set(err, VIGIL_EXIT_DATAERR, "%s is not a ZIP file", path);
		vigil_error_hint(err, "an audit package is a .zip written by vigil-export");
		return VIGIL_EXIT_DATAERR;
	}
	zip_error_init(&ze);
	src = zip_source_file_create(path, 0, -1, &ze);
	if (src == NULL) {
		vigil_error_set(err, VIGIL_EXIT_NOINPUT, "cannot open package %s: %s", path,
						zip_error_strerror(&ze));
		zip_error_fini(&ze);
		return VIGIL_EXIT_NOINPUT;
	}
	zip_error_fini(&ze);
	check_source(&c, src);
	zip_source_free(src);
	checker_free(&c);
	return 0;
}
