/*
 * mctop: how each mctop_key data source is computed from the kernel's
 * per-key counters.
 */
#include "key_fields.h"

#include <string.h>

static uint64_t gets(const mctop_key_interval_t *k) {
  return k->count[MCTOP_KC_GETS];
}
/* Every store command: set, add, replace, append, prepend, cas. */
static uint64_t sets(const mctop_key_interval_t *k) {
  return k->count[MCTOP_KC_STORES];
}
static uint64_t deletes(const mctop_key_interval_t *k) {
  return k->count[MCTOP_KC_DELETES];
}
static uint64_t touches(const mctop_key_interval_t *k) {
  return k->count[MCTOP_KC_TOUCHES];
}
static uint64_t ariths(const mctop_key_interval_t *k) {
  return k->count[MCTOP_KC_ARITHS];
}
static uint64_t calls(const mctop_key_interval_t *k) {
  return gets(k) + sets(k) + deletes(k) + touches(k) + ariths(k);
}
static uint64_t misses(const mctop_key_interval_t *k) {
  return k->count[MCTOP_KC_MISSES];
}
/* A get is a hit unless it was a miss: one counter fewer on the hot path.
 * The one place hits are worked out, for keys and totals alike. */
static uint64_t hits(const mctop_key_interval_t *k) {
  return gets(k) - misses(k);
}
static uint64_t rx(const mctop_key_interval_t *k) {
  return k->bytes[MCTOP_KB_RX];
}
static uint64_t tx(const mctop_key_interval_t *k) {
  return k->bytes[MCTOP_KB_TX];
}
static uint64_t objsize(const mctop_key_interval_t *k) { return k->objsize; }
static uint64_t lookups(const mctop_key_interval_t *k) {
  return k->count[MCTOP_KC_LOOKUPS];
}

const mctop_key_field_t mctop_key_fields[MCTOP_KEY_FIELDS_NUM] = {
    {"calls", false, calls},     {"gets", false, gets},
    {"sets", false, sets},       {"deletes", false, deletes},
    {"touches", false, touches}, {"ariths", false, ariths},
    {"hits", false, hits},       {"misses", false, misses},
    {"rx", false, rx},           {"tx", false, tx},
    {"objsize", true, objsize},  {"lookups", false, lookups},
    {"latency", true, NULL},
};
_Static_assert(sizeof(mctop_key_fields) / sizeof(mctop_key_fields[0]) ==
                   MCTOP_KEY_FIELDS_NUM,
               "every data source has a row");
uint64_t mctop_key_interval_score(enum mctop_sort by,
                                  const mctop_key_interval_t *k) {
  switch (by) {
  case MCTOP_SORT_BYTES:
    return rx(k) + tx(k);
  case MCTOP_SORT_MISSES:
    return misses(k);
  case MCTOP_SORT_LOOKUPS:
    return lookups(k);
  case MCTOP_SORT_GETS:
    return gets(k);
  case MCTOP_SORT_HITS:
    return hits(k);
  case MCTOP_SORT_SETS:
    return sets(k);
  case MCTOP_SORT_TX:
    return tx(k);
  case MCTOP_SORT_RX:
    return rx(k);
  case MCTOP_SORT_OBJSIZE:
    /* A level, kept while the key is idle: only a key that did something
     * this interval is active (a score above 0), whatever its size. */
    return calls(k) + lookups(k) > 0 ? objsize(k) + 1 : 0;
  case MCTOP_SORT_CALLS:
  default:
    return calls(k);
  }
}

bool mctop_key_field_is_level(size_t i) { return mctop_key_fields[i].level; }

void mctop_key_values(const mctop_key_interval_t *k,
                      uint64_t out[MCTOP_KEY_FIELDS_NUM]) {
  for (size_t i = 0; i < MCTOP_KEY_FIELDS_NUM; i++)
    out[i] = mctop_key_fields[i].get ? mctop_key_fields[i].get(k) : 0;
}

void mctop_totals_values(const struct mctop_totals *t,
                         uint64_t out[MCTOP_KEY_FIELDS_NUM]) {
  mctop_key_interval_t k;
  memset(&k, 0, sizeof(k));
  k.count[MCTOP_KC_GETS] = t->cmds[MCTOP_CMD_GET];
  for (int c = MCTOP_CMD_SET; c <= MCTOP_CMD_CAS; c++)
    k.count[MCTOP_KC_STORES] += t->cmds[c];
  k.count[MCTOP_KC_DELETES] = t->cmds[MCTOP_CMD_DELETE];
  k.count[MCTOP_KC_TOUCHES] = t->cmds[MCTOP_CMD_TOUCH];
  k.count[MCTOP_KC_ARITHS] = t->cmds[MCTOP_CMD_INCR] + t->cmds[MCTOP_CMD_DECR];
  k.count[MCTOP_KC_MISSES] = t->misses;
  k.count[MCTOP_KC_LOOKUPS] = t->lookups;
  k.bytes[MCTOP_KB_RX] = t->rx_bytes;
  k.bytes[MCTOP_KB_TX] = t->tx_bytes;
  mctop_key_values(&k, out);
}

/* Indexed by enum mctop_cmd: each command's name in every front end
 * (collectd's memcached_command type_instance, the command's columns). */
static const char *const cmd_names[MCTOP_CMD_COUNT] = {
    [MCTOP_CMD_GET] = "get",       [MCTOP_CMD_SET] = "set",
    [MCTOP_CMD_ADD] = "add",       [MCTOP_CMD_REPLACE] = "replace",
    [MCTOP_CMD_APPEND] = "append", [MCTOP_CMD_PREPEND] = "prepend",
    [MCTOP_CMD_CAS] = "cas",       [MCTOP_CMD_INCR] = "incr",
    [MCTOP_CMD_DECR] = "decr",     [MCTOP_CMD_DELETE] = "delete",
    [MCTOP_CMD_TOUCH] = "touch",
};

const char *mctop_cmd_name(unsigned cmd) {
  return cmd < MCTOP_CMD_COUNT ? cmd_names[cmd] : "other";
}

uint64_t mctop_totals_hits(const struct mctop_totals *t) {
  uint64_t v[MCTOP_KEY_FIELDS_NUM];
  mctop_totals_values(t, v);
  return v[MCTOP_KEY_FIELD_HITS];
}
