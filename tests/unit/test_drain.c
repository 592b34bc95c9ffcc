/* Unit tests: the key table as drain.c reads it (a table in memory standing
 * in for the mmapped BPF arrays), each interval one mctop_interval_run:
 * counts taken exactly once; eviction's steps, dead, then free or reserved,
 * each when it is safe; a reserved slot kept in every bucket, a full
 * bucket's coldest key giving up its slot right after its counts were
 * taken; the knocks starting again each interval; reading homes first
 * only while most keys have a slot; the table's size and layout for
 * MaxKeys. */
#include <stdlib.h>
#include <string.h>

#include "interval.h"
#include "tap.h"

#define NB 2 /* buckets */
#define N (NB * MCTOP_BUCKET_SLOTS)
static struct mctop_slot table[N];
static struct mctop_bucket buckets[NB];
static __u32 knocks[NB];
static struct mctop_totals totals;
static volatile __u32 admit_bar; /* the program's .data word */

static mctop_report_t report;

static __u32 *tag(size_t i) {
  return &buckets[i / MCTOP_BUCKET_SLOTS].tag[i % MCTOP_BUCKET_SLOTS];
}

/* A key the kernel placed in slot i (fp odd), its name record sent. */
static void place(mctop_drain_t *d, size_t i, uint64_t fp, const char *name) {
  *tag(i) = mctop_key_tag(fp);
  table[i].fp = fp;
  table[i].named = 1;
  mctop_drain_put_name(d, (uint32_t)i, (const uint8_t *)name, strlen(name));
}

static mctop_drain_result_t drain(mctop_drain_t *d, mctop_interval_t *s) {
  mctop_interval_run(s, d, &totals, MCTOP_SORT_CALLS, &report);
  return d->result;
}

/* n gets of the key in slot i, this interval. */
static void gets(size_t i, uint32_t n) {
  table[i].count[MCTOP_KC_GETS] += n;
  totals.cmds[MCTOP_CMD_GET] += n;
}

static uint64_t picked_calls(const char *name) {
  for (size_t i = 0; i < report.picks_num; i++)
    if (strcmp(report.picks[i].name, name) == 0)
      return report.picks[i].interval[MCTOP_KEY_FIELD_CALLS];
  return 0;
}

/* Bucket b's slots in state t. */
static size_t in_state(size_t b, __u32 t) {
  size_t n = 0;
  for (size_t j = 0; j < MCTOP_BUCKET_SLOTS; j++)
    n += buckets[b].tag[j] == t;
  return n;
}

static void counts_taken_once(mctop_drain_t *d, mctop_interval_t *s) {
  place(d, 3, 0x11, "a");
  gets(3, 5);
  table[3].bytes[MCTOP_KB_TX] = 50;
  mctop_drain_result_t r = drain(d, s);
  CHECK(r.tracked == 1 && r.active == 1, "one live key, active");
  CHECK(report.picks_num == 1 &&
            report.picks[0].interval[MCTOP_KEY_FIELD_CALLS] == 5,
        "its 5 gets are the interval's");
  CHECK(table[3].count[MCTOP_KC_GETS] == 0 && table[3].bytes[MCTOP_KB_TX] == 0,
        "the counts were taken: the slot starts the next interval at 0");
  CHECK_U64(1, table[3].last_active, "the interval it was active is noted");
  gets(3, 2);
  drain(d, s);
  CHECK_U64(2, report.picks[0].interval[MCTOP_KEY_FIELD_CALLS],
            "the next interval sees only its own 2");
}

static void being_claimed(mctop_drain_t *d, mctop_interval_t *s) {
  /* A program won slot 5's tag and has not written fp yet. */
  *tag(5) = 0x31;
  table[5].count[MCTOP_KC_GETS] = 1;
  gets(3, 1); /* "a" is active in interval 3 */
  mctop_drain_result_t r = drain(d, s);
  CHECK(r.tracked == 1 && table[5].count[MCTOP_KC_GETS] == 1,
        "a slot whose fp is not written yet is left to its program");
  *tag(5) = MCTOP_TAG_FREE;
  table[5].count[MCTOP_KC_GETS] = 0;
}

static void eviction_steps(mctop_drain_t *d, mctop_interval_t *s) {
  /* "a" was last active in interval 3; evict only when asked: a slot miss
   * (or a 90 % full table). */
  mctop_drain_result_t r = drain(d, s); /* 4 */
  CHECK(*tag(3) == 0x11 && r.evicted == 0,
        "idle but not asked to make room: kept");
  totals.key_slot_misses++;
  r = drain(d, s); /* 5: idle for 2 intervals only */
  CHECK(*tag(3) == 0x11 && r.evicted == 0,
        "idle for 2 intervals: kept even when room is needed");
  totals.key_slot_misses++;
  r = drain(d, s); /* 6 */
  CHECK(*tag(3) == MCTOP_TAG_DEAD && r.evicted == 1 && r.tracked == 0,
        "idle for 3 intervals and room needed: dead");
  CHECK(s->keys[3].name == MCTOP_NAME_NONE && s->names.live == 0,
        "its name is dropped at once");
  /* A program that was inside the slot when it died adds one more. */
  table[3].count[MCTOP_KC_GETS] = 1;
  r = drain(d, s); /* 7 */
  CHECK(*tag(3) == MCTOP_TAG_FREE && table[3].fp == 0 &&
            table[3].count[MCTOP_KC_GETS] == 0 && table[3].named == 0 &&
            table[3].last_active == 0,
        "an interval later: zeroed and free (its bucket has its reserve)");
  CHECK_U64(NB, r.reserved, "a reserved slot per bucket");
  CHECK(*tag(MCTOP_BUCKET_SLOTS - 1) == MCTOP_TAG_CLOSED &&
            *tag(MCTOP_BUCKET_SLOTS - 2) == MCTOP_TAG_RESERVED,
        "MaxKeys 28 in 2 buckets: a slot of each closed, one reserved");
  /* A hot key takes bucket 0's reserve. */
  place(d, MCTOP_BUCKET_SLOTS - 2, 0x41, "hot");
  gets(MCTOP_BUCKET_SLOTS - 2, 9);
  r = drain(d, s); /* 8 */
  CHECK(in_state(0, MCTOP_TAG_RESERVED) == 1 && r.reserved == NB &&
            r.evicted == 0,
        "a bucket whose reserve went sets a free slot aside");
  CHECK_U64(9, picked_calls("hot"), "the hot key is counted from its claim");
}

/* Every open slot of bucket 1 holds a key, its reserve taken too. */
static void full_bucket(mctop_drain_t *d, mctop_interval_t *s) {
  static char names[MCTOP_BUCKET_SLOTS][8];
  for (size_t j = 0; j < MCTOP_BUCKET_SLOTS - 1; j++) {
    size_t i = MCTOP_BUCKET_SLOTS + j;
    snprintf(names[j], sizeof(names[j]), "k%zu", j);
    place(d, i, 0x1001 + 2 * j, names[j]);
    gets(i, (uint32_t)(10 + j));
  }
  size_t coldest = MCTOP_BUCKET_SLOTS + 0; /* 10 gets, the least */
  knocks[1] = 0x12340007;
  __u32 bar = admit_bar;
  mctop_drain_result_t r = drain(d, s);
  CHECK(*tag(coldest) == MCTOP_TAG_DEAD && r.evicted == 1,
        "a full bucket gives up the key that did least");
  CHECK_U64(MCTOP_BUCKET_SLOTS - 1, r.tracked,
            "... and tracks one key fewer (14 here and \"hot\")");
  CHECK_U64(0, knocks[1], "the bucket's knocks start again each interval");
  CHECK(
      r.admitted == 1 && bar >= MCTOP_ADMIT_KNOCKS_MIN && admit_bar == 2 * bar,
      "a reserve taken in 1 bucket of 2: the program's admission bar doubles");
  CHECK(table[coldest].count[MCTOP_KC_GETS] == 0,
        "the evicted key's interval was taken before it went");
  CHECK_U64(24, picked_calls("k14"), "the bucket's hottest key is picked");
  CHECK(s->keys[coldest].name != MCTOP_NAME_NONE,
        "its name stays until its slot is recycled");
  for (size_t j = 1; j < MCTOP_BUCKET_SLOTS - 1; j++)
    gets(MCTOP_BUCKET_SLOTS + j, 1);
  r = drain(d, s);
  CHECK(*tag(coldest) == MCTOP_TAG_RESERVED && r.evicted == 0 &&
            s->keys[coldest].name == MCTOP_NAME_NONE,
        "an interval later its slot is the bucket's reserve, its name gone, "
        "and the bucket keeps its other keys");
  CHECK_U64(bar, admit_bar, "no reserve taken: the bar comes back down");
}

/* The program's home_first (mctop.h): off while more than
 * MCTOP_HOME_MISS_PERCENT of an interval's looks found no slot, on again
 * once they find one; an idle interval keeps it. */
static void home_switch(mctop_drain_t *d, mctop_interval_t *s) {
  static volatile __u32 home_flag = 1;
  d->home_first_at = &home_flag;
  totals.key_looks += 100;
  totals.key_slot_misses += MCTOP_HOME_MISS_PERCENT + 1;
  drain(d, s);
  CHECK_U64(0, home_flag,
            "most keys without a slot: the program stops reading homes first");
  drain(d, s);
  CHECK_U64(0, home_flag, "... and an idle interval leaves it so");
  totals.key_looks += 100;
  totals.key_slot_misses += MCTOP_HOME_MISS_PERCENT;
  drain(d, s);
  CHECK_U64(1, home_flag, "at or under the bar, homes first again");
  d->home_first_at = NULL;
}

static void table_size(void) {
  CHECK_U64(32, mctop_table_slots(10), "a small MaxKeys gets two buckets");
  CHECK_U64(69920, mctop_table_slots(65536),
            "MaxKeys keys fit beside a reserved slot per bucket");
  CHECK_U64(4370, mctop_table_buckets(mctop_table_slots(65536)),
            "... in whole buckets");
  int apart = 0, inside = 1;
  for (uint64_t h = 0; h < 1000; h++) {
    __u32 b1, b2;
    mctop_key_buckets(h * 0x9e3779b97f4a7c15ULL, 4370, &b1, &b2);
    apart += b1 != b2;
    inside &= b1 < 4370 && b2 < 4370;
  }
  CHECK(apart == 1000 && inside, "a key's two buckets: distinct, in range");
}

int main(void) {
  mctop_key_policy_t p;
  mctop_key_policy_init(&p);
  mctop_interval_t s;
  mctop_drain_t d;
  memset(&d, 0, sizeof(d));
  if (mctop_interval_init(&s, &p, 4, N) != 0 ||
      mctop_drain_use(&d, &(mctop_table_t){.slots = table,
                                           .buckets = buckets,
                                           .knocks = knocks,
                                           .nslots = N,
                                           .max_keys = N - 4}) != 0)
    return 1;
  d.admit_knocks_at = &admit_bar;
  counts_taken_once(&d, &s);
  being_claimed(&d, &s);
  eviction_steps(&d, &s);
  full_bucket(&d, &s);
  home_switch(&d, &s);
  table_size();
  mctop_drain_close(&d);
  mctop_interval_free(&s);
  return tap_done();
}
