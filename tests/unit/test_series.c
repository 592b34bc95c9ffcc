/* Unit tests: per-interval deltas, collapsing, top-N + "other" adding up to
 * the totals, and the MaxNewSeries budget. */
#include <math.h>
#include <stdlib.h>

#include "series.h"
#include "tap.h"

enum { CALLS = 0, MISSES = 7, TX = 9, FIELDS = MCTOP_KEY_FIELDS_NUM };

/* A tiny kernel: keys by id, with names, and the instance totals. */
#define NKEYS 8
static struct {
  uint64_t id;
  const char *name;
  struct mctop_key_stats st;
} kern[NKEYS];
static int nkern;
static struct mctop_totals totals;

static bool names_fail; /* a name not readable yet */

static int names(void *ctx, uint64_t id, struct mctop_key *out) {
  (void)ctx;
  if (names_fail)
    return -1;
  for (int i = 0; i < nkern; i++) {
    if (kern[i].id == id) {
      out->len = (uint32_t)strlen(kern[i].name);
      memcpy(out->data, kern[i].name, out->len);
      return 0;
    }
  }
  return -1;
}

static int key(const char *name) {
  for (int i = 0; i < nkern; i++)
    if (strcmp(kern[i].name, name) == 0)
      return i;
  static uint64_t next_id = 1000;
  kern[nkern].id = next_id++;
  kern[nkern].name = name;
  memset(&kern[nkern].st, 0, sizeof(kern[nkern].st));
  return nkern++;
}

/* n gets of key (hits, 10 bytes each) in generation gen; unkeyed events
 * (a full map) only reach the totals. */
static void gets(const char *name, uint64_t n, uint64_t gen) {
  struct mctop_key_stats *s = &kern[key(name)].st;
  s->cmds[MCTOP_CMD_GET] += n;
  s->tx_bytes += 10 * n;
  struct mctop_rank *r = &s->rank[gen & 1];
  if (r->gen != gen) {
    r->gen = gen;
    r->score = 0;
  }
  r->score += n;
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

/* count commands of key timed at ns each, in generation gen's slot (gets
 * made it current). */
static void timed(const char *name, uint64_t count, uint64_t ns, uint64_t gen) {
  struct mctop_rank *r = &kern[key(name)].st.rank[gen & 1];
  r->lat_count += count;
  r->lat_ns += count * ns;
}

/* One interval as instance.c runs it; returns other's calls. */
static uint64_t interval(mctop_series_t *s, uint64_t gen,
                         uint64_t sum_picked[FIELDS], uint64_t other[FIELDS]) {
  mctop_series_begin(s, gen, MCTOP_SORT_CALLS);
  for (int i = 0; i < nkern; i++)
    mctop_series_take_key(s, kern[i].id, &kern[i].st, names, NULL);
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

static void other_adds_up(void) {
  mctop_key_policy_t p;
  mctop_key_policy_init(&p);
  mctop_series_t s;
  mctop_series_init(&s, &p, 2);
  reset_kernel();
  uint64_t picked[FIELDS], other[FIELDS];

  gets("a", 10, 0);
  gets("b", 5, 0);
  gets("c", 1, 0);
  unkeyed_gets(7);
  interval(&s, 0, picked, other);
  CHECK_U64(2, s.chosen_num, "TopKeys 2: two picks");
  CHECK_STR("a", chosen_name(&s, 0), "busiest first");
  CHECK_STR("b", chosen_name(&s, 1), "then b");
  CHECK_U64(1 + 7, other[CALLS], "other = c's 1 + 7 unkeyed calls");
  CHECK_U64(7, other[MISSES], "the unkeyed misses are other's");
  CHECK_U64(10, other[TX], "c's bytes are other's");
  CHECK_U64(totals.cmds[MCTOP_CMD_GET], picked[CALLS] + other[CALLS],
            "picks + other = totals, interval 1");

  /* Interval 2: c becomes the hottest; a and b keep their history. */
  gets("c", 50, 1);
  gets("a", 3, 1);
  gets("b", 1, 1);
  uint64_t other_before = other[CALLS];
  interval(&s, 1, picked, other);
  CHECK_STR("c", chosen_name(&s, 0), "c leads interval 2");
  CHECK_U64(50, s.chosen[0]->delta[CALLS], "c's delta is this interval's");
  CHECK_U64(51, s.chosen[0]->stats.cmds[MCTOP_CMD_GET],
            "c dispatches its cumulative count");
  CHECK_U64(1, other[CALLS] - other_before, "only b's 1 call went to other");
  CHECK_U64(50 + 3 + 1, picked[CALLS] + other[CALLS] - other_before,
            "picks + other's growth = totals' growth, interval 2");

  /* A key deleted and re-created restarts from zero: no negative delta. */
  mctop_series_forget_key(&s, kern[key("a")].id);
  memset(&kern[key("a")].st, 0, sizeof(kern[0].st));
  gets("a", 2, 2);
  interval(&s, 2, picked, other);
  CHECK_U64(2, s.chosen[0]->delta[CALLS],
            "a re-created: delta 2, not negative");
  /* c was sent in the interval before and is idle now: sent once more. */
  CHECK(s.chosen_num == 2 && strcmp(chosen_name(&s, 1), "c") == 0 &&
            s.chosen[1]->linger && s.chosen[1]->delta[CALLS] == 0,
        "an idle key sent last interval is sent once more, with no delta");
  uint64_t other_before_idle = other[CALLS];
  interval(&s, 3, picked, other);
  CHECK(s.chosen_num == 1 && strcmp(chosen_name(&s, 0), "a") == 0 &&
            s.chosen[0]->linger,
        "next interval: a lingers once, c not again");
  CHECK_U64(other_before_idle, other[CALLS], "lingering adds nothing to other");
  interval(&s, 4, picked, other);
  CHECK_U64(0, s.chosen_num, "all idle: nothing sent");
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

  gets("user:1", 4, 0);
  gets("user:2", 4, 0);
  gets("hot", 6, 0);
  interval(&s, 0, picked, other);
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
  mctop_series_forget_key(&s, kern[gone].id);
  kern[gone] = kern[--nkern]; /* deleted from the kernel's maps */
  gets("user:2", 5, 1);
  gets("user:3", 5, 1);
  interval(&s, 1, picked, other);
  mctop_series_values(&s, s.chosen[0], v);
  CHECK_U64(18, v[CALLS], "cumulative across members leaving and joining");
  CHECK_U64(10, s.chosen[0]->delta[CALLS], "the interval's 10");

  /* Latency: a collapsed series' mean weighs its keys' commands. */
  gets("user:2", 1, 2);
  gets("user:3", 1, 2);
  gets("hot", 1, 2);
  timed("user:2", 1, 1000, 2);
  timed("user:3", 3, 3000, 2);
  timed("hot", 2, 500, 2);
  interval(&s, 2, picked, other);
  CHECK(fabs(mctop_series_latency(&s, s.chosen[0]) - 10000e-9 / 4) < 1e-12,
        "collapsed mean = (1000 + 3 x 3000) ns / 4 commands (%g s)",
        mctop_series_latency(&s, s.chosen[0]));
  CHECK(fabs(last_other_latency - 500e-9) < 1e-12,
        "other's mean: the keys not picked (%g s)", last_other_latency);
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

  gets("sess:secret-token", 7, 0);
  gets("plain", 2, 0);
  names_fail = true;
  interval(&s, 0, picked, other);
  names_fail = false;
  bool raw = false;
  for (size_t i = 0; i < s.chosen_num; i++)
    raw |= s.chosen[i]->series < 0 &&
           s.chosen[i]->id == kern[key("sess:secret-token")].id;
  CHECK(!raw, "a key not yet named is not picked under its own name");
  CHECK_U64(7 + 2, picked[CALLS] + other[CALLS],
            "its interval is in other: picks + other = the totals");
  gets("sess:secret-token", 3, 1);
  interval(&s, 1, picked, other);
  bool collapsed = false;
  for (size_t i = 0; i < s.chosen_num; i++)
    collapsed |= strcmp(chosen_name(&s, i), "sess:*") == 0 &&
                 s.chosen[i]->delta[CALLS] == 3;
  CHECK(collapsed, "named the next interval: counted in its rule's series "
                   "with that interval's 3 calls");
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

  gets("k1", 30, 0);
  gets("k2", 20, 0);
  gets("k3", 10, 0);
  interval(&s, 0, picked, other);
  CHECK_U64(1, s.chosen_num, "MaxNewSeries 1: one new series per interval");
  CHECK_U64(2, s.dropped_new, "two refused");
  CHECK_U64(30, other[CALLS], "refused picks are counted in other");
  gets("k1", 30, 1);
  gets("k2", 20, 1);
  gets("k3", 10, 1);
  interval(&s, 1, picked, other);
  CHECK_U64(2, s.chosen_num, "k1 known, plus one new");
  CHECK_STR("k2", chosen_name(&s, 1), "the best new one");
  mctop_series_free(&s);
}

int main(void) {
  other_adds_up();
  collapsed_series();
  unnamed_key_waits();
  new_series_budget();
  return tap_done();
}
