/*
 * util.h — small helpers every module needs: allocation that cannot return
 * NULL (out of memory aborts: a job that cannot allocate a few bytes cannot
 * do anything useful), a growable string buffer, JSON string quoting,
 * timestamps in the one text form vigil prints, and monotonic time.
 */
#ifndef VIGIL_UTIL_H
#define VIGIL_UTIL_H

#include "vigil.h"

void *vigil_malloc(size_t n);
void *vigil_realloc(void *p, size_t n);
char *vigil_strdup(const char *s);   /* NULL stays NULL */
char *vigil_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A growable NUL-terminated byte buffer. Zero-initialise, or vigil_buf_init. */
typedef struct vigil_buf {
	char *data;
	size_t len;
	size_t cap;
} vigil_buf;

void vigil_buf_init(vigil_buf *b);
void vigil_buf_free(vigil_buf *b);
void vigil_buf_reset(vigil_buf *b);          /* length 0, memory kept */
void vigil_buf_append(vigil_buf *b, const char *data, size_t len);
void vigil_buf_puts(vigil_buf *b, const char *s);
void vigil_buf_printf(vigil_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void vigil_buf_vprintf(vigil_buf *b, const char *fmt, va_list ap);
/* Appends s as a JSON string literal with its quotes; NULL appends null. */
void vigil_buf_json_string(vigil_buf *b, const char *s);

/*
 * Timestamps. vigil passes instants around as int64 microseconds since the
 * Unix epoch and prints them as "YYYY-MM-DDTHH:MM:SS.ffffffZ" (or without
 * fraction, vigil_time_format_short), always UTC.
 */
int64_t vigil_time_now_us(void);
/* Parses ISO 8601: YYYY-MM-DD[(T| )HH:MM[:SS[.f{1,6}]]][Z|±HH[:MM]]; no zone
 * means UTC. Returns 0 and sets *us, or -1 on malformed input. */
int vigil_time_parse(const char *text, int64_t *us);
void vigil_time_format(int64_t us, char out[32]);        /* with microseconds */
void vigil_time_format_short(int64_t us, char out[24]);  /* seconds, ...Z */
/* Monotonic clock in seconds, for durations. */
double vigil_monotonic(void);

/* Lowercase hex of n bytes into out (2n+1 bytes). */
void vigil_hex(const unsigned char *data, size_t n, char *out);
/* Parses 2n hex digits (an optional leading "\\x" is skipped) into out. */
int vigil_unhex(const char *hex, unsigned char *out, size_t n);

/* Reads a whole (small) regular file into a NUL-terminated buffer. Returns
 * 0, or an exit code with err filled (66 when missing or not a regular file,
 * such as a directory or a FIFO; 77 when not readable). */
int vigil_read_file(const char *path, vigil_buf *out, vigil_error *err);

#endif
