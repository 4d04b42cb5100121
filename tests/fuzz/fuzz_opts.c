// SPDX-License-Identifier: GPL-2.0
/* libFuzzer: the option parser on arbitrary argument vectors (NUL separated). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "opts.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	/* --help and --version print; keep the fuzzer's terminal quiet */
	if (!freopen("/dev/null", "w", stdout))
		return 0;
	return 0;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	char *buf = malloc(size + 1), *argv[34] = { "tcptrack" };
	struct tt_config cfg;
	char err[512];
	int argc = 1;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	for (size_t i = 0; i <= size && argc < 33;) {
		argv[argc++] = buf + i;
		i += strlen(buf + i) + 1;
	}
	argv[argc] = NULL;
	if (tt_parse_args(argc, argv, &cfg, err, sizeof(err)) < 0 &&
	    (!err[0] || strchr(err, '\n')))
		abort();	/* a usage error must come with one line */
	free(buf);
	return 0;
}
