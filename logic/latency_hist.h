/*
 * mctop: percentiles from the kernel's latency histograms (bucket
 * layout in bpf/mctop.h).  Pure arithmetic, unit-tested against known
 * inputs.
 */
#ifndef MCTOP_LATENCY_HIST_H
#define MCTOP_LATENCY_HIST_H

#include <stddef.h>
#include <stdint.h>

/* The most percentiles one interval works out (LatencyPercentiles). */
#define MCTOP_PERCENTILES_MAX 16

/* Bucket i holds latencies in [*lo, *hi) nanoseconds. */
void mctop_lat_bounds(size_t i, double *lo, double *hi);

/*
 * out = cur - prev bucket by bucket: one interval out of two cumulative
 * histograms.  A bucket that went down means the counters restarted (the
 * BPF object was reloaded): cur is then the interval's.  Returns the
 * number of latencies in out.
 */
uint64_t mctop_lat_diff(const uint64_t *cur, const uint64_t *prev,
                        uint64_t *out, size_t n);

/*
 * The p-th percentile (0 < p <= 100) of the n-bucket histogram h holding
 * total latencies, in nanoseconds; NaN if total is 0.  The nearest-rank
 * sample, r = ceil(p / 100 * total), is placed by linear interpolation
 * inside its bucket: the k-th of the c samples in [lo, hi) is taken at
 * lo + (k - 0.5) / c * (hi - lo).  So p100 (the maximum) lies inside the
 * highest non-empty bucket, within 25% of the true value like every
 * percentile.
 */
double mctop_lat_percentile(const uint64_t *h, size_t n, uint64_t total,
                            double p);

#endif /* MCTOP_LATENCY_HIST_H */
