// SPDX-License-Identifier: GPL-2.0
/* Command line: one getopt_long table filling one struct tt_config. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include "opts.h"
#include "escape.h"
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
	{ "netns", required_argument, NULL, OPT_NETNS },
	{ "accept-hook", required_argument, NULL, OPT_ACCEPT_HOOK },
	{ "iface", required_argument, NULL, 'i' },
	{ "xdp", optional_argument, NULL, OPT_XDP },
	{ "syn-timeout", required_argument, NULL, OPT_SYN_TIMEOUT },
	{ "tc-attach", required_argument, NULL, OPT_TC_ATTACH },
	{ "ringbuf", required_argument, NULL, OPT_RINGBUF },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

static const char short_opts[] = ":p:c:P:46t:fo:d:svhVi:";

void tt_usage(FILE *f, const char *prog)
{
	fprintf(f,
"Usage: %s [OPTIONS]\n"
"Trace TCP connections live: CONNECT, ACCEPT, CLOSE, REFUSED, TIMEOUT, RESET, UNREACH.\n"
"\n"
"Filters:\n"
"  -p, --pid PID[,PID...]     only these processes (thread group ids)\n"
"  -c, --comm NAME            only processes with this command name (exact, 15 chars max)\n"
"  -P, --port PORT[,PORT...]  only connections with one of these local or remote ports\n"
"  -4, --ipv4                 only IPv4 (including IPv4-mapped IPv6)\n"
"  -6, --ipv6                 only IPv6\n"
"  -t, --type TYPE[,TYPE...]  only these event types\n"
"  -f, --failed               only REFUSED, TIMEOUT, UNREACH and RESET\n"
"      --netns NS             only one network namespace: inode number, name in\n"
"                             /var/run/netns, or a path such as /proc/PID/ns/net\n"
"Wire view:\n"
"  -i, --iface IFACE[,IFACE]  also watch SYN/SYN-ACK/RST/FIN packets on these interfaces\n"
"                             (TC ingress and egress; repeatable) and join both views\n"
"      --xdp[=native|skb]     use XDP (libxdp) for ingress instead of TC\n"
"      --syn-timeout SECS     a retried SYN unanswered this long is a TIMEOUT (default %d)\n"
"      --tc-attach PATH       auto (default), tcx or netlink (clsact + cls_bpf)\n"
"Output:\n"
"  -o, --output FORMAT        table (default), wide, or json (one object per line)\n"
"      --interval SECS        print the summary footer every SECS seconds\n"
"  -s, --summary              no event lines, only the summary footer\n"
"  -d, --duration SECS        stop after SECS seconds\n"
"Other:\n"
"      --ringbuf KIB          kernel ring buffer size, a power of two (default 8192)\n"
"      --accept-hook HOOK     auto (default), fexit, kprobe, syscall, or listener (no\n"
"                             syscall tracepoints: cheaper; see docs/hooks.md)\n"
"  -v, --verbose              say which hooks were chosen; -vv adds libbpf's log\n"
"  -h, --help                 this help\n"
"  -V, --version              print the version\n"
"\n"
"Examples:\n"
"  tcptrack                        every connection event on the host\n"
"  tcptrack -f                     only failures: refusals, timeouts, resets\n"
"  tcptrack -P 443,8443 -o wide    HTTPS traffic with durations and bytes\n"
"  tcptrack -o json -d 60 > conns.json\n"
"  tcptrack -s --interval 5        connection and failure rates every 5 s\n"
"  tcptrack --netns blue -t CONNECT,REFUSED\n"
"  tcptrack -i eth0 -o wide        both views: PIDs and wire-measured latency\n"
"\n"
"Exit status: 0 success, 1 runtime failure (privileges, BPF load/attach), 2 usage error.\n",
		prog, TT_DEFAULT_SYN_TIMEOUT);
}

static int fail(char *err, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Size of tt_escape_table's output for the worst input (every byte as \xNN). */
#define ERR_RAW_MAX 512

static int fail(char *err, size_t len, const char *fmt, ...)
{
	char raw[ERR_RAW_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	/* messages quote what the user typed: one line, nothing raw to the terminal */
	tt_escape_table(raw, sizeof(raw), err, len);
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
		       sizeof(enum tt_xdp_pref) == sizeof(int) && sizeof(enum tt_tc_pref) == sizeof(int),
	       "enum-valued options are stored as an int");

static const struct enum_opt output_opt = { "--output", format_vals,
					    offsetof(struct tt_config, format) };
static const struct enum_opt accept_hook_opt = { "--accept-hook", hook_vals,
						 offsetof(struct tt_config, accept_hook) };
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
static int set_enum(struct tt_config *cfg, const struct enum_opt *o, const char *arg, char *err,
		    size_t len)
{
	char choices[128] = "";
	size_t n = 0, pos = 0;

	for (const struct enum_val *v = o->vals; v->name; v++, n++) {
		if (!strcmp(arg, v->name)) {
			memcpy((char *)cfg + o->field, &v->value, sizeof(v->value));
			return 0;
		}
	}
	for (size_t i = 0; i < n; i++)
		put_choice(choices, sizeof(choices), &pos, o->vals[i].name, i, n);
	return fail(err, len, "invalid %s '%s': expected %s", o->name, arg, choices);
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

static int one_port(const char *s, void *ctx)
{
	struct tt_config *cfg = ctx;
	unsigned long v;

	if (tt_parse_uint(s, 1, 65535, &v))
		return -EINVAL;
	if (cfg->nports >= TT_MAX_PORTS)
		return -E2BIG;
	cfg->ports[cfg->nports++] = v;
	return 0;
}

static int one_pid(const char *s, void *ctx)
{
	struct tt_config *cfg = ctx;
	unsigned long v;

	if (tt_parse_uint(s, 1, INT_MAX, &v))
		return -EINVAL;
	if (cfg->npids >= TT_MAX_PIDS)
		return -E2BIG;
	cfg->pids[cfg->npids++] = v;
	return 0;
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

static int parse_seconds(const char *name, const char *s, unsigned long max, unsigned int *out,
			 char *err, size_t len)
{
	unsigned long v;

	if (tt_parse_uint(s, 1, max, &v))
		return fail(err, len, "invalid %s '%s': expected whole seconds from 1 to %lu", name,
			    s, max);
	*out = v;
	return 0;
}

int tt_parse_args(int argc, char **argv, struct tt_config *cfg, char *err, size_t errlen)
{
	const char *prog = argc > 0 && argv[0] ? argv[0] : "tcptrack";
	bool v4 = false, v6 = false, failed = false;
	int c, ret;

	memset(cfg, 0, sizeof(*cfg));
	opterr = 0;
	optind = 0;	/* glibc: full re-initialisation, so tests can call us repeatedly */
	while ((c = getopt_long(argc, argv, short_opts, long_opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			ret = parse_list(optarg, one_pid, cfg);
			if (ret == -E2BIG)
				return fail(err, errlen, "too many --pid values (at most %d)",
					    TT_MAX_PIDS);
			if (ret)
				return fail(err, errlen,
					    "invalid --pid '%s': expected process ids (1-%d), comma separated",
					    optarg, INT_MAX);
			break;
		case 'c':
			if (!*optarg || strlen(optarg) >= TT_COMM_LEN)
				return fail(err, errlen,
					    "invalid --comm '%s': expected 1 to %d characters",
					    optarg, TT_COMM_LEN - 1);
			strcpy(cfg->comm, optarg);
			break;
		case 'P':
			ret = parse_list(optarg, one_port, cfg);
			if (ret == -E2BIG)
				return fail(err, errlen, "too many --port values (at most %d)",
					    TT_MAX_PORTS);
			if (ret)
				return fail(err, errlen,
					    "invalid --port '%s': expected ports 1-65535, comma separated",
					    optarg);
			break;
		case '4':
			v4 = true;
			break;
		case '6':
			v6 = true;
			break;
		case 't':
			if (parse_list(optarg, one_type, cfg))
				return fail(err, errlen,
					    "invalid --type '%s': expected CONNECT, ACCEPT, CLOSE, REFUSED, TIMEOUT, RESET or UNREACH, comma separated",
					    optarg);
			break;
		case 'f':
			failed = true;
			break;
		case 'o':
			if (set_enum(cfg, &output_opt, optarg, err, errlen))
				return -EINVAL;
			break;
		case OPT_INTERVAL:
			if (parse_seconds("--interval", optarg, 86400, &cfg->interval, err, errlen))
				return -EINVAL;
			break;
		case 'd':
			if (parse_seconds("--duration", optarg, 31536000, &cfg->duration, err,
					  errlen))
				return -EINVAL;
			break;
		case 's':
			cfg->summary_only = true;
			break;
		case OPT_NETNS:
			ret = parse_netns(optarg, &cfg->netns);
			if (ret)
				return fail(err, errlen,
					    "invalid --netns '%s': %s", optarg,
					    ret == -EINVAL ? "expected an inode number, a name or a path"
							   : strerror(-ret));
			break;
		case OPT_ACCEPT_HOOK:
			if (set_enum(cfg, &accept_hook_opt, optarg, err, errlen))
				return -EINVAL;
			break;
		case 'i':
			ret = parse_list(optarg, one_iface, cfg);
			if (ret == -E2BIG)
				return fail(err, errlen, "too many --iface values (at most %d)",
					    TT_MAX_IFACES);
			if (ret)
				return fail(err, errlen,
					    "invalid --iface '%s': expected interface names (1-15 characters), comma separated",
					    optarg);
			break;
		case OPT_XDP:
			/* a bare --xdp is native */
			if (set_enum(cfg, &xdp_opt, optarg ? optarg : "native", err, errlen))
				return -EINVAL;
			break;
		case OPT_SYN_TIMEOUT:
			if (parse_seconds("--syn-timeout", optarg, 600, &cfg->syn_timeout, err,
					  errlen))
				return -EINVAL;
			break;
		case OPT_TC_ATTACH:
			if (set_enum(cfg, &tc_attach_opt, optarg, err, errlen))
				return -EINVAL;
			break;
		case OPT_RINGBUF: {
			unsigned long v;

			if (tt_parse_uint(optarg, 4, 1048576, &v) || (v & (v - 1)))
				return fail(err, errlen,
					    "invalid --ringbuf '%s': expected a power of two from 4 to 1048576 (KiB)",
					    optarg);
			cfg->ringbuf_kib = v;
			break;
		}
		case 'v':
			cfg->verbose++;
			break;
		case 'h':
			tt_usage(stdout, prog);
			return 1;
		case 'V':
			printf("tcptrack %s\n", TT_VERSION);
			return 1;
		case ':':
			return fail(err, errlen, "option '%s' needs a value", argv[optind - 1]);
		default:
			if (optopt && optopt != '?')
				return fail(err, errlen, "unknown option '-%c'", optopt);
			if (optind > 0 && optind <= argc && argv[optind - 1][1] == '-' &&
			    strchr(argv[optind - 1], '='))
				return fail(err, errlen, "option '%s' takes no value or is unknown",
					    argv[optind - 1]);
			if (optind > 0 && optind <= argc) {
				/* getopt reports a missing argument of a long option as '?' too */
				for (const struct option *o = long_opts; o->name; o++)
					if (!strcmp(argv[optind - 1] + 2, o->name) &&
					    o->has_arg == required_argument)
						return fail(err, errlen, "option '%s' needs a value",
							    argv[optind - 1]);
				return fail(err, errlen, "unknown option '%s'", argv[optind - 1]);
			}
			return fail(err, errlen, "unknown option");
		}
	}
	if (optind < argc)
		return fail(err, errlen, "unexpected argument '%s'", argv[optind]);
	if (v4 && v6)
		return fail(err, errlen, "options -4 and -6 exclude each other");
	if (cfg->xdp && !cfg->nifaces)
		return fail(err, errlen, "--xdp needs --iface");
	if (!cfg->syn_timeout)
		cfg->syn_timeout = TT_DEFAULT_SYN_TIMEOUT;
	cfg->family = v4 ? AF_INET : v6 ? AF_INET6 : 0;
	if (failed)
		cfg->types = cfg->types ? cfg->types & TT_FAILED_TYPES : TT_FAILED_TYPES;
	if (failed && !cfg->types)
		return fail(err, errlen, "--failed and --type select no event type together");
	return 0;
}
