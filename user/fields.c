// SPDX-License-Identifier: GPL-2.0
/*
 * The row model: every value a row shows is produced by one field function,
 * whatever the format; the renderers (output.c) only choose and quote.
 */
#include <arpa/inet.h>
#include <string.h>
#include <time.h>
#include "fields.h"
#include "escape.h"
#include "format.h"
#include "vocab.h"

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

static enum vkind v_ms(double ms, struct val *v, bool table)
{
	int decimals = 3;

	if (ms < 0)
		return V_NULL;
	/* the table rounds like the seed example; JSON keeps microseconds */
	if (table && (ms >= 1 || ms == 0))
		decimals = 1;
	v->len = tt_fmt_fixed(v->buf, ms, decimals);
	return V_SET;
}

enum vkind tt_field_time(const struct tt_out *o, const struct tt_row *r, struct val *v)
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

/* 0, or a build failure for a key whose ,"key": and NUL would not fit jkey. */
#define JKEY_FITS(key)                                                             \
	(0 * sizeof(struct {                                                       \
		_Static_assert(sizeof(key) + 4 <= JKEY_MAX, "JSON key too long"); \
		int ok;                                                            \
	}))
/* ,"key": as it follows another field; the first field of a line skips the comma. */
#define JSON(key) .json = key, .jkey = ",\"" key "\":", .jkey_len = sizeof(key) + 3 + JKEY_FITS(key)

/* The order of the table's columns and of JSON's keys. */
const struct field tt_fields[] = {
	{ JSON("time"), .head = "TIME", .width = 8, .str = true, .get = tt_field_time },
	{ JSON("type"), .head = "TYPE", .width = 8, .str = true, .get = f_type },
	{ JSON("pid"), .head = "PID", .width = 7, .get = f_pid },
	{ JSON("comm"), .head = "COMM", .width = 16, .str = true, .get = f_comm },
	{ JSON("family"), .str = true, .get = f_family },
	{ .head = "SADDR:SPORT", .width = 22, .str = true, .get = f_src },
	{ JSON("saddr"), .str = true, .get = f_saddr },
	{ JSON("sport"), .get = f_sport },
	{ .head = "DADDR:DPORT", .width = 22, .str = true, .get = f_dst },
	{ JSON("daddr"), .str = true, .get = f_daddr },
	{ JSON("dport"), .get = f_dport },
	{ JSON("lat_ms"), .head = "LAT(ms)", .width = 8, .get = f_lat },
	{ JSON("syns"), .head = "SYNS", .width = 4, .wide = true, .get = f_syns },
	{ JSON("dur_ms"), .head = "DUR(ms)", .width = 10, .wide = true, .get = f_dur },
	{ JSON("bytes_sent"), .head = "TX", .width = 10, .wide = true, .get = f_tx },
	{ JSON("bytes_recv"), .head = "RX", .width = 10, .wide = true, .get = f_rx },
	{ JSON("accept_wait_ms"), .head = "WAIT(ms)", .width = 8, .wide = true, .get = f_wait },
	{ JSON("netns"), .head = "NETNS", .width = 10, .wide = true, .get = f_netns },
	{ JSON("view"), .head = "VIEW", .width = 4, .wide = true, .str = true, .get = f_view },
	{ JSON("iface"), .head = "IFACE", .width = 10, .wide = true, .str = true, .get = f_iface },
	{ JSON("reason"), .head = "REASON", .wide = true, .str = true, .get = f_reason },
	{ JSON("err"), .str = true, .get = f_err },
	{ JSON("rst"), .str = true, .get = f_rst },
	{ JSON("wire_lat_ms"), .get = f_wire_lat },
	{ JSON("sock_lat_ms"), .get = f_sock_lat },
	{ JSON("wire_syns"), .get = f_wire_syns },
	{ JSON("hook"), .str = true, .get = f_hook },
};

const size_t tt_nfields = sizeof(tt_fields) / sizeof(tt_fields[0]);
