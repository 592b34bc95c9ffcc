/*
 * mctop: the per-command latency figures.  Each interval reads the
 * kernel's cumulative histograms (map "latency"), takes the difference from
 * the previous interval and works out the configured percentiles.
 */
#ifndef MCTOP_LATENCY_H
#define MCTOP_LATENCY_H

#include <stddef.h>
#include <stdint.h>

#include "latency_hist.h"
#include "mctop.h"
#include "target.h"

typedef struct {
  uint64_t prev[MCTOP_LAT_SLOTS][MCTOP_LAT_BUCKETS]; /* cumulative, summed */
  struct mctop_lat_hist *percpu;                     /* read buffer */
  int ncpu;
} mctop_latency_t;

int mctop_latency_init(mctop_latency_t *l);
void mctop_latency_free(mctop_latency_t *l);

/* One interval's latencies per command type (slot): how many commands
 * were timed, and the configured percentiles, in seconds, where any was. */
typedef struct {
  uint64_t count[MCTOP_LAT_SLOTS];
  double seconds[MCTOP_LAT_SLOTS][MCTOP_PERCENTILES_MAX];
} mctop_latency_interval_t;

/* Reads the kernel's cumulative histograms and works out the interval's
 * percentiles pcts[0..n) per command type. */
int mctop_latency_read(mctop_latency_t *l, int map_fd, const double *pcts,
                       size_t n, mctop_latency_interval_t *out);

/* Says once, per traced binary, where its probes leave commands untimed
 * (memcached 1.6.40+ fires process__command__start for binary only). */
void mctop_latency_check_target(const char *instance, const mctop_target_t *t);

/* The type_instance for command slot `slot` and percentile p. */
void mctop_latency_series(char *buf, size_t size, unsigned slot, double p);

#endif /* MCTOP_LATENCY_H */
