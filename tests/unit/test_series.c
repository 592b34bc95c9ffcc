/* Unit tests: per-interval deltas, collapsing, top-N + "other" adding up to
 * the totals, and the MaxNewSeries budget. */
#include <math.h>
#include <stdlib.h>

#include "series.h"
#include "tap.h"

enum { CALLS = 0, MISSES = 7, TX = 9, FIELDS = MCTOP_KEY_FIELDS_NUM };

/* A tiny kernel: keys by id, with names, each with what it did this
 * interval (the counts drain.c takes), and the instance totals. */
#define NKEYS 8
static struct {
  uint64_t id;
  const char *name;
  mctop_key_interval_t iv;
  uint64_t lat_count, lat_ns;
  mctop_key_slot_t slot; /* user space's side */
} kern[NKEYS];
static int nkern;
static struct mctop_totals totals;

static bool names_fail; /* a name record not arrived yet */

static int key(const char *name) {
  for (int i = 0; i < nkern; i++)
    if (strcmp(kern[i].name, name) == 0)
      return i;
  static uint64_t next_id = 1000;
  memset(&kern[nkern], 0, sizeof(kern[nkern]));
  kern[nkern].id = next_id++;
  kern[nkern].name = name;
  kern[nkern].slot.series = MCTOP_SERIES_UNNAMED;
  return nkern++;
}

/* n gets of key (hits, 10 bytes each) this interval; unkeyed events (a full
 * table) only reach the totals. */
static void gets(const char *name, uint64_t n) {
  mctop_key_interval_t *iv = &kern[key(name)].iv;
  iv->count[MCTOP_KC_GETS] += n;
  iv->bytes[MCTOP_KB_TX] += 10 * n;
  totals.cmds[MCTOP_CMD_GET] += n;
  totals.tx_bytes += 10 * n;
}

static void unkeyed_gets(uint64_t n) {
  totals.cmds[MCTOP_CMD_GET] += n;
  totals.misses += n;
}

static void reset_kernel(void) {
  nkern = 0;
  memset(&totals, 0, sizeof(totals));
}

static double last_other_latency;

/* count commands of key timed at ns each, this interval. */
static void timed(const char *name, uint64_t count, uint64_t ns) {
  kern[key(name)].lat_count += count;
  kern[key(name)].lat_ns += count * ns;
}

static bool active(int i) {
  for (int c = 0; c < MCTOP_KC_NUM; c++)
    if (kern[i].iv.count[c])
      return true;
  return kern[i].iv.bytes[0] || kern[i].iv.bytes[1] || kern[i].lat_ns;
}

/* One interval as drain.c and instance.c run it; returns other's calls. */
static uint64_t interval(mctop_series_t *s, uint64_t sum_picked[FIELDS],
                         uint64_t other[FIELDS]) {
  mctop_series_begin(s, MCTOP_SORT_CALLS);
  for (int i = 0; i < nkern; i++)
    if (!names_fail)
      mctop_series_name_key(s, &kern[i].slot, (const uint8_t *)kern[i].name,
                            strlen(kern[i].name));
  for (int i = 0; i < nkern; i++) {
    if (active(i) || kern[i].slot.known)
      mctop_series_take_key(s, &kern[i].slot, kern[i].id, &kern[i].iv,
                            kern[i].lat_count, kern[i].lat_ns);
    memset(&kern[i].iv, 0, sizeof(kern[i].iv)); /* taken */
    kern[i].lat_count = kern[i].lat_ns = 0;
  }
  mctop_series_pick(s);
  memset(sum_picked, 0, FIELDS * sizeof(uint64_t));
  for (size_t i = 0; i < s->chosen_num; i++) {
    for (int f = 0; f < FIELDS; f++)
      sum_picked[f] += s->chosen[i]->delta[f];
    mctop_series_dispatched(s, s->chosen[i]);
  }
  mctop_series_end(s, &totals, other, &last_other_latency);
  return other[CALLS];
}

static const char *chosen_name(const mctop_series_t *s, size_t i) {
  const mctop_candidate_t *c = s->chosen[i];
  if (c->series >= 0)
    return s->coll[c->series].name;
  for (int k = 0; k < nkern; k++)
    if (kern[k].id == c->id)
      return kern[k].name;
  return "?";
}

static void free_names(mctop_series_t *s) {
  for (int i = 0; i < nkern; i++)
    mctop_series_forget_key(s, &kern[i].slot);
}

static void other_adds_up(void) {
  mctop_key_policy_t p;
  mctop_key_policy_init(&p);
  mctop_series_t s;
  mctop_series_init(&s, &p, 2);
  reset_kernel();
  uint64_t picked[FIELDS], other[FIELDS];

  gets("a", 10);
  gets("b", 5);
  gets("c", 1);
  unkeyed_gets(7);
  interval(&s, picked, other);
  CHECK_U64(2, s.chosen_num, "TopKeys 2: two picks");
  CHECK_STR("a", chosen_name(&s, 0), "busiest first");
  CHECK_STR("b", chosen_name(&s, 1), "then b");
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
  CHECK_STR("c", chosen_name(&s, 0), "c leads interval 2");
  CHECK_U64(50, s.chosen[0]->delta[CALLS], "c's delta is this interval's");
  uint64_t v[FIELDS];
  mctop_series_values(&s, s.chosen[0], v);
  CHECK_U64(50, v[CALLS],
            "c's cumulative count starts at its first dispatch (its 1 call "
            "of interval 1 was other's)");
  mctop_series_values(&s, s.chosen[1], v);
  CHECK_U64(13, v[CALLS], "a dispatches its cumulative count, 10 + 3");
  CHECK_U64(1, other[CALLS] - other_before, "only b's 1 call went to other");
  CHECK_U64(50 + 3 + 1, picked[CALLS] + other[CALLS] - other_before,
            "picks + other's growth = totals' growth, interval 2");

  /* A key evicted and re-admitted (a new slot) that was dispatched lately
   * keeps counting from where its series was. */
  mctop_series_forget_key(&s, &kern[key("a")].slot);
  gets("a", 2);
  interval(&s, picked, other);
  CHECK_U64(2, s.chosen[0]->delta[CALLS], "a re-admitted: delta 2");
  mctop_series_values(&s, s.chosen[0], v);
  CHECK_U64(15, v[CALLS], "a's series goes on: 13 + 2");
  /* c was sent in the interval before and is idle now: sent once more. */
  CHECK(s.chosen_num == 2 && strcmp(chosen_name(&s, 1), "c") == 0 &&
            s.chosen[1]->linger && s.chosen[1]->delta[CALLS] == 0,
        "an idle key sent last interval is sent once more, with no delta");
  uint64_t other_before_idle = other[CALLS];
  interval(&s, picked, other);
  CHECK(s.chosen_num == 1 && strcmp(chosen_name(&s, 0), "a") == 0 &&
            s.chosen[0]->linger,
        "next interval: a lingers once, c not again");
  CHECK_U64(other_before_idle, other[CALLS], "lingering adds nothing to other");
  interval(&s, picked, other);
  CHECK_U64(0, s.chosen_num, "all idle: nothing sent");
  gets("a", 1);
  gets("c", 4);
  interval(&s, picked, other);
  mctop_series_values(&s, s.chosen[0], v);
  CHECK(strcmp(chosen_name(&s, 0), "c") == 0 && v[CALLS] == 54,
        "back after idle intervals: c's cumulative count 50 + 4 (%llu)",
        (unsigned long long)v[CALLS]);
  free_names(&s);
  mctop_series_free(&s);
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
  mctop_series_t s;
  mctop_series_init(&s, &p, 1);
  reset_kernel();
  uint64_t picked[FIELDS], other[FIELDS];

  gets("user:1", 4);
  gets("user:2", 4);
  gets("hot", 6);
  interval(&s, picked, other);
  CHECK_U64(1, s.chosen_num, "one pick");
  CHECK_STR("user:*", chosen_name(&s, 0),
            "4 + 4 collapsed calls beat one key's 6");
  uint64_t v[FIELDS];
  mctop_series_values(&s, s.chosen[0], v);
  CHECK_U64(8, v[CALLS], "collapsed calls summed");
  CHECK(isnan(mctop_series_latency(&s, s.chosen[0])),
        "no command timed: no latency (NaN)");
  CHECK_U64(80, v[TX], "collapsed bytes summed");
  CHECK_U64(6, other[CALLS], "the key not picked is in other");

  /* A member goes away: the series keeps counting from where it was. */
  int gone = key("user:1");
  mctop_series_forget_key(&s, &kern[gone].slot);
  kern[gone] = kern[--nkern]; /* evicted from the kernel's table */
  gets("user:2", 5);
  gets("user:3", 5);
  interval(&s, picked, other);
  mctop_series_values(&s, s.chosen[0], v);
  CHECK_U64(18, v[CALLS], "cumulative across members leaving and joining");
  CHECK_U64(10, s.chosen[0]->delta[CALLS], "the interval's 10");

  /* Latency: a collapsed series' mean weighs its keys' commands. */
  gets("user:2", 1);
  gets("user:3", 1);
  gets("hot", 1);
  timed("user:2", 1, 1000);
  timed("user:3", 3, 3000);
  timed("hot", 2, 500);
  interval(&s, picked, other);
  CHECK(fabs(mctop_series_latency(&s, s.chosen[0]) - 10000e-9 / 4) < 1e-12,
        "collapsed mean = (1000 + 3 x 3000) ns / 4 commands (%g s)",
        mctop_series_latency(&s, s.chosen[0]));
  CHECK(fabs(last_other_latency - 500e-9) < 1e-12,
        "other's mean: the keys not picked (%g s)", last_other_latency);
  free_names(&s);
  mctop_series_free(&s);
  regfree(&rule.re);
}

/* A key whose name is not readable when it is first seen is never picked
 * under its own name: a rule might have collapsed it. */
static void unnamed_key_waits(void) {
  mctop_key_policy_t p;
  mctop_key_rule_t rule;
  one_rule(&p, &rule, "^sess:", "sess:*");
  mctop_series_t s;
  mctop_series_init(&s, &p, 10);
  reset_kernel();
  uint64_t picked[FIELDS], other[FIELDS];

  gets("sess:secret-token", 7);
  gets("plain", 2);
  names_fail = true;
  interval(&s, picked, other);
  names_fail = false;
  bool raw = false;
  for (size_t i = 0; i < s.chosen_num; i++)
    raw |= s.chosen[i]->series < 0 &&
           s.chosen[i]->id == kern[key("sess:secret-token")].id;
  CHECK(!raw, "a key not yet named is not picked under its own name");
  CHECK_U64(7 + 2, picked[CALLS] + other[CALLS],
            "its interval is in other: picks + other = the totals");
  gets("sess:secret-token", 3);
  interval(&s, picked, other);
  bool collapsed = false;
  for (size_t i = 0; i < s.chosen_num; i++)
    collapsed |= strcmp(chosen_name(&s, i), "sess:*") == 0 &&
                 s.chosen[i]->delta[CALLS] == 3;
  CHECK(collapsed, "named the next interval: counted in its rule's series "
                   "with that interval's 3 calls");
  free_names(&s);
  mctop_series_free(&s);
  regfree(&rule.re);
}

static void new_series_budget(void) {
  mctop_key_policy_t p;
  mctop_key_policy_init(&p);
  p.max_new_series = 1;
  mctop_series_t s;
  mctop_series_init(&s, &p, 3);
  reset_kernel();
  uint64_t picked[FIELDS], other[FIELDS];

  gets("k1", 30);
  gets("k2", 20);
  gets("k3", 10);
  interval(&s, picked, other);
  CHECK_U64(1, s.chosen_num, "MaxNewSeries 1: one new series per interval");
  CHECK_U64(2, s.dropped_new, "two refused");
  CHECK_U64(30, other[CALLS], "refused picks are counted in other");
  gets("k1", 30);
  gets("k2", 20);
  gets("k3", 10);
  interval(&s, picked, other);
  CHECK_U64(2, s.chosen_num, "k1 known, plus one new");
  CHECK_STR("k2", chosen_name(&s, 1), "the best new one");
  free_names(&s);
  mctop_series_free(&s);
}

int main(void) {
  other_adds_up();
  collapsed_series();
  unnamed_key_waits();
  new_series_budget();
  return tap_done();
}
