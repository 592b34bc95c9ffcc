/*
 * mctop plugin: turning a memcached key into a collectd type_instance.
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
 * Printable ASCII and well-formed UTF-8 are kept.  '/' (collectd's
 * identifier separator), '~' (our marker), spaces, control bytes and
 * malformed UTF-8 become '_'.  A key that was altered or is too long also
 * gets "~" and 12 hex digits of a 64-bit FNV-1a hash of the original bytes.
 * An unaltered name never contains '~', so it never equals an altered one;
 * two altered names are equal only if 48 hash bits collide.
 *
 * Returns 1 if the key was altered, 0 if the name is the key itself.
 */
int mctop_key_name(const uint8_t *key, size_t len, char *out);

uint64_t mctop_fnv1a(const uint8_t *data, size_t len);

#endif /* MCTOP_KEYNAME_H */
