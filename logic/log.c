/*
 * mctop: the log sink (see log.h).
 */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>

#include "escape.h"

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

/*
 * Every line is escaped whole before it leaves: a path, a section's text
 * or a name taken from a target can hold a newline (a forged second log
 * line) or terminal controls, and a call site that forgot to escape its
 * argument must not be enough to let them through.  Backslashes pass as
 * they are, so that a call site's own \xNN escapes are not doubled.
 */
void mctop_log(int level, const char *format, ...) {
  char msg[1024], safe[MCTOP_ESCAPED_SIZE(sizeof(msg))];
  va_list ap;
  va_start(ap, format);
  vsnprintf(msg, sizeof(msg), format, ap);
  va_end(ap);
  size_t w = 0;
  for (const char *p = msg; *p != '\0'; p++) {
    unsigned char c = (unsigned char)*p;
    if (c == '\\')
      safe[w++] = '\\'; /* already an escape, or a plain backslash */
    else
      w += mctop_escape(p, 1, safe + w, sizeof(safe) - w);
  }
  safe[w] = '\0';
  sink(level, safe, sink_ctx);
}
