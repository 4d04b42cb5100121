/* SPDX-License-Identifier: GPL-2.0 */
#ifndef TT_SEED_H
#define TT_SEED_H

#include "classify.h"

/* Adds every established connection on the host (or in one netns) to @cls. */
int tt_seed_all(struct tt_classifier *cls, uint32_t only_netns);
/*
 * Dumps them again and forgets the active connections that are gone (their
 * CLOSE was lost).  Returns how many were forgotten, or a negative errno
 * (and nothing changes) when a namespace could not be dumped.
 */
long tt_resync_active(struct tt_classifier *cls, uint32_t only_netns);

#endif
