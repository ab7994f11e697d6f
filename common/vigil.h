/*
 * vigil.h — what every vigil module and program shares: the version, the exit
 * codes of DESIGN §4, and the error record library functions fill.
 *
 * Library functions never exit: they return 0 on success or the exit code
 * that describes their failure, and fill a vigil_error with a one-line,
 * lowercase message (and an optional hint). Only main() turns that into a
 * process exit status, as s6 and PostgreSQL's client programs do.
 */
#ifndef VIGIL_H
#define VIGIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifndef VIGIL_VERSION
#define VIGIL_VERSION "0.1.0"
#endif

/* Exit codes (sysexits.h values, named for what they mean to an operator). */
enum vigil_exit {
	VIGIL_EXIT_OK = 0,          /* done, also "nothing to do" */
	VIGIL_EXIT_PROBLEM = 1,     /* a check found a problem: invalid, drift, lint */
	VIGIL_EXIT_USAGE = 64,      /* bad command line */
	VIGIL_EXIT_DATAERR = 65,    /* bad input data */
	VIGIL_EXIT_NOINPUT = 66,    /* input file (or case) missing */
	VIGIL_EXIT_UNAVAILABLE = 69,/* database unavailable after retries */
	VIGIL_EXIT_SOFTWARE = 70,   /* internal error */
	VIGIL_EXIT_CANTCREAT = 73,  /* cannot create output */
	VIGIL_EXIT_TEMPFAIL = 75,   /* lock held elsewhere, or interrupted */
	VIGIL_EXIT_NOPERM = 77,     /* permission denied */
	VIGIL_EXIT_CONFIG = 78,     /* configuration error */
};

/* A failure: the exit code it maps to, the message, and an optional hint. */
typedef struct vigil_error {
	int code;
	char msg[1024];
	char hint[512];
} vigil_error;

/* Fills err (when not NULL) with code and a printf-formatted message and
 * clears its hint. Returns code, so `return vigil_error_set(...)` reads well. */
int vigil_error_set(vigil_error *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Sets the hint of an error already set. */
void vigil_error_hint(vigil_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Clears err. */
void vigil_error_clear(vigil_error *err);

#endif
