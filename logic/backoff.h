/*
 * mctop: the clock, and when to try again after a failure.
 *
 * What failed (loading the BPF object, tracing a target, an error said in
 * the log) is tried again after a wait that starts at `first` and doubles
 * with every failure up to `max`, measured on the monotonic clock: a
 * lasting failure then costs one try (and one line) every few minutes, not
 * one every interval, and one that clears is noticed soon.
 */
#ifndef MCTOP_BACKOFF_H
#define MCTOP_BACKOFF_H

#include <stdbool.h>
#include <time.h>

/* A failed load or target is tried again after 10 s, doubling to 5 min:
 * debug symbols may be installed, a binary rebuilt, a capability given. */
#define MCTOP_RETRY_FIRST 10.0 /* seconds */
#define MCTOP_RETRY_MAX 300.0

/* Seconds on clock: CLOCK_MONOTONIC for waits, CLOCK_THREAD_CPUTIME_ID
 * for the CPU a thread used. */
double mctop_clock_seconds(clockid_t clock);

/* Seconds on the monotonic clock (what every wait here is measured on). */
double mctop_now(void);

/* One thing's back-off.  All zero (as calloc or memset leave it) is a
 * thing that has not failed: a try is due. */
typedef struct {
  double wait; /* seconds the last failure set; 0: not failing */
  double due;  /* monotonic seconds from which a try is due */
} mctop_backoff_t;

/* Whether a try is due at now. */
bool mctop_backoff_due(const mctop_backoff_t *b, double now);

/* A try failed at now: the next is due after first seconds, or after
 * twice the last wait, at most max.  Returns the wait. */
double mctop_backoff_failed(mctop_backoff_t *b, double now, double first,
                            double max);

/* Due again seconds after now, the wait left as it is (0: right away). */
void mctop_backoff_defer(mctop_backoff_t *b, double now, double seconds);

/* A try worked: the next failure waits first again. */
void mctop_backoff_reset(mctop_backoff_t *b);

#endif /* MCTOP_BACKOFF_H */
