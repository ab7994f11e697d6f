/*
 * csvout.c — CSV rows quoted with libcsv's csv_write (see csvout.h for the
 * dialect). csv_write reports the size it needs, so each field is sized
 * first and written straight into the buffer's spare room.
 */
#include "csvout.h"

#include <string.h>

#include <csv.h>

void
vigil_csv_field(vigil_buf *out, const char *value, bool first)
{
	size_t len, need;

	if (!first)
		vigil_buf_append(out, ",", 1);
	if (value == NULL)
		return;
	len = strlen(value);
	need = csv_write(NULL, 0, value, len);
	/* Make room (plus the NUL vigil_buf keeps), then write in place. */
	vigil_buf_append(out, "", 0);
	if (out->cap < out->len + need + 1) {
		out->cap = out->len + need + 1;
		out->data = vigil_realloc(out->data, out->cap);
	}
	csv_write(out->data + out->len, need, value, len);
	out->len += need;
	out->data[out->len] = '\0';
}

void
vigil_csv_end_row(vigil_buf *out)
{
	vigil_buf_append(out, "\r\n", 2);
}

void
vigil_csv_row(vigil_buf *out, const char *const *fields, size_t n)
{
	for (size_t i = 0; i < n; i++)
		vigil_csv_field(out, fields[i], i == 0);
	vigil_csv_end_row(out);
}
