/*
 * mctop: logging through a sink the front end sets.
 *
 * The core (loading, attaching, draining, naming) logs through these macros
 * and knows nothing of where the lines go: the collectd plugin hands them
 * to collectd's log with the "mctop plugin: " prefix operators grep for,
 * a command prints them on stderr.  Levels are syslog's, as collectd's are.
 */
#ifndef MCTOP_LOG_H
#define MCTOP_LOG_H

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

#endif /* MCTOP_LOG_H */
