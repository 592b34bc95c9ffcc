/*
 * mctop: the data sources of the mctop_key type, in order.  Adding a
 * per-key figure means a counter in struct mctop_slot, its update in
 * bpf/mctop.bpf.c, and one row here (and in mctop.types.db, which a unit
 * test compares with this table).
 */
#ifndef MCTOP_KEY_FIELDS_H
#define MCTOP_KEY_FIELDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mctop.h"

/* What a key did in one interval (its slot's counts, taken), or the same
 * figures of the instance totals. */
typedef struct {
  uint64_t count[MCTOP_KC_NUM];
  uint64_t bytes[MCTOP_KB_NUM];
  uint64_t objsize; /* a level: the value length last seen */
} mctop_key_interval_t;

typedef struct {
  const char *name;
  bool level; /* a level (collectd's GAUGE), not a count (DERIVE) */
  /* NULL for latency, which the series module works out (a mean). */
  uint64_t (*get)(const mctop_key_interval_t *k);
} mctop_key_field_t;

#define MCTOP_KEY_FIELDS_NUM 13

extern const mctop_key_field_t mctop_key_fields[MCTOP_KEY_FIELDS_NUM];

/* Indexes into the table (and into value arrays in its order). */
enum {
  MCTOP_KEY_FIELD_CALLS = 0,
  MCTOP_KEY_FIELD_GETS = 1,
  MCTOP_KEY_FIELD_SETS = 2,
  MCTOP_KEY_FIELD_HITS = 6,
  MCTOP_KEY_FIELD_MISSES = 7,
  MCTOP_KEY_FIELD_RX = 8,
  MCTOP_KEY_FIELD_TX = 9,
  MCTOP_KEY_FIELD_OBJSIZE = 10, /* the one GAUGE: a level */
  MCTOP_KEY_FIELD_LOOKUPS = 11,
  MCTOP_KEY_FIELD_LATENCY = 12,
};

/* What ranks a key in an interval (option SortBy).  User space ranks: the
 * kernel only counts (bpf/mctop.h), so this lives beside the figures. */
enum mctop_sort {
  MCTOP_SORT_CALLS,
  MCTOP_SORT_BYTES,
  MCTOP_SORT_MISSES,
  MCTOP_SORT_LOOKUPS,
  MCTOP_SORT_LATENCY, /* nanoseconds charged to the key (Latency) */
  MCTOP_SORT_GETS,
  MCTOP_SORT_HITS,
  MCTOP_SORT_SETS,
  MCTOP_SORT_TX,      /* value bytes sent ("out") */
  MCTOP_SORT_RX,      /* value bytes received ("in") */
  MCTOP_SORT_OBJSIZE, /* the value length last seen ("size") */
  MCTOP_SORT_COUNT,   /* not a mode: how many there are */
};

/* The SortBy figure of a key's interval, by the field functions: the drain
 * ranks every active key before it builds any figure. */
uint64_t mctop_key_interval_score(enum mctop_sort by,
                                  const mctop_key_interval_t *k);

/* True for a GAUGE (a level: not summed over keys or differenced). */
bool mctop_key_field_is_level(size_t i);

/* Every data source of a key's interval, in table order (latency 0). */
void mctop_key_values(const mctop_key_interval_t *k,
                      uint64_t out[MCTOP_KEY_FIELDS_NUM]);

/* The same data sources over the instance totals (objsize 0), so "other"
 * is computed by the very rules the keys are. */
void mctop_totals_values(const struct mctop_totals *t,
                         uint64_t out[MCTOP_KEY_FIELDS_NUM]);

/* The totals' get hits, worked out as a key's are (gets - misses). */
uint64_t mctop_totals_hits(const struct mctop_totals *t);

/* "get", ..., for enum mctop_cmd; "other" for MCTOP_LAT_OTHER. */
const char *mctop_cmd_name(unsigned cmd);

#endif /* MCTOP_KEY_FIELDS_H */
