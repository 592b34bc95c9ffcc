/*
 * libFuzzer target: mctop_find_version() (logic/version.c), which scans a
 * memcached binary's bytes for "memcached N.N.N\0".
 *
 * Input: the first byte chooses out_size (1..40), the rest is the data.
 * Any broken invariant calls abort().
 */
#define _GNU_SOURCE /* memmem */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "version.h"

#define OUT_SIZE_MAX 40

static void fail(const char *what, const char *out, size_t out_size) {
  fprintf(stderr, "fuzz_version: %s (out_size %zu, out \"%.*s\")\n", what,
          out_size, (int)out_size, out);
  abort();
}

/* digits '.' digits '.' digits, each run non-empty, nothing else. */
static bool is_version(const char *s) {
  for (int part = 0; part < 3; part++) {
    if (!(*s >= '0' && *s <= '9'))
      return false;
    while (*s >= '0' && *s <= '9')
      s++;
    if (part < 2 && *s++ != '.')
      return false;
  }
  return *s == '\0';
}

/* The version must come from the data: "memcached <v>" followed by a NUL or
 * by the end of the data. */
static bool found_in(const char *data, size_t len, const char *v) {
  char needle[sizeof("memcached ") + OUT_SIZE_MAX];
  int n = snprintf(needle, sizeof(needle), "memcached %s", v);
  const char *end = data + len;
  for (const char *p = data;
       (p = memmem(p, (size_t)(end - p), needle, (size_t)n)) != NULL; p++) {
    if (p + n == end || p[n] == '\0')
      return true;
  }
  return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0)
    return 0;
  size_t out_size = (size_t)data[0] % OUT_SIZE_MAX + 1;
  size_t len = size - 1;
  /* Exact-size heap copies so ASan reports any read or write past either. */
  char *buf = malloc(len ? len : 1), *out = malloc(out_size);
  if (buf == NULL || out == NULL)
    abort();
  memcpy(buf, data + 1, len);
  memset(out, 'X', out_size);
  mctop_find_version(buf, len, out, out_size);
  if (memchr(out, '\0', out_size) == NULL)
    fail("out is not NUL-terminated within out_size", out, out_size);
  if (out[0] != '\0' && !is_version(out))
    fail("out is neither \"\" nor digits.digits.digits", out, out_size);
  if (out[0] != '\0' && !found_in(buf, len, out))
    fail("out is not a \"memcached N.N.N\" string of the data", out, out_size);
  free(buf);
  free(out);
  return 0;
}
