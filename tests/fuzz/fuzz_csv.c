/*
 * fuzz_csv.c — libFuzzer target for the CSV writer (common/csvout.c), which
 * turns database values into the case exports' CSV files: any bytes must be
 * written so that a CSV reader gets exactly the same fields back.
 *
 *	make fuzz-more          a long run of each target (FUZZ_TIME seconds)
 *	make fuzz-short-more    a short bounded run of each, part of `make test`
 *
 * The input describes rows of fields: the first byte picks the API (bit 0:
 * vigil_csv_row for whole rows, else vigil_csv_field one by one), the rest
 * is split at NUL bytes into fields; a field that is the single byte 0x01 is
 * a NULL, one that is the single byte 0x02 ends the row. Checked on every
 * input:
 *  - the output is byte for byte what RFC 4180 with csvout.h's dialect says
 *    (every value quoted, inner quotes doubled, NULL empty and unquoted,
 *    CRLF after each row), computed here independently, and its length is
 *    the buffer's len;
 *  - libcsv's parser (csv_parse, strict) reads it back to the same rows and
 *    fields, NULL as NULL and "" as "". A row that is one NULL (or nothing)
 *    is an empty line, which CSV readers skip: it is expected to vanish.
 * A broken promise aborts, so libFuzzer keeps the input as a crash.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <csv.h>

#include "csvout.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A field, or the end of a row (end = true). */
typedef struct item {
	char *value;                 /* NULL = SQL NULL */
	size_t len;
	bool end;
} item;

typedef struct list {
	item *items;
	size_t n, cap;
} list;

static void
csv_expect(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_csv: %s\n", what);
		abort();
	}
}

static void
add(list *l, const char *value, size_t len, bool end)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 16;
		l->items = vigil_realloc(l->items, l->cap * sizeof(*l->items));
	}
	l->items[l->n].value = NULL;
	if (value) {
		l->items[l->n].value = vigil_malloc(len + 1);
		memcpy(l->items[l->n].value, value, len);
		l->items[l->n].value[len] = '\0';
	}
	l->items[l->n].len = len;
	l->items[l->n].end = end;
	l->n++;
}

static void
list_free(list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->items[i].value);
	free(l->items);
}

static void
on_field(void *s, size_t len, void *data)
{
	add(data, s, len, false);
}

static void
on_row(int c, void *data)
{
	(void) c;
	add(data, NULL, 0, true);
}

/* The expected rows: those that are not empty lines. */
static void
expected_rows(const list *written, list *want)
{
	size_t row_start = 0;

	for (size_t i = 0; i < written->n; i++) {
		if (!written->items[i].end)
			continue;
		size_t nfields = i - row_start;

		if (!(nfields == 0 || (nfields == 1 && written->items[row_start].value == NULL))) {
			for (size_t k = row_start; k < i; k++)
				add(want, written->items[k].value, written->items[k].len, false);
			add(want, NULL, 0, true);
		}
		row_start = i + 1;
	}
}

/* RFC 4180 as csvout.h describes it, written out by hand. */
static void
reference(const list *written, vigil_buf *ref)
{
	bool first = true;

	for (size_t i = 0; i < written->n; i++) {
		const item *it = &written->items[i];

		if (it->end) {
			vigil_buf_append(ref, "\r\n", 2);
			first = true;
			continue;
		}
		if (!first)
			vigil_buf_append(ref, ",", 1);
		first = false;
		if (it->value == NULL)
			continue;
		vigil_buf_append(ref, "\"", 1);
		for (size_t k = 0; k < it->len; k++) {
			if (it->value[k] == '"')
				vigil_buf_append(ref, "\"", 1);
			vigil_buf_append(ref, &it->value[k], 1);
		}
		vigil_buf_append(ref, "\"", 1);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	list written = {0}, want = {0}, got = {0};
	vigil_buf out = {0}, ref = {0};
	struct csv_parser parser;
	bool whole_rows;
	const char **row = NULL;
	size_t row_start = 0;

	if (size == 0)
		return 0;
	whole_rows = data[0] & 1;

	/* Split the rest into fields and rows. */
	for (size_t pos = 1; pos <= size;) {
		const uint8_t *nul = pos < size ? memchr(data + pos, 0, size - pos) : NULL;
		size_t flen = (nul ? (size_t) (nul - data) : size) - pos;
		const char *f = (const char *) data + pos;

		if (pos == size)
			break;
		if (flen == 1 && f[0] == 1)
			add(&written, NULL, 0, false);
		else if (flen == 1 && f[0] == 2)
			add(&written, NULL, 0, true);
		else
			add(&written, f, flen, false);
		pos += flen + 1;
	}
	if (written.n == 0 || !written.items[written.n - 1].end)
		add(&written, NULL, 0, true);

	/* Write them with the API under test. */
	row = vigil_malloc((written.n + 1) * sizeof(*row));
	for (size_t i = 0; i < written.n; i++) {
		const item *it = &written.items[i];

		if (!whole_rows) {
			if (it->end)
				vigil_csv_end_row(&out);
			else
				vigil_csv_field(&out, it->value, i == row_start);
		} else if (it->end) {
			for (size_t k = row_start; k < i; k++)
				row[k - row_start] = written.items[k].value;
			vigil_csv_row(&out, row, i - row_start);
		}
		if (it->end)
			row_start = i + 1;
	}

	reference(&written, &ref);
	csv_expect(out.data != NULL && out.len == strlen(out.data), "output length is not the buffer's len");
	csv_expect(out.len == ref.len && memcmp(out.data, ref.data, ref.len) == 0,
		   "output differs from RFC 4180 quoting");

	/* Read them back with libcsv. */
	expected_rows(&written, &want);
	csv_expect(csv_init(&parser, CSV_STRICT | CSV_STRICT_FINI | CSV_EMPTY_IS_NULL) == 0, "csv_init failed");
	csv_expect(csv_parse(&parser, out.data, out.len, on_field, on_row, &got) == out.len,
		   "libcsv cannot parse the output");
	csv_expect(csv_fini(&parser, on_field, on_row, &got) == 0, "libcsv cannot finish the output");
	csv_free(&parser);
	csv_expect(got.n == want.n, "libcsv reads a different number of fields and rows");
	for (size_t i = 0; i < got.n; i++) {
		const item *g = &got.items[i], *w = &want.items[i];

		csv_expect(g->end == w->end, "libcsv ends a row elsewhere");
		csv_expect((g->value == NULL) == (w->value == NULL), "NULL and empty string are confused");
		csv_expect(g->len == w->len && (g->len == 0 || memcmp(g->value, w->value, g->len) == 0),
			   "libcsv reads a different field");
	}

	free(row);
	vigil_buf_free(&out);
	vigil_buf_free(&ref);
	list_free(&written);
	list_free(&want);
	list_free(&got);
	return 0;
}
