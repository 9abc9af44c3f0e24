/* live.c: see live.h. Handles are non-blocking and waited for with poll(),
 * so one loop serves several interfaces and still wakes for the caller's
 * ticks (flow expiry, summaries, signals) on a quiet link. */
#include "live.h"

#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "decode.h"

/* How long the kernel holds a part-filled ring block before handing it on:
 * the latency of a packet on a quiet link, and the rate of wake-ups. */
#define BLOCK_TIMEOUT_MS 250
/* pcap_dispatch calls per interface per wake-up, so a busy interface does
 * not starve the others or the caller's ticks. */
#define DISPATCH_ROUNDS 16

struct handle {
    pcap_t *p;
    int fd, linktype;
    unsigned ifindex; /* 0 for "any" */
    int down;         /* the interface went down; waiting for it */
    uint32_t last_recv, last_drop, last_ifdrop;
    struct live_iface_stats st;
};

struct live {
    int n;
    struct handle h[LIVE_MAX_IFACES];
};

static int set_fanout(struct handle *h, struct live_fanout *fo, int i, char *err, size_t errlen)
{
    uint32_t arg;
    /* DEFRAG: the kernel puts IPv4 fragments back together before it
     * hashes, so a fragmented hello reaches the worker that has the rest of
     * its flow, whole (a fragment carries no ports to hash on). It does not
     * for IPv6: those fragments are hashed on their addresses alone, and a
     * datagram made whole from them may reach another worker than its
     * flow's other packets. */
    const uint32_t mode = PACKET_FANOUT_HASH | PACKET_FANOUT_FLAG_DEFRAG;
    if (!fo->made) {
        /* The kernel picks a group id no other program uses (Linux 4.3+). */
        arg = (uint32_t)(mode | PACKET_FANOUT_FLAG_UNIQUEID) << 16;
    } else {
        arg = fo->group[i] | mode << 16;
    }
    if (setsockopt(h->fd, SOL_PACKET, PACKET_FANOUT, &arg, sizeof(arg)) < 0) {
        snprintf(err, errlen, "%s: cannot join a PACKET_FANOUT group: %s", h->st.name,
                 strerror(errno));
        return -1;
    }
    if (!fo->made) {
        socklen_t len = sizeof(arg);
        if (getsockopt(h->fd, SOL_PACKET, PACKET_FANOUT, &arg, &len) < 0) {
            snprintf(err, errlen, "%s: cannot read the PACKET_FANOUT group: %s", h->st.name,
                     strerror(errno));
            return -1;
        }
        fo->group[i] = (uint16_t)(arg & 0xffff);
    }
    return 0;
}

static int describe_activate_error(pcap_t *p, const char *name, int rc, char *err, size_t errlen)
{
    switch (rc) {
    case PCAP_ERROR_NO_SUCH_DEVICE:
        snprintf(err, errlen, "%s: no such interface", name);
        break;
    case PCAP_ERROR_PERM_DENIED:
        snprintf(err, errlen,
                 "%s: permission denied: run as root, or give tlsmon the capabilities "
                 "(setcap cap_net_raw,cap_net_admin+eip)",
                 name);
        break;
    case PCAP_ERROR_IFACE_NOT_UP:
        snprintf(err, errlen, "%s: the interface is down", name);
        break;
    default:
        snprintf(err, errlen, "%s: %s", name, pcap_geterr(p));
        break;
    }
    return -1;
}

static int set_filter(struct handle *h, const char *filter, char *err, size_t errlen)
{
    struct bpf_program prog;
    if (pcap_compile(h->p, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) != 0) {
        snprintf(err, errlen, "bad filter '%s': %s", filter, pcap_geterr(h->p));
        return -1;
    }
    int rc = pcap_setfilter(h->p, &prog);
    pcap_freecode(&prog);
    if (rc != 0) {
        snprintf(err, errlen, "%s: cannot set filter: %s", h->st.name, pcap_geterr(h->p));
        return -1;
    }
    return 0;
}

static int open_one(struct handle *h, const char *name, const struct live_options *o, char *err,
                    size_t errlen)
{
    char ebuf[PCAP_ERRBUF_SIZE] = "";
    snprintf(h->st.name, sizeof(h->st.name), "%s", name);
    h->ifindex = strcmp(name, "any") == 0 ? 0 : if_nametoindex(name);
    if (!(h->p = pcap_create(name, ebuf))) {
        snprintf(err, errlen, "%s: %s", name, ebuf);
        return -1;
    }
    pcap_set_snaplen(h->p, o->snaplen);
    pcap_set_promisc(h->p, o->promisc);
    pcap_set_timeout(h->p, BLOCK_TIMEOUT_MS);
    pcap_set_buffer_size(h->p, o->buffer_mib << 20);
    pcap_set_immediate_mode(h->p, o->immediate);
    pcap_set_tstamp_precision(h->p, PCAP_TSTAMP_PRECISION_MICRO);
    int rc = pcap_activate(h->p);
    if (rc < 0)
        return describe_activate_error(h->p, name, rc, err, errlen);
    if (rc > 0)
        fprintf(stderr, "tlsmon: warning: %s: %s\n", name,
                rc == PCAP_WARNING_PROMISC_NOTSUP ? "promiscuous mode not supported"
                                                  : pcap_geterr(h->p));
    h->linktype = pcap_datalink(h->p);
    if (!decode_linktype_supported(h->linktype)) {
        const char *lt = pcap_datalink_val_to_name(h->linktype);
        snprintf(err, errlen, "%s: unsupported link type %d (%s)", name, h->linktype,
                 lt ? lt : "unknown");
        return -1;
    }
    if (o->filter && set_filter(h, o->filter, err, errlen) < 0)
        return -1;
    if (pcap_setnonblock(h->p, 1, ebuf) < 0) {
        snprintf(err, errlen, "%s: %s", name, ebuf);
        return -1;
    }
    h->fd = pcap_get_selectable_fd(h->p);
    if (h->fd < 0) {
        snprintf(err, errlen, "%s: no selectable descriptor", name);
        return -1;
    }
    return 0;
}

struct live *live_open(const struct live_options *o, struct live_fanout *fanout, char *err,
                       size_t errlen)
{
    struct live *l = calloc(1, sizeof(*l));
    if (!l) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    for (int i = 0; i < o->nifaces && i < LIVE_MAX_IFACES; i++) {
        l->n++;
        if (open_one(&l->h[i], o->ifaces[i], o, err, errlen) < 0 ||
            (fanout && set_fanout(&l->h[i], fanout, i, err, errlen) < 0)) {
            live_close(l);
            return NULL;
        }
    }
    if (fanout)
        fanout->made = 1;
    return l;
}

struct dispatch_ctx {
    frame_fn fn;
    void *ctx;
    int linktype;
};

static void on_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *data)
{
    const struct dispatch_ctx *d = (const struct dispatch_ctx *)user;
    struct frame fr = {source_timestamp_us(h->ts.tv_sec, h->ts.tv_usec), h->caplen, h->len, data,
                       NULL};
    d->fn(d->ctx, d->linktype, &fr);
}

/* The interface reported an error (down, or gone). Returns -1 when it is
 * gone for good: a socket bound to a deleted interface never receives
 * again, even when one of the same name comes back. */
static int check_interface(struct handle *h, const char *why, char *err, size_t errlen)
{
    if (h->ifindex && if_nametoindex(h->st.name) != h->ifindex) {
        snprintf(err, errlen, "%s: the interface went away (%s)", h->st.name, why);
        return -1;
    }
    if (!h->down)
        fprintf(stderr, "tlsmon: warning: %s: %s; waiting for it to come back\n", h->st.name, why);
    h->down = 1;
    return 0;
}

static int socket_error(struct handle *h, char *err, size_t errlen)
{
    int e = 0;
    socklen_t len = sizeof(e);
    /* Reading SO_ERROR also clears it, so poll() stops reporting it. */
    if (getsockopt(h->fd, SOL_SOCKET, SO_ERROR, &e, &len) < 0)
        e = errno;
    if (e == 0)
        return 0;
    return check_interface(h, e == ENETDOWN ? "the interface is down" : strerror(e), err, errlen);
}

static int dispatch(struct handle *h, frame_fn fn, void *ctx, char *err, size_t errlen)
{
    struct dispatch_ctx d = {fn, ctx, h->linktype};
    int total = 0;
    for (int round = 0; round < DISPATCH_ROUNDS; round++) {
        int rc = pcap_dispatch(h->p, -1, on_packet, (u_char *)&d);
        if (rc < 0)
            return check_interface(h, pcap_geterr(h->p), err, errlen) < 0 ? -1 : total;
        if (rc == 0)
            break;
        total += rc;
    }
    if (total && h->down) {
        fprintf(stderr, "tlsmon: %s: receiving again\n", h->st.name);
        h->down = 0;
    }
    return total;
}

enum live_status live_poll(struct live *l, int timeout_ms, frame_fn fn, void *ctx, char *err,
                           size_t errlen)
{
    struct pollfd pfd[LIVE_MAX_IFACES];
    for (int i = 0; i < l->n; i++) {
        pfd[i].fd = l->h[i].fd;
        pfd[i].events = POLLIN;
        pfd[i].revents = 0;
    }
    int r = poll(pfd, (nfds_t)l->n, timeout_ms);
    if (r < 0 && errno != EINTR) {
        snprintf(err, errlen, "poll: %s", strerror(errno));
        return LIVE_FAILED;
    }
    int packets = 0;
    for (int i = 0; r > 0 && i < l->n; i++) {
        struct handle *h = &l->h[i];
        if ((pfd[i].revents & (POLLERR | POLLHUP | POLLNVAL)) && socket_error(h, err, errlen) < 0)
            return LIVE_FAILED;
        if (!(pfd[i].revents & POLLIN))
            continue;
        int n = dispatch(h, fn, ctx, err, errlen);
        if (n < 0)
            return LIVE_FAILED;
        packets += n;
    }
    /* A down interface may have been deleted meanwhile. */
    for (int i = 0; packets == 0 && i < l->n; i++)
        if (l->h[i].down && check_interface(&l->h[i], "deleted", err, errlen) < 0)
            return LIVE_FAILED;
    return packets ? LIVE_OK : LIVE_IDLE;
}

void live_get_stats(struct live *l, struct live_stats *st)
{
    memset(st, 0, sizeof(*st));
    st->n = (uint32_t)l->n;
    for (int i = 0; i < l->n; i++) {
        struct handle *h = &l->h[i];
        struct pcap_stat ps;
        if (pcap_stats(h->p, &ps) == 0) {
            /* Unsigned differences survive the 32-bit wrap. */
            h->st.received += (uint32_t)(ps.ps_recv - h->last_recv);
            h->st.dropped += (uint32_t)(ps.ps_drop - h->last_drop);
            h->st.if_dropped += (uint32_t)(ps.ps_ifdrop - h->last_ifdrop);
            h->last_recv = ps.ps_recv;
            h->last_drop = ps.ps_drop;
            h->last_ifdrop = ps.ps_ifdrop;
        }
        st->iface[i] = h->st;
    }
}

void live_stats_add(struct live_stats *a, const struct live_stats *b)
{
    for (uint32_t i = 0; i < b->n && i < LIVE_MAX_IFACES; i++) {
        if (i >= a->n)
            a->iface[i] = (struct live_iface_stats){{0}, 0, 0, 0};
        memcpy(a->iface[i].name, b->iface[i].name, sizeof(a->iface[i].name));
        a->iface[i].received += b->iface[i].received;
        a->iface[i].dropped += b->iface[i].dropped;
        a->iface[i].if_dropped += b->iface[i].if_dropped;
    }
    if (b->n > a->n)
        a->n = b->n;
}

void live_describe(const struct live *l, char *out, size_t len)
{
    size_t used = 0;
    out[0] = 0;
    for (int i = 0; i < l->n && used < len; i++) {
        const char *lt = pcap_datalink_val_to_name(l->h[i].linktype);
        int k = snprintf(out + used, len - used, "%s%s (%s)", i ? ", " : "", l->h[i].st.name,
                         lt ? lt : "?");
        if (k < 0)
            break;
        used += (size_t)k;
    }
}

void live_close(struct live *l)
{
    if (!l)
        return;
    for (int i = 0; i < l->n; i++)
        if (l->h[i].p)
            pcap_close(l->h[i].p);
    free(l);
}

/* Give up every capability (effective, permitted, inheritable, ambient). */
static int drop_capabilities(char *err, size_t errlen)
{
    struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
    memset(data, 0, sizeof(data));
    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
    if (syscall(SYS_capset, &hdr, data) < 0) {
        snprintf(err, errlen, "cannot drop capabilities: %s", strerror(errno));
        return -1;
    }
    return 0;
}

int live_drop_privileges(const char *user, int keep_root, char *err, size_t errlen)
{
    if (keep_root)
        return 0;
    if (geteuid() != 0 && getuid() != 0) {
        if (user) {
            const struct passwd *pw = getpwnam(user);
            if (!pw || pw->pw_uid != geteuid()) {
                snprintf(err, errlen, "-Z %s: only root can switch to another user", user);
                return -1;
            }
        }
        return drop_capabilities(err, errlen);
    }
    const char *name = user ? user : "nobody";
    errno = 0;
    const struct passwd *pw = getpwnam(name);
    if (!pw) {
        snprintf(err, errlen, "-Z %s: no such user%s%s", name, errno ? ": " : "",
                 errno ? strerror(errno) : "");
        return -1;
    }
    if (pw->pw_uid == 0) {
        snprintf(err, errlen,
                 "-Z %s: refusing to parse packets as root (--no-drop-privileges to insist)", name);
        return -1;
    }
    if (initgroups(name, pw->pw_gid) < 0 || setgid(pw->pw_gid) < 0 || setuid(pw->pw_uid) < 0) {
        snprintf(err, errlen, "cannot switch to user %s: %s", name, strerror(errno));
        return -1;
    }
    /* setuid() from root drops the capabilities too; make sure it did. */
    if (setuid(0) == 0 || geteuid() == 0 || getuid() == 0) {
        snprintf(err, errlen, "still root after switching to user %s; refusing to go on", name);
        return -1;
    }
    return 0;
}
