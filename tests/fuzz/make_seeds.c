/*
 * make_seeds.c — writes valid audit packages for the fuzzing seed corpus
 * with common/package.c itself, signed with the key of fuzz_key.h:
 * make_seeds DIR writes DIR/valid-small.zip (text payload only) and
 * DIR/valid-media.zip (a stored "media" file streamed from disk).
 * tests/fuzz/make-corpus derives the broken seeds from them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz_key.h"
#include "hash.h"
#include "package.h"
#include "sign.h"
#include "util.h"

static int
write_file(const char *path, const char *data, size_t len, mode_t mode)
{
	FILE *f = fopen(path, "w");

	if (f == NULL || fwrite(data, 1, len, f) != len || fclose(f) != 0)
		return -1;
	return chmod(path, mode);
}

int
main(int argc, char **argv)
{
	static const vigil_bag_info info = {
		.source_organization = "Fuzz Org",
		.bagging_date = "2026-06-01",
		.external_identifier = "80000000-0000-4000-8000-000000000001",
		.as_of = "2026-06-01T00:00:00.000000Z",
	};
	const char csv[] = "\"id\",\"name\"\r\n\"1\",\"a, \"\"b\"\"\"\r\n";
	char media[300];
	unsigned char sha[VIGIL_SHA256_LEN];
	vigil_package_result res;
	vigil_error err = {0};
	vigil_package *pkg;
	vigil_key *key = NULL;
	char *keyp, *mediap, *out;
	int rc;

	if (argc != 2) {
		fprintf(stderr, "usage: make_seeds DIR\n");
		return 64;
	}
	keyp = vigil_asprintf("%s/.fuzz-key.pem", argv[1]);
	mediap = vigil_asprintf("%s/.media.bin", argv[1]);
	for (size_t i = 0; i < sizeof(media); i++)
		media[i] = (char) (i * 31 % 256);
	if (write_file(keyp, fuzz_private_pem, strlen(fuzz_private_pem), 0600) != 0 ||
		write_file(mediap, media, sizeof(media), 0644) != 0) {
		fprintf(stderr, "make_seeds: cannot write into %s\n", argv[1]);
		return 73;
	}
	rc = vigil_key_load_private(keyp, &key, &err);
	if (rc)
		goto fail;
	vigil_sha256(media, sizeof(media), sha);

	pkg = vigil_package_new("audit-fuzz-20260601T000000Z", 1780272000000000LL);
	vigil_package_add_data(pkg, "data/case.json", "{\"case\": {}}\n", 13, true);
	vigil_package_add_data(pkg, "data/evidence.csv", csv, strlen(csv), true);
	out = vigil_asprintf("%s/valid-small.zip", argv[1]);
	unlink(out);
	rc = vigil_package_write(pkg, out, key, &info, &res, &err);
	vigil_package_free(pkg);
	free(out);
	if (rc)
		goto fail;

	pkg = vigil_package_new("audit-fuzz-20260601T000000Z", 1780272000000000LL);
	vigil_package_add_data(pkg, "data/case.json", "{}\n", 3, true);
	vigil_package_add_file(pkg, "data/media/n1/photo.png", mediap, sizeof(media), sha, false, "media");
	out = vigil_asprintf("%s/valid-media.zip", argv[1]);
	unlink(out);
	rc = vigil_package_write(pkg, out, key, &info, &res, &err);
	vigil_package_free(pkg);
	free(out);
	if (rc)
		goto fail;
	unlink(keyp);
	unlink(mediap);
	vigil_key_free(key);
	free(keyp);
	free(mediap);
	return 0;
fail:
	fprintf(stderr, "make_seeds: %s\n", err.msg);
	unlink(keyp);
	unlink(mediap);
	return rc;
}
