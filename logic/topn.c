/*
 * mctop: top-N by a bounded min-heap.  The root is the worst
 * candidate kept, so a better one replaces it in O(log N).
 */
#include "topn.h"

#include <stdlib.h>
#include <string.h>

/* True if a ranks below b. */
static int worse(const mctop_candidate_t *a, const mctop_candidate_t *b) {
  if (a->score != b->score)
    return a->score < b->score;
  return a->id > b->id;
}

static void swap(mctop_candidate_t *a, mctop_candidate_t *b) {
  mctop_candidate_t tmp = *a;
  *a = *b;
  *b = tmp;
}

static void sift_down(mctop_candidate_t *h, size_t len, size_t i) {
  for (;;) {
    size_t l = 2 * i + 1, r = l + 1, m = i;
    if (l < len && worse(&h[l], &h[m]))
      m = l;
    if (r < len && worse(&h[r], &h[m]))
      m = r;
    if (m == i)
      return;
    swap(&h[i], &h[m]);
    i = m;
  }
}

static void sift_up(mctop_candidate_t *h, size_t i) {
  while (i > 0) {
    size_t p = (i - 1) / 2;
    if (!worse(&h[i], &h[p]))
      return;
    swap(&h[i], &h[p]);
    i = p;
  }
}

int mctop_topn_init(mctop_topn_t *t, size_t cap) {
  memset(t, 0, sizeof(*t));
  if (cap == 0)
    return 0;
  t->items = calloc(cap, sizeof(*t->items));
  if (t->items == NULL)
    return -1;
  t->cap = cap;
  return 0;
}

void mctop_topn_free(mctop_topn_t *t) {
  free(t->items);
  memset(t, 0, sizeof(*t));
}

void mctop_topn_reset(mctop_topn_t *t) { t->len = 0; }

void mctop_topn_offer(mctop_topn_t *t, const mctop_candidate_t *c) {
  if ((c->score == 0 && !c->linger) || t->cap == 0)
    return;
  if (t->len < t->cap) {
    t->items[t->len] = *c;
    sift_up(t->items, t->len++);
  } else if (worse(&t->items[0], c)) {
    t->items[0] = *c;
    sift_down(t->items, t->len, 0);
  }
}

bool mctop_topn_would_keep(const mctop_topn_t *t, uint64_t score, uint64_t id,
                           bool linger) {
  if ((score == 0 && !linger) || t->cap == 0)
    return false;
  if (t->len < t->cap)
    return true;
  mctop_candidate_t c = {.score = score, .id = id, .linger = linger};
  return worse(&t->items[0], &c);
}

void mctop_topn_sort(mctop_topn_t *t) {
  /* Heap sort: repeatedly move the worst to the end, so the array ends up
   * best first. */
  for (size_t n = t->len; n > 1; n--) {
    swap(&t->items[0], &t->items[n - 1]);
    sift_down(t->items, n - 1, 0);
  }
}
