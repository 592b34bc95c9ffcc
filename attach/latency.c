/*
 * mctop: the per-command latency figures.
 */
#include "latency.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "key_fields.h"
#include "latency_hist.h"
#include "log.h"

int mctop_latency_init(mctop_latency_t *l) {
  memset(l, 0, sizeof(*l));
  l->ncpu = libbpf_num_possible_cpus();
  if (l->ncpu <= 0)
    return l->ncpu < 0 ? l->ncpu : -EINVAL;
  l->percpu = calloc((size_t)l->ncpu, sizeof(*l->percpu));
  return l->percpu ? 0 : -ENOMEM;
}

void mctop_latency_free(mctop_latency_t *l) {
  free(l->percpu);
  memset(l, 0, sizeof(*l));
}

void mctop_latency_series(char *buf, size_t size, unsigned slot, double p) {
  const char *cmd = mctop_cmd_name(slot);
  if (p >= 100)
    snprintf(buf, size, "%s-max", cmd);
  else
    snprintf(buf, size, "%s-p%g", cmd, p);
}

/* Sums slot's per-CPU histograms into sum. */
static int read_slot(mctop_latency_t *l, int map_fd, __u32 slot,
                     uint64_t *sum) {
  if (bpf_map_lookup_elem(map_fd, &slot, l->percpu) != 0)
    return -errno;
  memset(sum, 0, MCTOP_LAT_BUCKETS * sizeof(*sum));
  for (int c = 0; c < l->ncpu; c++)
    for (size_t b = 0; b < MCTOP_LAT_BUCKETS; b++)
      sum[b] += l->percpu[c].bucket[b];
  return 0;
}

int mctop_latency_read(mctop_latency_t *l, int map_fd, const double *pcts,
                       size_t n, mctop_latency_interval_t *out) {
  uint64_t cur[MCTOP_LAT_BUCKETS], interval[MCTOP_LAT_BUCKETS];
  memset(out, 0, sizeof(*out));
  for (__u32 slot = 0; slot < MCTOP_LAT_SLOTS; slot++) {
    int err = read_slot(l, map_fd, slot, cur);
    if (err != 0)
      return err;
    uint64_t total =
        mctop_lat_diff(cur, l->prev[slot], interval, MCTOP_LAT_BUCKETS);
    memcpy(l->prev[slot], cur, sizeof(cur));
    out->count[slot] = total;
    for (size_t i = 0; total > 0 && i < n && i < MCTOP_PERCENTILES_MAX; i++)
      out->seconds[slot][i] =
          mctop_lat_percentile(interval, MCTOP_LAT_BUCKETS, total, pcts[i]) /
          1e9;
  }
  return 0;
}

void mctop_latency_check_target(const char *instance, const mctop_target_t *t) {
  if (t->symbols) {
    MCTOP_NOTICE("instance \"%s\": memcached %s at %s is traced through its "
                 "functions (no USDT probes): no latency figures, which need "
                 "process__command__start/end",
                 instance, t->version, t->path);
    return;
  }
  const char *v = t->version[0] ? t->version : "(version unknown)";
  if (t->timed == MCTOP_TIMED_NONE)
    MCTOP_NOTICE("instance \"%s\": memcached %s at %s has no "
                 "process__command__start/end probes: no latency figures",
                 instance, v, t->path);
  else if (t->timed == MCTOP_TIMED_BINARY)
    MCTOP_NOTICE("instance \"%s\": memcached %s at %s fires "
                 "process__command__start for the binary protocol only "
                 "(removed from text and meta commands upstream in 1.6.40): "
                 "latency covers binary-protocol commands only. "
                 "contrib/memcached-1.6.45-command-probes.patch restores it",
                 instance, v, t->path);
}
