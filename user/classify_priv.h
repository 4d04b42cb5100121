/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared by the classifier's files and nothing else: the held row, the
 * join's state per connection, and the calls between classify.c (fact to
 * row), holdq.c (the hold queue), join.c (the join) and flowtab.c (its flows).
 */
#ifndef TT_CLASSIFY_PRIV_H
#define TT_CLASSIFY_PRIV_H

#include "classify.h"

#define NS_PER_SEC	1000000000ull
#define NS_PER_MS	1000000.0

/* Socket rows of one milestone waiting for the wire: both ends may be sockets of this host. */
#define JOIN_SOCK_ROWS	2

/* Milestones: a row of one view pairs with the other view's row of the same kind. */
enum tt_milestone_kind { MILESTONE_OPEN, MILESTONE_FAIL, MILESTONE_END, MILESTONE_N };

/* The ends of a join key as bits: its lower endpoint (saddr) and its higher (daddr). */
enum tt_flow_end { END_LO = 1, END_HI = 2 };

/* A row in the hold queue. */
struct tt_held {
	struct tt_row row;
	uint64_t seq;			/* position in the stream, for the joiner's references */
	uint64_t join_deadline;		/* wait_wire, wire_only: the other view is awaited until */
	uint64_t rst_deadline;		/* wait_rst: an RST is awaited until */
	bool wait_rst;			/* may still become RESET (rst-sent) */
	bool wait_wire;			/* a socket row waiting for the wire's fact */
	bool wire_only;			/* a wire row waiting for the socket view to claim it */
	bool dropped;			/* merged into another row */
	uint8_t milestone;		/* with the wire view: enum tt_milestone_kind of the type */
	struct tt_key flow_key;		/* with the wire view: its flow's join key */
};

/* The joiner's knowledge of one connection at one milestone. */
struct tt_milestone {
	bool wire_seen;			/* the wire reported this milestone */
	bool sock_seen;			/* the socket view claimed it */
	bool wire_row_held;		/* a wire row waits in the queue at wire_row_seq */
	bool wire_row_out;		/* a wire row of type wire_type went out */
	uint8_t wire_type;
	uint8_t nsock_rows;		/* socket rows waiting for the wire, at sock_row_seq[] */
	uint16_t syns;
	int ifindex;
	uint64_t wire_row_seq;
	uint64_t sock_row_seq[JOIN_SOCK_ROWS];
	uint64_t syn_ns, synack_ns, ack_ns;
};

/* The joiner's knowledge of one connection. */
struct tt_join_flow {
	uint64_t last_ns;
	struct tt_milestone milestone[MILESTONE_N];
	bool seen_syn;			/* the wire saw this connection at all */
	bool timeout_pending;
	bool owner_known;		/* from the socket view's SYN retransmission */
	int owner_pid;
	char owner_comm[TT_COMM_LEN];
	uint64_t retry_syn_ns;
	int retry_syns;
	int retry_ifindex;
	struct tt_key initiator_key;	/* the initiator's view of the tuple */
	uint8_t ends_open;		/* enum tt_flow_end bits: local sockets seen open */
	uint8_t ends_closed;		/* ... and seen closed */
};

static inline double ns_to_ms(uint64_t ns)
{
	return ns / NS_PER_MS;
}

/* The held row @i places behind the head; cap is a power of two: a mask, not a division. */
static inline struct tt_held *holdq_at(struct tt_classifier *c, size_t i)
{
	return &c->hold.ring[(c->hold.head + i) & (c->hold.cap - 1)];
}

/* The held row with stream position @seq, if it is still queued. */
static inline struct tt_held *holdq_find(struct tt_classifier *c, uint64_t seq)
{
	if (seq < c->hold.head_seq || seq >= c->hold.head_seq + c->hold.len)
		return NULL;
	return holdq_at(c, seq - c->hold.head_seq);
}

/* A local socket of the flow reported its opening and not yet its CLOSE. */
static inline bool local_end_open(const struct tt_join_flow *f)
{
	return f->ends_open & ~f->ends_closed;
}

/* classify.c */
void cls_row_init(struct tt_row *r, uint64_t ts_ns, int views);
void cls_row_set_owner(struct tt_row *r, int pid, const char *comm);
/* Filters, counts and hands @r to the callback: the end of a row's way. */
void cls_release(struct tt_classifier *c, const struct tt_row *r);

/* holdq.c */
int holdq_init(struct tt_classifier *c);
void holdq_free(struct tt_classifier *c);
/* Queues a copy of @r; when the queue is full, the oldest row goes out early. */
struct tt_held *holdq_push(struct tt_classifier *c, const struct tt_row *r);
void holdq_wait_rst(struct tt_classifier *c, struct tt_held *h, uint64_t wait_ns);
void holdq_rst_sent(struct tt_classifier *c, const struct tt_event *e);

/* join.c */
int join_sock_fact(struct tt_classifier *c, const struct tt_event *e);
void join_sock_row(struct tt_classifier *c, struct tt_held *h);
void join_unclaimed(struct tt_classifier *c, struct tt_held *h);
void join_fire_timeouts(struct tt_classifier *c, uint64_t now, bool all);

/* flowtab.c */
void flowtab_init(struct tt_classifier *c);
void flowtab_free(struct tt_classifier *c);
enum tt_flow_end flowtab_key(const struct tt_key *k, struct tt_key *j);
struct tt_join_flow *flowtab_get(struct tt_classifier *c, const struct tt_key *j);
struct tt_join_flow *flowtab_touch(struct tt_classifier *c, const struct tt_key *j, uint64_t now);
void flowtab_done(struct tt_classifier *c, struct tt_join_flow *f, const struct tt_key *j);
void flowtab_sweep(struct tt_classifier *c, uint64_t now);

#endif
