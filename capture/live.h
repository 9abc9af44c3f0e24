/* live.h: packets from network interfaces through libpcap (on Linux the
 * TPACKET_V3 ring), optionally spread over worker processes with
 * PACKET_FANOUT, and the privilege drop that follows opening them.
 *
 * Frames are handed to the same frame_fn as capture files (source.h), with
 * the kernel's capture time, so the pipeline after this is the offline one. */
#ifndef TLSMON_LIVE_H
#define TLSMON_LIVE_H

#include <stddef.h>
#include <stdint.h>

#include "source.h"

#define LIVE_MAX_IFACES 16
#define LIVE_IFNAME_MAX 32
#define LIVE_DEFAULT_SNAPLEN 262144 /* whole frames, up to 64 KiB GRO/TSO ones */
#define LIVE_DEFAULT_BUFFER_MIB 32

struct live_options {
    const char *ifaces[LIVE_MAX_IFACES]; /* "any" is every interface */
    int nifaces;
    const char *filter; /* BPF, or NULL */
    int promisc;        /* promiscuous mode (the default) */
    int immediate;      /* hand packets on at once instead of a block at a time */
    int snaplen;
    int buffer_mib; /* the kernel ring of each handle */
};

/* Counters of one interface, cumulative since it was opened. libpcap's are
 * 32-bit and wrap within hours on a busy link; these are widened. */
struct live_iface_stats {
    char name[LIVE_IFNAME_MAX];
    uint64_t received;   /* passed the filter (dropped ones included) */
    uint64_t dropped;    /* the ring was full (kernel drops) */
    uint64_t if_dropped; /* dropped by the interface or driver */
};

struct live_stats {
    uint32_t n;
    struct live_iface_stats iface[LIVE_MAX_IFACES];
};

/* One handle per interface. */
struct live;

/* The kernel's fanout group of each interface, made by the first live_open
 * and joined by the others, so that one worker's handles share out the
 * traffic with the others' (hash mode: one flow, both directions, always to
 * the same worker; IPv6 fragments excepted, see set_fanout in live.c). */
struct live_fanout {
    uint16_t group[LIVE_MAX_IFACES];
    int made;
};

/* Open and activate every interface of o. fanout NULL: no fanout. Errors
 * name the interface and the cause (and say when privileges are missing). */
struct live *live_open(const struct live_options *o, struct live_fanout *fanout, char *err,
                       size_t errlen);

enum live_status {
    LIVE_OK = 0,
    LIVE_IDLE,   /* the wait ran out without packets */
    LIVE_FAILED, /* an interface went away (message in err) */
};

/* Wait up to timeout_ms for packets on any interface and hand on every
 * packet waiting (bounded, so the caller's ticks are not starved). An
 * interface that is merely down is warned about once and waited for. */
enum live_status live_poll(struct live *l, int timeout_ms, frame_fn fn, void *ctx, char *err,
                           size_t errlen);

/* Interface counters, updated from libpcap. */
void live_get_stats(struct live *l, struct live_stats *st);

/* Add b to a, interface by interface (workers of one run). */
void live_stats_add(struct live_stats *a, const struct live_stats *b);

/* "eth0 (EN10MB)" etc., for the "listening" line. */
void live_describe(const struct live *l, char *out, size_t len);

void live_close(struct live *l);

/* Drop privileges now that the capture is open: as root, switch to user
 * (NULL: "nobody"); otherwise give up every capability (the setcap
 * alternative). With keep_root nothing changes. Refuses (returns -1 with a
 * message) when the process would still run as root. */
int live_drop_privileges(const char *user, int keep_root, char *err, size_t errlen);

#endif
