/* facts.h: what a frame alone tells about its packet (the decode result,
 * the flow key and its hash, offsets into the frame), made by the capture's
 * reading thread ahead of the flow lookup. */
#ifndef TLSMON_FACTS_H
#define TLSMON_FACTS_H

#include <stdint.h>

#include "flow_table.h"

/* Compact (the addresses only in the key, offsets for pointers): each byte
 * crosses from the reading thread's core to the dissecting one. */
struct frame_facts {
    uint8_t result; /* enum decode_result; nothing below is set unless DECODE_OK */
    uint8_t dir;    /* flow_key_from_packet's direction */
    uint8_t transport;
    uint8_t tcp_flags;
    uint32_t hash; /* flow_table_hash of key */
    struct flow_key key;
    /* seq and ack apart: side by side, they were copied with one 8-byte
     * read of decode's two 4-byte stores, which cannot be forwarded. */
    uint32_t seq, payload_off, ack;
    uint32_t payload_len, payload_wire;
    uint32_t l3_off, l3_len;
};

/* The facts of the caplen bytes at data (wire_len on the wire), as
 * decode_packet, flow_key_from_packet and flow_table_hash make them. Reads
 * only the frame and t's hash key (fixed at creation). */
void frame_facts_make(const struct flow_table *t, int linktype, const uint8_t *data,
                      uint32_t caplen, uint32_t wire_len, struct frame_facts *ff);

/* The same without the direct path for Ethernet/IPv4/TCP: for the unit test
 * that checks the two agree, and for datagrams made whole from fragments
 * (engine.c), which are rare. */
void frame_facts_make_general(const struct flow_table *t, int linktype, const uint8_t *data,
                              uint32_t caplen, uint32_t wire_len, struct frame_facts *ff);

#endif
