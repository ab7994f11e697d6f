/*
 * cli.h — the command line every vigil program shares (DESIGN §4), plus a
 * program's own options, with --help and --version.
 *
 * A program describes itself in a vigil_program (name, synopsis, one-line
 * summary, an example, its own options and a handler for them) and calls
 * vigil_cli_parse; the common options land in vigil_opts. Then
 * vigil_cli_setup loads the configuration and configures logging, so every
 * program starts the same way:
 *
 *	rc = vigil_cli_parse(&prog, argc, argv, &opts);
 *	if (rc >= 0) return rc;
 *	rc = vigil_cli_setup(&prog, &opts, &cfg);
 *	if (rc >= 0) return rc;
 */
#ifndef VIGIL_CLI_H
#define VIGIL_CLI_H

#include <getopt.h>

#include "config.h"
#include "vigil.h"

/* The common options, after parsing. */
typedef struct vigil_opts {
	const char *config_path;   /* -c; NULL = $VIGIL_CONFIG / default path */
	const char *conninfo;      /* -d; NULL = database.conninfo / libpq env */
	const char *as_of_text;    /* --as-of as given; NULL = now */
	int64_t as_of_us;          /* parsed --as-of, valid when as_of_text */
	bool dry_run;
	int batch_size;            /* 0 = jobs.batch_size */
	int workers;               /* 0 = jobs.workers */
	int log_format;            /* -1 = log.format */
	int verbosity;             /* +1 per -v, -1 per -q */
	bool print_config;
	char **args;               /* positional arguments (points into argv) */
	int nargs;
} vigil_opts;

/* One program-specific option. `val` is what the handler receives: a short
 * option letter, or a value >= 256 for long-only options. */
typedef struct vigil_option {
	const char *name;          /* long name, without "--" */
	int has_arg;               /* no_argument or required_argument */
	int val;
	const char *argname;       /* e.g. "UUID", shown in --help */
	const char *help;          /* one line */
} vigil_option;

typedef struct vigil_program {
	const char *name;          /* "vigil-expire" */
	const char *synopsis;      /* after the name: "[OPTION]... up|status|..." */
	const char *summary;       /* what it does, a sentence or two */
	const char *example;       /* an example invocation block, with comments */
	const vigil_option *options;   /* terminated by {NULL}; may be NULL */
	/* Handles one of `options`; returns 0, or 64 with err filled. */
	int (*handle)(int val, const char *arg, void *ctx, vigil_error *err);
	void *ctx;
	int min_args;              /* positional argument count bounds */
	int max_args;
	bool no_database;          /* hide -d, --as-of, --dry-run, --batch-size */
} vigil_program;

/*
 * Parses argv. Returns -1 to go on, or an exit code to return at once: 0
 * after --help or --version (printed to stdout), 64 after a usage error
 * (message and "try --help" on stderr).
 */
int vigil_cli_parse(const vigil_program *prog, int argc, char **argv, vigil_opts *opts);

/*
 * Loads the configuration into cfg (which must be freed with
 * vigil_config_free afterwards in all cases), applies the command line's
 * overrides (batch size, workers, log format) and initialises logging. With
 * --print-config it prints the configuration and returns 0. Returns -1 to go
 * on, or an exit code after logging the error.
 */
int vigil_cli_setup(const vigil_program *prog, vigil_opts *opts, vigil_config *cfg);

/* Prints "prog: message" and "Try "prog --help" for more information." to
 * stderr and returns 64. For usage errors found after parsing. */
int vigil_cli_usage_error(const vigil_program *prog, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
