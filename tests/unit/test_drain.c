/* Unit tests: the key table as drain.c reads it (a table in memory standing
 * in for the mmapped BPF array), each interval one mctop_interval_run:
 * counts taken exactly once, and eviction's three steps, dead, reusable,
 * free, each when it is safe. */
#include <stdlib.h>
#include <string.h>

#include "interval.h"
#include "tap.h"

#define N 16
static struct mctop_slot table[N];
static struct mctop_totals totals;

static mctop_report_t report;

/* A key the kernel placed in slot i, its name record sent. */
static void place(mctop_drain_t *d, size_t i, uint64_t fp, const char *name) {
  table[i].fp = fp;
  table[i].named = 1;
  mctop_drain_put_name(d, (uint32_t)i, (const uint8_t *)name, strlen(name));
}

static mctop_drain_result_t drain(mctop_drain_t *d, mctop_interval_t *s) {
  mctop_interval_run(s, d, &totals, MCTOP_SORT_CALLS, &report);
  return d->result;
}

static void counts_taken_once(mctop_drain_t *d, mctop_interval_t *s) {
  place(d, 3, 0x11, "a");
  table[3].count[MCTOP_KC_GETS] = 5;
  table[3].bytes[MCTOP_KB_TX] = 50;
  totals.cmds[MCTOP_CMD_GET] = 5;
  mctop_drain_result_t r = drain(d, s);
  CHECK(r.tracked == 1 && r.active == 1, "one live key, active");
  CHECK(report.picks_num == 1 &&
            report.picks[0].interval[MCTOP_KEY_FIELD_CALLS] == 5,
        "its 5 gets are the interval's");
  CHECK(table[3].count[MCTOP_KC_GETS] == 0 && table[3].bytes[MCTOP_KB_TX] == 0,
        "the counts were taken: the slot starts the next interval at 0");
  CHECK_U64(1, table[3].last_active, "the interval it was active is noted");
  table[3].count[MCTOP_KC_GETS] = 2;
  totals.cmds[MCTOP_CMD_GET] = 7;
  drain(d, s);
  CHECK_U64(2, report.picks[0].interval[MCTOP_KEY_FIELD_CALLS],
            "the next interval sees only its own 2");
}

static void eviction_steps(mctop_drain_t *d, mctop_interval_t *s) {
  /* "a" was last active in interval 2; evict only when asked: a slot miss
   * (or a 90 % full table). */
  mctop_drain_result_t r = drain(d, s); /* 3 */
  CHECK(table[3].fp == 0x11 && r.evicted == 0,
        "idle but not asked to make room: kept");
  totals.key_slot_misses++;
  r = drain(d, s); /* 4: idle for 2 intervals only */
  CHECK(table[3].fp == 0x11 && r.evicted == 0,
        "idle for 2 intervals: kept even when room is needed");
  totals.key_slot_misses++;
  r = drain(d, s); /* 5 */
  CHECK(table[3].fp == MCTOP_FP_DEAD && r.evicted == 1 && r.tracked == 0,
        "idle for 3 intervals and room needed: dead");
  CHECK(s->keys[3].name == MCTOP_NAME_NONE && s->names.live == 0,
        "its name is dropped at once");
  /* A program that was inside the slot when it died adds one more. */
  table[3].count[MCTOP_KC_GETS] = 1;
  table[4].fp = 0x21; /* a live key right after it */
  place(d, 4, 0x21, "b");
  table[4].count[MCTOP_KC_GETS] = 1;
  r = drain(d, s); /* 6 */
  CHECK(table[3].fp == MCTOP_FP_REUSABLE &&
            table[3].count[MCTOP_KC_GETS] == 0 && table[3].named == 0 &&
            table[3].last_active == 0,
        "an interval later: zeroed and reusable");
  drain(d, s); /* 7 */
  CHECK(table[3].fp == MCTOP_FP_REUSABLE,
        "reusable before a live slot stays reusable (a probe must pass it)");
  table[4].fp = MCTOP_FP_REUSABLE; /* as if "b" had been evicted too */
  drain(d, s);                     /* 8 */
  CHECK(table[4].fp == MCTOP_FP_FREE && table[3].fp == MCTOP_FP_FREE,
        "a run of reusable slots before a free one becomes free in one pass");
  table[N - 1].fp = MCTOP_FP_REUSABLE;
  drain(d, s); /* 9 */
  CHECK(table[N - 1].fp == MCTOP_FP_FREE, "the last slot's next is slot 0");
}

int main(void) {
  mctop_key_policy_t p;
  mctop_key_policy_init(&p);
  mctop_interval_t s;
  mctop_drain_t d;
  memset(&d, 0, sizeof(d));
  if (mctop_interval_init(&s, &p, 4, N) != 0 ||
      mctop_drain_use(&d, table, NULL, N) != 0)
    return 1;
  counts_taken_once(&d, &s);
  eviction_steps(&d, &s);
  CHECK_U64(16, mctop_table_slots(10), "MaxKeys rounds up to a power of two");
  CHECK_U64(65536, mctop_table_slots(65536), "a power of two stays");
  mctop_drain_close(&d);
  mctop_interval_free(&s);
  return tap_done();
}
