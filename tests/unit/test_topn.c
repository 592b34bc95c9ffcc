/* Unit tests: streaming top-N keeps exactly the N best, best first. */
#include <stdlib.h>

#include "tap.h"
#include "topn.h"

static struct mctop_key key(const char *s) {
  struct mctop_key k;
  memset(&k, 0, sizeof(k));
  k.len = (uint16_t)strlen(s);
  memcpy(k.data, s, k.len);
  return k;
}

static void offer(mctop_topn_t *t, const char *name, uint64_t score) {
  struct mctop_key k = key(name);
  struct mctop_key_stats s = {.hits = score};
  mctop_topn_offer(t, score, &k, &s);
}

static void keeps_the_best(void) {
  mctop_topn_t t;
  mctop_topn_init(&t, 3);
  const char *names[] = {"a", "b", "c", "d", "e", "f", "g"};
  uint64_t scores[] = {5, 1, 9, 0, 7, 3, 8};
  for (size_t i = 0; i < 7; i++)
    offer(&t, names[i], scores[i]);
  mctop_topn_sort(&t);
  CHECK_U64(3, t.len, "three kept");
  CHECK(t.items[0].score == 9 && t.items[0].key.data[0] == 'c', "first is c");
  CHECK(t.items[1].score == 8 && t.items[1].key.data[0] == 'g', "second g");
  CHECK(t.items[2].score == 7 && t.items[2].key.data[0] == 'e', "third e");
  CHECK_U64(9, t.items[0].stats.hits, "stats travel with the key");
  mctop_topn_free(&t);
}

static void zero_scores_are_dropped(void) {
  mctop_topn_t t;
  mctop_topn_init(&t, 5);
  offer(&t, "idle", 0);
  offer(&t, "busy", 2);
  mctop_topn_sort(&t);
  CHECK_U64(1, t.len, "idle key not ranked");
  mctop_topn_free(&t);
}

static void ties_break_by_key(void) {
  mctop_topn_t t;
  mctop_topn_init(&t, 2);
  offer(&t, "zz", 4);
  offer(&t, "ab", 4);
  offer(&t, "a", 4);
  mctop_topn_sort(&t);
  CHECK(t.len == 2 && t.items[0].key.len == 1 && t.items[1].key.len == 2 &&
            memcmp(t.items[1].key.data, "ab", 2) == 0,
        "equal scores: smaller keys win, in order");
  mctop_topn_free(&t);
}

static void zero_capacity(void) {
  mctop_topn_t t;
  CHECK(mctop_topn_init(&t, 0) == 0, "TopKeys 0 is allowed");
  offer(&t, "x", 10);
  CHECK_U64(0, t.len, "nothing kept");
  mctop_topn_free(&t);
}

static void matches_a_full_sort(void) {
  enum { N = 5000, K = 20 };
  static uint64_t scores[N];
  mctop_topn_t t;
  mctop_topn_init(&t, K);
  srand(7);
  for (int i = 0; i < N; i++) {
    char name[16];
    scores[i] = (uint64_t)(rand() % 100000) + 1;
    snprintf(name, sizeof(name), "k%d", i);
    offer(&t, name, scores[i]);
  }
  mctop_topn_sort(&t);
  /* The K-th best score by counting. */
  int ok = t.len == K;
  for (size_t i = 0; ok && i < t.len; i++) {
    size_t better = 0;
    for (int j = 0; j < N; j++)
      better += scores[j] > t.items[i].score;
    ok = better <= i && (i == 0 || t.items[i - 1].score >= t.items[i].score);
  }
  CHECK(ok, "top %d of %d random scores match a full ranking", K, N);
  mctop_topn_free(&t);
}

int main(void) {
  keeps_the_best();
  zero_scores_are_dropped();
  ties_break_by_key();
  zero_capacity();
  matches_a_full_sort();
  return tap_done();
}
