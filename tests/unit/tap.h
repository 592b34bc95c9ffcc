/*
 * Minimal TAP for the unit tests, in the manner of collectd's testing.h:
 * each check prints "ok N - what" or "not ok N - what", and the program's
 * exit status says whether all passed (a run with no check fails).
 */
#ifndef MCTOP_TAP_H
#define MCTOP_TAP_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static int tap_count;
static int tap_failed;

#define CHECK(cond, ...)                                                       \
  do {                                                                         \
    int ok__ = (cond);                                                         \
    printf("%s %d - ", ok__ ? "ok" : "not ok", ++tap_count);                   \
    printf(__VA_ARGS__);                                                       \
    printf("\n");                                                              \
    if (!ok__) {                                                               \
      tap_failed++;                                                            \
      printf("#   failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__);           \
    }                                                                          \
  } while (0)

#define CHECK_STR(want, got, ...)                                              \
  do {                                                                         \
    const char *w__ = (want), *g__ = (got);                                    \
    CHECK(strcmp(w__, g__) == 0, __VA_ARGS__);                                 \
    if (strcmp(w__, g__) != 0)                                                 \
      printf("#   want \"%s\"\n#   got  \"%s\"\n", w__, g__);                  \
  } while (0)

#define CHECK_U64(want, got, ...)                                              \
  do {                                                                         \
    uint64_t w__ = (want), g__ = (got);                                        \
    CHECK(w__ == g__, __VA_ARGS__);                                            \
    if (w__ != g__)                                                            \
      printf("#   want %" PRIu64 ", got %" PRIu64 "\n", w__, g__);             \
  } while (0)

/* Prints the plan; returns the exit status.  A test that ends without a
 * single check checked nothing and would pass on nothing: it fails, with a
 * "not ok" naming its source file. */
static inline int tap_finish(const char *file) {
  if (tap_count == 0)
    CHECK(0, "%s: no check ran", file);
  printf("1..%d\n", tap_count);
  return tap_failed == 0 ? 0 : 1;
}

#define tap_done() tap_finish(__FILE__)

#endif /* MCTOP_TAP_H */
