/*
 * mctop: reading the kernel's key table on each interval.
 *
 * The table (map "slots", see mctop.h) is mmapped and read as memory: no
 * system call per key.  Each live key's counts are taken (swapped for 0),
 * so the series module gets exactly what the key did since the last
 * interval; new keys' names arrive once each through the ring buffer
 * "names".  Eviction is decided here, and done in three steps no program
 * can see half of: a live key idle for MCTOP_IDLE_GENERATIONS becomes DEAD,
 * the next interval (when no program can still be inside it) it is zeroed
 * and made REUSABLE, and a REUSABLE slot followed by a FREE one becomes
 * FREE again, so probes stay short.
 */
#ifndef MCTOP_DRAIN_H
#define MCTOP_DRAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mctop.h"
#include "series.h"

/* A key idle for this many whole intervals may be evicted when the table
 * is nearly full.  More than collectd's default Timeout (2 intervals), so
 * the key's old series has expired in collectd's cache before a
 * re-admitted key restarts its counters from zero. */
#define MCTOP_IDLE_GENERATIONS 3

/* Evict idle keys once this share of the slots is live (percent), or when
 * an event found no slot in its window. */
#define MCTOP_EVICT_FILL_PERCENT 90

struct ring_buffer;

/* The table's slots for MaxKeys: a power of two, so a hash masks to one. */
size_t mctop_table_slots(unsigned max_keys);

/* The names ring's bytes for a table: 8 bytes a slot (a typical name
 * record takes 40-60), so a table's worth of new keys is named over a few
 * intervals (which bounds the drain of an interval of many new keys), a few
 * thousand an interval at the smallest; a key whose record did not fit
 * sends it at its first event after the ring was read. */
uint32_t mctop_names_ring_bytes(size_t nslots);

typedef struct {
  struct mctop_slot *slots;   /* the kernel's table, mmapped */
  struct mctop_slot_lat *lat; /* its latency (Latency), mmapped, or NULL */
  size_t nslots;
  size_t slots_len, lat_len; /* bytes mapped (0: not ours) */
  mctop_key_slot_t *keys;    /* user space's side of each slot */
  struct ring_buffer *names;
  mctop_series_t *series;     /* during a drain: where names go */
  volatile __u32 *names_full; /* the program's flag (mmapped .bss), or NULL */
  uint32_t stamp;             /* the interval being drained, from 1 */
  size_t live;                /* live keys after the last drain */
  uint64_t slot_misses;       /* key_slot_misses at the last drain */
} mctop_drain_t;

typedef struct {
  size_t tracked; /* live keys after the drain */
  size_t active;  /* keys with events in the interval */
  size_t evicted; /* idle keys retired to make room */
} mctop_drain_result_t;

/* Maps the table (nslots slots) and its latency array (NULL-able: lat_fd
 * < 0), and opens the names ring.  0 or -errno. */
int mctop_drain_open(mctop_drain_t *d, int slots_fd, size_t nslots, int lat_fd,
                     int names_fd);

/* The same over a table in memory the caller owns, without a names ring
 * (names then come only through mctop_series_name_key): the unit tests'. */
int mctop_drain_use(mctop_drain_t *d, struct mctop_slot *slots,
                    struct mctop_slot_lat *lat, size_t nslots);

/* Unmaps; every key's name is handed back to series. */
void mctop_drain_close(mctop_drain_t *d, mctop_series_t *series);

/* Sums the per-CPU totals. */
int mctop_read_totals(int map_fd, struct mctop_totals *sum);

/*
 * One interval: takes the new names, then every live key's counts, handing
 * each active key (and each idle one that may be sent once more) to series.
 * totals are the ones just read (before the keys): a rise of their
 * key_slot_misses asks for eviction.
 */
void mctop_drain_keys(mctop_drain_t *d, const struct mctop_totals *totals,
                      mctop_series_t *series, mctop_drain_result_t *res);

/* Bytes of user-space state per slot, for the memory figures. */
size_t mctop_drain_bytes(const mctop_drain_t *d);

#endif /* MCTOP_DRAIN_H */
