/*
 * mctop plugin: reading the kernel maps on each interval.
 */
#ifndef MCTOP_DRAIN_H
#define MCTOP_DRAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mctop.h"
#include "series.h"

/* Keys read per batch syscall: large enough that no hash bucket overflows a
 * batch (ENOSPC), small enough to keep the buffers under 1 MB. */
#define MCTOP_DRAIN_CHUNK 4096

/* A key idle for this many whole intervals may be evicted when the map is
 * nearly full.  More than collectd's default Timeout (2 intervals), so the
 * key's old series has expired in collectd's cache before a re-admitted key
 * restarts its counters from zero. */
#define MCTOP_IDLE_GENERATIONS 3

typedef struct {
  __u64 *ids; /* map keys: the keys' hashes */
  struct mctop_key_stats *vals;
  __u64 *evict; /* idle keys found by this drain */
  size_t evict_num, evict_cap;
} mctop_drain_t;

typedef struct {
  size_t tracked; /* keys in the map when read */
  size_t evicted; /* idle keys deleted to make room */
} mctop_drain_result_t;

int mctop_drain_init(mctop_drain_t *d);
void mctop_drain_free(mctop_drain_t *d);

/* Sums the per-CPU totals. */
int mctop_read_totals(int map_fd, struct mctop_totals *sum);

/*
 * Reads every tracked key once, handing each to series with its score for
 * generation gen (which the kernel has stopped writing).  If evict is set,
 * keys idle for MCTOP_IDLE_GENERATIONS are deleted from both maps afterwards.
 */
int mctop_drain_keys(mctop_drain_t *d, int keys_fd, int names_fd, uint64_t gen,
                     bool evict, mctop_series_t *series,
                     mctop_drain_result_t *res);

#endif /* MCTOP_DRAIN_H */
