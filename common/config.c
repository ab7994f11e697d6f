/*
 * config.c — the configuration loader. One table (`keys`) names every setting
 * a file may hold and its type; the loader walks the parsed file against it,
 * so unknown keys and wrong types are caught with their line number before
 * any value is used. Values are then copied into vigil_config, which owns
 * its strings (libconfig's are freed with the parse tree).
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libconfig.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

enum key_type {
	K_GROUP,
	K_INT,
	K_STRING,
	K_INT_ARRAY,
	K_STRING_ARRAY,
	K_POLICY,
};

static const struct key {
	const char *path;
	enum key_type type;
} keys[] = {
	{"database", K_GROUP},
	{"database.conninfo", K_STRING},
	{"database.connect_timeout_s", K_INT},
	{"database.statement_timeout_ms", K_INT},
	{"database.lock_timeout_ms", K_INT},
	{"log", K_GROUP},
	{"log.format", K_STRING},
	{"log.level", K_STRING},
	{"metrics", K_GROUP},
	{"metrics.textfile_dir", K_STRING},
	{"jobs", K_GROUP},
	{"jobs.batch_size", K_INT},
	{"jobs.workers", K_INT},
	{"jobs.expire", K_GROUP},
	{"jobs.expire.warn_days", K_INT_ARRAY},
	{"jobs.enforce", K_GROUP},
	{"jobs.escalate", K_GROUP},
	{"jobs.escalate.default_policy", K_POLICY},
	{"jobs.retain", K_GROUP},
	{"jobs.retain.lock_timeout_ms", K_INT},
	{"jobs.export", K_GROUP},
	{"jobs.export.media_root", K_STRING},
	{"jobs.export.output_dir", K_STRING},
	{"jobs.export.signing_key", K_STRING},
	{"jobs.verify", K_GROUP},
	{"jobs.verify.trusted_keys", K_STRING_ARRAY},
};

static const char default_policy[] =
	"[{\"level\": 1, \"threshold_minutes_past_deadline\": 0, "
	"\"recipients_role\": [\"site_coordinator\"], \"new_deadline_minutes_from_now\": 1440}, "
	"{\"level\": 2, \"threshold_minutes_past_deadline\": 480, "
	"\"recipients_role\": [\"project_manager\"], \"new_deadline_minutes_from_now\": 960}, "
	"{\"level\": 3, \"threshold_minutes_past_deadline\": 960, "
	"\"recipients_role\": [\"org_admin\"], \"new_deadline_minutes_from_now\": 480}]";

void
vigil_config_defaults(vigil_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->database.conninfo = vigil_strdup("");
	cfg->database.connect_timeout_s = 30;
	cfg->database.statement_timeout_ms = 0;
	cfg->database.lock_timeout_ms = 5000;
	cfg->log.format = vigil_strdup("text");
	cfg->log.level = vigil_strdup("info");
	cfg->metrics.textfile_dir = vigil_strdup("");
	cfg->jobs.batch_size = 5000;
	cfg->jobs.workers = 1;
	cfg->expire.warn_days[0] = 30;
	cfg->expire.warn_days[1] = 7;
	cfg->expire.warn_days[2] = 1;
	cfg->expire.n_warn_days = 3;
	cfg->escalate.default_policy_json = vigil_strdup(default_policy);
	cfg->retain.lock_timeout_ms = 2000;
	cfg->export_.media_root = vigil_strdup("");
	cfg->export_.output_dir = vigil_strdup(".");
	cfg->export_.signing_key = vigil_strdup("");
}

void
vigil_config_free(vigil_config *cfg)
{
	free(cfg->path);
	free(cfg->database.conninfo);
	free(cfg->log.format);
	free(cfg->log.level);
	free(cfg->metrics.textfile_dir);
	free(cfg->escalate.default_policy_json);
	free(cfg->export_.media_root);
	free(cfg->export_.output_dir);
	free(cfg->export_.signing_key);
	for (int i = 0; i < cfg->verify.n_trusted_keys; i++)
		free(cfg->verify.trusted_keys[i]);
	memset(cfg, 0, sizeof(*cfg));
}

static const struct key *
find_key(const char *path)
{
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strcmp(keys[i].path, path) == 0)
			return &keys[i];
	return NULL;
}

static const char *
type_name(enum key_type t)
{
	switch (t) {
	case K_GROUP: return "a group { ... }";
	case K_INT: return "an integer";
	case K_STRING: return "a string";
	case K_INT_ARRAY: return "an array of integers [ ... ]";
	case K_STRING_ARRAY: return "an array of strings [ ... ]";
	case K_POLICY: return "a list of level groups ( { ... }, ... )";
	}
	return "?";
}

/* Reports a problem with setting s at path; returns 78. */
static int
bad(vigil_error *err, const char *file, const config_setting_t *s, const char *path,
	const char *what)
{
	return vigil_error_set(err, VIGIL_EXIT_CONFIG, "%s:%d: %s: %s", file,
						   s ? (int) config_setting_source_line(s) : 0, path, what);
}

static bool
is_int(const config_setting_t *s)
{
	int t = config_setting_type(s);

	return t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64;
}

static int
check_policy(const config_setting_t *list, const char *file, const char *path,
			 vigil_buf *json, vigil_error *err)
{
	char p[256];
	int n = config_setting_length(list);
	long prev_level = 0;

	if (n == 0)
		return bad(err, file, list, path, "must name at least one level");
	vigil_buf_puts(json, "[");
	for (int i = 0; i < n; i++) {
		const config_setting_t *g = config_setting_get_elem(list, (unsigned) i);
		static const char *const fields[] = {
			"level", "threshold_minutes_past_deadline", "recipients_role",
			"new_deadline_minutes_from_now",
		};
		long long v[4] = {0};

		if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
			snprintf(p, sizeof(p), "%s.[%d]", path, i);
			return bad(err, file, g, p, "expected a group { level = ...; ... }");
		}
		for (int m = 0; m < config_setting_length(g); m++) {
			const config_setting_t *f = config_setting_get_elem(g, (unsigned) m);
			bool known = false;

			for (int k = 0; k < 4; k++)
				known |= strcmp(config_setting_name(f), fields[k]) == 0;
			if (!known) {
				snprintf(p, sizeof(p), "%s.[%d].%s", path, i, config_setting_name(f));
				return bad(err, file, f, p, "unknown setting");
			}
		}
		for (int k = 0; k < 4; k++) {
			const config_setting_t *f = config_setting_get_member(g, fields[k]);

			snprintf(p, sizeof(p), "%s.[%d].%s", path, i, fields[k]);
			if (f == NULL)
				return bad(err, file, g, p, "missing");
			if (k == 2) {
				if (config_setting_type(f) != CONFIG_TYPE_ARRAY || config_setting_length(f) == 0)
					return bad(err, file, f, p, "expected a non-empty array of role names");
				for (int r = 0; r < config_setting_length(f); r++) {
					const config_setting_t *e = config_setting_get_elem(f, (unsigned) r);
					if (config_setting_type(e) != CONFIG_TYPE_STRING ||
						config_setting_get_string(e)[0] == '\0')
						return bad(err, file, f, p, "expected a non-empty array of role names");
				}
				continue;
			}
			if (!is_int(f))
				return bad(err, file, f, p, "expected an integer");
			v[k] = config_setting_get_int64(f);
			if (v[k] < 0)
				return bad(err, file, f, p, "must not be negative");
		}
		snprintf(p, sizeof(p), "%s.[%d].level", path, i);
		if (v[0] != prev_level + 1)
			return bad(err, file, g, p, "levels must be 1, 2, 3, ... in order");
		prev_level = (long) v[0];
		vigil_buf_printf(json, "%s{\"level\": %lld, \"threshold_minutes_past_deadline\": %lld, "
						 "\"recipients_role\": [", i ? ", " : "", v[0], v[1]);
		const config_setting_t *roles = config_setting_get_member(g, "recipients_role");
		for (int r = 0; r < config_setting_length(roles); r++) {
			if (r)
				vigil_buf_puts(json, ", ");
			vigil_buf_json_string(json, config_setting_get_string_elem(roles, r));
		}
		vigil_buf_printf(json, "], \"new_deadline_minutes_from_now\": %lld}", v[3]);
	}
	vigil_buf_puts(json, "]");
	return 0;
}

/* Checks every setting under group against the key table, recursively. */
static int
check_group(const config_setting_t *group, const char *prefix, const char *file,
			vigil_error *err)
{
	int n = config_setting_length(group);

	for (int i = 0; i < n; i++) {
		const config_setting_t *s = config_setting_get_elem(group, (unsigned) i);
		char path[256];
		const struct key *k;
		int t = config_setting_type(s);

		snprintf(path, sizeof(path), "%s%s%s", prefix, *prefix ? "." : "", config_setting_name(s));
		k = find_key(path);
		if (k == NULL)
			return bad(err, file, s, path, "unknown setting");
		char what[128];
		snprintf(what, sizeof(what), "expected %s", type_name(k->type));
		switch (k->type) {
		case K_GROUP:
			if (t != CONFIG_TYPE_GROUP)
				return bad(err, file, s, path, what);
			{
				int rc = check_group(s, path, file, err);

				if (rc)
					return rc;
			}
			break;
		case K_INT:
			if (!is_int(s))
				return bad(err, file, s, path, what);
			if (config_setting_get_int64(s) < 0 || config_setting_get_int64(s) > 1000000000)
				return bad(err, file, s, path, "must be between 0 and 1000000000");
			break;
		case K_STRING:
			if (t != CONFIG_TYPE_STRING)
				return bad(err, file, s, path, what);
			break;
		case K_INT_ARRAY:
		case K_STRING_ARRAY:
			if (t != CONFIG_TYPE_ARRAY && t != CONFIG_TYPE_LIST)
				return bad(err, file, s, path, what);
			for (int e = 0; e < config_setting_length(s); e++) {
				const config_setting_t *el = config_setting_get_elem(s, (unsigned) e);
				if (k->type == K_INT_ARRAY ? !is_int(el) : config_setting_type(el) != CONFIG_TYPE_STRING)
					return bad(err, file, s, path, what);
			}
			break;
		case K_POLICY:
			if (t != CONFIG_TYPE_LIST)
				return bad(err, file, s, path, what);
			break;
		}
	}
	return 0;
}

static void
set_string(char **dst, const config_t *cf, const char *path)
{
	const char *v;

	if (config_lookup_string(cf, path, &v)) {
		free(*dst);
		*dst = vigil_strdup(v);
	}
}

static void
set_int(int *dst, const config_t *cf, const char *path)
{
	long long v;

	if (config_lookup_int64(cf, path, &v))
		*dst = (int) v;
}

/* Range and enumeration checks on values that parsed with the right type. */
static int
check_values(const config_t *cf, vigil_config *cfg, const char *file, vigil_error *err)
{
	const config_setting_t *s;

	if (strcmp(cfg->log.format, "text") != 0 && strcmp(cfg->log.format, "json") != 0)
		return bad(err, file, config_lookup(cf, "log.format"), "log.format",
				   "must be \"text\" or \"json\"");
	if (vigil_log_level_parse(cfg->log.level) < 0)
		return bad(err, file, config_lookup(cf, "log.level"), "log.level",
				   "must be \"debug\", \"info\", \"warning\" or \"error\"");
	if (cfg->jobs.batch_size < 1)
		return bad(err, file, config_lookup(cf, "jobs.batch_size"), "jobs.batch_size",
				   "must be at least 1");
	if (cfg->jobs.workers < 1 || cfg->jobs.workers > 64)
		return bad(err, file, config_lookup(cf, "jobs.workers"), "jobs.workers",
				   "must be between 1 and 64");
	if ((s = config_lookup(cf, "jobs.expire.warn_days")) != NULL) {
		int n = config_setting_length(s);

		if (n > VIGIL_MAX_WARN_DAYS)
			return bad(err, file, s, "jobs.expire.warn_days", "at most 16 horizons");
		for (int i = 0; i < n; i++) {
			long long v = config_setting_get_int64(config_setting_get_elem(s, (unsigned) i));
			if (v < 1 || v > 3650)
				return bad(err, file, s, "jobs.expire.warn_days", "each horizon must be 1 to 3650 days");
			cfg->expire.warn_days[i] = (int) v;
		}
		cfg->expire.n_warn_days = n;
	}
	if ((s = config_lookup(cf, "jobs.verify.trusted_keys")) != NULL) {
		int n = config_setting_length(s);

		if (n > VIGIL_MAX_TRUSTED_KEYS)
			return bad(err, file, s, "jobs.verify.trusted_keys", "at most 16 keys");
		for (int i = 0; i < n; i++)
			cfg->verify.trusted_keys[i] = vigil_strdup(config_setting_get_string_elem(s, i));
		cfg->verify.n_trusted_keys = n;
	}
	if ((s = config_lookup(cf, "jobs.escalate.default_policy")) != NULL) {
		vigil_buf json = {0};

		int rc = check_policy(s, file, "jobs.escalate.default_policy", &json, err);

		if (rc) {
			vigil_buf_free(&json);
			return rc;
		}
		free(cfg->escalate.default_policy_json);
		cfg->escalate.default_policy_json = json.data;
	}
	return 0;
}

static int
load(vigil_config *cfg, config_t *cf, const char *file, vigil_error *err)
{
	int rc;

	rc = check_group(config_root_setting(cf), "", file, err);
	if (rc)
		return rc;
	set_string(&cfg->database.conninfo, cf, "database.conninfo");
	set_int(&cfg->database.connect_timeout_s, cf, "database.connect_timeout_s");
	set_int(&cfg->database.statement_timeout_ms, cf, "database.statement_timeout_ms");
	set_int(&cfg->database.lock_timeout_ms, cf, "database.lock_timeout_ms");
	set_string(&cfg->log.format, cf, "log.format");
	set_string(&cfg->log.level, cf, "log.level");
	set_string(&cfg->metrics.textfile_dir, cf, "metrics.textfile_dir");
	set_int(&cfg->jobs.batch_size, cf, "jobs.batch_size");
	set_int(&cfg->jobs.workers, cf, "jobs.workers");
	set_int(&cfg->retain.lock_timeout_ms, cf, "jobs.retain.lock_timeout_ms");
	set_string(&cfg->export_.media_root, cf, "jobs.export.media_root");
	set_string(&cfg->export_.output_dir, cf, "jobs.export.output_dir");
	set_string(&cfg->export_.signing_key, cf, "jobs.export.signing_key");
	rc = check_values(cf, cfg, file, err);
	if (rc) {
		/* values were copied in before the checks: put the defaults back so
		 * that cfg stays a valid configuration, as config.h promises */
		vigil_config_free(cfg);
		vigil_config_defaults(cfg);
	}
	return rc;
}

/*
 * libconfig's `@include "FILE"` reads another file, and its scanner exit()s
 * when that file cannot be read, as a directory cannot ("input in flex
 * scanner failed", exit 2). vigil's configuration is one file: a line the
 * scanner would take for an include (blanks, "@include", blanks, a quote)
 * is refused before libconfig sees it. Found by tests/fuzz/fuzz_config.c.
 */
static bool
is_include(const char *line)
{
	const char *p = line + strspn(line, " \t");

	if (strncmp(p, "@include", 8) != 0 || (p[8] != ' ' && p[8] != '\t'))
		return false;
	p += 8 + strspn(p + 8, " \t");
	return *p == '"';
}

static int
include_error(const char *file, int line, vigil_error *err)
{
	vigil_error_set(err, VIGIL_EXIT_CONFIG, "%s:%d: @include is not supported", file, line);
	vigil_error_hint(err, "put every setting in the one configuration file");
	return VIGIL_EXIT_CONFIG;
}

/*
 * libconfig 1.5 keeps a plain integer literal in 32 bits and silently wraps
 * a larger one (batch_size = 4294967297 loads as 1). Every integer setting
 * of vigil fits in 32 bits, so a literal beyond INT32_MAX is refused here
 * with its line, before libconfig sees it. Strings and comments are skipped.
 */
static int
check_int_literals(const char *text, const char *file, vigil_error *err)
{
	int line = 1;

	for (const char *p = text; *p; p++) {
		if (*p == '\n')
			line++;
		else if (*p == '"') {
			for (p++; *p && *p != '"'; p++) {
				if (*p == '\\' && p[1])
					p++;
				else if (*p == '\n')
					line++;
			}
			if (!*p)
				break;
		} else if (*p == '#' || (*p == '/' && p[1] == '/')) {
			while (p[1] && p[1] != '\n')
				p++;
		} else if (*p == '/' && p[1] == '*') {
			for (p += 2; *p && !(*p == '*' && p[1] == '/'); p++)
				if (*p == '\n')
					line++;
			if (!*p)
				break;
			p++;
		} else if (*p >= '0' && *p <= '9' && (p == text || !(isalnum((unsigned char) p[-1]) ||
																  p[-1] == '_' || p[-1] == '.'))) {
			const char *start = p;
			bool hex = p[0] == '0' && (p[1] == 'x' || p[1] == 'X');
			unsigned long long v = 0;
			bool over = false;

			p += hex ? 2 : 0;
			for (; hex ? isxdigit((unsigned char) *p) : isdigit((unsigned char) *p); p++) {
				unsigned d = isdigit((unsigned char) *p) ? (unsigned) (*p - '0') :
					(unsigned) (tolower((unsigned char) *p) - 'a' + 10);
				if (v > (0xFFFFFFFFFFFFFFFFull - d) / (hex ? 16 : 10))
					over = true;
				else
					v = v * (hex ? 16 : 10) + d;
			}
			/* a float (1.5, 1e9) or an explicit 64-bit literal (10L) is libconfig's to judge */
			if (*p == '.' || *p == 'e' || *p == 'E' || *p == 'L')
				continue;
			if (over || v > 2147483647ull)
				return vigil_error_set(err, VIGIL_EXIT_CONFIG, "%s:%d: integer %.*s is out of range", file, line,
									   (int) (p - start), start);
			p--;
		}
	}
	return 0;
}

/* Refuses text holding an @include line or an oversized integer; returns 0 or 78. */
static int
check_no_include(const char *text, const char *file, vigil_error *err)
{
	for (int line = 1, done = 0; text && !done; line++) {
		const char *nl = strchr(text, '\n');

		if (is_include(text))
			return include_error(file, line, err);
		if (nl)
			text = nl + 1;
		else
			done = 1;
	}
	return 0;
}

static int
prescan(const char *text, const char *file, vigil_error *err)
{
	int rc = check_no_include(text, file, err);

	return rc ? rc : check_int_literals(text, file, err);
}

static int
parse_error(const config_t *cf, const char *file, vigil_error *err)
{
	return vigil_error_set(err, VIGIL_EXIT_CONFIG, "%s:%d: syntax error: %s",
						   config_error_file(cf) ? config_error_file(cf) : file,
						   config_error_line(cf), config_error_text(cf));
}

int
vigil_config_load(vigil_config *cfg, const char *path, vigil_error *err)
{
	config_t cf;
	int rc;
	bool explicit = path != NULL;

	vigil_config_defaults(cfg);
	if (path == NULL) {
		const char *env = getenv("VIGIL_CONFIG");

		if (env && *env) {
			path = env;
			explicit = true;
		} else if (access(VIGIL_CONFIG_DEFAULT_PATH, F_OK) == 0)
			path = VIGIL_CONFIG_DEFAULT_PATH;
		else
			return 0;
	}
	/* O_NONBLOCK: a FIFO must not block the open; it is refused below */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	FILE *fp = fd >= 0 ? fdopen(fd, "r") : NULL;
	if (fp == NULL) {
		int e = errno;

		if (fd >= 0)
			close(fd);
		int code = (e == ENOENT && explicit) ? VIGIL_EXIT_NOINPUT :
			e == EACCES ? VIGIL_EXIT_NOPERM : VIGIL_EXIT_CONFIG;
		vigil_error_set(err, code, "cannot open configuration file %s: %s", path, strerror(e));
		if (e == ENOENT)
			vigil_error_hint(err, "give an existing file with -c FILE, or unset VIGIL_CONFIG to use the defaults");
		return code;
	}
	/* libconfig's scanner exit()s on a read error such as EISDIR */
	struct stat st;
	if (fstat(fileno(fp), &st) != 0 || !S_ISREG(st.st_mode)) {
		fclose(fp);
		vigil_error_set(err, VIGIL_EXIT_CONFIG, "cannot read configuration file %s: not a regular file", path);
		vigil_error_hint(err, "give the path of a vigil.conf file with -c FILE");
		return VIGIL_EXIT_CONFIG;
	}
	{
		/* read it whole: the prescan and the parse see the same bytes */
		vigil_buf text = {0};
		char chunk[8192];
		size_t n;

		while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
			vigil_buf_append(&text, chunk, n);
		vigil_buf_append(&text, "", 0);
		if (ferror(fp)) {
			rc = vigil_error_set(err, VIGIL_EXIT_CONFIG, "cannot read configuration file %s: %s", path,
								 strerror(errno));
		} else if (strlen(text.data) != text.len) {
			rc = vigil_error_set(err, VIGIL_EXIT_CONFIG, "%s: contains a NUL byte: not a configuration file", path);
		} else
			rc = prescan(text.data, path, err);
		config_init(&cf);
		if (rc == 0) {
			if (!config_read_string(&cf, text.data))
				rc = parse_error(&cf, path, err);
			else {
				rc = load(cfg, &cf, path, err);
				if (rc == 0)
					cfg->path = vigil_strdup(path);
			}
		}
		vigil_buf_free(&text);
	}
	fclose(fp);
	config_destroy(&cf);
	return rc;
}

int
vigil_config_load_string(vigil_config *cfg, const char *text, const char *name,
						 vigil_error *err)
{
	config_t cf;
	int rc;

	vigil_config_defaults(cfg);
	rc = prescan(text, name, err);
	if (rc)
		return rc;
	config_init(&cf);
	if (!config_read_string(&cf, text))
		rc = parse_error(&cf, name, err);
	else
		rc = load(cfg, &cf, name, err);
	config_destroy(&cf);
	return rc;
}

static void
print_quoted(FILE *out, const char *value)
{
	/* libconfig strings take C escapes: \" \\ \n \r \t \f and \xNN (not
	 * JSON's \u00NN, which libconfig would read as a literal "u00NN") */
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *) value; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(out, "\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", out);
		else if (*p == '\t')
			fputs("\\t", out);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(out, "\\x%02x", *p);
		else
			fputc(*p, out);
	}
	fputc('"', out);
}

/*
 * Prints the JSON string array at p (on its '[', as vigil_buf_json_string
 * wrote it) as a libconfig array of the same strings: JSON's \u00NN and
 * libconfig's escapes differ, and a ']' may sit inside a role name. Returns
 * the position after the closing ']', or NULL when p is not such an array.
 */
static const char *
print_json_strings(FILE *out, const char *p)
{
	vigil_buf s = {0};
	int n = 0;

	if (*p++ != '[')
		return NULL;
	fputs("[ ", out);
	for (;;) {
		while (*p == ' ' || *p == ',')
			p++;
		if (*p == ']')
			break;
		if (*p++ != '"')
			goto fail;
		vigil_buf_reset(&s);
		vigil_buf_append(&s, "", 0);
		while (*p != '"') {
			char c = *p++;

			if (c == '\\') {
				c = *p++;
				if (c == 'n')
					c = '\n';
				else if (c == 'r')
					c = '\r';
				else if (c == 't')
					c = '\t';
				else if (c == 'u') {
					char hex[5] = {0};
					unsigned char b[2];

					memcpy(hex, p, strnlen(p, 4));
					if (vigil_unhex(hex, b, 2) != 0 || b[0] != 0 || b[1] == 0)
						goto fail;
					c = (char) b[1];
					p += 4;
				} else if (c != '"' && c != '\\')
					goto fail;
			} else if (c == '\0')
				goto fail;
			vigil_buf_append(&s, &c, 1);
		}
		p++;
		fputs(n++ ? ", " : "", out);
		print_quoted(out, s.data);
	}
	fputs(" ]", out);
	vigil_buf_free(&s);
	return p + 1;
fail:
	vigil_buf_free(&s);
	return NULL;
}

static void
print_string(FILE *out, const char *indent, const char *key, const char *value)
{
	fprintf(out, "%s%s = ", indent, key);
	print_quoted(out, value);
	fputs(";\n", out);
}

void
vigil_config_print(const vigil_config *cfg, FILE *out)
{
	char masked[2048];

	fprintf(out, "# effective vigil configuration%s%s\n", cfg->path ? " from " : " (built-in defaults)",
			cfg->path ? cfg->path : "");
	fputs("database:\n{\n", out);
	vigil_conninfo_redact(cfg->database.conninfo, masked, sizeof(masked));
	print_string(out, "  ", "conninfo", masked);
	fprintf(out, "  connect_timeout_s = %d;\n  statement_timeout_ms = %d;\n  lock_timeout_ms = %d;\n};\n",
			cfg->database.connect_timeout_s, cfg->database.statement_timeout_ms,
			cfg->database.lock_timeout_ms);
	fputs("log:\n{\n", out);
	print_string(out, "  ", "format", cfg->log.format);
	print_string(out, "  ", "level", cfg->log.level);
	fputs("};\nmetrics:\n{\n", out);
	print_string(out, "  ", "textfile_dir", cfg->metrics.textfile_dir);
	fprintf(out, "};\njobs:\n{\n  batch_size = %d;\n  workers = %d;\n", cfg->jobs.batch_size,
			cfg->jobs.workers);
	fputs("  expire:\n  {\n    warn_days = [", out);
	for (int i = 0; i < cfg->expire.n_warn_days; i++)
		fprintf(out, "%s%d", i ? ", " : " ", cfg->expire.warn_days[i]);
	fputs(" ];\n  };\n  enforce:\n  {\n  };\n", out);
	/* the policy is kept as JSON; print it back as a libconfig list */
	fputs("  escalate:\n  {\n    default_policy = (\n", out);
	{
		const char *p = cfg->escalate.default_policy_json;
		int level = 0;

		while ((p = strstr(p, "{\"level\": ")) != NULL) {
			long long lv, th, nd;
			const char *roles, *end;

			if (sscanf(p, "{\"level\": %lld, \"threshold_minutes_past_deadline\": %lld", &lv, &th) != 2)
				break;
			roles = strstr(p, "\"recipients_role\": [") + strlen("\"recipients_role\": ");
			fprintf(out, "%s      { level = %lld; threshold_minutes_past_deadline = %lld; "
					"recipients_role = ", level++ ? ",\n" : "", lv, th);
			end = print_json_strings(out, roles);
			if (end == NULL || sscanf(end, ", \"new_deadline_minutes_from_now\": %lld", &nd) != 1)
				break;
			fprintf(out, "; new_deadline_minutes_from_now = %lld; }", nd);
			p = end;
		}
	}
	fputs("\n    );\n  };\n", out);
	fprintf(out, "  retain:\n  {\n    lock_timeout_ms = %d;\n  };\n", cfg->retain.lock_timeout_ms);
	fputs("  export:\n  {\n", out);
	print_string(out, "    ", "media_root", cfg->export_.media_root);
	print_string(out, "    ", "output_dir", cfg->export_.output_dir);
	print_string(out, "    ", "signing_key", cfg->export_.signing_key);
	fputs("  };\n  verify:\n  {\n    trusted_keys = [", out);
	for (int i = 0; i < cfg->verify.n_trusted_keys; i++) {
		fputs(i ? ", " : " ", out);
		print_quoted(out, cfg->verify.trusted_keys[i]);
	}
	fputs(" ];\n  };\n};\n", out);
}
