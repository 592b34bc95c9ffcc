/*
 * mctop: error numbers as text (see errors.h).
 */
#include "errors.h"

#include <stdio.h>
#include <string.h>

const char *mctop_strerror(int err, char *buf, size_t size) {
  if (size == 0)
    return "";
#if defined(__GLIBC__) && defined(_GNU_SOURCE)
  /* GNU's strerror_r: returns its text, which may not be buf. */
  return strerror_r(err, buf, size);
#else
  if (strerror_r(err, buf, size) != 0)
    snprintf(buf, size, "error %d", err);
  return buf;
#endif
}
