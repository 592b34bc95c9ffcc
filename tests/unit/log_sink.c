/*
 * The unit tests' log sink (tests/unit/liblogsink.la, linked into every
 * unit test): mctop's log lines go to stdout as TAP comments, and the last
 * one is kept so a test can check that a rejection names the option and
 * the fix.  Installed by a constructor, before main runs.
 */
#include <stdio.h>

#include "log.h"
#include "log_sink.h"

char log_sink_last[LOG_SINK_LAST_SIZE];

static void record(int level, const char *msg, void *ctx) {
  (void)ctx;
  snprintf(log_sink_last, sizeof(log_sink_last), "%s", msg);
  printf("# log[%d]: %s\n", level, log_sink_last);
}

__attribute__((constructor)) static void install(void) {
  mctop_log_set_sink(record, NULL);
}
