/* Unit tests: per-interval deltas, collapsing, top-N + "other" adding up to
 * the totals, and the MaxNewSeries budget: each interval one
 * mctop_interval_run over a key table in memory, read from its report. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "interval.h"
#include "tap.h"

enum {
  CALLS = MCTOP_KEY_FIELD_CALLS,
  MISSES = MCTOP_KEY_FIELD_MISSES,
  TX = MCTOP_KEY_FIELD_TX,
  FIELDS = MCTOP_KEY_FIELDS_NUM
};

/* A tiny kernel: the key table and its latency array, each key in a slot
 * of its own with its fingerprint, and the instance totals. */
#define NSLOTS 32
static struct mctop_slot table[NSLOTS];
static struct mctop_bucket buckets[NSLOTS / MCTOP_BUCKET_SLOTS];
static __u32 knocks[NSLOTS / MCTOP_BUCKET_SLOTS];
static struct mctop_slot_lat lat[NSLOTS];
static struct mctop_totals totals;
static mctop_drain_t drain;
static mctop_report_t report;

#define NKEYS 8
static struct {
  const char *name;
  uint64_t fp; /* its fingerprint: the same in any slot */
  size_t slot;
  bool name_due; /* its name record not sent yet */
} kern[NKEYS];
static int nkern;
static size_t next_slot;

static bool names_fail; /* name records are not arriving */

static uint64_t next_fp = 1001; /* odd, as the kernel's are */

/* The kernel's claim of slot i for a key (fp), or its state. */
static void place(size_t i, uint64_t fp) {
  table[i].fp = fp;
  table[i].named = 1;
  buckets[i / MCTOP_BUCKET_SLOTS].tag[i % MCTOP_BUCKET_SLOTS] =
      mctop_key_tag(fp);
}

static void kill(size_t i) {
  buckets[i / MCTOP_BUCKET_SLOTS].tag[i % MCTOP_BUCKET_SLOTS] = MCTOP_TAG_DEAD;
}

/* The next slot the table's layout leaves free (drain.c closes and
 * reserves some). */
static size_t free_slot(void) {
  while (buckets[next_slot / MCTOP_BUCKET_SLOTS]
             .tag[next_slot % MCTOP_BUCKET_SLOTS] != MCTOP_TAG_FREE)
    next_slot++;
  return next_slot++;
}

static int key(const char *name) {
  for (int i = 0; i < nkern; i++)
    if (strcmp(kern[i].name, name) == 0)
      return i;
  kern[nkern].name = name;
  kern[nkern].fp = next_fp += 2;
  kern[nkern].slot = free_slot();
  kern[nkern].name_due = true;
  place(kern[nkern].slot, kern[nkern].fp);
  return nkern++;
}

static struct mctop_slot *slot_of(const char *name) {
  return &table[kern[key(name)].slot];
}

/* n gets of key (hits, 10 bytes each) this interval; unkeyed events (a full
 * table) only reach the totals. */
static void gets(const char *name, uint64_t n) {
  struct mctop_slot *sl = slot_of(name);
  sl->count[MCTOP_KC_GETS] += (__u32)n;
  sl->bytes[MCTOP_KB_TX] += 10 * n;
  totals.cmds[MCTOP_CMD_GET] += n;
  totals.tx_bytes += 10 * n;
}

static void unkeyed_gets(uint64_t n) {
  totals.cmds[MCTOP_CMD_GET] += n;
  totals.misses += n;
}

/* The kernel evicts key and re-admits it in a new slot: the old one goes
 * dead (its name leaves with it), the new one is named again. */
static void readmit(const char *name) {
  int i = key(name);
  kill(kern[i].slot);
  kern[i].slot = free_slot();
  kern[i].name_due = true;
  place(kern[i].slot, kern[i].fp);
}

/* The kernel evicts key for good. */
static void evict(const char *name) {
  int i = key(name);
  kill(kern[i].slot);
  kern[i] = kern[--nkern];
}

static void reset_kernel(void) {
  nkern = 0;
  next_slot = 0;
  memset(table, 0, sizeof(table));
  memset(buckets, 0, sizeof(buckets));
  memset(knocks, 0, sizeof(knocks));
  memset(lat, 0, sizeof(lat));
  memset(&totals, 0, sizeof(totals));
  mctop_drain_close(&drain);
  mctop_drain_use(&drain, &(mctop_table_t){.slots = table,
                                           .buckets = buckets,
                                           .knocks = knocks,
                                           .lat = lat,
                                           .nslots = NSLOTS,
                                           .max_keys = NSLOTS - 4});
}

/* count commands of key timed at ns each, this interval. */
static void timed(const char *name, uint64_t count, uint64_t ns) {
  struct mctop_slot_lat *l = &lat[kern[key(name)].slot];
  l->count += count;
  l->ns += count * ns;
}

/* One interval as the engine runs it; returns other's calls. */
static uint64_t interval(mctop_interval_t *s, uint64_t sum_picked[FIELDS],
                         uint64_t other[FIELDS]) {
  for (int i = 0; i < nkern; i++)
    if (kern[i].name_due && !names_fail) {
      mctop_drain_put_name(&drain, (uint32_t)kern[i].slot,
                           (const uint8_t *)kern[i].name, strlen(kern[i].name));
      kern[i].name_due = false;
    }
  mctop_interval_run(s, &drain, &totals, MCTOP_SORT_CALLS, &report);
  /* A key the interval asked to name again sends its name again. */
  for (int i = 0; i < nkern; i++)
    if (!table[kern[i].slot].named && !kern[i].name_due) {
      table[kern[i].slot].named = 1;
      kern[i].name_due = true;
    }
  memset(sum_picked, 0, FIELDS * sizeof(uint64_t));
  for (size_t i = 0; i < report.picks_num; i++)
    for (int f = 0; f < FIELDS; f++)
      sum_picked[f] += report.picks[i].interval[f];
  memcpy(other, report.other, FIELDS * sizeof(uint64_t));
  return other[CALLS];
}

static const char *pick_name(size_t i) {
  return i < report.picks_num ? report.picks[i].name : "?";
}

static uint64_t pick_calls(size_t i) {
  return i < report.picks_num ? report.picks[i].interval[CALLS] : 0;
}

static uint64_t pick_total(size_t i) {
  return i < report.picks_num ? report.picks[i].values[CALLS] : 0;
}

static mctop_interval_t *start(mctop_interval_t *s, const mctop_key_policy_t *p,
                               unsigned top_keys) {
  reset_kernel();
  if (mctop_interval_init(s, p, top_keys, NSLOTS) != 0)
    exit(printf("Bail out! out of memory\n") > 0);
  return s;
}

static void other_adds_up(void) {
  mctop_key_policy_t p;
  mctop_key_policy_init(&p);
  mctop_interval_t s;
  start(&s, &p, 2);
  uint64_t picked[FIELDS], other[FIELDS];

  gets("a", 10);
  gets("b", 5);
  gets("c", 1);
  unkeyed_gets(7);
  interval(&s, picked, other);
  CHECK_U64(2, report.picks_num, "TopKeys 2: two picks");
  CHECK_STR("a", pick_name(0), "busiest first");
  CHECK_STR("b", pick_name(1), "then b");
  CHECK_U64(1 + 7, other[CALLS], "other = c's 1 + 7 unkeyed calls");
  CHECK_U64(7, other[MISSES], "the unkeyed misses are other's");
  CHECK_U64(10, other[TX], "c's bytes are other's");
  CHECK_U64(totals.cmds[MCTOP_CMD_GET], picked[CALLS] + other[CALLS],
            "picks + other = totals, interval 1");

  /* Interval 2: c becomes the hottest; a and b keep their history. */
  gets("c", 50);
  gets("a", 3);
  gets("b", 1);
  uint64_t other_before = other[CALLS];
  interval(&s, picked, other);
  CHECK_STR("c", pick_name(0), "c leads interval 2");
  CHECK_U64(50, pick_calls(0), "c's delta is this interval's");
  CHECK_U64(50, pick_total(0),
            "c's cumulative count starts at its first dispatch (its 1 call "
            "of interval 1 was other's)");
  CHECK_U64(13, pick_total(1), "a dispatches its cumulative count, 10 + 3");
  CHECK_U64(1, other[CALLS] - other_before, "only b's 1 call went to other");
  CHECK_U64(50 + 3 + 1, picked[CALLS] + other[CALLS] - other_before,
            "picks + other's growth = totals' growth, interval 2");

  /* A key evicted and re-admitted (a new slot) that was dispatched lately
   * keeps counting from where its series was. */
  readmit("a");
  gets("a", 2);
  interval(&s, picked, other);
  CHECK_U64(2, pick_calls(0), "a re-admitted: delta 2");
  CHECK_U64(15, pick_total(0), "a's series goes on: 13 + 2");
  /* c was sent in the interval before and is idle now: sent once more. */
  CHECK(report.picks_num == 2 && strcmp(pick_name(1), "c") == 0 &&
            pick_calls(1) == 0,
        "an idle key sent last interval is sent once more, with no delta");
  uint64_t other_before_idle = other[CALLS];
  interval(&s, picked, other);
  CHECK(report.picks_num == 1 && strcmp(pick_name(0), "a") == 0 &&
            pick_calls(0) == 0,
        "next interval: a lingers once, c not again");
  CHECK_U64(other_before_idle, other[CALLS], "lingering adds nothing to other");
  interval(&s, picked, other);
  CHECK_U64(0, report.picks_num, "all idle: nothing sent");
  gets("a", 1);
  gets("c", 4);
  interval(&s, picked, other);
  CHECK(strcmp(pick_name(0), "c") == 0 && pick_total(0) == 54,
        "back after idle intervals: c's cumulative count 50 + 4 (%llu)",
        (unsigned long long)pick_total(0));
  mctop_interval_free(&s);
}

/* A policy of one KeyPattern rule: keys matching re are series name. */
static void one_rule(mctop_key_policy_t *p, mctop_key_rule_t *rule,
                     const char *re, const char *name) {
  mctop_key_policy_init(p);
  memset(rule, 0, sizeof(*rule));
  regcomp(&rule->re, re, REG_EXTENDED | REG_NOSUB);
  snprintf(rule->name, sizeof(rule->name), "%s", name);
  p->rules = rule;
  p->rules_num = 1;
}

static void collapsed_series(void) {
  mctop_key_policy_t p;
  mctop_key_rule_t rule;
  one_rule(&p, &rule, "^user:[0-9]+$", "user:*");
  mctop_interval_t s;
  start(&s, &p, 1);
  uint64_t picked[FIELDS], other[FIELDS];

  gets("user:1", 4);
  gets("user:2", 4);
  gets("hot", 6);
  interval(&s, picked, other);
  CHECK_U64(1, report.picks_num, "one pick");
  CHECK_STR("user:*", pick_name(0), "4 + 4 collapsed calls beat one key's 6");
  CHECK_U64(8, pick_total(0), "collapsed calls summed");
  CHECK(isnan(report.picks[0].latency), "no command timed: no latency (NaN)");
  CHECK_U64(80, report.picks[0].values[TX], "collapsed bytes summed");
  CHECK_U64(6, other[CALLS], "the key not picked is in other");

  /* A member goes away: the series keeps counting from where it was. */
  evict("user:1");
  gets("user:2", 5);
  gets("user:3", 5);
  interval(&s, picked, other);
  CHECK_U64(18, pick_total(0), "cumulative across members leaving and joining");
  CHECK_U64(10, pick_calls(0), "the interval's 10");

  /* Latency: a collapsed series' mean weighs its keys' commands. */
  gets("user:2", 1);
  gets("user:3", 1);
  gets("hot", 1);
  timed("user:2", 1, 1000);
  timed("user:3", 3, 3000);
  timed("hot", 2, 500);
  interval(&s, picked, other);
  CHECK(fabs(report.picks[0].latency - 10000e-9 / 4) < 1e-12,
        "collapsed mean = (1000 + 3 x 3000) ns / 4 commands (%g s)",
        report.picks[0].latency);
  CHECK(fabs(report.other_latency - 500e-9) < 1e-12,
        "other's mean: the keys not picked (%g s)", report.other_latency);
  mctop_interval_free(&s);
  regfree(&rule.re);
}

/* A key whose name is not readable when it is first seen is never picked
 * under its own name: a rule might have collapsed it. */
static void unnamed_key_waits(void) {
  mctop_key_policy_t p;
  mctop_key_rule_t rule;
  one_rule(&p, &rule, "^sess:", "sess:*");
  mctop_interval_t s;
  start(&s, &p, 10);
  uint64_t picked[FIELDS], other[FIELDS];

  gets("sess:secret-token", 7);
  gets("plain", 2);
  names_fail = true;
  interval(&s, picked, other);
  names_fail = false;
  bool raw = false;
  for (size_t i = 0; i < report.picks_num; i++)
    raw |= strcmp(pick_name(i), "sess:secret-token") == 0;
  CHECK(!raw, "a key not yet named is not picked under its own name");
  CHECK_U64(7 + 2, picked[CALLS] + other[CALLS],
            "its interval is in other: picks + other = the totals");
  gets("sess:secret-token", 3);
  interval(&s, picked, other);
  bool collapsed = false;
  for (size_t i = 0; i < report.picks_num; i++)
    collapsed |= strcmp(pick_name(i), "sess:*") == 0 && pick_calls(i) == 3;
  CHECK(collapsed, "named the next interval: counted in its rule's series "
                   "with that interval's 3 calls");
  mctop_interval_free(&s);
  regfree(&rule.re);
}

static void new_series_budget(void) {
  mctop_key_policy_t p;
  mctop_key_policy_init(&p);
  p.max_new_series = 1;
  mctop_interval_t s;
  start(&s, &p, 3);
  uint64_t picked[FIELDS], other[FIELDS];

  gets("k1", 30);
  gets("k2", 20);
  gets("k3", 10);
  interval(&s, picked, other);
  CHECK_U64(1, report.picks_num, "MaxNewSeries 1: one new series per interval");
  CHECK_U64(2, report.new_series_refused, "two refused");
  CHECK_U64(30, other[CALLS], "refused picks are counted in other");
  gets("k1", 30);
  gets("k2", 20);
  gets("k3", 10);
  interval(&s, picked, other);
  CHECK_U64(2, report.picks_num, "k1 known, plus one new");
  CHECK_STR("k2", pick_name(1), "the best new one");
  mctop_interval_free(&s);
}

int main(void) {
  other_adds_up();
  collapsed_series();
  unnamed_key_waits();
  new_series_budget();
  mctop_drain_close(&drain);
  return tap_done();
}
