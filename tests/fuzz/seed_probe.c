/*
 * Source of the usdt_notes fuzz seeds: scripts/fuzz compiles it with
 * clang -c into small ELF relocatable objects (64-bit little-endian, 32-bit,
 * 64-bit big-endian) whose .note.stapsdt holds memcached-like probes, a
 * probe with two call sites, a probe without arguments and a probe of
 * another provider.
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
