/*
 * log.c — stderr logging in text or json, with journald priority prefixes.
 * Each event is formatted into one buffer and written with one write(2), so
 * lines from worker threads or concurrent processes never interleave.
 */
#include "log.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

static const char *log_prog = "vigil";
static enum vigil_log_format log_format = VIGIL_LOG_TEXT;
static enum vigil_log_level log_min = VIGIL_LOG_INFO;
static int log_journal = -1;      /* unknown until first use */

static const char *const level_names[] = {"debug", "info", "warning", "error"};
static const int level_syslog[] = {7, 6, 4, 3};

void
vigil_log_init(const char *prog, enum vigil_log_format format, enum vigil_log_level min)
{
	log_prog = prog;
	log_format = format;
	log_min = min;
	log_journal = -1;   /* look again: stderr or $JOURNAL_STREAM may have changed */
}

int
vigil_log_level_parse(const char *name)
{
	for (int i = 0; i < 4; i++)
		if (strcmp(name, level_names[i]) == 0)
			return i;
	return -1;
}

/* stderr is the journal when $JOURNAL_STREAM is "dev:ino" of fd 2. */
static bool
is_journal(void)
{
	if (log_journal < 0) {
		const char *js = getenv("JOURNAL_STREAM");
		unsigned long long dev, ino;
		struct stat st;

		log_journal = js && sscanf(js, "%llu:%llu", &dev, &ino) == 2 &&
			fstat(2, &st) == 0 && (unsigned long long) st.st_dev == dev &&
			(unsigned long long) st.st_ino == ino;
	}
	return log_journal;
}

static void
begin(vigil_buf *b, enum vigil_log_level level)
{
	char ts[24];

	vigil_time_format_short(vigil_time_now_us(), ts);
	if (is_journal())
		vigil_buf_printf(b, "<%d>", level_syslog[level]);
	if (log_format == VIGIL_LOG_JSON) {
		vigil_buf_printf(b, "{\"ts\":\"%s\",\"level\":\"%s\",\"prog\":", ts, level_names[level]);
		vigil_buf_json_string(b, log_prog);
	} else
		vigil_buf_printf(b, "%s %s %s", ts, level_names[level], log_prog);
}

static void
finish(vigil_buf *b)
{
	if (log_format == VIGIL_LOG_JSON)
		vigil_buf_puts(b, "}");
	vigil_buf_puts(b, "\n");
	size_t off = 0;
	while (off < b->len) {
		ssize_t n = write(2, b->data + off, b->len - off);
		if (n <= 0)
			break;
		off += (size_t) n;
	}
	vigil_buf_free(b);
}

/* Text values are printed bare unless they hold spaces, quotes or '='. */
static void
text_value(vigil_buf *b, const char *v)
{
	if (v[0] != '\0' && strpbrk(v, " \t\"=\n") == NULL)
		vigil_buf_puts(b, v);
	else
		vigil_buf_json_string(b, v);
}

void
vigil_log(enum vigil_log_level level, const char *fmt, ...)
{
	vigil_buf b = {0}, msg = {0};
	va_list ap;

	if (level < log_min)
		return;
	va_start(ap, fmt);
	vigil_buf_vprintf(&msg, fmt, ap);
	va_end(ap);
	for (size_t i = 0; i < msg.len; i++)
		if (msg.data[i] == '\n' || msg.data[i] == '\r')
			msg.data[i] = ' ';
	begin(&b, level);
	if (log_format == VIGIL_LOG_JSON) {
		vigil_buf_puts(&b, ",\"msg\":");
		vigil_buf_json_string(&b, msg.data ? msg.data : "");
	} else {
		vigil_buf_puts(&b, " ");
		if (msg.data)
			vigil_buf_puts(&b, msg.data);
	}
	vigil_buf_free(&msg);
	finish(&b);
}

void
vigil_log_fields(enum vigil_log_level level, const vigil_kv *kv, size_t n)
{
	vigil_buf b = {0};

	if (level < log_min)
		return;
	begin(&b, level);
	for (size_t i = 0; i < n; i++) {
		const char *v = kv[i].value ? kv[i].value : "";

		if (log_format == VIGIL_LOG_JSON) {
			vigil_buf_puts(&b, ",");
			vigil_buf_json_string(&b, kv[i].key);
			vigil_buf_puts(&b, ":");
			if (kv[i].numeric && v[0])
				vigil_buf_puts(&b, v);
			else
				vigil_buf_json_string(&b, v);
		} else {
			vigil_buf_printf(&b, " %s=", kv[i].key);
			text_value(&b, v);
		}
	}
	finish(&b);
}

void
vigil_log_error(const vigil_error *err)
{
	vigil_log(VIGIL_LOG_ERROR, "%s", err->msg[0] ? err->msg : "unknown error");
	if (err->hint[0])
		vigil_log(VIGIL_LOG_ERROR, "hint: %s", err->hint);
}

void
vigil_conninfo_redact(const char *conninfo, char *out, size_t outsize)
{
	PQconninfoOption *opts;
	vigil_buf b = {0};
	bool masked = false;

	if (conninfo == NULL || conninfo[0] == '\0') {
		snprintf(out, outsize, "%s", "");
		return;
	}
	/* a plain database name (-d vigil: libpq expands only strings with '='
	 * or a URI prefix) holds no password */
	if (strchr(conninfo, '=') == NULL && strncmp(conninfo, "postgres://", 11) != 0 &&
		strncmp(conninfo, "postgresql://", 13) != 0) {
		snprintf(out, outsize, "%s", conninfo);
		return;
	}
	opts = PQconninfoParse(conninfo, NULL);
	if (opts == NULL) {
		snprintf(out, outsize, "%s", "(unparsable conninfo)");
		return;
	}
	for (PQconninfoOption *o = opts; o->keyword; o++) {
		if (o->val == NULL)
			continue;
		if (b.len)
			vigil_buf_puts(&b, " ");
		vigil_buf_printf(&b, "%s=", o->keyword);
		if (strcmp(o->keyword, "password") == 0) {
			vigil_buf_puts(&b, "********");
			masked = true;
			continue;
		}
		bool quote = o->val[0] == '\0' || strpbrk(o->val, " '\\") != NULL;
		if (quote)
			vigil_buf_puts(&b, "'");
		for (const char *p = o->val; *p; p++) {
			if (*p == '\'' || *p == '\\')
				vigil_buf_puts(&b, "\\");
			vigil_buf_append(&b, p, 1);
		}
		if (quote)
			vigil_buf_puts(&b, "'");
	}
	PQconninfoFree(opts);
	/* without a password the string is shown as written (libpq's parse
	 * reorders keys and turns URIs into key=value) */
	snprintf(out, outsize, "%s", !masked ? conninfo : b.data ? b.data : "");
	vigil_buf_free(&b);
}
