/*
 * mctop: the key names user space keeps (see names.h).
 */
#include "names.h"

#include <stdlib.h>
#include <string.h>

#include "hugemem.h"

/* A record: the slot (u32, unaligned), the key's length, its bytes. */
#define REC_HEAD 5

/* A name's place: block << 16 | offset.  Block 0xffff is never made, so
 * MCTOP_NAME_NONE is no place. */
#define BLOCKS_MAX 0xffffu

static uint32_t place(uint32_t block, uint32_t off) {
  return block << 16 | off;
}

static uint8_t *at(const mctop_names_t *n, uint32_t where) {
  return n->blocks[where >> 16].mem + (where & 0xffffu);
}

void mctop_names_init(mctop_names_t *n, mctop_key_slot_t *keys, size_t nslots) {
  memset(n, 0, sizeof(*n));
  n->keys = keys;
  n->nslots = nslots;
  n->cur = n->spare = BLOCKS_MAX;
  for (size_t i = 0; i < nslots; i++)
    keys[i].name = MCTOP_NAME_NONE;
}

/* A block's memory: its own malloc, or a huge page's worth of blocks
 * taken at once (hugemem.h), freed by its first block. */
enum { BLOCK_OWN, BLOCK_IN_CHUNK, BLOCK_CHUNK_HEAD };
#define CHUNK_BLOCKS MCTOP_NAMES_CHUNK
_Static_assert(MCTOP_NAMES_CHUNK *MCTOP_NAMES_BLOCK == MCTOP_HUGE_PAGE,
               "a chunk of blocks is a huge page");

void mctop_names_free(mctop_names_t *n) {
  for (uint32_t b = 0; b < n->blocks_num; b++) {
    if (n->blocks[b].kind == BLOCK_OWN)
      free(n->blocks[b].mem);
    else if (n->blocks[b].kind == BLOCK_CHUNK_HEAD)
      mctop_huge_free(n->blocks[b].mem, MCTOP_HUGE_PAGE);
  }
  free(n->blocks);
  memset(n, 0, sizeof(*n));
}

/* More than twice the live bytes held, with some slack. */
static bool too_much(const mctop_names_t *n) {
  return n->held * MCTOP_NAMES_BLOCK >
         2 * n->live + MCTOP_NAMES_SLACK * (size_t)MCTOP_NAMES_BLOCK;
}

/* The first of count unused entries in a row, the array grown for them if
 * need be; BLOCKS_MAX if there is no room. */
static uint32_t unused_entries(mctop_names_t *n, uint32_t count) {
  uint32_t b = 0, run = 0;
  for (; b < n->blocks_num && run < count; b++)
    run = n->blocks[b].mem == NULL ? run + 1 : 0;
  b -= run; /* the run's start (at the end: its part in the array) */
  if (b + count <= n->blocks_num)
    return b;
  if (b + count > BLOCKS_MAX)
    return BLOCKS_MAX;
  uint32_t num = n->blocks_num ? n->blocks_num : 16;
  while (num < b + count)
    num *= 2;
  if (num > BLOCKS_MAX)
    num = BLOCKS_MAX;
  mctop_names_block_t *bl = realloc(n->blocks, num * sizeof(*bl));
  if (bl == NULL)
    return BLOCKS_MAX;
  memset(bl + n->blocks_num, 0, (num - n->blocks_num) * sizeof(*bl));
  n->blocks = bl;
  n->blocks_num = num;
  return b;
}

/*
 * A block with memory and nothing in it: its index, or BLOCKS_MAX.  Once 2
 * MiB are held, blocks come a huge page's worth at a time (the others
 * empty): a burst of new names then writes into huge pages, which a first
 * touch faults in once per 2 MiB, not once per 4 KiB page (14 us each on
 * the test VM: 70 ms for 600,000 names).  Those are not given back.
 */
static uint32_t new_block(mctop_names_t *n) {
  bool chunk = n->held >= CHUNK_BLOCKS;
  uint32_t b = unused_entries(n, chunk ? CHUNK_BLOCKS : 1);
  if (b == BLOCKS_MAX)
    return BLOCKS_MAX;
  if (!chunk) {
    n->blocks[b].mem = malloc(MCTOP_NAMES_BLOCK);
    if (n->blocks[b].mem == NULL)
      return BLOCKS_MAX;
    n->blocks[b].used = n->blocks[b].live = 0;
    n->blocks[b].kind = BLOCK_OWN;
    n->held++;
    return b;
  }
  uint8_t *mem = mctop_huge_alloc(MCTOP_HUGE_PAGE);
  if (mem == NULL)
    return BLOCKS_MAX;
  for (uint32_t i = 0; i < CHUNK_BLOCKS; i++)
    n->blocks[b + i] = (mctop_names_block_t){.mem = mem + i * MCTOP_NAMES_BLOCK,
                                             .kind = i == 0 ? BLOCK_CHUNK_HEAD
                                                            : BLOCK_IN_CHUNK};
  n->held += CHUNK_BLOCKS;
  n->chunk_blocks += CHUNK_BLOCKS;
  n->empty += CHUNK_BLOCKS - 1;
  return b;
}

/* An empty block (held, nothing in it, neither cur nor the spare). */
static bool is_empty(const mctop_names_t *n, uint32_t b) {
  return n->blocks[b].mem != NULL && n->blocks[b].used == 0 && b != n->cur &&
         b != n->spare;
}

/* An empty block, one of a chunk's first: those of their own are the ones
 * given back. */
static uint32_t find_empty(const mctop_names_t *n) {
  uint32_t own = BLOCKS_MAX;
  for (uint32_t b = 0; n->empty > 0 && b < n->blocks_num; b++) {
    if (!is_empty(n, b))
      continue;
    if (n->blocks[b].kind != BLOCK_OWN)
      return b;
    if (own == BLOCKS_MAX)
      own = b;
  }
  return own;
}

/* Gives empty blocks of their own back while too much is held. */
static void give_back(mctop_names_t *n) {
  for (uint32_t b = 0; n->empty > 0 && too_much(n) && b < n->blocks_num; b++) {
    if (is_empty(n, b) && n->blocks[b].kind == BLOCK_OWN) {
      free(n->blocks[b].mem);
      n->blocks[b].mem = NULL;
      n->held--;
      n->empty--;
    }
  }
}

/* Moves block v's live names to the block appended to (which has room:
 * v holds at most half a block); v becomes the spare. */
static void empty_block(mctop_names_t *n, uint32_t v) {
  mctop_names_block_t *from = &n->blocks[v], *to = &n->blocks[n->cur];
  for (uint32_t off = 0; off < from->used;) {
    const uint8_t *r = from->mem + off;
    uint32_t slot;
    memcpy(&slot, r, sizeof(slot));
    uint32_t size = REC_HEAD + r[4];
    mctop_key_slot_t *k = slot < n->nslots ? &n->keys[slot] : NULL;
    if (k != NULL && k->name == place(v, off)) {
      memcpy(to->mem + to->used, r, size);
      k->name = place(n->cur, to->used);
      to->used += size;
      to->live += size;
      n->moved++;
    }
    off += size;
  }
  from->used = from->live = 0;
  n->spare = v;
}

/*
 * The block appended to is full: the next one.  An empty block if there is
 * one.  Else, when too much is held, the spare, into which the emptiest
 * block's live names move (it then is the spare): memory does not grow.
 * Else a new block.
 */
static bool next_block(mctop_names_t *n) {
  if (n->cur != BLOCKS_MAX && n->blocks[n->cur].live == 0) {
    n->blocks[n->cur].used = 0; /* all its names went: start it again */
    return true;
  }
  uint32_t b = find_empty(n);
  if (b != BLOCKS_MAX) {
    n->cur = b;
    n->empty--;
    return true;
  }
  uint32_t victim = BLOCKS_MAX;
  if (too_much(n))
    for (b = 0; b < n->blocks_num; b++)
      if (n->blocks[b].mem != NULL && b != n->cur && b != n->spare &&
          (victim == BLOCKS_MAX || n->blocks[b].live < n->blocks[victim].live))
        victim = b;
  /* Too much held means the blocks but cur average less than half live. */
  if (victim != BLOCKS_MAX && n->blocks[victim].live <= MCTOP_NAMES_BLOCK / 2) {
    if (n->spare == BLOCKS_MAX && (n->spare = new_block(n)) == BLOCKS_MAX)
      return false;
    n->cur = n->spare;
    n->spare = BLOCKS_MAX;
    empty_block(n, victim);
    return true;
  }
  b = new_block(n);
  if (b == BLOCKS_MAX)
    return false;
  n->cur = b;
  return true;
}

bool mctop_names_keep(mctop_names_t *n, uint32_t slot, const uint8_t *key,
                      size_t len) {
  if (slot >= n->nslots || len == 0 || len > MCTOP_KEY_MAX)
    return false;
  mctop_names_drop(n, slot); /* a name it had is replaced */
  uint32_t size = REC_HEAD + (uint32_t)len;
  if ((n->cur == BLOCKS_MAX ||
       n->blocks[n->cur].used + size > MCTOP_NAMES_BLOCK) &&
      !next_block(n))
    return false;
  mctop_names_block_t *b = &n->blocks[n->cur];
  uint8_t *r = b->mem + b->used;
  memcpy(r, &slot, sizeof(slot));
  r[4] = (uint8_t)len;
  memcpy(r + REC_HEAD, key, len);
  mctop_key_slot_t *k = &n->keys[slot];
  k->name = place(n->cur, b->used);
  k->name_len = (uint8_t)len;
  b->used += size;
  b->live += size;
  n->live += size;
  return true;
}

void mctop_names_drop(mctop_names_t *n, uint32_t slot) {
  if (slot >= n->nslots)
    return;
  mctop_key_slot_t *k = &n->keys[slot];
  if (k->name == MCTOP_NAME_NONE)
    return;
  uint32_t b = k->name >> 16, size = REC_HEAD + (uint32_t)k->name_len;
  k->name = MCTOP_NAME_NONE;
  k->name_len = 0;
  mctop_names_block_t *bl = &n->blocks[b];
  bl->live -= size;
  n->live -= size;
  if (bl->live > 0)
    return;
  /* Nothing left in it: appended to from its start again, held for the
   * next names, or given back when too much is held. */
  bl->used = 0;
  if (b == n->cur)
    return;
  n->empty++;
  give_back(n);
}

const uint8_t *mctop_names_get(const mctop_names_t *n,
                               const mctop_key_slot_t *k) {
  return at(n, k->name) + REC_HEAD;
}

size_t mctop_names_bytes(const mctop_names_t *n) {
  return n->held * (size_t)MCTOP_NAMES_BLOCK +
         n->blocks_num * sizeof(*n->blocks);
}
