/* pool.h: fixed-size objects from large chunks, reused through a free
 * list. Flows and their dissection state come and go by the hundred
 * thousand; malloc's bins and consolidation cost more than the objects'
 * own work. Memory goes back only when the pool is freed (as malloc's
 * would, fragmented, rarely). Under AddressSanitizer every object is a
 * malloc of its own, so use after free is still caught. */
#ifndef TLSMON_POOL_H
#define TLSMON_POOL_H

#include <stddef.h>

struct pool {
    size_t size;       /* object size, rounded up to 16 (64 from 64 on) */
    void *free_list;   /* freed objects, each starting with the next one */
    void *chunks;      /* chunks, each starting with the next one */
    char *fresh;       /* not yet handed out in the newest chunk */
    size_t fresh_left; /* objects there */
};

void pool_init(struct pool *p, size_t size);
/* A zeroed object, or NULL when out of memory. */
void *pool_get(struct pool *p);
void pool_put(struct pool *p, void *obj);
/* Frees every chunk (objects still out become invalid). */
void pool_destroy(struct pool *p);

#endif
