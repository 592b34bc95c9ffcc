/*
 * mctop: memcached's version, read from the binary itself (the
 * "memcached 1.6.18" string it prints for -V), so operators never have to
 * say which version they run.
 */
#ifndef MCTOP_VERSION_H
#define MCTOP_VERSION_H

#include <stddef.h>

/* Finds "memcached N.N.N" followed by a NUL in data and copies "N.N.N" to
 * out; out is "" if there is none. */
void mctop_find_version(const char *data, size_t len, char *out,
                        size_t out_size);

#endif /* MCTOP_VERSION_H */
