/*
 * The bench tools link mctop's attach code outside collectd: its log lines
 * go to stderr.
 */
#include "collectd.h"

#include "plugin.h"

#include <stdarg.h>
#include <stdio.h>

void plugin_log(int level, const char *format, ...) {
  va_list ap;
  va_start(ap, format);
  fprintf(stderr, "[%d] ", level);
  vfprintf(stderr, format, ap);
  fputc('\n', stderr);
  va_end(ap);
}
