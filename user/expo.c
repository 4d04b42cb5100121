// SPDX-License-Identifier: GPL-2.0
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "expo.h"
#include "utf8.h"

void tt_expo_label(struct tt_expo_labels *l, const char *name, const char *value)
{
	if (l->n >= TT_EXPO_MAX_LABELS)
		return;
	l->name[l->n] = name;
	l->value[l->n] = value;
	l->n++;
}

void tt_expo_escape(struct tt_buf *b, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t left = strlen(str);
	unsigned int cp;

	while (left) {
		size_t run = 0, n;

		/* the plain run, copied at once */
		while (run < left && s[run] != '\\' && s[run] != '"' && s[run] != '\n' &&
		       (n = tt_utf8_seq(s + run, left - run, &cp)))
			run += n;
		tt_buf_add(b, (const char *)s, run);
		s += run;
		left -= run;
		if (!left)
			break;
		if (*s == '\\')
			tt_buf_add(b, "\\\\", 2);
		else if (*s == '"')
			tt_buf_add(b, "\\\"", 2);
		else if (*s == '\n')
			tt_buf_add(b, "\\n", 2);
		else
			tt_buf_add(b, "\xef\xbf\xbd", 3);
		s++;
		left--;
	}
}

/* HELP text escapes only backslash and newline. */
static void help_escape(struct tt_buf *b, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\')
			tt_buf_add(b, "\\\\", 2);
		else if (*s == '\n')
			tt_buf_add(b, "\\n", 2);
		else
			tt_buf_add(b, s, 1);
	}
}

void tt_expo_family(struct tt_buf *b, const char *name, const char *help, enum tt_expo_type t)
{
	static const char *const types[] = {
		[TT_EXPO_COUNTER] = "counter",
		[TT_EXPO_GAUGE] = "gauge",
		[TT_EXPO_HISTOGRAM] = "histogram",
	};

	tt_buf_printf(b, "# HELP %s ", name);
	help_escape(b, help);
	tt_buf_printf(b, "\n# TYPE %s %s\n", name, types[t]);
}

static void sample_head(struct tt_buf *b, const char *name, const struct tt_expo_labels *l)
{
	tt_buf_puts(b, name);
	if (!l || !l->n) {
		tt_buf_add(b, " ", 1);
		return;
	}
	for (int i = 0; i < l->n; i++) {
		tt_buf_add(b, i ? "," : "{", 1);
		tt_buf_puts(b, l->name[i]);
		tt_buf_add(b, "=\"", 2);
		tt_expo_escape(b, l->value[i]);
		tt_buf_add(b, "\"", 1);
	}
	tt_buf_add(b, "} ", 2);
}

/* @v as the format writes a value, into @s (32 bytes) */
static void fmt_value(char *s, size_t n, double v)
{
	if (isnan(v)) {
		snprintf(s, n, "NaN");
	} else if (isinf(v)) {
		snprintf(s, n, "%s", v > 0 ? "+Inf" : "-Inf");
	} else if (v > -9007199254740992.0 && v < 9007199254740992.0 && v == (double)(int64_t)v) {
		snprintf(s, n, "%" PRId64, (int64_t)v);
	} else {
		/* 15 significant digits read most values back; 17 every one */
		snprintf(s, n, "%.15g", v);
		if (strtod(s, NULL) != v)
			snprintf(s, n, "%.17g", v);
	}
}

void tt_expo_value(struct tt_buf *b, double v)
{
	char s[32];

	fmt_value(s, sizeof(s), v);
	tt_buf_puts(b, s);
}

void tt_expo_u64(struct tt_buf *b, const char *name, const struct tt_expo_labels *l, uint64_t v)
{
	sample_head(b, name, l);
	tt_buf_printf(b, "%" PRIu64 "\n", v);
}

void tt_expo_double(struct tt_buf *b, const char *name, const struct tt_expo_labels *l, double v)
{
	sample_head(b, name, l);
	tt_expo_value(b, v);
	tt_buf_add(b, "\n", 1);
}

void tt_expo_histogram(struct tt_buf *b, const char *name, const struct tt_expo_labels *l,
		       const double *bounds, int nb, const uint64_t *counts, double sum)
{
	struct tt_expo_labels bl = l ? *l : (struct tt_expo_labels){ 0 };
	char metric[128], le[32];
	uint64_t cum = 0;

	snprintf(metric, sizeof(metric), "%s_bucket", name);
	tt_expo_label(&bl, "le", le);
	for (int i = 0; i <= nb; i++) {
		cum += counts[i];
		fmt_value(le, sizeof(le), i < nb ? bounds[i] : INFINITY);
		tt_expo_u64(b, metric, &bl, cum);
	}
	snprintf(metric, sizeof(metric), "%s_sum", name);
	tt_expo_double(b, metric, l, sum);
	snprintf(metric, sizeof(metric), "%s_count", name);
	tt_expo_u64(b, metric, l, cum);
}
