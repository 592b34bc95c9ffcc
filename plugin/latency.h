/*
 * mctop plugin: the per-command latency series.  Each interval reads the
 * kernel's cumulative histograms (map "latency"), takes the difference from
 * the previous interval and dispatches the configured percentiles.
 */
#ifndef MCTOP_LATENCY_H
#define MCTOP_LATENCY_H

#include <stddef.h>
#include <stdint.h>

#include "mctop.h"
#include "target.h"

typedef struct {
  uint64_t prev[MCTOP_LAT_SLOTS][MCTOP_LAT_BUCKETS]; /* cumulative, summed */
  struct mctop_lat_hist *percpu;                     /* read buffer */
  int ncpu;
} mctop_latency_t;

int mctop_latency_init(mctop_latency_t *l);
void mctop_latency_free(mctop_latency_t *l);

/*
 * Dispatches, for every command type with latencies in this interval, the
 * percentiles pcts[0..n) as type "latency" (seconds), type_instance
 * "<command>-p<P>" ("get-p99"), or "<command>-max" for 100.
 */
int mctop_latency_submit(mctop_latency_t *l, int map_fd, const char *instance,
                         const double *pcts, size_t n);

/* Says once, per traced binary, where its probes leave commands untimed
 * (memcached 1.6.40+ fires process__command__start for binary only). */
void mctop_latency_check_target(const char *instance, const mctop_target_t *t);

/* The type_instance for command slot `slot` and percentile p. */
void mctop_latency_series(char *buf, size_t size, unsigned slot, double p);

#endif /* MCTOP_LATENCY_H */
