/*
 * mctop: the clock, and when to try again after a failure (see backoff.h).
 */
#include "backoff.h"

double mctop_clock_seconds(clockid_t clock) {
  struct timespec t;
  clock_gettime(clock, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

double mctop_now(void) { return mctop_clock_seconds(CLOCK_MONOTONIC); }

bool mctop_backoff_due(const mctop_backoff_t *b, double now) {
  return now >= b->due;
}

double mctop_backoff_failed(mctop_backoff_t *b, double now, double first,
                            double max) {
  b->wait = b->wait > 0 ? 2 * b->wait : first;
  if (b->wait > max)
    b->wait = max;
  b->due = now + b->wait;
  return b->wait;
}

void mctop_backoff_defer(mctop_backoff_t *b, double now, double seconds) {
  b->due = now + seconds;
}

void mctop_backoff_reset(mctop_backoff_t *b) {
  b->wait = 0;
  b->due = 0;
}
