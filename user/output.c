// SPDX-License-Identifier: GPL-2.0
/*
 * One row model (fields.c), three renderings: the table and the wide table
 * go through stdio, JSON lines are built in place in the row buffer.  They
 * only differ in which fields they show and how they quote them.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <time.h>
#include "output.h"
#include "by.h"
#include "fields.h"

#define JSON_LINE_MAX 4096	/* a row is cut at the first field that might not fit */

void tt_out_init(struct tt_out *o, FILE *f, enum tt_format format)
{
	struct timespec mono, real;

	/* all but the row buffer: the fuzzer starts one per input */
	memset(o, 0, offsetof(struct tt_out, jbuf));
	o->f = f;
	o->format = format;
	clock_gettime(CLOCK_MONOTONIC, &mono);
	clock_gettime(CLOCK_REALTIME, &real);
	o->mono_to_real_ns = (real.tv_sec - mono.tv_sec) * 1000000000ll +
			     (real.tv_nsec - mono.tv_nsec);
}

void tt_out_add_ifname(struct tt_out *o, int ifindex, const char *name)
{
	if (o->nifnames == TT_MAX_IFACES)
		return;
	o->ifnames[o->nifnames].ifindex = ifindex;
	snprintf(o->ifnames[o->nifnames].name, TT_IFNAMSIZ, "%s", name);
	o->nifnames++;
}

static int check(struct tt_out *o)
{
	o->dirty = true;
	return ferror(o->f) ? -(errno ? errno : EIO) : 0;
}

/* Hands the JSON rows built so far to the stream, before anything else goes there. */
static int drain(struct tt_out *o)
{
	if (!o->jlen)
		return 0;
	fwrite(o->jbuf, 1, o->jlen, o->f);
	o->jlen = 0;
	return check(o);
}

static bool in_table(const struct tt_out *o, const struct field *fl)
{
	return fl->head && (!fl->wide || o->format == TT_FMT_WIDE);
}

/* Index of the last field the table shows: it is not padded. */
static size_t last_table_field(const struct tt_out *o)
{
	size_t last = 0;

	for (size_t i = 0; i < tt_nfields; i++)
		if (in_table(o, &tt_fields[i]))
			last = i;
	return last;
}

/* A table cell: padded to its column, or ending the line if it is the @last. */
static void put_cell(struct tt_out *o, size_t i, size_t last, const char *text)
{
	if (i == last)
		fprintf(o->f, "%s\n", text);
	else
		fprintf(o->f, "%-*s ", tt_fields[i].width, text);
}

int tt_out_header(struct tt_out *o)
{
	size_t last = last_table_field(o);

	if (o->format == TT_FMT_JSON)
		return 0;
	for (size_t i = 0; i < tt_nfields; i++)
		if (in_table(o, &tt_fields[i]))
			put_cell(o, i, last, tt_fields[i].head);
	return check(o);
}

/* What does not apply to the row shows as "-". */
static int table_row(struct tt_out *o, const struct tt_row *r)
{
	size_t last = last_table_field(o);
	char vbuf[VAL_MAX];
	struct val v = { .buf = vbuf };

	for (size_t i = 0; i < tt_nfields; i++) {
		const struct field *fl = &tt_fields[i];

		if (in_table(o, fl))
			put_cell(o, i, last, fl->get(o, r, &v) == V_NULL ? "-" : v.buf);
	}
	return check(o);
}

/* Builds the JSON line of @r at @line (JSON_LINE_MAX bytes); returns its length. */
static size_t json_line(const struct tt_out *o, const struct tt_row *r, char *line)
{
	size_t pos = 1;
	struct val v;

	line[0] = '{';
	for (size_t i = 0; i < tt_nfields; i++) {
		const struct field *fl = &tt_fields[i];
		size_t start = pos, first = pos == 1;

		if (!fl->json)
			continue;
		/* room for a whole key, a quoted value and the closing "}\n" */
		if (pos + sizeof(fl->jkey) + VAL_MAX + 4 > JSON_LINE_MAX)
			break;
		/*
		 * The first key goes without its comma.  A fixed-size copy,
		 * inlined; only its length counts.
		 */
		memcpy(line + pos, fl->jkey + first, sizeof(fl->jkey) - 1);
		pos += fl->jkey_len - first;
		v.buf = line + pos + fl->str;
		/* a value that is unknown or does not apply is left out */
		if (fl->get(o, r, &v) == V_NULL) {
			pos = start;
			continue;
		}
		if (fl->str) {
			line[pos] = '"';
			pos += 1 + v.len;
			line[pos++] = '"';
		} else {
			pos += v.len;
		}
	}
	line[pos++] = '}';
	line[pos++] = '\n';
	return pos;
}

/* The line stays in the row buffer until it is full or the stream gets something else. */
static int json_row(struct tt_out *o, const struct tt_row *r)
{
	int err;

	if (o->jlen + JSON_LINE_MAX > sizeof(o->jbuf) && (err = drain(o)))
		return err;
	o->jlen += json_line(o, r, o->jbuf + o->jlen);
	o->dirty = true;
	return 0;
}

int tt_out_row(struct tt_out *o, const struct tt_row *r)
{
	return o->format == TT_FMT_JSON ? json_row(o, r) : table_row(o, r);
}

static int json_summary(struct tt_out *o, const struct tt_summary *s)
{
	struct tt_row r = { .ts_ns = s->ts_ns };
	char tbuf[VAL_MAX];
	struct val t = { .buf = tbuf };

	tt_field_time(o, &r, &t);
	fprintf(o->f,
		"{\"type\":\"SUMMARY\",\"time\":\"%s\",\"active\":%llu,\"opened\":%llu,"
		"\"failed\":%llu,\"conn_rate\":%.3f,"
		"\"failure_pct\":%.3f,\"lost\":%llu,\"untracked\":%llu,\"truncated\":%llu",
		t.buf, (unsigned long long)s->active, (unsigned long long)s->opened,
		(unsigned long long)s->failed, s->conn_rate, s->failure_pct,
		(unsigned long long)s->lost, (unsigned long long)s->untracked,
		(unsigned long long)s->truncated);
	if (s->evicted >= 0)
		fprintf(o->f, ",\"evicted\":%lld", (long long)s->evicted);
	if (s->by)
		tt_by_json(s->by, o->f);
	fputs("}\n", o->f);
	return check(o);
}

/* The table's footer: the rates always, the troubles only when there are some. */
static int table_footer(struct tt_out *o, const struct tt_summary *s)
{
	fprintf(o->f, "[Active connections: %llu]\n", (unsigned long long)s->active);
	fprintf(o->f, "[Connection rate: %.1f/s]\n", s->conn_rate);
	fprintf(o->f, "[Failure rate: %.1f%%]\n", s->failure_pct);
	if (s->lost)
		fprintf(o->f, "[Lost events: %llu]\n", (unsigned long long)s->lost);
	if (s->untracked)
		fprintf(o->f, "[Untracked sockets: %llu]\n", (unsigned long long)s->untracked);
	if (s->truncated)
		fprintf(o->f, "[Unparsed packets: %llu]\n", (unsigned long long)s->truncated);
	if (s->evicted > 0)
		fprintf(o->f, "[Evicted flows: %lld]\n", (long long)s->evicted);
	if (s->by)
		tt_by_table(s->by, o->f);
	return check(o);
}

int tt_out_summary(struct tt_out *o, const struct tt_summary *s)
{
	int err = drain(o);

	if (err)
		return err;
	return o->format == TT_FMT_JSON ? json_summary(o, s) : table_footer(o, s);
}

int tt_out_flush(struct tt_out *o)
{
	int err;

	/* no write(2) per poll when nothing happened */
	if (!o->dirty)
		return 0;
	o->dirty = false;
	err = drain(o);
	if (err)
		return err;
	if (fflush(o->f))
		return -(errno ? errno : EIO);
	return check(o);
}
