/*
 * log.h — one line per event on stderr (DESIGN §7).
 *
 * text:  2026-11-22T02:05:00Z info vigil-expire run=42 expired=120 ms=840
 * json:  {"ts":"2026-11-22T02:05:00Z","level":"info","prog":"vigil-expire","run":42,...}
 *
 * When stderr is the systemd journal ($JOURNAL_STREAM names stderr's device
 * and inode) every line starts with a "<N>" syslog priority so journald keeps
 * the level. Nothing here ever prints a password: conninfo strings go
 * through vigil_conninfo_redact first.
 */
#ifndef VIGIL_LOG_H
#define VIGIL_LOG_H

#include "vigil.h"

enum vigil_log_level {
	VIGIL_LOG_DEBUG,
	VIGIL_LOG_INFO,
	VIGIL_LOG_WARNING,
	VIGIL_LOG_ERROR,
};

enum vigil_log_format {
	VIGIL_LOG_TEXT,
	VIGIL_LOG_JSON,
};

/* Sets the program name, format and lowest level printed. Safe to call again
 * (the CLI sets defaults early, the configuration refines them). */
void vigil_log_init(const char *prog, enum vigil_log_format format, enum vigil_log_level min);

/* "debug"... "error" to a level, -1 if unknown. */
int vigil_log_level_parse(const char *name);

/* Logs a free-text message: text "ts level prog message", json field "msg". */
void vigil_log(enum vigil_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* A key and its value for vigil_log_fields; numeric values are printed
 * unquoted in json. */
typedef struct vigil_kv {
	const char *key;
	const char *value;
	bool numeric;
} vigil_kv;

/* Logs one event made of fields: text "ts level prog k=v k=v", json an
 * object with one member per field. Values with spaces are quoted in text. */
void vigil_log_fields(enum vigil_log_level level, const vigil_kv *kv, size_t n);

/* Logs err: its message at error level, and its hint, if any, as a second
 * line "hint: ...". */
void vigil_log_error(const vigil_error *err);

/* Copies conninfo (key=value or URI) to out with any password replaced by
 * "********". A string libpq cannot parse is replaced entirely. */
void vigil_conninfo_redact(const char *conninfo, char *out, size_t outsize);

#endif
