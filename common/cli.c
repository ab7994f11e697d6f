/*
 * cli.c — common option parsing. The getopt_long table is built at run time
 * from the common options and the program's own, so --help and parsing can
 * never disagree about which options exist.
 */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "util.h"

enum {
	OPT_AS_OF = 1000,
	OPT_DRY_RUN,
	OPT_BATCH_SIZE,
	OPT_LOG_FORMAT,
	OPT_HELP,
	OPT_VERSION,
	OPT_PRINT_CONFIG,
};

static const vigil_option common_options[] = {
	{"config", required_argument, 'c', "FILE", "configuration file (default $VIGIL_CONFIG, else " VIGIL_CONFIG_DEFAULT_PATH ")"},
	{"db", required_argument, 'd', "CONNINFO", "database connection string (default database.conninfo, else PGHOST, PGDATABASE, ...)"},
	{"as-of", required_argument, OPT_AS_OF, "TIMESTAMP", "evaluate as of this ISO 8601 time (default now; no zone means UTC)"},
	{"dry-run", no_argument, OPT_DRY_RUN, NULL, "do the work in a transaction that is rolled back; report the counts"},
	{"batch-size", required_argument, OPT_BATCH_SIZE, "N", "rows per transaction (default jobs.batch_size, 5000)"},
	{"log-format", required_argument, OPT_LOG_FORMAT, "text|json", "log line format (default log.format, text)"},
	{"print-config", no_argument, OPT_PRINT_CONFIG, NULL, "print the effective configuration and exit"},
	{"verbose", no_argument, 'v', NULL, "log more (debug)"},
	{"quiet", no_argument, 'q', NULL, "log only warnings and errors"},
	{"help", no_argument, OPT_HELP, NULL, "show this help and exit"},
	{"version", no_argument, OPT_VERSION, NULL, "show the version and exit"},
	{NULL, 0, 0, NULL, NULL},
};

static bool
db_only(int val)
{
	return val == 'd' || val == OPT_AS_OF || val == OPT_DRY_RUN || val == OPT_BATCH_SIZE;
}

int
vigil_cli_usage_error(const vigil_program *prog, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry \"%s --help\" for more information.\n", prog->name);
	return VIGIL_EXIT_USAGE;
}

static void
print_option(const vigil_option *o)
{
	char left[64], prefix[8] = "    ";
	int short_opt = o->val < 256 && o->val > ' ';

	/* long-only options line up with the long names of the others (GNU style) */
	if (short_opt)
		snprintf(prefix, sizeof(prefix), "-%c, ", o->val);
	snprintf(left, sizeof(left), "%s--%s%s%s", prefix, o->name,
			 o->argname ? (short_opt ? " " : "=") : "", o->argname ? o->argname : "");
	if (strlen(left) > 26)
		printf("  %s\n  %28s%s\n", left, "", o->help);
	else
		printf("  %-28s%s\n", left, o->help);
}

static void
print_help(const vigil_program *prog)
{
	printf("%s\n\nUsage:\n  %s %s\n", prog->summary, prog->name, prog->synopsis);
	if (prog->options && prog->options[0].name) {
		printf("\nOptions:\n");
		for (const vigil_option *o = prog->options; o->name; o++)
			print_option(o);
	}
	printf("\nCommon options:\n");
	for (const vigil_option *o = common_options; o->name; o++)
		if (!(prog->no_database && db_only(o->val)))
			print_option(o);
	printf("\nExit status:\n"
		   "  0 done; 1 a check found a problem; 64 usage; 65 bad input data;\n"
		   "  66 input missing; 69 database unavailable; 70 internal error;\n"
		   "  73 cannot create output; 75 locked by another run or interrupted (retry later);\n"
		   "  77 permission denied; 78 configuration error\n");
	if (prog->example)
		printf("\nExample:\n%s", prog->example);
	printf("\nReport bugs to the vigil maintainers; see vigil(7).\n");
}

static int
parse_int(const char *s, int lo, int hi, int *out)
{
	char *end;
	long v;

	if (s == NULL || *s == '\0')
		return -1;
	v = strtol(s, &end, 10);
	if (*end != '\0' || v < lo || v > hi)
		return -1;
	*out = (int) v;
	return 0;
}

int
vigil_cli_parse(const vigil_program *prog, int argc, char **argv, vigil_opts *opts)
{
	struct option longopts[64];
	const vigil_option *all[64];
	char shortopts[128] = "";
	int n = 0;
	int rc = -1;
	vigil_error err = {0};

	memset(opts, 0, sizeof(*opts));
	opts->log_format = -1;
	for (int pass = 0; pass < 2; pass++) {
		const vigil_option *list = pass == 0 ? common_options : prog->options;

		for (const vigil_option *o = list; o && o->name && n < 63; o++) {
			if (pass == 0 && prog->no_database && db_only(o->val))
				continue;
			all[n] = o;
			longopts[n].name = o->name;
			longopts[n].has_arg = o->has_arg;
			longopts[n].flag = NULL;
			longopts[n].val = o->val;
			n++;
			if (o->val < 256 && o->val > ' ') {
				/* at most 63 options of 2 characters: shortopts has room */
				size_t l = strlen(shortopts);
				shortopts[l++] = (char) o->val;
				if (o->has_arg == required_argument)
					shortopts[l++] = ':';
				shortopts[l] = '\0';
			}
		}
	}
	memset(&longopts[n], 0, sizeof(longopts[n]));
	/* options and arguments may be mixed ("up -q"): getopt permutes */
	opterr = 0;
	optind = 0;   /* 0, not 1: glibc then also resets its state from an earlier call */
	for (;;) {
		int c = getopt_long(argc, argv, shortopts, longopts, NULL);

		if (c == -1)
			break;
		switch (c) {
		case '?':
			if (strncmp(argv[optind - 1], "--", 2) == 0) {
				const char *word = argv[optind - 1], *eq = strchr(word, '=');

				if (optopt && eq)
					return vigil_cli_usage_error(prog, "option '%.*s' doesn't allow an argument",
												 (int) (eq - word), word);
				return vigil_cli_usage_error(prog, optopt ? "option '%s' requires an argument" :
											 "unrecognized option '%s'", word);
			}
			if (optopt > ' ' && optopt < 256 && strchr(shortopts, optopt))
				return vigil_cli_usage_error(prog, "option requires an argument -- '%c'", optopt);
			return vigil_cli_usage_error(prog, "invalid option -- '%c'", optopt);
		case 'c':
			opts->config_path = optarg;
			break;
		case 'd':
			opts->conninfo = optarg;
			break;
		case OPT_AS_OF:
			if (vigil_time_parse(optarg, &opts->as_of_us) != 0)
				return vigil_cli_usage_error(prog, "invalid --as-of \"%s\": expected ISO 8601 such as 2026-11-22T02:00:00Z", optarg);
			opts->as_of_text = optarg;
			break;
		case OPT_DRY_RUN:
			opts->dry_run = true;
			break;
		case OPT_BATCH_SIZE:
			if (parse_int(optarg, 1, 10000000, &opts->batch_size))
				return vigil_cli_usage_error(prog, "invalid --batch-size \"%s\": expected a number from 1 to 10000000", optarg);
			break;
		case OPT_LOG_FORMAT:
			if (strcmp(optarg, "text") == 0)
				opts->log_format = VIGIL_LOG_TEXT;
			else if (strcmp(optarg, "json") == 0)
				opts->log_format = VIGIL_LOG_JSON;
			else
				return vigil_cli_usage_error(prog, "invalid --log-format \"%s\": expected text or json", optarg);
			break;
		case OPT_PRINT_CONFIG:
			opts->print_config = true;
			break;
		case 'v':
			opts->verbosity++;
			break;
		case 'q':
			opts->verbosity--;
			break;
		case OPT_HELP:
			print_help(prog);
			return 0;
		case OPT_VERSION:
			printf("%s %s\n", prog->name, VIGIL_VERSION);
			return 0;
		default: {
			bool known = false;

			for (int i = 0; i < n; i++)
				known |= all[i]->val == c;
			if (!known || prog->handle == NULL)
				return vigil_cli_usage_error(prog, "unhandled option");
			rc = prog->handle(c, optarg, prog->ctx, &err);
			if (rc != 0) {
				fprintf(stderr, "%s: %s\nTry \"%s --help\" for more information.\n",
						prog->name, err.msg, prog->name);
				return rc;
			}
			rc = -1;
		}
		}
	}
	opts->args = argv + optind;
	opts->nargs = argc - optind;
	if (opts->nargs < prog->min_args)
		return vigil_cli_usage_error(prog, "missing argument");
	if (prog->max_args >= 0 && opts->nargs > prog->max_args)
		return vigil_cli_usage_error(prog, "unexpected argument \"%s\"", opts->args[prog->max_args]);
	return rc;
}

int
vigil_cli_setup(const vigil_program *prog, vigil_opts *opts, vigil_config *cfg)
{
	vigil_error err = {0};
	int rc;
	int level;

	vigil_log_init(prog->name, opts->log_format == VIGIL_LOG_JSON ? VIGIL_LOG_JSON : VIGIL_LOG_TEXT,
				   VIGIL_LOG_INFO);
	rc = vigil_config_load(cfg, opts->config_path, &err);
	if (rc != 0) {
		vigil_log_error(&err);
		return rc;
	}
	if (opts->batch_size)
		cfg->jobs.batch_size = opts->batch_size;
	if (opts->workers)
		cfg->jobs.workers = opts->workers;
	if (opts->log_format < 0)
		opts->log_format = strcmp(cfg->log.format, "json") == 0 ? VIGIL_LOG_JSON : VIGIL_LOG_TEXT;
	level = vigil_log_level_parse(cfg->log.level) - opts->verbosity;
	if (level < VIGIL_LOG_DEBUG)
		level = VIGIL_LOG_DEBUG;
	if (level > VIGIL_LOG_ERROR)
		level = VIGIL_LOG_ERROR;
	vigil_log_init(prog->name, (enum vigil_log_format) opts->log_format, (enum vigil_log_level) level);
	if (opts->print_config) {
		vigil_config_print(cfg, stdout);
		return 0;
	}
	return -1;
}
