/*
 * mctop: an open-addressing hash table from 64-bit ids (key hashes,
 * series hashes) to a fixed-size payload, for the per-key state user space
 * keeps between intervals.  Linear probing; grows by half at 75 % load and
 * shrinks below 25 %.  Entries carry a stamp (the interval that last saw them,
 * never 0: 0 marks a free slot), so stale ones are dropped in one sweep.
 */
#ifndef MCTOP_IDTAB_H
#define MCTOP_IDTAB_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
  unsigned char *slots; /* cap slots of slot_size bytes */
  size_t cap, len;
  size_t payload_size, slot_size;
} mctop_idtab_t;

void mctop_idtab_init(mctop_idtab_t *t, size_t payload_size);
void mctop_idtab_free(mctop_idtab_t *t);

/* The payload for id, or NULL. */
void *mctop_idtab_get(const mctop_idtab_t *t, uint64_t id);

/* The payload for id, stamped; a new entry's payload is zeroed.  NULL only
 * if memory runs out. */
void *mctop_idtab_put(mctop_idtab_t *t, uint64_t id, uint32_t stamp);

/* Removes id's entry if present. */
void mctop_idtab_remove(mctop_idtab_t *t, uint64_t id);

/* Removes every entry stamped before min_stamp. */
void mctop_idtab_sweep(mctop_idtab_t *t, uint32_t min_stamp);

size_t mctop_idtab_bytes(const mctop_idtab_t *t);

#endif /* MCTOP_IDTAB_H */
