/* Unit tests: streaming top-N keeps exactly the N best, best first. */
#include <stdlib.h>

#include "tap.h"
#include "topn.h"

/* Candidates are named by one letter; the id is the letter's code. */
static void offer(mctop_topn_t *t, const char *name, uint64_t score) {
  mctop_candidate_t c = {.score = score,
                         .id = (uint64_t)name[0] * 1000 + strlen(name),
                         .series = -1,
                         .delta = {[MCTOP_KEY_FIELD_MISSES] = score}};
  mctop_topn_offer(t, &c);
}

static char name_of(const mctop_candidate_t *c) { return (char)(c->id / 1000); }

static void keeps_the_best(void) {
  mctop_topn_t t;
  mctop_topn_init(&t, 3);
  const char *names[] = {"a", "b", "c", "d", "e", "f", "g"};
  uint64_t scores[] = {5, 1, 9, 0, 7, 3, 8};
  for (size_t i = 0; i < 7; i++)
    offer(&t, names[i], scores[i]);
  mctop_topn_sort(&t);
  CHECK_U64(3, t.len, "three kept");
  CHECK(t.items[0].score == 9 && name_of(&t.items[0]) == 'c', "first is c");
  CHECK(t.items[1].score == 8 && name_of(&t.items[1]) == 'g', "second g");
  CHECK(t.items[2].score == 7 && name_of(&t.items[2]) == 'e', "third e");
  CHECK_U64(9, t.items[0].delta[MCTOP_KEY_FIELD_MISSES],
            "figures travel with the key");
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

static void ties_break_by_id(void) {
  mctop_topn_t t;
  mctop_topn_init(&t, 2);
  offer(&t, "zz", 4);
  offer(&t, "ab", 4);
  offer(&t, "a", 4);
  mctop_topn_sort(&t);
  CHECK(t.len == 2 && t.items[0].id == 'a' * 1000 + 1 &&
            t.items[1].id == 'a' * 1000 + 2,
        "equal scores: smaller ids win, in order");
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
    scores[i] = (uint64_t)(rand() % 100000) + 1;
    mctop_candidate_t c = {.score = scores[i], .id = (uint64_t)i};
    mctop_topn_offer(&t, &c);
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
  ties_break_by_id();
  zero_capacity();
  matches_a_full_sort();
  return tap_done();
}
