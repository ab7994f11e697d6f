/*
 * fuzz_package.c — libFuzzer target for the package checker
 * (vigil_package_check_buffer in common/package.c), the code that reads
 * ZIPs from strangers: every input must be reported on, never crash, leak
 * or read out of bounds (built with AddressSanitizer and UBSan).
 *
 *	make fuzz            a long run (FUZZ_TIME seconds, default 600)
 *	make fuzz-short      20 s, part of `make test`
 *
 * The seed corpus (tests/fuzz/make-corpus) holds valid packages signed with
 * the key of fuzz_key.h, which this target pins, and broken ones.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_key.h"
#include "package.h"
#include "sign.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
ignore_problem(void *ctx, const char *entry, const char *msg)
{
	/* Touch the strings so ASan sees any bad one. */
	*(size_t *) ctx += strlen(entry) + strlen(msg);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static vigil_key *pinned;
	vigil_package_report rep;
	vigil_error err = {0};
	size_t total = 0;
	vigil_package_check_opts opts = {
		.npinned = 1,
		.problem = ignore_problem,
		.ctx = &total,
	};

	if (pinned == NULL) {
		pinned = vigil_key_parse_public(fuzz_public_pem, strlen(fuzz_public_pem), "fuzz key", &err);
		if (pinned == NULL)
			__builtin_trap();
	}
	opts.pinned = &pinned;
	vigil_package_check_buffer(data, size, "fuzz.zip", &opts, &rep, &err);
	return 0;
}
