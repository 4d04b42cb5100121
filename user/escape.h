/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Escaping bytes that tcptrack does not choose (process names, what the user
 * typed) for the terminal and for JSON.  Both stop at a NUL or at @inlen, cut
 * what does not fit @outlen, always write a NUL and return the length.
 */
#ifndef TT_ESCAPE_H
#define TT_ESCAPE_H

#include <stddef.h>

/* Printable text passes; controls and invalid UTF-8 become \xNN, a backslash \\. */
size_t tt_escape_table(const char *in, size_t inlen, char *out, size_t outlen);
/* A JSON string body, valid UTF-8: invalid bytes become \ufffd, controls \u00NN. */
size_t tt_escape_json(const char *in, size_t inlen, char *out, size_t outlen);

#endif
