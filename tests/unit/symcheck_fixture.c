/*
 * A stand-in for memcached, compiled by tests/unit/test_symbol_check.c with
 * `gcc -g -O2` and one of the -D switches below, to give symbol mode's
 * DWARF checks real compiler output: the functions it probes with
 * memcached's signatures (items.c, memcached.c, thread.c of 1.5.x: conn *c),
 * struct _stritem and enum store_item_type as memcached.h has them, and the
 * doctored variants each check must refuse.
 *
 *   ITEM_8BIT      nsuffix at 38 and an 8-bit it_flags at 39 (1.5.0-1.5.14)
 *   SHIFT_NKEY     a byte inserted before slabs_clsid: nkey at 42
 *   REORDER_GET    do_item_get(key, nkey, hv, do_update, c)
 *   STORED_2       enum store_item_type starting at 1: STORED == 2
 *   INLINE_GET     do_item_get inlined into item_get, and out of line too
 *   TOUCH_GONE     do_item_touch inlined into item_touch, no symbol left
 *   TOUCH_SPLIT    do_item_touch out of line, inlined into item_touch only
 *   TOUCH_STRAY    ... and also inlined into another caller
 *   UNLINK_SPLIT   do_item_unlink out of line, and inlined into item_unlink
 *   REORDER_UNLINK do_item_unlink(hv, it)
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct _stritem {
  struct _stritem *next;
  struct _stritem *prev;
  struct _stritem *h_next;
  unsigned int time;
  unsigned int exptime;
  int nbytes;
  unsigned short refcount;
#ifdef ITEM_8BIT
  uint8_t nsuffix;
  uint8_t it_flags;
#else
  uint16_t it_flags;
#endif
#ifdef SHIFT_NKEY
  uint8_t inserted;
#endif
  uint8_t slabs_clsid;
  uint8_t nkey;
  union {
    uint64_t cas;
    char end;
  } data[];
} item;

enum store_item_type {
#ifdef STORED_2
  NOT_STORED = 1,
#else
  NOT_STORED = 0,
#endif
  STORED,
  EXISTS,
  NOT_FOUND
};

enum delta_result_type { OK, NON_NUMERIC, EOM, DELTA_ITEM_NOT_FOUND };

typedef struct conn {
  int sfd;
} conn;

/* Keeps the compiler from folding the bodies away. */
volatile uintptr_t sink;
item *table[64];

#if defined(INLINE_GET)
#define GET_ATTR static inline __attribute__((always_inline))
#else
#define GET_ATTR __attribute__((noinline))
#endif

#ifdef REORDER_GET
GET_ATTR item *do_item_get(const char *key, const size_t nkey,
                           const uint32_t hv, const bool do_update, conn *c)
#else
GET_ATTR item *do_item_get(const char *key, const size_t nkey,
                           const uint32_t hv, conn *c, const bool do_update)
#endif
{
  item *it = table[(hv + nkey + (uintptr_t)key) & 63];
  if (it != NULL && do_update)
    it->exptime = (unsigned)c->sfd;
  sink = (uintptr_t)it;
  return it;
}

#if defined(TOUCH_GONE) || defined(TOUCH_SPLIT) || defined(TOUCH_STRAY)
#define TOUCH_ATTR static inline __attribute__((always_inline))
#else
#define TOUCH_ATTR __attribute__((noinline))
#endif

TOUCH_ATTR item *do_item_touch(const char *key, size_t nkey, uint32_t exptime,
                               const uint32_t hv, conn *c) {
#ifdef REORDER_GET
  item *it = do_item_get(key, nkey, hv, true, c);
#else
  item *it = do_item_get(key, nkey, hv, c, true);
#endif
  if (it != NULL)
    it->exptime = exptime;
  return it;
}

__attribute__((noinline)) item *item_touch(const char *key, size_t nkey,
                                           uint32_t exptime, conn *c) {
  return do_item_touch(key, nkey, exptime, (uint32_t)nkey * 31, c);
}

#ifdef TOUCH_STRAY
__attribute__((noinline)) item *other_toucher(const char *key, conn *c) {
  return do_item_touch(key, 3, 0, 7, c);
}
#endif

__attribute__((noinline)) item *item_get(const char *key, const size_t nkey,
                                         conn *c) {
#ifdef REORDER_GET
  return do_item_get(key, nkey, (uint32_t)nkey * 31, true, c);
#else
  return do_item_get(key, nkey, (uint32_t)nkey * 31, c, true);
#endif
}

__attribute__((noinline)) enum store_item_type
do_store_item(item *it, int comm, conn *c, const uint32_t hv) {
  sink = (uintptr_t)it + (uintptr_t)comm + hv + (uintptr_t)c;
  return it->nbytes > comm ? STORED : NOT_STORED;
}

__attribute__((noinline)) enum store_item_type store_item(item *item, int comm,
                                                          conn *c) {
  return do_store_item(item, comm, c, item->nkey * 31u);
}

__attribute__((noinline)) enum delta_result_type
do_add_delta(conn *c, const char *key, const size_t nkey, const bool incr,
             const int64_t delta, char *buf, uint64_t *cas, const uint32_t hv,
             item **it_ret) {
  sink = (uintptr_t)c + (uintptr_t)key + nkey + incr + (uintptr_t)delta +
         (uintptr_t)buf + (uintptr_t)cas + hv + (uintptr_t)it_ret;
  return incr ? OK : EOM;
}

#ifdef UNLINK_SPLIT
#define UNLINK_ATTR static inline __attribute__((always_inline))
#else
#define UNLINK_ATTR __attribute__((noinline))
#endif

#ifdef REORDER_UNLINK
UNLINK_ATTR void do_item_unlink(const uint32_t hv, item *it)
#else
UNLINK_ATTR void do_item_unlink(item *it, const uint32_t hv)
#endif
{
  it->it_flags &= (uint16_t)~1u;
  sink = hv;
}

__attribute__((noinline)) void item_unlink(item *item) {
#ifdef REORDER_UNLINK
  do_item_unlink(item->nkey * 31u, item);
#else
  do_item_unlink(item, item->nkey * 31u);
#endif
}

int main(int argc, char **argv) {
  conn c = {argc};
  item *it = item_get(argv[0], 3, &c);
  /* Taking the address keeps an out-of-line copy of what is inlined. */
#if defined(INLINE_GET)
  sink = (uintptr_t)&do_item_get;
#endif
#if defined(TOUCH_SPLIT) || defined(TOUCH_STRAY)
  sink = (uintptr_t)&do_item_touch;
#endif
#ifdef TOUCH_STRAY
  sink = (uintptr_t)other_toucher(argv[0], &c);
#endif
#ifdef UNLINK_SPLIT
  sink = (uintptr_t)&do_item_unlink;
#endif
  if (it != NULL)
    item_unlink(it);
  sink = (uintptr_t)item_touch(argv[0], 3, 0, &c);
  if (it != NULL)
    sink = store_item(it, 2, &c);
  sink = do_add_delta(&c, argv[0], 3, true, 1, argv[0], NULL, 9, &it);
  return 0;
}
