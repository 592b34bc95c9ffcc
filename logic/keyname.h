/*
 * mctop: turning a memcached key into a collectd type_instance.
 */
#ifndef MCTOP_KEYNAME_H
#define MCTOP_KEYNAME_H

#include <stddef.h>
#include <stdint.h>

/* collectd's DATA_MAX_NAME_LEN: type_instance holds at most 127 bytes. */
#define MCTOP_KEYNAME_SIZE 128

/*
 * Writes a name for key[0..len) into out (MCTOP_KEYNAME_SIZE bytes).
 *
 * Printable ASCII and well-formed UTF-8 are kept, but for the characters
 * utf8.h calls unsafe (C1 controls, bidi controls, U+2028, U+2029, U+FEFF).
 * Every other byte, each byte of those characters, and '.', '/', '%' and
 * '~', is written as %XX (upper-case hex), so the name has no '.', space
 * or control character for a writer to rewrite nor one a terminal would
 * act on, and two keys never share a name: percent-encoding is reversible.  A
 * name longer than 127 bytes is cut on a character boundary to 102 bytes and
 * ends with "~" and 24 hex digits (96 bits) of the whole key's SHA-256; only
 * such names contain '~', so a cut name never equals a whole one.
 *
 * Every character of escape (printable ASCII; NULL for none) is written
 * as %XX too: option KeyEscape, for writers that rewrite more than '.' and
 * spaces (write_graphite also turns ':' and others into '_').
 *
 * Returns 1 if the name differs from the key's bytes, 0 if it is the key.
 */
int mctop_key_name_escaped(const uint8_t *key, size_t len, const char *escape,
                           char *out);

uint64_t mctop_fnv1a(const uint8_t *data, size_t len);

#endif /* MCTOP_KEYNAME_H */
