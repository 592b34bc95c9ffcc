/*
 * mctop: logging through a sink the front end sets.
 *
 * The core (logic/ and attach/: loading, attaching, draining, naming)
 * logs through these macros and knows nothing of where the lines go: the
 * collectd plugin hands them to collectd's log with the "mctop plugin: "
 * prefix operators grep for, the command prints them on stderr.  Levels
 * are syslog's, as collectd's are.
 */
#ifndef MCTOP_LOG_H
#define MCTOP_LOG_H

#include "backoff.h"

enum {
  MCTOP_LOG_ERR = 3,
  MCTOP_LOG_WARNING = 4,
  MCTOP_LOG_NOTICE = 5,
  MCTOP_LOG_INFO = 6,
};

/* Gets each formatted line (no newline) and the ctx it was set with. */
typedef void mctop_log_sink_fn(int level, const char *msg, void *ctx);

/* Sets where lines go; NULL restores the default, stderr. */
void mctop_log_set_sink(mctop_log_sink_fn *sink, void *ctx);

void mctop_log(int level, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

#define MCTOP_ERROR(...) mctop_log(MCTOP_LOG_ERR, __VA_ARGS__)
#define MCTOP_WARNING(...) mctop_log(MCTOP_LOG_WARNING, __VA_ARGS__)
#define MCTOP_NOTICE(...) mctop_log(MCTOP_LOG_NOTICE, __VA_ARGS__)
#define MCTOP_INFO(...) mctop_log(MCTOP_LOG_INFO, __VA_ARGS__)

/*
 * An error that can happen again every interval (reading a BPF map), said
 * the way collectd's c_complain says one: the first time, then at most
 * once per wait, the wait doubling from MCTOP_COMPLAIN_FIRST to
 * MCTOP_COMPLAIN_MAX, each repeat ending in "(N times since)", N counting
 * this time too; once it works again, mctop_release says so (with the
 * times not yet said).  One per error site and instance, used by one
 * thread at a time; all zero (as calloc or memset leave it) is a site
 * that has not complained.
 */
#define MCTOP_COMPLAIN_FIRST 60.0 /* seconds */
#define MCTOP_COMPLAIN_MAX 3600.0

typedef struct {
  mctop_backoff_t quiet; /* when the line may be said again */
  unsigned long times;   /* times it happened since it was last said */
} mctop_complaint_t;

void mctop_complain(mctop_complaint_t *c, int level, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

/* As mctop_complain, at now (monotonic seconds): for tests and for callers
 * that have read the clock already. */
void mctop_complain_at(mctop_complaint_t *c, double now, int level,
                       const char *format, ...)
    __attribute__((format(printf, 4, 5)));

/* The error stopped: says format (e.g. "... works again") if c
 * complained, and starts c afresh; says nothing if it did not. */
void mctop_release(mctop_complaint_t *c, int level, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

#endif /* MCTOP_LOG_H */
