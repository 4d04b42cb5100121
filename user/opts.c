// SPDX-License-Identifier: GPL-2.0
/*
 * Command line: one getopt_long table filling one struct tt_config.  Each
 * option goes through the one helper of its kind (a name from a table, a
 * comma list, seconds), which also writes the one-line message on failure.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include "opts.h"
#include "escape.h"
#include "metrics.h"
#include "netaddr.h"
#include "vocab.h"

int tt_parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
	unsigned long v;
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end)
		return errno == ERANGE ? -ERANGE : -EINVAL;
	if (v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

enum {
	OPT_INTERVAL = 0x100,
	OPT_NETNS,
	OPT_ACCEPT_HOOK,
	OPT_XDP,
	OPT_SYN_TIMEOUT,
	OPT_TC_ATTACH,
	OPT_RINGBUF,
	OPT_METRICS,
	OPT_METRICS_LABELS,
	OPT_METRICS_MAX_VALUES,
	OPT_METRICS_NETS,
	OPT_BY,
};

static const struct option long_opts[] = {
	{ "pid", required_argument, NULL, 'p' },
	{ "comm", required_argument, NULL, 'c' },
	{ "port", required_argument, NULL, 'P' },
	{ "ipv4", no_argument, NULL, '4' },
	{ "ipv6", no_argument, NULL, '6' },
	{ "type", required_argument, NULL, 't' },
	{ "failed", no_argument, NULL, 'f' },
	{ "output", required_argument, NULL, 'o' },
	{ "interval", required_argument, NULL, OPT_INTERVAL },
	{ "duration", required_argument, NULL, 'd' },
	{ "summary", no_argument, NULL, 's' },
	{ "by", required_argument, NULL, OPT_BY },
	{ "netns", required_argument, NULL, OPT_NETNS },
	{ "accept-hook", required_argument, NULL, OPT_ACCEPT_HOOK },
	{ "iface", required_argument, NULL, 'i' },
	{ "xdp", optional_argument, NULL, OPT_XDP },
	{ "syn-timeout", required_argument, NULL, OPT_SYN_TIMEOUT },
	{ "tc-attach", required_argument, NULL, OPT_TC_ATTACH },
	{ "ringbuf", required_argument, NULL, OPT_RINGBUF },
	{ "metrics", required_argument, NULL, OPT_METRICS },
	{ "metrics-labels", required_argument, NULL, OPT_METRICS_LABELS },
	{ "metrics-max-values", required_argument, NULL, OPT_METRICS_MAX_VALUES },
	{ "metrics-nets", required_argument, NULL, OPT_METRICS_NETS },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

static const char short_opts[] = ":p:c:P:46t:fo:d:svhVi:";

/* One parse: what it fills, the flags only all options together decide, where errors go. */
struct parser {
	struct tt_config *cfg;
	int argc;
	char **argv;
	const char *prog;
	bool v4, v6, failed;
	char *err;
	size_t errlen;
};

static int fail(struct parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Size of tt_escape_table's output for the worst input (every byte as \xNN). */
#define ERR_RAW_MAX 512

static int fail(struct parser *p, const char *fmt, ...)
{
	char raw[ERR_RAW_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	/* messages quote what the user typed: one line, nothing raw to the terminal */
	tt_escape_table(raw, sizeof(raw), p->err, p->errlen);
	return -EINVAL;
}

/* A name an enum-valued option takes, and the value it stands for. */
struct enum_val {
	const char *name;
	int value;
};

static const struct enum_val format_vals[] = {
	{ "table", TT_FMT_TABLE }, { "wide", TT_FMT_WIDE }, { "json", TT_FMT_JSON }, { NULL, 0 },
};

static const struct enum_val hook_vals[] = {
	{ "auto", TT_HOOK_AUTO }, { "fexit", TT_HOOK_FEXIT }, { "kprobe", TT_HOOK_KPROBE },
	{ "syscall", TT_HOOK_SYSCALL }, { "listener", TT_HOOK_LISTENER }, { NULL, 0 },
};

static const struct enum_val xdp_vals[] = {
	{ "native", TT_XDP_NATIVE }, { "skb", TT_XDP_SKB }, { NULL, 0 },
};

static const struct enum_val by_vals[] = {
	{ "port", TT_BY_PORT }, { "comm", TT_BY_COMM }, { "remote", TT_BY_REMOTE },
	{ "netns", TT_BY_NETNS }, { NULL, 0 },
};

static const struct enum_val tc_vals[] = {
	{ "auto", TT_TC_AUTO }, { "tcx", TT_TC_TCX }, { "netlink", TT_TC_NETLINK }, { NULL, 0 },
};

/* An enum-valued option: its names, and the field of struct tt_config it sets. */
struct enum_opt {
	const char *name;
	const struct enum_val *vals;
	size_t field;		/* offsetof() an enum, stored as an int */
};

_Static_assert(sizeof(enum tt_format) == sizeof(int) && sizeof(enum tt_hook_pref) == sizeof(int) &&
	       sizeof(enum tt_xdp_pref) == sizeof(int) && sizeof(enum tt_tc_pref) == sizeof(int) &&
	       sizeof(enum tt_by_kind) == sizeof(int),
	       "enum-valued options are stored as an int");

static const struct enum_opt output_opt = { "--output", format_vals,
					    offsetof(struct tt_config, format) };
static const struct enum_opt accept_hook_opt = { "--accept-hook", hook_vals,
						 offsetof(struct tt_config, accept_hook) };
static const struct enum_opt by_opt = { "--by", by_vals, offsetof(struct tt_config, by) };
static const struct enum_opt xdp_opt = { "--xdp", xdp_vals, offsetof(struct tt_config, xdp) };
static const struct enum_opt tc_attach_opt = { "--tc-attach", tc_vals,
					       offsetof(struct tt_config, tc_attach) };

/* Appends @name to the choices "a, b or c" in @buf; @i of @n. */
static void put_choice(char *buf, size_t len, size_t *pos, const char *name, size_t i, size_t n)
{
	const char *sep = i == 0 ? "" : i + 1 < n ? ", " : " or ";
	int w = snprintf(buf + *pos, len - *pos, "%s%s", sep, name);

	if (w > 0)
		*pos = *pos + w < len ? *pos + w : len - 1;
}

/*
 * The one parse helper of enum-valued options: sets @o's field to the value
 * named @arg, or fails with a message naming @arg and the valid names.
 */
static int set_enum(struct parser *p, const struct enum_opt *o, const char *arg)
{
	char choices[128] = "";
	size_t n = 0, pos = 0;

	for (const struct enum_val *v = o->vals; v->name; v++, n++) {
		if (!strcmp(arg, v->name)) {
			memcpy((char *)p->cfg + o->field, &v->value, sizeof(v->value));
			return 0;
		}
	}
	for (size_t i = 0; i < n; i++)
		put_choice(choices, sizeof(choices), &pos, o->vals[i].name, i, n);
	return fail(p, "invalid %s '%s': expected %s", o->name, arg, choices);
}

/* Splits a comma list; calls @one for each item.  Empty items are errors. */
static int parse_list(const char *arg, int (*one)(const char *item, void *ctx), void *ctx)
{
	char buf[1024];
	char *save = NULL, *tok;
	size_t n = strlen(arg);

	if (!n || n >= sizeof(buf) || arg[0] == ',' || arg[n - 1] == ',' || strstr(arg, ",,"))
		return -EINVAL;
	memcpy(buf, arg, n + 1);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		int ret = one(tok, ctx);

		if (ret)
			return ret;
	}
	return 0;
}

/* A list item that is a number in [1, @max], for a list holding @n of at most @cap. */
static int take_number(const char *s, unsigned long max, int n, int cap, unsigned long *v)
{
	if (tt_parse_uint(s, 1, max, v))
		return -EINVAL;
	return n >= cap ? -E2BIG : 0;
}

static int one_port(const char *s, void *ctx)
{
	struct tt_config *cfg = ctx;
	unsigned long v;
	int ret = take_number(s, 65535, cfg->nports, TT_MAX_PORTS, &v);

	if (!ret)
		cfg->ports[cfg->nports++] = v;
	return ret;
}

static int one_pid(const char *s, void *ctx)
{
	struct tt_config *cfg = ctx;
	unsigned long v;
	int ret = take_number(s, INT_MAX, cfg->npids, TT_MAX_PIDS, &v);

	if (!ret)
		cfg->pids[cfg->npids++] = v;
	return ret;
}

static int one_iface(const char *s, void *ctx)
{
	struct tt_config *cfg = ctx;

	if (strlen(s) >= TT_IFNAMSIZ || strchr(s, '/') || !strcmp(s, ".") || !strcmp(s, ".."))
		return -EINVAL;
	if (cfg->nifaces >= TT_MAX_IFACES)
		return -E2BIG;
	strcpy(cfg->ifaces[cfg->nifaces++], s);
	return 0;
}

static int one_type(const char *s, void *ctx)
{
	struct tt_config *cfg = ctx;
	int t = tt_type_from_name(s);

	if (t < 0)
		return -EINVAL;
	cfg->types |= 1u << t;
	return 0;
}

/* An option that takes a comma separated list of at most @max items. */
struct list_opt {
	const char *name;
	int (*one)(const char *item, void *cfg);
	int max;
	const char *expect;	/* what the items are, for the message */
};

_Static_assert(INT_MAX == 2147483647, "--pid's message names INT_MAX");

static const struct list_opt pid_opt = { "--pid", one_pid, TT_MAX_PIDS,
					 "process ids (1-2147483647)" };
static const struct list_opt port_opt = { "--port", one_port, TT_MAX_PORTS, "ports 1-65535" };
static int one_net(const char *s, void *ctx)
{
	struct tt_config *cfg = ctx;
	struct tt_prefix p;

	if (tt_cidr_parse(s, &p))
		return -EINVAL;
	if (cfg->metrics_nnets >= TT_METRICS_MAX_NETS)
		return -E2BIG;
	cfg->metrics_nets[cfg->metrics_nnets++] = p;
	return 0;
}

static const struct list_opt nets_opt = { "--metrics-nets", one_net, TT_METRICS_MAX_NETS,
					  "CIDR prefixes such as 10.0.0.0/8" };
static const struct list_opt iface_opt = { "--iface", one_iface, TT_MAX_IFACES,
					   "interface names (1-15 characters)" };

static int set_list(struct parser *p, const struct list_opt *o, const char *arg)
{
	int ret = parse_list(arg, o->one, p->cfg);

	if (ret == -E2BIG)
		return fail(p, "too many %s values (at most %d)", o->name, o->max);
	if (ret)
		return fail(p, "invalid %s '%s': expected %s, comma separated", o->name, arg,
			    o->expect);
	return 0;
}

/* --type: names in any case, as many as there are; the message lists them all. */
static int set_types(struct parser *p, const char *arg)
{
	char choices[128] = "";
	size_t pos = 0;

	if (!parse_list(arg, one_type, p->cfg))
		return 0;
	for (int i = 0; i < TT_NTYPES; i++)
		put_choice(choices, sizeof(choices), &pos, tt_type_name(i), i, TT_NTYPES);
	return fail(p, "invalid --type '%s': expected %s, comma separated", arg, choices);
}

static int set_comm(struct parser *p, const char *arg)
{
	if (!*arg || strlen(arg) >= TT_COMM_LEN)
		return fail(p, "invalid --comm '%s': expected 1 to %d characters", arg,
			    TT_COMM_LEN - 1);
	strcpy(p->cfg->comm, arg);
	return 0;
}

/* --netns: an inode number, a name under /var/run/netns, or a path. */
static int parse_netns(const char *s, uint32_t *inode)
{
	char path[PATH_MAX];
	unsigned long v;
	struct stat st;

	if (!tt_parse_uint(s, 1, UINT32_MAX, &v)) {
		*inode = v;
		return 0;
	}
	if (!*s || strlen(s) >= sizeof(path) - 32)
		return -EINVAL;
	if (strchr(s, '/'))
		snprintf(path, sizeof(path), "%s", s);
	else
		snprintf(path, sizeof(path), "/var/run/netns/%s", s);
	if (stat(path, &st))
		return -errno;
	*inode = st.st_ino;
	return 0;
}

static int set_netns(struct parser *p, const char *arg)
{
	int ret = parse_netns(arg, &p->cfg->netns);

	if (ret)
		return fail(p, "invalid --netns '%s': %s", arg,
			    ret == -EINVAL ? "expected an inode number, a name or a path"
					   : strerror(-ret));
	return 0;
}

static int set_seconds(struct parser *p, const char *name, const char *arg, unsigned long max,
		       unsigned int *out)
{
	unsigned long v;

	if (tt_parse_uint(arg, 1, max, &v))
		return fail(p, "invalid %s '%s': expected whole seconds from 1 to %lu", name, arg,
			    max);
	*out = v;
	return 0;
}

/* --ringbuf: KiB, a power of two as the kernel wants a ring buffer's size. */
static int set_ringbuf(struct parser *p, const char *arg)
{
	unsigned long v;

	if (tt_parse_uint(arg, 4, 1048576, &v) || (v & (v - 1)))
		return fail(p,
			    "invalid --ringbuf '%s': expected a power of two from 4 to 1048576 (KiB)",
			    arg);
	p->cfg->ringbuf_kib = v;
	return 0;
}

/* --metrics: [ADDR:]PORT, checked here so that a typo is a usage error, not a runtime one. */
static int set_metrics(struct parser *p, const char *arg)
{
	struct sockaddr_storage ss;
	socklen_t len;

	if (strlen(arg) >= sizeof(p->cfg->metrics) || tt_listen_addr_parse(arg, &ss, &len) ||
	    ((struct sockaddr_in *)&ss)->sin_port == 0)
		return fail(p, "invalid --metrics '%s': expected [ADDR:]PORT, port 1-65535, "
			    "an IPv6 address in brackets", arg);
	strcpy(p->cfg->metrics, arg);
	return 0;
}

static int set_metrics_labels(struct parser *p, const char *arg)
{
	if (tt_metrics_parse_labels(arg, &p->cfg->metrics_labels))
		return fail(p, "invalid --metrics-labels '%s': expected port, comm, iface, netns or "
			    "remote_net, comma separated", arg);
	return 0;
}

static int set_metrics_max_values(struct parser *p, const char *arg)
{
	unsigned long v;

	if (tt_parse_uint(arg, 1, TT_MLABEL_CAP_MAX, &v))
		return fail(p, "invalid --metrics-max-values '%s': expected 1 to %d", arg,
			    TT_MLABEL_CAP_MAX);
	p->cfg->metrics_max_values = v;
	return 0;
}

/* What getopt_long rejected (@c is ':' or '?'), named as the user typed it. */
static int getopt_error(struct parser *p, int c)
{
	const char *arg = optind > 0 && optind <= p->argc ? p->argv[optind - 1] : NULL;

	if (c == ':')
		return fail(p, "option '%s' needs a value", p->argv[optind - 1]);
	if (optopt && optopt != '?')
		return fail(p, "unknown option '-%c'", optopt);
	if (!arg)
		return fail(p, "unknown option");
	if (arg[1] == '-' && strchr(arg, '='))
		return fail(p, "option '%s' takes no value or is unknown", arg);
	/* getopt reports a missing argument of a long option as '?' too */
	for (const struct option *o = long_opts; o->name; o++)
		if (!strcmp(arg + 2, o->name) && o->has_arg == required_argument)
			return fail(p, "option '%s' needs a value", arg);
	return fail(p, "unknown option '%s'", arg);
}

/* One option: 0, 1 when --help or --version was handled, or -EINVAL. */
static int apply(struct parser *p, int c, const char *arg)
{
	struct tt_config *cfg = p->cfg;

	switch (c) {
	case 'p':
		return set_list(p, &pid_opt, arg);
	case 'P':
		return set_list(p, &port_opt, arg);
	case 'i':
		return set_list(p, &iface_opt, arg);
	case 't':
		return set_types(p, arg);
	case 'c':
		return set_comm(p, arg);
	case OPT_NETNS:
		return set_netns(p, arg);
	case 'o':
		return set_enum(p, &output_opt, arg);
	case OPT_ACCEPT_HOOK:
		return set_enum(p, &accept_hook_opt, arg);
	case OPT_TC_ATTACH:
		return set_enum(p, &tc_attach_opt, arg);
	case OPT_BY:
		return set_enum(p, &by_opt, arg);
	case OPT_XDP:
		/* a bare --xdp is native */
		return set_enum(p, &xdp_opt, arg ? arg : "native");
	case OPT_INTERVAL:
		return set_seconds(p, "--interval", arg, 86400, &cfg->interval);
	case 'd':
		return set_seconds(p, "--duration", arg, 31536000, &cfg->duration);
	case OPT_SYN_TIMEOUT:
		return set_seconds(p, "--syn-timeout", arg, 600, &cfg->syn_timeout);
	case OPT_RINGBUF:
		return set_ringbuf(p, arg);
	case OPT_METRICS:
		return set_metrics(p, arg);
	case OPT_METRICS_LABELS:
		return set_metrics_labels(p, arg);
	case OPT_METRICS_MAX_VALUES:
		return set_metrics_max_values(p, arg);
	case OPT_METRICS_NETS:
		return set_list(p, &nets_opt, arg);
	case '4':
		p->v4 = true;
		return 0;
	case '6':
		p->v6 = true;
		return 0;
	case 'f':
		p->failed = true;
		return 0;
	case 's':
		cfg->summary_only = true;
		return 0;
	case 'v':
		cfg->verbose++;
		return 0;
	case 'h':
		tt_usage(stdout, p->prog);
		return 1;
	case 'V':
		printf("tcptrack %s\n", TT_VERSION);
		return 1;
	default:
		return getopt_error(p, c);
	}
}

/* What only all the options together decide. */
static int finish(struct parser *p)
{
	struct tt_config *cfg = p->cfg;

	if (optind < p->argc)
		return fail(p, "unexpected argument '%s'", p->argv[optind]);
	if (p->v4 && p->v6)
		return fail(p, "options -4 and -6 exclude each other");
	if (cfg->xdp && !cfg->nifaces)
		return fail(p, "--xdp needs --iface");
	if (cfg->by && !cfg->summary_only)
		return fail(p, "--by needs -s");
	if (!cfg->metrics[0] && (cfg->metrics_labels || cfg->metrics_max_values ||
				 cfg->metrics_nnets))
		return fail(p, "%s needs --metrics",
			    cfg->metrics_labels ? "--metrics-labels" :
			    cfg->metrics_nnets ? "--metrics-nets" : "--metrics-max-values");
	if (!cfg->syn_timeout)
		cfg->syn_timeout = TT_DEFAULT_SYN_TIMEOUT;
	cfg->family = p->v4 ? AF_INET : p->v6 ? AF_INET6 : 0;
	if (p->failed)
		cfg->types = cfg->types ? cfg->types & TT_FAILED_TYPES : TT_FAILED_TYPES;
	if (p->failed && !cfg->types)
		return fail(p, "--failed and --type select no event type together");
	return 0;
}

int tt_parse_args(int argc, char **argv, struct tt_config *cfg, char *err, size_t errlen)
{
	struct parser p = {
		.cfg = cfg, .argc = argc, .argv = argv, .err = err, .errlen = errlen,
		.prog = argc > 0 && argv[0] ? argv[0] : "tcptrack",
	};
	int c, ret;

	memset(cfg, 0, sizeof(*cfg));
	opterr = 0;
	optind = 0;	/* glibc: full re-initialisation, so tests can call us repeatedly */
	while ((c = getopt_long(argc, argv, short_opts, long_opts, NULL)) != -1) {
		ret = apply(&p, c, optarg);
		if (ret)
			return ret;
	}
	return finish(&p);
}
