/* SPDX-License-Identifier: GPL-2.0 */
/*
 * UTF-8 validation for text that comes from processes (command names): one walker serves the
 * terminal and JSON escapes and the metrics' label values.
 */
#ifndef TT_UTF8_H
#define TT_UTF8_H

#include <stddef.h>

/*
 * Length of the valid UTF-8 sequence at @s (at most @n bytes, n >= 1), and
 * its code point in *cp; 0 if @s does not start one.  Overlong forms,
 * surrogates and code points beyond U+10FFFF are not UTF-8.
 */
size_t tt_utf8_seq(const unsigned char *s, size_t n, unsigned int *cp);

#endif
