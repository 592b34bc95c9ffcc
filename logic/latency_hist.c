/*
 * mctop: percentiles from the kernel's latency histograms.
 */
#include "latency_hist.h"

#include <math.h>

#include "mctop.h"

void mctop_lat_bounds(size_t i, double *lo, double *hi) {
  if (i < MCTOP_LAT_SUB) {
    *lo = (double)i;
    *hi = (double)i + 1;
    return;
  }
  /* The inverse of mctop_lat_bucket(): i / SUB - 1 doublings of the
   * mantissa (SUB + i % SUB). */
  double scale = ldexp(1.0, (int)(i / MCTOP_LAT_SUB) - 1);
  *lo = (double)(MCTOP_LAT_SUB + i % MCTOP_LAT_SUB) * scale;
  *hi = *lo + scale;
}

uint64_t mctop_lat_diff(const uint64_t *cur, const uint64_t *prev,
                        uint64_t *out, size_t n) {
  uint64_t total = 0;
  for (size_t i = 0; i < n; i++) {
    out[i] = cur[i] >= prev[i] ? cur[i] - prev[i] : cur[i];
    total += out[i];
  }
  return total;
}

double mctop_lat_percentile(const uint64_t *h, size_t n, uint64_t total,
                            double p) {
  if (total == 0 || !(p > 0 && p <= 100))
    return NAN;
  uint64_t rank = (uint64_t)ceil(p / 100.0 * (double)total);
  if (rank < 1)
    rank = 1;
  if (rank > total)
    rank = total;
  uint64_t below = 0;
  for (size_t i = 0; i < n; i++) {
    if (h[i] == 0 || below + h[i] < rank) {
      below += h[i];
      continue;
    }
    double lo, hi;
    mctop_lat_bounds(i, &lo, &hi);
    double k = (double)(rank - below);
    return lo + (k - 0.5) / (double)h[i] * (hi - lo);
  }
  return NAN; /* total exceeds the histogram's sum: caller's error */
}
