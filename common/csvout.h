/*
 * csvout.h — RFC 4180 CSV rows into a vigil_buf, quoted by libcsv.
 *
 * Every field that has a value is written quoted (libcsv's csv_write:
 * surrounding double quotes, inner quotes doubled), a NULL is written as an
 * empty unquoted field, so a reader can tell NULL ("a,,b") from an empty
 * string ("a,\"\",b"). Rows end with CRLF as RFC 4180 says. Bytes are copied
 * as they are: the database hands out UTF-8, so the files are UTF-8.
 *
 * (Not named csv.h: with -Icommon that name would hide libcsv's <csv.h>.)
 */
#ifndef VIGIL_CSVOUT_H
#define VIGIL_CSVOUT_H

#include "util.h"
#include "vigil.h"

/* Appends one field (NULL = empty, unquoted), preceded by a comma unless it
 * is the first of its row. */
void vigil_csv_field(vigil_buf *out, const char *value, bool first);

/* Appends a whole row of n fields (NULLs allowed) and its CRLF. */
void vigil_csv_row(vigil_buf *out, const char *const *fields, size_t n);

/* Ends the current row (CRLF). */
void vigil_csv_end_row(vigil_buf *out);

#endif
