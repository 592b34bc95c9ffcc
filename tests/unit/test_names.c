/* Unit tests: the key names kept by slot (logic/names.c) against plain
 * copies, through bursts, evictions in arrival order and at random, a
 * change of key lengths, and emptying: every name reads back exactly, and
 * what is held stays within twice the live names and a few blocks. */
#include <stdlib.h>
#include <string.h>

#include "names.h"
#include "tap.h"

enum { N = 60000 };
static mctop_key_slot_t keys[N];
static uint8_t want[N][MCTOP_KEY_MAX];
static size_t want_len[N];

static size_t gen; /* makes each kept name differ from the slot's last */
static int grew_bounded = 1; /* every time a name took a block more */

static int bounded(const mctop_names_t *n);

static void keep(mctop_names_t *n, uint32_t slot, size_t len) {
  gen++;
  for (size_t i = 0; i < len; i++)
    want[slot][i] = (uint8_t)(slot * 7 + gen * 13 + i);
  want_len[slot] = len;
  size_t held = n->held;
  uint32_t spare = n->spare;
  if (!mctop_names_keep(n, slot, want[slot], len))
    want_len[slot] = 0;
  /* (or it made the spare, once) */
  if (n->held > held && spare == n->spare)
    grew_bounded &= bounded(n);
}

static void drop(mctop_names_t *n, uint32_t slot) {
  mctop_names_drop(n, slot);
  want_len[slot] = 0;
}

/* Every slot reads back what was kept, and the live count adds up. */
static int agrees(const mctop_names_t *n) {
  size_t live = 0;
  for (uint32_t s = 0; s < N; s++) {
    if (want_len[s] == 0) {
      if (keys[s].name != MCTOP_NAME_NONE)
        return 0;
      continue;
    }
    if (keys[s].name == MCTOP_NAME_NONE || keys[s].name_len != want_len[s] ||
        memcmp(mctop_names_get(n, &keys[s]), want[s], want_len[s]) != 0)
      return 0;
    live += 5 + want_len[s];
  }
  return live == n->live;
}

/* Held within twice the live bytes, the slack, and the blocks taken at
 * once and one more (the one a block's live names move to): whenever a
 * name takes more blocks (dropped names free no memory until names
 * arrive). */
static int bounded(const mctop_names_t *n) {
  return n->held * MCTOP_NAMES_BLOCK <=
         2 * n->live + (MCTOP_NAMES_SLACK + MCTOP_NAMES_CHUNK + 1) *
                           (size_t)MCTOP_NAMES_BLOCK;
}

static size_t rnd(size_t n) { return (size_t)rand() % n; }

int main(void) {
  mctop_names_t n;
  mctop_names_init(&n, keys, N);
  srand(5);
  CHECK(keys[0].name == MCTOP_NAME_NONE && keys[N - 1].name == MCTOP_NAME_NONE,
        "every slot starts unnamed");

  /* A burst: every slot named, short keys as a cache's usually are. */
  for (uint32_t s = 0; s < N; s++)
    keep(&n, s, 10 + rnd(14));
  CHECK(agrees(&n), "a burst of %d names reads back", N);
  CHECK(n.held * MCTOP_NAMES_BLOCK <= n.live + MCTOP_NAMES_BLOCK,
        "a burst fills its blocks (%zu held for %zu live bytes)", n.held,
        n.live);

  /* Evicted in arrival order, while as many new keys arrive: whole blocks
   * come free and are reused, nothing is moved. */
  size_t held = n.held;
  for (uint32_t s = 0; s < N; s++) {
    drop(&n, s);
    keep(&n, (s * 7919u) % N, 10 + rnd(14)); /* a slot just freed, or not */
  }
  CHECK(agrees(&n), "evictions in arrival order, names arriving");
  CHECK(n.held <= held + MCTOP_NAMES_SLACK && n.moved == 0,
        "emptied blocks are reused (%zu held, was %zu; %llu moved)", n.held,
        held, (unsigned long long)n.moved);

  /* Evictions at random, every other key: blocks half full, then new
   * names; too much held empties the emptiest blocks. */
  for (int round = 0; round < 6; round++) {
    for (uint32_t s = 0; s < N; s++)
      if (rnd(2) == 0)
        drop(&n, s);
    for (uint32_t s = 0; s < N; s++)
      if (keys[s].name == MCTOP_NAME_NONE && rnd(2) == 0)
        keep(&n, s, 1 + rnd(MCTOP_KEY_MAX));
  }
  CHECK(agrees(&n), "random evictions and names of any length read back");
  CHECK(n.moved > 0, "blocks were emptied by moving their names (%llu)",
        (unsigned long long)n.moved);
  CHECK(grew_bounded,
        "held grows only within twice the live bytes and a few blocks");

  /* Keys grow long: the short names' blocks are not kept for them. */
  for (uint32_t s = 0; s < N; s++) {
    drop(&n, s);
    keep(&n, s, 200 + rnd(51));
  }
  CHECK(agrees(&n) && grew_bounded, "every key renamed longer, still bounded");

  /* A slot renamed many times stays one name. */
  for (int i = 0; i < 100000; i++) {
    drop(&n, 7);
    keep(&n, 7, 1 + rnd(MCTOP_KEY_MAX));
  }
  CHECK(agrees(&n) && bounded(&n), "one slot renamed 100,000 times");

  /* Everything goes: the memory with it, but the slack. */
  for (uint32_t s = 0; s < N; s++)
    drop(&n, s);
  CHECK(n.live == 0 && agrees(&n), "all dropped");
  CHECK(n.chunk_blocks > 0 && n.held <= MCTOP_NAMES_SLACK + n.chunk_blocks,
        "held given back to %zu blocks and %zu in huge pages",
        n.held - n.chunk_blocks, n.chunk_blocks);
  CHECK(mctop_names_bytes(&n) >= n.held * MCTOP_NAMES_BLOCK,
        "the memory figure counts the blocks held");

  /* Refused: out of range, empty, too long; a slot without a name drops
   * nothing. */
  CHECK(!mctop_names_keep(&n, N, want[0], 3), "slot out of range");
  CHECK(!mctop_names_keep(&n, 0, want[0], 0), "empty name");
  CHECK(!mctop_names_keep(&n, 0, want[0], MCTOP_KEY_MAX + 1), "name too long");
  mctop_names_drop(&n, 0);
  mctop_names_drop(&n, N);
  CHECK(n.live == 0 && keys[0].name == MCTOP_NAME_NONE, "nothing to drop");

  mctop_names_free(&n);
  return tap_done();
}
