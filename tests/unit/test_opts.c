// SPDX-License-Identifier: GPL-2.0
/* Option parsing: values land in the config; bad values get a message naming them. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <cmocka.h>
#include "opts.h"
#include "metrics.h"

#define ARGV(...) ((char *[]){ "tcptrack", __VA_ARGS__, NULL })
#define ARGC(...) ((int)(sizeof((char *[]){ "tcptrack", __VA_ARGS__ }) / sizeof(char *)))
#define PARSE(cfg, err, ...) \
	tt_parse_args(ARGC(__VA_ARGS__), ARGV(__VA_ARGS__), cfg, err, sizeof(err))

static void test_defaults(void **state)
{
	struct tt_config cfg;
	char err[256] = "";
	char *argv[] = { "tcptrack", NULL };

	assert_int_equal(tt_parse_args(1, argv, &cfg, err, sizeof(err)), 0);
	assert_int_equal(cfg.format, TT_FMT_TABLE);
	assert_int_equal(cfg.types, 0);
	assert_int_equal(cfg.family, 0);
	assert_int_equal(cfg.nports + cfg.npids + cfg.interval + cfg.duration + cfg.netns, 0);
	assert_int_equal(cfg.accept_hook, TT_HOOK_AUTO);
}

static void test_everything(void **state)
{
	struct tt_config cfg;
	char err[256] = "";

	assert_int_equal(PARSE(&cfg, err, "-p", "10,20", "-c", "nginx", "-P", "80,443", "-6",
			       "-t", "connect,REFUSED", "-o", "json", "--interval", "5", "-d", "60",
			       "-vv", "--accept-hook", "syscall", "-s"), 0);
	assert_int_equal(cfg.npids, 2);
	assert_int_equal(cfg.pids[1], 20);
	assert_string_equal(cfg.comm, "nginx");
	assert_int_equal(cfg.nports, 2);
	assert_int_equal(cfg.ports[1], 443);
	assert_int_equal(cfg.family, AF_INET6);
	assert_int_equal(cfg.types, (1u << TT_CONNECT) | (1u << TT_REFUSED));
	assert_int_equal(cfg.format, TT_FMT_JSON);
	assert_int_equal(cfg.interval, 5);
	assert_int_equal(cfg.duration, 60);
	assert_int_equal(cfg.verbose, 2);
	assert_int_equal(cfg.accept_hook, TT_HOOK_SYSCALL);
	assert_true(cfg.summary_only);
}

static void test_failed_narrows_types(void **state)
{
	struct tt_config cfg;
	char err[256] = "";

	assert_int_equal(PARSE(&cfg, err, "-f"), 0);
	assert_int_equal(cfg.types, TT_FAILED_TYPES);
	assert_int_equal(PARSE(&cfg, err, "-f", "-t", "REFUSED,CONNECT"), 0);
	assert_int_equal(cfg.types, 1u << TT_REFUSED);
	assert_int_equal(PARSE(&cfg, err, "-f", "-t", "CONNECT"), -EINVAL);
	assert_non_null(strstr(err, "--failed"));
}

static void test_errors_name_the_option(void **state)
{
	static const struct {
		const char *opt, *val, *want;
	} cases[] = {
		{ "-P", "0", "--port" }, { "-P", "x", "--port" }, { "-p", "-1", "--pid" },
		{ "-t", "SYN", "--type" }, { "-o", "yaml", "--output" },
		{ "--interval", "0", "--interval" }, { "-d", "1e3", "--duration" },
		{ "--netns", "/nonexistent/ns", "--netns" }, { "--accept-hook", "x", "--accept-hook" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct tt_config cfg;
		char err[256] = "";
		char *argv[] = { "tcptrack", (char *)cases[i].opt, (char *)cases[i].val, NULL };

		assert_int_equal(tt_parse_args(3, argv, &cfg, err, sizeof(err)), -EINVAL);
		assert_non_null(strstr(err, cases[i].want));
		assert_null(strchr(err, '\n'));
	}
}

static void test_metrics_options(void **state)
{
	struct tt_config cfg;
	char err[256] = "";

	assert_int_equal(PARSE(&cfg, err, "-s"), 0);
	assert_string_equal(cfg.metrics, "");
	assert_int_equal(PARSE(&cfg, err, "--metrics", "9464"), 0);
	assert_string_equal(cfg.metrics, "9464");
	assert_int_equal(cfg.metrics_labels + cfg.metrics_max_values + cfg.metrics_nnets, 0);
	assert_int_equal(PARSE(&cfg, err, "--metrics", "[::1]:9100", "--metrics-labels",
			       "port,remote_net", "--metrics-max-values", "1000", "--metrics-nets",
			       "10.0.0.0/8,fd00::/8"), 0);
	assert_string_equal(cfg.metrics, "[::1]:9100");
	assert_int_equal(cfg.metrics_labels, (1u << TT_ML_PORT) | (1u << TT_ML_REMOTE_NET));
	assert_int_equal(cfg.metrics_max_values, 1000);
	assert_int_equal(cfg.metrics_nnets, 2);
	assert_int_equal(cfg.metrics_nets[1].family, AF_INET6);
	assert_int_equal(cfg.metrics_nets[1].len, 8);
}

static void test_by_option(void **state)
{
	static char *const names[] = { "port", "comm", "remote", "netns" };
	static const enum tt_by_kind kinds[] = {
		TT_BY_PORT, TT_BY_COMM, TT_BY_REMOTE, TT_BY_NETNS,
	};
	struct tt_config cfg;
	char err[256] = "";

	assert_int_equal(PARSE(&cfg, err, "-s"), 0);
	assert_int_equal(cfg.by, TT_BY_NONE);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(PARSE(&cfg, err, "-s", "--by", names[i]), 0);
		assert_int_equal(cfg.by, kinds[i]);
	}
	assert_int_equal(PARSE(&cfg, err, "--by", "port"), -EINVAL);
	assert_string_equal(err, "--by needs -s");
	assert_int_equal(PARSE(&cfg, err, "-s", "--by", "iface"), -EINVAL);
	assert_string_equal(err, "invalid --by 'iface': expected port, comm, remote or netns");
}

static void test_metrics_errors(void **state)
{
	static const struct {
		const char *args[4], *want;
	} cases[] = {
		{ { "--metrics", "0" }, "--metrics" },
		{ { "--metrics", "127.0.0.1:0" }, "--metrics" },
		{ { "--metrics", "65536" }, "--metrics" },
		{ { "--metrics", "::1:9100" }, "--metrics" },
		{ { "--metrics", "localhost:9100" }, "--metrics" },
		{ { "--metrics", "9100", "--metrics-labels", "pid" }, "--metrics-labels" },
		{ { "--metrics", "9100", "--metrics-labels", "port," }, "--metrics-labels" },
		{ { "--metrics", "9100", "--metrics-max-values", "0" }, "--metrics-max-values" },
		{ { "--metrics", "9100", "--metrics-max-values", "1001" }, "--metrics-max-values" },
		{ { "--metrics", "9100", "--metrics-nets", "10.0.0.0/33" }, "--metrics-nets" },
		{ { "--metrics-labels", "port" }, "--metrics-labels needs --metrics" },
		{ { "--metrics-nets", "10.0.0.0/8" }, "--metrics-nets needs --metrics" },
		{ { "--metrics-max-values", "5" }, "--metrics-max-values needs --metrics" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct tt_config cfg;
		char err[256] = "";
		char *argv[6] = { "tcptrack" };
		int argc = 1;

		for (int j = 0; j < 4 && cases[i].args[j]; j++)
			argv[argc++] = (char *)cases[i].args[j];
		assert_int_equal(tt_parse_args(argc, argv, &cfg, err, sizeof(err)), -EINVAL);
		assert_non_null(strstr(err, cases[i].want));
		assert_null(strchr(err, '\n'));
	}
}

static void test_netns_by_path_and_inode(void **state)
{
	struct tt_config cfg;
	char err[256] = "";
	struct stat st;

	assert_int_equal(stat("/proc/self/ns/net", &st), 0);
	assert_int_equal(PARSE(&cfg, err, "--netns", "/proc/self/ns/net"), 0);
	assert_int_equal(cfg.netns, (uint32_t)st.st_ino);
	assert_int_equal(PARSE(&cfg, err, "--netns", "4026531840"), 0);
	assert_int_equal(cfg.netns, 4026531840u);
}

static void test_repeatable_calls(void **state)
{
	struct tt_config cfg;
	char err[256] = "";

	/* getopt state is reset between calls */
	assert_int_equal(PARSE(&cfg, err, "-4"), 0);
	assert_int_equal(cfg.family, AF_INET);
	assert_int_equal(PARSE(&cfg, err, "-4"), 0);
	assert_int_equal(cfg.family, AF_INET);
}

static void test_parse_uint(void **state)
{
	unsigned long v;

	assert_int_equal(tt_parse_uint("65535", 1, 65535, &v), 0);
	assert_int_equal(v, 65535);
	assert_true(tt_parse_uint("65536", 1, 65535, &v) < 0);
	assert_true(tt_parse_uint(" 1", 1, 9, &v) < 0);
	assert_true(tt_parse_uint("+1", 1, 9, &v) < 0);
	assert_true(tt_parse_uint("", 1, 9, &v) < 0);
	assert_true(tt_parse_uint("18446744073709551616", 0, ~0ul, &v) < 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_everything),
		cmocka_unit_test(test_failed_narrows_types),
		cmocka_unit_test(test_errors_name_the_option),
		cmocka_unit_test(test_metrics_options),
		cmocka_unit_test(test_metrics_errors),
		cmocka_unit_test(test_by_option),
		cmocka_unit_test(test_netns_by_path_and_inode),
		cmocka_unit_test(test_repeatable_calls),
		cmocka_unit_test(test_parse_uint),
	};

	return cmocka_run_group_tests_name("opts", tests, NULL, NULL);
}
