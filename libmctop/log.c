/*
 * mctop: the log sink (see log.h).
 */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>

static void to_stderr(int level, const char *msg, void *ctx) {
  (void)ctx;
  fprintf(stderr, "mctop: %s%s\n", level <= MCTOP_LOG_ERR ? "error: " : "",
          msg);
}

/* Set once by the front end before any instance runs, then only read. */
static mctop_log_sink_fn *sink = to_stderr;
static void *sink_ctx;

void mctop_log_set_sink(mctop_log_sink_fn *fn, void *ctx) {
  sink = fn != NULL ? fn : to_stderr;
  sink_ctx = fn != NULL ? ctx : NULL;
}

void mctop_log(int level, const char *format, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, format);
  vsnprintf(msg, sizeof(msg), format, ap);
  va_end(ap);
  sink(level, msg, sink_ctx);
}
