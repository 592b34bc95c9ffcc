/* Unit tests: the clock and the back-off (logic/backoff.c). */
#include "backoff.h"
#include "tap.h"

static void doubling(void) {
  mctop_backoff_t b = {0};
  double t = 1000;
  CHECK(mctop_backoff_due(&b, t), "a thing that never failed is due");
  double want[] = {10, 20, 40, 80, 160, 300, 300};
  for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
    double wait =
        mctop_backoff_failed(&b, t, MCTOP_RETRY_FIRST, MCTOP_RETRY_MAX);
    CHECK(wait == want[i], "failure %zu waits %.0f s (got %.0f)", i + 1,
          want[i], wait);
    CHECK(!mctop_backoff_due(&b, t + wait - 0.001) &&
              mctop_backoff_due(&b, t + wait),
          "and is due again %.0f s after it, not before", want[i]);
    t += wait;
  }
  mctop_backoff_reset(&b);
  CHECK(mctop_backoff_due(&b, t), "reset: due");
  CHECK(mctop_backoff_failed(&b, t, MCTOP_RETRY_FIRST, MCTOP_RETRY_MAX) == 10,
        "reset: the next failure waits the first wait again");
}

static void other_bounds(void) {
  mctop_backoff_t b = {0};
  CHECK(mctop_backoff_failed(&b, 0, 60, 3600) == 60, "first 60 s");
  for (int i = 0; i < 10; i++)
    mctop_backoff_failed(&b, 0, 60, 3600);
  CHECK(b.wait == 3600, "capped at max (got %.0f)", b.wait);
  mctop_backoff_t odd = {0};
  CHECK(mctop_backoff_failed(&odd, 0, 500, 300) == 300,
        "a first wait above max is cut to max");
}

static void deferred(void) {
  mctop_backoff_t b = {0};
  mctop_backoff_failed(&b, 100, MCTOP_RETRY_FIRST, MCTOP_RETRY_MAX);
  mctop_backoff_failed(&b, 110, MCTOP_RETRY_FIRST, MCTOP_RETRY_MAX);
  mctop_backoff_defer(&b, 130, MCTOP_RETRY_MAX);
  CHECK(!mctop_backoff_due(&b, 429) && mctop_backoff_due(&b, 430),
        "deferred: due the given seconds later");
  CHECK(mctop_backoff_failed(&b, 430, MCTOP_RETRY_FIRST, MCTOP_RETRY_MAX) == 40,
        "deferring leaves the doubling where it was");
  mctop_backoff_defer(&b, 500, 0);
  CHECK(mctop_backoff_due(&b, 500), "deferred by 0: due right away");
}

static void clock_reads(void) {
  double a = mctop_now(), b = mctop_now();
  CHECK(a > 0 && b >= a, "the monotonic clock reads and never goes back");
  double m = mctop_clock_seconds(CLOCK_MONOTONIC);
  CHECK(m >= b && m - b < 60, "mctop_now is CLOCK_MONOTONIC");
  CHECK(mctop_clock_seconds(CLOCK_THREAD_CPUTIME_ID) >= 0,
        "a thread's CPU clock reads");
}

int main(void) {
  doubling();
  other_bounds();
  deferred();
  clock_reads();
  return tap_done();
}
