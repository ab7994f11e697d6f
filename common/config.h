/*
 * config.h — vigil's configuration: a libconfig file layered over built-in
 * defaults for every key.
 *
 * The file is optional (DESIGN §4: -c FILE, else $VIGIL_CONFIG, else
 * /etc/vigil/vigil.conf if it exists, else defaults only). Every setting the
 * file may hold is listed in one table in config.c; a key not in that table or
 * a value of the wrong type is an error reported as `file:line: key: what is
 * wrong` (exit 78), so a typo never silently falls back to a default.
 * libconfig's `@include` is refused (78): the configuration is one file.
 * config/vigil.conf documents every key with its default.
 */
#ifndef VIGIL_CONFIG_H
#define VIGIL_CONFIG_H

#include <stdio.h>

#include "vigil.h"

#define VIGIL_CONFIG_DEFAULT_PATH "/etc/vigil/vigil.conf"
#define VIGIL_MAX_WARN_DAYS 16
#define VIGIL_MAX_TRUSTED_KEYS 16

typedef struct vigil_config {
	char *path;                  /* file loaded, NULL when defaults only */
	struct {
		char *conninfo;          /* "" = libpq environment */
		int connect_timeout_s;   /* keep retrying a failed connection this long */
		int statement_timeout_ms;/* 0 = none */
		int lock_timeout_ms;     /* 0 = none */
	} database;
	struct {
		char *format;            /* "text" or "json" */
		char *level;             /* "debug", "info", "warning", "error" */
	} log;
	struct {
		char *textfile_dir;      /* "" = no metrics file */
	} metrics;
	struct {
		int batch_size;
		int workers;
	} jobs;
	struct {
		int warn_days[VIGIL_MAX_WARN_DAYS];
		int n_warn_days;
	} expire;
	struct {
		char *default_policy_json; /* JSON array of levels, see vigil.conf */
	} escalate;
	struct {
		int lock_timeout_ms;     /* per delete batch */
	} retain;
	struct {
		char *media_root;
		char *output_dir;
		char *signing_key;       /* "" = $CREDENTIALS_DIRECTORY/vigil-signing-key */
	} export_;
	struct {
		char *trusted_keys[VIGIL_MAX_TRUSTED_KEYS];
		int n_trusted_keys;
	} verify;
} vigil_config;

/* Fills cfg with the built-in defaults. Free with vigil_config_free. */
void vigil_config_defaults(vigil_config *cfg);

/*
 * Loads the configuration: defaults, then the file `path` if not NULL, else
 * $VIGIL_CONFIG if set, else VIGIL_CONFIG_DEFAULT_PATH if it exists. Returns
 * 0, or 78 with err as `file:line: key: what is wrong` (66 when a file named
 * explicitly does not exist). cfg always holds a valid configuration that
 * must be freed, even on error.
 */
int vigil_config_load(vigil_config *cfg, const char *path, vigil_error *err);

/* Loads from a string (tests, fuzzing); name is used in messages. */
int vigil_config_load_string(vigil_config *cfg, const char *text, const char *name,
							 vigil_error *err);

/*
 * Prints the effective configuration in libconfig syntax that loads back to
 * the same values. A password inside database.conninfo is masked.
 */
void vigil_config_print(const vigil_config *cfg, FILE *out);

void vigil_config_free(vigil_config *cfg);

#endif
