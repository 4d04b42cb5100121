// SPDX-License-Identifier: GPL-2.0
/*
 * One row model, three renderings.  Every value is produced by one field
 * function; the table, the wide table and JSON only differ in which fields
 * they show and how they quote them.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <stdarg.h>
#include <string.h>
#include <time.h>
#include "output.h"
#include "escape.h"
#include "format.h"
#include "vocab.h"

/* whether a field has a value for the row: what does not apply is left out */
enum vkind { V_NULL, V_SET };

/*
 * A value being rendered: always NUL-terminated, and its length known.  @buf
 * has room for VAL_MAX bytes; for JSON it points into the line itself, so a
 * value is written once, where it goes.
 */
#define VAL_MAX 256
#define JSON_LINE_MAX 4096	/* a row is cut at the first field that might not fit */
struct val {
	char *buf;
	size_t len;
};

struct field {
	const char *json;	/* JSON key; NULL: table only */
	const char *head;	/* table heading; NULL: JSON only */
	int width;		/* table column width; 0: last column */
	bool wide;		/* table: only in -o wide */
	bool str;		/* JSON: a quoted string, else a number */
	enum vkind (*get)(const struct tt_out *o, const struct tt_row *r, struct val *v);
};

static enum vkind v_int(struct val *v, long long x)
{
	v->len = tt_fmt_int(v->buf, VAL_MAX, x);
	return V_SET;
}

static enum vkind v_str(struct val *v, const char *s)
{
	v->len = tt_copy_str(v->buf, VAL_MAX, s);
	return V_SET;
}

/* Fixed point with @decimals digits (values are never negative). */
static enum vkind v_fixed(struct val *v, double x, int decimals)
{
	v->len = tt_fmt_fixed(v->buf, x, decimals);
	return V_SET;
}

static enum vkind v_ms(double ms, struct val *v, bool table)
{
	if (ms < 0)
		return V_NULL;
	/* the table rounds like the seed example; JSON keeps microseconds */
	if (table)
		return v_fixed(v, ms, ms >= 1 || ms == 0 ? 1 : 3);
	return v_fixed(v, ms, 3);
}

static enum vkind f_time(const struct tt_out *o, const struct tt_row *r, struct val *v)
{
	/* unsigned: a corrupt timestamp wraps instead of overflowing */
	uint64_t real = r->ts_ns + (uint64_t)o->mono_to_real_ns;
	time_t sec = real / 1000000000;
	struct tm tm, *ok;

	static __thread time_t cached_sec = -1;
	static __thread enum tt_format cached_fmt;
	static __thread bool cached_utc;
	static __thread char cached[32];
	static __thread size_t cached_len;
	char us[8];

	/* converting the second is the costly part: do it once per second */
	if (sec != cached_sec || cached_fmt != o->format || cached_utc != o->utc) {
		if (o->format == TT_FMT_JSON || o->utc)
			ok = gmtime_r(&sec, &tm);
		else
			ok = localtime_r(&sec, &tm);
		if (!ok)
			memset(&tm, 0, sizeof(tm));
		cached_len = strftime(cached, sizeof(cached),
				      o->format == TT_FMT_JSON ? "%Y-%m-%dT%H:%M:%S" : "%H:%M:%S",
				      &tm);
		if (!cached_len)	/* the contents are undefined then */
			cached[0] = '\0';
		cached_sec = sec;
		cached_fmt = o->format;
		cached_utc = o->utc;
	}
	memcpy(v->buf, cached, cached_len + 1);
	v->len = cached_len;
	if (o->format != TT_FMT_JSON)
		return V_SET;
	/* "<second>.<microseconds>Z" */
	tt_fmt_int(us, sizeof(us), 1000000 + (real % 1000000000) / 1000);
	us[0] = '.';
	memcpy(v->buf + v->len, us, 7);
	memcpy(v->buf + v->len + 7, "Z", 2);
	v->len += 8;
	return V_SET;
}

static enum vkind f_type(const struct tt_out *o, const struct tt_row *r, struct val *v)
{
	return v_str(v, tt_type_name(r->type));
}

static enum vkind f_pid(const struct tt_out *o, const struct tt_row *r, struct val *v)
{
	return r->pid < 0 ? V_NULL : v_int(v, r->pid);
}

static enum vkind f_comm(const struct tt_out *o, const struct tt_row *r, struct val *v)
{
	if (r->pid < 0 || !r->comm[0])
		return V_NULL;
	if (o->format == TT_FMT_JSON)
		v->len = tt_escape_json(r->comm, sizeof(r->comm), v->buf, VAL_MAX);
	else
		v->len = tt_escape_table(r->comm, sizeof(r->comm), v->buf, VAL_MAX);
	return V_SET;
}

static enum vkind f_src(const struct tt_out *o, const struct tt_row *r, struct val *v)
{
	v->len = tt_fmt_endpoint(&r->key, true, v->buf, VAL_MAX);
	return V_SET;
}

static enum vkind f_dst(const struct tt_out *o, const struct tt_row *r, struct val *v)
{
	v->len = tt_fmt_endpoint(&r->key, false, v->buf, VAL_MAX);
	return V_SET;
}

static enum vkind f_family(const struct tt_out *o, const struct tt_row *r, struct val *v)
{
	return v_str(v, r->key.family == AF_INET6 ? "ipv6" : "ipv4");
}

static enum vkind f_saddr(const struct tt_out *o, const struct tt_row *r, struct val *v)
{
	v->len = tt_fmt_addr(&r->key, true, v->buf, VAL_MAX);
	return V_SET;
}

static enum vkind f_daddr(const struct tt_out *o, const struct tt_row *r, struct val *v)
{
	v->len = tt_fmt_addr(&r->key, false, v->buf, VAL_MAX);
	return V_SET;
}

static enum vkind f_sport(const struct tt_out *o, const struct tt_row *r, struct val *v)
{
	return v_int(v, r->key.sport);
}

static enum vkind f_dport(const struct tt_out *o, const struct tt_row *r, struct val *v)
{
	return v_int(v, r->key.dport);
}

static enum vkind f_lat(const struct tt_out *o, const struct tt_row *r, struct val *v)
{
	return v_ms(r->lat_ms, v, o->format != TT_FMT_JSON);
}

static enum vkind f_syns(const struct tt_out *o, const struct tt_row *r, struct val *v)
{
	return r->syns ? v_int(v, r->syns) : V_NULL;
}

static enum vkind f_dur(const struct tt_out *o, const struct tt_row *r, struct val *v)
{
	return v_ms(r->dur_ms, v, o->format != TT_FMT_JSON);
}

static enum vkind f_wait(const struct tt_out *o, const struct tt_row *r, struct val *v)
{
	return v_ms(r->wait_ms, v, o->format != TT_FMT_JSON);
}

static enum vkind f_tx(const struct tt_out *o, const struct tt_row *r, struct val *v)
{
	return r->bytes_sent < 0 ? V_NULL : v_int(v, r->bytes_sent);
}

static enum vkind f_rx(const struct tt_out *o, const struct tt_row *r, struct val *v)
{
	return r->bytes_recv < 0 ? V_NULL : v_int(v, r->bytes_recv);
}

static enum vkind f_netns(const struct tt_out *o, const struct tt_row *r, struct val *v)
{
	return r->key.netns ? v_int(v, r->key.netns) : V_NULL;
}

static enum vkind f_reason(const struct tt_out *o, const struct tt_row *r, struct val *v)
{
	if (!r->reason)
		return V_NULL;
	return v_str(v, r->reason);
}

static enum vkind f_err(const struct tt_out *o, const struct tt_row *r, struct val *v)
{
	const char *name = tt_errno_name(r->err);

	if (!r->err)
		return V_NULL;
	if (name)
		v_str(v, name);
	else
		v_int(v, r->err);
	return V_SET;
}

static enum vkind f_rst(const struct tt_out *o, const struct tt_row *r, struct val *v)
{
	static const struct {
		const char *reason, *rst;
	} map[] = {
		{ "rst-sent", "sent" }, { "rst-received", "received" },
		{ "rst-by-initiator", "initiator" }, { "rst-by-responder", "responder" },
	};

	if (r->type != TT_RESET || !r->reason)
		return V_NULL;
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		if (!strcmp(r->reason, map[i].reason)) {
			return v_str(v, map[i].rst);
		}
	}
	return V_NULL;
}

static enum vkind f_view(const struct tt_out *o, const struct tt_row *r, struct val *v)
{
	bool wire = r->views & TT_VIEW_WIRE, sock = (r->views & TT_VIEW_SOCK) || !r->views;

	return v_str(v, wire && sock ? "both" : wire ? "wire" : "sock");
}

static enum vkind f_iface(const struct tt_out *o, const struct tt_row *r, struct val *v)
{
	if (!r->ifindex)
		return V_NULL;
	for (int i = 0; i < o->nifnames; i++) {
		if (o->ifnames[i].ifindex == r->ifindex) {
			return v_str(v, o->ifnames[i].name);
		}
	}
	v_str(v, "if");
	v->len += tt_fmt_int(v->buf + v->len, VAL_MAX - v->len, r->ifindex);
	return V_SET;
}

static enum vkind f_wire_lat(const struct tt_out *o, const struct tt_row *r, struct val *v)
{
	return r->views & TT_VIEW_WIRE ? v_ms(r->wire_lat_ms, v, false) : V_NULL;
}

static enum vkind f_sock_lat(const struct tt_out *o, const struct tt_row *r, struct val *v)
{
	return (r->views & TT_VIEW_SOCK) || !r->views ? v_ms(r->sock_lat_ms, v, false)
						       : V_NULL;
}

static enum vkind f_wire_syns(const struct tt_out *o, const struct tt_row *r, struct val *v)
{
	return r->wire_syns ? v_int(v, r->wire_syns) : V_NULL;
}

static enum vkind f_hook(const struct tt_out *o, const struct tt_row *r, struct val *v)
{
	if (!r->hook)
		return V_NULL;
	return v_str(v, r->hook);
}

static const struct field fields[] = {
	{ "time", "TIME", 8, false, true, f_time },
	{ "type", "TYPE", 8, false, true, f_type },
	{ "pid", "PID", 7, false, false, f_pid },
	{ "comm", "COMM", 16, false, true, f_comm },
	{ "family", NULL, 0, false, true, f_family },
	{ NULL, "SADDR:SPORT", 22, false, true, f_src },
	{ "saddr", NULL, 0, false, true, f_saddr },
	{ "sport", NULL, 0, false, false, f_sport },
	{ NULL, "DADDR:DPORT", 22, false, true, f_dst },
	{ "daddr", NULL, 0, false, true, f_daddr },
	{ "dport", NULL, 0, false, false, f_dport },
	{ "lat_ms", "LAT(ms)", 8, false, false, f_lat },
	{ "syns", "SYNS", 4, true, false, f_syns },
	{ "dur_ms", "DUR(ms)", 10, true, false, f_dur },
	{ "bytes_sent", "TX", 10, true, false, f_tx },
	{ "bytes_recv", "RX", 10, true, false, f_rx },
	{ "accept_wait_ms", "WAIT(ms)", 8, true, false, f_wait },
	{ "netns", "NETNS", 10, true, false, f_netns },
	{ "view", "VIEW", 4, true, true, f_view },
	{ "iface", "IFACE", 10, true, true, f_iface },
	{ "reason", "REASON", 0, true, true, f_reason },
	{ "err", NULL, 0, false, true, f_err },
	{ "rst", NULL, 0, false, true, f_rst },
	{ "wire_lat_ms", NULL, 0, false, false, f_wire_lat },
	{ "sock_lat_ms", NULL, 0, false, false, f_sock_lat },
	{ "wire_syns", NULL, 0, false, false, f_wire_syns },
	{ "hook", NULL, 0, false, true, f_hook },
};

#define NFIELDS (sizeof(fields) / sizeof(fields[0]))

static char json_keys[NFIELDS][32];
static size_t json_key_len[NFIELDS];

void tt_out_init(struct tt_out *o, FILE *f, enum tt_format format)
{
	struct timespec mono, real;

	for (size_t i = 0; i < NFIELDS; i++) {
		size_t len = fields[i].json ? strlen(fields[i].json) : 0;

		if (!len || len + 5 > sizeof(json_keys[i]))
			continue;
		json_keys[i][0] = ',';
		json_keys[i][1] = '"';
		memcpy(json_keys[i] + 2, fields[i].json, len);
		memcpy(json_keys[i] + 2 + len, "\":", 3);
		json_key_len[i] = len + 4;
	}
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

static bool in_table(const struct tt_out *o, const struct field *fl)
{
	return fl->head && (!fl->wide || o->format == TT_FMT_WIDE);
}

/* Index of the last field the table shows: it is not padded. */
static size_t last_table_field(const struct tt_out *o)
{
	size_t last = 0;

	for (size_t i = 0; i < NFIELDS; i++)
		if (in_table(o, &fields[i]))
			last = i;
	return last;
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

int tt_out_header(struct tt_out *o)
{
	size_t last = last_table_field(o);

	if (o->format == TT_FMT_JSON)
		return 0;
	for (size_t i = 0; i < NFIELDS; i++) {
		if (!in_table(o, &fields[i]))
			continue;
		if (i == last)
			fprintf(o->f, "%s\n", fields[i].head);
		else
			fprintf(o->f, "%-*s ", fields[i].width, fields[i].head);
	}
	return check(o);
}

int tt_out_row(struct tt_out *o, const struct tt_row *r)
{
	char vbuf[VAL_MAX];
	struct val v = { .buf = vbuf };

	if (o->format == TT_FMT_JSON) {
		char *line;
		size_t pos = 1;
		int err;

		if (o->jlen + JSON_LINE_MAX > sizeof(o->jbuf) && (err = drain(o)))
			return err;
		line = o->jbuf + o->jlen;
		line[0] = '{';
		for (size_t i = 0; i < NFIELDS; i++) {
			size_t start = pos, first = pos == 1;

			if (!fields[i].json)
				continue;
			/* room for a whole key, a quoted value and the closing "}\n" */
			if (pos + sizeof(json_keys[i]) + VAL_MAX + 4 > JSON_LINE_MAX)
				break;
			/*
			 * ',"key":' is built once; the first key goes without its
			 * comma.  A fixed-size copy, inlined; only its length counts.
			 */
			memcpy(line + pos, json_keys[i] + first, sizeof(json_keys[i]) - 1);
			pos += json_key_len[i] - first;
			v.buf = line + pos + fields[i].str;
			/* a value that is unknown or does not apply is left out */
			if (fields[i].get(o, r, &v) == V_NULL) {
				pos = start;
				continue;
			}
			if (fields[i].str) {
				line[pos] = '"';
				pos += 1 + v.len;
				line[pos++] = '"';
			} else {
				pos += v.len;
			}
		}
		line[pos++] = '}';
		line[pos++] = '\n';
		o->jlen += pos;
		o->dirty = true;
		return 0;
	}

	size_t last = last_table_field(o);

	for (size_t i = 0; i < NFIELDS; i++) {
		if (!in_table(o, &fields[i]))
			continue;
		if (fields[i].get(o, r, &v) == V_NULL)
			v_str(&v, "-");
		if (i == last)
			fprintf(o->f, "%s\n", v.buf);
		else
			fprintf(o->f, "%-*s ", fields[i].width, v.buf);
	}
	return check(o);
}

int tt_out_summary(struct tt_out *o, const struct tt_summary *s)
{
	int err = drain(o);

	if (err)
		return err;
	if (o->format == TT_FMT_JSON) {
		struct tt_row r = { .ts_ns = s->ts_ns };
		char tbuf[VAL_MAX];
		struct val t = { .buf = tbuf };

		f_time(o, &r, &t);
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
		fputs("}\n", o->f);
		return check(o);
	}
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
	return check(o);
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
