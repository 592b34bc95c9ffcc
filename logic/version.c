/*
 * mctop: finding memcached's version string in its binary.
 */
/* memmem */
#define _GNU_SOURCE

#include "version.h"

#include <ctype.h>
#include <string.h>

/* Copies a "N.N.N" version that starts at v and ends at a NUL (the end of a
 * C string in .rodata); returns its length, 0 if v holds none. */
static size_t version_at(const char *v, const char *end, char *out,
                         size_t out_size) {
  size_t n = 0, dots = 0;
  while (v + n < end && n + 1 < out_size &&
         (isdigit((unsigned char)v[n]) || v[n] == '.')) {
    dots += v[n] == '.';
    n++;
  }
  for (size_t i = 1; i < n; i++)
    if (v[i] == '.' && v[i - 1] == '.')
      return 0; /* "1..23": not a version (found by fuzz_version) */
  if (n < 5 || dots != 2 || !isdigit((unsigned char)v[0]) ||
      !isdigit((unsigned char)v[n - 1]) || (v + n < end && v[n] != '\0'))
    return 0;
  memcpy(out, v, n);
  out[n] = '\0';
  return n;
}

void mctop_find_version(const char *data, size_t len, char *out,
                        size_t out_size) {
  static const char tag[] = "memcached ";
  const char *end = data + len;
  out[0] = '\0';
  for (const char *p = data;
       (p = memmem(p, (size_t)(end - p), tag, sizeof(tag) - 1)) != NULL;) {
    p += sizeof(tag) - 1;
    if (version_at(p, end, out, out_size) > 0)
      return;
  }
}

bool mctop_version_listed(const char *list, const char *version) {
  size_t n = strlen(version);
  for (const char *p = list; *p != '\0';) {
    const char *end = strstr(p, ", ");
    size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
    if (len == n && memcmp(p, version, n) == 0)
      return true;
    if (end == NULL)
      break;
    p = end + 2;
  }
  return false;
}
