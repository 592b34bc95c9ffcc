/*
 * Unit tests' log sink: records the last message so tests can check that a
 * rejection names the option and the fix.  Installed before main runs.
 */
#include <stdio.h>
#include <string.h>

#include "log.h"

char stub_last_log[1024];
int stub_log_count;

static void record(int level, const char *msg, void *ctx) {
  (void)ctx;
  snprintf(stub_last_log, sizeof(stub_last_log), "%s", msg);
  stub_log_count++;
  printf("# log[%d]: %s\n", level, stub_last_log);
}

__attribute__((constructor)) static void install(void) {
  mctop_log_set_sink(record, NULL);
}
