/*
 * Unit-test stand-in for collectd's plugin_log: records the last message so
 * tests can check that a rejection names the option and the fix.
 */
#include "collectd.h"

#include "plugin.h"

#include <stdarg.h>
#include <stdio.h>

char stub_last_log[1024];
int stub_log_count;

void plugin_log(int level, const char *format, ...) {
  va_list ap;
  va_start(ap, format);
  vsnprintf(stub_last_log, sizeof(stub_last_log), format, ap);
  va_end(ap);
  stub_log_count++;
  printf("# log[%d]: %s\n", level, stub_last_log);
}
