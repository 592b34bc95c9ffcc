/*
 * mctop: the key names user space keeps, by slot of the kernel's table.
 *
 * A burst of a million new keys is a million names to keep, and the
 * evictions three intervals later a million to drop.  A malloc and a free
 * each cost more than the rest of the drain does for the key: malloc's own
 * work and heap growth, and free reading the chunk's header, a cache miss
 * on memory last touched intervals ago, in slot order (at random).  Here a
 * name is appended to the current 64 KiB block as [slot u32][len u8]
 * [bytes] (5 bytes beyond the key's own, no alignment), and dropped by its
 * slot's reference and length alone: its block's live count goes down, the
 * name itself is not read.  A block whose names are all gone is reused
 * whole.  When more than half the bytes held are dropped names, the block
 * with the fewest live ones is emptied (its live names moved to the block
 * being filled, each found live by the slot its record names), so memory
 * stays within twice the live names' bytes and a few blocks.  Past 2 MiB,
 * blocks come a huge page's worth at a time (names.c).
 *
 * The reference lives in the slot's own record (mctop_key_slot_t, one
 * cache line for a new key's name and series): the names are the
 * interval's, which holds both arrays (attach/interval.c).
 */
#ifndef MCTOP_NAMES_H
#define MCTOP_NAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "series.h"

/* A block's bytes: a name's offset in it fits 16 bits. */
#define MCTOP_NAMES_BLOCK (64u << 10)
/* Blocks held beyond twice the live names' bytes before emptying one: a
 * little room so a table of a few keys never moves them. */
#define MCTOP_NAMES_SLACK 8
/* Blocks taken at once (a huge page's worth) once 2 MiB are held. */
#define MCTOP_NAMES_CHUNK 32

typedef struct {
  uint8_t *mem;  /* MCTOP_NAMES_BLOCK bytes, or NULL: not held */
  uint32_t used; /* bytes appended */
  uint32_t live; /* bytes of names still kept in it */
  uint8_t kind;  /* where mem came from (names.c) */
} mctop_names_block_t;

typedef struct {
  mctop_key_slot_t *keys; /* the slots whose names these are */
  size_t nslots;
  mctop_names_block_t *blocks;
  uint32_t blocks_num; /* entries in blocks (held or not) */
  uint32_t cur;        /* the block appended to, or none (0xffff) yet */
  uint32_t spare;      /* an empty block kept for emptying another into,
                          or none (0xffff) */
  size_t held;         /* blocks with memory */
  size_t chunk_blocks; /* ... of them in huge pages, never given back */
  size_t empty;        /* held blocks with nothing in them, but cur and
                          the spare */
  size_t live;         /* bytes of the names kept, records' heads too */
  uint64_t moved;      /* names moved by emptying a block, ever */
} mctop_names_t;

/* Names for keys[0..nslots), every one MCTOP_NAME_NONE to start. */
void mctop_names_init(mctop_names_t *n, mctop_key_slot_t *keys, size_t nslots);
void mctop_names_free(mctop_names_t *n);

/* Keeps slot's name (len 1..MCTOP_KEY_MAX), replacing any it had.
 * False: out of memory or a bad argument (the slot is then unnamed). */
bool mctop_names_keep(mctop_names_t *n, uint32_t slot, const uint8_t *key,
                      size_t len);

/* Drops slot's name, if it has one, without reading it. */
void mctop_names_drop(mctop_names_t *n, uint32_t slot);

/* A named slot's key bytes (k->name_len of them). */
const uint8_t *mctop_names_get(const mctop_names_t *n,
                               const mctop_key_slot_t *k);

/* Bytes held, for the memory figures. */
size_t mctop_names_bytes(const mctop_names_t *n);

#endif /* MCTOP_NAMES_H */
