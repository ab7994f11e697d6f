/*
 * util.c — allocation, buffers, JSON quoting, time and hex helpers shared by
 * every module. Time is kept as int64 microseconds since the epoch in UTC so
 * that no code path depends on the process's time zone (TZ) — exports must
 * be byte-identical in any zone.
 */
#define _GNU_SOURCE
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int
vigil_error_set(vigil_error *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return code;
	err->code = code;
	err->hint[0] = '\0';
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	/* one line: a message from the server may carry newlines */
	for (char *p = err->msg; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	size_t len = strlen(err->msg);
	while (len > 0 && (err->msg[len - 1] == ' ' || err->msg[len - 1] == '.'))
		err->msg[--len] = '\0';
	return code;
}

void
vigil_error_hint(vigil_error *err, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(err->hint, sizeof(err->hint), fmt, ap);
	va_end(ap);
}

void
vigil_error_clear(vigil_error *err)
{
	if (err == NULL)
		return;
	err->code = 0;
	err->msg[0] = '\0';
	err->hint[0] = '\0';
}

void *
vigil_malloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL) {
		fputs("vigil: out of memory\n", stderr);
		abort();
	}
	return p;
}

void *
vigil_realloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (q == NULL) {
		fputs("vigil: out of memory\n", stderr);
		abort();
	}
	return q;
}

char *
vigil_strdup(const char *s)
{
	if (s == NULL)
		return NULL;
	size_t n = strlen(s) + 1;
	char *d = vigil_malloc(n);
	memcpy(d, s, n);
	return d;
}

char *
vigil_asprintf(const char *fmt, ...)
{
	vigil_buf b = {0};
	va_list ap;

	va_start(ap, fmt);
	vigil_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	return b.data;
}

void
vigil_buf_init(vigil_buf *b)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

void
vigil_buf_free(vigil_buf *b)
{
	free(b->data);
	vigil_buf_init(b);
}

static void
buf_reserve(vigil_buf *b, size_t extra)
{
	if (b->len + extra + 1 <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 64;
	while (cap < b->len + extra + 1)
		cap *= 2;
	b->data = vigil_realloc(b->data, cap);
	b->cap = cap;
}

void
vigil_buf_reset(vigil_buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

void
vigil_buf_append(vigil_buf *b, const char *data, size_t len)
{
	buf_reserve(b, len);
	if (len)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
}

void
vigil_buf_puts(vigil_buf *b, const char *s)
{
	vigil_buf_append(b, s, strlen(s));
}

void
vigil_buf_vprintf(vigil_buf *b, const char *fmt, va_list ap)
{
	va_list ap2;

	va_copy(ap2, ap);
	int n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return;
	buf_reserve(b, (size_t) n);
	vsnprintf(b->data + b->len, (size_t) n + 1, fmt, ap);
	b->len += (size_t) n;
}

void
vigil_buf_printf(vigil_buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vigil_buf_vprintf(b, fmt, ap);
	va_end(ap);
}

void
vigil_buf_json_string(vigil_buf *b, const char *s)
{
	if (s == NULL) {
		vigil_buf_puts(b, "null");
		return;
	}
	vigil_buf_append(b, "\"", 1);
	for (const unsigned char *p = (const unsigned char *) s; *p; p++) {
		switch (*p) {
		case '"': vigil_buf_puts(b, "\\\""); break;
		case '\\': vigil_buf_puts(b, "\\\\"); break;
		case '\n': vigil_buf_puts(b, "\\n"); break;
		case '\r': vigil_buf_puts(b, "\\r"); break;
		case '\t': vigil_buf_puts(b, "\\t"); break;
		default:
			if (*p < 0x20)
				vigil_buf_printf(b, "\\u%04x", *p);
			else
				vigil_buf_append(b, (const char *) p, 1);
		}
	}
	vigil_buf_append(b, "\"", 1);
}

int64_t
vigil_time_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

double
vigil_monotonic(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar
 * (Howard Hinnant's days_from_civil): no timegm(), no TZ. */
static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	const int64_t era = (y >= 0 ? y : y - 399) / 400;
	const unsigned yoe = (unsigned) (y - era * 400);
	const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t) doe - 719468;
}

static void
civil_from_days(int64_t z, int *yy, int *mm, int *dd)
{
	z += 719468;
	const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	const unsigned doe = (unsigned) (z - era * 146097);
	const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	const int64_t y = (int64_t) yoe + era * 400;
	const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	const unsigned mp = (5 * doy + 2) / 153;
	const unsigned d = doy - (153 * mp + 2) / 5 + 1;
	const unsigned m = mp < 10 ? mp + 3 : mp - 9;
	*yy = (int) (y + (m <= 2));
	*mm = (int) m;
	*dd = (int) d;
}

static int
digits(const char **p, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if ((*p)[i] < '0' || (*p)[i] > '9')
			return -1;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return 0;
}

int
vigil_time_parse(const char *text, int64_t *us)
{
	const char *p = text;
	int y, mo, d, h = 0, mi = 0, s = 0, frac = 0, off = 0;

	if (text == NULL)
		return -1;
	if (digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) || *p++ != '-' ||
		digits(&p, 2, &d))
		return -1;
	if (*p == 'T' || *p == 't' || *p == ' ') {
		p++;
		if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi))
			return -1;
		if (*p == ':') {
			p++;
			if (digits(&p, 2, &s))
				return -1;
			if (*p == '.' || *p == ',') {
				int n = 0;

				p++;
				while (*p >= '0' && *p <= '9') {
					if (n < 6) {
						frac = frac * 10 + (*p - '0');
						n++;
					}
					p++;
				}
				if (n == 0)
					return -1;
				while (n++ < 6)
					frac *= 10;
			}
		}
	}
	if (*p == 'Z' || *p == 'z')
		p++;
	else if (*p == '+' || *p == '-') {
		int sign = *p == '-' ? -1 : 1, oh, om = 0;

		p++;
		if (digits(&p, 2, &oh))
			return -1;
		/* "+HH", "+HHMM" or "+HH:MM": a colon must be followed by minutes */
		if (*p == ':') {
			p++;
			if (digits(&p, 2, &om))
				return -1;
		} else if (*p && digits(&p, 2, &om))
			return -1;
		if (oh > 23 || om > 59)
			return -1;
		off = sign * (oh * 60 + om);
	}
	if (*p != '\0')
		return -1;
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 || s > 59)
		return -1;
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (mo == 2 && d == 29 && !leap)
		return -1;
	int64_t days = days_from_civil(y, (unsigned) mo, (unsigned) d);
	int64_t secs = days * 86400 + h * 3600 + mi * 60 + s - (int64_t) off * 60;
	*us = secs * 1000000 + frac;
	return 0;
}

static void
split(int64_t us, int64_t *secs, int *micros)
{
	*secs = us / 1000000;
	*micros = (int) (us % 1000000);
	if (*micros < 0) {
		*micros += 1000000;
		(*secs)--;
	}
}

void
vigil_time_format(int64_t us, char out[32])
{
	int64_t secs, days, rem;
	int micros, y, m, d;

	split(us, &secs, &micros);
	days = secs / 86400;
	rem = secs % 86400;
	if (rem < 0) {
		rem += 86400;
		days--;
	}
	civil_from_days(days, &y, &m, &d);
	/* years past 9999 cannot occur in vigil's data; the wide buffer only
	 * silences the compiler's worst-case estimate */
	char wide[96];
	snprintf(wide, sizeof(wide), "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", y, m, d,
			 (int) (rem / 3600), (int) (rem / 60 % 60), (int) (rem % 60), micros);
	snprintf(out, 32, "%.31s", wide);
}

void
vigil_time_format_short(int64_t us, char out[24])
{
	char full[32];

	vigil_time_format(us, full);
	memcpy(out, full, 19);
	out[19] = 'Z';
	out[20] = '\0';
}

void
vigil_hex(const unsigned char *data, size_t n, char *out)
{
	static const char xd[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = xd[data[i] >> 4];
		out[2 * i + 1] = xd[data[i] & 15];
	}
	out[2 * n] = '\0';
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
vigil_unhex(const char *hex, unsigned char *out, size_t n)
{
	if (hex[0] == '\\' && hex[1] == 'x')
		hex += 2;
	for (size_t i = 0; i < n; i++) {
		int hi = hexval(hex[2 * i]), lo;

		if (hi < 0)
			return -1;
		lo = hexval(hex[2 * i + 1]);
		if (lo < 0)
			return -1;
		out[i] = (unsigned char) (hi << 4 | lo);
	}
	return hex[2 * n] == '\0' ? 0 : -1;
}

int
vigil_read_file(const char *path, vigil_buf *out, vigil_error *err)
{
	char chunk[8192];
	struct stat st;
	/* O_NONBLOCK: opening a FIFO must not wait for a writer forever; it is
	 * refused below, and reads of a regular file never block anyway */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);

	if (fd < 0) {
		int code = errno == ENOENT ? VIGIL_EXIT_NOINPUT :
			errno == EACCES ? VIGIL_EXIT_NOPERM : VIGIL_EXIT_NOINPUT;
		return vigil_error_set(err, code, "cannot open %s: %s", path, strerror(errno));
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return vigil_error_set(err, VIGIL_EXIT_NOINPUT, "cannot read %s: not a regular file", path);
	}
	vigil_buf_reset(out);
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));

		if (n < 0) {
			if (errno == EINTR)
				continue;
			int e = errno;
			close(fd);
			return vigil_error_set(err, VIGIL_EXIT_NOINPUT, "cannot read %s: %s", path, strerror(e));
		}
		if (n == 0)
			break;
		vigil_buf_append(out, chunk, (size_t) n);
	}
	close(fd);
	if (out->data == NULL)
		vigil_buf_append(out, "", 0);
	return 0;
}
