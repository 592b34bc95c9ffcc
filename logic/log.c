/*
 * mctop: the log sink (see log.h).
 */
#include "log.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

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
 * suffix (ours, never a target's) is appended to the formatted line.
 */
__attribute__((format(printf, 3, 0))) static void
vlog(int level, const char *suffix, const char *format, va_list ap) {
  char msg[1024], safe[MCTOP_ESCAPED_SIZE(sizeof(msg))];
  int n = vsnprintf(msg, sizeof(msg), format, ap);
  /* A line cut short keeps its suffix: the count is the point of it. */
  size_t room = sizeof(msg) - 1 - strlen(suffix);
  size_t len = n < 0 ? 0 : (size_t)n < room ? (size_t)n : room;
  snprintf(msg + len, sizeof(msg) - len, "%s", suffix);
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

void mctop_log(int level, const char *format, ...) {
  va_list ap;
  va_start(ap, format);
  vlog(level, "", format, ap);
  va_end(ap);
}

/* " (N times since)": how often it happened since the line last said. */
static void times_since(unsigned long times, char *buf, size_t size) {
  snprintf(buf, size, " (%lu time%s since)", times, times == 1 ? "" : "s");
}

__attribute__((format(printf, 4, 0))) static void
vcomplain(mctop_complaint_t *c, double now, int level, const char *format,
          va_list ap) {
  bool first = c->quiet.wait == 0;
  c->times++;
  if (!first && !mctop_backoff_due(&c->quiet, now))
    return;
  char suffix[64] = "";
  if (!first)
    times_since(c->times, suffix, sizeof(suffix));
  vlog(level, suffix, format, ap);
  c->times = 0;
  mctop_backoff_failed(&c->quiet, now, MCTOP_COMPLAIN_FIRST,
                       MCTOP_COMPLAIN_MAX);
}

void mctop_complain(mctop_complaint_t *c, int level, const char *format, ...) {
  va_list ap;
  va_start(ap, format);
  vcomplain(c, mctop_now(), level, format, ap);
  va_end(ap);
}

void mctop_complain_at(mctop_complaint_t *c, double now, int level,
                       const char *format, ...) {
  va_list ap;
  va_start(ap, format);
  vcomplain(c, now, level, format, ap);
  va_end(ap);
}

void mctop_release(mctop_complaint_t *c, int level, const char *format, ...) {
  if (c->quiet.wait == 0)
    return; /* never complained: nothing to take back */
  char suffix[64] = "";
  if (c->times > 0)
    times_since(c->times, suffix, sizeof(suffix));
  va_list ap;
  va_start(ap, format);
  vlog(level, suffix, format, ap);
  va_end(ap);
  c->times = 0;
  mctop_backoff_reset(&c->quiet);
}
