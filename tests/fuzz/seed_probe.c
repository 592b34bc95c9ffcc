/*
 * Source of the usdt_notes fuzz seeds: scripts/fuzz compiles it with
 * clang -c into small ELF relocatable objects (64-bit little-endian, 32-bit,
 * 64-bit big-endian), and links it into a small shared object (whose
 * notes lie in loaded segments, so they become attach sites), all with a
 * .note.stapsdt that holds memcached-like probes, a
 * probe with two call sites, a probe without arguments and a probe of
 * another provider; with -DSEED_MANY_PROBES also more probe names than
 * mctop keeps.
 */
#include <sys/sdt.h>

void seed_get(const char *key, long len) {
  DTRACE_PROBE2(memcached, command__get, key, len);
}

void seed_set(const char *key, long len) {
  DTRACE_PROBE2(memcached, command__set, key, len);
  DTRACE_PROBE2(memcached, command__set, key, len + 1);
  DTRACE_PROBE1(libmctopfuzz, other__provider, key);
}

void seed_flush(void) { DTRACE_PROBE(memcached, fuzz__no__args); }

#ifdef SEED_MANY_PROBES
/* 130 distinct probe names, two more than MCTOP_USDT_MAX_PROBES. */
#define P(n) DTRACE_PROBE(memcached, p##n)
#define P10(n)                                                                 \
  do {                                                                         \
    P(n##0);                                                                   \
    P(n##1);                                                                   \
    P(n##2);                                                                   \
    P(n##3);                                                                   \
    P(n##4);                                                                   \
    P(n##5);                                                                   \
    P(n##6);                                                                   \
    P(n##7);                                                                   \
    P(n##8);                                                                   \
    P(n##9);                                                                   \
  } while (0)

void seed_many(void) {
  P10(0);
  P10(1);
  P10(2);
  P10(3);
  P10(4);
  P10(5);
  P10(6);
  P10(7);
  P10(8);
  P10(9);
  P10(10);
  P10(11);
  P10(12);
}
#endif
