// SPDX-License-Identifier: GPL-2.0
/*
 * Process names are chosen by the process: nothing reaches the terminal raw
 * except printable text, and nothing reaches JSON that is not valid JSON and
 * valid UTF-8.  One walker serves both; only what a sequence becomes differs.
 */
#include <stdbool.h>
#include <stdio.h>
#include "escape.h"
#include "format.h"
#include "utf8.h"

/* C0, DEL and C1: a terminal acts on them. */
static bool is_control(unsigned int cp)
{
	return cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0);
}

/*
 * Copies the run of printable ASCII at s[*i] that needs no escape in one go,
 * not a character at a time, and moves *i past it; false if there is none.
 * A backslash is always escaped, a double quote only in JSON.  What does not
 * fit is cut, as tt_put() would cut the characters one by one.
 */
static bool put_plain_run(const unsigned char *s, size_t *i, size_t inlen, bool json,
			  char *out, size_t outlen, size_t *pos)
{
	size_t j = *i, n;

	while (j < inlen && s[j] >= 0x20 && s[j] < 0x7f && s[j] != '\\' &&
	       !(json && s[j] == '"'))
		j++;
	n = j - *i;
	if (!n)
		return false;
	if (*pos + n >= outlen)
		n = outlen > *pos ? outlen - *pos - 1 : 0;
	tt_put(out, outlen, pos, (const char *)s + *i, n);
	*i = j;
	return true;
}

/*
 * For the terminal: the sequence at @s, @n bytes of valid UTF-8 for @cp (0:
 * an invalid byte), as it is, a backslash doubled, or every byte as \xNN.
 * Returns the bytes of @s it used.
 */
static size_t put_table_seq(const unsigned char *s, size_t n, unsigned int cp, char *out,
			    size_t outlen, size_t *pos)
{
	size_t k = n ? n : 1;
	char tmp[8];

	if (n && !is_control(cp) && cp != '\\') {
		tt_put(out, outlen, pos, (const char *)s, n);
		return n;
	}
	if (n == 1 && cp == '\\') {
		tt_put(out, outlen, pos, "\\\\", 2);
		return n;
	}
	for (size_t j = 0; j < k; j++) {
		snprintf(tmp, sizeof(tmp), "\\x%02x", s[j]);
		tt_put(out, outlen, pos, tmp, 4);
	}
	return k;
}

/* For JSON: the same sequence as it is, \" or \\, \u00NN for a control, \ufffd if invalid. */
static size_t put_json_seq(const unsigned char *s, size_t n, unsigned int cp, char *out,
			   size_t outlen, size_t *pos)
{
	char tmp[8];

	if (!n) {
		tt_put(out, outlen, pos, "\\ufffd", 6);
		return 1;
	}
	if (cp == '"' || cp == '\\') {
		tmp[0] = '\\';
		tmp[1] = cp;
		tt_put(out, outlen, pos, tmp, 2);
	} else if (is_control(cp)) {
		snprintf(tmp, sizeof(tmp), "\\u%04x", cp);
		tt_put(out, outlen, pos, tmp, 6);
	} else {
		tt_put(out, outlen, pos, (const char *)s, n);
	}
	return n;
}

static size_t escape(const char *in, size_t inlen, char *out, size_t outlen, bool json)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t pos = 0, i = 0;

	if (outlen)
		out[0] = '\0';
	while (i < inlen && s[i]) {
		unsigned int cp = 0;
		size_t n;

		if (put_plain_run(s, &i, inlen, json, out, outlen, &pos))
			continue;
		n = tt_utf8_seq(s + i, inlen - i, &cp);
		if (json)
			i += put_json_seq(s + i, n, cp, out, outlen, &pos);
		else
			i += put_table_seq(s + i, n, cp, out, outlen, &pos);
	}
	return pos;
}

size_t tt_escape_table(const char *in, size_t inlen, char *out, size_t outlen)
{
	return escape(in, inlen, out, outlen, false);
}

size_t tt_escape_json(const char *in, size_t inlen, char *out, size_t outlen)
{
	return escape(in, inlen, out, outlen, true);
}
