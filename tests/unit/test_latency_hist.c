/*
 * Unit tests: the latency bucket layout (bpf/mctop.h) and percentiles from
 * histograms with known contents (logic/latency_hist.c).
 */
#include <math.h>
#include <string.h>

#include "latency_hist.h"
#include "mctop.h"
#include "tap.h"

static int near(double want, double got) {
  return fabs(want - got) <= 1e-9 * fabs(want) + 1e-12;
}

/* Every value lands in a bucket whose bounds hold it; buckets tile the line
 * with no gap, and none is wider than a quarter of its lower bound. */
static void buckets_tile(void) {
  int bad = 0;
  for (uint64_t v = 0; v < 100000; v += 1 + v / 50) {
    double lo, hi;
    mctop_lat_bounds(mctop_lat_bucket(v), &lo, &hi);
    bad += !((double)v >= lo && (double)v < hi);
  }
  CHECK(bad == 0, "values 0..1e5 fall inside their bucket (%d do not)", bad);
  bad = 0;
  for (size_t i = 1; i < MCTOP_LAT_BUCKETS; i++) {
    double lo0, hi0, lo, hi;
    mctop_lat_bounds(i - 1, &lo0, &hi0);
    mctop_lat_bounds(i, &lo, &hi);
    bad += hi0 != lo || (i >= MCTOP_LAT_SUB && hi - lo > lo / 4);
  }
  CHECK(bad == 0, "buckets are contiguous and at most 25%% wide");
  CHECK_U64(0, mctop_lat_bucket(0), "0 ns: bucket 0");
  CHECK_U64(4, mctop_lat_bucket(4), "4 ns: bucket 4");
  CHECK_U64(8, mctop_lat_bucket(8), "8 ns: bucket 8");
  CHECK_U64(9, mctop_lat_bucket(11), "11 ns: bucket 9 [10, 12)");
  /* 9,000 ns: log2 13, mantissa 9000 >> 11 = 4 -> 4 * 12 + 0 */
  CHECK_U64(48, mctop_lat_bucket(9000), "9 us: bucket 48 [8192, 10240)");
  CHECK_U64(MCTOP_LAT_BUCKETS - 1, mctop_lat_bucket(~0ULL),
            "2^64 - 1 ns: the last bucket");
  double lo, hi;
  mctop_lat_bounds(MCTOP_LAT_BUCKETS - 1, &lo, &hi);
  CHECK(near(ldexp(1, 41), hi), "the buckets reach 2^41 ns (%g)", hi);
}

static void percentiles_of_one_bucket(void) {
  uint64_t h[MCTOP_LAT_BUCKETS] = {0};
  h[48] = 10; /* ten latencies in [8192, 10240) */
  /* p50: rank 5 of 10 -> 8192 + 4.5 / 10 * 2048 */
  CHECK(near(8192 + 0.45 * 2048,
             mctop_lat_percentile(h, MCTOP_LAT_BUCKETS, 10, 50)),
        "p50 interpolated inside the bucket");
  CHECK(near(8192 + 0.95 * 2048,
             mctop_lat_percentile(h, MCTOP_LAT_BUCKETS, 10, 100)),
        "max: the last sample of the top bucket");
  CHECK(near(8192 + 0.05 * 2048,
             mctop_lat_percentile(h, MCTOP_LAT_BUCKETS, 10, 0.001)),
        "a tiny percentile is the first sample");
}

/* 90 fast (bucket of 1 us) and 10 slow (bucket of 1 ms) commands. */
static void percentiles_of_two_classes(void) {
  uint64_t h[MCTOP_LAT_BUCKETS] = {0};
  size_t fast = mctop_lat_bucket(1000), slow = mctop_lat_bucket(1000000);
  h[fast] = 90;
  h[slow] = 10;
  double flo, fhi, slo, shi;
  mctop_lat_bounds(fast, &flo, &fhi);
  mctop_lat_bounds(slow, &slo, &shi);
  double p50 = mctop_lat_percentile(h, MCTOP_LAT_BUCKETS, 100, 50);
  double p90 = mctop_lat_percentile(h, MCTOP_LAT_BUCKETS, 100, 90);
  double p91 = mctop_lat_percentile(h, MCTOP_LAT_BUCKETS, 100, 91);
  double p99 = mctop_lat_percentile(h, MCTOP_LAT_BUCKETS, 100, 99);
  CHECK(p50 >= flo && p50 < fhi, "p50 is fast (%g)", p50);
  CHECK(p90 >= flo && p90 < fhi, "p90 is the 90th, still fast (%g)", p90);
  CHECK(p91 >= slo && p91 < shi, "p91 is slow (%g)", p91);
  CHECK(near(slo + 0.85 * (shi - slo), p99), "p99: 9th of 10 slow (%g)", p99);
  CHECK(fabs(p99 - 1e6) / 1e6 < 0.25, "p99 within 25%% of 1 ms (%g)", p99);
}

static void empty_and_bad_input(void) {
  uint64_t h[MCTOP_LAT_BUCKETS] = {0};
  CHECK(isnan(mctop_lat_percentile(h, MCTOP_LAT_BUCKETS, 0, 50)),
        "no latency: NaN, not zero");
  h[3] = 1;
  CHECK(isnan(mctop_lat_percentile(h, MCTOP_LAT_BUCKETS, 1, 0)),
        "p0 is rejected");
  CHECK(isnan(mctop_lat_percentile(h, MCTOP_LAT_BUCKETS, 1, 101)),
        "p101 is rejected");
}

static void interval_from_cumulative(void) {
  uint64_t prev[4] = {5, 0, 7, 9}, cur[4] = {8, 2, 7, 4}, out[4];
  uint64_t n = mctop_lat_diff(cur, prev, out, 4);
  CHECK(out[0] == 3 && out[1] == 2 && out[2] == 0,
        "the interval is cur - prev");
  CHECK_U64(4, out[3], "a counter that went down restarted: cur counts");
  CHECK_U64(9, n, "the interval's total");
}

int main(void) {
  buckets_tile();
  percentiles_of_one_bucket();
  percentiles_of_two_classes();
  empty_and_bad_input();
  interval_from_cumulative();
  return tap_done();
}
