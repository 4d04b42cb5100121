// SPDX-License-Identifier: GPL-2.0
/*
 * Seeding "Active connections" with what was established before tracing
 * began: an inet_diag dump (libnl-idiag) in every network namespace on the
 * host.  Namespaces are found through /proc/PID/ns/net and the names iproute2
 * keeps in /var/run/netns.  The same dump, after facts were lost, prunes the
 * set of the connections whose CLOSE was among them.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <netlink/netlink.h>
#include <netlink/addr.h>
#include <netlink/cache.h>
#include <netlink/idiag/idiagnl.h>
#include <netlink/idiag/msg.h>
#include "classify.h"
#include "seed.h"

/* States of a connection that reached ESTABLISHED and has a full socket. */
#define SEED_STATES ((1 << IDIAG_SS_ESTABLISHED) | (1 << IDIAG_SS_FIN_WAIT1) | \
		     (1 << IDIAG_SS_FIN_WAIT2) | (1 << IDIAG_SS_CLOSE_WAIT) |   \
		     (1 << IDIAG_SS_LAST_ACK) | (1 << IDIAG_SS_CLOSING))

/* Namespaces already dumped, by inode: many processes share one. */
struct ns_set {
	uint32_t *ino;
	size_t n, cap;
};

struct seed_ctx {
	const struct tt_classifier *cls;
	struct tt_conntab *into;
	uint32_t only_netns;	/* 0: every namespace */
	uint32_t netns;		/* the one being dumped */
	struct ns_set seen;
	int nns;		/* namespaces dumped */
	unsigned long added;
	int err;
	int failed;		/* namespaces whose dump failed */
};

static void copy_addr(uint8_t *dst, struct nl_addr *a)
{
	unsigned int len = a ? nl_addr_get_len(a) : 0;

	if (len > 16)
		len = 16;
	if (len)
		memcpy(dst, nl_addr_get_binary_addr(a), len);
}

static void seed_one(struct nl_object *obj, void *arg)
{
	struct idiagnl_msg *m = (struct idiagnl_msg *)obj;
	struct seed_ctx *ctx = arg;
	struct tt_key k = { .netns = ctx->netns };

	/* the kernel may answer with more states than asked for */
	if (!(SEED_STATES & (1 << idiagnl_msg_get_state(m))))
		return;
	k.family = idiagnl_msg_get_family(m);
	/* libnl hands the ports over in network byte order */
	k.sport = ntohs(idiagnl_msg_get_sport(m));
	k.dport = ntohs(idiagnl_msg_get_dport(m));
	copy_addr(k.saddr, idiagnl_msg_get_src(m));
	copy_addr(k.daddr, idiagnl_msg_get_dst(m));
	switch (tt_cls_seed(ctx->cls, ctx->into, &k)) {
	case 1:
		ctx->added++;
		break;
	case 0:
		break;
	default:
		ctx->err = -ENOMEM;
	}
}

/* Dumps the TCP sockets of the namespace the calling thread is in. */
static int seed_current(struct seed_ctx *ctx)
{
	static const int families[] = { AF_INET, AF_INET6 };
	struct nl_sock *sk = nl_socket_alloc();
	int ret = 0;

	if (!sk)
		return -ENOMEM;
	ret = idiagnl_connect(sk);
	if (ret) {
		ret = -EIO;
		goto out;
	}
	for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++) {
		struct nl_cache *cache = NULL;

		ret = idiagnl_msg_alloc_cache(sk, families[i], SEED_STATES, &cache);
		if (ret < 0) {
			ret = -EIO;
			goto out;
		}
		nl_cache_foreach(cache, seed_one, ctx);
		nl_cache_free(cache);
	}
	ret = ctx->err;
out:
	nl_socket_free(sk);
	return ret;
}

static bool ns_seen(struct ns_set *s, uint32_t ino)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->ino[i] == ino)
			return true;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		uint32_t *p = realloc(s->ino, cap * sizeof(*p));

		if (!p)
			return true;	/* out of memory: skip rather than fail */
		s->ino = p;
		s->cap = cap;
	}
	s->ino[s->n++] = ino;
	return false;
}

static void seed_path(const char *path, struct seed_ctx *ctx)
{
	struct stat st;
	int fd;

	if (stat(path, &st) || ns_seen(&ctx->seen, st.st_ino))
		return;
	if (ctx->only_netns && st.st_ino != ctx->only_netns)
		return;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;		/* the process or namespace went away meanwhile */
	if (setns(fd, CLONE_NEWNET) == 0) {
		ctx->netns = st.st_ino;
		if (seed_current(ctx)) {
			tt_info("seed: inet_diag dump in netns %lu failed",
				(unsigned long)st.st_ino);
			ctx->failed++;
		}
		ctx->nns++;
	} else {
		ctx->failed++;	/* its connections cannot be told gone */
	}
	close(fd);
}

/* The namespaces named in @dir: /proc/PID/ns/net (@proc) or /var/run/netns/NAME. */
static void seed_dir(const char *dir, bool proc, struct seed_ctx *ctx)
{
	char path[300];
	struct dirent *d;
	DIR *dp = opendir(dir);

	if (!dp)
		return;
	while ((d = readdir(dp))) {
		if (proc ? d->d_name[0] < '1' || d->d_name[0] > '9' : d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), proc ? "/proc/%s/ns/net" : "/var/run/netns/%s",
			 d->d_name);
		seed_path(path, ctx);
	}
	closedir(dp);
}

/* Dumps the established connections of every namespace (or one) into @ctx->into. */
static int dump_all(struct seed_ctx *ctx)
{
	int self, ret = 0;

	self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0)
		return -errno;
	seed_dir("/proc", true, ctx);
	seed_dir("/var/run/netns", false, ctx);
	if (setns(self, CLONE_NEWNET))
		ret = -errno;	/* cannot happen as root; never trace from a foreign netns */
	close(self);
	free(ctx->seen.ino);
	ctx->seen = (struct ns_set){ 0 };
	return ret;
}

int tt_seed_all(struct tt_classifier *cls, uint32_t only_netns)
{
	struct seed_ctx ctx = { .cls = cls, .into = &cls->active, .only_netns = only_netns };
	int ret = dump_all(&ctx);

	tt_info("seeded %lu established connections from %d network namespaces", ctx.added,
		ctx.nns);
	return ret;
}

long tt_resync_active(struct tt_classifier *cls, uint32_t only_netns)
{
	struct tt_conntab live = { 0 };
	struct seed_ctx ctx = { .cls = cls, .into = &live, .only_netns = only_netns };
	long ret = dump_all(&ctx);

	/* a namespace missing from the dump would look as if it had closed everything */
	if (!ret && (ctx.failed || !ctx.nns))
		ret = -EIO;
	if (!ret)
		ret = tt_cls_prune_active(cls, &live);
	tt_conntab_free(&live);
	return ret;
}
