/* pool.c: see pool.h. */
#include "pool.h"

#include <stdlib.h>
#include <string.h>

#if defined(__SANITIZE_ADDRESS__)
#define POOL_PASSTHROUGH 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define POOL_PASSTHROUGH 1
#endif
#endif

/* Objects of a cache line or more start on a line of their own, so one
 * object's fields are in as few lines as its size allows. */
enum { CHUNK_BYTES = 64 * 1024, LINE = 64, CHUNK_HEADER = LINE };

void pool_init(struct pool *p, size_t size)
{
    memset(p, 0, sizeof(*p));
    size_t s = size < sizeof(void *) ? sizeof(void *) : size, align = s >= LINE ? LINE : 16;
    p->size = (s + align - 1) & ~(align - 1);
}

void *pool_get(struct pool *p)
{
#ifdef POOL_PASSTHROUGH
    return calloc(1, p->size);
#else
    void *o = p->free_list;
    if (o) {
        memcpy(&p->free_list, o, sizeof(void *));
    } else {
        if (p->fresh_left == 0) {
            size_t n = (CHUNK_BYTES - CHUNK_HEADER) / p->size;
            size_t bytes = CHUNK_HEADER + (n ? n : 1) * p->size;
            char *c = aligned_alloc(LINE, (bytes + LINE - 1) & ~(size_t)(LINE - 1));
            if (!c)
                return NULL;
            memcpy(c, &p->chunks, sizeof(void *));
            p->chunks = c;
            p->fresh = c + CHUNK_HEADER;
            p->fresh_left = n ? n : 1;
        }
        o = p->fresh;
        p->fresh += p->size;
        p->fresh_left--;
    }
    return memset(o, 0, p->size);
#endif
}

void pool_put(struct pool *p, void *obj)
{
    if (!obj)
        return;
#ifdef POOL_PASSTHROUGH
    (void)p;
    free(obj);
#else
    memcpy(obj, &p->free_list, sizeof(void *));
    p->free_list = obj;
#endif
}

void pool_destroy(struct pool *p)
{
    void *c = p->chunks;
    while (c) {
        void *next;
        memcpy(&next, c, sizeof(void *));
        free(c);
        c = next;
    }
    pool_init(p, p->size);
}
