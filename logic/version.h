/*
 * mctop: memcached's version, read from the binary itself (the
 * "memcached 1.6.18" string it prints for -V), so operators never have to
 * say which version they run.
 */
#ifndef MCTOP_VERSION_H
#define MCTOP_VERSION_H

#include <stdbool.h>
#include <stddef.h>

/* Finds "memcached N.N.N" followed by a NUL in data and copies "N.N.N" to
 * out; out is "" if there is none. */
void mctop_find_version(const char *data, size_t len, char *out,
                        size_t out_size);

/* Whether version is one of the entries of list (versions joined by
 * ", "): a whole entry, so "1.6.4" is not found in "1.6.45". */
bool mctop_version_listed(const char *list, const char *version);

#endif /* MCTOP_VERSION_H */
