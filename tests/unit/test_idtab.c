/* Unit tests: the id -> payload table against a plain array, through
 * growth, removals (backward shifts), sweeps and shrinking. */
#include <stdlib.h>

#include "idtab.h"
#include "tap.h"

enum { N = 20000 };
static uint64_t ids[N];
static int present[N];

/* Every id is found exactly when present, with its own payload. */
static int agrees(const mctop_idtab_t *t) {
  size_t live = 0;
  for (int i = 0; i < N; i++) {
    const uint64_t *p = mctop_idtab_get(t, ids[i]);
    if ((p != NULL) != present[i] || (p != NULL && *p != ids[i] * 3))
      return 0;
    live += present[i];
  }
  return live == t->len;
}

int main(void) {
  mctop_idtab_t t;
  mctop_idtab_init(&t, sizeof(uint64_t));
  srand(11);
  for (int i = 0; i < N; i++) {
    /* Small integers and clustered values: bad hashes on purpose. */
    ids[i] = i % 3 ? (uint64_t)i : ((uint64_t)rand() << 32 | (uint64_t)i);
    uint64_t *p = mctop_idtab_put(&t, ids[i], 1 + (uint32_t)(i % 4));
    *p = ids[i] * 3;
    present[i] = 1;
  }
  CHECK(agrees(&t), "20,000 ids inserted through growth");
  CHECK(t.len * 4 <= t.cap * 3, "load stays <= 75%% (%zu / %zu)", t.len, t.cap);
  for (int i = 0; i < N; i += 2) {
    mctop_idtab_remove(&t, ids[i]);
    present[i] = 0;
  }
  CHECK(agrees(&t), "half removed: the rest still found (backward shift)");
  mctop_idtab_remove(&t, 0xdeadbeefULL);
  CHECK(agrees(&t), "removing an absent id changes nothing");
  size_t cap = t.cap;
  /* Stamps 1..4 by i % 4; odd i survive the removals: stamps 2 and 4. */
  mctop_idtab_sweep(&t, 3);
  for (int i = 0; i < N; i++)
    present[i] = present[i] && 1 + i % 4 >= 3;
  CHECK(agrees(&t), "sweep drops entries stamped before 3");
  CHECK(t.cap < cap, "a mostly empty table shrinks (%zu -> %zu)", cap, t.cap);
  size_t len = t.len;
  uint64_t *p = mctop_idtab_put(&t, ids[3], 9);
  CHECK(t.len == len && present[3] && p != NULL && *p == ids[3] * 3,
        "put of a present id finds it");
  mctop_idtab_free(&t);
  return tap_done();
}
