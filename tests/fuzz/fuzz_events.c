// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer: arbitrary fact streams (socket and wire records, any bytes)
 * through the classifier, the joiner and every output format.
 */
#include <stdio.h>
#include <string.h>
#include "classify.h"
#include "output.h"

static FILE *sink;

static int on_row(const struct tt_row *r, void *ctx)
{
	return tt_out_row(ctx, r);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct tt_config cfg = { 0 };
	struct tt_classifier c;
	struct tt_out out;
	struct tt_prefix pfx = { .family = 2, .len = 24, .addr = { 10, 0, 0, 1 } };

	if (!sink)
		sink = fopen("/dev/null", "w");
	if (size < 1)
		return 0;
	/* the first byte picks the output format and the options */
	tt_out_init(&out, sink, data[0] % 3);
	cfg.summary_only = data[0] & 0x08;
	cfg.nports = data[0] & 0x10 ? 1 : 0;
	cfg.ports[0] = 80;
	if (tt_cls_init(&c, &cfg, on_row, &out))
		return 0;
	if (data[0] & 0x20)
		tt_cls_enable_wire(&c, 1 + (data[0] >> 6), &pfx, 1);
	data++;
	size--;
	while (size > 0) {
		bool wire = data[0] & 1;
		size_t need = wire ? sizeof(struct tt_wire_event) : sizeof(struct tt_event);
		unsigned char rec[sizeof(struct tt_event) + sizeof(struct tt_wire_event)] = { 0 };
		size_t n = size - 1 < need ? size - 1 : need;

		memcpy(rec, data + 1, n);
		if (wire && c.wire)
			tt_cls_feed_wire(&c, (const struct tt_wire_event *)rec);
		else
			tt_cls_feed(&c, (const struct tt_event *)rec);
		data += 1 + n;
		size -= 1 + n;
	}
	tt_cls_flush(&c, ~0ull, true);
	tt_cls_free(&c);
	return 0;
}
