/*
 * Unit test: the mctop_key line of collectd.conf.d/mctop.types.db (for
 * central servers and InfluxDB) matches the data sources the plugin
 * registers, name for name and type for type.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "key_fields.h"
#include "tap.h"

static char *types_db_line(const char *path) {
  static char line[4096];
  FILE *f = fopen(path, "r");
  if (f == NULL)
    return NULL;
  char *found = NULL;
  while (fgets(line, sizeof(line), f) != NULL)
    if (strncmp(line, "mctop_key", 9) == 0 &&
        (line[9] == ' ' || line[9] == '\t')) {
      found = line + 9;
      break;
    }
  fclose(f);
  return found;
}

/* The named indexes the series code uses point at the right rows. */
static void named_indexes(void) {
  CHECK_STR("calls", mctop_key_fields[MCTOP_KEY_FIELD_CALLS].name, "calls");
  CHECK_STR("gets", mctop_key_fields[MCTOP_KEY_FIELD_GETS].name, "gets");
  CHECK_STR("sets", mctop_key_fields[MCTOP_KEY_FIELD_SETS].name, "sets");
  CHECK_STR("hits", mctop_key_fields[MCTOP_KEY_FIELD_HITS].name, "hits");
  CHECK_STR("misses", mctop_key_fields[MCTOP_KEY_FIELD_MISSES].name, "misses");
  CHECK_STR("rx", mctop_key_fields[MCTOP_KEY_FIELD_RX].name, "rx");
  CHECK_STR("tx", mctop_key_fields[MCTOP_KEY_FIELD_TX].name, "tx");
  CHECK_STR("objsize", mctop_key_fields[MCTOP_KEY_FIELD_OBJSIZE].name,
            "objsize");
  CHECK_STR("lookups", mctop_key_fields[MCTOP_KEY_FIELD_LOOKUPS].name,
            "lookups");
  CHECK_STR("latency", mctop_key_fields[MCTOP_KEY_FIELD_LATENCY].name,
            "latency");
  for (size_t i = 0; i < MCTOP_KEY_FIELDS_NUM; i++)
    CHECK(mctop_key_field_is_level(i) ==
              (i == MCTOP_KEY_FIELD_OBJSIZE || i == MCTOP_KEY_FIELD_LATENCY),
          "only objsize and latency are levels (%s)", mctop_key_fields[i].name);
  mctop_key_interval_t k = {
      .bytes = {[MCTOP_KB_RX] = 3, [MCTOP_KB_TX] = 4},
      .count = {
          [MCTOP_KC_GETS] = 5, [MCTOP_KC_STORES] = 2, [MCTOP_KC_MISSES] = 1}};
  CHECK_U64(7, mctop_key_interval_score(MCTOP_SORT_BYTES, &k),
            "bytes = rx + tx");
  CHECK_U64(7, mctop_key_interval_score(MCTOP_SORT_CALLS, &k),
            "calls = gets + stores (a miss is a get)");
  CHECK_U64(5, mctop_key_interval_score(MCTOP_SORT_GETS, &k),
            "SortBy gets: the gets, hits and misses");
  CHECK_U64(4, mctop_key_interval_score(MCTOP_SORT_HITS, &k),
            "SortBy hits: gets - misses");
  CHECK_U64(2, mctop_key_interval_score(MCTOP_SORT_SETS, &k),
            "SortBy sets: every store");
  CHECK_U64(4, mctop_key_interval_score(MCTOP_SORT_TX, &k), "SortBy out: tx");
  CHECK_U64(3, mctop_key_interval_score(MCTOP_SORT_RX, &k), "SortBy in: rx");
  k.objsize = 100;
  CHECK_U64(101, mctop_key_interval_score(MCTOP_SORT_OBJSIZE, &k),
            "SortBy size: the size, above 0 for an active key of size 0");
  mctop_key_interval_t idle = {.objsize = 100};
  CHECK_U64(0, mctop_key_interval_score(MCTOP_SORT_OBJSIZE, &idle),
            "SortBy size: an idle key keeps its size but scores 0 (idle)");
  struct mctop_totals t = {.misses = 2};
  t.cmds[MCTOP_CMD_GET] = 9;
  CHECK_U64(7, mctop_totals_hits(&t), "the totals' hits = gets - misses");
  uint64_t v[MCTOP_KEY_FIELDS_NUM];
  mctop_key_values(&k, v);
  CHECK_U64(4, v[MCTOP_KEY_FIELD_HITS], "hits = gets - misses");
  CHECK_U64(7, v[MCTOP_KEY_FIELD_CALLS], "calls = gets + stores");
  CHECK_U64(5, v[MCTOP_KEY_FIELD_GETS], "gets");
  CHECK_U64(2, v[MCTOP_KEY_FIELD_SETS], "sets: every store");
  CHECK_U64(1, v[MCTOP_KEY_FIELD_MISSES], "misses");
  CHECK_U64(3, v[MCTOP_KEY_FIELD_RX], "rx");
  CHECK_U64(4, v[MCTOP_KEY_FIELD_TX], "tx");
  CHECK_U64(100, v[MCTOP_KEY_FIELD_OBJSIZE], "objsize: the level");
}

int main(void) {
  named_indexes();
  const char *path = getenv("MCTOP_TYPES_DB");
  char *line = path ? types_db_line(path) : NULL;
  CHECK(line != NULL, "mctop.types.db has a mctop_key line (%s)",
        path ? path : "MCTOP_TYPES_DB unset");
  if (line == NULL)
    return tap_done();
  size_t i = 0;
  for (char *save, *tok = strtok_r(line, " \t,\n", &save); tok != NULL;
       tok = strtok_r(NULL, " \t,\n", &save), i++) {
    if (i >= MCTOP_KEY_FIELDS_NUM)
      break;
    char want[128];
    snprintf(want, sizeof(want), "%s:%s:0:U", mctop_key_fields[i].name,
             mctop_key_fields[i].level ? "GAUGE" : "DERIVE");
    CHECK_STR(want, tok, "data source %zu", i);
  }
  CHECK_U64(MCTOP_KEY_FIELDS_NUM, i, "same number of data sources");
  return tap_done();
}
