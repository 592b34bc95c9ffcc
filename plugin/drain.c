/*
 * mctop plugin: draining the per-key map with batch lookups (one syscall per
 * MCTOP_DRAIN_CHUNK keys; get_next_key would cost one per key and is ~7x
 * slower at 100k keys).  Counters stay in the kernel: they are cumulative,
 * so nothing is deleted except idle keys when room is needed.
 */
#include "drain.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

_Static_assert(sizeof(struct mctop_totals) % sizeof(__u64) == 0,
               "totals are summed as an array of __u64");

int mctop_drain_init(mctop_drain_t *d) {
  memset(d, 0, sizeof(*d));
  d->ids = calloc(MCTOP_DRAIN_CHUNK, sizeof(*d->ids));
  d->vals = calloc(MCTOP_DRAIN_CHUNK, sizeof(*d->vals));
  if (d->ids == NULL || d->vals == NULL) {
    mctop_drain_free(d);
    return -ENOMEM;
  }
  return 0;
}

void mctop_drain_free(mctop_drain_t *d) {
  free(d->ids);
  free(d->vals);
  free(d->evict);
  memset(d, 0, sizeof(*d));
}

int mctop_read_totals(int map_fd, struct mctop_totals *sum) {
  int ncpu = libbpf_num_possible_cpus();
  if (ncpu <= 0)
    return ncpu < 0 ? ncpu : -EINVAL;
  struct mctop_totals *percpu = calloc((size_t)ncpu, sizeof(*percpu));
  if (percpu == NULL)
    return -ENOMEM;
  __u32 zero = 0;
  int err = bpf_map_lookup_elem(map_fd, &zero, percpu);
  if (err == 0) {
    __u64 *out = (__u64 *)sum;
    const size_t n = sizeof(*sum) / sizeof(__u64);
    memset(sum, 0, sizeof(*sum));
    for (int c = 0; c < ncpu; c++)
      for (size_t i = 0; i < n; i++)
        out[i] += ((const __u64 *)&percpu[c])[i];
  } else {
    err = -errno;
  }
  free(percpu);
  return err;
}

static uint64_t last_touched(const struct mctop_key_stats *s) {
  return s->rank[0].gen > s->rank[1].gen ? s->rank[0].gen : s->rank[1].gen;
}

static int remember_idle(mctop_drain_t *d, __u64 id) {
  if (d->evict_num == d->evict_cap) {
    size_t cap = d->evict_cap ? 2 * d->evict_cap : MCTOP_DRAIN_CHUNK;
    __u64 *e = realloc(d->evict, cap * sizeof(*e));
    if (e == NULL)
      return -ENOMEM;
    d->evict = e;
    d->evict_cap = cap;
  }
  d->evict[d->evict_num++] = id;
  return 0;
}

/* Reads a key's bytes for the series module (only for keys it sees first
 * and only when collapsing rules are configured). */
static int read_name(void *ctx, uint64_t id, struct mctop_key *out) {
  __u64 key = id;
  return bpf_map_lookup_elem(*(int *)ctx, &key, out) == 0 ? 0 : -1;
}

static void take_chunk(mctop_drain_t *d, size_t n, uint64_t gen, bool evict,
                       int names_fd, mctop_series_t *series) {
  for (size_t i = 0; i < n; i++) {
    mctop_series_take_key(series, d->ids[i], &d->vals[i], read_name, &names_fd);
    if (evict && last_touched(&d->vals[i]) + MCTOP_IDLE_GENERATIONS <= gen)
      remember_idle(d, d->ids[i]);
  }
}

static void delete_idle(mctop_drain_t *d, int keys_fd, int names_fd,
                        mctop_series_t *series, size_t *evicted) {
  for (size_t i = 0; i < d->evict_num; i++) {
    /* The name first: an event between the two deletes then finds the
     * counters still there and writes no name.  The other way round, it
     * re-created both, and the fresh name was deleted right after: that
     * key could never be named (dispatched) until evicted again. */
    bpf_map_delete_elem(names_fd, &d->evict[i]);
    if (bpf_map_delete_elem(keys_fd, &d->evict[i]) == 0)
      (*evicted)++;
    mctop_series_forget_key(series, d->evict[i]);
  }
  d->evict_num = 0;
}

int mctop_drain_keys(mctop_drain_t *d, int keys_fd, int names_fd, uint64_t gen,
                     bool evict, mctop_series_t *series,
                     mctop_drain_result_t *res) {
  __u32 in = 0, out = 0;
  void *cursor = NULL; /* NULL: start from the first bucket */

  memset(res, 0, sizeof(*res));
  d->evict_num = 0;
  for (;;) {
    __u32 n = MCTOP_DRAIN_CHUNK;
    int err =
        bpf_map_lookup_batch(keys_fd, cursor, &out, d->ids, d->vals, &n, NULL);
    int saved = errno;
    if (err != 0 && saved != ENOENT)
      return -saved;
    take_chunk(d, n, gen, evict, names_fd, series);
    res->tracked += n;
    if (err != 0) /* ENOENT: that was the last batch */
      break;
    in = out;
    cursor = &in;
  }
  delete_idle(d, keys_fd, names_fd, series, &res->evicted);
  return 0;
}
