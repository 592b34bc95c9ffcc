/*
 * mctop plugin: how each mctop_key data source is computed from the kernel's
 * per-key counters.
 */
#include "key_fields.h"

#include "collectd.h"

#include "plugin.h"

static uint64_t sum_cmds(const struct mctop_key_stats *s, int from, int to) {
  uint64_t n = 0;
  for (int c = from; c <= to; c++)
    n += s->cmds[c];
  return n;
}

static uint64_t calls(const struct mctop_key_stats *s) {
  return sum_cmds(s, 0, MCTOP_CMD_COUNT - 1);
}
static uint64_t gets(const struct mctop_key_stats *s) {
  return s->cmds[MCTOP_CMD_GET];
}
/* Every store command: set, add, replace, append, prepend, cas. */
static uint64_t sets(const struct mctop_key_stats *s) {
  return sum_cmds(s, MCTOP_CMD_SET, MCTOP_CMD_CAS);
}
static uint64_t deletes(const struct mctop_key_stats *s) {
  return s->cmds[MCTOP_CMD_DELETE];
}
static uint64_t touches(const struct mctop_key_stats *s) {
  return s->cmds[MCTOP_CMD_TOUCH];
}
static uint64_t ariths(const struct mctop_key_stats *s) {
  return sum_cmds(s, MCTOP_CMD_INCR, MCTOP_CMD_DECR);
}
/* A get is a hit unless it was a miss: one counter fewer on the hot path. */
static uint64_t hits(const struct mctop_key_stats *s) {
  return s->cmds[MCTOP_CMD_GET] - s->misses;
}
static uint64_t misses(const struct mctop_key_stats *s) { return s->misses; }
static uint64_t rx(const struct mctop_key_stats *s) { return s->rx_bytes; }
static uint64_t tx(const struct mctop_key_stats *s) { return s->tx_bytes; }
static uint64_t objsize(const struct mctop_key_stats *s) { return s->objsize; }
static uint64_t lookups(const struct mctop_key_stats *s) { return s->lookups; }

/* Mean seconds charged per command naming the key in the interval (NaN,
 * i.e. no value, without any: Latency off or the key untimed). */
static double latency(const struct mctop_key_stats *s, uint64_t gen) {
  const struct mctop_rank *r = &s->rank[gen & 1];
  if (r->gen != gen || r->lat_count == 0)
    return NAN;
  return (double)r->lat_ns / (double)r->lat_count / 1e9;
}

const mctop_key_field_t mctop_key_fields[MCTOP_KEY_FIELDS_NUM] = {
    {"calls", DS_TYPE_DERIVE, calls, NULL},
    {"gets", DS_TYPE_DERIVE, gets, NULL},
    {"sets", DS_TYPE_DERIVE, sets, NULL},
    {"deletes", DS_TYPE_DERIVE, deletes, NULL},
    {"touches", DS_TYPE_DERIVE, touches, NULL},
    {"ariths", DS_TYPE_DERIVE, ariths, NULL},
    {"hits", DS_TYPE_DERIVE, hits, NULL},
    {"misses", DS_TYPE_DERIVE, misses, NULL},
    {"rx", DS_TYPE_DERIVE, rx, NULL},
    {"tx", DS_TYPE_DERIVE, tx, NULL},
    {"objsize", DS_TYPE_GAUGE, objsize, NULL},
    {"lookups", DS_TYPE_DERIVE, lookups, NULL},
    {"latency", DS_TYPE_GAUGE, NULL, latency},
};
_Static_assert(sizeof(mctop_key_fields) / sizeof(mctop_key_fields[0]) ==
                   MCTOP_KEY_FIELDS_NUM,
               "every data source has a row");
uint64_t mctop_key_score(enum mctop_sort by,
                         const uint64_t delta[MCTOP_KEY_FIELDS_NUM]) {
  switch (by) {
  case MCTOP_SORT_BYTES:
    return delta[MCTOP_KEY_FIELD_RX] + delta[MCTOP_KEY_FIELD_TX];
  case MCTOP_SORT_MISSES:
    return delta[MCTOP_KEY_FIELD_MISSES];
  case MCTOP_SORT_LOOKUPS:
    return delta[MCTOP_KEY_FIELD_LOOKUPS];
  case MCTOP_SORT_CALLS:
  default:
    return delta[MCTOP_KEY_FIELD_CALLS];
  }
}

bool mctop_key_field_is_level(size_t i) {
  return mctop_key_fields[i].ds_type == DS_TYPE_GAUGE;
}

void mctop_key_values(const struct mctop_key_stats *s,
                      uint64_t out[MCTOP_KEY_FIELDS_NUM]) {
  for (size_t i = 0; i < MCTOP_KEY_FIELDS_NUM; i++)
    out[i] = mctop_key_fields[i].get ? mctop_key_fields[i].get(s) : 0;
}

void mctop_totals_values(const struct mctop_totals *t,
                         uint64_t out[MCTOP_KEY_FIELDS_NUM]) {
  struct mctop_key_stats as_key;
  memset(&as_key, 0, sizeof(as_key));
  memcpy(as_key.cmds, t->cmds, sizeof(as_key.cmds));
  as_key.misses = t->misses;
  as_key.rx_bytes = t->rx_bytes;
  as_key.tx_bytes = t->tx_bytes;
  as_key.lookups = t->lookups;
  mctop_key_values(&as_key, out);
  out[MCTOP_KEY_FIELD_OBJSIZE] = 0;
}
