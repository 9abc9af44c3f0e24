/* source_wiretap.h: capture files libpcap cannot read, through Wireshark's
 * wiretap library: a pcapng whose interfaces have different link types
 * (libpcap 1.10 stops at the first interface of another type), and the
 * other formats tshark reads (Network Monitor, snoop, ERF, ...). */
#ifndef TLSMON_SOURCE_WIRETAP_H
#define TLSMON_SOURCE_WIRETAP_H

#include <stddef.h>
#include <stdint.h>

#include "source.h"

/* Hand fn every packet record of the file at path after the first skip
 * (those were read already), each with its own link type; records of a
 * link type decode.c does not take are counted in *unsupported and left
 * out. filter is a BPF expression or NULL, compiled per link type.
 * SOURCE_FAILED with err set when wiretap cannot open the file either,
 * finds no packet of a link type tlsmon decodes in it (wiretap opens JSON
 * and image files too), or cannot be loaded (libwiretap.so.13, Debian's
 * libwiretap13). */
enum source_status source_read_wiretap(const char *path, uint64_t skip, const char *filter,
                                       frame_fn fn, void *ctx, volatile int *stop,
                                       uint64_t *unsupported, char *err, size_t errlen);

#endif
