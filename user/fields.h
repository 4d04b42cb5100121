/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The row model behind output.c's renderers, and only theirs: which fields a
 * row has, where each shows (table, wide table, JSON), the function giving
 * its value.
 */
#ifndef TT_FIELDS_H
#define TT_FIELDS_H

#include "output.h"

/* whether a field has a value for the row: what does not apply is left out */
enum vkind { V_NULL, V_SET };

/*
 * A value being rendered: always NUL-terminated, and its length known.  @buf
 * has room for VAL_MAX bytes; for JSON it points into the line itself, so a
 * value is written once, where it goes.
 */
#define VAL_MAX 256
#define JKEY_MAX 32
struct val {
	char *buf;
	size_t len;
};

struct field {
	const char *json;	/* JSON key; NULL: table only */
	char jkey[JKEY_MAX];	/* ,"key": and a NUL; JSON rows copy all but the last byte */
	size_t jkey_len;
	const char *head;	/* table heading; NULL: JSON only */
	int width;		/* table column width; 0: last column */
	bool wide;		/* table: only in -o wide */
	bool str;		/* JSON: a quoted string, else a number */
	enum vkind (*get)(const struct tt_out *o, const struct tt_row *r, struct val *v);
};

extern const struct field tt_fields[];
extern const size_t tt_nfields;

/* TIME: the table's local (or UTC) time of day, JSON's UTC date and time with microseconds. */
enum vkind tt_field_time(const struct tt_out *o, const struct tt_row *r, struct val *v);

#endif
