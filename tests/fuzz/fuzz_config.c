/*
 * fuzz_config.c — libFuzzer target for the configuration loader
 * (vigil_config_load_string in common/config.c): whatever an operator types
 * into vigil.conf must be loaded or refused with exit code 78 and a one-line
 * message, never crash, leak or read out of bounds (ASan and UBSan).
 *
 *	make fuzz-more          a long run of each target (FUZZ_TIME seconds)
 *	make fuzz-short-more    a short bounded run of each, part of `make test`
 *
 * Besides "no crash", each input checks what config.h promises:
 *  - the result is 0 or 78, and a refusal has a one-line message naming the
 *    input ("fuzz.conf:LINE: ...");
 *  - a refused configuration leaves cfg at the built-in defaults;
 *  - an accepted one prints (vigil_config_print) as text that loads back to
 *    the same values (the conninfo only when it holds nothing to mask).
 * A broken promise aborts, so libFuzzer keeps the input as a crash.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CONFIG_NAME "fuzz.conf"

static void
config_expect(bool ok, const char *what, const char *detail)
{
	if (!ok) {
		fprintf(stderr, "fuzz_config: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
		abort();
	}
}

static bool
same_string(const char *a, const char *b)
{
	return a != NULL && b != NULL && strcmp(a, b) == 0;
}

/* Every field of a and b is equal (the conninfo only when check_conninfo). */
static bool
same_config(const vigil_config *a, const vigil_config *b, bool check_conninfo)
{
	if (check_conninfo && !same_string(a->database.conninfo, b->database.conninfo))
		return false;
	if (a->database.connect_timeout_s != b->database.connect_timeout_s ||
		a->database.statement_timeout_ms != b->database.statement_timeout_ms ||
		a->database.lock_timeout_ms != b->database.lock_timeout_ms ||
		!same_string(a->log.format, b->log.format) || !same_string(a->log.level, b->log.level) ||
		!same_string(a->metrics.textfile_dir, b->metrics.textfile_dir) ||
		a->jobs.batch_size != b->jobs.batch_size || a->jobs.workers != b->jobs.workers ||
		a->expire.n_warn_days != b->expire.n_warn_days ||
		!same_string(a->escalate.default_policy_json, b->escalate.default_policy_json) ||
		a->retain.lock_timeout_ms != b->retain.lock_timeout_ms ||
		!same_string(a->export_.media_root, b->export_.media_root) ||
		!same_string(a->export_.output_dir, b->export_.output_dir) ||
		!same_string(a->export_.signing_key, b->export_.signing_key) ||
		a->verify.n_trusted_keys != b->verify.n_trusted_keys)
		return false;
	for (int i = 0; i < a->expire.n_warn_days; i++)
		if (a->expire.warn_days[i] != b->expire.warn_days[i])
			return false;
	for (int i = 0; i < a->verify.n_trusted_keys; i++)
		if (!same_string(a->verify.trusted_keys[i], b->verify.trusted_keys[i]))
			return false;
	return true;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	vigil_config cfg, again, defaults;
	vigil_error err = {0};
	char *printed = NULL;
	size_t printed_len = 0;
	FILE *mem;
	int rc;

	memcpy(text, data, size);
	text[size] = '\0';
	vigil_config_defaults(&defaults);

	rc = vigil_config_load_string(&cfg, text, CONFIG_NAME, &err);
	config_expect(rc == 0 || rc == VIGIL_EXIT_CONFIG, "result is neither 0 nor 78", err.msg);
	if (rc != 0) {
		config_expect(err.code == VIGIL_EXIT_CONFIG, "error code differs from the result", err.msg);
		config_expect(strncmp(err.msg, CONFIG_NAME ":", strlen(CONFIG_NAME) + 1) == 0, "message does not name the input",
			   err.msg);
		config_expect(strchr(err.msg, '\n') == NULL, "message is more than one line", err.msg);
		config_expect(same_config(&cfg, &defaults, true), "a refused configuration is not the defaults",
			   err.msg);
		goto done;
	}

	/* What vigil_config_print writes loads back to the same values. */
	mem = open_memstream(&printed, &printed_len);
	if (mem == NULL)
		abort();
	vigil_config_print(&cfg, mem);
	fclose(mem);
	rc = vigil_config_load_string(&again, printed, CONFIG_NAME, &err);
	if (rc != 0)
		fprintf(stderr, "printed configuration:\n%s\n", printed);
	config_expect(rc == 0, "the printed configuration does not load", err.msg);
	{
		char redacted[2048];

		vigil_conninfo_redact(cfg.database.conninfo, redacted, sizeof(redacted));
		if (!same_config(&cfg, &again, strcmp(redacted, cfg.database.conninfo) == 0))
			fprintf(stderr, "printed configuration:\n%s\n", printed);
		config_expect(same_config(&cfg, &again, strcmp(redacted, cfg.database.conninfo) == 0),
			   "the printed configuration loads to other values", NULL);
	}
	vigil_config_free(&again);

done:
	vigil_config_free(&cfg);
	vigil_config_free(&defaults);
	free(printed);
	free(text);
	return 0;
}
